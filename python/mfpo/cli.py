"""The ``mfpo`` command line.

``mfpo train ENV [--steps N] [--seed S] [--out DIR] [--preset small] [--set KEY=VALUE …]``
    trains an agent on a Gymnasium or dm_control task and writes, in DIR,
    ``config.json`` (the env, the effective config, the build),
    ``progress.csv`` and TensorBoard event files, ``evaluations.csv`` with
    ``--eval-freq``, and ``summary.json`` (steps, episodes, the final
    evaluation).
``mfpo plot RUN_DIR [--out PNG]``
    draws the learning curve of a run to ``RUN_DIR/learning_curve.png``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["main"]


def _parse_set(items: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise SystemExit(f"mfpo: --set {item!r}: expected KEY=VALUE, e.g. --set gamma=0.98 or --set hidden=[64,64]")
        try:
            out[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            out[key.strip()] = raw
    return out


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mfpo", description="MeanFlow Policy Optimization: train agents and plot runs.")
    p.add_argument("--version", action="store_true", help="print the version and build, then exit")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    t = sub.add_parser("train", help="train an agent on an environment", description="Train MFPO on a Gymnasium env id.")
    t.add_argument("env", help='env id, e.g. Pendulum-v1, HalfCheetah-v5, "dm_control/cheetah-run-v0"')
    t.add_argument("--steps", type=int, default=100_000, help="environment steps (default 100000)")
    t.add_argument("--seed", type=int, default=1, help="seed of the agent and the env (default 1)")
    t.add_argument("--out", type=Path, default=None, help="run folder (default runs/<env>-s<seed>)")
    t.add_argument("--preset", choices=("paper", "small"), default="paper", help="config preset (default paper)")
    t.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE",
        help="override a config key (JSON value), e.g. --set learning_starts=5000 --set hidden=[64,64]; repeatable",
    )
    t.add_argument("--n-envs", type=int, default=1, help="parallel copies of the env (a vector env; default 1)")
    t.add_argument("--async", dest="asynchronous", action="store_true", help="run the copies in spawned processes")
    t.add_argument("--log-interval", type=int, default=4, help="log every N episodes (default 4)")
    t.add_argument("--eval-freq", type=int, default=0, help="evaluate every N steps (default: only at the end)")
    t.add_argument("--eval-episodes", type=int, default=10, help="episodes per evaluation (default 10; 0: none)")
    t.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")
    t.add_argument("--quiet", action="store_true", help="no log tables on stdout")

    pl = sub.add_parser("plot", help="plot the learning curve of a run", description="Plot a run's learning curve.")
    pl.add_argument("run_dir", type=Path, help="a run folder (with progress.csv)")
    pl.add_argument("--out", type=Path, default=None, help="PNG path (default RUN_DIR/learning_curve.png)")
    return p


def _train(args: argparse.Namespace) -> int:
    import mfpo
    from mfpo.callbacks import BaseCallback, EvalCallback

    overrides = _parse_set(args.set)
    overrides["seed"] = args.seed
    out: Path = args.out or Path("runs") / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', args.env)}-s{args.seed}"
    out.mkdir(parents=True, exist_ok=True)
    if args.n_envs > 1:
        env: Any = mfpo.make_vec_env(args.env, args.n_envs, asynchronous=args.asynchronous)
    else:
        env = mfpo.make_env(args.env)
    try:
        model = mfpo.MFPO(env, preset=args.preset, verbose=0 if args.quiet else 1, **overrides)
        model.env_id = args.env
        model.set_logger(mfpo.configure_logger(out, (["csv", "tensorboard"] if args.quiet else ["stdout", "csv", "tensorboard"])))
        (out / "config.json").write_text(json.dumps({
            "env": args.env,
            "steps": args.steps,
            "preset": args.preset,
            "n_envs": args.n_envs,
            "config": model.config,
            "mfpo_version": mfpo.__version__,
            "build": mfpo.build_info(),
        }, indent=2) + "\n")
        callbacks: list[BaseCallback] = []
        if args.eval_freq > 0 and args.eval_episodes > 0:
            callbacks.append(EvalCallback(args.env, eval_freq=args.eval_freq, n_eval_episodes=args.eval_episodes,
                                          log_path=out, seed=args.seed + 10_000, verbose=0))
        start = time.perf_counter()
        model.learn(args.steps, callback=callbacks, log_interval=args.log_interval, progress_bar=args.progress)
        elapsed = time.perf_counter() - start
        summary: dict[str, Any] = {
            "timesteps": model.num_timesteps,
            "episodes": model.num_episodes,
            "seconds": round(elapsed, 1),
            "updates": model.info()["updates"],
        }
        if args.eval_episodes > 0:
            mean, std = model.evaluate(args.env, args.eval_episodes, seed=args.seed + 20_000)
            summary["eval"] = {"mode": "best_of_n", "episodes": args.eval_episodes, "mean_reward": mean, "std_reward": std}
            print(f"mfpo: {args.env}: {model.num_timesteps} steps in {elapsed:.0f} s; "
                  f"evaluation (best-of-N, {args.eval_episodes} episodes): {mean:.1f} ± {std:.1f}")
        (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        print(f"mfpo: run written to {out}")
        model.close()
    finally:
        env.close()
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
    from mfpo.exceptions import MFPOError

    try:
        return _train(args) if args.command == "train" else _plot(args)
    except (MFPOError, FileNotFoundError) as err:
        print(f"mfpo {args.command}: {type(err).__name__}: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
