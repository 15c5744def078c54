"""The limits of docs/limits.md through Python: the same statuses and
messages as the C ABI (gocore/face), SizeError a MemoryError."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import mfpo
from mfpo import MFPO, ConfigError, NonFiniteError, Policy, SizeError

from conftest import BoxEnv


def test_size_error_is_a_memory_error() -> None:
    assert issubclass(SizeError, MemoryError) and issubclass(SizeError, mfpo.MFPOError)


@pytest.mark.parametrize(
    "kwargs, key",
    [
        ({"buffer_size": 1_000_000_000}, "buffer_size"),
        ({"preset": "small", "hidden": [65536, 65536]}, "hidden"),
        ({"max_bytes": 1_000_000}, "batch_size"),
    ],
)
def test_over_the_memory_limit(kwargs: dict[str, Any], key: str) -> None:
    with pytest.raises(SizeError, match=rf"{key} asks for about \d+ bytes, over the memory limit of \d+ bytes"):
        MFPO(BoxEnv(), verbose=0, **kwargs)
    assert mfpo._core.live_handles() == 0


@pytest.mark.parametrize(
    "kwargs, key",
    [
        ({"hidden": [2**31]}, "hidden"),
        ({"atoms": 2**31}, "atoms"),
        ({"steps": 10**9}, "steps"),
        ({"eval_candidates": 2**62}, "eval_candidates"),
        ({"posterior_samples": 2**24}, "posterior_samples"),
        ({"v_min": -1e39}, "v_min"),
        ({"v_min": 1.0, "v_max": 1.00000001}, "v_max"),
        ({"v_min": -3e38, "v_max": 3e38, "atoms": 2}, "v_min"),
        ({"probes": 2**40}, "probes"),
        ({"max_bytes": -1}, "max_bytes"),
    ],
)
def test_over_a_hard_limit(kwargs: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError, match=rf"invalid config: {key}"):
        MFPO(BoxEnv(), verbose=0, **kwargs)


def test_process_limit_and_loads(tiny: dict[str, Any], tmp_path: Path) -> None:
    model = MFPO(BoxEnv(), **tiny)
    path = model.save(tmp_path / "m.mfpo", policy_only=True)
    data = path.read_bytes()
    old = mfpo.set_memory_limit(1 << 16)
    try:
        assert mfpo.memory_limit() == 1 << 16
        with pytest.raises(SizeError, match="bytes"):
            Policy.load(data)
        with pytest.raises(SizeError, match="bytes"):
            MFPO(BoxEnv(), **tiny)
    finally:
        assert mfpo.set_memory_limit(old) == 1 << 16
    assert mfpo.memory_limit() == old
    Policy.load(data)
    with pytest.raises(ConfigError):
        mfpo.set_memory_limit(2**64)


def test_observations_out_of_range(tiny: dict[str, Any]) -> None:
    model = MFPO(BoxEnv(), **tiny)
    for v in (np.finfo(np.float32).max, 1.9e38, -2e9):
        obs = np.array([0, 0, v], np.float32)
        with pytest.raises(NonFiniteError, match=r"element 2 is .*beyond ±1e\+09, the range the networks take"):
            model.predict(obs)


def test_fifo_is_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.mfpo"
    os.mkfifo(fifo)
    with pytest.raises(mfpo.CheckpointError, match="not a regular file"):
        Policy.load(fifo)
