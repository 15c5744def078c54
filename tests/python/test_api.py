"""The MFPO class's behaviour: construction, configuration, predict,
evaluate, learn with logs and callbacks, vector envs."""

from __future__ import annotations

import functools
import inspect
import json
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pytest

import mfpo
from mfpo import MFPO

from conftest import TINY, BoxEnv, DictObsEnv


def test_construct_from_id_and_from_env(tiny: dict[str, Any]) -> None:
    by_id = MFPO("Pendulum-v1", **tiny)
    env = gym.make("Pendulum-v1")
    by_env = MFPO(env, **tiny)
    for m in (by_id, by_env):
        assert m.env_id == "Pendulum-v1"
        assert m.observation_space.shape == (3,)
        assert m.action_space == gym.spaces.Box(-2.0, 2.0, (1,), np.float32)
        assert m.n_envs == 1
        assert m.info()["obs_dim"] == 3 and m.info()["act_dim"] == 1
        assert "Pendulum-v1" in repr(m)
    assert by_env.get_env() is env
    by_id.close()
    by_env.close()


def test_keyword_arguments_reach_the_effective_config() -> None:
    m = MFPO("Pendulum-v1", preset="small", verbose=0, gamma=0.97, hidden=(32, 48), policy_samples=np.int64(4),
             time_sampler={"uniform": True}, clipped_double_q=False, learning_starts=123, seed=7)
    cfg, small = m.config, mfpo.default_config("small")
    assert cfg["gamma"] == 0.97 and cfg["hidden"] == [32, 48] and cfg["policy_samples"] == 4
    assert cfg["clipped_double_q"] is False and cfg["learning_starts"] == 123 and cfg["seed"] == 7
    # time_sampler keys left out keep their defaults.
    assert cfg["time_sampler"] == dict(small["time_sampler"], uniform=True)
    # Everything else is the preset's.
    checked = {"gamma", "hidden", "policy_samples", "time_sampler", "clipped_double_q", "learning_starts", "seed"}
    for key in set(cfg) - checked:
        assert cfg[key] == small[key], key
    m.close()


def test_defaults_are_the_papers_and_every_config_key_is_a_keyword() -> None:
    m = MFPO("Pendulum-v1", verbose=0)
    paper = mfpo.default_config("paper")
    assert {**m.config, "seed": paper["seed"]} == paper  # seed=None draws a random seed (SB3's rule)
    assert paper["hidden"] == [256, 256, 256] and paper["policy_samples"] == 16 and paper["posterior_samples"] == 32
    assert paper["batch_size"] == 256 and paper["learning_starts"] == 10_000 and paper["buffer_size"] == 1_000_000
    assert paper["gamma"] == 0.99 and paper["tau"] == 0.005 and paper["init_alpha"] == 0.01
    assert paper["eval_candidates"] == 10 and paper["steps"] == 2
    params = inspect.signature(MFPO.__init__).parameters
    keywords = {n for n, p in params.items() if p.kind is inspect.Parameter.KEYWORD_ONLY}
    assert set(mfpo.CONFIG_KEYS) <= keywords, set(mfpo.CONFIG_KEYS) - keywords
    own = {"preset", "verbose", "tensorboard_log", "env_kwargs", "policy_kwargs", "device", *mfpo.config.SETTING_KEYS}
    assert keywords - set(mfpo.CONFIG_KEYS) == own
    # Every config keyword is documented in the class docstring.
    doc = MFPO.__doc__ or ""
    for key in mfpo.CONFIG_KEYS:
        assert key in doc, key
    m.close()


@pytest.mark.parametrize("mode", [None, "sample", "best_of_n", "deterministic"])
def test_predict_single_and_batched(tiny: dict[str, Any], mode: str | None) -> None:
    m = MFPO("Pendulum-v1", **tiny)
    obs, _ = m.env.reset(seed=0)
    a, state = m.predict(obs, mode=mode)  # type: ignore[arg-type]
    assert state is None and a.shape == (1,) and a.dtype == np.float32
    batch = np.stack([m.observation_space.sample() for _ in range(5)])
    b, _ = m.predict(batch, deterministic=True, mode=mode)  # type: ignore[arg-type]
    assert b.shape == (5, 1) and b.dtype == np.float32
    assert np.all(b >= -2) and np.all(b <= 2)
    # float64 and list inputs are converted.
    c, _ = m.predict(obs.astype(np.float64).tolist(), mode=mode)  # type: ignore[arg-type]
    assert c.shape == (1,)
    m.close()


