"""Environments: making them, flattening their observations, scaling their
actions, and stepping single and vector environments for the training loop.

* :func:`make_env` is ``gymnasium.make`` that also knows dm_control tasks
  (``"dm_control/cheetah-run-v0"``, through shimmy).
* :func:`make_vec_env` makes a ``gymnasium.vector`` env whose worker
  processes, if any, start with ``spawn``: a forked child of a process that
  runs mfpo's Go runtime hangs.
* :class:`ObsFlattener` turns observations (Box, Dict, Tuple, Discrete, …)
  into float32 rows as ``gymnasium.spaces.utils.flatten`` does, with
  messages that say what was expected.
* :class:`ActionBox` is the action Box MFPO acts in.
* :class:`EnvDriver` steps a single or a vector env for
  :meth:`mfpo.MFPO.learn` and hands back the transitions to store, whatever
  the vector env's autoreset mode.
"""

from __future__ import annotations

import functools
import json
import math
import multiprocessing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
import numpy.typing as npt
from gymnasium import spaces

from mfpo.exceptions import ConfigError, NonFiniteError, ShapeError

__all__ = [
    "ActionBox",
    "check_finite",
    "same_box",
    "EnvDriver",
    "Episode",
    "ObsFlattener",
    "check_start_method",
    "make_env",
    "make_vec_env",
    "run_episodes",
]

AnyEnv = gym.Env | gym.vector.VectorEnv
F32 = npt.NDArray[np.float32]

SAFE_START_METHODS = ("spawn", "forkserver")


def _register_namespace(env_id: str) -> None:
    """Register the plugin envs an id needs (Gymnasium 1.x does not load
    plugins by itself): ``dm_control/…`` comes from shimmy."""
    if env_id.startswith("dm_control/"):
        try:
            import shimmy
        except ImportError as err:
            raise ImportError(
                f"{env_id!r} needs shimmy and dm_control: pip install \"mfpo[dm_control]\" ({err})"
            ) from err
        gym.register_envs(shimmy)


def make_env(env_id: str, **kwargs: Any) -> gym.Env:
    """``gymnasium.make(env_id, **kwargs)``, registering dm_control's tasks
    (through shimmy) first when the id is ``"dm_control/…"``."""
    _register_namespace(env_id)
    return gym.make(env_id, **kwargs)


def make_vec_env(
    env_id: str,
    n_envs: int = 4,
    *,
    asynchronous: bool = False,
    context: str = "spawn",
    env_kwargs: Mapping[str, Any] | None = None,
) -> gym.vector.VectorEnv:
    """A vector env of ``n_envs`` copies of ``env_id``: a ``SyncVectorEnv``,
    or with ``asynchronous=True`` an ``AsyncVectorEnv`` whose workers start
    with ``context`` (``"spawn"`` or ``"forkserver"``; ``"fork"`` is refused:
    a forked copy of a process running mfpo's Go runtime hangs)."""
    if n_envs < 1:
        raise ConfigError(f"n_envs = {n_envs}: expected ≥ 1")
    fns = [functools.partial(make_env, env_id, **dict(env_kwargs or {})) for _ in range(n_envs)]
    if not asynchronous:
        return gym.vector.SyncVectorEnv(fns)
    if context not in SAFE_START_METHODS:
        raise ConfigError(
            f"context={context!r}: mfpo's Go runtime hangs in forked processes; use one of {SAFE_START_METHODS}"
        )
    return gym.vector.AsyncVectorEnv(fns, context=context)


def run_episodes(
    env: gym.Env, act: Callable[[Any], Any], n_episodes: int, seed: int | None = None
) -> tuple[list[float], list[int]]:
    """Run ``n_episodes`` episodes of ``env``, choosing each action with
    ``act(observation)``; episode i is reset with ``seed + i`` when a seed is
    given. Returns the episodes' returns and lengths. The one evaluation
    loop: :meth:`mfpo.MFPO.evaluate` and the studies' baselines
    (:mod:`mfpo.tune`) run their policies through it."""
    returns: list[float] = []
    lengths: list[int] = []
    for i in range(n_episodes):
        obs, _ = env.reset(seed=None if seed is None else seed + i)
        total, length, done = 0.0, 0, False
        while not done:
            obs, reward, terminated, truncated, _ = env.step(act(obs))
            total += float(reward)
            length += 1
            done = bool(terminated or truncated)
        returns.append(total)
        lengths.append(length)
    return returns, lengths


