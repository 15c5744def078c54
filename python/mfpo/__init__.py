"""mfpo: MeanFlow Policy Optimization, a Go core with a Python face.

The algorithm runs in Go (``gocore/``); this package drives it through a
gopy extension that :mod:`mfpo._core` alone imports. Importing mfpo starts
the Go runtime once for the process; use the ``spawn`` or ``forkserver``
start method for any multiprocessing (a forked child's Go runtime hangs).

>>> import mfpo
>>> mfpo.__version__
'0.1.0'
>>> sorted(mfpo.build_info())
['arch', 'blas', 'blas_config', 'blas_core', 'cpu_kernels', 'devices', 'go_version', 'os', 'version']

Train and use an agent (Stable-Baselines3's SAC surface)::

    from mfpo import MFPO
    model = MFPO("Pendulum-v1", preset="small").learn(15_000, progress_bar=True)
    action, _ = model.predict(obs, deterministic=True)   # best-of-N
    mean, std = model.evaluate(n_episodes=10)
    model.save("pendulum.mfpo")                           # mfpo's checkpoint format
    model = MFPO.load("pendulum.mfpo", env="Pendulum-v1")
"""

from __future__ import annotations

from mfpo import checkpoint
from mfpo._core import BuildInfo, build_info, memory_limit, set_memory_limit
from mfpo._core import version as _version
from mfpo.agent import MFPO, PredictMode
from mfpo.callbacks import (
    BaseCallback,
    CallbackList,
    CheckpointCallback,
    ConvertCallback,
    EvalCallback,
    StopTrainingOnRewardThreshold,
)
from mfpo.config import CONFIG_KEYS, PRESETS, PROPOSAL_MIXES, ProposalMix, default_config
from mfpo.envs import Episode, make_env, make_vec_env
from mfpo.exceptions import (
    ArgumentError,
    CheckpointError,
    CheckpointIOError,
    CheckpointVersionError,
    ConfigError,
    HandleError,
    MFPOError,
    NonFiniteError,
    NotEnoughDataError,
    RuntimeConflictError,
    ShapeError,
    SizeError,
    UpdateError,
)
from mfpo.logger import Logger
from mfpo.logger import configure as configure_logger
from mfpo.plot import load_progress, plot_learning_curve
from mfpo.policy import Policy, PolicyMode

__version__: str = _version()
"""mfpo's semantic version, as the Go core reports it (gocore/buildinfo)."""

__all__ = [
    "CONFIG_KEYS",
    "PRESETS",
    "PROPOSAL_MIXES",
    "BaseCallback",
    "BuildInfo",
    "CallbackList",
    "CheckpointCallback",
    "CheckpointError",
    "CheckpointIOError",
    "CheckpointVersionError",
    "ArgumentError",
    "ConfigError",
    "ConvertCallback",
    "Episode",
    "EvalCallback",
    "HandleError",
    "Logger",
    "MFPO",
    "MFPOError",
    "NonFiniteError",
    "NotEnoughDataError",
    "RuntimeConflictError",
    "Policy",
    "PolicyMode",
    "PredictMode",
    "ProposalMix",
    "ShapeError",
    "SizeError",
    "StopTrainingOnRewardThreshold",
    "UpdateError",
    "__version__",
    "build_info",
    "checkpoint",
    "configure_logger",
    "default_config",
    "load_progress",
    "make_env",
    "make_vec_env",
    "memory_limit",
    "plot_learning_curve",
    "set_memory_limit",
]
