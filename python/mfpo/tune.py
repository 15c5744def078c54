"""Studies on Ray Tune: seeds and sweeps of MFPO and of the Stable-Baselines3
SAC baseline, and the tidy table of their evaluations.

A study is a YAML spec (docs/studies.md is its reference): agents (MFPO or
SAC, each with a fixed config and optionally a search space), env ids,
seeds, a budget in environment steps and an evaluation protocol.
:func:`load_spec` validates all of it before anything starts and raises
:class:`mfpo.ConfigError` naming the key (``spec: evaluation.episodes: want
an integer ≥ 1, got 0``). :func:`run_study` runs it: one Tune trial per
training run (agent × env × seed × point of the search space), each asking
for the CPUs it uses (an MFPO agent's ``shards``), reporting its evaluation
returns to Tune every ``evaluation.every`` steps together with a checkpoint
(the ``.mfpo`` file, or SAC's zip and replay buffer), from which a restored
trial continues. :func:`resume_study` continues an interrupted study
(``Tuner.restore``): every unfinished or errored trial restarts from its
last checkpoint and so loses at most one evaluation interval.

The study folder ``DIR`` holds ``spec.yaml`` (the spec as given),
``study.json`` (the machine and the runs), ``results.csv`` (a row per
trial × evaluation × evaluation mode, rewritten as evaluations and their checkpoints arrive),
``tune/`` (Tune's experiment: its state, every trial's results and
checkpoints) and, after :func:`mfpo.report.write_report` (``mfpo report
DIR``), the report and figures.

Every trial runs in a Ray worker process of its own, which imports mfpo and
so starts one Go runtime; nothing here loads ``libmfpo.so``, and Ray starts
its workers as new processes (never forks of a process running Go).

Ray, PyYAML, Optuna and Stable-Baselines3 come with the ``bench`` extra
(``pip install "mfpo[bench]"``); they are imported only when needed.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import difflib
import inspect
import json
import math
import os
import platform
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from mfpo.exceptions import ConfigError

if TYPE_CHECKING:
    from mfpo.agent import PredictMode

__all__ = [
    "ALGORITHMS",
    "COLUMNS",
    "EVAL_MODES",
    "Spec",
    "load_spec",
    "parse_spec",
    "read_results",
    "resume_study",
    "run_study",
]

ALGORITHMS: tuple[str, ...] = ("mfpo", "sac")
"""The algorithms a study's agents run: MFPO, and Stable-Baselines3's SAC as
the baseline."""

EVAL_MODES: dict[str, tuple[str, ...]] = {
    "mfpo": ("best_of_n", "sample", "deterministic"),  # mfpo.PredictMode
    "sac": ("deterministic", "sample"),  # SB3's predict(deterministic=True / False)
}
"""The evaluation modes of each algorithm."""

DEFAULT_EVAL_MODES: dict[str, tuple[str, ...]] = {
    "mfpo": ("best_of_n", "deterministic"),
    "sac": ("deterministic",),
}
"""An agent's evaluation modes when its spec leaves ``eval_modes`` out; the
first one is the trial's metric (``return_mean``) for searchers and
schedulers."""

COLUMNS: tuple[str, ...] = (
    "study", "trial_id", "agent", "algorithm", "env", "seed", "config", "env_steps", "eval_mode",
    "return_mean", "return_std", "episodes", "wall_s", "resumed_from",
)
"""The columns of ``results.csv``: one row per trial × evaluation ×
evaluation mode. ``config`` is the trial's config overrides as JSON (the
agent's fixed ones and the searched values); ``wall_s`` the trial's training
and evaluation time up to that evaluation, summed over its interruptions;
``resumed_from`` the environment steps of the checkpoint the process that
made the row started from (0: it ran from the start)."""

_DOMAINS = ("grid", "choice", "uniform", "loguniform", "randint")
_SEARCH_ALGORITHMS = ("basic", "optuna")
_SCHEDULERS = ("fifo", "asha")
_SAC_RESERVED = ("self", "policy", "env", "seed", "verbose", "_init_setup_model")
_DEVICES = ("cpu", "cuda", "auto")  # MFPO's and Stable-Baselines3's device argument

HOLD_ENV = "MFPO_STUDY_HOLD"
"""For tests: when this environment variable names a file, every trial
waits after each report until that file exists, so that a test can
interrupt a study at a known point (tests/python/test_tune.py)."""

_STATE_FILE = "trial_state.json"


# ---------------------------------------------------------------------------
# The spec


@dataclass(frozen=True)
class Domain:
    """A search-space entry of an agent: ``{grid: [...]}`` (every value, a
    Tune grid), ``{choice: [...]}``, ``{uniform: [lo, hi]}``,
    ``{loguniform: [lo, hi]}`` or ``{randint: [lo, hi]}`` (lo ≤ x < hi),
    the last four drawn ``search.samples`` times."""

    kind: str
    args: tuple[Any, ...]

    def values_to_check(self) -> list[Any]:
        """Values the agent's config is validated with: every grid or
        choice value, a range's ends."""
        if self.kind in ("grid", "choice"):
            return list(self.args)
        if self.kind == "randint":
            return [self.args[0], self.args[1] - 1]
        return [self.args[0], self.args[1]]

    def tune(self) -> Any:
        from ray import tune

        if self.kind == "grid":
            return tune.grid_search(list(self.args))
        fn: Callable[..., Any] = getattr(tune, self.kind)
        return fn(list(self.args)) if self.kind == "choice" else fn(*self.args)


@dataclass(frozen=True)
class Agent:
    """One agent of a study: an algorithm with a fixed config and a search
    space, on its envs and seeds."""

    name: str
    algorithm: str
    preset: str
    config: dict[str, Any]
    search: dict[str, Domain]
    eval_modes: tuple[str, ...]
    envs: tuple[str, ...]
    seeds: tuple[int, ...]
    cpus: int | None
    gpus: float
    device: str
    """Where a trial computes: the config's ``device``, else ``"cuda"``
    when the agent asks for GPUs and ``"cpu"`` when not."""


@dataclass(frozen=True)
class Search:
    """How the trials' configs are chosen and stopped."""

    algorithm: str = "basic"
    samples: int = 1
    scheduler: str = "fifo"
    grace_period: int | None = None
    reduction_factor: float = 3.0
    seed: int = 0


@dataclass(frozen=True)
class Report:
    """Options of the report (:mod:`mfpo.report`)."""

    normalize: dict[str, tuple[float, float]] = field(default_factory=dict)
    bootstrap: int = 10_000
    seed: int = 0