def check_start_method(env: gym.vector.VectorEnv) -> None:
    """Raise ConfigError when env (or the env it wraps) is an
    ``AsyncVectorEnv`` whose workers were started with ``fork``."""
    base = env.unwrapped
    if not isinstance(base, gym.vector.AsyncVectorEnv):
        return
    for proc in getattr(base, "processes", []):
        method = getattr(proc, "_start_method", None) or multiprocessing.get_start_method()
        if method not in SAFE_START_METHODS:
            raise ConfigError(
                f"this AsyncVectorEnv's workers were started with {method!r}; a forked copy of a process that "
                f"runs mfpo's Go runtime hangs. Create it with context=\"spawn\" (or \"forkserver\"), e.g. "
                f"gymnasium.vector.AsyncVectorEnv(env_fns, context=\"spawn\") or "
                "mfpo.make_vec_env(env_id, n, asynchronous=True)"
            )


def _is_vector(env: Any) -> bool:
    return isinstance(env, gym.vector.VectorEnv)


# ---------------------------------------------------------------------------
# Observations


class ObsFlattener:
    """Flattens observations of a space into float32 rows, in the order of
    ``gymnasium.spaces.utils.flatten`` (Dict keys in the space's order,
    Discrete as one-hot). ``rows`` accepts one observation or a batch with a
    leading axis and says which it was."""

    def __init__(self, space: spaces.Space[Any]) -> None:
        try:
            self.dim = int(spaces.utils.flatdim(space))
        except (NotImplementedError, ValueError, TypeError) as err:
            raise ConfigError(f"MFPO cannot flatten the observation space {space}: {err}") from None
        if self.dim < 1:
            raise ConfigError(f"the observation space {space} flattens to {self.dim} numbers: expected ≥ 1")
        self.space = space
        _check_supported(space)
        # A Box needs no flattening but a reshape: rows() takes a fast path.
        self._box_shape = tuple(space.shape) if isinstance(space, spaces.Box) else None

    def rows(self, obs: Any, what: str = "observation") -> tuple[F32, bool]:
        """(float32 array [n, dim], batched): obs flattened, and whether it
        carried a leading batch axis."""
        if self._box_shape is not None and type(obs) is np.ndarray and obs.dtype.kind in "fiu":
            if obs.shape == self._box_shape:
                return as_f32(obs, what).reshape(1, self.dim), False
            if obs.shape[1:] == self._box_shape and obs.ndim == len(self._box_shape) + 1 and obs.shape[0] >= 1:
                return as_f32(obs, what).reshape(obs.shape[0], self.dim), True
        n = _batch_size(self.space, obs, what)
        flat = _flatten(self.space, obs, 1 if n is None else n, what)
        return flat, n is not None

    def one_row(self, obs: Any) -> npt.NDArray[Any] | None:
        """One observation of a Box space as its dim numbers, shape (dim,),
        when it is a real-valued array of the box's shape that
        :func:`fits_f32` vouches for: the one-observation acting path of
        MFPO.predict, whose Go call converts it to float32. None for
        anything else (a batch, another space, a number that might be bad):
        :meth:`rows` and :func:`check_finite` then take it and say what is
        wrong, if anything."""
        if (
            self._box_shape is not None
            and type(obs) is np.ndarray
            and obs.shape == self._box_shape
            and obs.dtype.kind in "fiu"
            and fits_f32(obs)
        ):
            return obs if obs.ndim == 1 else obs.reshape(self.dim)
        return None

    def batch(self, obs: Any, n: int, what: str = "observation") -> F32:
        """A batch of n observations (a vector env's), flattened."""
        return _flatten(self.space, obs, n, what)


