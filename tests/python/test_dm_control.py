"""MuJoCo tasks work out of the box: dm_control's through shimmy (the Dict
observations are flattened, the env id needs no registration by the user)
and Gymnasium's own (HalfCheetah-v5)."""

from __future__ import annotations

from typing import Any

import numpy as np

import mfpo
from mfpo import MFPO


def test_cheetah_run_smoke(tiny: dict[str, Any]) -> None:
    m = MFPO("dm_control/cheetah-run-v0", **dict(tiny, learning_starts=100))
    assert m.info()["obs_dim"] == 17 and m.info()["act_dim"] == 6  # position (8) + velocity (9)
    m.learn(300)
    info = m.info()
    assert m.num_timesteps == 300 and info["stored"] == 300 and info["updates"] == 201
    obs, _ = m.env.reset(seed=0)
    assert isinstance(obs, dict) and set(obs) == {"position", "velocity"}
    for mode in ("sample", "best_of_n", "deterministic"):
        a, _ = m.predict(obs, mode=mode)  # type: ignore[arg-type]
        assert a.shape == (6,) and np.all(np.abs(a) <= 1)
    batch = {k: np.stack([v, v]) for k, v in obs.items()}
    b, _ = m.predict(batch)
    assert b.shape == (2, 6)
    returns, lengths = m.evaluate(n_episodes=1, return_episode_rewards=True)
    assert lengths == [1000] and 0 <= returns[0] <= 1000
    m.close()


def test_a_made_dm_control_env(tiny: dict[str, Any]) -> None:
    import gymnasium as gym
    import shimmy

    gym.register_envs(shimmy)
    env = gym.make("dm_control/walker-walk-v0")
    m = MFPO(env, **tiny)
    assert m.env_id == "dm_control/walker-walk-v0" and m.info()["obs_dim"] == 24 and m.info()["act_dim"] == 6
    m.learn(100)
    m.close()
    env.close()


def test_halfcheetah_v5_smoke(tiny: dict[str, Any]) -> None:
    m = MFPO("HalfCheetah-v5", **dict(tiny, learning_starts=100))
    assert m.info()["obs_dim"] == 17 and m.info()["act_dim"] == 6
    m.learn(300)
    assert m.info()["updates"] == 201
    a, _ = m.predict(m.observation_space.sample(), deterministic=True)
    assert a.shape == (6,) and a.dtype == np.float32
    m.close()
    env = mfpo.make_env("HalfCheetah-v5")
    assert env.spec is not None and env.spec.max_episode_steps == 1000
    env.close()
