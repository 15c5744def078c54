"""Bad input raises mfpo's typed exceptions, with messages that say what was
expected and what came."""

from __future__ import annotations

import multiprocessing
from typing import Any

import gymnasium as gym
import numpy as np
import pytest

import mfpo
from mfpo import MFPO, ConfigError, NonFiniteError, ShapeError

from conftest import BoxEnv, DictObsEnv


def test_exception_hierarchy() -> None:
    for cls in (ConfigError, ShapeError, NonFiniteError):
        assert issubclass(cls, mfpo.MFPOError) and issubclass(cls, ValueError)
    for cls in (mfpo.NotEnoughDataError, mfpo.UpdateError, mfpo.HandleError):
        assert issubclass(cls, mfpo.MFPOError) and not issubclass(cls, ValueError)


def test_discrete_action_space() -> None:
    with pytest.raises(ConfigError, match=r"continuous action space.*Box.*Discrete\(2\)"):
        MFPO("CartPole-v1", verbose=0)


def test_infinite_action_bounds() -> None:
    env = BoxEnv(low=-np.inf, high=np.inf)
    with pytest.raises(ConfigError, match="finite action bounds"):
        MFPO(env, verbose=0)


def test_unknown_keyword_argument_suggests_the_key() -> None:
    msg = r"unknown keyword argument 'polcy_samples'; did you mean 'policy_samples'"
    with pytest.raises(ConfigError, match=msg) as e:
        MFPO("Pendulum-v1", polcy_samples=4)
    assert isinstance(e.value, ValueError)
    with pytest.raises(ConfigError, match="unknown keyword argument 'frobnicate'.*expected one of: hidden"):
        MFPO("Pendulum-v1", frobnicate=1)


@pytest.mark.parametrize(
    "kwargs, key",
    [
        ({"policy_samples": 0}, "policy_samples"),
        ({"gamma": 1.5}, "gamma"),
        ({"gamma": "high"}, "gamma"),
        ({"hidden": [64, -1]}, "hidden"),
        ({"time_sampler": {"meen": 0.0}}, "meen"),
        ({"time_sampler": {"std": -1.0}}, "time_sampler"),
        ({"batch_size": 512, "buffer_size": 100}, "buffer_size"),
        ({"actor_lr": float("nan")}, "actor_lr"),
        ({"steps": 2.5}, "steps"),
    ],
)
def test_invalid_values_name_the_key(kwargs: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        MFPO("Pendulum-v1", verbose=0, **kwargs)


def test_unknown_preset() -> None:
    with pytest.raises(ConfigError, match=r"unknown preset 'huge'.*'paper', 'small'"):
        MFPO("Pendulum-v1", preset="huge")
    with pytest.raises(ConfigError):
        mfpo.default_config("huge")


def test_env_of_the_wrong_type() -> None:
    with pytest.raises(ConfigError, match="expected a gymnasium.Env.*got int"):
        MFPO(42, verbose=0)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="env_kwargs"):
        MFPO(gym.make("Pendulum-v1"), env_kwargs={"g": 9.0})


@pytest.fixture(scope="module")
def model() -> Any:
    m = MFPO("Pendulum-v1", preset="small", hidden=[8], batch_size=8, policy_samples=2, posterior_samples=2,
             shards=1, verbose=0)
    yield m
    m.close()


def test_predict_wrong_shape(model: MFPO) -> None:
    with pytest.raises(
        ShapeError, match=r"expected shape \(3,\) for one observation or \(n, 3\) for a batch; got \(4,\)"
    ):
        model.predict(np.zeros(4, np.float32))
    with pytest.raises(ShapeError, match=r"got \(2, 4\)"):
        model.predict(np.zeros((2, 4), np.float32))
    with pytest.raises(ShapeError, match=r"got \(2, 2, 3\)"):
        model.predict(np.zeros((2, 2, 3), np.float32))
    with pytest.raises(ShapeError, match=r"a batch of shape \(0, 3\) has no rows; expected \(n, 3\) with n ≥ 1"):
        model.predict(np.zeros((0, 3), np.float32))
    with pytest.raises(ShapeError, match=r"a batch of shape \(0, 3\) has no rows"):
        model.snapshot().act(np.zeros((0, 3), np.float32))


def test_predict_wrong_dtype(model: MFPO) -> None:
    with pytest.raises(ShapeError, match=r"expected real numbers; got dtype <U"):
        model.predict(np.array(["a", "b", "c"]))
    with pytest.raises(ShapeError, match=r"expected real numbers; got dtype complex"):
        model.predict(np.zeros(3, np.complex64))
    with pytest.raises(ShapeError, match=r"got dtype object"):
        model.predict([None, 1.0, 2.0])


def test_predict_nan_observation(model: MFPO) -> None:
    with pytest.raises(NonFiniteError, match=r"observation row 1 has nan at element 2 of its 3"):
        model.predict(np.array([[0, 0, 0], [0, 0, np.nan]], np.float32))
    with pytest.raises(NonFiniteError, match="inf"):
        model.predict(np.array([np.inf, 0, 0]))


def test_predict_unknown_mode(model: MFPO) -> None:
    with pytest.raises(ConfigError, match=r"unknown mode 'greedy'.*'sample', 'best_of_n', 'deterministic'"):
        model.predict(np.zeros(3, np.float32), mode="greedy")  # type: ignore[arg-type]


