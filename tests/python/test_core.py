"""The low-level layer: mfpo._core's Agent over the Go handle table, and the
mapping of Go error codes to exceptions."""

from __future__ import annotations

import gc
import threading

import numpy as np
import pytest

import mfpo
from mfpo import _core
from mfpo.exceptions import BY_CODE

CFG = '{"preset": "small", "hidden": [8], "time_features": 2, "time_width": 4, "batch_size": 4, "buffer_size": 64, ' \
      '"policy_samples": 2, "posterior_samples": 2, "learning_starts": 0, "shards": 1}'
SPACES = {"obs_shape": [3], "act_dim": 2}  # the box [-1, 1]^2


@pytest.mark.parametrize("code, cls", sorted(BY_CODE.items()))
def test_error_codes_map_to_classes(code: str, cls: type) -> None:
    with pytest.raises(cls) as e:
        _core._reraise(RuntimeError(f"mfpo:{code}: something went wrong"))
    assert type(e.value) is cls and str(e.value) == "something went wrong"


def test_unknown_codes_and_foreign_errors() -> None:
    with pytest.raises(mfpo.MFPOError):
        _core._reraise(RuntimeError("mfpo:newcode: x"))
    with pytest.raises(RuntimeError, match="not ours"):
        _core._reraise(RuntimeError("not ours"))


def test_act_store_update_and_errors_from_go() -> None:
    a = _core.Agent(CFG, SPACES)
    obs = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    for mode in _core.ACT_MODES:
        act = a.act(obs, mode)  # type: ignore[arg-type]
        assert act.shape == (5, 2) and act.dtype == np.float32 and np.all(np.abs(act) <= 1)
    with pytest.raises(mfpo.ArgumentError, match='mode "greedy", want'):
        a.act(obs, "greedy")  # type: ignore[arg-type]
    with pytest.raises(mfpo.NotEnoughDataError):
        a.update()
    assert a.store(obs, act, np.ones(5), obs, [False, False, True, False, False]) == 5
    bad = obs.copy()
    bad[3, 1] = np.nan
    with pytest.raises(mfpo.NonFiniteError, match="next_obs row 3 element 1"):
        a.store(obs, act, np.ones(5), bad, np.zeros(5))
    with pytest.raises(mfpo.NonFiniteError, match="observation"):
        a.act(bad, "sample")
    with pytest.raises(mfpo.ShapeError, match="reward has 4 rows, obs has 5"):
        a.store(obs, act, np.ones(4), obs, np.zeros(5))
    with pytest.raises(mfpo.ArgumentError, match="rows is 0, want ≥ 1"):
        a.act(obs[:0], "sample")
    with pytest.raises(mfpo.ShapeError, match=r"shape \(rows, 3\); got shape \(5, 2\)"):
        a.act(act, "sample")
    assert a.info()["stored"] == 5
    stats = a.update(3)
    assert stats["updates"] == 3 and stats["n"] == 3
    assert all(np.isfinite(stats[k]) for k in ("critic_loss", "actor_loss", "adn_loss", "alpha", "entropy"))
    assert a.config()["batch_size"] == 4
    a.close()
    with pytest.raises(mfpo.HandleError, match="model is closed"):
        a.act(obs, "sample")


def test_update_error_restores_the_agent() -> None:
    # An absurd critic learning rate makes the losses overflow; every
    # update is then abandoned with UpdateError and the agent restored.
    absurd = '"shards": 1, "critic_lr": 1e38, "actor_lr": 1e38, "adn_lr": 1e38'
    a = _core.Agent(CFG.replace('"shards": 1', absurd), SPACES)
    rng = np.random.default_rng(0)
    obs = rng.normal(size=(32, 3)).astype(np.float32) * 1e3
    a.store(obs, rng.uniform(-1, 1, (32, 2)), rng.normal(size=32) * 1e3, obs, np.zeros(32))
    errors = 0
    for _ in range(20):
        try:
            a.update()
        except mfpo.UpdateError as err:
            assert "agent restored" in str(err)
            errors += 1
    assert errors > 0
    assert a.info()["updates"] == 20 - errors
    a.close()


def test_handles_are_freed_by_garbage_collection_and_threads() -> None:
    before = _core.live_handles()
    agents = [_core.Agent(CFG, SPACES) for _ in range(4)]
    assert _core.live_handles() == before + 4
    obs = np.zeros((2, 3), np.float32)

    def work(a: _core.Agent) -> None:
        for _ in range(50):
            a.act(obs, "sample")

    threads = [threading.Thread(target=work, args=(a,)) for a in agents]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    del agents, threads
    gc.collect()
    assert _core.live_handles() == before
