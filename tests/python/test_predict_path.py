"""The one-observation acting path from Python, whose short path
(MFPO.predict → ObsFlattener.one_row → _core.Agent.act_one → the handle's
buffers → bindings.ActAt by address → ActionBox.shaped_one) must give
exactly what the plain steps give (ObsFlattener.rows → check_finite →
arrays of their own → ActionBox.shaped): the same actions, dtypes and
shapes, the evaluation stream's seeds, the same errors in the same order
with no seed drawn, and no Go handle left behind."""

from __future__ import annotations

import gc
import math
import threading
import warnings
from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
import pytest

import mfpo
from mfpo import MFPO, NonFiniteError, _core, agent
from mfpo._gopy import _mfpo
from mfpo.envs import check_finite, fits_f32

from conftest import BoxEnv

F32_MAX = float(np.finfo(np.float32).max)


class ShapedEnv(BoxEnv):
    """BoxEnv with a (3, 1) float64 observation Box and a (2, 1) float64
    action Box: the shapes and dtypes the short path must reshape and cast."""

    def __init__(self) -> None:
        super().__init__(low=-2.0, high=3.0, act_shape=(2, 1))
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (3, 1), np.float64)
        self.action_space = gym.spaces.Box(-2.0, 3.0, (2, 1), np.float64)

    def reset(self, **kw: Any) -> tuple[np.ndarray, dict[str, Any]]:
        obs, info = super().reset(**kw)
        return obs.astype(np.float64).reshape(3, 1), info


def eval_stream(seed: int) -> np.random.PCG64:
    """A twin of a model's predict seed stream."""
    return np.random.PCG64(np.random.SeedSequence([seed, agent._EVAL_STREAM]))


def plain_predict(m: MFPO, obs: Any, mode: str, stream: np.random.PCG64) -> np.ndarray:
    """predict by the plain steps: flatten and check, draw the seed, act on
    arrays of the call's own (never the handle's buffers), shape."""
    rows, batched = m._obs.rows(obs)
    check_finite(rows)
    seed = stream.random_raw()
    out = m._agent._acting.rows(m._agent._live(), rows, mode, seed)
    a = m._act.shaped(out)
    return a if batched else a[0]


def outcome(f: Callable[[], Any]) -> tuple[str, Any]:
    """f's result, or its exception's class and message."""
    try:
        return "ok", f()
    except Exception as err:  # noqa: BLE001 - compared, not handled
        return type(err).__name__, str(err)


def variants(obs: np.ndarray) -> dict[str, np.ndarray]:
    """obs in the layouts and dtypes a caller may pass (each one the short
    path takes)."""
    big = np.empty(obs.size * 2, obs.dtype)
    big[::2] = obs.reshape(-1)
    raw = np.zeros(obs.size * 4 + 1, np.uint8)
    unaligned = np.frombuffer(raw.data, np.float32, obs.size, offset=1).reshape(obs.shape)
    unaligned[...] = obs
    ro = obs.astype(np.float64)
    ro.flags.writeable = False
    return {
        "float64": obs.astype(np.float64),
        "float32": obs.astype(np.float32),
        "float16": obs.astype(np.float16),
        "int64": np.round(obs * 10).astype(np.int64),
        "uint8": np.abs(np.round(obs * 10)).astype(np.uint8),
        "big-endian": obs.astype(">f8"),
        "strided": big[::2].reshape(obs.shape),
        "unaligned": unaligned,
        "read-only": ro,
        "fortran": np.asfortranarray(obs.astype(np.float64)),
    }


def test_predict_seeds_are_the_eval_streams_uint64_draws(tiny: dict[str, Any]) -> None:
    """predict's noise seeds are Generator(PCG64(SeedSequence([seed, eval]))).integers(0, 2**64, uint64)
    draws, one per call, in every mode but deterministic."""
    m = MFPO("Pendulum-v1", **dict(tiny, seed=11))
    stream = np.random.Generator(np.random.PCG64(np.random.SeedSequence([11, agent._EVAL_STREAM])))
    obs = np.array([0.3, -0.2, 1.0], np.float32)
    for mode in ("sample", "best_of_n", "sample"):
        seed = int(stream.integers(0, 2**64, dtype=np.uint64))
        want = m._agent.act(obs.reshape(1, 3), mode, seed)[0]  # type: ignore[arg-type]
        got, _ = m.predict(obs, mode=mode)  # type: ignore[arg-type]
        assert np.array_equal(got, want), (mode, got, want)
    m.close()


