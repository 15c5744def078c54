"""The report of a study (``mfpo report DIR``): a Markdown table and figures
from the study's ``results.csv`` (:mod:`mfpo.tune`).

The numbers, each computed here alone:

final return
    a trial's evaluation return (the mean over the evaluation's episodes)
    at the study's budget (``budget.env_steps`` of ``DIR/spec.yaml``; the
    largest ``env_steps`` of the CSV without a spec). A trial with no
    evaluation there (interrupted, stopped early) has no final return: it
    is counted as unfinished and drawn in the curves as far as it got.
group
    the trials of one task (env), agent and evaluation mode; an agent whose
    trials differ in config (a search) has a group per config.
mean and 95 % interval over seeds
    x̄ = mean of the group's final returns x_1 … x_n; the interval is the
    percentile bootstrap: ``rng = numpy.random.default_rng(seed)``, ``idx
    = rng.integers(0, n, size=(B, n))``, the 2.5th and 97.5th percentiles
    (numpy's default, linear) of ``x[idx].mean(axis=1)``; B and the seed
    are the spec's ``report.bootstrap`` (10 000) and ``report.seed`` (0),
    and each group draws from a generator of its own. No interval for n = 1.
normalised score
    s = (x − lo_task) / (hi_task − lo_task), with (lo, hi) the spec's
    ``report.normalize`` reference returns of the task when given, else
    the lowest and highest final return of any group on the task in this
    study (0: the study's worst run there, 1: its best).
interquartile mean (IQM) across tasks
    of one agent and mode: the normalised scores of all its finished runs
    on all tasks pooled (N of them), sorted, ⌊N/4⌋ dropped from each end,
    the rest averaged (``scipy.stats.trim_mean(s, 0.25)``). Its interval
    is the stratified bootstrap: for each task in the order of their ids,
    ``rng.integers(0, n_t, size=(B, n_t))`` resamples that task's runs, the
    draws are joined along the runs and the IQM taken per resample; the
    2.5th and 97.5th percentiles.

Figures (matplotlib, the Agg canvas, no pyplot): ``figures/learning_curves.png``
(one panel per task: the mean evaluation return over seeds at each
evaluation, the 95 % bootstrap band where two or more seeds got there) and
``figures/final_scores.png`` (one panel per task: the final return means and
their intervals as points with error bars; a last panel: the IQM of
normalised scores).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from mfpo.exceptions import ConfigError

__all__ = ["bootstrap_mean_ci", "iqm", "iqm_ci", "summarize", "write_report"]

F64 = npt.NDArray[np.float64]


def bootstrap_mean_ci(x: Sequence[float] | F64, n_boot: int, seed: int) -> tuple[float, float]:
    """The 95 % percentile-bootstrap interval of the mean of x (NaNs for
    fewer than two values); see the module's documentation."""
    a = np.asarray(x, np.float64)
    if a.size < 2:
        return math.nan, math.nan
    rng = np.random.default_rng(seed)
    means = a[rng.integers(0, a.size, size=(n_boot, a.size))].mean(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return float(lo), float(hi)


def _trimmed(a: F64) -> F64:
    """The IQM along the last axis: ⌊N/4⌋ dropped from each end."""
    n = a.shape[-1]
    k = n // 4
    out: F64 = np.sort(a, axis=-1)[..., k:n - k].mean(axis=-1)
    return out


def iqm(x: Sequence[float] | F64) -> float:
    """The interquartile mean: the mean of the sorted values with ⌊N/4⌋ of
    them dropped from each end."""
    a = np.asarray(x, np.float64)
    if a.size == 0:
        return math.nan
    return float(_trimmed(a))


def iqm_ci(by_task: Sequence[Sequence[float] | F64], n_boot: int, seed: int) -> tuple[float, float]:
    """The 95 % stratified-bootstrap interval of the IQM of the pooled
    scores, each task's runs resampled within the task (NaNs when no task
    has two runs)."""
    tasks = [np.asarray(s, np.float64) for s in by_task if len(s)]
    if not tasks or max(t.size for t in tasks) < 2:
        return math.nan, math.nan
    rng = np.random.default_rng(seed)
    pooled = np.concatenate([t[rng.integers(0, t.size, size=(n_boot, t.size))] for t in tasks], axis=1)
    lo, hi = np.percentile(_trimmed(pooled), [2.5, 97.5])
    return float(lo), float(hi)


@dataclass(frozen=True)
class _Options:
    name: str
    description: str
    final_steps: int
    every: int | None
    episodes: int | None
    normalize: Mapping[str, tuple[float, float]]
    n_boot: int
    seed: int


def _options(study_dir: Path, rows: Sequence[Mapping[str, Any]]) -> _Options:
    spec_path = study_dir / "spec.yaml"
    if spec_path.is_file():
        from mfpo.tune import parse_spec

        spec = parse_spec(spec_path.read_text(), deep=False)
        return _Options(spec.name, spec.description, spec.env_steps, spec.every, spec.episodes,
                        spec.report.normalize, spec.report.bootstrap, spec.report.seed)
    names = sorted({str(r["study"]) for r in rows})
    return _Options(", ".join(names), "", max(int(r["env_steps"]) for r in rows), None, None, {}, 10_000, 0)


def _value(v: Any) -> str:
    """A config value in a label: floats to 4 significant digits."""
    return f"{v:.4g}" if isinstance(v, float) else json.dumps(v, separators=(",", ":"))


def _labels(rows: Sequence[Mapping[str, Any]]) -> dict[tuple[str, str], str]:
    """(agent, config JSON) -> the group's label: the agent's name, with the
    config keys that differ among its trials when they do (``default``: a
    key the trial left at its preset's or SB3's default)."""
    configs: dict[str, set[str]] = {}
    for r in rows:
        configs.setdefault(str(r["agent"]), set()).add(str(r["config"]))
    out = {}
    for agent, cs in configs.items():
        parsed = {c: json.loads(c) for c in cs}
        keys = sorted({k for p in parsed.values() for k in p})
        varying = [k for k in keys if len({json.dumps(p.get(k), sort_keys=True) for p in parsed.values()}) > 1]
        for c, p in parsed.items():
            extra = ",".join(f"{k}={_value(p[k]) if k in p else 'default'}" for k in varying)
            out[(agent, c)] = f"{agent}[{extra}]" if extra else agent
    return out


def summarize(study_dir: str | os.PathLike[str], rows: Sequence[Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """The report's numbers (what ``report.json`` holds) for the study in
    study_dir (its results.csv unless rows are given)."""
    from mfpo.tune import read_results

    d = Path(study_dir)
    if rows is None:
        rows = read_results(d)
    if not rows:
        raise ConfigError(f"{d}: results.csv has no rows yet")
    opt = _options(d, rows)
    labels = _labels(rows)
    # Groups: (env, label, mode) -> trial -> (seed, final return, final wall_s, every (step, return)).
    trials: dict[tuple[str, str, str], dict[str, dict[str, Any]]] = {}
    agents: dict[str, tuple[str, str]] = {}
    for r in rows:
        label = labels[(str(r["agent"]), str(r["config"]))]
        agents[label] = (str(r["agent"]), str(r["algorithm"]))
        g = trials.setdefault((str(r["env"]), label, str(r["eval_mode"])), {})
        t = g.setdefault(str(r["trial_id"]), {"seed": int(r["seed"]), "curve": {}, "final": None, "wall_s": None})
        t["curve"][int(r["env_steps"])] = float(r["return_mean"])
        if int(r["env_steps"]) == opt.final_steps:
            t["final"], t["wall_s"] = float(r["return_mean"]), float(r["wall_s"])
    envs = sorted({k[0] for k in trials})
    columns = sorted({(k[1], k[2]) for k in trials}, key=lambda c: (c[0], c[1]))
    groups: list[dict[str, Any]] = []
    unfinished: set[str] = set()
    for (env, label, mode), g in sorted(trials.items()):
        done = sorted((t["seed"], t["final"], t["wall_s"]) for t in g.values() if t["final"] is not None)
        unfinished.update(tid for tid, t in g.items() if t["final"] is None)
        finals = [f for _, f, _ in done]
        lo, hi = bootstrap_mean_ci(finals, opt.n_boot, opt.seed)
        steps = sorted({s for t in g.values() for s in t["curve"]})
        curve = []
        for s in steps:
            vals = [t["curve"][s] for t in g.values() if s in t["curve"]]
            clo, chi = bootstrap_mean_ci(vals, opt.n_boot, opt.seed)
            curve.append({"env_steps": s, "mean": float(np.mean(vals)), "ci": [clo, chi], "n": len(vals)})
        groups.append({
            "env": env, "label": label, "agent": agents[label][0], "algorithm": agents[label][1], "eval_mode": mode,
            "seeds": [s for s, _, _ in done], "finals": finals, "n": len(finals),
            "mean": float(np.mean(finals)) if finals else math.nan, "ci": [lo, hi],
            "wall_s": [w for _, _, w in done], "curve": curve,
        })
    # Normalisation: the spec's reference returns, or the study's range on each task.
    bounds: dict[str, tuple[float, float]]
    if opt.normalize:
        bounds = {e: opt.normalize[e] for e in envs}
        how = "normalised by the spec's reference returns (report.normalize): (x − low) / (high − low)"
    else:
        bounds = {}
        for e in envs:
            xs = [f for g in groups if g["env"] == e for f in g["finals"]]
            bounds[e] = (min(xs), max(xs)) if xs else (math.nan, math.nan)
        how = ("normalised per task by this study's range: (x − lowest) / (highest − lowest) over every finished "
               "run on the task (0: the study's worst run there, 1: its best)")
    iqms: list[dict[str, Any]] = []
    for label, mode in columns:
        by_task: list[list[float]] = []
        tasks: list[str] = []
        for e in envs:
            grp = next((x for x in groups if x["env"] == e and x["label"] == label and x["eval_mode"] == mode), None)
            lo_e, hi_e = bounds[e]
            if grp is None or not grp["finals"] or not hi_e > lo_e:
                continue
            by_task.append([(f - lo_e) / (hi_e - lo_e) for f in grp["finals"]])
            tasks.append(e)
        pooled = [s for t in by_task for s in t]
        lo, hi = iqm_ci(by_task, opt.n_boot, opt.seed)
        iqms.append({"label": label, "eval_mode": mode, "tasks": tasks, "runs": len(pooled),
                     "iqm": iqm(pooled), "ci": [lo, hi]})
    all_trials = {str(r["trial_id"]) for r in rows}
    return {
        "study": opt.name, "description": opt.description, "final_env_steps": opt.final_steps,
        "every": opt.every, "episodes": opt.episodes, "bootstrap": opt.n_boot, "seed": opt.seed,
        "envs": envs, "columns": [{"label": c[0], "eval_mode": c[1]} for c in columns],
        "groups": groups, "normalisation": how, "bounds": {e: list(b) for e, b in bounds.items()}, "iqm": iqms,
        "trials": len(all_trials), "unfinished": sorted(unfinished),
    }


def _dur(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


def _num(x: float, digits: int = 1) -> str:
    return "–" if not math.isfinite(x) else f"{x:.{digits}f}"


def _cell(mean: float, ci: Sequence[float], n: int, digits: int = 1) -> str:
    if n == 0:
        return "–"
    interval = f" [{_num(ci[0], digits)}, {_num(ci[1], digits)}]" if math.isfinite(ci[0]) else ""
    return f"{_num(mean, digits)}{interval} (n={n})"


def _markdown(s: dict[str, Any], meta: Mapping[str, Any] | None) -> str:
    cols = [(c["label"], c["eval_mode"]) for c in s["columns"]]
    heads = [f"{label} · {mode}" for label, mode in cols]
    lines = [f"# Study `{s['study']}`", ""]
    if s["description"]:
        lines += [s["description"].strip(), ""]
    protocol = f"budget {s['final_env_steps']} environment steps per trial"
    if s["every"]:
        protocol += f"; evaluated every {s['every']} steps on {s['episodes']} episodes"
    done = s["trials"] - len(s["unfinished"])
    lines += [f"- Protocol: {protocol}.",
              f"- Trials: {done} of {s['trials']} reached the budget"
              + (f"; the others (interrupted, or stopped early) are left out of the final scores: "
                 f"{', '.join(s['unfinished'])}." if s["unfinished"] else ".")]
    if meta and meta.get("runs"):
        m = meta["runs"][-1].get("machine", {})
        build = m.get("build", {})
        lines.append(f"- Machine: {m.get('cpu', '?')}, {m.get('cores', '?')} cores, {m.get('memory_gib', '?')} GiB; "
                     f"mfpo {m.get('mfpo', '?')} ({build.get('blas', '?')} {build.get('blas_core', '')}), "
                     f"Ray {m.get('ray', '?')}.")
        lines.append(f"- Wall time of the study: {_dur(float(meta.get('wall_s', 0)))} in {len(meta['runs'])} run(s).")
    lines += ["", f"## Final return at {s['final_env_steps']} steps", "",
              "Mean over seeds of each trial's evaluation return at the budget, with the 95 % percentile-bootstrap "
              f"interval over seeds ({s['bootstrap']} resamples, seed {s['seed']}); n: seeds. The last row is the "
              "interquartile mean (IQM) across tasks of the normalised scores, with its stratified-bootstrap "
              f"interval; scores {s['normalisation']}.", "",
              "| task | " + " | ".join(heads) + " |", "|---|" + "---|" * len(heads)]
    for env in s["envs"]:
        cells = []
        for label, mode in cols:
            g = next((g for g in s["groups"] if g["env"] == env and g["label"] == label and g["eval_mode"] == mode),
                     None)
            cells.append("–" if g is None else _cell(g["mean"], g["ci"], g["n"]))
        lines.append(f"| {env} | " + " | ".join(cells) + " |")
    iq = {(q["label"], q["eval_mode"]): q for q in s["iqm"]}
    lines.append("| IQM (normalised) | " + " | ".join(
        _cell(iq[c]["iqm"], iq[c]["ci"], iq[c]["runs"], 2) for c in cols) + " |")
    lines += ["", "## Wall time per trial", "",
              "Training and evaluation time of the trials that reached the budget (summed over interruptions): "
              "mean (max).", "",
              "| task | " + " | ".join(dict.fromkeys(label for label, _ in cols)) + " |",
              "|---|" + "---|" * len(dict.fromkeys(label for label, _ in cols))]
    for env in s["envs"]:
        cells = []
        for label in dict.fromkeys(label for label, _ in cols):
            walls: list[float] = next((g["wall_s"] for g in s["groups"] if g["env"] == env and g["label"] == label),
                                      [])
            cells.append(f"{_dur(float(np.mean(walls)))} ({_dur(max(walls))})" if walls else "–")
        lines.append(f"| {env} | " + " | ".join(cells) + " |")
    lines += ["", "## Figures", "", "![learning curves](figures/learning_curves.png)", "",
              "![final scores](figures/final_scores.png)", ""]
    return "\n".join(lines)


def _figures(s: dict[str, Any], folder: Path) -> None:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as err:
        raise ImportError(f"the report's figures need matplotlib: pip install \"mfpo[bench]\" ({err})") from err
    folder.mkdir(parents=True, exist_ok=True)
    cols = [(c["label"], c["eval_mode"]) for c in s["columns"]]
    colors = {c: f"C{i % 10}" for i, c in enumerate(cols)}
    envs = s["envs"]
    ncol = min(len(envs), 3)
    nrow = math.ceil(len(envs) / ncol)
    fig = Figure(figsize=(5 * ncol, 3.6 * nrow), layout="constrained")
    FigureCanvasAgg(fig)
    for i, env in enumerate(envs):
        ax = fig.add_subplot(nrow, ncol, i + 1)
        for g in (g for g in s["groups"] if g["env"] == env):
            x = np.array([p["env_steps"] for p in g["curve"]], np.float64)
            y = np.array([p["mean"] for p in g["curve"]])
            lo = np.array([p["ci"][0] for p in g["curve"]])
            hi = np.array([p["ci"][1] for p in g["curve"]])
            c = colors[(g["label"], g["eval_mode"])]
            ax.plot(x, y, color=c, label=f"{g['label']} · {g['eval_mode']}")
            band = np.isfinite(lo) & np.isfinite(hi)
            if band.any():
                ax.fill_between(x[band], lo[band], hi[band], color=c, alpha=0.2, linewidth=0)
        ax.set_title(env)
        ax.set_xlabel("environment steps")
        ax.set_ylabel("evaluation return")
        ax.grid(alpha=0.3)
    fig.axes[0].legend(fontsize="small")
    fig.suptitle(f"{s['study']}: mean over seeds, 95 % bootstrap band")
    fig.savefig(folder / "learning_curves.png", dpi=110)

    n = len(envs) + 1
    ncol = min(n, 3)
    nrow = math.ceil(n / ncol)
    fig = Figure(figsize=(5 * ncol, 3.6 * nrow), layout="constrained")
    FigureCanvasAgg(fig)
    panels: list[tuple[str, list[tuple[tuple[str, str], float, Sequence[float]]]]] = []
    for env in envs:
        bars = [((g["label"], g["eval_mode"]), g["mean"], g["ci"]) for g in s["groups"]
                if g["env"] == env and g["n"]]
        panels.append((f"{env}: final return", bars))
    panels.append(("IQM of normalised scores",
                   [((q["label"], q["eval_mode"]), q["iqm"], q["ci"]) for q in s["iqm"] if q["runs"]]))
    for i, (title, bars) in enumerate(panels):
        ax = fig.add_subplot(nrow, ncol, i + 1)
        for j, (col, mean, ci) in enumerate(bars):
            yerr = [[mean - ci[0]], [ci[1] - mean]] if math.isfinite(ci[0]) else None
            ax.errorbar([j], [mean], yerr=yerr, fmt="o", color=colors[col], capsize=5, markersize=7)
        ax.set_xticks(range(len(bars)), [f"{col[0]}\n{col[1]}" for col, _, _ in bars], fontsize="small")
        ax.set_xlim(-0.6, len(bars) - 0.4)
        ax.set_title(title)
        ax.grid(alpha=0.3, axis="y")
    fig.suptitle(f"{s['study']}: at {s['final_env_steps']} steps, 95 % bootstrap intervals")
    fig.savefig(folder / "final_scores.png", dpi=110)


def write_report(study_dir: str | os.PathLike[str]) -> Path:
    """Write ``report.md``, ``report.json`` and ``figures/`` into the study
    folder from its results.csv; returns the path of report.md."""
    d = Path(study_dir)
    s = summarize(d)
    meta_path = d / "study.json"
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else None
    _figures(s, d / "figures")
    (d / "report.json").write_text(json.dumps(s, indent=1, allow_nan=True) + "\n")
    out = d / "report.md"
    out.write_text(_markdown(s, meta))
    return out
