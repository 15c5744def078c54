"""Shared fixtures of mfpo's Python tests (run against the installed
package: `make test-python`)."""

from __future__ import annotations

import os
from typing import Any

# dm_control looks for an OpenGL backend at import; the tests never render.
os.environ.setdefault("MUJOCO_GL", "disable")

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

# A configuration small enough that an update takes about a millisecond:
# for tests of the API, not of learning.
TINY: dict[str, Any] = {
    "preset": "small",
    "hidden": [16, 16],
    "time_features": 4,
    "time_width": 8,
    "batch_size": 32,
    "policy_samples": 2,
    "posterior_samples": 4,
    "buffer_size": 5_000,
    "learning_starts": 64,
    "eval_candidates": 4,
    "shards": 1,
    "verbose": 0,
}


@pytest.fixture
def tiny() -> dict[str, Any]:
    return dict(TINY)


class BoxEnv(gym.Env[np.ndarray, np.ndarray]):
    """A small deterministic task with a configurable action Box: the
    observation drifts with the action; episodes end after `horizon` steps
    (truncated), or terminate when `terminate_at` is reached. It records
    every action it receives."""

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(
        self,
        low: Any = -1.0,
        high: Any = 1.0,
        act_shape: tuple[int, ...] = (2,),
        obs_dim: int = 3,
        horizon: int = 20,
        terminate_at: int | None = None,
    ) -> None:
        self.action_space = spaces.Box(np.broadcast_to(np.asarray(low, np.float32), act_shape).copy(),
                                       np.broadcast_to(np.asarray(high, np.float32), act_shape).copy())
        self.observation_space = spaces.Box(-np.inf, np.inf, (obs_dim,), np.float32)
        self.horizon, self.terminate_at = horizon, terminate_at
        self.actions: list[np.ndarray] = []
        self._t = 0
        self._x = np.zeros(obs_dim, np.float32)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        self._t = 0
        self._x = self.np_random.normal(size=self._x.shape).astype(np.float32)
        return self._x.copy(), {}

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        self.actions.append(np.array(action))
        self._t += 1
        self._x = (0.9 * self._x + 0.1 * float(np.mean(action))).astype(np.float32)
        terminated = self.terminate_at is not None and self._t >= self.terminate_at
        truncated = not terminated and self._t >= self.horizon
        return self._x.copy(), -float(np.sum(self._x**2)), terminated, truncated, {}


class DictObsEnv(BoxEnv):
    """BoxEnv with a Dict observation: position (2,), velocity (3,) and a
    Discrete phase."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(obs_dim=5, **kw)
        self.observation_space = spaces.Dict({
            "position": spaces.Box(-np.inf, np.inf, (2,), np.float64),
            "velocity": spaces.Box(-np.inf, np.inf, (3,), np.float64),
            "phase": spaces.Discrete(4),
        })

    def _obs(self) -> dict[str, Any]:
        return {
            "position": self._x[:2].astype(np.float64),
            "velocity": self._x[2:].astype(np.float64),
            "phase": self._t % 4,
        }

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
        super().reset(seed=seed)
        return self._obs(), {}

    def step(self, action: np.ndarray) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        _, r, term, trunc, info = super().step(action)
        return self._obs(), r, term, trunc, info


def make_box_env(**kw: Any) -> BoxEnv:
    """A picklable env factory (for AsyncVectorEnv with spawn)."""
    return BoxEnv(**kw)