@pytest.mark.parametrize("shape", [(1, 3), (2, 16), (4, 40)])  # below and above the summing path's size
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_check_finite_names_the_first_bad_number(shape: tuple[int, int], bad: float) -> None:
    rows = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    check_finite(rows)
    r, c = shape[0] - 1, shape[1] // 2
    rows[r, c] = bad
    if shape[1] > 1:
        rows[r, -1] = -bad  # a NaN or an infinity of the other sign after it, which must not hide the first
    with pytest.raises(NonFiniteError, match=rf"observation row {r} has {bad} at element {c} of its {shape[1]} "):
        check_finite(rows)


def test_check_finite_sums_that_overflow_are_not_errors() -> None:
    check_finite(np.array([[1e308, 1e308, -1e308]]))  # finite numbers whose float sum overflows
    check_finite(np.full((1, 4), np.finfo(np.float32).max, np.float32))
    with pytest.raises(NonFiniteError, match="row 0 has inf at element 1"):
        check_finite(np.array([[1e308, np.inf, -1e308]]))


def test_acting_leaves_no_go_handle_behind(tiny: dict[str, Any]) -> None:
    """Each act makes two gopy []byte handles and must release both, also
    when Go refuses the call."""
    m = MFPO("Pendulum-v1", **tiny)
    policy = m.snapshot()
    obs = np.array([0.3, -0.2, 1.0], np.float32)
    gc.collect()
    before = _mfpo.NumHandles()
    for mode in ("sample", "deterministic", "best_of_n"):
        for _ in range(20):
            m.predict(obs, mode=mode)  # type: ignore[arg-type]
            policy.act(obs, mode, seed=3)  # type: ignore[arg-type]
        m.predict(np.stack([obs, obs]), mode=mode)  # type: ignore[arg-type]
    with pytest.raises(mfpo.ArgumentError, match='mode "greedy"'):
        m._agent.act(obs.reshape(1, 3), "greedy")  # type: ignore[arg-type]
    with pytest.raises(mfpo.NonFiniteError):
        m._agent.act(np.full((1, 3), np.nan, np.float32), "sample")
    gc.collect()
    assert _mfpo.NumHandles() == before
    m.close()
    with pytest.raises(mfpo.HandleError):
        m._agent.act(obs.reshape(1, 3), "sample")
    gc.collect()
    assert _mfpo.NumHandles() == before
    policy.close()


def test_set_random_seed_reseeds_predict(tiny: dict[str, Any]) -> None:
    """set_random_seed(s) makes predict's noise a function of s: two models
    reseeded alike sample alike (and predict still works after it)."""
    a, b = MFPO("Pendulum-v1", **tiny, seed=2), MFPO("Pendulum-v1", **tiny, seed=2)
    obs = np.array([0.3, -0.2, 1.0], np.float32)
    a.set_random_seed(5)
    b.set_random_seed(5)
    assert np.array_equal(a.predict(obs)[0], b.predict(obs)[0])


@pytest.mark.parametrize("env", ["Pendulum-v1", "shaped"])
def test_short_path_is_the_plain_steps(tiny: dict[str, Any], env: str) -> None:
    """The same actions, bit for bit, dtypes and shapes, and the same seeds,
    for every layout and dtype of one observation and every mode."""
    m = MFPO(ShapedEnv() if env == "shaped" else env, **dict(tiny, seed=4))
    stream = eval_stream(4)
    obs, _ = m.env.reset(seed=3)
    for name, x in variants(np.asarray(obs)).items():
        assert m._obs.one_row(x) is not None, name  # the short path takes it
        for mode in agent.PREDICT_MODES:
            got, _ = m.predict(x, mode=mode)  # type: ignore[arg-type]
            want = plain_predict(m, x, mode, stream)
            assert got.shape == want.shape == m.action_space.shape, (name, mode)
            assert got.dtype == want.dtype == m.action_space.dtype, (name, mode)
            assert np.array_equal(got, want), (name, mode, got, want)
            assert got.flags.writeable and got.flags.owndata | (got.base is not None), name
    m.close()


