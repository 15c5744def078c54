"""mfpo's exceptions.

Every error the Go core reports carries a stable code; :mod:`mfpo._core`
maps the code to one of these classes (never the message text). The same
classes are raised by the Python side's own checks, with messages that say
what was expected and what came.

=====================  ====================  ==========================================
exception              Go code               raised for
=====================  ====================  ==========================================
``ConfigError``        ``config``            an unknown keyword argument or config key,
                                             an invalid value, an unknown preset,
                                             an environment MFPO cannot drive (a
                                             Discrete action space, infinite action
                                             bounds, a vector env started with fork)
``ArgumentError``      ``inval``             an invalid argument: rows < 1, an unknown
                                             mode or checkpoint kind (a ConfigError)
``ShapeError``         ``shape``             an observation of the wrong shape or dtype
``NonFiniteError``     ``nonfinite``         a NaN or an infinity in an observation or
                                             a transition (nothing was stored)
``NotEnoughDataError`` ``notenoughdata``     an update before ``batch_size`` transitions
``UpdateError``        ``update``            an update abandoned on a non-finite loss or
                                             gradient (the agent was restored)
``HandleError``        ``handle``            use of a closed agent or policy
``SizeError``          ``size``              a request over the memory limit: a config,
                                             a checkpoint or a call whose estimated
                                             memory is over it (also a ``MemoryError``;
                                             docs/limits.md)
``CheckpointError``    ``checkpoint``        bytes that are not a valid checkpoint:
                                             truncated, corrupted (checksum), foreign
                                             (identifier), inconsistent sizes; a
                                             checkpoint of the wrong kind
``CheckpointVersionError`` ``version``       a checkpoint of a newer format version
``CheckpointIOError``  ``io``                a checkpoint file that cannot be read or
                                             written (also an ``OSError``)
``RuntimeConflictError`` ``runtime``       ``import mfpo`` in a process that loaded
                                             ``libmfpo.so`` first (two Go runtimes)
``MFPOError``          ``internal``          a bug in mfpo (a recovered Go panic)
=====================  ====================  ==========================================

``ConfigError``, ``ShapeError``, ``NonFiniteError`` and ``CheckpointError``
are also ``ValueError``\\ s, so code that catches ``ValueError`` keeps
working; ``CheckpointIOError`` is an ``OSError``, ``SizeError`` a
``MemoryError``.
"""

from __future__ import annotations

__all__ = [
    "ArgumentError",
    "CheckpointError",
    "CheckpointIOError",
    "CheckpointVersionError",
    "ConfigError",
    "HandleError",
    "MFPOError",
    "NonFiniteError",
    "NotEnoughDataError",
    "RuntimeConflictError",
    "ShapeError",
    "SizeError",
    "UpdateError",
]


class MFPOError(Exception):
    """Base class of every mfpo error; raised itself for internal errors."""

    code: str = "internal"
    """The Go core's error code this class stands for."""


class ConfigError(MFPOError, ValueError):
    """An invalid configuration: an unknown keyword argument or key, a value
    out of range, or an environment MFPO cannot drive."""

    code = "config"


class ArgumentError(ConfigError):
    """An invalid argument to a call: ``rows`` below 1, an unknown acting
    mode or checkpoint kind, an empty path, invalid action bounds. A
    :class:`ConfigError`, so code catching that keeps working."""

    code = "inval"


class ShapeError(MFPOError, ValueError):
    """An array of the wrong shape, size or dtype."""

    code = "shape"


class NonFiniteError(MFPOError, ValueError):
    """A NaN or an infinity where finite numbers are required."""

    code = "nonfinite"


class NotEnoughDataError(MFPOError):
    """An update was asked for before ``batch_size`` transitions were stored."""

    code = "notenoughdata"


class UpdateError(MFPOError):
    """An update was abandoned on a non-finite loss or gradient; the agent was
    restored to its state before that update."""

    code = "update"


class HandleError(MFPOError):
    """The agent was closed (its Go side freed)."""

    code = "handle"


class SizeError(MFPOError, MemoryError):
    """A request whose estimated memory is over the memory limit
    (``max_bytes``, :func:`mfpo.set_memory_limit`): the message names the
    config key or argument and the bytes; nothing was allocated."""

    code = "size"


class CheckpointError(MFPOError, ValueError):
    """Bytes that are not a valid checkpoint (truncated, corrupted, foreign,
    inconsistent), or a checkpoint of the wrong kind for the call. The
    message says what was expected and what came."""

    code = "checkpoint"


class CheckpointVersionError(CheckpointError):
    """A checkpoint written in a newer format version than this mfpo reads."""

    code = "version"


class CheckpointIOError(MFPOError, OSError):
    """A checkpoint file that cannot be read or written."""

    code = "io"


class RuntimeConflictError(MFPOError, ImportError):
    """``import mfpo`` in a process into which another mfpo library with its
    own Go runtime (``libmfpo.so``, the C ABI) was loaded first: one process
    holds one Go runtime. Also an ``ImportError``."""

    code = "runtime"


BY_CODE: dict[str, type[MFPOError]] = {
    cls.code: cls
    for cls in (
        MFPOError,
        ConfigError,
        ArgumentError,
        ShapeError,
        NonFiniteError,
        NotEnoughDataError,
        UpdateError,
        HandleError,
        SizeError,
        CheckpointError,
        CheckpointVersionError,
        CheckpointIOError,
        RuntimeConflictError,
    )
}
"""Go error code -> exception class."""
