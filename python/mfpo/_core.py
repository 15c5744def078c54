"""The one module that touches mfpo's Go extension.

The extension is gopy's build of the Go package ``bindings/`` and lives in
the private package :mod:`mfpo._gopy`; everything else in mfpo calls Go
through the functions here. Only strings, scalars, handles and ``bytes``
(little-endian float32 rows) cross the boundary: gopy turns every element
of a list of numbers into a separate call, so never pass one.

Importing this module starts the Go runtime, once per process. Do not load
``libmfpo.so`` (the C ABI) into the same process: that would start a second
Go runtime. After ``fork()`` the Go runtime hangs, so any multiprocessing
must use the ``spawn`` or ``forkserver`` start method.
"""

from __future__ import annotations

import json
from typing import TypedDict, cast

# gopy's wrapper, generated at build time and untyped.
from mfpo._gopy import bindings as _ext  # type: ignore


class BuildInfo(TypedDict):
    """What a build of mfpo is; the keys of :func:`build_info`."""

    version: str
    """mfpo's semantic version, e.g. ``"0.1.0"``."""
    go_version: str
    """The Go toolchain that built the extension, e.g. ``"go1.26.8"``."""
    blas: str
    """The BLAS backend: ``"openblas"`` or ``"gonum"`` (pure Go)."""
    os: str
    """Go's GOOS, e.g. ``"linux"``."""
    arch: str
    """Go's GOARCH, e.g. ``"amd64"``."""


def version() -> str:
    """mfpo's semantic version as the Go core reports it."""
    return str(_ext.Version())


def build_info() -> BuildInfo:
    """The Go core's description of this build (decoded from its JSON)."""
    return cast(BuildInfo, json.loads(_ext.BuildInfo()))
