"""The ``mfpo`` command line.

``mfpo train ENV [--steps N] [--seed S] [--out DIR] [--preset small] [--set KEY=VALUE …]``
    trains an agent on a Gymnasium or dm_control task and writes, in DIR,
    ``config.json`` (the env, the effective config, the build),
    ``progress.csv`` and TensorBoard event files, ``evaluations.csv`` with
    ``--eval-freq``, the checkpoint ``model.mfpo`` (with ``--save-replay``,
    its replay buffer too), ``checkpoints/`` with ``--checkpoint-freq``,
    ``summary.json`` (steps, episodes, the final evaluation) and, with
    ``--plot``, ``learning_curve.png``. Ctrl-C (or SIGTERM) saves
    ``model.mfpo`` with the replay buffer and prints the command that resumes
    (``--resume``); the exit status is then 130 (143 for SIGTERM).
``mfpo eval CKPT [--env ENV] [--episodes N] [--mode best_of_n] [--seed S]``
    runs a checkpoint's policy (full or policy-only) for N episodes and
    prints the mean return; the env defaults to the one in the run's
    ``config.json`` next to CKPT.
``mfpo plot RUN_DIR [--out PNG]``
    draws the learning curve of a run to ``RUN_DIR/learning_curve.png``.
``mfpo study SPEC [--out DIR] [--address ADDR] [--num-cpus N] [--check]``
    runs a study (seeds and sweeps of MFPO and the SAC baseline, a YAML
    spec: docs/studies.md) on Ray Tune, started in this process or on the
    cluster at ADDR, into DIR (default ``studies/<name>``): ``results.csv``
    grows as evaluations arrive. ``--check`` validates the spec and prints
    the trials. Exit status 130 when interrupted (Ctrl-C).
``mfpo study --resume DIR [--address ADDR]``
    continues an interrupted study; each trial restarts from its last
    checkpoint.
``mfpo report DIR``
    writes the report into DIR: ``report.md`` (final returns with 95 %
    bootstrap intervals over seeds, the interquartile mean across tasks),
    ``report.json`` and ``figures/`` (learning curves, final scores).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import signal
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

__all__ = ["main"]


class UsageError(Exception):
    """A command line that cannot run: one line on stderr, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse whose errors are one line (no usage block), exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _parse_set(items: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--set {item!r}: expected KEY=VALUE, e.g. --set gamma=0.98 or --set hidden=[64,64]")
        try:
            out[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            out[key.strip()] = raw
    return out


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="mfpo", description="MeanFlow Policy Optimization: train agents and plot runs.")
    p.add_argument("--version", action="store_true", help="print the version and build, then exit")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    t = sub.add_parser("train", help="train an agent on an environment",
                       description="Train MFPO on a Gymnasium env id.")
    t.add_argument("env", help='env id, e.g. Pendulum-v1, HalfCheetah-v5, "dm_control/cheetah-run-v0"')
    t.add_argument("--steps", type=int, default=100_000, help="environment steps (default 100000)")
    t.add_argument("--seed", type=int, default=1, help="seed of the agent and the env (default 1)")
    t.add_argument("--out", type=Path, default=None, help="run folder (default runs/<env>-s<seed>)")
    t.add_argument("--preset", choices=("paper", "small"), default="paper", help="config preset (default paper)")
    t.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE",
        help="override a config key (JSON value), e.g. --set learning_starts=5000 --set hidden=[64,64]; repeatable",
    )
    t.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                   help="where the networks compute (default auto: CUDA in a build with it where a GPU is visible)")
    t.add_argument("--n-envs", type=int, default=1, help="parallel copies of the env (a vector env; default 1)")
    t.add_argument("--async", dest="asynchronous", action="store_true", help="run the copies in spawned processes")
    t.add_argument("--log-interval", type=int, default=4, help="log every N episodes (default 4)")
    t.add_argument("--eval-freq", type=int, default=0, help="evaluate every N steps (default: only at the end)")
    t.add_argument("--eval-episodes", type=int, default=10, help="episodes per evaluation (default 10; 0: none)")
    t.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")
    t.add_argument("--quiet", action="store_true", help="no log tables on stdout")
    t.add_argument("--save-replay", action="store_true", help="include the replay buffer in model.mfpo (exact resume)")
    t.add_argument("--checkpoint-freq", type=int, default=0,
                   help="also save DIR/checkpoints/mfpo_<steps>_steps.mfpo every N steps")
    t.add_argument("--resume", type=Path, default=None, metavar="CKPT",
                   help="continue training a full checkpoint (--steps more steps; its config wins over --preset/--set)")
    t.add_argument("--plot", action="store_true", help="write DIR/learning_curve.png at the end (needs matplotlib)")

    e = sub.add_parser("eval", help="evaluate a checkpoint", description="Run a checkpoint's policy on its env.")
    e.add_argument("checkpoint", type=Path, help="a .mfpo checkpoint (full or policy-only)")
    e.add_argument("--env", default=None, help="env id (default: from config.json next to the checkpoint)")
    e.add_argument("--episodes", type=int, default=10, help="episodes (default 10)")
    e.add_argument("--mode", choices=("best_of_n", "sample", "deterministic"), default="best_of_n",
                   help="how actions are chosen (default best_of_n, the paper's evaluation rule)")
    e.add_argument("--seed", type=int, default=0, help="seeds the env resets and the policy's noise (default 0)")
    e.add_argument("--json", action="store_true", help="print the result as JSON")

    pl = sub.add_parser("plot", help="plot the learning curve of a run", description="Plot a run's learning curve.")
    pl.add_argument("run_dir", type=Path, help="a run folder (with progress.csv)")
    pl.add_argument("--out", type=Path, default=None, help="PNG path (default RUN_DIR/learning_curve.png)")

    st = sub.add_parser("study", help="run a study (seeds, sweeps, the SAC baseline) on Ray Tune",
                        description="Run a study spec (docs/studies.md) on Ray Tune; resume an interrupted one.")
    st.add_argument("spec", type=Path, nargs="?", default=None, help="the study spec (YAML)")
    st.add_argument("--out", type=Path, default=None, metavar="DIR", help="study folder (default studies/<name>)")
    st.add_argument("--resume", type=Path, default=None, metavar="DIR", help="continue the study in DIR")
    st.add_argument("--address", default=None, metavar="ADDR",
                    help="run on the Ray cluster at ADDR (e.g. 10.0.0.1:6379, or auto); default: Ray in this process")
    st.add_argument("--num-cpus", type=int, default=None, metavar="N",
                    help="CPUs the in-process Ray may use (default: all of this machine's)")
    st.add_argument("--check", action="store_true", help="validate the spec, print its trials and exit")

    rp = sub.add_parser("report", help="write a study's table and figures",
                        description="Write report.md, report.json and figures/ into DIR from its results.csv.")
    rp.add_argument("study_dir", type=Path, help="a study folder (with results.csv)")
    return p


