"""Stable-Baselines3's SAC arguments, as MFPO takes them.

:data:`SAC_ARGUMENTS` is the one table of them: each constructor argument
of ``stable_baselines3.SAC`` that MFPO does not take under the same name
with the same meaning, and what MFPO does with it — mapped onto a
:class:`mfpo.MFPO` Config key, accepted at its SB3 default only, or refused
with the reason. docs/python.md renders the same table (a test checks that
it lists every name here).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mfpo.exceptions import ConfigError

__all__ = ["POLICY_NAMES", "SAC_ARGUMENTS", "Schedule", "check_device", "check_policy_name", "random_seed"]

Schedule = Callable[[float], float]
"""A learning-rate schedule: progress remaining (1 at the start of
``learn``, 0 at its end) → the rate, as Stable-Baselines3 takes them."""

POLICY_NAMES = ("MlpPolicy", "MultiInputPolicy")
"""The policy names Stable-Baselines3's SAC takes that fit MFPO's one
policy (a MeanFlow MLP over flattened observations)."""

_MISSING = object()

# name -> (the SB3 default MFPO accepts, or _MISSING when mapped; why)
SAC_ARGUMENTS: dict[str, tuple[Any, str]] = {
    "train_freq": (1, "MFPO steps every env once per update (UTD 1): only 1 (or (1, 'step'))"),
    "gradient_steps": (1, "one update per stored transition (UTD 1): only 1"),
    "action_noise": (None, "exploration comes from the flow policy's samples: only None"),
    "replay_buffer_class": (None, "the replay buffer is the Go core's: only None"),
    "replay_buffer_kwargs": (None, "the replay buffer is the Go core's: only None"),
    "optimize_memory_usage": (False, "the Go buffer stores next_obs: only False"),
    "n_steps": (1, "one-step targets: only 1"),
    "target_update_interval": (1, "Polyak averaging after every update: only 1"),
    "use_sde": (False, "no state-dependent exploration in a flow policy: only False"),
    "sde_sample_freq": (-1, "no state-dependent exploration: only -1"),
    "use_sde_at_warmup": (False, "no state-dependent exploration: only False"),
    "_init_setup_model": (True, "the model is always set up: only True"),
    "ent_coef": (_MISSING, "'auto' (the default) and 'auto_<α0>' (init_alpha = α0) map; a fixed float is refused: "
                           "MFPO always tunes α"),
    "target_entropy": (_MISSING, "'auto' keeps target_entropy_per_dim; a number x maps to "
                                 "target_entropy_per_dim = x / act_dim (set by learn's env)"),
    "stats_window_size": (_MISSING, "the length of ep_info_buffer (default 100)"),
}
"""Stable-Baselines3 SAC arguments MFPO takes beyond its own keywords."""


@dataclass
class Mapped:
    """What the SB3 arguments of one constructor call became."""

    config: dict[str, Any] = field(default_factory=dict)
    """Config keys to set."""
    source: dict[str, str] = field(default_factory=dict)
    """For each key of ``config``, the SB3 argument it came from."""
    schedule: Schedule | None = None
    stats_window_size: int = 100
    target_entropy: float | None = None


def _same(value: Any, default: Any) -> bool:
    if isinstance(default, bool) or default is None:
        return value is default
    if isinstance(value, tuple) and len(value) == 2 and value[1] in ("step", "steps"):
        return bool(value[0] == default)
    return bool(value == default)


def sb3_overrides(
    config: dict[str, Any], policy_kwargs: Mapping[str, Any] | None, learning_rate: float | Schedule | None
) -> Mapped:
    """Pop the SB3 arguments out of ``config`` (the constructor's other
    keywords) and map them, with ``policy_kwargs`` and ``learning_rate``;
    ConfigError for any MFPO cannot honour."""
    out = Mapped()
    for name in [k for k in config if k in SAC_ARGUMENTS]:
        value = config.pop(name)
        default, why = SAC_ARGUMENTS[name]
        if default is not _MISSING:
            if not _same(value, default):
                raise ConfigError(f"{name} = {value!r}: {why}")
            continue
        if name == "ent_coef":
            if value == "auto":
                continue
            if isinstance(value, str) and value.startswith("auto_"):
                _set(out, "init_alpha", float(value[5:]), f"ent_coef = {value!r}")
                continue
            raise ConfigError(f"ent_coef = {value!r}: {why}")
        if name == "target_entropy":
            if value != "auto":
                out.target_entropy = float(value)
        elif name == "stats_window_size":
            if not isinstance(value, int) or value < 1:
                raise ConfigError(f"stats_window_size = {value!r}: expected an integer ≥ 1")
            out.stats_window_size = value
    if policy_kwargs:
        _policy_kwargs(out, policy_kwargs)
    if learning_rate is not None:
        _learning_rate(out, learning_rate)
    return out


def _set(out: Mapped, key: str, value: Any, source: str) -> None:
    out.config[key] = value
    out.source[key] = source


def _policy_kwargs(out: Mapped, kwargs: Mapping[str, Any]) -> None:
    """policy_kwargs=dict(net_arch=[…]) or dict(net_arch=dict(pi=[…], qf=[…]))
    with pi = qf: the hidden widths of every network."""
    other = sorted(set(kwargs) - {"net_arch"})
    if other:
        raise ConfigError(
            f"policy_kwargs: {', '.join(other)}: MFPO takes only net_arch (its networks are MeanFlow MLPs with "
            "GELU and LayerNorm and twin C51 critics; set their widths with net_arch or hidden)"
        )
    arch = kwargs["net_arch"]
    if isinstance(arch, Mapping):
        pi, qf = arch.get("pi"), arch.get("qf")
        if set(arch) - {"pi", "qf"} or pi is None or qf is None or list(pi) != list(qf):
            raise ConfigError(
                f"policy_kwargs: net_arch = {dict(arch)!r}: MFPO uses one width list for every network; "
                "give a list, or dict(pi=widths, qf=widths) with the same widths"
            )
        arch = pi
    _set(out, "hidden", [int(w) for w in arch], f"policy_kwargs = dict(net_arch={kwargs['net_arch']!r})")


def _learning_rate(out: Mapped, lr: float | Schedule) -> None:
    """A number sets all four rates; a schedule sets them to its value at
    progress 1 now, and learn() follows it."""
    if callable(lr):
        out.schedule = lr
        rate = float(lr(1.0))
    elif isinstance(lr, (int, float)) and not isinstance(lr, bool):
        rate = float(lr)
    else:
        raise ConfigError(f"learning_rate = {lr!r}: expected a number or a schedule (progress remaining → rate)")
    for key in ("actor_lr", "adn_lr", "critic_lr", "alpha_lr"):
        _set(out, key, rate, f"learning_rate = {rate!r}")


def check_policy_name(policy: Any) -> None:
    """The policy argument of ``MFPO("MlpPolicy", env)``."""
    if policy not in POLICY_NAMES:
        raise ConfigError(
            f"policy = {policy!r}: MFPO has one policy, a MeanFlow MLP over the flattened observation; "
            f"give one of {', '.join(map(repr, POLICY_NAMES))}, or MFPO(env, ...) without it"
        )


def check_device(device: Any) -> str:
    """Stable-Baselines3's device as mfpo's ``device`` setting: ``"auto"``,
    ``"cpu"`` or ``"cuda"`` (``"cuda:0"`` or a ``torch.device`` of the first
    GPU name ``"cuda"``; mfpo runs on one GPU). Whether CUDA can be had is the
    Go core's to say (a ConfigError naming what is missing)."""
    name = str(device)
    if name == "cuda:0":
        name = "cuda"
    if name not in ("auto", "cpu", "cuda"):
        raise ConfigError(f"device = {device!r}: want 'auto', 'cpu' or 'cuda' (mfpo runs on the first GPU)")
    return name


def random_seed() -> int:
    """A random seed, for Stable-Baselines3's ``seed=None``."""
    return secrets.randbits(32)
