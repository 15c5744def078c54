"""MFPO.save / MFPO.load through mfpo's checkpoint format, exact resume,
mfpo.Policy and CheckpointCallback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import mfpo
from mfpo import _core

from conftest import BoxEnv, DictObsEnv


def trained(tiny: dict[str, Any], env: Any = None, steps: int = 200) -> mfpo.MFPO:
    model = mfpo.MFPO(env if env is not None else BoxEnv(low=[-2, 0], high=[2, 0.5]), **tiny)
    return model.learn(steps)


OBS = np.array([[0.1, -0.2, 0.3], [0.5, 0.5, -1.0], [2.0, 0.0, 0.0]], np.float32)


def test_round_trip_gives_identical_predictions(tiny: dict[str, Any], tmp_path: Path) -> None:
    a = trained(tiny)
    path = a.save(tmp_path / "model")
    assert path == tmp_path / "model.mfpo" and path.stat().st_size > 0
    b = mfpo.MFPO.load(tmp_path / "model")  # the suffix may be left out
    assert b.num_timesteps == 200 and b.config == a.config and b.preset is None
    assert b.action_space == a.action_space and b.observation_space.shape == (3,)
    assert b.info()["updates"] == a.info()["updates"] and b.info()["buffer_len"] == 0  # saved without replay
    for mode in ("deterministic", "best_of_n", "sample"):  # the random generator is saved too
        np.testing.assert_array_equal(a.predict(OBS, mode=mode)[0], b.predict(OBS, mode=mode)[0])
    act, _ = b.predict(OBS[0], deterministic=True)
    assert act.shape == (2,) and -2 <= act[0] <= 2 and 0 <= act[1] <= 0.5
    a.close()
    b.close()


def test_exact_resume(tiny: dict[str, Any], tmp_path: Path) -> None:
    """learn(600), save with the replay buffer at an episode's end, learn(400)
    equals load + learn(400): every parameter, optimiser state, α, random
    state and replay row (the checkpoints' bytes), and the actions."""
    kw = {**tiny, "seed": 7}
    a = mfpo.MFPO("Pendulum-v1", **kw).learn(600)  # Pendulum's episodes are 200 steps
    a.save(tmp_path / "at600.mfpo", replay_buffer=True)
    a.learn(400)
    b = mfpo.MFPO.load(tmp_path / "at600.mfpo", env="Pendulum-v1", verbose=0)
    assert b.info()["buffer_len"] == 600 and b.num_timesteps == 600
    b.learn(400)
    assert a.info() == b.info()
    assert a._agent.marshal("replay") == b._agent.marshal("replay")
    obs = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, -3.0]], np.float32)
    for mode in ("sample", "best_of_n"):
        np.testing.assert_array_equal(a.predict(obs, mode=mode)[0], b.predict(obs, mode=mode)[0])
    # Without the replay buffer the loaded agent has none and cannot update.
    a.save(tmp_path / "noreplay.mfpo")
    c = mfpo.MFPO.load(tmp_path / "noreplay.mfpo", env="Pendulum-v1", verbose=0)
    assert c.info()["buffer_len"] == 0 and c.info()["stored"] == 1000
    for m in (a, b, c):
        m.close()


def test_load_without_env_predicts_and_refuses_to_learn(tiny: dict[str, Any], tmp_path: Path) -> None:
    a = trained(tiny)
    a.save(tmp_path / "m.mfpo")
    b = mfpo.MFPO.load(tmp_path / "m.mfpo")
    assert b.get_env() is None and b.n_envs == 1
    with pytest.raises(mfpo.ConfigError, match="no env"):
        b.learn(10)
    with pytest.raises(mfpo.ConfigError, match="give an env"):
        b.evaluate(n_episodes=1)
    b.set_env(BoxEnv(low=[-2, 0], high=[2, 0.5]))
    b.learn(50)
    assert b.info()["stored"] == 250
    with pytest.raises(mfpo.ConfigError, match="differ from the model's"):
        b.set_env(BoxEnv(low=[-1, 0], high=[2, 0.5]))  # another action box
    with pytest.raises(mfpo.ConfigError, match="differ from the model's"):
        mfpo.MFPO.load(tmp_path / "m.mfpo", env=BoxEnv(obs_dim=4, low=[-2, 0], high=[2, 0.5]))
    a.close()
    b.close()