def test_dict_observation_errors() -> None:
    m = MFPO(DictObsEnv(), preset="small", hidden=[8], batch_size=8, shards=1, verbose=0)
    obs, _ = m.env.reset(seed=0)
    with pytest.raises(ShapeError, match=r"lacks the key\(s\) \['velocity'\]"):
        m.predict({k: v for k, v in obs.items() if k != "velocity"})
    with pytest.raises(ShapeError, match=r"expected a dict with keys"):
        m.predict(np.zeros(9, np.float32))
    with pytest.raises(ShapeError, match=r"observation\['position'\]: expected shape \(2,\)"):
        m.predict(dict(obs, position=np.zeros(5)))
    with pytest.raises(ShapeError, match="batch sizes differ"):
        m.predict(dict(obs, position=np.zeros((4, 2))))
    m.close()


def test_evaluate_with_an_incompatible_env(model: MFPO) -> None:
    with pytest.raises(ConfigError, match="differ from the model's"):
        model.evaluate(BoxEnv(), 1)
    with pytest.raises(ConfigError, match="single env"):
        model.evaluate(gym.vector.SyncVectorEnv([lambda: gym.make("Pendulum-v1")]), 1)  # type: ignore[arg-type]


class _ForkedVectorEnv(gym.vector.AsyncVectorEnv):
    """An AsyncVectorEnv as one made with context="fork" looks to mfpo: its
    worker processes are ForkProcess objects. No process is started (a
    forked copy of this process, which runs a Go runtime, could hang)."""

    def __init__(self, method: str | None) -> None:
        ctx = multiprocessing.get_context(method)
        self.processes = [ctx.Process(target=print)]

    def __del__(self) -> None:
        pass


def test_vector_env_started_with_fork_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"started with 'fork'.*context=\"spawn\""):
        MFPO(_ForkedVectorEnv("fork"), verbose=0)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="Go runtime hangs"):
        mfpo.make_vec_env("Pendulum-v1", 2, asynchronous=True, context="fork")
    mfpo.envs.check_start_method(_ForkedVectorEnv("spawn"))  # no error
    if multiprocessing.get_start_method() == "fork":
        with pytest.raises(ConfigError):
            mfpo.envs.check_start_method(_ForkedVectorEnv(None))  # the default context


def test_callback_of_the_wrong_type(model: MFPO) -> None:
    with pytest.raises(ConfigError, match="callback: expected a BaseCallback"):
        model.learn(10, callback=42)  # type: ignore[arg-type]


class _BigRewardEnv(BoxEnv):
    def step(self, action: Any) -> Any:
        obs, _, term, trunc, info = super().step(action)
        return obs, 1e300, term, trunc, info


def test_numbers_beyond_float32_are_named_as_given(model: MFPO) -> None:
    """1e300 is finite: it is refused as 1e300 (float32 cannot hold it),
    never as the infinity a cast would make of it."""
    msg = r"is 1e\+300, beyond float32's range"
    with pytest.raises(NonFiniteError, match=r"observation at index 1 " + msg):
        model.predict(np.array([0.0, 1e300, 0.0]))
    with pytest.raises(NonFiniteError, match=r"at index \(1, 0\) " + msg):
        model.snapshot().act(np.array([[0.0, 0.0, 0.0], [1e300, 0.0, 0.0]]))
    with pytest.raises(NonFiniteError, match=r"the environment's reward at index 0 " + msg):
        MFPO(_BigRewardEnv(), learning_starts=4, batch_size=4, buffer_size=64, verbose=0).learn(2)
    with pytest.raises(ConfigError, match=r"v_max = 1e\+300: want a finite number of magnitude ≤ 1e\+12"):
        MFPO("Pendulum-v1", v_max=1e300, verbose=0)
    with pytest.raises(ConfigError, match=r"init_alpha = 1e\+300: want α > 0 within float32's range"):
        MFPO("Pendulum-v1", init_alpha=1e300, verbose=0)


def test_config_messages_speak_json() -> None:
    with pytest.raises(ConfigError, match=r'gamma = "x": want a number$'):
        MFPO("Pendulum-v1", gamma="x", verbose=0)
    with pytest.raises(ConfigError, match=r"seed = -1: want an integer 0 … 2\^64−1, without fraction or exponent$"):
        MFPO("Pendulum-v1", seed=-1, verbose=0)
    with pytest.raises(ConfigError, match=r"buffer_size = 10: want ≥ batch_size \(20\)$"):
        MFPO("Pendulum-v1", buffer_size=10, batch_size=20, verbose=0)
    with pytest.raises(ConfigError, match=r"v_min = 5: want v_min < v_max \(1\)$"):
        MFPO("Pendulum-v1", v_min=5.0, v_max=1.0, verbose=0)


def test_closed_model_and_policy_say_closed() -> None:
    m = MFPO("Pendulum-v1", preset="small", hidden=[8], verbose=0)
    p = m.snapshot()
    m.close()
    for call in (lambda: m.predict(np.zeros(3)), lambda: m.save("unused.mfpo"), lambda: m.snapshot()):
        with pytest.raises(mfpo.HandleError, match=r"^this MFPO model is closed \(close\(\) was called\)"):
            call()
    p.close()
    with pytest.raises(mfpo.HandleError, match=r"^this Policy is closed \(close\(\) was called\)"):
        p.act(np.zeros(3))
