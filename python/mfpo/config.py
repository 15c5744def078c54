"""The agent's configuration: the Go core's ``Config`` as a dict.

The keys are the snake_case names of the Go ``Config`` fields (the same as
the keyword arguments of :class:`mfpo.MFPO` and the keys of the config JSON
of the C ABI). The Go core is the one source of truth for them and for the
defaults: :func:`default_config` asks it. Presets:

``"paper"``
    the published defaults of the MFPO paper (256-wide networks, batch 256,
    K1 = 16 and K2 = 32 proposals, 10 000 random steps first, 1 000 000
    transitions of replay);
``"small"``
    for small tasks such as Pendulum and for tests: 2×64 networks, 16 Fourier
    features and 32-wide time embeddings, batch 128, K1 = 8, K2 = 16, a
    100 000 transition buffer and 1 000 random steps first.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np

from mfpo import _core
from mfpo.exceptions import ConfigError

PRESETS: tuple[str, ...] = ("paper", "small")

CONFIG_KEYS: tuple[str, ...] = tuple(_core.default_config("paper"))
"""Every configuration key, in the Go struct's order."""

ProposalMix = Literal["ess", "balance"]
"""How the policy-improvement step combines its two proposals (the
``proposal_mix`` key): ``"ess"``, the paper's ESS mix (the default), or
``"balance"``, multiple importance sampling with the balance heuristic
(docs/algorithm.md §4.1)."""

PROPOSAL_MIXES: tuple[str, ...] = _core.PROPOSAL_MIXES
"""Every ``proposal_mix`` value, as the Go core names them."""

SETTING_KEYS: tuple[str, ...] = ("max_bytes", "device")
"""Keys of the config beside the Go Config's: how an agent runs in this
process, never saved (``max_bytes``: its memory limit, docs/limits.md;
``device``: ``"auto"``, ``"cpu"`` or ``"cuda"``, docs/gpu.md)."""


def default_config(preset: str = "paper") -> dict[str, Any]:
    """The full configuration of a preset, as the Go core defines it."""
    check_preset(preset)
    return _core.default_config(preset)


def check_preset(preset: str) -> None:
    if preset not in PRESETS:
        raise ConfigError(f"unknown preset {preset!r}: expected one of {', '.join(map(repr, PRESETS))}")


def check_keys(keys: Sequence[str] | Mapping[str, Any], what: str = "keyword argument") -> None:
    """Raise ConfigError naming the first unknown key, with the closest known
    ones."""
    for key in keys:
        if key not in CONFIG_KEYS and key not in SETTING_KEYS:
            close = difflib.get_close_matches(key, CONFIG_KEYS, n=3, cutoff=0.6)
            hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else ""
            raise ConfigError(f"unknown {what} {key!r}{hint} (expected one of: {', '.join(CONFIG_KEYS)})")


def _plain(value: Any) -> Any:
    """value with numpy scalars and arrays, tuples and mappings made JSON-able."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def config_json(preset: str, overrides: Mapping[str, Any]) -> str:
    """The JSON object the Go core reads: the preset and the overrides.
    Unknown keys raise ConfigError here; invalid values raise it in Go,
    naming the key."""
    check_preset(preset)
    check_keys(overrides)
    doc = {"preset": preset}
    for key, value in overrides.items():
        doc[key] = _plain(value)
    try:
        return json.dumps(doc, allow_nan=False)
    except (TypeError, ValueError) as err:
        bad = next((k for k, v in doc.items() if not _json_ok(v)), "?")
        raise ConfigError(
            f"config value {bad} = {doc.get(bad)!r} is not a finite number, bool, list or dict: {err}"
        ) from None


def _json_ok(value: Any) -> bool:
    try:
        json.dumps(value, allow_nan=False)
        return True
    except (TypeError, ValueError):
        return False
