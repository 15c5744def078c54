#!/usr/bin/env python3
"""Python-side benchmark of mfpo.

Two measurements, each compared with the Go core measured in the same run:

1. ``predict`` latency for one HalfCheetah-v5 observation (obs 17, act 6) with
   a paper-default agent, in three modes (sample, deterministic, best-of-N),
   at every layer between Python and Go:

   - ``MFPO.predict``: the observation's checks (``ObsFlattener.one_row``),
     the seed draw, the call below, the action's shape and dtype;
   - ``_core.Agent.act_one``: the observation converted into the handle's
     buffer, the call below, the actions copied out, the error mapping;
   - ``bindings.ActAt``: gopy's C function with the buffers' addresses (the
     crossing, the handle lookup and checks, Go's act);
   - Go's ``Agent.Act`` alone: ``BenchmarkAct`` of ``gocore/mfpo``, and the
     layers of gocore/face under both faces (``BenchmarkAct`` of
     ``gocore/face``: ``policy.Policy.Act``, ``face.PolicyAct``), run with
     ``go test`` from here;
   - with ``--capi BENCH_ACT`` (the Makefile passes build/bench/bench_act),
     the C ABI's ``mfpo_policy_act`` from C++ (``tests/c/bench_act.cpp``,
     per-call medians), so that Go, C and Python are compared in one run.

   Each layer is timed call by call (median and p99, after a warm-up), the
   layers interleaved over the repeats so that a change of load hits them
   alike.

2. ``learn()`` throughput on HalfCheetah-v5: env-steps/s during the random
   warm-up (before ``learning_starts``: no updates) and with one update per
   step (UTD 1), for the presets "paper" and "small", with the time of each
   step split between the Go calls (update, act, store), the env (the
   Gymnasium stack; MuJoCo's own env step given separately) and the rest of
   the loop. Compared with ``BenchmarkUpdatePaper``/``BenchmarkUpdateSmall``
   (Go only) run in the same process tree.

Prints a Markdown report and writes it to build/bench-python.md (and the raw
numbers to build/bench-python.json). ``--quick`` for a shorter run;
``--smoke`` for a run of seconds with tiny sizes and a few calls each (its
numbers mean nothing: it checks that every part still runs, and the test
suite runs it: ``make bench-smoke``).

Run it against the installed package from the repository root:
``make bench-python`` or ``python bench/python/bench_python.py [--quick | --smoke]
[--capi build/bench/bench_act]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
OBS_DIM, ACT_DIM = 17, 6
ENV_ID = "HalfCheetah-v5"
MODES = ("sample", "deterministic", "best_of_n")
_pc = time.perf_counter_ns


@dataclasses.dataclass(frozen=True)
class Plan:
    """How much of everything one run measures."""

    repeats: int  # predict repeats, each with one run of Go's BenchmarkAct
    learn_repeats: int  # learn() runs per preset
    calls: tuple[int, int]  # timed calls per repeat: (one-sample modes, best-of-N)
    warm_calls: tuple[int, int]  # warm-up calls, likewise
    act_benchtime: str  # -benchtime of Go's BenchmarkAct
    update_benchtime: str  # -benchtime of Go's BenchmarkUpdate*
    learn: dict[str, tuple[int | None, int, int]]  # preset: (learning_starts override, window, skip)
    back_to_back: int  # the fewest updates called back to back after a learn() window
    buffer_size: int | None  # a replay capacity override (None: the preset's)
    go_short: bool  # the Go benchmarks with -test.short (their smoke sizes)


PLANS = {
    "full": Plan(5, 3, (10_000, 1_000), (500, 50), "1s", "10x",
                 {"paper": (1000, 200, 5), "small": (None, 2000, 20)}, 5, None, False),
    "quick": Plan(1, 1, (2_000, 300), (500, 50), "0.5s", "10x",
                  {"paper": (1000, 40, 5), "small": (None, 400, 20)}, 5, None, False),
    # Learning starts at one batch (the presets' batch sizes), a few updates.
    "smoke": Plan(1, 1, (20, 5), (5, 2), "1x", "1x",
                  {"paper": (256, 2, 1), "small": (128, 4, 1)}, 1, 10_000, True),
}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


# ---------------------------------------------------------------------------
# Go benchmarks


def go_tags() -> list[str]:
    """-tags openblas when pkg-config finds OpenBLAS, as the Makefile's GOTAGS."""
    if shutil.which("pkg-config") is None:
        return []
    ok = subprocess.run(["pkg-config", "--exists", "openblas"], capture_output=True).returncode == 0
    return ["-tags", "openblas"] if ok else []