def _study(args: argparse.Namespace) -> int:
    from mfpo import tune

    if args.num_cpus is not None and args.num_cpus < 1:
        raise UsageError(f"--num-cpus {args.num_cpus}: expected an integer ≥ 1")
    if args.resume is not None:
        if args.spec is not None or args.out is not None or args.check:
            raise UsageError("--resume DIR takes the spec and folder of the study in DIR: give no SPEC, --out, --check")
        return tune.resume_study(args.resume, address=args.address, num_cpus=args.num_cpus)
    if args.spec is None:
        raise UsageError("give a SPEC (YAML), or --resume DIR")
    spec = tune.load_spec(args.spec)
    if args.check:
        cells = spec.cells()
        print(f"mfpo study: {args.spec}: valid; {spec.n_trials()} trials of {spec.env_steps} env steps, "
              f"evaluated every {spec.every} steps on {spec.episodes} episodes")
        for c in cells:
            seed = c.get("seed", c.get("seeds"))
            print(f"  {c['agent']:<16} {c['algorithm']:<5} {c['env']:<28} seed {seed}  cpus {c['cpus']}  "
                  f"modes {','.join(c['eval_modes'])}")
        return 0
    return tune.run_study(spec, args.out, address=args.address, num_cpus=args.num_cpus)


def _report(args: argparse.Namespace) -> int:
    from mfpo.report import write_report

    out = write_report(args.study_dir)
    print(f"mfpo report: {out} (and {out.with_suffix('.json').name}, figures/)")
    return 0