BAD = {
    "nan first": lambda o: np.where(np.arange(o.size).reshape(o.shape) == 0, np.nan, o),
    "inf last": lambda o: np.where(np.arange(o.size).reshape(o.shape) == o.size - 1, np.inf, o),
    "-inf and nan": lambda o: np.where(np.arange(o.size).reshape(o.shape) == 1, -np.inf, o) * [np.nan, 1, 1][0:1],
    "1e300 (beyond float32)": lambda o: np.where(np.arange(o.size).reshape(o.shape) == 1, 1e300, o),
    "-1e39 then nan": lambda o: np.where(np.arange(o.size).reshape(o.shape) == 0, -1e39,
                                         np.where(np.arange(o.size).reshape(o.shape) == 2, np.nan, o)),
    "float32's largest (Go refuses it)": lambda o: np.full_like(o, F32_MAX),
    "3e38 twice (a large norm, in range)": lambda o: np.where(np.arange(o.size).reshape(o.shape) < 2, 3e38, o),
    "nan float32": lambda o: np.where(np.arange(o.size).reshape(o.shape) == 1, np.nan, o).astype(np.float32),
    "one too many": lambda o: np.append(o.reshape(-1), 0.5),
    "a row too many": lambda o: np.append(o.reshape(-1), 0.5).reshape(1, -1),
    "strings": lambda o: np.array(["a"] * o.size).reshape(o.shape),
    "objects": lambda o: np.array([None] * o.size, dtype=object).reshape(o.shape),
    "complex": lambda o: o.astype(np.complex128),
    "a list with a nan": lambda o: [float("nan")] + o.reshape(-1).tolist()[1:],
    "a scalar": lambda o: 0.5,
    "no rows": lambda o: o.reshape(-1)[:0].reshape((0,) + o.shape),
}