@dataclass(frozen=True)
class Spec:
    """A validated study spec (:func:`load_spec`)."""

    name: str
    description: str
    envs: tuple[str, ...]
    seeds: tuple[int, ...]
    env_steps: int
    every: int
    episodes: int
    agents: tuple[Agent, ...]
    search: Search
    replay_buffer: bool
    max_failures: int
    report: Report
    text: str = ""
    """The YAML text the spec was read from."""

    def cells(self) -> list[dict[str, Any]]:
        """What each trial runs, before the search space is drawn: one per
        agent × env × seed (one per agent × env with Optuna, whose trials
        take the seeds in turn), ordered seed by seed so that the first
        trials to run cover every agent and task."""
        out = []
        for i in range(max(len(a.seeds) for a in self.agents)):
            for env in dict.fromkeys(e for a in self.agents for e in a.envs):
                for a in self.agents:
                    if env not in a.envs or i >= len(a.seeds) or (self.search.algorithm == "optuna" and i > 0):
                        continue
                    cell: dict[str, Any] = {
                        "study": self.name, "agent": a.name, "algorithm": a.algorithm, "env": env,
                        "preset": a.preset, "config": dict(a.config), "eval_modes": list(a.eval_modes),
                        "env_steps": self.env_steps, "every": self.every, "episodes": self.episodes,
                        "replay_buffer": self.replay_buffer, "cpus": _agent_cpus(a), "gpus": a.gpus,
                        "device": a.device,
                    }
                    if self.search.algorithm == "optuna":
                        cell["seeds"] = list(a.seeds)
                    else:
                        cell["seed"] = a.seeds[i]
                    out.append(cell)
        return out

    def n_trials(self) -> int:
        """How many trials the study runs (before an early-stopping
        scheduler stops any)."""
        if self.search.algorithm == "optuna":
            return self.search.samples * len(self.agents[0].seeds)
        total = 0
        for cell in self.cells():
            agent = next(a for a in self.agents if a.name == cell["agent"])
            grid = math.prod(len(d.args) for d in agent.search.values() if d.kind == "grid")
            total += grid * self.search.samples
        return total


def _agent_cpus(agent: Agent) -> int | None:
    """The CPUs a trial of agent asks for, when fixed by the spec (None: an
    MFPO agent whose ``shards`` are searched; the trial's drawn value
    decides)."""
    if agent.cpus is not None:
        return agent.cpus
    if agent.algorithm == "sac":
        return 1
    if "shards" in agent.search:
        return None
    if "shards" in agent.config:
        return int(agent.config["shards"])
    from mfpo.config import default_config

    return int(default_config(agent.preset)["shards"])


def _yaml_loader() -> Any:
    """PyYAML's SafeLoader, refusing duplicate keys (merge keys ``<<:
    *anchor`` may be overridden) and reading ``1e-4`` as a number (YAML 1.1
    reads an exponent without a dot as text)."""
    try:
        import yaml
    except ImportError as err:
        raise ImportError(f"study specs need PyYAML: pip install \"mfpo[bench]\" ({err})") from err

    class Loader(yaml.SafeLoader):
        pass

    def mapping(loader: Any, node: Any) -> dict[Any, Any]:
        seen: set[Any] = set()
        for k_node, _ in node.value:
            if k_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = loader.construct_object(k_node)
            if key in seen:
                raise ConfigError(f"spec: line {k_node.start_mark.line + 1}: the key {key!r} is given twice")
            seen.add(key)
        # YAML merge keys (<<: *anchor): the merged pairs come first, so the
        # mapping's own keys override them.
        loader.flatten_mapping(node)
        return {loader.construct_object(k, deep=True): loader.construct_object(v, deep=True) for k, v in node.value}

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    Loader.add_implicit_resolver(
        "tag:yaml.org,2002:float",
        re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)(?:[eE][-+]?[0-9]+)?$|^[-+]?\.(?:inf|Inf|INF)$"
                   r"|^\.(?:nan|NaN|NAN)$"),
        list("-+0123456789."),
    )
    return Loader


def load_spec(path: str | os.PathLike[str]) -> Spec:
    """Read and validate the study spec at ``path`` (YAML)."""
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as err:
        raise ConfigError(f"spec: cannot read {p}: {err.strerror or err}") from None
    return parse_spec(text)


def parse_spec(text: str, *, deep: bool = True) -> Spec:
    """Validate a study spec given as YAML text: every key, type and value
    and, with ``deep`` (the default), the env ids (each env is made once)
    and the agents' configs (an MFPO config is checked by the Go core, a
    SAC one by constructing it). Raises :class:`mfpo.ConfigError` naming
    the key path."""
    import yaml

    try:
        doc = yaml.load(text, Loader=_yaml_loader())  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError as err:
        raise ConfigError(f"spec: not valid YAML: {' '.join(str(err).split())}") from None
    root = _mapping(doc, "", {"name": True, "description": False, "envs": False, "seeds": True, "budget": True,
                              "evaluation": True, "agents": True, "search": False, "checkpoint": False,
                              "max_failures": False, "report": False})
    name = _str(root["name"], "name")
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        _fail("name", "a name of letters, digits, '_', '.' and '-'", name)
    description = _str(root.get("description", ""), "description", empty=True)
    envs = _envs(root["envs"], "envs") if "envs" in root else ()
    seeds = _seeds(root["seeds"], "seeds")
    budget = _mapping(root["budget"], "budget", {"env_steps": True})
    env_steps = _int(budget["env_steps"], "budget.env_steps", 1)
    ev = _mapping(root["evaluation"], "evaluation", {"every": True, "episodes": True})
    every = _int(ev["every"], "evaluation.every", 1)
    if env_steps % every:
        _fail("evaluation.every", f"a divisor of budget.env_steps ({env_steps})", every)
    episodes = _int(ev["episodes"], "evaluation.episodes", 1)
    search = _search(root.get("search", {}), env_steps, every)
    agents_raw = root["agents"]
    if not isinstance(agents_raw, list) or not agents_raw:
        _fail("agents", "a non-empty list of agents", agents_raw)
    agents = tuple(_agent(a, f"agents[{i}]", envs, seeds) for i, a in enumerate(agents_raw))
    names = [a.name for a in agents]
    for i, n in enumerate(names):
        if n in names[:i]:
            _fail(f"agents[{i}].name", "a name no other agent has", n)
    ckpt = _mapping(root.get("checkpoint", {}), "checkpoint", {"replay_buffer": False})
    replay = _bool(ckpt.get("replay_buffer", True), "checkpoint.replay_buffer")
    max_failures = _int(root.get("max_failures", 2), "max_failures", 0)
    report = _report(root.get("report", {}), {e for a in agents for e in a.envs})
    spec = Spec(name, description, envs, seeds, env_steps, every, episodes, agents, search, replay, max_failures,
                report, text)
    _check_search(spec, deep)
    if deep:
        _check_envs(spec)
        for i, a in enumerate(agents):
            _check_config(a, f"agents[{i}]")
    return spec