def _train(args: argparse.Namespace) -> int:
    import mfpo
    from mfpo.callbacks import BaseCallback, CheckpointCallback, EvalCallback

    # Every argument is checked, and the env and model made, before the
    # run folder or any file in it is written.
    for name in ("steps", "n_envs", "log_interval", "eval_freq", "eval_episodes", "checkpoint_freq"):
        least = 1 if name == "n_envs" else 0
        if getattr(args, name) < least:
            raise UsageError(f"--{name.replace('_', '-')} {getattr(args, name)}: expected an integer ≥ {least}")
    overrides = _parse_set(args.set)
    overrides["seed"] = args.seed
    if args.resume is not None and args.set:
        raise UsageError("--set does not apply with --resume: the checkpoint's config is kept")
    out: Path = args.out or Path("runs") / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', args.env)}-s{args.seed}"
    if args.n_envs > 1:
        env: Any = mfpo.make_vec_env(args.env, args.n_envs, asynchronous=args.asynchronous)
    else:
        env = mfpo.make_env(args.env)
    try:
        previous = _resumed_run(out) if args.resume is not None else None
        if args.resume is not None:
            model = mfpo.MFPO.load(args.resume, env, verbose=0 if args.quiet else 1, device=args.device)
        else:
            model = mfpo.MFPO(env, preset=args.preset, verbose=0 if args.quiet else 1, device=args.device, **overrides)
        model.env_id = args.env
        formats = ["csv", "tensorboard"] if args.quiet else ["stdout", "csv", "tensorboard"]
        model.set_logger(mfpo.configure_logger(out, formats, append=previous is not None))
        if previous is not None:  # the run goes on: its config, its episode count
            model._episode_num = int(previous.get("episodes", 0))
        start_steps = model.num_timesteps
        run = previous.get("config.json") if previous else None
        if run is None:
            run = {"env": args.env, "steps": start_steps + args.steps,
                   "preset": None if args.resume is not None else args.preset, "n_envs": args.n_envs,
                   "config": model.config, "mfpo_version": mfpo.__version__, "build": mfpo.build_info()}
        else:
            run["steps"] = start_steps + args.steps
            run.setdefault("resumed", []).append({"from": str(args.resume), "at": start_steps, "steps": args.steps})
        (out / "config.json").write_text(json.dumps(run, indent=2) + "\n")
        callbacks: list[BaseCallback] = []
        if args.eval_freq > 0 and args.eval_episodes > 0:
            callbacks.append(EvalCallback(args.env, eval_freq=args.eval_freq, n_eval_episodes=args.eval_episodes,
                                          log_path=out, seed=args.seed + 10_000, verbose=0))
        if args.checkpoint_freq > 0:
            callbacks.append(
                CheckpointCallback(args.checkpoint_freq, out / "checkpoints", save_replay_buffer=args.save_replay)
            )
        start = time.perf_counter()
        try:
            with _sigterm_interrupts() as received:
                model.learn(args.steps, callback=callbacks, log_interval=args.log_interval, progress_bar=args.progress,
                            reset_num_timesteps=args.resume is None)
        except KeyboardInterrupt:
            path = model.save(out / "model.mfpo", replay_buffer=True)
            left = max(args.steps - (model.num_timesteps - start_steps), 0)
            print(f"\nmfpo: interrupted ({received[0] if received else 'SIGINT'}) at {model.num_timesteps} steps; "
                  f"saved {path} (with the replay buffer). Resume with:\n"
                  f"  mfpo train {args.env} --resume {path} --out {out} --steps {left}", file=sys.stderr)
            model.close()
            return 143 if received else 130
        elapsed = time.perf_counter() - start
        ckpt = model.save(out / "model.mfpo", replay_buffer=args.save_replay)
        summary: dict[str, Any] = {
            "timesteps": model.num_timesteps,
            "episodes": model.num_episodes,
            "seconds": round(elapsed, 1),
            "updates": model.info()["updates"],
        }
        if args.eval_episodes > 0:
            mean, std = model.evaluate(args.env, args.eval_episodes, seed=args.seed + 20_000)
            summary["eval"] = {
                "mode": "best_of_n", "episodes": args.eval_episodes, "mean_reward": mean, "std_reward": std,
            }
            print(f"mfpo: {args.env}: {model.num_timesteps} steps in {elapsed:.0f} s; "
                  f"evaluation (best-of-N, {args.eval_episodes} episodes): {mean:.1f} ± {std:.1f}")
        summary["checkpoint"] = ckpt.name
        (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        model.close()
        if args.plot:
            _plot(argparse.Namespace(run_dir=out, out=None))
        print(f"mfpo: run written to {out} (checkpoint {ckpt})")
    finally:
        env.close()
    return 0


def _resumed_run(out: Path) -> dict[str, Any] | None:
    """What a resumed run keeps of the run in ``out``: its config.json and
    the episodes its progress.csv counted; None when out holds no run."""
    cfg = out / "config.json"
    if not cfg.is_file():
        return None
    kept: dict[str, Any] = {"config.json": json.loads(cfg.read_text())}
    progress = out / "progress.csv"
    if progress.is_file():
        from mfpo.plot import load_progress

        episodes = [e for e in load_progress(out).get("time/episodes", []) if e == e]
        kept["episodes"] = int(episodes[-1]) if episodes else 0
    return kept


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[list[str]]:
    """While training, SIGTERM (a scheduler's preemption, `kill`) interrupts
    like Ctrl-C does, so that the run is saved; the list names the signal
    once one came."""
    received: list[str] = []

    def interrupt(signum: int, frame: Any) -> None:
        received.append(signal.Signals(signum).name)
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: leave SIGTERM alone
        yield received
        return
    try:
        yield received
    finally:
        signal.signal(signal.SIGTERM, previous)


def _eval_env_id(ckpt: Path) -> str:
    """The env of the run ckpt belongs to: config.json next to it, or one
    folder up (DIR/checkpoints/…)."""
    for folder in (ckpt.parent, ckpt.parent.parent):
        cfg = folder / "config.json"
        if cfg.is_file():
            env = json.loads(cfg.read_text()).get("env")
            if isinstance(env, str):
                return env
    raise UsageError(f"no config.json with the env next to {ckpt}: give --env ENV")


def _eval(args: argparse.Namespace) -> int:
    import numpy as np

    import mfpo
    from mfpo.envs import ObsFlattener, same_box
    from mfpo.policy import existing_checkpoint

    if args.episodes < 1:
        raise UsageError(f"--episodes {args.episodes}: expected an integer ≥ 1")
    ckpt = existing_checkpoint(args.checkpoint)  # a missing file is said first
    env_id = args.env or _eval_env_id(ckpt)
    policy = mfpo.Policy.load(ckpt)
    env = mfpo.make_env(env_id)
    try:
        flat = ObsFlattener(env.observation_space)
        box, want = env.action_space, policy.action_space
        if flat.dim != policy.obs_dim or not same_box(box, want):
            raise mfpo.ConfigError(
                f"{env_id}: observations flatten to {flat.dim} numbers and actions are {box}; "
                f"the checkpoint's policy takes {policy.obs_dim} numbers and acts in {want}"
            )
        returns, lengths = [], []
        for i in range(args.episodes):
            obs, _ = env.reset(seed=args.seed + i)
            total, n, done = 0.0, 0, False
            while not done:
                rows, _ = flat.rows(obs)
                a = policy.act(rows[0], args.mode, seed=(args.seed << 32) + (i << 20) + n)
                obs, r, term, trunc, _ = env.step(a.reshape(box.shape).astype(box.dtype))
                total, n, done = total + float(r), n + 1, bool(term or trunc)
            returns.append(total)
            lengths.append(n)
    finally:
        env.close()
        policy.close()
    result = {"env": env_id, "checkpoint": str(args.checkpoint), "mode": args.mode, "episodes": args.episodes,
              "mean_reward": float(np.mean(returns)), "std_reward": float(np.std(returns)),
              "mean_ep_length": float(np.mean(lengths)), "returns": returns}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"mfpo eval: {env_id}: {args.episodes} episodes ({args.mode}): "
              f"{result['mean_reward']:.1f} ± {result['std_reward']:.1f} (mean length {result['mean_ep_length']:.0f})")
    return 0


def _plot(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from mfpo.plot import plot_learning_curve

    fig = plot_learning_curve(args.run_dir)
    out = args.out or args.run_dir / "learning_curve.png"
    fig.savefig(out, dpi=120)
    print(f"mfpo: learning curve written to {out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with argv (default sys.argv[1:]); returns the
    exit status. mfpo's errors print one line and exit with status 2."""
    args = _parser().parse_args(argv)
    if args.version:
        import mfpo

        print(f"mfpo {mfpo.__version__} {json.dumps(mfpo.build_info())}")
        return 0
    if args.command is None:
        _parser().print_help()
        return 2
    import gymnasium as gym

    from mfpo.exceptions import MFPOError

    try:
        commands = {"train": _train, "eval": _eval, "plot": _plot, "study": _study, "report": _report}
        return commands[args.command](args)
    except UsageError as err:
        print(f"mfpo {args.command}: {err}", file=sys.stderr)
    except (MFPOError, OSError, ValueError, gym.error.Error) as err:
        # gymnasium's errors for an unknown env id are gym.error.Error.
        print(f"mfpo {args.command}: {type(err).__name__}: {_one_line(err)}", file=sys.stderr)
    return 2


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split())


if __name__ == "__main__":
    raise SystemExit(main())