def describe_space(space: spaces.Space[Any]) -> str:
    """The observation space as JSON, kept in checkpoints (the spaces'
    ``obs_space``) so that :meth:`mfpo.MFPO.load` without an env rebuilds
    it and refuses an env whose space differs; :func:`space_from_json`
    reads it back. Non-finite bounds are the strings ``"inf"``, ``"-inf"``."""
    return json.dumps(_describe(space), separators=(",", ":"))


def _bound(x: Any) -> Any:
    """A Box bound as JSON: one number when it is the same everywhere."""
    a = np.asarray(x, dtype=np.float64)
    if a.size and np.all(a == a.flat[0]):
        a = np.asarray(a.flat[0])
    enc = lambda v: v if math.isfinite(v) else repr(v)  # noqa: E731
    return enc(float(a)) if a.ndim == 0 else np.vectorize(enc, otypes=[object])(a).tolist()


def _describe(space: spaces.Space[Any]) -> dict[str, Any]:
    if isinstance(space, spaces.Box):
        return {"type": "Box", "shape": list(space.shape), "dtype": str(space.dtype),
                "low": _bound(space.low), "high": _bound(space.high)}
    if isinstance(space, spaces.Discrete):
        return {"type": "Discrete", "n": int(space.n), "start": int(space.start)}
    if isinstance(space, spaces.MultiDiscrete):
        return {"type": "MultiDiscrete", "nvec": np.asarray(space.nvec).tolist(),
                "start": np.asarray(space.start).tolist(), "dtype": str(space.dtype)}
    if isinstance(space, spaces.MultiBinary):
        return {"type": "MultiBinary", "n": np.asarray(space.n).tolist()}
    if isinstance(space, spaces.Dict):
        return {"type": "Dict", "spaces": [[k, _describe(s)] for k, s in space.spaces.items()]}
    if isinstance(space, spaces.Tuple):
        return {"type": "Tuple", "spaces": [_describe(s) for s in space.spaces]}
    raise ConfigError(f"MFPO cannot describe the observation space {space}")


def space_from_json(text: str) -> spaces.Space[Any]:
    """The space :func:`describe_space` described."""
    return _undescribe(json.loads(text))


def _unbound(x: Any) -> Any:
    return np.vectorize(float, otypes=[np.float64])(np.asarray(x, dtype=object))


def _undescribe(d: dict[str, Any]) -> spaces.Space[Any]:
    kind = d["type"]
    if kind == "Box":
        shape = tuple(d["shape"])
        dtype = np.dtype(d["dtype"])
        low, high = (np.broadcast_to(_unbound(d[k]), shape).astype(dtype) for k in ("low", "high"))
        return spaces.Box(low, high, shape=shape, dtype=dtype)
    if kind == "Discrete":
        return spaces.Discrete(d["n"], start=d["start"])
    if kind == "MultiDiscrete":
        return spaces.MultiDiscrete(d["nvec"], start=d["start"], dtype=np.dtype(d["dtype"]))
    if kind == "MultiBinary":
        return spaces.MultiBinary(d["n"])
    if kind == "Dict":
        return spaces.Dict({k: _undescribe(s) for k, s in d["spaces"]})
    if kind == "Tuple":
        return spaces.Tuple([_undescribe(s) for s in d["spaces"]])
    raise ConfigError(f"unknown observation space type {kind!r} in the checkpoint")


def _check_supported(space: spaces.Space[Any]) -> None:
    if isinstance(space, (spaces.Dict, spaces.Tuple)):
        for sub in space.spaces.values() if isinstance(space, spaces.Dict) else space.spaces:
            _check_supported(sub)
    elif not isinstance(space, (spaces.Box, spaces.Discrete, spaces.MultiBinary, spaces.MultiDiscrete)):
        raise ConfigError(
            f"MFPO supports Box, Discrete, MultiBinary, MultiDiscrete, Dict and Tuple observation spaces; got {space}"
        )


def _leaf_shape(space: spaces.Space[Any]) -> tuple[int, ...]:
    return tuple(space.shape or ())


