"""A trained policy for deployment: :class:`Policy`.

>>> policy = mfpo.Policy.load("run/model.mfpo")                # doctest: +SKIP
>>> action = policy.act(obs, seed=7)                             # doctest: +SKIP

A :class:`Policy` runs the Go core's inference handle, the same code that
``libmfpo.so``'s ``mfpo_policy_*`` functions run for C and C++: the same
checkpoint, observations, mode and seed give the same float32 actions in
Python and in C++. The noise comes from the ``seed`` argument alone, so an
action is a pure function of its arguments; calls may run from several
threads at once.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import gymnasium as gym
import numpy as np
import numpy.typing as npt

from mfpo import _core
from mfpo.envs import as_f32, check_finite, fits_f32, shape_message
from mfpo.exceptions import ConfigError, ShapeError

__all__ = ["Policy", "PolicyMode", "existing_checkpoint", "with_suffix"]

PolicyMode = Literal["sample", "best_of_n", "deterministic"]
"""``"sample"``: one draw of the T-step sampler; ``"best_of_n"``:
``eval_candidates`` draws, the one the target critics value most (the
paper's evaluation rule); ``"deterministic"``: the sampler from ε = 0
(ignores the seed)."""

_MODES: tuple[str, ...] = _core.POLICY_MODES


def with_suffix(path: str | os.PathLike[str]) -> Path:
    """path, with ``.mfpo`` appended when it has no suffix."""
    p = Path(path)
    return p if p.suffix else p.with_name(p.name + ".mfpo")


def existing_checkpoint(path: str | os.PathLike[str]) -> Path:
    """path, or path + ``.mfpo`` when only that exists; FileNotFoundError
    naming both otherwise."""
    p = Path(path)
    if p.exists():
        return p
    q = with_suffix(p)
    if q.exists():
        return q
    tried = f"{p}" if q == p else f"{p} or {q}"
    raise FileNotFoundError(f"no checkpoint at {tried}")


class Policy:
    """The policy of a checkpoint (or of a model, :meth:`mfpo.MFPO.policy`),
    acting in the environment's units.

    Attributes:
        obs_shape: one observation's shape, as saved (its product is
            ``obs_dim``).
        action_space: the action box, a ``gymnasium.spaces.Box`` (float32).
        info: the checkpoint's description (kind, producer, config,
            updates, stored, …), or None for :meth:`mfpo.MFPO.policy`.
    """

    _handle: _core.Policy
    obs_shape: tuple[int, ...]
    obs_dim: int
    act_dim: int
    action_space: gym.spaces.Box
    info: dict[str, Any] | None

    def __init__(self) -> None:
        raise TypeError("make a Policy with Policy.load(path) or MFPO.snapshot()")

    @classmethod
    def _wrap(
        cls,
        handle: _core.Policy,
        spaces: dict[str, Any],
        action_space: gym.spaces.Box,
        info: dict[str, Any] | None = None,
    ) -> Policy:
        self = object.__new__(cls)
        self._handle = handle
        self.obs_shape = tuple(int(n) for n in spaces["obs_shape"])
        self.obs_dim = handle.obs_dim
        self.act_dim = handle.act_dim
        self.action_space = action_space
        self.info = info
        return self

    @classmethod
    def load(cls, source: str | os.PathLike[str] | bytes) -> Policy:
        """The policy of a checkpoint of either kind (full or policy-only): a
        path (``.mfpo`` may be left out) or the checkpoint's bytes.

        Raises:
            FileNotFoundError: no such file.
            CheckpointError: not a valid checkpoint.
            CheckpointVersionError: a newer format than this mfpo reads.
        """
        if not isinstance(source, (bytes, bytearray, memoryview)):
            source = existing_checkpoint(source)
        handle, info = _core.Policy.load(source)
        space = gym.spaces.Box(
            np.asarray(info["act_low"], np.float32), np.asarray(info["act_high"], np.float32), dtype=np.float32
        )
        return cls._wrap(handle, info, space, info)

    def act(self, observation: npt.ArrayLike, mode: PolicyMode = "sample", seed: int = 0) -> npt.NDArray[np.float32]:
        """Actions for one observation (shape ``obs_shape`` or ``(obs_dim,)``)
        or a batch (a leading axis), in the action box: shape ``(act_dim,)``
        or ``(n, act_dim)``. The noise is drawn from ``seed`` (an integer in
        [0, 2**64)) and the mode alone.

        Raises:
            ShapeError: an observation of another shape, or not real numbers.
            NonFiniteError: a NaN or an infinity in the observation.
            ConfigError: an unknown mode or a bad seed.
        """
        if mode not in _MODES:
            raise ConfigError(f"act: unknown mode {mode!r}: expected one of {_MODES}")
        arr = np.asarray(observation)
        if arr.dtype.kind not in "biuf":
            raise ShapeError(f"observation: expected real numbers; got dtype {arr.dtype}")
        if arr.shape in (self.obs_shape, (self.obs_dim,)):
            if fits_f32(arr):  # one observation, checked: the short path
                return self._handle.act_one(arr.reshape(self.obs_dim), mode, seed)
            rows, batched = arr.reshape(1, self.obs_dim), False
        elif arr.ndim >= 1 and arr.shape[0] >= 1 and arr.shape[1:] in (self.obs_shape, (self.obs_dim,)):
            rows, batched = arr.reshape(arr.shape[0], self.obs_dim), True
        else:
            raise ShapeError(shape_message("observation", self.obs_shape, arr.shape))
        rows = as_f32(rows, "observation")
        check_finite(rows)
        out = self._handle.act(rows, mode, seed)
        one: npt.NDArray[np.float32] = out[0]
        return out if batched else one

    def close(self) -> None:
        """Free the Go policy; later calls raise :class:`mfpo.HandleError`."""
        self._handle.close()

    def __enter__(self) -> Policy:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Policy(obs_shape={self.obs_shape}, act_dim={self.act_dim}, action_space={self.action_space})"