def test_deterministic_mode_is_a_function_of_the_observation(tiny: dict[str, Any]) -> None:
    m = MFPO("Pendulum-v1", **tiny)
    obs = np.array([0.3, -0.2, 1.0], np.float32)
    a1, _ = m.predict(obs, mode="deterministic")
    a2, _ = m.predict(obs, mode="deterministic")
    assert np.array_equal(a1, a2)
    m.close()


def test_actions_inside_box_bounds_during_learn_and_predict(tiny: dict[str, Any]) -> None:
    low, high = np.array([-3.0, 0.0, 5.0], np.float32), np.array([1.0, 10.0, 5.5], np.float32)
    env = BoxEnv(low=low, high=high, act_shape=(3,))
    m = MFPO(env, **dict(tiny, learning_starts=40, batch_size=16))
    m.learn(120)
    acts = np.array(env.actions)
    assert acts.shape == (120, 3) and acts.dtype == np.float32
    assert np.all(acts >= low) and np.all(acts <= high)
    # The random warm-up covers the box, not just its middle.
    first = acts[:40]
    assert np.all(first.min(0) < low + 0.35 * (high - low)) and np.all(first.max(0) > high - 0.35 * (high - low))
    b, _ = m.predict(np.zeros((50, 3), np.float32))
    assert np.all(b >= low) and np.all(b <= high)
    m.close()


def test_multidimensional_action_box(tiny: dict[str, Any]) -> None:
    env = BoxEnv(low=-2.0, high=2.0, act_shape=(2, 2))
    m = MFPO(env, **tiny)
    assert m.info()["act_dim"] == 4
    a, _ = m.predict(np.zeros(3, np.float32))
    assert a.shape == (2, 2)
    m.learn(80)
    assert all(x.shape == (2, 2) for x in env.actions)
    m.close()


def test_dict_observations_are_flattened(tiny: dict[str, Any]) -> None:
    env = DictObsEnv()
    m = MFPO(env, **tiny)
    assert m.info()["obs_dim"] == 2 + 3 + 4
    obs, _ = env.reset(seed=1)
    a, _ = m.predict(obs)
    assert a.shape == (2,)
    batch = {k: np.stack([v] * 4) for k, v in obs.items()}
    b, _ = m.predict(batch, mode="deterministic")
    assert b.shape == (4, 2)
    # The flattening is gymnasium's.
    rows, batched = m._driver.obs.rows(obs)
    assert not batched
    np.testing.assert_array_equal(rows[0], gym.spaces.utils.flatten(env.observation_space, obs).astype(np.float32))
    m.learn(100)
    assert m.num_timesteps == 100
    m.close()


def test_learn_counts_stores_updates_and_logs_csv_and_tensorboard(tiny: dict[str, Any], tmp_path: Path) -> None:
    m = MFPO("Pendulum-v1", **dict(tiny, learning_starts=100), tensorboard_log=tmp_path)
    assert m.learn(500, log_interval=1) is m
    info = m.info()
    assert m.num_timesteps == 500 and info["stored"] == 500
    assert info["updates"] == 500 - 100 + 1  # UTD 1 from the learning_starts-th transition on
    assert m.num_episodes == 2 and len(m.ep_info_buffer) == 2
    assert all(e.length == 200 for e in m.ep_info_buffer)
    run = tmp_path / "MFPO_1"
    cols = mfpo.load_progress(run)
    assert cols["time/total_timesteps"][:2] == [200.0, 400.0]
    for key in ("rollout/ep_rew_mean", "rollout/ep_len_mean", "time/fps", "train/critic_loss", "train/actor_loss",
                "train/alpha", "train/entropy", "train/n_updates"):
        assert key in cols, key
    assert cols["train/n_updates"][1] == 400 - 100 + 1
    assert list(run.glob("events.out.tfevents.*")), sorted(p.name for p in run.iterdir())
    # A second learn() starts a new run folder; continuing keeps it.
    m.learn(50, log_interval=1)
    assert (tmp_path / "MFPO_2" / "progress.csv").exists()
    m.learn(50, reset_num_timesteps=False)
    assert m.num_timesteps == 100 and not (tmp_path / "MFPO_3").exists()
    m.close()


