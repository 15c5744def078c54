"""The mfpo command line: `mfpo train` writes a run folder with a
checkpoint, `mfpo eval` runs a checkpoint, `mfpo plot` draws the learning
curve."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest


def mfpo_cmd() -> list[str]:
    exe = shutil.which("mfpo", path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    assert exe, "the mfpo console script is not installed ([project.scripts])"
    return [exe]


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(mfpo_cmd() + args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_train_and_plot(tmp_path: Path) -> None:
    out = tmp_path / "run"
    res = run(["train", "Pendulum-v1", "--steps", "600", "--seed", "3", "--out", str(out), "--preset", "small",
               "--set", "learning_starts=200", "--set", "hidden=[16,16]", "--set", "batch_size=32",
               "--eval-freq", "300", "--eval-episodes", "1", "--log-interval", "1", "--no-progress"], tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "rollout/" in res.stdout and "evaluation (best-of-N, 1 episodes)" in res.stdout
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["env"] == "Pendulum-v1" and cfg["steps"] == 600 and cfg["preset"] == "small"
    c = cfg["config"]
    assert c["seed"] == 3 and c["hidden"] == [16, 16] and c["learning_starts"] == 200
    assert cfg["build"]["version"] == cfg["mfpo_version"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["timesteps"] == 600 and summary["episodes"] == 3 and summary["updates"] == 401
    header = (out / "progress.csv").read_text().splitlines()[0].split(",")
    assert {"rollout/ep_rew_mean", "time/total_timesteps", "train/actor_loss", "eval/mean_reward"} <= set(header)
    assert list(out.glob("events.out.tfevents.*"))
    assert (out / "evaluations.csv").read_text().count("\n") == 3
    assert summary["checkpoint"] == "model.mfpo" and (out / "model.mfpo").read_bytes()[4:8] == b"MFPO"

    res = run(["plot", str(out)], tmp_path)
    assert res.returncode == 0, res.stderr
    png = out / "learning_curve.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    res = run(["plot", str(out), "--out", str(tmp_path / "c.png")], tmp_path)
    assert res.returncode == 0 and (tmp_path / "c.png").stat().st_size > 1000


def test_errors_are_one_line(tmp_path: Path) -> None:
    res = run(["train", "CartPole-v1", "--steps", "10", "--out", str(tmp_path / "x")], tmp_path)
    assert res.returncode == 2 and "ConfigError" in res.stderr and "Traceback" not in res.stderr
    res = run(["train", "Pendulum-v1", "--steps", "10", "--set", "polcy_samples=3", "--out", str(tmp_path / "y")],
              tmp_path)
    assert res.returncode == 2 and "did you mean 'policy_samples'" in res.stderr
    res = run(["plot", str(tmp_path / "nothing")], tmp_path)
    assert res.returncode == 2 and "no progress.csv" in res.stderr


@pytest.mark.parametrize("args", [["--version"], ["train", "--help"]])
def test_help_and_version(tmp_path: Path, args: list[str]) -> None:
    res = run(args, tmp_path)
    assert res.returncode == 0 and ("mfpo 0." in res.stdout or "--steps" in res.stdout)
    res = subprocess.run([sys.executable, "-m", "mfpo", "--version"],
                         cwd=tmp_path, capture_output=True, text=True, check=False)
    assert res.returncode == 0 and res.stdout.startswith("mfpo ")


TINY = ["--preset", "small", "--set", "hidden=[16,16]", "--set", "batch_size=32", "--set", "learning_starts=100",
        "--eval-episodes", "0", "--no-progress", "--quiet"]


def test_eval_resume_and_checkpoints(tmp_path: Path) -> None:
    out = tmp_path / "run"
    res = run(["train", "Pendulum-v1", "--steps", "400", "--out", str(out),
               "--checkpoint-freq", "200", "--save-replay", *TINY], tmp_path)
    assert res.returncode == 0, res.stderr
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == ["mfpo_200_steps.mfpo", "mfpo_400_steps.mfpo"]
    res = run(["eval", str(out / "model.mfpo"), "--episodes", "2", "--json"], tmp_path)  # the env from config.json
    assert res.returncode == 0, res.stderr
    result = json.loads(res.stdout)
    assert result["env"] == "Pendulum-v1" and len(result["returns"]) == 2 and result["mean_ep_length"] == 200
    ckpt = out / "checkpoints" / "mfpo_400_steps.mfpo"
    again = json.loads(run(["eval", str(ckpt), "--episodes", "2", "--json"], tmp_path).stdout)
    assert again["returns"] == result["returns"]  # the same policy, env seeds and noise seeds
    res = run(["eval", str(out / "model.mfpo"), "--mode", "deterministic", "--episodes", "1"], tmp_path)
    assert res.returncode == 0 and "1 episodes (deterministic)" in res.stdout

    res = run(["train", "Pendulum-v1", "--steps", "200", "--out", str(out), "--resume", str(out / "model.mfpo"),
               "--eval-episodes", "0", "--no-progress", "--quiet"], tmp_path)
    assert res.returncode == 0, res.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["timesteps"] == 600 and summary["updates"] == 501

    lone = tmp_path / "lone.mfpo"
    lone.write_bytes((out / "model.mfpo").read_bytes())
    res = run(["eval", str(lone)], tmp_path)
    assert res.returncode != 0 and "--env" in res.stderr
    res = run(["eval", str(lone), "--env", "MountainCarContinuous-v0", "--episodes", "1"], tmp_path)
    assert res.returncode == 2 and "ConfigError" in res.stderr and "Traceback" not in res.stderr
    lone.write_bytes(b"MFPO" * 10)
    res = run(["eval", str(lone), "--env", "Pendulum-v1"], tmp_path)
    assert res.returncode == 2 and "CheckpointError" in res.stderr and "Traceback" not in res.stderr


# SIGINT reaches the child as Ctrl-C does even where the test runs in a
# background job, whose children start with SIGINT ignored: the child
# restores Python's handler before running the CLI.
INTERRUPTIBLE = ("import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
                 "from mfpo.cli import main; sys.exit(main(sys.argv[1:]))")


@pytest.mark.parametrize("sig, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupt_saves_a_checkpoint_to_resume_from(tmp_path: Path, sig: signal.Signals, status: int) -> None:
    out = tmp_path / "run"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.Popen([sys.executable, "-c", INTERRUPTIBLE, "train", "Pendulum-v1", "--steps", "1000000",
                             "--out", str(out), "--checkpoint-freq", "300", *TINY],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 240
        while (
            not (out / "checkpoints" / "mfpo_300_steps.mfpo").exists()
            and proc.poll() is None
            and time.monotonic() < deadline
        ):
            time.sleep(0.1)
        proc.send_signal(sig)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == status, stdout + stderr
    assert f"interrupted ({sig.name})" in stderr and "--resume" in stderr and "Traceback" not in stderr
    import mfpo

    model = mfpo.MFPO.load(out / "model.mfpo")
    assert model.num_timesteps >= 300 and model.info()["buffer_len"] == model.num_timesteps
    assert f"--steps {1_000_000 - model.num_timesteps}" in stderr  # the steps left, not N
    model.close()


def test_train_device(tmp_path: Path) -> None:
    """--device cuda in a build without CUDA is one line naming the build tag,
    and nothing is written; --device takes only the three names."""
    import mfpo

    out = tmp_path / "run"
    res = run(["train", "Pendulum-v1", "--steps", "10", "--device", "cuda", "--out", str(out), *TINY], tmp_path)
    if "cuda" not in mfpo.build_info()["devices"].split(","):
        assert res.returncode == 2 and "mfpo was built without CUDA (build tag cuda)" in res.stderr, res.stderr
        assert "Traceback" not in res.stderr and not out.exists()
    else:
        assert res.returncode == 0 or "no CUDA device visible" in res.stderr, res.stderr
    res = run(["train", "Pendulum-v1", "--device", "tpu"], tmp_path)
    assert res.returncode == 2 and "invalid choice: 'tpu'" in res.stderr


@pytest.mark.parametrize("args, says", [
    (["train", "Nope-v9"], "NameNotFound"),
    (["train", "Pendulum-v1", "--set", "gamma"], "expected KEY=VALUE"),
    (["train", "Pendulum-v1", "--steps", "-5"], "--steps -5: expected an integer ≥ 0"),
    (["train", "Pendulum-v1", "--n-envs", "0"], "--n-envs 0: expected an integer ≥ 1"),
    (["train", "Pendulum-v1", "--bogus"], "unrecognized arguments: --bogus"),
    (["train"], "required: env"),
    (["eval", "missing.mfpo"], "no checkpoint at missing.mfpo"),
])
def test_usage_errors_are_one_line_exit_2_and_write_nothing(tmp_path: Path, args: list[str], says: str) -> None:
    out = tmp_path / "run"
    res = run(args + (["--out", str(out)] if args[0] == "train" and len(args) > 1 else []), tmp_path)
    assert res.returncode == 2 and says in res.stderr, res.stderr
    assert len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_plot_of_a_run_with_nothing_logged_is_an_error(tmp_path: Path) -> None:
    out = tmp_path / "run"
    res = run(["train", "Pendulum-v1", "--steps", "50", "--out", str(out), "--eval-episodes", "0", *TINY], tmp_path)
    assert res.returncode == 0, res.stderr
    res = run(["plot", str(out)], tmp_path)
    assert res.returncode == 2 and "nothing to plot" in res.stderr and not (out / "learning_curve.png").exists()


def test_resume_appends_to_the_runs_logs_and_keeps_its_config(tmp_path: Path) -> None:
    out = tmp_path / "run"
    first = ["train", "Pendulum-v1", "--steps", "400", "--out", str(out), "--save-replay", "--log-interval", "1",
             "--eval-episodes", "0", *TINY]
    assert run(first, tmp_path).returncode == 0
    rows = (out / "progress.csv").read_text().splitlines()
    res = run(["train", "Pendulum-v1", "--steps", "400", "--out", str(out), "--resume", str(out / "model.mfpo"),
               "--log-interval", "1", "--eval-episodes", "0", "--no-progress", "--quiet"], tmp_path)
    assert res.returncode == 0, res.stderr
    again = (out / "progress.csv").read_text().splitlines()
    assert again[:len(rows)] == rows and len(again) == len(rows) + 2  # two more episodes of 200 steps
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["preset"] == "small" and cfg["steps"] == 800 and cfg["resumed"][0]["at"] == 400
    import mfpo

    episodes = mfpo.load_progress(out)["time/episodes"]
    assert episodes == [1.0, 2.0, 3.0, 4.0]
