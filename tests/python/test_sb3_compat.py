"""Stable-Baselines3's own SAC examples (its documentation's SAC page,
"Examples" and "Callbacks"), changed only by importing ``MFPO as SAC`` and
shortening the budgets. Runs with the ``sb3`` extra installed (make setup
installs it with the ``test`` extra); skipped only when stable_baselines3 is
absent."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

sb3 = pytest.importorskip("stable_baselines3", reason="the sb3 extra is not installed: pip install 'mfpo[sb3]'")
from stable_baselines3.common.env_util import make_vec_env  # noqa: E402
from stable_baselines3.common.evaluation import evaluate_policy  # noqa: E402

from mfpo import MFPO as SAC  # noqa: E402
from mfpo import CheckpointCallback, EvalCallback, StopTrainingOnRewardThreshold  # noqa: E402

STEPS = 300  # the examples' 10 000 and 20 000, shortened


def test_basic_usage_save_load_predict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    env = gym.make("Pendulum-v1")  # the example's render_mode="human" left out: no display here
    model = SAC("MlpPolicy", env, verbose=1)
    model.learn(total_timesteps=STEPS, log_interval=4)
    model.save("sac_pendulum")
    del model  # remove to demonstrate saving and loading
    model = SAC.load("sac_pendulum")
    obs, info = env.reset()
    for _ in range(50):  # the example's `while True`
        action, _states = model.predict(obs, deterministic=True)
        obs, reward, terminated, truncated, info = env.step(action)
        if terminated or truncated:
            obs, info = env.reset()
    assert env.action_space.contains(action)


def test_evaluate_policy() -> None:
    env = gym.make("Pendulum-v1")
    model = SAC("MlpPolicy", env, verbose=0, learning_starts=100, batch_size=64)
    model.learn(total_timesteps=STEPS)
    mean_reward, std_reward = evaluate_policy(model, model.get_env(), n_eval_episodes=2)
    assert np.isfinite(mean_reward) and -2000 < mean_reward <= 0 and std_reward >= 0


def test_callbacks_eval_checkpoint_stop(tmp_path: Path) -> None:
    eval_env = gym.make("Pendulum-v1")
    callback_on_best = StopTrainingOnRewardThreshold(reward_threshold=-200, verbose=1)
    eval_callback = EvalCallback(eval_env, callback_on_new_best=callback_on_best,
                                 best_model_save_path=tmp_path / "best", log_path=tmp_path / "logs",
                                 eval_freq=200, n_eval_episodes=1, deterministic=True)
    checkpoint_callback = CheckpointCallback(save_freq=100, save_path=tmp_path / "ckpt", name_prefix="rl_model")
    model = SAC("MlpPolicy", "Pendulum-v1", learning_starts=100, batch_size=64)
    model.learn(STEPS, callback=[checkpoint_callback, eval_callback])
    assert (tmp_path / "best" / "best_model.mfpo").is_file()
    assert sorted(p.name for p in (tmp_path / "ckpt").iterdir())[:1] == ["rl_model_100_steps.mfpo"]
    assert eval_callback.best_mean_reward > -np.inf


def test_sb3_vec_env_evaluation() -> None:
    model = SAC("MlpPolicy", "Pendulum-v1", learning_starts=100, batch_size=64, seed=0)
    model.learn(STEPS)
    vec_env = make_vec_env("Pendulum-v1", n_envs=2, seed=0)  # an SB3 VecEnv: evaluation runs on it
    obs = vec_env.reset()
    actions, _ = model.predict(obs, deterministic=True)
    assert actions.shape == (2, 1)
    mean_reward, _ = evaluate_policy(model, vec_env, n_eval_episodes=2)
    assert np.isfinite(mean_reward)