def test_dict_observations_round_trip(tiny: dict[str, Any], tmp_path: Path) -> None:
    a = trained(tiny, DictObsEnv(), steps=100)
    a.save(tmp_path / "d.mfpo")
    b = mfpo.MFPO.load(tmp_path / "d.mfpo", env=DictObsEnv())
    obs = DictObsEnv().reset(seed=0)[0]
    np.testing.assert_array_equal(a.predict(obs, mode="deterministic")[0], b.predict(obs, mode="deterministic")[0])
    flat = mfpo.MFPO.load(tmp_path / "d.mfpo")  # no env: the saved Dict space
    assert flat.observation_space == DictObsEnv().observation_space
    np.testing.assert_array_equal(
        a.predict(obs, mode="deterministic")[0],
        flat.predict(obs, mode="deterministic")[0],
    )
    for m in (a, b, flat):
        m.close()


def corrupt(data: bytes) -> dict[str, bytes]:
    mid = len(data) // 2
    return {
        "empty": b"",
        "truncated": data[: len(data) - 100],
        "flipped": data[:mid] + bytes([data[mid] ^ 0x10]) + data[mid + 1 :],
        "foreign": b"PK\x03\x04" + bytes(200),
    }


def test_bad_checkpoints_raise_typed_errors(tiny: dict[str, Any], tmp_path: Path) -> None:
    a = trained(tiny)
    good = a.save(tmp_path / "good.mfpo").read_bytes()
    for name, data in corrupt(good).items():
        p = tmp_path / f"{name}.mfpo"
        p.write_bytes(data)
        with pytest.raises(mfpo.CheckpointError) as err:
            mfpo.MFPO.load(p)
        assert str(p) in str(err.value) or name == "empty", err.value
        if name in ("empty", "truncated"):  # said so, whatever part of the tree the cut reached
            assert "truncated" in str(err.value), err.value
        with pytest.raises(mfpo.CheckpointError):
            mfpo.Policy.load(data)
    for n in (8, 9, len(good) // 3, len(good) // 2, len(good) - 1):
        (tmp_path / "cut.mfpo").write_bytes(good[:n])
        with pytest.raises(mfpo.CheckpointError, match="truncated"):
            mfpo.MFPO.load(tmp_path / "cut.mfpo")
        with pytest.raises(mfpo.CheckpointError, match="truncated"):
            mfpo.Policy.load(good[:n])
    with pytest.raises(FileNotFoundError, match="missing"):
        mfpo.MFPO.load(tmp_path / "missing.mfpo")
    a.save(tmp_path / "p.mfpo", policy_only=True)
    with pytest.raises(mfpo.CheckpointError, match=r"policy-only checkpoint.*load it as a policy \(mfpo\.Policy\.load"):
        mfpo.MFPO.load(tmp_path / "p.mfpo")
    with pytest.raises(mfpo.ConfigError, match="policy-only"):
        a.save(tmp_path / "x.mfpo", replay_buffer=True, policy_only=True)
    (tmp_path / "file").write_text("")
    with pytest.raises(mfpo.CheckpointIOError):  # a folder that cannot be made (save makes missing ones)
        a.save(tmp_path / "file" / "x.mfpo")
    assert isinstance(mfpo.CheckpointIOError("x"), OSError) and isinstance(mfpo.CheckpointError("x"), ValueError)
    a.close()


def test_policy(tiny: dict[str, Any], tmp_path: Path) -> None:
    a = trained(tiny)
    a.save(tmp_path / "p.mfpo", policy_only=True)
    full = a.save(tmp_path / "f.mfpo")
    live = _core.live_policies()
    snap = a.snapshot()
    loaded = mfpo.Policy.load(tmp_path / "p")
    from_bytes = mfpo.Policy.load(full.read_bytes())
    assert loaded.info is not None and loaded.info["kind"] == "policy" and from_bytes.info["kind"] == "full"
    assert loaded.obs_shape == (3,) and loaded.act_dim == 2 and loaded.action_space == a.action_space
    for mode in ("sample", "best_of_n", "deterministic"):
        want = snap.act(OBS, mode, seed=11)
        assert want.shape == (3, 2) and want.dtype == np.float32
        assert (
            np.all(want[:, 0] >= -2)
            and np.all(want[:, 0] <= 2)
            and np.all(want[:, 1] >= 0)
            and np.all(want[:, 1] <= 0.5)
        )
        for p in (loaded, from_bytes):
            np.testing.assert_array_equal(p.act(OBS, mode, seed=11), want)
            np.testing.assert_array_equal(p.act(OBS[1], mode, seed=11), p.act(OBS[1:2], mode, seed=11)[0])
        assert (mode == "deterministic") == np.array_equal(snap.act(OBS, mode, seed=12), want)
    assert np.array_equal(snap.act(OBS, "sample", seed=2**64 - 1), loaded.act(OBS, "sample", seed=2**64 - 1))
    with pytest.raises(mfpo.ShapeError, match=r"\(3,\)"):
        loaded.act(np.zeros(4))
    with pytest.raises(mfpo.NonFiniteError):
        loaded.act(np.array([0, np.nan, 0]))
    with pytest.raises(mfpo.ConfigError, match="mode"):
        loaded.act(OBS, "explore")  # type: ignore[arg-type]
    with pytest.raises(mfpo.ConfigError, match="seed"):
        loaded.act(OBS, seed=-1)
    with pytest.raises(TypeError):
        mfpo.Policy()
    for p in (snap, loaded, from_bytes):
        p.close()
    with pytest.raises(mfpo.HandleError):
        loaded.act(OBS)
    assert _core.live_policies() == live
    a.close()


def test_checkpoint_callback(tiny: dict[str, Any], tmp_path: Path) -> None:
    cb = mfpo.CheckpointCallback(save_freq=60, save_path=tmp_path / "ckpts", name_prefix="run", save_replay_buffer=True)
    model = mfpo.MFPO(BoxEnv(), **tiny).learn(200, callback=cb)
    names = sorted(p.name for p in (tmp_path / "ckpts").iterdir())
    assert (
        names == ["run_120_steps.mfpo", "run_180_steps.mfpo", "run_60_steps.mfpo"]
        and cb.saved[0].name == "run_60_steps.mfpo"
    )
    m = mfpo.MFPO.load(cb.saved[-1])
    assert m.num_timesteps == 180 and m.info()["buffer_len"] == 180
    with pytest.raises(mfpo.ConfigError, match="save_freq"):
        mfpo.CheckpointCallback(0, tmp_path)
    model.close()
    m.close()


def test_evaluation_leaves_training_alone(tiny: dict[str, Any]) -> None:
    """A run's whole state (the checkpoint's bytes: parameters, optimiser
    states, α, random generator, replay) is bit-identical with and without
    evaluations (predict in every mode, EvalCallback) in between: acting
    outside learn() draws from its own stream."""
    kw = {**tiny, "seed": 3}
    plain = mfpo.MFPO("Pendulum-v1", **kw).learn(500)
    evaluated = mfpo.MFPO("Pendulum-v1", **kw)
    obs = np.zeros(3, np.float32)
    for mode in ("sample", "best_of_n", "deterministic"):
        evaluated.predict(obs, mode=mode)
    evaluated.learn(500, callback=mfpo.EvalCallback("Pendulum-v1", eval_freq=150, n_eval_episodes=1))
    assert plain._agent.marshal("replay") == evaluated._agent.marshal("replay")


def test_deterministic_is_deterministic(tiny: dict[str, Any]) -> None:
    """deterministic=True gives the same action for the same observation,
    whatever came before; sample and best_of_n draw fresh noise each call."""
    model = mfpo.MFPO("Pendulum-v1", **tiny).learn(300)
    obs = np.array([0.5, -0.3, 0.2], np.float32)
    first = model.predict(obs, deterministic=True)[0]
    model.predict(obs, mode="sample")
    assert np.array_equal(model.predict(obs, deterministic=True)[0], first)
    assert np.array_equal(model.predict(np.stack([obs, obs]), deterministic=True)[0][1], first)
    samples = {model.predict(obs)[0].tobytes() for _ in range(5)}
    assert len(samples) > 1
