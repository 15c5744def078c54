"""Stable-Baselines3 habits that work with MFPO: SAC's arguments
(mfpo/sb3.py), its methods, callbacks and spaces; and the defects found by
trying them (observation range checks, load without an env, save into a new
folder)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

import mfpo
from mfpo import MFPO, ConfigError, ShapeError
from mfpo.envs import ObsFlattener, describe_space, space_from_json
from mfpo.sb3 import SAC_ARGUMENTS

from conftest import BoxEnv

DOCS = Path(__file__).resolve().parents[2] / "docs" / "python.md"


class SpaceEnv(gym.Env[Any, np.ndarray]):
    """Observations of any space (sampled from it, seeded), a Box action."""

    def __init__(self, observation_space: spaces.Space[Any], bad: Any = None, horizon: int = 10) -> None:
        self.observation_space = observation_space
        self.action_space = spaces.Box(-1, 1, (1,), np.float32)
        self.bad, self.horizon = bad, horizon

    def reset(self, *, seed: int | None = None, options: Any = None) -> tuple[Any, dict[str, Any]]:
        super().reset(seed=seed)
        self.observation_space.seed(seed)
        self.t = 0
        return self.observation_space.sample(), {}

    def step(self, action: np.ndarray) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        self.t += 1
        obs = self.bad if self.bad is not None and self.t == 5 else self.observation_space.sample()
        return obs, float(action[0]), False, self.t >= self.horizon, {}


@pytest.mark.parametrize("space, good, bads", [
    (spaces.Discrete(5, start=2), [2, 6, np.int64(4), 3.0], [0, 2.9, 7, 1, np.nan, -1]),
    (spaces.MultiDiscrete([2, 3]), [[0, 0], [1, 2]], [[2, 0], [0, 3], [-1, 0], [0.5, 1]]),
    (spaces.MultiBinary(3), [[0, 1, 1], [True, False, True]], [[0, 2, 1], [0, -1, 0]]),
])
def test_discrete_observations_are_range_checked(space: spaces.Space[Any], good: list[Any], bads: list[Any]) -> None:
    flat = ObsFlattener(space)
    for obs in good:
        rows, _ = flat.rows(np.asarray(obs))
        assert np.array_equal(rows[0], spaces.utils.flatten(space, np.asarray(obs).astype(np.int64)))
    for obs in bads:
        with pytest.raises(ShapeError, match=r"expected a whole number in \d+ … \d+ for"):
            flat.rows(np.asarray(obs))


def test_an_env_emitting_an_out_of_range_observation_stops_learn_with_a_clear_error(tiny: dict[str, Any]) -> None:
    env = SpaceEnv(spaces.Discrete(4), bad=np.int64(9))
    with MFPO(env, **tiny) as model, pytest.raises(ShapeError, match=r"the environment's observation: .* got 9"):
        model.learn(20)


def test_load_without_an_env_keeps_the_observation_space(tiny: dict[str, Any], tmp_path: Path) -> None:
    space = spaces.Dict({"pos": spaces.Box(-2, 2, (2,), np.float32), "mode": spaces.Discrete(3)})
    with MFPO(SpaceEnv(space), **tiny) as model:
        obs = space.sample()
        want = model.predict(obs, deterministic=True)[0]
        path = model.save(tmp_path / "new" / "folder" / "dict")  # SB3 creates the folders too
    loaded = MFPO.load(path)
    assert loaded.observation_space == space
    assert np.array_equal(loaded.predict(obs, deterministic=True)[0], want)
    # Same sizes, other bounds: refused.
    other = spaces.Dict({"pos": spaces.Box(-3, 3, (2,), np.float32), "mode": spaces.Discrete(3)})
    with pytest.raises(ConfigError, match="differ from the model's"):
        loaded.set_env(SpaceEnv(other))
    loaded.set_env(SpaceEnv(space))
    loaded.close()


@pytest.mark.parametrize("space", [
    spaces.Box(-np.inf, np.inf, (3,), np.float32),
    spaces.Box(np.array([-1, 0], np.float32), np.array([np.inf, 2], np.float32)),
    spaces.Tuple([spaces.MultiDiscrete([2, 3], start=[1, -1]), spaces.MultiBinary(4)]),
    spaces.Dict({"b": spaces.Discrete(5, start=2), "a": spaces.Box(0, 255, (2, 2), np.uint8)}),
])
def test_space_descriptions_round_trip(space: spaces.Space[Any]) -> None:
    assert space_from_json(describe_space(space)) == space


def test_sb3_constructor_arguments(tiny: dict[str, Any]) -> None:
    kw = {k: v for k, v in tiny.items() if k != "hidden"}
    model = MFPO("MlpPolicy", "Pendulum-v1", 1e-3, policy_kwargs=dict(net_arch=[16, 8]), device="cpu",
                 train_freq=1, gradient_steps=1, ent_coef="auto_0.2", stats_window_size=7, **kw)
    c = model.config
    assert c["hidden"] == [16, 8] and c["init_alpha"] == pytest.approx(0.2) and model.device == "cpu"
    assert [c[k] for k in ("actor_lr", "adn_lr", "critic_lr", "alpha_lr")] == [1e-3] * 4
    assert model.ep_info_buffer.maxlen == 7
    model.close()
    with pytest.raises(ConfigError, match="policy = 'CnnPolicy'"):
        MFPO("CnnPolicy", "Pendulum-v1", **kw)
    with pytest.raises(ConfigError, match="gradient_steps = 4: one update per stored transition"):
        MFPO("MlpPolicy", "Pendulum-v1", gradient_steps=4, **kw)
    with pytest.raises(ConfigError, match="net_arch"):
        MFPO("MlpPolicy", "Pendulum-v1", policy_kwargs=dict(net_arch=dict(pi=[8], qf=[16])), **kw)


def test_seed_none_is_random_and_a_seed_is_kept(tiny: dict[str, Any]) -> None:
    seeds = set()
    for _ in range(3):
        with MFPO(BoxEnv(), **tiny) as m:
            seeds.add(m.config["seed"])
    assert len(seeds) == 3
    with MFPO(BoxEnv(), seed=5, **tiny) as m:
        assert m.config["seed"] == 5


def test_learning_rate_schedule_reaches_the_optimisers(tiny: dict[str, Any], tmp_path: Path) -> None:
    calls: list[float] = []

    def schedule(progress: float) -> float:
        calls.append(progress)
        return 1e-3 * max(progress, 0.1)

    with MFPO(BoxEnv(), learning_rate=schedule, **tiny) as model:
        model.learn(200)
        # SB3's progress remaining: 1 − num_timesteps / total, down to 0 at the last step.
        assert calls[0] == 1.0 and calls[-1] == 0.0 and calls == sorted(calls, reverse=True)
        ckpt = mfpo.checkpoint.read(model._agent.marshal("full"))
        assert ckpt.optimizers["policy_opt"]["lr"] == pytest.approx(schedule(calls[-1]))


def test_get_and_set_parameters(tiny: dict[str, Any]) -> None:
    with MFPO(BoxEnv(), **tiny) as model:
        model.learn(100)
        params = model.get_parameters()
        assert {"policy/params", "critic1/params", "target_critic2/params", "policy_opt/m"} <= set(params)
        obs = np.zeros(3, np.float32)
        before = model.predict(obs, deterministic=True)[0]
        model.set_parameters({k: v * 0 for k, v in params.items()})
        assert not np.array_equal(model.predict(obs, deterministic=True)[0], before)
        model.set_parameters(params)
        assert np.array_equal(model.predict(obs, deterministic=True)[0], before)
        with pytest.raises(ConfigError, match="missing names"):
            model.set_parameters({"policy/params": params["policy/params"]})
        with pytest.raises(ShapeError, match="policy/params"):
            model.set_parameters({**params, "policy/params": params["policy/params"][:-1]})


def test_replay_buffer_save_load_and_attribute(tiny: dict[str, Any], tmp_path: Path) -> None:
    """SB3's save_replay_buffer / load_replay_buffer / replay_buffer, mapped
    onto the checkpoint's replay."""
    with MFPO(BoxEnv(horizon=7, terminate_at=5), **tiny) as model:
        model.learn(40)
        buf = model.replay_buffer
        assert buf.size() == len(buf) == 40 and buf.buffer_size == tiny["buffer_size"] and buf.pos == 40
        assert buf.full == (40 == tiny["buffer_size"])
        assert buf.observations.shape == buf.next_observations.shape == (40, 3) and buf.actions.shape == (40, 2)
        assert buf.rewards.shape == buf.dones.shape == (40,) and np.all(np.abs(buf.actions) <= 1)
        assert set(np.unique(buf.dones)) <= {0.0, 1.0} and buf.dones.sum() >= 1  # the terminations
        path = model.save_replay_buffer(tmp_path / "buffer")
        assert path == tmp_path / "buffer.mfpo"
        saved = buf.observations.copy()
        with MFPO(BoxEnv(), **tiny) as other:
            assert other.replay_buffer.size() == 0
            other.load_replay_buffer(tmp_path / "buffer")
            got = other.replay_buffer
            assert got.size() == 40 and np.array_equal(got.observations, saved)
            assert np.array_equal(got.actions, buf.actions) and np.array_equal(got.dones, buf.dones)
            assert other.num_timesteps == 0 and other._agent.info()["stored"] == 40  # the Go count: ≥ the rows held
            other.learn(1)  # and trains on
            assert other.replay_buffer.size() == 41 and other.num_timesteps == 1
        model.save(tmp_path / "nobuf.mfpo")
        with pytest.raises(mfpo.CheckpointError, match="holds no replay buffer"):
            model.load_replay_buffer(tmp_path / "nobuf.mfpo")
        with MFPO(BoxEnv(), **{**tiny, "buffer_size": tiny["buffer_size"] * 2}) as bigger:
            with pytest.raises(ConfigError, match=r"buffer_size"):
                bigger.load_replay_buffer(path)
        with MFPO(BoxEnv(obs_dim=4), **tiny) as wider:
            with pytest.raises(ShapeError, match=r"obs_dim 3 .* the agent's 4"):
                wider.load_replay_buffer(path)
        with pytest.raises(FileNotFoundError):
            model.load_replay_buffer(tmp_path / "missing")