def _batch_size(space: spaces.Space[Any], obs: Any, what: str) -> int | None:
    """None for one observation of space, n for a batch of n; ShapeError
    otherwise."""
    if isinstance(space, spaces.Dict):
        if not isinstance(obs, Mapping):
            raise ShapeError(f"{what}: expected a dict with keys {list(space.spaces)}; got {type(obs).__name__}")
        missing = [k for k in space.spaces if k not in obs]
        if missing:
            raise ShapeError(f"{what}: the dict lacks the key(s) {missing}; expected keys {list(space.spaces)}")
        sizes = {_batch_size(sub, obs[k], f"{what}[{k!r}]") for k, sub in space.spaces.items()}
        if len(sizes) != 1:
            raise ShapeError(f"{what}: some entries are batched and some are not, or batch sizes differ: {sizes}")
        return sizes.pop()
    if isinstance(space, spaces.Tuple):
        if not isinstance(obs, (tuple, list)) or len(obs) != len(space.spaces):
            raise ShapeError(f"{what}: expected a tuple of {len(space.spaces)} entries; got {type(obs).__name__}")
        sizes = {_batch_size(sub, o, f"{what}[{i}]") for i, (sub, o) in enumerate(zip(space.spaces, obs, strict=True))}
        if len(sizes) != 1:
            raise ShapeError(f"{what}: some entries are batched and some are not, or batch sizes differ: {sizes}")
        return sizes.pop()
    arr = np.asarray(obs)
    if arr.dtype.kind not in "biuf":
        raise ShapeError(f"{what}: expected real numbers; got dtype {arr.dtype}")
    shape = _leaf_shape(space)
    if arr.shape == shape:
        return None
    if arr.ndim == len(shape) + 1 and arr.shape[1:] == shape and arr.shape[0] >= 1:
        return int(arr.shape[0])
    raise ShapeError(shape_message(what, shape, arr.shape))


def shape_message(what: str, shape: tuple[int, ...], got: tuple[int, ...]) -> str:
    """What an observation of shape got is told when one has shape: an
    empty batch is told it has no rows, anything else what was expected."""
    batch = ("(n, " + ", ".join(map(str, shape)) + ")") if shape else "(n,)"
    if len(got) == len(shape) + 1 and got[0] == 0 and got[1:] == shape:
        return f"{what}: a batch of shape {got} has no rows; expected {batch} with n ≥ 1"
    return f"{what}: expected shape {shape} for one observation or {batch} for a batch; got {got}"


def _flatten(space: spaces.Space[Any], obs: Any, n: int, what: str) -> npt.NDArray[Any]:
    """obs (a batch of n, or one when n == 1 and unbatched) as [n, flatdim]."""
    if isinstance(space, spaces.Dict):
        return np.concatenate([_flatten(sub, obs[k], n, what) for k, sub in space.spaces.items()], axis=1)
    if isinstance(space, spaces.Tuple):
        return np.concatenate([_flatten(sub, o, n, what) for sub, o in zip(space.spaces, obs, strict=True)], axis=1)
    arr = np.asarray(obs)
    if arr.dtype.kind not in "biuf":
        raise ShapeError(f"{what}: expected real numbers; got dtype {arr.dtype}")
    size = int(np.prod(_leaf_shape(space), dtype=np.int64))
    if arr.size != n * size:
        raise ShapeError(f"{what}: expected {n} × {size} numbers; got shape {arr.shape}")
    if isinstance(space, spaces.Discrete):
        idx = _indices(arr.reshape(n, 1), np.array([int(space.start)]), np.array([int(space.n)]), space, what)
        out = np.zeros((n, int(space.n)), dtype=np.float32)
        out[np.arange(n), idx[:, 0]] = 1
        return out
    if isinstance(space, spaces.MultiDiscrete):
        nvec = np.asarray(space.nvec).reshape(-1)
        idx = _indices(arr.reshape(n, -1), np.asarray(space.start).reshape(-1), nvec, space, what)
        offsets = np.concatenate([[0], np.cumsum(nvec)[:-1]])
        out = np.zeros((n, int(nvec.sum())), dtype=np.float32)
        out[np.arange(n)[:, None], offsets + idx] = 1
        return out
    if isinstance(space, spaces.MultiBinary):
        _indices(arr.reshape(n, -1), np.zeros(size, np.int64), np.full(size, 2), space, what)
    return as_f32(arr.reshape(n, size), what)


