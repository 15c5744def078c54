"""mfpo: MeanFlow Policy Optimization, a Go core with a Python face.

The algorithm runs in Go (``gocore/``); this package drives it through a
gopy extension that :mod:`mfpo._core` alone imports. Importing mfpo starts
the Go runtime once for the process; use the ``spawn`` or ``forkserver``
start method for any multiprocessing (a forked child's Go runtime hangs).

>>> import mfpo
>>> mfpo.__version__
'0.1.0'
>>> sorted(mfpo.build_info())
['arch', 'blas', 'go_version', 'os', 'version']
"""

from __future__ import annotations

from mfpo._core import BuildInfo, build_info
from mfpo._core import version as _version

__version__: str = _version()
"""mfpo's semantic version, as the Go core reports it (gocore/buildinfo)."""

__all__ = ["BuildInfo", "__version__", "build_info"]