def _show(v: Any) -> str:
    if isinstance(v, str):
        return repr(v)
    if isinstance(v, bool):
        return str(v).lower()
    if v is None:
        return "nothing (null)"
    if isinstance(v, (dict, list)):
        s = json.dumps(v)
        return s if len(s) < 80 else s[:77] + "..."
    return str(v)


def _fail(path: str, want: str, got: Any) -> Any:
    raise ConfigError(f"spec: {path}: want {want}, got {_show(got)}")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _mapping(v: Any, path: str, keys: Mapping[str, bool]) -> dict[str, Any]:
    """v as a mapping whose keys are among keys (True: required)."""
    if v is None and not any(keys.values()):
        return {}
    if not isinstance(v, dict):
        if not path:
            raise ConfigError(f"spec: want a mapping at the top level, got {_show(v)}")
        _fail(path, "a mapping", v)
    for k in v:
        if not isinstance(k, str) or k not in keys:
            close = difflib.get_close_matches(str(k), list(keys), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigError(f"spec: {_join(path, str(k))}: unknown key{hint} (expected one of: {', '.join(keys)})")
    for k, required in keys.items():
        if required and k not in v:
            raise ConfigError(f"spec: {_join(path, k)}: missing (required)")
    return dict(v)


def _int(v: Any, path: str, least: int | None = None) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or (least is not None and v < least):
        _fail(path, "an integer" + ("" if least is None else f" ≥ {least}"), v)
    return int(v)


def _num(v: Any, path: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        _fail(path, "a finite number", v)
    return float(v)


def _str(v: Any, path: str, empty: bool = False) -> str:
    if not isinstance(v, str) or (not empty and not v.strip()):
        _fail(path, "a non-empty string" if not empty else "a string", v)
    return str(v)


def _bool(v: Any, path: str) -> bool:
    if not isinstance(v, bool):
        _fail(path, "true or false", v)
    return bool(v)


def _one_of(v: Any, path: str, allowed: Sequence[str]) -> str:
    if v not in allowed:
        _fail(path, "one of " + ", ".join(allowed), v)
    return str(v)


def _str_list(v: Any, path: str, what: str) -> tuple[str, ...]:
    if not isinstance(v, list) or not v:
        _fail(path, f"a non-empty list of {what}", v)
    out = tuple(_str(x, f"{path}[{i}]") for i, x in enumerate(v))
    for i, x in enumerate(out):
        if x in out[:i]:
            _fail(f"{path}[{i}]", f"{what} given once each", x)
    return out


def _envs(v: Any, path: str) -> tuple[str, ...]:
    return _str_list(v, path, "env ids")


def _seeds(v: Any, path: str) -> tuple[int, ...]:
    if not isinstance(v, list) or not v:
        _fail(path, "a non-empty list of seeds (integers ≥ 0)", v)
    out = tuple(_int(s, f"{path}[{i}]", 0) for i, s in enumerate(v))
    for i, s in enumerate(out):
        if s in out[:i]:
            _fail(f"{path}[{i}]", "seeds given once each", s)
    return out


def _search(v: Any, env_steps: int, every: int) -> Search:
    s = _mapping(v, "search", {"algorithm": False, "samples": False, "scheduler": False, "grace_period": False,
                               "reduction_factor": False, "seed": False})
    algorithm = _one_of(s.get("algorithm", "basic"), "search.algorithm", _SEARCH_ALGORITHMS)
    samples = _int(s.get("samples", 1), "search.samples", 1)
    scheduler = _one_of(s.get("scheduler", "fifo"), "search.scheduler", _SCHEDULERS)
    grace = None
    if "grace_period" in s or "reduction_factor" in s:
        if scheduler != "asha":
            key = "grace_period" if "grace_period" in s else "reduction_factor"
            raise ConfigError(f"spec: search.{key}: only with search.scheduler: asha")
    if scheduler == "asha":
        grace = _int(s.get("grace_period", every), "search.grace_period", every)
        if grace > env_steps:
            _fail("search.grace_period", f"at most budget.env_steps ({env_steps})", grace)
    rf = _num(s.get("reduction_factor", 3), "search.reduction_factor")
    if rf <= 1:
        _fail("search.reduction_factor", "a number > 1", rf)
    seed = _int(s.get("seed", 0), "search.seed", 0)
    return Search(algorithm, samples, scheduler, grace, rf, seed)


def _domain(v: Any, path: str) -> Domain:
    if not isinstance(v, dict) or len(v) != 1 or next(iter(v)) not in _DOMAINS:
        _fail(path, "a mapping of one of " + ", ".join(_DOMAINS) + " to its values, e.g. {grid: [1, 2]}", v)
    kind, args = next(iter(v.items()))
    p = f"{path}.{kind}"
    if kind in ("grid", "choice"):
        if not isinstance(args, list) or not args:
            _fail(p, "a non-empty list of values", args)
        return Domain(kind, tuple(args))
    if not isinstance(args, list) or len(args) != 2:
        _fail(p, "[low, high]", args)
    lo: float
    hi: float
    if kind == "randint":
        lo, hi = _int(args[0], f"{p}[0]"), _int(args[1], f"{p}[1]")
    else:
        lo, hi = _num(args[0], f"{p}[0]"), _num(args[1], f"{p}[1]")
    if lo >= hi:
        _fail(p, "low < high", args)
    if kind == "loguniform" and lo <= 0:
        _fail(f"{p}[0]", "a number > 0", lo)
    return Domain(kind, (lo, hi))


def _agent(v: Any, path: str, envs: tuple[str, ...], seeds: tuple[int, ...]) -> Agent:
    a = _mapping(v, path, {"name": True, "algorithm": True, "preset": False, "config": False, "search": False,
                           "eval_modes": False, "envs": False, "seeds": False, "cpus": False, "gpus": False})
    name = _str(a["name"], f"{path}.name")
    if not re.fullmatch(r"[A-Za-z0-9_.=-]+", name):
        _fail(f"{path}.name", "a name of letters, digits, '_', '.', '=' and '-'", name)
    algorithm = _one_of(a["algorithm"], f"{path}.algorithm", ALGORITHMS)
    if "preset" in a and algorithm != "mfpo":
        raise ConfigError(f"spec: {path}.preset: only for algorithm mfpo")
    from mfpo.config import PRESETS

    preset = _one_of(a.get("preset", "paper"), f"{path}.preset", PRESETS)
    config = a.get("config", {})
    if config is None:
        config = {}
    if not isinstance(config, dict) or not all(isinstance(k, str) for k in config):
        _fail(f"{path}.config", "a mapping of config keys to values", config)
    search_raw = a.get("search", {}) or {}
    if not isinstance(search_raw, dict):
        _fail(f"{path}.search", "a mapping of config keys to search domains", search_raw)
    search = {str(k): _domain(d, f"{path}.search.{k}") for k, d in search_raw.items()}
    for k in list(config) + list(search):
        if k == "seed":
            raise ConfigError(f"spec: {path}.{'config' if k in config else 'search'}.seed: the seeds come from "
                              "the spec's seeds (or the agent's)")
        if k in config and k in search:
            raise ConfigError(f"spec: {path}.search.{k}: also in {path}.config; give it in one of the two")
    modes = tuple(
        _one_of(m, f"{path}.eval_modes[{i}]", EVAL_MODES[algorithm])
        for i, m in enumerate(_str_list(a["eval_modes"], f"{path}.eval_modes", "evaluation modes"))
    ) if "eval_modes" in a else DEFAULT_EVAL_MODES[algorithm]
    agent_envs = _envs(a["envs"], f"{path}.envs") if "envs" in a else envs
    if not agent_envs:
        raise ConfigError(f"spec: {path}.envs: missing (the spec has no envs for every agent)")
    agent_seeds = _seeds(a["seeds"], f"{path}.seeds") if "seeds" in a else seeds
    cpus = _int(a["cpus"], f"{path}.cpus", 1) if "cpus" in a else None
    if "device" in search:
        raise ConfigError(f"spec: {path}.search.device: a trial's device follows its resources; set it in config")
    device = _one_of(config["device"], f"{path}.config.device", _DEVICES) if "device" in config else None
    gpus = _num(a.get("gpus", 1 if device == "cuda" else 0), f"{path}.gpus")
    if gpus < 0:
        _fail(f"{path}.gpus", "a number ≥ 0", gpus)
    if device == "cuda" and gpus == 0:
        _fail(f"{path}.gpus", "a number > 0 for config.device cuda (the trial's GPU)", a["gpus"])
    if device == "cpu" and gpus > 0:
        _fail(f"{path}.config.device", f"cuda or auto with gpus {_show(gpus)} (a CPU trial leaves its GPU idle)",
              device)
    device = device or ("cuda" if gpus > 0 else "cpu")
    return Agent(name, algorithm, preset, dict(config), search, modes, agent_envs, agent_seeds, cpus, gpus, device)


def _report(v: Any, envs: set[str]) -> Report:
    r = _mapping(v, "report", {"normalize": False, "bootstrap": False, "seed": False})
    norm: dict[str, tuple[float, float]] = {}
    raw = r.get("normalize", {}) or {}
    if not isinstance(raw, dict):
        _fail("report.normalize", "a mapping of env ids to [low, high] reference returns", raw)
    for env, pair in raw.items():
        p = f"report.normalize.{env}"
        if env not in envs:
            _fail(p.rsplit(".", 1)[0], "env ids of the study's agents", env)
        if not isinstance(pair, list) or len(pair) != 2:
            _fail(p, "[low, high] (the returns scored 0 and 1)", pair)
        lo, hi = _num(pair[0], f"{p}[0]"), _num(pair[1], f"{p}[1]")
        if lo >= hi:
            _fail(p, "low < high", pair)
        norm[str(env)] = (lo, hi)
    if norm and set(norm) != envs:
        missing = sorted(envs - set(norm))
        raise ConfigError(f"spec: report.normalize: give every env or none; missing {', '.join(missing)}")
    return Report(norm, _int(r.get("bootstrap", 10_000), "report.bootstrap", 100),
                  _int(r.get("seed", 0), "report.seed", 0))


def _check_search(spec: Spec, deep: bool) -> None:
    """What the searchers and schedulers can do with the agents."""
    s = spec.search
    random = [k for a in spec.agents for k, d in a.search.items() if d.kind != "grid"]
    if s.algorithm == "basic" and s.samples > 1 and not random:
        raise ConfigError(
            f"spec: search.samples: {s.samples} draws of a space with no random domain (choice, uniform, loguniform, "
            "randint) repeat the same trials; give more seeds instead"
        )
    if s.algorithm == "optuna":
        if len(spec.agents) != 1 or len(spec.agents[0].envs) != 1:
            raise ConfigError("spec: search.algorithm: optuna tunes one agent on one env (its trials take the seeds "
                              "in turn); the spec has "
                              f"{len(spec.agents)} agents on {len({e for a in spec.agents for e in a.envs})} envs")
        a = spec.agents[0]
        grid = [k for k, d in a.search.items() if d.kind == "grid"]
        if grid:
            raise ConfigError(f"spec: agents[0].search.{grid[0]}: Optuna does not take grid domains; use choice")
        if not a.search:
            raise ConfigError("spec: agents[0].search: optuna needs a search space")
        if s.scheduler == "asha" and len(a.seeds) > 1:
            raise ConfigError("spec: search.scheduler: ASHA would stop some seeds of an Optuna point and not others; "
                              "use one seed, or the fifo scheduler")
        try:
            if deep:
                import optuna  # noqa: F401
        except ImportError as err:
            raise ConfigError(f"spec: search.algorithm: optuna needs optuna: pip install \"mfpo[bench]\" ({err})") \
                from None
    if s.scheduler == "asha":
        envs = {e for a in spec.agents for e in a.envs}
        if len(envs) != 1:
            raise ConfigError(f"spec: search.scheduler: ASHA compares the trials' returns, so they must share one env; "
                              f"the spec has {len(envs)}")


def _check_envs(spec: Spec) -> None:
    """Make every env once: its id must be known, its actions a Box with
    finite bounds, its observations flattenable."""
    import gymnasium as gym

    from mfpo.envs import ActionBox, ObsFlattener, make_env

    os.environ.setdefault("MUJOCO_GL", "disable")  # dm_control: a study never renders
    where: dict[str, str] = {}
    for i, a in enumerate(spec.agents):
        for j, e in enumerate(a.envs):
            where.setdefault(e, f"envs[{spec.envs.index(e)}]" if e in spec.envs else f"agents[{i}].envs[{j}]")
    for env_id, path in where.items():
        try:
            env = make_env(env_id)
        except (gym.error.Error, ImportError, ModuleNotFoundError) as err:
            raise ConfigError(f"spec: {path}: cannot make {env_id!r}: {' '.join(str(err).split())}") from None
        try:
            ActionBox(env.action_space)
            ObsFlattener(env.observation_space)
        except ConfigError as err:
            raise ConfigError(f"spec: {path}: {env_id}: {err}") from None
        finally:
            env.close()


def _variants(agent: Agent) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, config) pairs to validate an agent with: the fixed config,
    then each searched value in turn."""
    yield "config", dict(agent.config)
    for k, d in agent.search.items():
        for v in d.values_to_check():
            yield f"search.{k}", {**agent.config, k: v}


def _check_config(agent: Agent, path: str) -> None:
    if agent.algorithm == "mfpo":
        from mfpo import _core
        from mfpo.config import config_json

        spaces = {"obs_shape": [1], "act_low": [-1.0], "act_high": [1.0]}
        for where, cfg in _variants(agent):
            cfg.pop("device", None)  # checked with the spec; the trials' machines may have GPUs this one lacks
            try:
                _core.Agent(config_json(agent.preset, {**cfg, "seed": 0}), spaces).close()
            except ConfigError as err:
                raise ConfigError(f"spec: {path}.{where}: {err}") from None
        return
    try:
        from stable_baselines3 import SAC
    except ImportError as err:
        raise ConfigError(f"spec: {path}.algorithm: sac needs Stable-Baselines3: pip install \"mfpo[bench]\" ({err})") \
            from None
    known = [p for p in inspect.signature(SAC.__init__).parameters if p not in _SAC_RESERVED]
    for k in list(agent.config) + list(agent.search):
        if k not in known:
            close = difflib.get_close_matches(k, known, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            where = "config" if k in agent.config else "search"
            raise ConfigError(f"spec: {path}.{where}.{k}: not an argument of stable_baselines3.SAC{hint} "
                              f"(expected one of: {', '.join(known)})")
    env = _sac_env(agent.envs[0])
    try:
        for where, cfg in _variants(agent):
            try:
                SAC("MlpPolicy", env, seed=0, verbose=0, **{**copy.deepcopy(cfg), "device": "cpu"})
            except Exception as err:  # SB3 checks with asserts, ValueErrors and TypeErrors
                raise ConfigError(f"spec: {path}.{where}: stable_baselines3.SAC refused it: "
                                  f"{type(err).__name__}: {' '.join(str(err).split())}") from None
    finally:
        env.close()


# ---------------------------------------------------------------------------
# Trials


def _sac_env(env_id: str) -> Any:
    """The env SAC trains and is evaluated on: :func:`mfpo.make_env`'s, with
    its observations flattened by ``gymnasium.wrappers.FlattenObservation``
    when they are not a Box — the same vector MFPO flattens them to
    (``gymnasium.spaces.utils.flatten``)."""
    import gymnasium as gym

    from mfpo.envs import make_env

    env = make_env(env_id)
    if not isinstance(env.observation_space, gym.spaces.Box):
        env = gym.wrappers.FlattenObservation(env)
    return env


def _eval_seed(seed: int, k: int) -> int:
    """The reset seed of the first episode of a trial's evaluation k
    (episode i: this + i), the same for every algorithm and mode: every
    agent is evaluated from the same initial states. A function of the
    trial's seed and k alone, so that a resumed trial evaluates as an
    uninterrupted one would."""
    import numpy as np

    return int(np.random.SeedSequence([seed, 0x6576616C, k]).generate_state(1)[0]) % (1 << 30)


class _MFPORun:
    """An MFPO training run of a trial: made, or loaded from a checkpoint."""

    def __init__(self, cell: dict[str, Any], seed: int, folder: Path | None) -> None:
        import mfpo

        env_id = cell["env"]
        config = {k: v for k, v in cell["config"].items() if k != "device"}
        if folder is None:
            self.model = mfpo.MFPO(env_id, preset=cell["preset"], seed=seed, verbose=0, device=cell["device"], **config)
        else:
            # MFPO.load loads onto the CPU (loading onto the GPU is not built yet: docs/gpu.md).
            self.model = mfpo.MFPO.load(folder / "model.mfpo", env=env_id, verbose=0)
            if cell["device"] == "cuda":
                print(f"mfpo study: {cell['agent']} on {env_id}: this trial resumed from a checkpoint and continues "
                      "on the CPU (MFPO.load cannot load onto the GPU yet)", file=sys.stderr, flush=True)
        self.model.env_id = env_id
        self.eval_env = mfpo.make_env(env_id)
        self.replay = bool(cell["replay_buffer"])

    @property
    def steps(self) -> int:
        return int(self.model.num_timesteps)

    def learn(self, n: int) -> None:
        self.model.learn(n, reset_num_timesteps=False, log_interval=0)

    def evaluate(self, mode: str, episodes: int, seed: int) -> list[float]:
        self.model.set_random_seed(seed)  # best-of-N and sample noise: a function of the evaluation
        returns, _ = self.model.evaluate(self.eval_env, episodes, mode=cast("PredictMode", mode), seed=seed,
                                         return_episode_rewards=True)
        return [float(r) for r in cast("list[float]", returns)]

    def save(self, folder: Path) -> None:
        self.model.save(folder / "model.mfpo", replay_buffer=self.replay)

    def close(self) -> None:
        self.model.close()
        self.eval_env.close()


class _SACRun:
    """A Stable-Baselines3 SAC run of a trial: the baseline. Its checkpoint
    is SB3's zip and, with ``checkpoint.replay_buffer``, SB3's replay
    buffer file; a restored run continues with them (its random streams
    start anew)."""

    def __init__(self, cell: dict[str, Any], seed: int, folder: Path | None) -> None:
        import torch
        from stable_baselines3 import SAC

        torch.set_num_threads(int(cell["cpus"] or 1))
        env = _sac_env(cell["env"])
        kwargs = {**copy.deepcopy(cell["config"]), "device": cell["device"]}  # SB3 writes into policy_kwargs
        if folder is None:
            self.model = SAC("MlpPolicy", env, seed=seed, verbose=0, **kwargs)
        else:
            self.model = SAC.load(folder / "sac.zip", env=env, device=kwargs["device"])
            if (folder / "replay.pkl").is_file():
                self.model.load_replay_buffer(folder / "replay.pkl")
        self.env = env
        self.eval_env = _sac_env(cell["env"])
        self.replay = bool(cell["replay_buffer"])

    @property
    def steps(self) -> int:
        return int(self.model.num_timesteps)

    def learn(self, n: int) -> None:
        self.model.learn(n, reset_num_timesteps=False)

    def evaluate(self, mode: str, episodes: int, seed: int) -> list[float]:
        from mfpo.envs import run_episodes

        det = mode == "deterministic"
        returns, _ = run_episodes(self.eval_env, lambda obs: self.model.predict(obs, deterministic=det)[0],
                                  episodes, seed)
        return returns

    def save(self, folder: Path) -> None:
        self.model.save(folder / "sac.zip")
        if self.replay:
            self.model.save_replay_buffer(folder / "replay.pkl")

    def close(self) -> None:
        self.env.close()
        self.eval_env.close()


def run_trial(
    cell: dict[str, Any],
    seed: int,
    checkpoint: Path | None,
    report: Callable[[dict[str, Any], Path], None],
) -> None:
    """One trial: train the cell's agent for its budget, and every
    ``every`` steps evaluate it in each of its modes (``episodes``
    episodes from the same initial states, :func:`_eval_seed`), save a
    checkpoint to a temporary folder and call ``report(metrics, folder)``.
    With ``checkpoint`` (a folder an earlier report was given), continue
    from it. Tune's trainable is this with ``tune.report``; it runs without
    Ray too."""
    os.environ.setdefault("MUJOCO_GL", "disable")  # dm_control: a study never renders
    runner: Callable[..., _MFPORun | _SACRun] = _MFPORun if cell["algorithm"] == "mfpo" else _SACRun
    state = {"env_steps": 0, "wall_s": 0.0, "evaluations": 0}
    if checkpoint is not None:
        state_file = checkpoint / _STATE_FILE
        if not state_file.is_file():
            raise ConfigError(f"the trial's checkpoint {checkpoint} has no {_STATE_FILE}: not a study checkpoint")
        state = json.loads(state_file.read_text())
    run = runner(cell, seed, checkpoint)
    try:
        if run.steps != state["env_steps"]:
            raise ConfigError(f"the trial's checkpoint holds {run.steps} steps, its state says {state['env_steps']}")
        resumed_from = run.steps
        budget, every, episodes = int(cell["env_steps"]), int(cell["every"]), int(cell["episodes"])
        hold = os.environ.get(HOLD_ENV)
        while run.steps < budget:
            start = time.perf_counter()
            run.learn(min((run.steps // every + 1) * every, budget) - run.steps)
            k = int(state["evaluations"]) + 1
            metrics: dict[str, Any] = {"env_steps": run.steps, "evaluation": k, "episodes": episodes,
                                       "resumed_from": resumed_from, "seed": seed}
            for i, mode in enumerate(cell["eval_modes"]):
                returns = run.evaluate(mode, episodes, _eval_seed(seed, k))
                mean = sum(returns) / len(returns)
                std = math.sqrt(sum((r - mean) ** 2 for r in returns) / len(returns))
                metrics[f"return_mean_{mode}"], metrics[f"return_std_{mode}"] = mean, std
                if i == 0:
                    metrics["return_mean"] = mean  # the trial's metric for searchers and schedulers
            state = {"env_steps": run.steps, "wall_s": float(state["wall_s"]) + time.perf_counter() - start,
                     "evaluations": k}
            metrics["wall_s"] = round(float(state["wall_s"]), 3)
            with tempfile.TemporaryDirectory(prefix="mfpo-trial-") as tmp:
                folder = Path(tmp)
                run.save(folder)
                (folder / _STATE_FILE).write_text(json.dumps(state) + "\n")
                report(metrics, folder)
            while hold and not Path(hold).exists():
                time.sleep(0.1)
    finally:
        run.close()


def _trainable(config: dict[str, Any]) -> None:
    """Tune's function trainable: :func:`run_trial` with the trial's cell,
    its latest checkpoint and ``tune.report``."""
    from ray import tune

    cell = config["cell"]
    seed = int(cell["seed"]) if "seed" in cell else int(cell["seeds"][int(config["__trial_index__"])])

    def report(metrics: dict[str, Any], folder: Path) -> None:
        tune.report(metrics, checkpoint=tune.Checkpoint.from_directory(str(folder)))

    ckpt = tune.get_checkpoint()
    if ckpt is None:
        run_trial(cell, seed, None, report)
        return
    with ckpt.as_directory() as d:
        run_trial(cell, seed, Path(d), report)


def _resources(config: dict[str, Any]) -> Any:
    """A trial's resources: the CPUs its agent computes on (an MFPO
    agent's ``shards``, unless the agent's ``cpus`` says otherwise) and its
    GPUs."""
    from ray import tune

    cell = config["cell"]
    cpus = cell["cpus"] if cell["cpus"] is not None else int(cell["config"]["shards"])
    bundle: dict[str, float] = {"CPU": float(cpus)}
    if cell["gpus"]:
        bundle["GPU"] = float(cell["gpus"])
    return tune.PlacementGroupFactory([bundle])


def _trial_name(trial: Any) -> str:
    cell = trial.config.get("cell", {})
    seed = cell["seed"] if "seed" in cell else cell.get("seeds", [""])[int(trial.config.get("__trial_index__", 0))]
    env = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(cell.get("env", "")))
    return f"{cell.get('agent', 'trial')}_{env}_s{seed}_{trial.trial_id}"


# ---------------------------------------------------------------------------
# Results


def _rows(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The results.csv rows of one Tune result: one per evaluation mode."""
    config = result.get("config") or {}
    cell = config.get("cell")
    if not cell or "env_steps" not in result or "wall_s" not in result:
        return []
    seed = result.get("seed", cell.get("seed"))
    rows = []
    for mode in cell["eval_modes"]:
        if f"return_mean_{mode}" not in result:
            continue
        rows.append({
            "study": cell["study"], "trial_id": result["trial_id"], "agent": cell["agent"],
            "algorithm": cell["algorithm"], "env": cell["env"], "seed": seed,
            "config": json.dumps(cell["config"], sort_keys=True, separators=(",", ":")),
            "env_steps": int(result["env_steps"]), "eval_mode": mode,
            "return_mean": float(result[f"return_mean_{mode}"]), "return_std": float(result[f"return_std_{mode}"]),
            "episodes": int(result["episodes"]), "wall_s": float(result["wall_s"]),
            "resumed_from": int(result.get("resumed_from", 0)),
        })
    return rows