class GoBench:
    """A package's benchmarks (gocore/mfpo unless named), compiled once (`go
    test -c`, with the Makefile's build tag) and run as often as the
    interleaving needs: the same code and flags as `go test -run '^$' -bench
    ... ./gocore/PKG`."""

    def __init__(self, short: bool, pkg: str = "mfpo") -> None:
        self.go = os.environ.get("GO", "go")
        self.tags = go_tags()
        self.short = ["-short"] if short else []
        self.pkg = pkg
        self.bin = ROOT / "build" / "bench-python" / f"{pkg}.test"
        self.bin.parent.mkdir(parents=True, exist_ok=True)
        cmd = [self.go, "test", "-c", *self.tags, "-o", str(self.bin), f"./gocore/{pkg}"]
        log("$ " + " ".join(cmd))
        p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        if p.returncode != 0:
            raise SystemExit(f"go test -c failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")

    def command(self, pattern: str, benchtime: str) -> str:
        """The equivalent go test command line, for the report."""
        return " ".join([self.go, "test", *self.tags, *self.short, "-run", "'^$'", "-bench", f"'{pattern}'",
                         "-benchtime", benchtime, f"./gocore/{self.pkg}"])

    def run(self, pattern: str, benchtime: str, count: int = 1) -> dict[str, dict[str, list[float]]]:
        """Per benchmark (GOMAXPROCS suffix stripped), each unit's values."""
        short = ["-test.short"] if self.short else []
        cmd = [str(self.bin), *short, "-test.run", "^$", "-test.bench", pattern, "-test.benchtime", benchtime,
               "-test.count", str(count)]
        p = subprocess.run(cmd, cwd=ROOT / "gocore" / self.pkg, capture_output=True, text=True)
        if p.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
        out: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        for line in p.stdout.splitlines():
            f = line.split()
            if len(f) < 4 or not f[0].startswith("Benchmark"):
                continue
            name = re.sub(r"-\d+$", "", f[0][len("Benchmark"):])
            for v, unit in zip(f[2::2], f[3::2], strict=False):
                try:
                    out[name][unit].append(float(v))
                except ValueError:
                    pass
        return {k: dict(v) for k, v in out.items()}


def metric(results: dict[str, dict[str, list[float]]], name: str, unit: str) -> list[float]:
    """The values of unit that benchmark name reported; SystemExit naming
    what was reported when it is missing (a benchmark renamed or a metric
    dropped: the smoke run catches it)."""
    vals = results.get(name, {}).get(unit)
    if not vals:
        have = {k: sorted(v) for k, v in results.items()}
        raise SystemExit(f"the Go benchmarks reported no {unit!r} for {name!r}; they reported {have}")
    return vals


# ---------------------------------------------------------------------------
# Call-by-call timing


def time_calls(fn: Callable[[], Any], n: int) -> np.ndarray:
    """n calls of fn, each timed with perf_counter_ns; µs."""
    ts = np.empty(n)
    pc = _pc
    for i in range(n):
        t0 = pc()
        fn()
        ts[i] = pc() - t0
    return ts / 1e3


ACT_PATTERN = "^BenchmarkAct$"
# gocore/face's BenchmarkAct: the Go layers under both faces, by mode.
FACE_LAYERS = ("core/policy", "face/policy", "core/agent", "face/agent")
# bench_act's per-call median lines, by mode.
CAPI_LINE = re.compile(r"^\s+(sample|deterministic|best-of-N \(N = \d+\))\s+median\s+([\d.]+) us", re.M)


