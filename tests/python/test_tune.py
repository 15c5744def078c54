"""Studies on Ray Tune (mfpo.tune, `mfpo study`, `mfpo report`): the smoke
study end to end on a local Ray with two interrupts (Ctrl-C, then a killed
driver) and two resumes, the last on a Ray cluster the test starts
(`--address`); a trial of each algorithm without Ray; the spec's
validation errors; the report's numbers on a fixture CSV, recomputed here.

Ray, PyYAML and Stable-Baselines3 come with the test extra (through the
bench extra): these tests fail, not skip, without them."""

from __future__ import annotations

import contextlib
import csv
import itertools
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import ray  # noqa: F401  (the test extra installs it; a missing one is a failure)
import yaml

from mfpo import ConfigError
from mfpo import tune as study
from mfpo.report import write_report

from conftest import TINY

REPO = Path(__file__).resolve().parents[2]
SMOKE = REPO / "bench" / "learning" / "smoke.yaml"
BENCH = REPO / "bench" / "learning" / "spec.yaml"
FIXTURE = Path(__file__).resolve().parent / "testdata" / "study"


def mfpo_cmd() -> list[str]:
    exe = shutil.which("mfpo", path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    assert exe, "the mfpo console script is not installed ([project.scripts])"
    return [exe]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", study.HOLD_ENV)}
    env.update(extra)
    return env


# ---------------------------------------------------------------------------
# Specs


def test_smoke_spec_is_the_tests_tiny_config() -> None:
    spec = study.load_spec(SMOKE)
    (agent,) = spec.agents
    tiny = {k: v for k, v in TINY.items() if k not in ("preset", "verbose")}
    assert agent.config == tiny and agent.preset == TINY["preset"]
    assert spec.n_trials() == 2 and [c["seed"] for c in spec.cells()] == [1, 2]
    assert all(c["cpus"] == 1 for c in spec.cells())  # the trial asks for its shards


def test_the_learning_study_spec_is_valid() -> None:
    spec = study.load_spec(BENCH)  # makes every env once: MuJoCo and dm_control through shimmy
    tasks = {"Hopper-v5", "Walker2d-v5", "HalfCheetah-v5", "dm_control/cheetah-run-v0", "dm_control/walker-walk-v0"}
    by_name = {a.name: a for a in spec.agents}
    assert {a.algorithm for a in spec.agents} == {"mfpo", "sac"}
    for a in spec.agents:
        assert len(a.seeds) >= 3
        if a.algorithm == "sac":
            assert a.eval_modes == ("deterministic",) and set(a.envs) == tasks
    mfpo_agents = [a for a in spec.agents if a.algorithm == "mfpo"]
    assert any(set(a.envs) == tasks and set(a.eval_modes) == {"best_of_n", "deterministic"} for a in mfpo_agents)
    one_step = [a for a in mfpo_agents if a.config.get("steps") == 1]
    assert len(one_step) == 1 and len(one_step[0].envs) == 2, by_name
    assert one_step[0].config == {**by_name["mfpo"].config, "steps": 1}  # a YAML merge key, overridden
    balance = [a for a in mfpo_agents if a.config.get("proposal_mix") == "balance"]
    assert len(balance) == 1 and len(balance[0].envs) == 2 and set(balance[0].envs) <= tasks - {
        "dm_control/cheetah-run-v0", "dm_control/walker-walk-v0"}


def test_the_committed_learning_study_is_the_spec_run_to_its_end() -> None:
    """bench/learning/run holds the study of bench/learning/spec.yaml (its
    copy is the spec), every trial evaluated at every interval up to the
    budget, and the report made from those results."""
    run = BENCH.parent / "run"
    assert (run / "spec.yaml").read_text() == BENCH.read_text()
    spec = study.parse_spec(BENCH.read_text())
    rows = study.read_results(run)
    every, budget = spec.every, spec.env_steps
    want = {(a.name, env, seed, steps, mode) for a in spec.agents for env in a.envs for seed in a.seeds
            for steps in range(every, budget + 1, every) for mode in a.eval_modes}
    got = {(r["agent"], r["env"], int(r["seed"]), int(r["env_steps"]), r["eval_mode"]) for r in rows}
    assert got == want
    report = json.loads((run / "report.json").read_text())
    assert report["trials"] == len({(a, e, s) for a, e, s, _, _ in want}) and report["unfinished"] == []


def base_spec() -> dict[str, Any]:
    doc = yaml.safe_load(SMOKE.read_text())
    doc["agents"].append({"name": "sac", "algorithm": "sac",
                          "config": {"learning_starts": 64, "batch_size": 32, "buffer_size": 1000,
                                     "policy_kwargs": {"net_arch": [8]}}})
    return doc


def spec_with(change: Callable[[dict[str, Any]], None]) -> str:
    doc = base_spec()
    change(doc)
    return yaml.safe_dump(doc)


def setter(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        node: Any = doc
        keys = [int(k) if k.isdigit() else k for k in path.split(".")]
        for k in keys[:-1]:
            node = node[k]
        node[keys[-1]] = value
    return change


def test_a_trials_device_follows_its_gpus() -> None:
    def gpu(doc: dict[str, Any]) -> None:
        doc["agents"][0]["config"].pop("shards")
        doc["agents"][0]["config"]["device"] = "cuda"  # a machine without a GPU validates it (the Go check skips it)
        doc["agents"][1]["gpus"] = 0.5

    spec = study.parse_spec(spec_with(gpu))
    assert [(a.device, a.gpus) for a in spec.agents] == [("cuda", 1.0), ("cuda", 0.5)]
    cells = {c["agent"]: c for c in spec.cells()}
    assert cells["mfpo"]["device"] == "cuda" and cells["mfpo"]["cpus"] == 2  # the small preset's shards
    res = study._resources({"cell": cells["sac"]})
    assert res.bundles == [{"CPU": 1.0, "GPU": 0.5}]
    assert study.parse_spec(yaml.safe_dump(base_spec())).cells()[0]["device"] == "cpu"


def test_a_valid_spec_parses_with_yaml_exponents() -> None:
    text = spec_with(setter("agents.0.search", {"actor_lr": {"loguniform": ["LO", "HI"]}}))
    text = text.replace("- LO", "- 1e-4").replace("- HI", "- 1e-3")  # YAML 1.1 reads these as text
    spec = study.parse_spec(text)
    assert spec.agents[0].search["actor_lr"] == study.Domain("loguniform", (1e-4, 1e-3))
    assert [a.name for a in spec.agents] == ["mfpo", "sac"] and spec.agents[1].eval_modes == ("deterministic",)


def drop(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda doc: doc.pop(key)


BAD_SPECS = [
    (setter("evaluation.episodes", 0), "spec: evaluation.episodes: want an integer ≥ 1, got 0"),
    (setter("evaluation.episodes", True), "spec: evaluation.episodes: want an integer ≥ 1, got true"),
    (setter("budget.env_steps", "lots"), "spec: budget.env_steps: want an integer ≥ 1, got 'lots'"),
    (setter("evaluation.every", 250), "spec: evaluation.every: want a divisor of budget.env_steps (600), got 250"),
    (setter("seed", 3), "spec: seed: unknown key; did you mean 'seeds'?"),
    (setter("evaluation.episods", 3), "spec: evaluation.episods: unknown key; did you mean 'episodes'?"),
    (drop("budget"), "spec: budget: missing (required)"),
    (setter("name", "my study"), "spec: name: want a name of letters"),
    (setter("seeds", [1, 1]), "spec: seeds[1]: want seeds given once each, got 1"),
    (setter("seeds", []), "spec: seeds: want a non-empty list of seeds"),
    (setter("agents.0.algorithm", "ppo"), "spec: agents[0].algorithm: want one of mfpo, sac, got 'ppo'"),
    (setter("agents.1.name", "mfpo"), "spec: agents[1].name: want a name no other agent has, got 'mfpo'"),
    (setter("agents.0.eval_modes", ["best_of_n", "greedy"]),
     "spec: agents[0].eval_modes[1]: want one of best_of_n, sample, deterministic, got 'greedy'"),
    (setter("agents.1.eval_modes", ["best_of_n"]),
     "spec: agents[1].eval_modes[0]: want one of deterministic, sample, got 'best_of_n'"),
    (setter("agents.1.preset", "small"), "spec: agents[1].preset: only for algorithm mfpo"),
    (setter("agents.0.preset", "huge"), "spec: agents[0].preset: want one of paper, small, got 'huge'"),
    (setter("agents.0.config.polcy_samples", 3),
     "spec: agents[0].config: unknown keyword argument 'polcy_samples'; did you mean 'policy_samples'"),
    (setter("agents.0.config.hidden", [0]), "spec: agents[0].config: create: invalid config: hidden = [0]"),
    (setter("agents.0.config.seed", 3), "spec: agents[0].config.seed: the seeds come from the spec's seeds"),
    (setter("agents.0.search", {"steps": {"grid": [1, 0]}}), "spec: agents[0].search.steps: create: invalid config: "
                                                              "steps = 0"),
    (setter("agents.0.search", {"steps": {"range": [1, 2]}}), "spec: agents[0].search.steps: want a mapping of one "
                                                               "of grid, choice, uniform, loguniform, randint"),
    (setter("agents.0.search", {"actor_lr": {"loguniform": [0, 1]}}),
     "spec: agents[0].search.actor_lr.loguniform[0]: want a number > 0, got 0.0"),
    (setter("agents.0.search", {"tau": {"uniform": [0.1, 0.1]}}),
     "spec: agents[0].search.tau.uniform: want low < high, got [0.1, 0.1]"),
    (setter("agents.0.search", {"hidden": {"grid": [[8, 8]]}}),
     "spec: agents[0].search.hidden: also in agents[0].config; give it in one of the two"),
    (setter("agents.1.config.learnin_rate", 0.001),
     "spec: agents[1].config.learnin_rate: not an argument of stable_baselines3.SAC; did you mean 'learning_rate'?"),
    (setter("agents.1.config.ent_coef", "lots"), "spec: agents[1].config: stable_baselines3.SAC refused it: "
                                                 "ValueError"),
    (setter("envs", ["NoSuchEnv-v9"]), "spec: envs[0]: cannot make 'NoSuchEnv-v9'"),
    (setter("envs", ["CartPole-v1"]), "spec: envs[0]: CartPole-v1: MFPO needs a continuous action space"),
    (setter("agents.1.envs", ["Pendulum-v1", "Nope-v0"]), "spec: agents[1].envs[1]: cannot make 'Nope-v0'"),
    (setter("search", {"scheduler": "hyperband"}), "spec: search.scheduler: want one of fifo, asha, got 'hyperband'"),
    (setter("search", {"samples": 3}), "spec: search.samples: 3 draws of a space with no random domain"),
    (setter("search", {"grace_period": 200}), "spec: search.grace_period: only with search.scheduler: asha"),
    (setter("search", {"scheduler": "asha", "grace_period": 100}),
     "spec: search.grace_period: want an integer ≥ 200, got 100"),
    (setter("search", {"algorithm": "optuna"}), "spec: search.algorithm: optuna tunes one agent on one env"),
    (setter("report", {"normalize": {"Pendulum-v1": [0, -1]}}),
     "spec: report.normalize.Pendulum-v1: want low < high, got [0, -1]"),
    (setter("report", {"bootstrap": 10}), "spec: report.bootstrap: want an integer ≥ 100, got 10"),
    (setter("checkpoint", {"replay_buffer": "yes"}), "spec: checkpoint.replay_buffer: want true or false, got 'yes'"),
    (setter("agents.0.config.device", "tpu"), "spec: agents[0].config.device: want one of cpu, cuda, auto, got 'tpu'"),
    (lambda doc: doc["agents"][0].update(gpus=1, config={"device": "cpu"}),
     "spec: agents[0].config.device: want cuda or auto with gpus 1.0 (a CPU trial leaves its GPU idle), got 'cpu'"),
    (lambda doc: doc["agents"][0].update(gpus=0, config={"device": "cuda"}),
     "spec: agents[0].gpus: want a number > 0 for config.device cuda (the trial's GPU), got 0"),
    (setter("agents.0.search", {"device": {"choice": ["cpu", "cuda"]}}), "spec: agents[0].search.device: a trial's "
                                                                           "device follows its resources"),
]


@pytest.mark.parametrize("change, message", BAD_SPECS, ids=[m.split(":")[1].strip() for _, m in BAD_SPECS])
def test_spec_errors_name_the_key(change: Callable[[dict[str, Any]], None], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        study.parse_spec(spec_with(change))
    assert str(err.value).startswith(message), str(err.value)


def test_spec_text_errors() -> None:
    text = SMOKE.read_text()
    with pytest.raises(ConfigError, match=r"^spec: line \d+: the key 'name' is given twice"):
        study.parse_spec(text + "\nname: again\n")
    with pytest.raises(ConfigError, match="^spec: not valid YAML"):
        study.parse_spec(text + "\n  : [\n")
    with pytest.raises(ConfigError, match=r"^spec: want a mapping at the top level, got \[1, 2\]"):
        study.parse_spec("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="^spec: cannot read"):
        study.load_spec(FIXTURE / "missing.yaml")


def test_search_spaces_expand_as_tune_draws_them() -> None:
    from ray.tune.search.variant_generator import generate_variants

    def change(doc: dict[str, Any]) -> None:
        doc["agents"][0]["search"] = {"steps": {"grid": [1, 2]}, "tau": {"uniform": [0.001, 0.01]}}
        doc["search"] = {"samples": 3}

    text = spec_with(change)
    spec = study.parse_spec(text)
    # mfpo: 2 seeds × 2 grid points × 3 draws; sac: 2 seeds × 3 draws of nothing random.
    assert spec.n_trials() == 2 * 2 * 3 + 2 * 3
    cells = spec.cells()
    for c in cells:
        agent = next(a for a in spec.agents if a.name == c["agent"])
        c["config"].update({k: d.tune() for k, d in agent.search.items()})
    from ray import tune

    drawn = [cfg for _ in range(3) for _, cfg in generate_variants({"cell": tune.grid_search(cells)})]
    assert len(drawn) == spec.n_trials()
    mfpo_cells = [d["cell"] for d in drawn if d["cell"]["agent"] == "mfpo"]
    assert sorted({c["config"]["steps"] for c in mfpo_cells}) == [1, 2]
    assert all(0.001 <= c["config"]["tau"] <= 0.01 for c in mfpo_cells)
    assert {(c["agent"], c["seed"]) for c in cells} == {("mfpo", 1), ("mfpo", 2), ("sac", 1), ("sac", 2)}
    assert [c["agent"] for c in cells[:2]] == ["mfpo", "sac"]  # seed by seed


@pytest.mark.parametrize("search", [{"algorithm": "optuna", "samples": 2},
                                    {"scheduler": "asha", "grace_period": 200, "reduction_factor": 2, "samples": 2}])
def test_optuna_and_asha_studies_build_their_tuner(tmp_path: Path, search: dict[str, Any]) -> None:
    doc = yaml.safe_load(SMOKE.read_text())
    doc["search"] = search
    doc["agents"][0]["config"].pop("learning_starts")
    doc["agents"][0]["search"] = {"learning_starts": {"choice": [32, 64]}}
    spec = study.parse_spec(yaml.safe_dump(doc))
    assert spec.n_trials() == 2 * 2  # 2 draws (Optuna: points) × 2 seeds
    tuner = study._tuner(spec, tmp_path)  # Tune takes the searcher, the scheduler and the space (nothing runs)
    assert type(tuner).__name__ == "Tuner"


# ---------------------------------------------------------------------------
# Trials without Ray


class Reports:
    """run_trial's report function: keeps the metrics and a copy of every
    checkpoint folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.metrics: list[dict[str, Any]] = []
        self.folders: list[Path] = []

    def __call__(self, metrics: dict[str, Any], folder: Path) -> None:
        copy = self.root / f"ckpt{len(self.folders)}"
        shutil.copytree(folder, copy)
        self.metrics.append(dict(metrics))
        self.folders.append(copy)


def test_sac_trial_checkpoints_and_continues_from_its_checkpoint(tmp_path: Path) -> None:
    spec = study.parse_spec(yaml.safe_dump(base_spec()))
    cell = next(c for c in spec.cells() if c["agent"] == "sac" and c["seed"] == 1)
    first = Reports(tmp_path / "a")
    study.run_trial(cell, 1, None, first)
    assert [m["env_steps"] for m in first.metrics] == [200, 400, 600]
    assert [m["evaluation"] for m in first.metrics] == [1, 2, 3]
    assert all(m["resumed_from"] == 0 and set(m) >= {"return_mean", "return_mean_deterministic"}
               for m in first.metrics)
    assert sorted(p.name for p in first.folders[0].iterdir()) == ["replay.pkl", "sac.zip", "trial_state.json"]
    assert first.metrics[0]["return_mean"] == first.metrics[0]["return_mean_deterministic"]

    again = Reports(tmp_path / "b")
    study.run_trial(cell, 1, first.folders[0], again)
    assert [(m["env_steps"], m["evaluation"], m["resumed_from"]) for m in again.metrics] == [(400, 2, 200),
                                                                                          (600, 3, 200)]
    assert again.metrics[0]["wall_s"] > first.metrics[0]["wall_s"]  # the time before the checkpoint counts

    from stable_baselines3 import SAC

    model = SAC.load(again.folders[-1] / "sac.zip")
    model.load_replay_buffer(again.folders[-1] / "replay.pkl")
    assert model.num_timesteps == 600 and model.replay_buffer.size() == 600  # the buffer went on from 200 rows


def test_sac_sees_the_observations_mfpo_flattens() -> None:
    import gymnasium as gym

    from mfpo.envs import ObsFlattener, make_env

    raw, flat = make_env("dm_control/walker-walk-v0"), study._sac_env("dm_control/walker-walk-v0")
    try:
        assert isinstance(raw.observation_space, gym.spaces.Dict)
        obs, _ = raw.reset(seed=3)
        sac_obs, _ = flat.reset(seed=3)
        np.testing.assert_array_equal(ObsFlattener(raw.observation_space).rows(obs)[0][0], sac_obs.astype(np.float32))
        assert flat.action_space == raw.action_space
    finally:
        raw.close()
        flat.close()


def test_a_checkpoint_without_state_is_refused(tmp_path: Path) -> None:
    cell = study.load_spec(SMOKE).cells()[0]
    with pytest.raises(ConfigError, match="has no trial_state.json: not a study checkpoint"):
        study.run_trial(cell, 1, tmp_path, Reports(tmp_path))


# ---------------------------------------------------------------------------
# The study end to end on a local Ray


def rows_at(path: Path, step: int) -> int:
    if not path.is_file():
        return 0
    return sum(1 for r in study.read_results(path) if r["env_steps"] == step)


def wait_for(proc: subprocess.Popen[str], what: Callable[[], bool], log: Path, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not what():
        assert proc.poll() is None, f"the study exited ({proc.returncode}) early:\n{log.read_text()[-4000:]}"
        assert time.monotonic() < deadline, f"timed out:\n{log.read_text()[-4000:]}"
        time.sleep(0.2)


def worker_pids(tune_dir: Path, step: int) -> set[int]:
    """The processes that reported the evaluation at step: Tune records
    each result's pid in the trial's result.json."""
    pids = set()
    for f in tune_dir.glob("*/result.json"):
        for line in f.read_text().splitlines():
            if line.strip() and json.loads(line).get("env_steps") == step:
                pids.add(int(json.loads(line)["pid"]))
    return pids


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@contextlib.contextmanager
def ray_cluster(tmp_path: Path) -> Iterator[str]:
    """A one-node Ray cluster (`ray start --head --block`, on a free port)
    for the test; yields its address and ends it by its pid."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    ray_exe = Path(sys.executable).with_name("ray")
    log = tmp_path / "head.log"
    head = subprocess.Popen([str(ray_exe), "start", "--head", f"--port={port}", "--num-cpus=2", "--block",
                             "--include-dashboard=false", "--disable-usage-stats"], cwd=tmp_path, env=clean_env(),
                            stdout=log.open("w"), stderr=subprocess.STDOUT, text=True)
    address = None
    try:
        deadline = time.monotonic() + 180
        while address is None:
            found = re.search(r"ray start --address='([^']+)'", log.read_text())
            address = found.group(1) if found else None
            assert head.poll() is None and time.monotonic() < deadline, log.read_text()[-4000:]
            time.sleep(0.2)
        yield address
    finally:
        head.terminate()
        head.wait(timeout=120)
        # Ray leaves the address of its latest cluster here for ray.init() to find; not this dead one.
        current = Path(tempfile.gettempdir()) / "ray" / "ray_current_cluster"
        if address and current.is_file() and current.read_text().strip() == address:
            current.unlink()


# SIGINT reaches the driver as Ctrl-C does even where the test runs in a
# background job (whose children start with SIGINT ignored).
INTERRUPTIBLE = ("import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
                 "from mfpo.cli import main; sys.exit(main(sys.argv[1:]))")


def start(args: list[str], log: Path, hold: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", INTERRUPTIBLE, *args], cwd=log.parent,
                            env=clean_env(**{study.HOLD_ENV: str(hold)}), stdout=log.open("w"),
                            stderr=subprocess.STDOUT, text=True)


def test_study_interrupted_twice_resumes_from_its_checkpoints(tmp_path: Path) -> None:
    out, hold = tmp_path / "smoke", tmp_path / "go"
    csv_path = out / "results.csv"
    # 1. Run; every trial holds after each report until `hold` exists. Once
    #    both trials reported their first evaluation: Ctrl-C.
    log1 = tmp_path / "run1.log"
    p = start(["study", str(SMOKE), "--out", str(out), "--num-cpus", "2"], log1, hold)
    try:
        wait_for(p, lambda: rows_at(csv_path, 200) == 4, log1)  # results.csv grows as the study runs
        p.send_signal(signal.SIGINT)
        assert p.wait(timeout=180) == 130, log1.read_text()[-4000:]
    finally:
        p.kill()
    text = log1.read_text()
    assert f"resume with: mfpo study --resume {out}" in text and "Traceback" not in text
    assert "Number of trials: 2/2" in text  # Tune's reporter: trials done, running, pending
    assert {r["env_steps"] for r in study.read_results(csv_path)} == {200}

    # 2. Resume; once both trials reported their second evaluation, kill
    #    the driver (SIGKILL: no state saved at exit).
    log2 = tmp_path / "run2.log"
    p = start(["study", "--resume", str(out), "--num-cpus", "2"], log2, hold)
    try:
        wait_for(p, lambda: rows_at(csv_path, 400) == 4 and len(worker_pids(out / "tune", 400)) == 2, log2)
        p.kill()
        p.wait(timeout=60)
    finally:
        p.kill()
    # Its trials' workers go with it (before they could train on).
    pids = worker_pids(out / "tune", 400)
    assert not pids & worker_pids(out / "tune", 200)  # new processes: the trials were restored
    deadline = time.monotonic() + 120
    while any(alive(pid) for pid in pids):
        assert time.monotonic() < deadline, f"workers {pids} outlived their killed study"
        time.sleep(0.2)

    # 3. Resume again, without holding, on a Ray cluster this test starts
    #    (`ray start --head`, the cluster's token): the study finishes.
    hold.touch()
    with ray_cluster(tmp_path) as address:
        res = subprocess.run(mfpo_cmd() + ["study", "--resume", str(out), "--address", address], cwd=tmp_path,
                             env=clean_env(RAY_AUTH_MODE="token"), capture_output=True, text=True, timeout=600,
                             check=False)
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-4000:]
    assert "2 trials finished, 0 errored, 0 unfinished" in res.stdout

    rows = study.read_results(csv_path)
    keys = [(r["trial_id"], r["env_steps"], r["eval_mode"]) for r in rows]
    assert len(keys) == len(set(keys)) == 2 * 3 * 2  # every evaluation of both trials, once
    assert list(rows[0]) == list(study.COLUMNS)
    spec = study.load_spec(SMOKE)
    for r in rows:
        assert r["study"] == "smoke" and r["agent"] == "mfpo" and r["algorithm"] == "mfpo"
        assert r["env"] == "Pendulum-v1" and r["episodes"] == 1 and r["seed"] in (1, 2)
        assert json.loads(r["config"]) == spec.agents[0].config
        # After each interrupt the trial continued from a checkpoint, not from step 0: the one of
        # the evaluation before (a kill in the instant between a row and Tune's saved state can
        # leave the one before that, and the row is then made again).
        assert r["resumed_from"] == 0 if r["env_steps"] == 200 else 200 <= r["resumed_from"] <= r["env_steps"] - 200
    trials = {r["trial_id"] for r in rows}
    assert len(trials) == 2
    for t in trials:
        walls = [r["wall_s"] for r in rows if r["trial_id"] == t and r["eval_mode"] == "best_of_n"]
        assert walls == sorted(walls) and walls[0] > 0

    # The resumed trials went on exactly as uninterrupted ones: every
    # checkpoint fell at the end of a 200-step Pendulum episode and held
    # the replay buffer (docs/python.md, exact resume).
    for seed in (1, 2):
        ref = Reports(tmp_path / f"ref{seed}")
        study.run_trial(next(c for c in spec.cells() if c["seed"] == seed), seed, None, ref)
        got = {(r["env_steps"], r["eval_mode"]): r["return_mean"] for r in rows if r["seed"] == seed}
        want = {(m["env_steps"], mode): m[f"return_mean_{mode}"] for m in ref.metrics
                for mode in ("best_of_n", "deterministic")}
        assert got == want

    meta = json.loads((out / "study.json").read_text())
    assert [r["interrupted"] for r in meta["runs"]] == [True, False]  # the killed run wrote nothing
    assert meta["runs"][-1]["machine"]["cores"] == os.cpu_count()

    res = subprocess.run(mfpo_cmd() + ["report", str(out)], cwd=tmp_path, env=clean_env(), capture_output=True,
                         text=True, timeout=300, check=False)
    assert res.returncode == 0, res.stderr
    report = (out / "report.md").read_text()
    assert "| Pendulum-v1 | " in report and "2 of 2 reached the budget" in report
    assert (out / "figures" / "learning_curves.png").read_bytes()[:4] == b"\x89PNG"


# ---------------------------------------------------------------------------
# The command line


def run_cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(mfpo_cmd() + args, cwd=cwd, env=clean_env(), capture_output=True, text=True, timeout=300,
                          check=False)


def test_study_check_lists_the_trials(tmp_path: Path) -> None:
    res = run_cli(["study", str(SMOKE), "--check"], tmp_path)
    assert res.returncode == 0, res.stderr
    assert "valid; 2 trials of 600 env steps, evaluated every 200 steps on 1 episodes" in res.stdout
    assert res.stdout.count("Pendulum-v1") == 2 and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args, says", [
    (["study"], "give a SPEC (YAML), or --resume DIR"),
    (["study", "BAD", "--resume", "x"], "--resume DIR takes the spec and folder"),
    (["study", "--resume", "nowhere"], "nowhere: not a study folder"),
    (["study", "BAD"], "ConfigError: spec: evaluation.episodes: want an integer ≥ 1, got 0"),
    (["study", "BAD", "--num-cpus", "0"], "--num-cpus 0: expected an integer ≥ 1"),
    (["report", "nowhere"], "no results.csv at nowhere/results.csv"),
])
def test_study_usage_errors_are_one_line(tmp_path: Path, args: list[str], says: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(SMOKE.read_text().replace("episodes: 1", "episodes: 0"))
    res = run_cli([str(bad) if a == "BAD" else a for a in args], tmp_path)
    assert res.returncode == 2 and says in res.stderr, res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr


# ---------------------------------------------------------------------------
# The report, on a fixture


def fixture_rows() -> list[dict[str, str]]:
    with (FIXTURE / "results.csv").open(newline="") as f:
        return list(csv.DictReader(f))


def finals(rows: list[dict[str, str]], step: int) -> dict[tuple[str, str, str], list[float]]:
    """(env, agent, mode) -> final returns by seed, read here from the CSV."""
    out: dict[tuple[str, str, str], list[tuple[int, float]]] = {}
    for r in rows:
        if int(r["env_steps"]) == step:
            out.setdefault((r["env"], r["agent"], r["eval_mode"]), []).append((int(r["seed"]), float(r["return_mean"])))
    return {k: [x for _, x in sorted(v)] for k, v in out.items()}


def percentile_bootstrap(x: list[float], b: int, seed: int) -> tuple[float, float]:
    """The documented procedure, written again: resample the seeds b times."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(x), size=(b, len(x)))
    means = np.asarray(x)[idx].mean(axis=1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def exact_bootstrap_quantile(x: list[float], q: float) -> float:
    """The q-quantile of the exact bootstrap distribution of the mean: all
    n^n equally likely resamples."""
    means = sorted(sum(c) / len(x) for c in itertools.product(x, repeat=len(x)))
    return means[min(int(q * len(means)), len(means) - 1)]


def interquartile_mean(xs: list[float]) -> float:
    s = sorted(xs)
    k = len(s) // 4
    middle = s[k:len(s) - k]
    return sum(middle) / len(middle)


def table_cell(report: str, row: str, column: str) -> str:
    lines = [ln for ln in report.splitlines() if ln.startswith("| task |")]
    head = [h.strip() for h in lines[0].strip("|").split("|")]
    line = next(ln for ln in report.splitlines() if ln.startswith(f"| {row} |"))
    return [c.strip() for c in line.strip("|").split("|")][head.index(column)]


def test_report_numbers_recomputed(tmp_path: Path) -> None:
    d = tmp_path / "study"
    shutil.copytree(FIXTURE, d)
    (d / "report.md").unlink()
    write_report(d)
    report = (d / "report.md").read_text()
    assert report == (FIXTURE / "report.md").read_text()  # the committed report: what the format looks like
    summary = json.loads((d / "report.json").read_text())
    b, seed = 2000, 3  # the fixture spec's report options
    rows = fixture_rows()
    fin = finals(rows, 3000)
    assert len(fin) == 6 and len(fin[("MountainCarContinuous-v0", "sac", "deterministic")]) == 3  # one unfinished
    for (env, agent, mode), x in fin.items():
        g = next(g for g in summary["groups"] if (g["env"], g["agent"], g["eval_mode"]) == (env, agent, mode))
        lo, hi = percentile_bootstrap(x, b, seed)
        assert g["finals"] == x and g["mean"] == pytest.approx(sum(x) / len(x), abs=1e-9)
        assert g["ci"] == pytest.approx([lo, hi], abs=1e-9)
        # The Monte Carlo interval lies where the exact bootstrap distribution puts it.
        assert exact_bootstrap_quantile(x, 0.01) <= lo <= exact_bootstrap_quantile(x, 0.05)
        assert exact_bootstrap_quantile(x, 0.95) <= hi <= exact_bootstrap_quantile(x, 0.99)
        want = f"{sum(x) / len(x):.1f} [{lo:.1f}, {hi:.1f}] (n={len(x)})"
        assert table_cell(report, env, f"{agent} · {mode}") == want

    envs = sorted({e for e, _, _ in fin})
    bounds = {e: (min(v for k, xs in fin.items() if k[0] == e for v in xs),
                  max(v for k, xs in fin.items() if k[0] == e for v in xs)) for e in envs}
    for agent, mode in (("mfpo", "best_of_n"), ("mfpo", "deterministic"), ("sac", "deterministic")):
        by_task = [[(v - bounds[e][0]) / (bounds[e][1] - bounds[e][0]) for v in fin[(e, agent, mode)]] for e in envs]
        pooled = [v for t in by_task for v in t]
        want = interquartile_mean(pooled)
        rng = np.random.default_rng(seed)
        draws = np.concatenate([np.asarray(t)[rng.integers(0, len(t), size=(b, len(t)))] for t in by_task], axis=1)
        boot = [interquartile_mean(list(row)) for row in draws]
        lo, hi = float(np.percentile(boot, 2.5)), float(np.percentile(boot, 97.5))
        q = next(q for q in summary["iqm"] if (q["label"], q["eval_mode"]) == (agent, mode))
        assert q["iqm"] == pytest.approx(want, abs=1e-12) and q["runs"] == len(pooled)
        assert q["ci"] == pytest.approx([lo, hi], abs=1e-12)
        assert table_cell(report, "IQM (normalised)", f"{agent} · {mode}") == f"{want:.2f} [{lo:.2f}, {hi:.2f}] " \
                                                                                f"(n={len(pooled)})"
    assert "normalised per task by this study's range" in report
    unfinished = {r["trial_id"] for r in rows} - {r["trial_id"] for r in rows if r["env_steps"] == "3000"}
    assert summary["unfinished"] == sorted(unfinished) and len(unfinished) == 1
    assert f"15 of 16 reached the budget; the others (interrupted, or stopped early) are left out of the final " \
           f"scores: {unfinished.pop()}." in report
    walls = [float(r["wall_s"]) for r in rows if r["env"] == "Pendulum-v1" and r["agent"] == "sac"
             and r["env_steps"] == "3000"]
    assert table_cell(report.split("## Wall time")[1], "Pendulum-v1", "sac") == \
        f"{np.mean(walls):.0f} s ({max(walls):.0f} s)"
    for name in ("learning_curves.png", "final_scores.png"):
        assert (d / "figures" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_with_reference_scores_and_without_a_spec(tmp_path: Path) -> None:
    d = tmp_path / "ref"
    shutil.copytree(FIXTURE, d)
    ref = {"Pendulum-v1": [-1500.0, 0.0], "MountainCarContinuous-v0": [0.0, 100.0]}
    (d / "spec.yaml").write_text((FIXTURE / "spec.yaml").read_text().replace(
        "report: {bootstrap: 2000, seed: 3}", "report:\n  bootstrap: 2000\n  seed: 3\n  normalize: " + json.dumps(ref)))
    write_report(d)
    s = json.loads((d / "report.json").read_text())
    fin = finals(fixture_rows(), 3000)
    pooled = [(v - ref[e][0]) / (ref[e][1] - ref[e][0]) for e in ref for v in fin[(e, "mfpo", "best_of_n")]]
    q = next(q for q in s["iqm"] if (q["label"], q["eval_mode"]) == ("mfpo", "best_of_n"))
    assert q["iqm"] == pytest.approx(interquartile_mean(pooled), abs=1e-12)
    assert "reference returns" in (d / "report.md").read_text()

    bare = tmp_path / "bare"
    bare.mkdir()
    shutil.copy(FIXTURE / "results.csv", bare / "results.csv")
    write_report(bare)
    s = json.loads((bare / "report.json").read_text())
    assert s["study"] == "fixture" and s["final_env_steps"] == 3000 and s["bootstrap"] == 10_000
    g = next(g for g in s["groups"] if (g["env"], g["agent"], g["eval_mode"]) == ("Pendulum-v1", "sac",
                                                                                    "deterministic"))
    assert g["ci"] == pytest.approx(list(percentile_bootstrap(fin[("Pendulum-v1", "sac", "deterministic")],
                                                              10_000, 0)), abs=1e-9)


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(study.COLUMNS))
        w.writeheader()
        w.writerows(rows)


def test_report_of_a_search_labels_its_configs_and_one_seed_has_no_interval(tmp_path: Path) -> None:
    rows = [dict(r) for r in fixture_rows() if r["agent"] == "mfpo" and r["env"] == "Pendulum-v1"]
    for r in rows:
        if r["seed"] in ("3", "4"):
            r["config"] = json.dumps({"hidden": [64, 64], "steps": 1}, separators=(",", ":"))
    write_csv(tmp_path / "results.csv", rows)
    s = json.loads(write_report(tmp_path).with_suffix(".json").read_text())
    assert {c["label"] for c in s["columns"]} == {"mfpo[steps=default]", "mfpo[steps=1]"}
    assert {(g["label"], tuple(g["seeds"])) for g in s["groups"]} == {("mfpo[steps=default]", (1, 2)),
                                                                       ("mfpo[steps=1]", (3, 4))}
    write_csv(tmp_path / "results.csv", [r for r in rows if r["seed"] == "1"])
    s = json.loads(write_report(tmp_path).with_suffix(".json").read_text())
    assert all(g["n"] == 1 and all(math.isnan(v) for v in g["ci"]) for g in s["groups"])
    assert "(n=1)" in (tmp_path / "report.md").read_text()


def test_read_results_refuses_another_csv(tmp_path: Path) -> None:
    (tmp_path / "results.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ConfigError, match="not a study's results.csv: no column study"):
        study.read_results(tmp_path)