def test_model_policy_is_an_object_with_predict(tiny: dict[str, Any]) -> None:
    with MFPO(BoxEnv(), **tiny) as model:
        obs = np.ones(3, np.float32)
        want = model.predict(obs, deterministic=True)[0]
        assert np.array_equal(model.policy.predict(obs, deterministic=True)[0], want)
        snap = model.policy.snapshot()
        assert isinstance(snap, mfpo.Policy) and snap.act_dim == 2
        snap.close()


def test_device(tiny: dict[str, Any], tmp_path: Path) -> None:
    """device= as in SB3: "cpu" and "auto" make an agent that reports where
    it runs; "cuda" in a build without CUDA (or on a machine without a GPU)
    is a ConfigError naming what is missing; other names are refused."""
    with MFPO(BoxEnv(), device="cpu", **tiny) as model:
        assert model.device == "cpu"
        path = model.save(tmp_path / "m")
    cuda_built = "cuda" in mfpo.build_info()["devices"].split(",")
    with MFPO(BoxEnv(), device="auto", **tiny) as model:
        assert model.device in (("cpu", "cuda") if cuda_built else ("cpu",))
    if not cuda_built:
        with pytest.raises(ConfigError, match=r"device = cuda: mfpo was built without CUDA \(build tag cuda\)"):
            MFPO(BoxEnv(), device="cuda", **tiny)
    for bad in ("tpu", "cuda:1"):
        with pytest.raises(ConfigError, match="want 'auto', 'cpu' or 'cuda'"):
            MFPO(BoxEnv(), device=bad, **tiny)
    with pytest.raises(ConfigError, match="loads onto the CPU"):
        MFPO.load(path, device="cuda")
    loaded = MFPO.load(path, device="auto")
    assert loaded.device == "cpu"
    loaded.close()