def run_capi(binary: str, smoke: bool) -> dict[str, float]:
    """One run of tests/c/bench_act: mfpo_policy_act's per-call median in
    µs by mode, and the ABI crossing (mfpo_policy_dims) as "crossing"."""
    p = subprocess.run([binary, *(["--smoke"] if smoke else [])], capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"{binary} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    got = {("best_of_n" if m.startswith("best") else m): float(v) for m, v in CAPI_LINE.findall(p.stdout)}
    dims = re.search(r"mfpo_policy_dims\s+([\d.]+) ns", p.stdout)
    if set(got) != set(MODES) or dims is None:
        raise SystemExit(f"{binary}: no median line for every mode, or no crossing line, in:\n{p.stdout}")
    got["crossing"] = float(dims.group(1)) / 1e3
    return got


def bench_predict(plan: Plan, gob: GoBench, capi: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Python layers timed call by call, interleaved with runs of Go's
    BenchmarkAct (gocore/mfpo and gocore/face) and, given capi, of the C
    ABI's bench_act; returns (python results, go and C results)."""
    import mfpo
    from mfpo import _core
    from mfpo._gopy import _mfpo as c  # type: ignore
    from mfpo._gopy import bindings as ext  # type: ignore
    from mfpo.envs import fits_f32

    kw = {} if plan.buffer_size is None else {"buffer_size": plan.buffer_size}
    model = mfpo.MFPO(ENV_ID, verbose=0, **kw)  # preset "paper"
    assert model.config["hidden"] == mfpo.default_config("paper")["hidden"]
    env = model.get_env()
    obs64, _ = env.reset(seed=0)
    obs64 = np.asarray(obs64, dtype=np.float64)
    assert obs64.shape == (OBS_DIM,), obs64.shape
    obs32 = obs64.astype(np.float32)
    agent: _core.Agent = model._agent
    assert model._obs.one_row(obs64) is not None  # predict takes its short path
    flat, box = model._obs, model._act
    seeds = np.random.PCG64(0)
    act1 = agent.act_one(obs64, "sample", 0)
    buf = np.empty(OBS_DIM, np.float32)

    def raw(a: _core.Agent) -> Callable[[str], Any]:
        """bindings.ActAt through gopy's C function on a's own buffers (an
        observation written into them first): the crossing and Go."""
        acting = a._acting
        acting._obs[...] = obs64
        fn, h, oa, ua = c.bindings_ActAt, a.handle, acting._obs_at, acting._out_at
        return lambda m: fn(h, oa, OBS_DIM, ua, ACT_DIM, 1, m, 7)

    act_at = raw(agent)
    # name -> (mode or None, callable)
    cases: dict[str, tuple[str | None, Callable[[], Any]]] = {
        "MFPO.predict(obs float64), sample": ("sample", lambda: model.predict(obs64)),
        "MFPO.predict(obs float32), sample": ("sample", lambda: model.predict(obs32)),
        "MFPO.predict(obs float64), deterministic=True": (
            "deterministic", lambda: model.predict(obs64, deterministic=True)),
        "MFPO.predict(obs float64), mode=best_of_n": ("best_of_n", lambda: model.predict(obs64, mode="best_of_n")),
    }
    for m in MODES:
        cases[f"_core.Agent.act_one, {m}"] = (m, lambda m=m: agent.act_one(obs64, m, 7))
    for m in MODES:
        cases[f"bindings.ActAt (gopy C function), {m}"] = (m, lambda m=m: act_at(m))
    # The same two calls on an agent whose networks are tiny: Go's work is
    # small there, so predict − bindings.ActAt is Python's own cost, with
    # less of the noise that the paper network's act time brings.
    tiny = mfpo.MFPO(ENV_ID, verbose=0, hidden=[4], time_features=2, time_width=2, buffer_size=1000)
    tiny_at = raw(tiny._agent)
    cases["– MFPO.predict(obs float64), deterministic, tiny networks"] = (
        None, lambda: tiny.predict(obs64, mode="deterministic"))
    cases["– bindings.ActAt (gopy C function), deterministic, tiny networks"] = (
        None, lambda: tiny_at("deterministic"))
    cases["– ObsFlattener.one_row(obs float64)"] = (None, lambda: flat.one_row(obs64))
    cases["– fits_f32(obs float64)"] = (None, lambda: fits_f32(obs64))
    cases["– the seed draw (PCG64.random_raw, as predict's)"] = (None, seeds.random_raw)
    cases["– obs float64 into the float32 buffer"] = (None, lambda: buf.__setitem__(Ellipsis, obs64))
    cases["– the actions copied out (ndarray.copy, 6 floats)"] = (None, act1.copy)
    cases["– ActionBox.shaped_one(action)"] = (None, lambda: box.shaped_one(act1))
    cases["– bindings.Version() (an empty gopy call)"] = (None, ext.Version)
    cases["– timer + lambda (no call)"] = (None, lambda: None)

    face = GoBench(plan.go_short, "face")
    n_fast, n_slow = plan.calls
    samples: dict[str, list[np.ndarray]] = defaultdict(list)
    go_us: dict[str, list[float]] = defaultdict(list)
    for mode, fn in cases.values():  # warm-up
        time_calls(fn, plan.warm_calls[mode == "best_of_n"])
    for rep in range(plan.repeats):
        log(f"predict: repeat {rep + 1}/{plan.repeats} (load {loadavg()})")
        gb = gob.run(ACT_PATTERN, plan.act_benchtime)
        fb = face.run(ACT_PATTERN, plan.act_benchtime)
        for m in MODES:
            go_us[m] += metric(gb, f"Act/{m}", "µs/action")
            for layer in FACE_LAYERS:
                go_us[f"{m} {layer}"] += metric(fb, f"Act/{m}/{layer}", "µs/action")
                go_us[f"{m} {layer} median"] += metric(fb, f"Act/{m}/{layer}", "µs/median")
        if capi is not None:
            for k, v in run_capi(capi, plan.go_short).items():
                go_us[f"{k} capi"].append(v)
        for name, (mode, fn) in cases.items():
            samples[name].append(time_calls(fn, n_slow if mode == "best_of_n" else n_fast))
    model.close()
    tiny.close()

    res: dict[str, Any] = {}
    for name, (mode, _) in cases.items():
        allv = np.concatenate(samples[name])
        res[name] = {
            "mode": mode,
            "calls": int(allv.size),
            "median_us": float(np.median(allv)),
            "p99_us": float(np.percentile(allv, 99)),
            "median_per_repeat_us": [float(np.median(x)) for x in samples[name]],
        }
    go = {"cmd": gob.command(ACT_PATTERN, plan.act_benchtime),
          "face_cmd": face.command(ACT_PATTERN, plan.act_benchtime),
          "capi_cmd": None if capi is None else f"{capi}{' --smoke' if plan.go_short else ''}",
          "runs": plan.repeats, "us": {m: med(v) for m, v in go_us.items()}, "us_per_run": dict(go_us)}
    log(f"Go Act µs: { {m: go['us'][m] for m in MODES} }")
    return res, go


# ---------------------------------------------------------------------------
# learn() throughput


class _Acc:
    __slots__ = ("ns", "n")

    def __init__(self) -> None:
        self.ns = 0
        self.n = 0


def _wrap(obj: Any, attr: str, acc: _Acc) -> None:
    """Replace obj.attr (a bound method) with a timed one, on the instance."""
    f = getattr(obj, attr)
    pc = _pc

    def timed(*a: Any, **k: Any) -> Any:
        t0 = pc()
        try:
            return f(*a, **k)
        finally:
            acc.ns += pc() - t0
            acc.n += 1

    setattr(obj, attr, timed)


PARTS = ("update", "act", "store", "env", "mujoco")


def run_learn(preset: str, learning_starts: int | None, window: int, skip: int, plan: Plan) -> dict[str, Any]:
    """One learn() run: learning_starts random steps, then skip + window
    steps with updates. Returns rates and per-step splits of both phases."""
    import mfpo

    kw: dict[str, int] = {} if learning_starts is None else {"learning_starts": learning_starts}
    if plan.buffer_size is not None:
        kw["buffer_size"] = plan.buffer_size
    model = mfpo.MFPO(ENV_ID, preset=preset, verbose=0, **kw)
    cfg = model.config
    updates_from = max(int(cfg["learning_starts"]), int(cfg["batch_size"]))
    accs = {p: _Acc() for p in PARTS}
    _wrap(model._agent, "update", accs["update"])
    _wrap(model._agent, "act", accs["act"])
    _wrap(model._agent, "store", accs["store"])
    env = model.get_env()
    _wrap(env, "step", accs["env"])
    _wrap(env, "reset", accs["env"])
    _wrap(env.unwrapped, "step", accs["mujoco"])  # MuJoCo's HalfCheetahEnv.step itself

    # snaps[k] = (clock, update, act, store, env, mujoco, updates) after step k+1
    snaps: list[tuple[int, ...]] = []

    class Snap(mfpo.BaseCallback):
        def _on_step(self) -> bool:
            snaps.append((_pc(), accs["update"].ns, accs["act"].ns, accs["store"].ns, accs["env"].ns,
                          accs["mujoco"].ns, accs["update"].n))
            return True

    total = updates_from + skip + window
    t0 = time.perf_counter()
    model.learn(total, callback=Snap(), log_interval=10**9)
    wall = time.perf_counter() - t0
    info = model.info()
    # The same updates back to back from Python, with no env in between:
    # the call's own cost (gopy, JSON statistics) apart from the loop's.
    n_b2b = max(plan.back_to_back, window // 10)
    upd_fn = model._agent.update
    t1 = _pc()
    for _ in range(n_b2b):
        upd_fn(1)
    b2b_ms = (_pc() - t1) / 1e6 / n_b2b
    model.close()
    assert len(snaps) == total, (len(snaps), total)

    def phase(a: int, b: int) -> dict[str, Any]:
        """Steps a+1 .. b (1-based step counts): between snapshot a-1 and b-1."""
        s0, s1 = snaps[a - 1], snaps[b - 1]
        n = b - a
        dt = (s1[0] - s0[0]) / 1e9
        per = {p: (s1[i + 1] - s0[i + 1]) / 1e6 / n for i, p in enumerate(PARTS)}  # ms/step
        step_ms = dt * 1e3 / n
        per["rest"] = step_ms - per["update"] - per["act"] - per["store"] - per["env"]
        return {
            "steps": n,
            "seconds": dt,
            "steps_per_s": n / dt,
            "ms_per_step": step_ms,
            "ms": per,
            "updates": int(s1[6] - s0[6]),
        }

    # Warm-up: skip the first 100 steps (first calls, the first reset).
    first = min(100, updates_from // 4)
    warm = phase(first, updates_from - 1)
    # Updates begin at step updates_from; skip a few, then the window.
    upd = phase(updates_from + skip, updates_from + skip + window)
    assert upd["updates"] == window, upd
    return {"preset": preset, "config": {k: cfg[k] for k in ("hidden", "batch_size", "learning_starts",
                                                                "policy_samples", "posterior_samples", "shards")},
            "updates_from": updates_from, "wall_s": wall, "warmup": warm, "utd1": upd, "info": info,
            "back_to_back_update_ms": b2b_ms, "back_to_back_updates": n_b2b}


UPDATE_BENCH = {"paper": "^BenchmarkUpdatePaper$", "small": "^BenchmarkUpdateSmall$"}


def bench_learn(plan: Plan, gob: GoBench) -> tuple[dict[str, Any], dict[str, Any]]:
    """learn() runs, each between two runs of the Go-only update benchmark
    of its preset; returns (learn results, go results)."""
    bt = plan.update_benchtime
    res: dict[str, Any] = {}
    go_ups: dict[str, list[float]] = defaultdict(list)
    for rep in range(plan.learn_repeats):
        for preset, (ls, window, skip) in plan.learn.items():
            log(f"learn: preset {preset}, run {rep + 1}/{plan.learn_repeats} (load {loadavg()})")
            go_ups[preset] += metric(gob.run(UPDATE_BENCH[preset], bt), f"Update{preset.title()}", "updates/s")
            r = run_learn(preset, ls, window, skip, plan)
            go_ups[preset] += metric(gob.run(UPDATE_BENCH[preset], bt), f"Update{preset.title()}", "updates/s")
            r["load_after"] = loadavg()
            r["go_updates_per_s"] = float(np.mean(go_ups[preset][-2:]))  # before and after this run
            res.setdefault(preset, []).append(r)
            log(f"  warm-up {r['warmup']['steps_per_s']:.0f} steps/s, UTD 1 {r['utd1']['steps_per_s']:.2f} steps/s; "
                f"Go-only {go_ups[preset][-2]:.1f}, {go_ups[preset][-1]:.1f} updates/s")
    go = {"cmd": gob.command("^BenchmarkUpdate(Paper|Small)$", bt),
          "updates_per_s": {p: med(v) for p, v in go_ups.items()}, "updates_per_s_runs": dict(go_ups)}
    return res, go


# ---------------------------------------------------------------------------
# Report


def med(xs: list[float]) -> float:
    return float(np.median(np.asarray(xs, dtype=float)))


def fmt_us(x: float) -> str:
    return f"{x:.2f}" if x < 10 else f"{x:.1f}"


def report(meta: dict[str, Any], pred: dict[str, Any] | None, go_act: dict[str, Any] | None,
           learn: dict[str, Any] | None, go_upd: dict[str, Any] | None) -> str:
    L: list[str] = []
    L.append(f"{meta['date']}; mfpo {meta['mfpo']['version']} ({meta['mfpo']['blas']}, {meta['mfpo']['go_version']}), "
             f"Python {meta['python']}, numpy {meta['numpy']}, gymnasium {meta['gymnasium']}, "
             f"mujoco {meta['mujoco']}; {meta['cpu']}, {meta['cores']} cores; "
             f"load average (1, 5, 15 min) {meta['load_start']} at the start, {meta['load_end']} at the end"
             f"{'' if meta['plan'] == 'full' else ' (--' + meta['plan'] + ')'}.")
    L.append("")
    if pred is not None and go_act is not None:
        L.append("### predict: one observation, HalfCheetah-v5 (obs 17, act 6), preset \"paper\"")
        L.append("")
        us = go_act["us"]
        gref = {m: us[f"{m} core/agent median"] for m in MODES}  # Go's Agent.Act, per-call median
        L.append(f"Python: each call timed with `perf_counter_ns`, {meta['repeats']} repeats pooled, "
                 f"interleaved with {go_act['runs']} runs of Go's act benchmarks. *Go `Agent.Act`* is the "
                 "per-call median of `mfpo.Agent.Act` with the mapping onto the box (`core/agent` of "
                 f"`{go_act['face_cmd']}`, each call timed with `time.Now`; median and range over the runs): "
                 "the mean of a Go benchmark follows the preemptions on a loaded machine, the median the work. "
                 "Rows starting with – are the pieces of the layers.")
        L.append("")
        L.append("| call | median µs | p99 µs | Go `Agent.Act` µs (same run) | Python / Go | above Go, µs |")
        L.append("|---|---|---|---|---|---|")
        for name, r in pred.items():
            mode = r["mode"]
            if mode is not None:
                g = gref[mode]
                runs = go_act["us_per_run"][f"{mode} core/agent median"]
                grng = f" ({fmt_us(min(runs))}–{fmt_us(max(runs))})" if len(runs) > 1 else ""
                L.append(f"| `{name}` | {fmt_us(r['median_us'])} | {fmt_us(r['p99_us'])} | {fmt_us(g)}{grng} | "
                         f"{r['median_us'] / g:.2f} | {r['median_us'] - g:.2f} |")
            else:
                L.append(f"| {name[:2]}`{name[2:]}` | {fmt_us(r['median_us'])} | {fmt_us(r['p99_us'])} | – | – | – |")
        L.append("")
        L.append("Where the time of one `predict` (float64 observation) goes, medians in µs, "
                 "each layer minus the one below:")
        L.append("")
        L.append("| mode | Go `Agent.Act` | gopy crossing (`bindings.ActAt` − Go) | "
                 "`_core.Agent.act_one` − `bindings.ActAt` | `MFPO.predict` − `_core.Agent.act_one` | "
                 "`predict` total | `predict` − Go | Python overhead share |")
        L.append("|---|---|---|---|---|---|---|---|")
        pname = {"sample": "MFPO.predict(obs float64), sample",
                 "deterministic": "MFPO.predict(obs float64), deterministic=True",
                 "best_of_n": "MFPO.predict(obs float64), mode=best_of_n"}
        for m in MODES:
            g = gref[m]
            b = pred[f"bindings.ActAt (gopy C function), {m}"]["median_us"]
            c = pred[f"_core.Agent.act_one, {m}"]["median_us"]
            p = pred[pname[m]]["median_us"]
            L.append(f"| {m} | {fmt_us(g)} | {b - g:.2f} | {c - b:.2f} | {p - c:.2f} | {fmt_us(p)} | {p - g:.2f} | "
                     f"{(p - g) / p:.0%} |")
        L.append("")
        tp = pred["– MFPO.predict(obs float64), deterministic, tiny networks"]["median_us"]
        ta = pred["– bindings.ActAt (gopy C function), deterministic, tiny networks"]["median_us"]
        L.append(f"Tiny networks (`hidden [4]`, where Go's work is small): `predict` − `bindings.ActAt` = "
                 f"{tp - ta:.2f} µs, Python's own cost per `predict`.")
        L.append("")
        L.append("The faces against Go in µs: per-call medians (Go's over the runs), and the mean of "
                 f"`{go_act['cmd']}` (gocore/mfpo's `BenchmarkAct`, median over the runs) for reference. "
                 "Go's layers from gocore/face: `policy.Policy.Act`, `face.PolicyAct` (what both shells call)"
                 + (f"; C: `{go_act['capi_cmd']}` (`mfpo_policy_act` from C++)." if go_act["capi_cmd"] else "."))
        L.append("")
        L.append("| mode | Go `Agent.Act` mean | Go `Agent.Act` | Go `policy.Policy.Act` | Go `face.PolicyAct` | "
                 "C `mfpo_policy_act` | C − Go `Policy.Act` | C / Go | `predict` (float64) | "
                 "`predict` − Go `Agent.Act` | `predict` / Go |")
        L.append("|---|---|---|---|---|---|---|---|---|---|---|")
        for m in MODES:
            g, gp, gf = gref[m], us[f"{m} core/policy median"], us[f"{m} face/policy median"]
            p = pred[pname[m]]["median_us"]
            cc = us.get(f"{m} capi")
            ccol = (f"{fmt_us(cc)} | {cc - gp:.2f} | {cc / gp:.2f}") if cc is not None else "– | – | –"
            L.append(f"| {m} | {fmt_us(us[m])} | {fmt_us(g)} | {fmt_us(gp)} | {fmt_us(gf)} | {ccol} | {fmt_us(p)} | "
                     f"{p - g:.2f} | {p / g:.2f} |")
        if "crossing capi" in us:
            L.append("")
            L.append("The ABI crossing alone (`mfpo_policy_dims`, a handle looked up): "
                     f"{us['crossing capi'] * 1e3:.0f} ns.")
        L.append("")
    if learn is not None and go_upd is not None:
        L.append("### learn(): env-steps/s on HalfCheetah-v5 (one env, UTD 1)")
        L.append("")
        L.append(f"Median over {meta['learn_repeats']} runs per preset (range in brackets). Go-only: "
                 f"`{go_upd['cmd']}` (`UpdatePaper` or `UpdateSmall`), run before and after each learn() run: "
                 "the median of all, and each run's steps/s over the mean of its own two. Per-step times (ms) "
                 "from timing wrappers on `model._agent.update/act/store` and the env's "
                 "`step`/`reset`; *env* is the whole Gymnasium stack, of which *MuJoCo* is `HalfCheetahEnv.step`; "
                 "*rest* is the loop itself (flattening, rescaling, bookkeeping, the callback). "
                 "Shares of the step time.")
        L.append("")
        L.append("| preset | phase | steps timed | env-steps/s | Go-only updates/s (same run) | steps/s ÷ Go-only "
                 "| ms/step | update | act + store | env (MuJoCo) | rest | update | Go act + store | env | rest |")
        L.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for preset, runs in learn.items():
            gu = go_upd["updates_per_s"][preset]
            for ph, label in (("warmup", "random warm-up"), ("utd1", "1 update per step")):
                vals = [r[ph]["steps_per_s"] for r in runs]
                sps = med(vals)
                ms = {k: med([r[ph]["ms"][k] for r in runs]) for k in (*PARTS, "rest")}
                step = med([r[ph]["ms_per_step"] for r in runs])
                d = _dec(sps)
                rng = f" ({min(vals):.{d}f}–{max(vals):.{d}f})" if len(runs) > 1 else ""
                fr = [r[ph]["steps_per_s"] / r["go_updates_per_s"] for r in runs]
                gcol, frac = (f"{gu:.1f}", f"{med(fr):.2f}{_range(fr)}") if ph == "utd1" else ("–", "–")
                ast = ms["act"] + ms["store"]
                L.append(f"| {preset} | {label} | {runs[0][ph]['steps']} | {sps:.{d}f}{rng} | {gcol} | {frac} | "
                         f"{step:.3f} | {ms['update']:.3f} | {ast:.3f} | {ms['env']:.3f} ({ms['mujoco']:.3f}) | "
                         f"{ms['rest']:.3f} | {ms['update'] / step:.0%} | {ast / step:.0%} | "
                         f"{ms['env'] / step:.0%} | {ms['rest'] / step:.0%} |")
        L.append("")
        L.append("One update: Go-only (`BenchmarkUpdate*`), `_core.Agent.update(1)` called back to back from Python "
                 "after the window (no env in between), and the same call inside learn(); ratios per run, median "
                 "(range).")
        L.append("")
        L.append("| preset | Go-only ms/update | back to back from Python, ms | inside learn(), ms | "
                 "back to back ÷ Go-only | inside learn() ÷ Go-only |")
        L.append("|---|---|---|---|---|---|")
        for preset, runs in learn.items():
            gms = 1e3 / go_upd["updates_per_s"][preset]
            b2b = med([r["back_to_back_update_ms"] for r in runs])
            ums = med([r["utd1"]["ms"]["update"] for r in runs])
            rb = [r["back_to_back_update_ms"] * r["go_updates_per_s"] / 1e3 for r in runs]
            ri = [r["utd1"]["ms"]["update"] * r["go_updates_per_s"] / 1e3 for r in runs]
            L.append(f"| {preset} | {gms:.2f} | {b2b:.2f} | {ums:.2f} | {med(rb):.2f}{_range(rb)} | "
                     f"{med(ri):.2f}{_range(ri)} |")
        L.append("")
    return "\n".join(L)


def _range(xs: list[float]) -> str:
    return f" ({min(xs):.2f}–{max(xs):.2f})" if len(xs) > 1 else ""


def _dec(x: float) -> int:
    return 2 if x < 10 else (1 if x < 100 else 0)


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    size = ap.add_mutually_exclusive_group()
    size.add_argument("--quick", dest="plan", action="store_const", const="quick",
                      help="fewer calls, shorter learn() windows, one run of each")
    size.add_argument("--smoke", dest="plan", action="store_const", const="smoke",
                      help="tiny sizes and a few calls of everything, in seconds: checks that it runs")
    ap.add_argument("--repeats", type=int, default=None,
                    help="predict repeats, each with one Go act run (default 5; quick and smoke 1)")
    ap.add_argument("--learn-repeats", type=int, default=None,
                    help="learn() runs per preset (default 3; quick and smoke 1)")
    ap.add_argument("--only", choices=("predict", "learn"), default=None, help="run one part only")
    ap.add_argument("--capi", default=None, metavar="BENCH_ACT",
                    help="tests/c/bench_act (make build/bench/bench_act): compare the C ABI in the same run")
    ap.add_argument(
        "--out", default=str(ROOT / "build" / "bench-python.md"), help="the Markdown report (JSON beside it)"
    )
    args = ap.parse_args()
    plan_name = args.plan or "full"
    plan = PLANS[plan_name]
    overrides = {k: v for k, v in (("repeats", args.repeats), ("learn_repeats", args.learn_repeats)) if v is not None}
    for k, v in overrides.items():
        if v < 1:
            ap.error(f"--{k.replace('_', '-')} must be at least 1; got {v}")
    plan = dataclasses.replace(plan, **overrides)

    import gymnasium
    import mujoco

    import mfpo

    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    meta: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "mfpo": mfpo.build_info(),
        "mfpo_file": mfpo.__file__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "gymnasium": gymnasium.__version__,
        "mujoco": mujoco.__version__,
        "cpu": cpu,
        "cores": os.cpu_count(),
        "load_start": loadavg(),
        "repeats": plan.repeats,
        "learn_repeats": plan.learn_repeats,
        "plan": plan_name,
        "argv": sys.argv[1:],
    }
    log(f"mfpo from {mfpo.__file__}: {meta['mfpo']}")
    if Path(mfpo.__file__).resolve().is_relative_to(ROOT / "python"):
        log("warning: mfpo is imported from the checkout's python/, not the installed package")

    t0 = time.perf_counter()
    gob = GoBench(plan.go_short)
    pred = go_act = learn = go_upd = None
    if args.only in (None, "predict"):
        pred, go_act = bench_predict(plan, gob, args.capi)
    if args.only in (None, "learn"):
        gc.collect()
        learn, go_upd = bench_learn(plan, gob)
    meta["load_end"] = loadavg()
    meta["seconds"] = time.perf_counter() - t0

    md = report(meta, pred, go_act, learn, go_upd)
    print(md)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(md + "\n")
    out.with_suffix(".json").write_text(
        json.dumps({"meta": meta, "predict": pred, "go_act": go_act, "learn": learn, "go_update": go_upd}, indent=1)
        + "\n"
    )
    log(f"wrote {out} and {out.with_suffix('.json')} in {meta['seconds']:.0f} s")


if __name__ == "__main__":
    main()
