"""The one-observation acting path from Python (MFPO.predict → ObsFlattener.rows
→ check_finite → _core.Agent.act → ActionBox.shaped), whose shortcuts must
give exactly what the plain steps give: the evaluation stream's seeds, the
finiteness check's verdicts and messages, and no Go handle left behind."""

from __future__ import annotations

import gc
from typing import Any

import numpy as np
import pytest

import mfpo
from mfpo import MFPO, NonFiniteError, agent
from mfpo._gopy import _mfpo
from mfpo.envs import check_finite


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