def _indices(
    arr: npt.NDArray[Any], start: npt.NDArray[Any], count: npt.NDArray[Any], space: spaces.Space[Any], what: str
) -> npt.NDArray[np.int64]:
    """arr − start as one-hot indices: ShapeError unless every element of
    arr is a whole number in [start, start + count) (per column)."""
    if arr.dtype.kind == "f":  # whole, finite numbers only (clipped first: no overflowing cast)
        as_int = np.rint(np.clip(np.nan_to_num(arr), -(2**62), 2**62)).astype(np.int64)
        ok = np.isfinite(arr) & (as_int == arr)
    else:
        as_int, ok = arr.astype(np.int64), np.ones(arr.shape, bool)
    ok &= (as_int >= start) & (as_int < start + count)
    if not ok.all():
        row, col = np.argwhere(~ok)[0]
        lo, hi = int(start[col]), int(start[col] + count[col]) - 1
        where = f"{what} element {col}" if arr.shape[1] > 1 else what
        raise ShapeError(f"{where}: expected a whole number in {lo} … {hi} for {space}; got {arr[row, col].item()!r}")
    idx: npt.NDArray[np.int64] = as_int - start
    return idx


_F32_MAX = float(np.finfo(np.float32).max)


def as_f32(x: Any, what: str) -> F32:
    """x as a contiguous float32 array; NonFiniteError for a finite number
    float32 cannot hold (1e300 would become an infinity), named as given."""
    arr = np.asarray(x)
    if arr.dtype.kind == "f" and arr.dtype.itemsize > 4:
        with np.errstate(invalid="ignore"):
            big = np.isfinite(arr) & (np.abs(arr) > _F32_MAX)
        if big.any():
            at = tuple(int(i) for i in np.argwhere(big)[0])
            where = f" at index {at if len(at) > 1 else at[0]}" if arr.ndim else ""
            raise NonFiniteError(
                f"{what}{where} is {arr[at].item()!r}, beyond float32's range (|x| ≤ 3.4e38): "
                "expected numbers float32 holds (the Go core computes in float32)"
            )
    return np.ascontiguousarray(arr, dtype=np.float32)


# Up to this many numbers, check_finite sums them in Python: faster than
# np.isfinite below about 64 numbers (bench/RESULTS.md).
_SUM_CHECK_MAX = 32
# fits_f32's bound on the norm: float32's largest less a relative 2**-40.
_NORM_MAX = _F32_MAX * (1 - 2.0**-40)


def fits_f32(x: npt.NDArray[Any]) -> bool:
    """Whether the numbers of x, when there are a few (at most
    _SUM_CHECK_MAX), are all finite and within float32's range, so that
    converting them to float32 gives finite numbers without a warning.

    Their Euclidean norm (``math.hypot``, within one ulp of the exact norm,
    which is at least the largest magnitude) is below float32's largest by
    a margin far beyond that error; a NaN or an infinity makes the norm NaN
    or infinite. False proves nothing (many numbers, or large ones): the
    exact checks (as_f32, check_finite) decide."""
    return x.size <= _SUM_CHECK_MAX and math.hypot(*x.ravel().tolist()) <= _NORM_MAX


def check_finite(rows: F32) -> None:
    """NonFiniteError naming the first NaN or infinity of flattened rows.

    A few numbers (one observation) are first summed as Python floats, at a
    third of the cost of ``np.isfinite`` at this size: a NaN or an infinity
    makes the sum NaN or infinite, so a finite sum proves them all finite
    (float32s cannot overflow it; any other sum that does falls through to
    the exact check)."""
    if rows.size <= _SUM_CHECK_MAX and math.isfinite(sum(rows.ravel().tolist())):
        return
    if np.isfinite(rows).all():
        return
    r, c = np.argwhere(~np.isfinite(rows))[0]
    raise NonFiniteError(
        f"observation row {r} has {rows[r, c]} at element {c} of its {rows.shape[1]} flattened numbers: "
        "expected finite numbers"
    )