def test_load_takes_device_and_custom_objects(tiny: dict[str, Any], tmp_path: Path) -> None:
    with MFPO(BoxEnv(), **tiny) as model:
        path = model.save(tmp_path / "m")
    loaded = MFPO.load(path, device="cpu", custom_objects={"learning_rate": 0.0005})
    assert mfpo.checkpoint.read(loaded._agent.marshal("full")).optimizers["adn_opt"]["lr"] == pytest.approx(5e-4)
    loaded.close()
    with pytest.raises(ConfigError, match="only learning_rate and lr_schedule"):
        MFPO.load(path, custom_objects={"observation_space": None})


def test_callback_locals_are_sb3s(tiny: dict[str, Any]) -> None:
    seen: list[set[str]] = []

    class Spy(mfpo.BaseCallback):
        def _on_step(self) -> bool:
            seen.append({k for k in ("rewards", "dones", "infos", "new_obs", "actions", "env") if k in self.locals})
            assert self.training_env is self.model.get_env()
            return len(seen) < 5

    with MFPO(BoxEnv(), **tiny) as model:
        model.learn(50, callback=Spy())
    assert len(seen) == 5 and all(s == {"rewards", "dones", "infos", "new_obs", "actions", "env"} for s in seen)


def test_the_docs_table_lists_every_sb3_argument() -> None:
    text = DOCS.read_text()
    table = text[text.index("### Stable-Baselines3"):]
    for name in [*SAC_ARGUMENTS, "learning_rate", "policy", "policy_kwargs", "device", "seed"]:
        assert re.search(rf"^\| `{re.escape(name)}`", table, re.M), f"docs/python.md's SB3 table lacks {name}"