def test_custom_logger(tiny: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    m = MFPO("Pendulum-v1", **tiny)
    m.set_logger(mfpo.configure_logger(tmp_path, ["stdout", "csv"]))
    m.learn(400, log_interval=1)
    out = capsys.readouterr().out
    assert "rollout/" in out and "ep_rew_mean" in out and "train/" in out
    assert mfpo.load_progress(tmp_path)["time/episodes"] == [1.0, 2.0]
    m.close()


class Recorder(mfpo.BaseCallback):
    def __init__(self, stop_at: int | None = None) -> None:
        super().__init__()
        self.stop_at = stop_at
        self.events: list[str] = []
        self.episodes: list[mfpo.Episode] = []

    def _on_training_start(self) -> None:
        self.events.append("start")

    def _on_step(self) -> bool:
        assert self.model is not None and "actions" in self.locals
        return self.stop_at is None or self.num_timesteps < self.stop_at

    def _on_episode_end(self, episode: mfpo.Episode) -> None:
        self.episodes.append(episode)

    def _on_training_end(self) -> None:
        self.events.append("end")


def test_callbacks_are_called_and_can_stop_training(tiny: dict[str, Any]) -> None:
    m = MFPO(BoxEnv(horizon=20), **tiny)
    rec, stopper = Recorder(), Recorder(stop_at=130)
    m.learn(1_000, callback=[rec, stopper])
    assert m.num_timesteps == 130
    assert rec.events == ["start", "end"] and rec.n_calls == 130
    assert [e.timesteps for e in rec.episodes] == list(range(20, 121, 20))
    assert all(e.length == 20 for e in rec.episodes)
    calls: list[int] = []

    def fn(locals_: dict[str, Any], globals_: dict[str, Any]) -> bool:
        calls.append(locals_["self"].num_timesteps)
        return len(calls) < 7

    m.learn(100, callback=fn)
    assert calls == list(range(1, 8)) and m.num_timesteps == 7
    m.close()


def test_eval_callback(tiny: dict[str, Any], tmp_path: Path) -> None:
    m = MFPO("Pendulum-v1", **tiny)
    cb = mfpo.EvalCallback("Pendulum-v1", eval_freq=150, n_eval_episodes=2, log_path=tmp_path, seed=3, verbose=0)
    m.learn(450, callback=cb)
    assert [e["timesteps"] for e in cb.evaluations] == [150, 300, 450]
    assert all(e["mean_ep_length"] == 200 for e in cb.evaluations)
    assert cb.last_mean_reward == cb.evaluations[-1]["mean_reward"]
    assert cb.best_mean_reward == max(e["mean_reward"] for e in cb.evaluations)
    assert (tmp_path / "evaluations.csv").read_text().count("\n") == 4
    with np.load(tmp_path / "evaluations.npz") as npz:  # Stable-Baselines3's file
        assert npz["timesteps"].tolist() == [150, 300, 450]
        assert npz["results"].shape == npz["ep_lengths"].shape == (3, 2) and np.all(npz["ep_lengths"] == 200)
        assert npz["results"].mean(axis=1).tolist() == pytest.approx([e["mean_reward"] for e in cb.evaluations])
    # reward_threshold stops training at the first evaluation that reaches it.
    stop = mfpo.EvalCallback(
        gym.make("Pendulum-v1"), eval_freq=100, n_eval_episodes=1, reward_threshold=-1e9, verbose=0
    )
    m.learn(1_000, callback=stop)
    assert m.num_timesteps == 100 and len(stop.evaluations) == 1
    m.close()


def test_evaluate(tiny: dict[str, Any]) -> None:
    m = MFPO("Pendulum-v1", **tiny)
    mean, std = m.evaluate(n_episodes=2, seed=5)
    assert -2000 < mean < 0 and std >= 0
    returns, lengths = m.evaluate(gym.make("Pendulum-v1"), 2, mode="deterministic", seed=5, return_episode_rewards=True)
    assert len(returns) == 2 and lengths == [200, 200]
    again, _ = m.evaluate("Pendulum-v1", 2, mode="deterministic", seed=5, return_episode_rewards=True)
    assert again == returns
    m.close()


def test_terminating_episodes(tiny: dict[str, Any]) -> None:
    m = MFPO(BoxEnv(horizon=100, terminate_at=7), **tiny)
    m.learn(70)
    assert m.num_episodes == 10 and all(e.length == 7 for e in m.ep_info_buffer)
    m.close()


def _check_vector_run(m: MFPO, steps: int, horizon: int) -> None:
    m.learn(steps)
    info = m.info()
    assert m.num_timesteps >= steps and info["stored"] == m.num_timesteps
    assert info["updates"] == m.num_timesteps - TINY["learning_starts"] + 1
    assert m.num_episodes >= 1 and all(e.length == horizon for e in m.ep_info_buffer)
    a, _ = m.predict(np.zeros((m.n_envs, 3), np.float32))
    assert a.shape == (m.n_envs, 2)


@pytest.mark.parametrize("autoreset", ["NextStep", "SameStep", "Disabled"])
def test_learn_with_sync_vector_env(tiny: dict[str, Any], autoreset: str) -> None:
    env = gym.vector.SyncVectorEnv([functools.partial(BoxEnv, horizon=15)] * 3, autoreset_mode=autoreset)
    m = MFPO(env, **tiny)
    assert m.n_envs == 3
    _check_vector_run(m, 150, 15)
    env.close()
    m.close()


def test_learn_with_async_vector_env_spawn(tiny: dict[str, Any]) -> None:
    env = gym.vector.AsyncVectorEnv([functools.partial(gym.make, "Pendulum-v1")] * 2, context="spawn")
    m = MFPO(env, **tiny)
    m.learn(500)
    assert m.num_timesteps >= 500 and m.info()["stored"] == m.num_timesteps
    assert m.num_episodes == 2 and all(e.length == 200 for e in m.ep_info_buffer)
    env.close()
    m.close()


def test_make_vec_env(tiny: dict[str, Any]) -> None:
    env = mfpo.make_vec_env("Pendulum-v1", 2, asynchronous=True)
    assert isinstance(env, gym.vector.AsyncVectorEnv)
    m = MFPO(env, **tiny)
    m.learn(100)
    assert m.num_timesteps == 100
    env.close()
    m.close()
    sync = mfpo.make_vec_env("Pendulum-v1", 3)
    assert isinstance(sync, gym.vector.SyncVectorEnv) and sync.num_envs == 3
    sync.close()


def test_close_frees_the_go_agent(tiny: dict[str, Any]) -> None:
    from mfpo import _core

    before = _core.live_handles()
    m = MFPO("Pendulum-v1", **tiny)
    assert _core.live_handles() == before + 1
    m.close()
    assert _core.live_handles() == before
    with pytest.raises(mfpo.HandleError):
        m.predict(np.zeros(3, np.float32))
    m.close()  # twice is harmless
    with MFPO("Pendulum-v1", **tiny) as m2:
        m2.learn(10)
    assert _core.live_handles() == before
    # Garbage collection frees an agent that was never closed.
    MFPO("Pendulum-v1", **tiny)
    import gc

    gc.collect()
    assert _core.live_handles() == before


def test_config_json_roundtrip_through_go() -> None:
    cfg = mfpo.default_config("small")
    assert json.loads(json.dumps(cfg)) == cfg
    assert tuple(cfg) == mfpo.CONFIG_KEYS


def test_proposal_mix_is_a_config_key(tiny: dict[str, Any], tmp_path: Path) -> None:
    # The names come from Go; the typing Literal lists the same ones.
    import typing

    assert mfpo.PROPOSAL_MIXES == ("ess", "balance")
    assert set(typing.get_args(mfpo.ProposalMix)) == set(mfpo.PROPOSAL_MIXES)
    assert mfpo.default_config("paper")["proposal_mix"] == "ess" == mfpo.default_config("small")["proposal_mix"]
    m = MFPO(BoxEnv(), proposal_mix="balance", **tiny)
    assert m.config["proposal_mix"] == "balance"
    m.learn(100)  # updates run with the balance heuristic
    b = MFPO.load(m.save(tmp_path / "balance"))  # checkpoints carry it
    assert b.config["proposal_mix"] == "balance"
    m.close()
    b.close()
    with pytest.raises(mfpo.ConfigError, match="proposal_mix") as err:
        MFPO(BoxEnv(), proposal_mix="mis", **tiny)
    assert '"ess" or "balance"' in str(err.value)
