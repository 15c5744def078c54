"""Python ↔ C++ parity: the same checkpoint, observations, mode and seed give
the same float32 actions, bit for bit, in Python (``mfpo.Policy.load``,
``MFPO.snapshot()``) and in a C++ program linked against ``libmfpo.so``
(``tests/c/act_tool.cpp``, through ``mfpo.hpp``).

Bits are compared because both sides run the same BLAS kernels: the child
runs on the same CPU with the same OpenBLAS, which detects the CPU the same
way in both processes (the tests set none of OpenBLAS's variables). The
fixture checks that premise through both sides' build info ("blas_core",
"cpu_kernels");
across kernels, actions agree only to float32 rounding
(docs/reproducibility.md, tests/c/test_parity.c).

The C++ side runs in a child process: this process already holds the Go
runtime of the Python extension, and loading ``libmfpo.so`` here would start
a second one (test_skeleton checks that it never is). ``make test-python``
builds ``build/tests/c/act_tool`` first; run alone, the test builds it with
``make`` when it is missing.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import mfpo

from conftest import BoxEnv

REPO = Path(__file__).resolve().parents[2]
ACT_TOOL = REPO / "build" / "tests" / "c" / "act_tool"

MODES = ("sample", "best_of_n", "deterministic")
SEEDS = (0, 20240611, 2**64 - 12345)  # the last one ≥ 2**63: all 64 bits of the seed cross
KINDS = ("policy", "full")
ROWS = 4


@pytest.fixture(scope="module")
def act_tool() -> Path:
    if not ACT_TOOL.exists():
        res = subprocess.run(
            ["make", "-C", str(REPO), "build/tests/c/act_tool"],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        assert res.returncode == 0, f"make build/tests/c/act_tool failed:\n{res.stdout}\n{res.stderr}"
    assert os.access(ACT_TOOL, os.X_OK), f"{ACT_TOOL} is not an executable"
    res = subprocess.run([str(ACT_TOOL), "--build-info"], capture_output=True, text=True, timeout=120, check=False)
    assert res.returncode == 0, res.stderr
    cpp, py = json.loads(res.stdout), mfpo.build_info()
    keys = ("blas", "blas_core", "cpu_kernels")
    assert [cpp[k] for k in keys] == [py[k] for k in keys], (
        f"the C++ child runs other kernels ({[cpp[k] for k in keys]}) than this process "
        f"({[py[k] for k in keys]}): its actions can differ in the last bits, and this test compares bits"
    )
    return ACT_TOOL


def run_tool(tool: Path, ckpt: Path, mode: str, seed: int, stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(tool), str(ckpt), mode, str(seed)], input=stdin, capture_output=True, text=True, timeout=120, check=False
    )


def tool_bits(tool: Path, ckpt: Path, mode: str, seed: int, obs: np.ndarray) -> np.ndarray:
    """The C++ program's actions for the rows of obs, as uint32 bits of
    shape (rows, act_dim). The observations cross as hex floats: exact."""
    text = "".join(" ".join(float(v).hex() for v in row) + "\n" for row in np.asarray(obs, np.float32))
    res = run_tool(tool, ckpt, mode, seed, text)
    assert res.returncode == 0, f"act_tool {ckpt.name} {mode} {seed} exited {res.returncode}: {res.stderr}"
    lines = res.stdout.splitlines()
    assert len(lines) == len(obs), res.stdout
    return np.array([[int(w, 16) for w in line.split()] for line in lines], dtype=np.uint32)


def bits(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a)
    assert a.dtype == np.float32, a.dtype
    return a.view(np.uint32)


class Trained:
    """A briefly trained model, its two checkpoints, the observations."""

    def __init__(self, model: mfpo.MFPO, ckpts: dict[str, Path], obs: np.ndarray) -> None:
        self.model, self.ckpts, self.obs = model, ckpts, obs


def pendulum_obs(rng: np.random.Generator) -> np.ndarray:
    # Near the top, where the briefly trained policy's torques lie inside
    # [-2, 2]; far from it most are clipped to ±2, and equal bits would say little.
    th = rng.uniform(-1, 1, ROWS)
    return np.stack([np.cos(th), np.sin(th), rng.uniform(-1, 1, ROWS)], axis=1).astype(np.float32)


# Pendulum-v1 (obs 3, one torque in [-2, 2]), and a task with two action
# components in an asymmetric box, so that the units and the order of the
# components are compared too.
TASKS: dict[str, Any] = {
    "pendulum": (lambda: "Pendulum-v1", pendulum_obs),
    "box2": (
        lambda: BoxEnv(low=[-2.0, 10.0], high=[2.0, 30.0], act_shape=(2,), obs_dim=5),
        lambda rng: rng.normal(0, 2, (ROWS, 5)).astype(np.float32),
    ),
}


@pytest.fixture(scope="module", params=sorted(TASKS))
def trained(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    make_env, make_obs = TASKS[request.param]
    model = mfpo.MFPO(
        make_env(), preset="small", learning_starts=100, batch_size=32, verbose=0, hidden=[32, 32], seed=7
    )
    obs = make_obs(np.random.default_rng(11))
    before = model.snapshot()
    model.learn(300)
    # Trained: the parameters moved away from their initial values.
    assert not np.array_equal(bits(before.act(obs, "deterministic")), bits(model.snapshot().act(obs, "deterministic")))
    before.close()
    d = tmp_path_factory.mktemp(f"parity-{request.param}")
    ckpts = {"policy": model.save(d / "policy.mfpo", policy_only=True), "full": model.save(d / "full.mfpo")}
    yield Trained(model, ckpts, obs)
    model.close()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("mode", MODES)
def test_python_and_cpp_actions_are_bit_identical(trained: Trained, act_tool: Path, kind: str, mode: str) -> None:
    ckpt = trained.ckpts[kind]
    obs = trained.obs
    pythons = {"Policy.load": mfpo.Policy.load(ckpt), "MFPO.snapshot()": trained.model.snapshot()}
    if kind == "full":
        loaded = mfpo.MFPO.load(ckpt, verbose=0)
        pythons["MFPO.load().snapshot()"] = loaded.snapshot()
    act_dim = pythons["Policy.load"].act_dim
    compared = 0
    per_seed = []
    for seed in SEEDS:
        cpp = tool_bits(act_tool, ckpt, mode, seed, obs)
        cpp_one = tool_bits(act_tool, ckpt, mode, seed, obs[2:3])
        assert cpp.shape == (ROWS, act_dim) and cpp_one.shape == (1, act_dim)
        # Most actions lie strictly inside the box: not bounds that clipping gives whatever the network says.
        space = pythons["Policy.load"].action_space
        a = cpp.view(np.float32)
        assert np.mean((space.low < a) & (a < space.high)) >= 0.5, (
            f"{mode} seed {seed}: mostly clipped actions {a.tolist()}"
        )
        for name, p in pythons.items():
            got = bits(p.act(obs, mode, seed=seed))
            assert np.array_equal(got, cpp), f"{name} {mode} seed {seed}: Python {got.tolist()} C++ {cpp.tolist()}"
            one = bits(p.act(obs[2], mode, seed=seed))  # one observation, unbatched
            assert one.shape == (act_dim,) and np.array_equal(one, cpp_one[0]), f"{name} {mode} seed {seed}, one row"
            assert np.array_equal(bits(p.act(obs[2:3], mode, seed=seed)), cpp_one)  # a batch of one
            compared += 3
        per_seed.append(cpp)
    assert compared == 3 * len(SEEDS) * len(pythons)
    # The seed matters (sample, best-of-N) or does not (deterministic): the
    # comparison above is not of seed-independent actions by accident.
    same = all(np.array_equal(per_seed[0], s) for s in per_seed[1:])
    assert same == (mode == "deterministic")
    for p in pythons.values():
        p.close()
    if kind == "full":
        loaded.close()


def corrupted(data: bytes) -> dict[str, bytes]:
    mid = len(data) // 2
    return {
        "flipped": data[:mid] + bytes([data[mid] ^ 0x40]) + data[mid + 1 :],
        "truncated": data[: len(data) * 2 // 3],
    }


@pytest.mark.parametrize("kind", KINDS)
def test_corrupted_checkpoint_is_refused_by_both(trained: Trained, act_tool: Path, kind: str, tmp_path: Path) -> None:
    good = trained.ckpts[kind].read_bytes()
    row = " ".join(float(v).hex() for v in trained.obs[0]) + "\n"
    for name, data in corrupted(good).items():
        bad = tmp_path / f"{name}-{kind}.mfpo"
        bad.write_bytes(data)
        with pytest.raises(mfpo.CheckpointError):
            mfpo.Policy.load(bad)
        with pytest.raises(mfpo.CheckpointError):
            mfpo.Policy.load(data)
        if kind == "full":
            with pytest.raises(mfpo.CheckpointError):
                mfpo.MFPO.load(bad, verbose=0)
        res = run_tool(act_tool, bad, "sample", 1, row)
        assert res.returncode == 2, (name, res.returncode, res.stdout, res.stderr)
        assert res.stdout == "" and "not a valid checkpoint" in res.stderr and str(bad) in res.stderr, res.stderr
    # The intact file still loads in the child (the corruption, not the tool, was refused).
    assert run_tool(act_tool, trained.ckpts[kind], "sample", 1, row).returncode == 0


def test_libmfpo_stays_out_of_this_process(act_tool: Path) -> None:
    with open("/proc/self/maps") as f:
        assert "libmfpo.so" not in f.read()