@pytest.mark.parametrize("env", ["Pendulum-v1", "shaped"])
def test_bad_observations_fail_as_the_plain_steps_do(tiny: dict[str, Any], env: str) -> None:
    """Each bad observation gives the plain steps' exception and message,
    and draws a seed only where they do (an error from Go, after the
    Python checks passed): the next good predict still matches."""
    m = MFPO(ShapedEnv() if env == "shaped" else env, **dict(tiny, seed=6))
    stream = eval_stream(6)
    obs, _ = m.env.reset(seed=1)
    obs = np.asarray(obs, np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numpy's casts of the bad values warn in both paths alike
        for name, make in BAD.items():
            x = make(obs)
            for mode in ("sample", "best_of_n"):
                got = outcome(lambda: m.predict(x, mode=mode)[0])  # noqa: B023
                want = outcome(lambda: plain_predict(m, x, mode, stream))  # noqa: B023
                if want[0] == "ok":
                    assert got[0] == "ok" and np.array_equal(got[1], want[1]), (name, got, want)
                else:
                    assert got == want, name
    good = outcome(lambda: m.predict(obs, mode="sample")[0])
    assert good[0] == "ok" and np.array_equal(good[1], plain_predict(m, obs, "sample", stream))
    m.close()
    for x in variants(obs).values():  # closed: the observation's checks come first, then the handle's
        with pytest.raises(mfpo.HandleError, match="this MFPO model is closed"):
            m.predict(x)
    with pytest.raises(NonFiniteError):
        m.predict(np.full_like(obs, np.nan))


def test_fits_f32_vouches_only_for_finite_float32_numbers() -> None:
    """fits_f32 true ⇒ every number finite, within float32's range, and
    converted without a warning; true for ordinary observations."""
    rng = np.random.default_rng(0)
    special = [np.nan, np.inf, -np.inf, 1e300, -1e39, F32_MAX, -F32_MAX, np.nextafter(F32_MAX, np.inf),
               np.nextafter(F32_MAX, 0), 3e38, 1e38, 1e-45, 0.0, -0.0]
    seen = {True: 0, False: 0}
    for n in (1, 3, 17, 32, 33):
        for _ in range(200):
            x = rng.normal(scale=10.0 ** rng.integers(-3, 40), size=n)
            k = rng.integers(0, 3)
            x[rng.integers(0, n, size=k)] = rng.choice(special, size=k)
            ok = fits_f32(x)
            seen[bool(ok)] += 1
            if ok:
                assert n <= 32 and np.isfinite(x).all() and np.abs(x).max() <= F32_MAX, x
                with warnings.catch_warnings():
                    warnings.simplefilter("error")
                    assert np.isfinite(x.astype(np.float32)).all()
    assert seen[True] > 100 and seen[False] > 100, seen
    assert fits_f32(np.array([0.3, -0.2, 1.0], np.float32)) and fits_f32(np.arange(17))
    assert fits_f32(np.array([F32_MAX * 0.999]))
    assert not fits_f32(np.array([F32_MAX])) and not fits_f32(np.array([np.nextafter(F32_MAX, np.inf)]))
    assert not fits_f32(np.zeros(33))  # many numbers: the exact checks decide
    assert math.hypot(*[1e200] * 3) > F32_MAX and not fits_f32(np.full(3, 1e200))


def test_agent_and_policy_act_one_row_as_rows_do(tiny: dict[str, Any]) -> None:
    """_core's act of one row (the handle's buffers) gives what the
    batched path (arrays of its own) gives, for the agent and a policy,
    and returns a new array each time, never the buffer."""
    m = MFPO("Pendulum-v1", **tiny)
    pol = m.snapshot()
    obs = np.array([[0.3, -0.2, 1.0]])
    for handle in (m._agent, pol._handle):
        for mode in agent.PREDICT_MODES:
            for x in (obs, obs.astype(np.float32), obs.astype(">f4"), np.asfortranarray(obs)):
                got = handle.act(x, mode, 5)  # type: ignore[arg-type]
                want = handle._acting.rows(handle._live(), _core._f32(x), mode, 5)
                assert got.shape == (1, 1) and got.dtype == np.float32 and np.array_equal(got, want), mode
                again = handle.act(x, mode, 5)  # type: ignore[arg-type]
                assert not np.shares_memory(got, again) and not np.shares_memory(got, handle._acting._out)
                got[...] = 99  # the caller's own array
                assert np.array_equal(handle.act(x, mode, 5), want)  # type: ignore[arg-type]
        one = pol.act(obs[0], "deterministic", 1)
        assert one.shape == (1,) and np.array_equal(one, pol.act(obs, "deterministic", 1)[0])
    for bad, err in ((obs.reshape(3), mfpo.ShapeError), (np.ones((1, 4)), mfpo.ShapeError)):
        with pytest.raises(err, match=r"obs: expected a float32 array of shape \(rows, 3\)"):
            m._agent.act(bad, "sample", 1)
    with pytest.raises(mfpo.ConfigError, match="seed"):
        m._agent.act(obs, "sample", -1)
    with pytest.raises(mfpo.ConfigError, match="seed"):
        m._agent.act_one(obs[0], "sample", 2**64)
    pol.close()
    m.close()


def test_busy_buffers_fall_back_to_arrays_of_the_calls_own(tiny: dict[str, Any]) -> None:
    """While another call holds a handle's buffers, a call acts on arrays
    of its own: the same actions."""
    m = MFPO("Pendulum-v1", **tiny)
    pol = m.snapshot()
    obs = np.array([0.3, -0.2, 1.0])
    for h in (m._agent, pol._handle):
        want = h.act_one(obs, "sample", 8)
        assert h._acting._busy.acquire(False)
        try:
            got = h.act_one(obs, "sample", 8)
        finally:
            h._acting._busy.release()
        assert np.array_equal(got, want)
    pol.close()
    m.close()


def test_threads_acting_at_once_get_their_own_actions(tiny: dict[str, Any]) -> None:
    """Threads predicting on one model and acting on one policy at once
    each get the actions of their own observation (deterministic mode:
    a function of the observation alone)."""
    m = MFPO("Pendulum-v1", **tiny)
    pol = m.snapshot()
    obs = np.random.default_rng(1).normal(size=(8, 3))
    want = [m.predict(o, deterministic=True)[0] for o in obs]
    errors: list[str] = []

    def work(k: int) -> None:
        for i in range(300):
            j = (k + i) % len(obs)
            a = m.predict(obs[j], deterministic=True)[0]
            b = pol.act(obs[j], "deterministic")
            if not (np.array_equal(a, want[j]) and np.array_equal(b, want[j])):
                errors.append(f"thread {k} call {i}: {a}, {b}, want {want[j]}")

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    pol.close()
    m.close()
