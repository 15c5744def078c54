"""Learning curves from a run folder's ``progress.csv`` (matplotlib).

:func:`plot_learning_curve` draws on a given Axes (e.g. from
``plt.subplots()`` in a notebook) or on a new ``matplotlib.figure.Figure``
made without pyplot, so it works under any backend, including Agg in the
command line.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any

__all__ = ["load_progress", "plot_learning_curve"]


def load_progress(run_dir: str | os.PathLike[str]) -> dict[str, list[float]]:
    """The columns of ``<run_dir>/progress.csv`` (or of a CSV file given
    directly) as lists of floats (NaN for an empty cell)."""
    path = Path(run_dir)
    if path.is_dir():
        path = path / "progress.csv"
    if not path.is_file():
        raise FileNotFoundError(f"no progress.csv at {path}: is {run_dir} the folder of a run (mfpo train --out)?")
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    cols: dict[str, list[float]] = {}
    for key in rows[0].keys() if rows else []:
        cols[key] = [_num(r.get(key)) for r in rows]
    return cols


def _num(s: str | None) -> float:
    try:
        return float(s) if s not in (None, "") else float("nan")
    except ValueError:
        return float("nan")


def plot_learning_curve(run_dir: str | os.PathLike[str], ax: Any = None, label: str | None = None) -> Any:
    """Plot ``rollout/ep_rew_mean`` (training episodes, mean of the last 100)
    and, when present, ``eval/mean_reward`` against ``time/total_timesteps``.
    Returns the Figure."""
    cols = load_progress(run_dir)
    if ax is None:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(7, 4), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    steps = cols.get("time/total_timesteps", [])
    plotted = False
    for key, name, style in (
        ("rollout/ep_rew_mean", "training episodes (mean of last 100)", "-"),
        ("eval/mean_reward", "evaluation (best-of-N)", "o--"),
    ):
        pts = [(s, v) for s, v in zip(steps, cols.get(key, []), strict=False) if v == v and s == s]
        if pts:
            xs, ys = zip(*pts, strict=True)
            ax.plot(xs, ys, style, label=f"{label}: {name}" if label else name)
            plotted = True
    ax.set_xlabel("environment steps")
    ax.set_ylabel("episode return")
    ax.set_title(label or Path(run_dir).name)
    ax.grid(alpha=0.3)
    if not plotted:
        raise ValueError(
            f"{run_dir}: progress.csv has no episode return or evaluation yet "
            "(the run is shorter than one log interval): nothing to plot"
        )
    ax.legend(loc="best")  # where it covers the fewest points
    return fig