# ---------------------------------------------------------------------------
# Actions


def same_box(a: spaces.Space[Any], b: spaces.Space[Any]) -> bool:
    """Whether a and b are Boxes with the same bounds, compared as float32
    (a checkpoint's precision) over the flattened components."""
    if not (isinstance(a, spaces.Box) and isinstance(b, spaces.Box)) or a.low.size != b.low.size:
        return False
    f32 = lambda x: np.asarray(x, np.float32).reshape(-1)  # noqa: E731
    return bool(np.array_equal(f32(a.low), f32(b.low)) and np.array_equal(f32(a.high), f32(b.high)))


class ActionBox:
    """The environment's action space as MFPO acts in it: a Box with finite
    bounds. It refuses anything else; the mapping of the agent's [−1, 1]
    onto the box is the Go core's (the agent's spaces), so this only gives
    the Go core's float32 rows the space's shape and dtype."""

    def __init__(self, space: spaces.Space[Any]) -> None:
        if not isinstance(space, spaces.Box):
            raise ConfigError(
                f"MFPO needs a continuous action space (gymnasium.spaces.Box); the environment's is {space}. "
                "MFPO's policy is a flow over [-1, 1]^d: for discrete actions use another algorithm"
            )
        low = np.asarray(space.low, dtype=np.float64).reshape(-1)
        high = np.asarray(space.high, dtype=np.float64).reshape(-1)
        if not (np.all(np.isfinite(low)) and np.all(np.isfinite(high))):
            raise ConfigError(
                f"MFPO needs finite action bounds to rescale [-1, 1] onto; the action space is {space}. "
                "Wrap the env in gymnasium.wrappers.RescaleAction or ClipAction with finite bounds"
            )
        if low.size < 1:
            raise ConfigError(f"the action space {space} has no dimensions")
        self.space = space
        self.dim = int(low.size)
        self.shape = tuple(space.shape)
        self.dtype = space.dtype
        self._plain = self.shape == (self.dim,) and self.dtype == np.float32

    def bounds(self) -> dict[str, list[float]]:
        """The box as the Go core's spaces take it: act_low, act_high."""
        f32 = lambda x: np.asarray(x, np.float32).reshape(-1).tolist()  # noqa: E731
        return {"act_low": f32(self.space.low), "act_high": f32(self.space.high)}

    def shaped(self, x: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """[n, d] actions in the box -> [n, *shape] of the space's dtype."""
        return (x if x.dtype == self.dtype else x.astype(self.dtype)).reshape((len(x),) + self.shape)

    def shaped_one(self, x: npt.NDArray[np.float32]) -> npt.NDArray[Any]:
        """One action, [d] float32s in the box -> [*shape] of the space's
        dtype (x itself for a float32 box of shape (d,))."""
        if self._plain:
            return x
        return (x if x.dtype == self.dtype else x.astype(self.dtype)).reshape(self.shape)


# ---------------------------------------------------------------------------
# Stepping for the training loop


@dataclass
class Episode:
    """A finished episode: its return, length, the sub-env it ran in and the
    training step it ended at."""

    reward: float
    length: int
    env_index: int = 0
    timesteps: int = 0


@dataclass
class Step:
    """What one step of all sub-envs gave the training loop.

    Row i of ``obs_next_act`` is the observation to act on next; rows where
    ``valid`` is true are real transitions ``(s, a, reward, next_obs,
    terminated)`` to store (``next_obs`` is the final observation where an
    episode ended); rows where it is false are a vector env's autoreset
    steps, which are not transitions."""

    obs: F32
    next_obs: F32
    reward: npt.NDArray[np.float32]
    terminated: npt.NDArray[np.bool_]
    truncated: npt.NDArray[np.bool_]
    valid: npt.NDArray[np.bool_]
    episodes: list[Episode] = field(default_factory=list)
    infos: Any = None


class EnvDriver:
    """Steps a single env or a ``gymnasium.vector`` env with batched actions
    and returns :class:`Step` s; keeps the running return and length of every
    sub-env's episode. Single envs are reset when an episode ends; vector
    envs' autoreset modes (next-step, same-step, disabled) are all handled."""

    def __init__(self, env: AnyEnv) -> None:
        self.env = env
        self.vector = _is_vector(env)
        if self.vector:
            check_start_method(env)  # type: ignore[arg-type]
            self.n_envs = int(env.num_envs)  # type: ignore[union-attr]
            obs_space, act_space = env.single_observation_space, env.single_action_space  # type: ignore[union-attr]
            mode = env.metadata.get("autoreset_mode", gym.vector.AutoresetMode.NEXT_STEP)
            self.autoreset: gym.vector.AutoresetMode | None = gym.vector.AutoresetMode(mode)
        else:
            self.n_envs = 1
            obs_space, act_space = env.observation_space, env.action_space
            self.autoreset = None
        self.obs = ObsFlattener(obs_space)
        self.act = ActionBox(act_space)
        self._returns = np.zeros(self.n_envs)
        self._lengths = np.zeros(self.n_envs, dtype=np.int64)
        self._pending = np.zeros(self.n_envs, dtype=bool)  # next step is a NEXT_STEP autoreset

    def reset(self, seed: int | None = None) -> F32:
        obs, _ = self.env.reset(seed=seed)
        self._returns[:] = 0
        self._lengths[:] = 0
        self._pending[:] = False
        return self._flat(obs, "the environment's reset observation")

    def _flat(self, obs: Any, what: str) -> F32:
        if self.vector:
            return self.obs.batch(obs, self.n_envs, what)
        return self.obs.batch(obs, 1, what)

    def step(self, actions: F32, reset_seed: Callable[[], int] | None = None) -> Step:
        """Step every sub-env with actions ([n_envs, d] in the action box). A
        single env whose episode ends is reset with ``reset_seed()`` when
        given (vector envs reset themselves)."""
        env_act = self.act.shaped(actions)
        n = self.n_envs
        if not self.vector:
            o, r, term, trunc, info = self.env.step(env_act[0])
            nxt = self._flat(o, "the environment's observation")
            reward = as_f32([r], "the environment's reward")
            terminated, truncated = np.array([bool(term)]), np.array([bool(trunc)])
            valid = np.ones(1, dtype=bool)
            obs, infos = nxt, info
            if term or trunc:
                o, _ = self.env.reset(seed=None if reset_seed is None else reset_seed())
                obs = self._flat(o, "the environment's reset observation")
        else:
            o, r, term, trunc, infos = self.env.step(env_act)
            nxt = self._flat(o, "the environment's observation")
            reward = as_f32(r, "the environment's reward").reshape(n)
            terminated = np.asarray(term, dtype=bool).reshape(n)
            truncated = np.asarray(trunc, dtype=bool).reshape(n)
            done = terminated | truncated
            obs = nxt
            M = gym.vector.AutoresetMode
            if self.autoreset == M.NEXT_STEP:
                valid = ~self._pending
                self._pending = done.copy()
            elif self.autoreset == M.SAME_STEP:
                valid = np.ones(n, dtype=bool)
                if done.any():
                    nxt = nxt.copy()
                    final = infos["final_obs"]
                    for i in np.flatnonzero(done):
                        nxt[i] = self.obs.batch(final[i], 1, "the environment's final observation")[0]
            else:  # DISABLED: reset the finished sub-envs ourselves
                valid = np.ones(n, dtype=bool)
                if done.any():
                    o, _ = self.env.reset(options={"reset_mask": done})
                    obs = self._flat(o, "the environment's reset observation")
        episodes = []
        self._returns[valid] += reward[valid]
        self._lengths[valid] += 1
        for i in np.flatnonzero(valid & (terminated | truncated)):
            episodes.append(Episode(float(self._returns[i]), int(self._lengths[i]), int(i)))
            self._returns[i] = 0
            self._lengths[i] = 0
        return Step(obs, nxt, reward, terminated, truncated, valid, episodes, infos)