def _key(row: Mapping[str, Any]) -> tuple[str, int, str]:
    return (str(row["trial_id"]), int(row["env_steps"]), str(row["eval_mode"]))


def read_results(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The rows of a study's ``results.csv`` (a study folder or the file),
    with numbers as numbers."""
    p = Path(path)
    if p.is_dir() or p.suffix != ".csv":
        p = p / "results.csv"
    if not p.is_file():
        raise FileNotFoundError(f"no results.csv at {p}")
    ints = ("seed", "env_steps", "episodes", "resumed_from")
    floats = ("return_mean", "return_std", "wall_s")
    with p.open(newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ConfigError(f"{p}: not a study's results.csv: no column {', '.join(missing)}")
        out: list[dict[str, Any]] = []
        for line, r in enumerate(reader, start=2):
            row: dict[str, Any] = dict(r)
            try:
                for c in ints:
                    row[c] = int(r[c])
                for c in floats:
                    row[c] = float(r[c])
            except (TypeError, ValueError) as err:
                raise ConfigError(f"{p}: line {line}: {err}") from None
            out.append(row)
    return out


def _write_rows(path: Path, rows: Mapping[tuple[str, int, str], dict[str, Any]]) -> None:
    """Write results.csv atomically, sorted by agent, env, seed, trial, step
    and mode."""
    order = sorted(rows.values(), key=lambda r: (r["agent"], r["env"], r["seed"], r["trial_id"], r["env_steps"],
                                                 r["eval_mode"]))
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(COLUMNS))
        w.writeheader()
        for r in order:
            w.writerow({c: r[c] for c in COLUMNS})
    os.replace(tmp, path)


def _rows_from_experiment(exp: Path) -> dict[tuple[str, int, str], dict[str, Any]]:
    """Every result Tune recorded in the trials' result.json files."""
    out: dict[tuple[str, int, str], dict[str, Any]] = {}
    for f in sorted(exp.glob("*/result.json")):
        for line in f.read_text().splitlines():
            if line.strip():
                with contextlib.suppress(json.JSONDecodeError):
                    for row in _rows(json.loads(line)):
                        out[_key(row)] = row
    return out


def _csv_callback(study_dir: Path) -> Any:
    """A Tune callback that keeps ``results.csv`` up to date as the study
    runs: it starts from the rows already there (a resumed study's) and
    rewrites the file once each result's checkpoint is registered, so
    that a row in the file has its checkpoint in Tune's state (a Ctrl-C
    right after a row appears resumes the trial from that evaluation)."""
    from ray import tune

    class ResultsCSV(tune.Callback):
        def __init__(self) -> None:
            self.rows: dict[tuple[str, int, str], dict[str, Any]] = {}
            self.path: Path | None = None

        def _csv(self, trial: Any) -> Path:
            if self.path is None:
                # The study folder is the experiment folder's parent, wherever it is now.
                exp = getattr(getattr(trial, "storage", None), "experiment_fs_path", None)
                self.path = (Path(exp).parent if exp else study_dir) / "results.csv"
                if self.path.is_file():
                    self.rows.update({_key(r): r for r in read_results(self.path)})
            return self.path

        def on_checkpoint(self, iteration: int, trials: list[Any], trial: Any, checkpoint: Any, **info: Any) -> None:
            # Tune processes a result, then the checkpoint that came with it
            # (before any later result): the trial's last result is this one's.
            path = self._csv(trial)
            rows = _rows(trial.last_result or {})
            if rows:
                self.rows.update({_key(r): r for r in rows})
                _write_rows(path, self.rows)

    return ResultsCSV()


# ---------------------------------------------------------------------------
# Running


def _machine() -> dict[str, Any]:
    """What the report says of the machine a run ran on."""
    import mfpo

    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        mem = round(int(Path("/proc/meminfo").read_text().split()[1]) / 2**20, 1)
    import ray

    return {"host": platform.node(), "cpu": cpu, "cores": os.cpu_count(), "memory_gib": mem,
            "os": platform.platform(), "python": platform.python_version(), "mfpo": mfpo.__version__,
            "build": dict(mfpo.build_info()), "ray": ray.__version__}


def _record_run(study_dir: Path, entry: dict[str, Any]) -> None:
    """Append a run (start, end, wall time, machine) to study.json."""
    meta_path = study_dir / "study.json"
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {"runs": []}
    meta.setdefault("runs", []).append(entry)
    meta["wall_s"] = round(sum(r.get("wall_s", 0.0) for r in meta["runs"]), 1)
    tmp = meta_path.with_name("study.json.tmp")
    tmp.write_text(json.dumps(meta, indent=2) + "\n")
    os.replace(tmp, meta_path)


@contextlib.contextmanager
def _ray(address: str | None, num_cpus: int | None) -> Iterator[None]:
    """Ray for the study: started in this process on this machine, or the
    cluster at address."""
    try:
        import ray
    except ImportError as err:
        raise ImportError(f"studies run on Ray Tune: pip install \"mfpo[bench]\" ({err})") from err
    # Tune's table reporter (CLIReporter) belongs to its classic output.
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    # Tune warns when it saves its experiment state often; with one
    # checkpoint kept per trial it does so after every checkpoint, by design.
    os.environ.setdefault("TUNE_WARN_EXCESSIVE_EXPERIMENT_CHECKPOINT_SYNC_THRESHOLD_S", "0")
    os.environ.setdefault("MUJOCO_GL", "disable")
    if address:
        if num_cpus is not None:
            raise ConfigError("--num-cpus is for a local Ray; a cluster's nodes say their own CPUs")
        ray.init(address=address, include_dashboard=False, log_to_driver=True)
    else:
        # "local": a new Ray in this process, even where a cluster runs on this machine.
        ray.init(address="local", num_cpus=num_cpus, include_dashboard=False, log_to_driver=True)
    try:
        yield
    finally:
        ray.shutdown()


def _reporter(spec: Spec) -> Any:
    from ray import tune

    params = {"cell/agent": "agent", "cell/env": "env"}
    if spec.search.algorithm == "optuna":
        params["__trial_index__"] = "seed #"  # which of the spec's seeds
    else:
        params["cell/seed"] = "seed"
    for a in spec.agents:
        for k in a.search:
            params[f"cell/config/{k}"] = k
    return tune.CLIReporter(
        parameter_columns=params,
        metric_columns={"env_steps": "env steps", "return_mean": "return", "wall_s": "wall s"},
        max_report_frequency=30,
        sort_by_metric=False,
    )


def _tuner(spec: Spec, study_dir: Path) -> Any:
    from ray import tune

    cells = spec.cells()
    for cell in cells:
        agent = next(a for a in spec.agents if a.name == cell["agent"])
        cell["config"].update({k: d.tune() for k, d in agent.search.items()})
    searcher: Any = None
    if spec.search.algorithm == "optuna":
        from ray.tune.search import Repeater
        from ray.tune.search.optuna import OptunaSearch

        searcher = OptunaSearch(metric="return_mean", mode="max", seed=spec.search.seed)
        if len(cells[0]["seeds"]) > 1:
            searcher = Repeater(searcher, repeat=len(cells[0]["seeds"]), set_index=True)
        param_space: dict[str, Any] = {"cell": cells[0]}
        samples = spec.search.samples * len(cells[0]["seeds"])
    else:
        param_space = {"cell": tune.grid_search(cells)}
        samples = spec.search.samples
    scheduler = None
    if spec.search.scheduler == "asha":
        from ray.tune.schedulers import ASHAScheduler

        scheduler = ASHAScheduler(time_attr="env_steps", max_t=spec.env_steps,
                                  grace_period=spec.search.grace_period or spec.every,
                                  reduction_factor=spec.search.reduction_factor)
    tuned = searcher is not None or scheduler is not None
    tune_config = tune.TuneConfig(
        search_alg=searcher, scheduler=scheduler, num_samples=samples,
        metric="return_mean" if tuned else None, mode="max" if tuned else None,
        trial_name_creator=_trial_name, trial_dirname_creator=_trial_name,
    )
    run_config = tune.RunConfig(
        name="tune", storage_path=str(study_dir.resolve()),
        # One checkpoint kept per trial: Tune then saves its experiment
        # state after every trial checkpoint, so a killed study resumes
        # from each trial's latest.
        checkpoint_config=tune.CheckpointConfig(num_to_keep=1),
        failure_config=tune.FailureConfig(max_failures=spec.max_failures),
        callbacks=[_csv_callback(study_dir)], progress_reporter=_reporter(spec), verbose=1,
    )
    return tune.Tuner(tune.with_resources(_trainable, _resources), param_space=param_space,
                      tune_config=tune_config, run_config=run_config)


def _interrupt_watch() -> Callable[[], bool]:
    """Install a SIGINT handler for Tune to chain to, and return a function
    that says, after Tune's fit, whether Tune was interrupted: on a Ctrl-C,
    Tune ends the run (saving its state, the trials left to resume) and
    puts the handler it found back, which is then this one; a second
    Ctrl-C raises KeyboardInterrupt as usual."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return lambda: False

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, handler)

    def interrupted() -> bool:
        was = signal.getsignal(signal.SIGINT) is handler
        signal.signal(signal.SIGINT, previous)
        return was

    return interrupted


def _finish(spec: Spec, study_dir: Path, results: Any, interrupted: bool, started: float,
            entry: dict[str, Any]) -> int:
    """After Tune's fit: the final results.csv (merged with every result Tune
    recorded), the run in study.json, a summary line; the exit status
    (0: every trial finished, 130: interrupted, 1: a trial failed)."""
    csv_path = study_dir / "results.csv"
    rows = {_key(r): r for r in read_results(csv_path)} if csv_path.is_file() else {}
    rows.update(_rows_from_experiment(study_dir / "tune"))
    if rows:
        _write_rows(csv_path, rows)
    errored = sum(1 for r in results if r.error is not None)
    short = sum(1 for r in results if r.error is None and (r.metrics or {}).get("env_steps", 0) < spec.env_steps)
    # ASHA stops trials before the budget by design: those count as done,
    # unless the run was interrupted.
    unfinished = short if spec.search.scheduler == "fifo" or interrupted else 0
    stopped = short - unfinished
    done = len(results) - errored - short
    entry.update({"ended": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "wall_s": round(time.time() - started, 1),
                  "trials": {"finished": done, "stopped_early": stopped, "errored": errored,
                             "unfinished": unfinished}, "interrupted": interrupted})
    _record_run(study_dir, entry)
    early = f", {stopped} stopped early by ASHA" if stopped else ""
    print(f"mfpo study {spec.name}: {done} trials finished{early}, {errored} errored, {unfinished} unfinished "
          f"in {entry['wall_s']:.0f} s; {len(rows)} rows in {csv_path}")
    if unfinished or errored:
        print(f"mfpo study: resume with: mfpo study --resume {study_dir}")
        return 130 if interrupted else 1
    print(f"mfpo study: write the report with: mfpo report {study_dir}")
    return 0


def run_study(
    spec: Spec | str | os.PathLike[str],
    out: str | os.PathLike[str] | None = None,
    *,
    address: str | None = None,
    num_cpus: int | None = None,
) -> int:
    """Run a study (a :class:`Spec` or the path of its YAML) into the folder
    ``out`` (default ``studies/<name>``), on Ray started in this process or
    on the cluster at ``address``. Returns the exit status: 0 when every
    trial finished, 130 when interrupted (resume with
    :func:`resume_study`), 1 when a trial failed."""
    if not isinstance(spec, Spec):
        spec = load_spec(spec)
    study_dir = Path(out) if out is not None else Path("studies") / spec.name
    if (study_dir / "tune").exists():
        raise ConfigError(f"{study_dir} already holds a study: resume it (mfpo study --resume {study_dir}) "
                          "or choose another folder")
    study_dir.mkdir(parents=True, exist_ok=True)
    (study_dir / "spec.yaml").write_text(spec.text)
    started = time.time()
    with _ray(address, num_cpus):
        entry = {"started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "address": address or "local",
                 "resumed": False, "machine": _machine()}
        print(f"mfpo study {spec.name}: {spec.n_trials()} trials, {spec.env_steps} env steps each, "
              f"into {study_dir}", flush=True)
        watch = _interrupt_watch()
        try:
            results = _tuner(spec, study_dir).fit()
        finally:
            interrupted = watch()
        return _finish(spec, study_dir, results, interrupted, started, entry)


def resume_study(
    study_dir: str | os.PathLike[str], *, address: str | None = None, num_cpus: int | None = None
) -> int:
    """Continue the study in ``study_dir`` (``Tuner.restore``): finished
    trials stay, unfinished and errored ones continue from their last
    checkpoint, trials not started yet start. Returns the exit status as
    :func:`run_study` does."""
    d = Path(study_dir)
    if not (d / "tune").is_dir() or not (d / "spec.yaml").is_file():
        raise ConfigError(f"{d}: not a study folder (no spec.yaml and tune/ in it)")
    spec = load_spec(d / "spec.yaml")
    started = time.time()
    with _ray(address, num_cpus):
        from ray import tune

        entry = {"started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "address": address or "local",
                 "resumed": True, "machine": _machine()}
        print(f"mfpo study {spec.name}: resuming {d}", flush=True)
        tuner = tune.Tuner.restore(str((d / "tune").resolve()), tune.with_resources(_trainable, _resources),
                                   resume_unfinished=True, resume_errored=True, restart_errored=False)
        watch = _interrupt_watch()
        try:
            results = tuner.fit()
        finally:
            interrupted = watch()
        return _finish(spec, d, results, interrupted, started, entry)

