"""The one module that touches mfpo's Go extension.

The extension is gopy's build of the Go package ``bindings/`` and lives in
the private package :mod:`mfpo._gopy`; everything else in mfpo calls Go
through the functions and the :class:`Agent` here. Only strings, scalars,
handles and ``bytes`` (little-endian float32 rows) cross the boundary, and
for acting the addresses of float32 arrays made here (:class:`_Acting`):
gopy turns every element of a list of numbers into a separate call, so
never pass one.

Errors from Go arrive as ``RuntimeError("mfpo:<code>: <text>")``; they are
re-raised as the exception class of ``<code>`` (:data:`mfpo.exceptions.BY_CODE`),
by code, never by the text.

Importing this module starts the Go runtime, once per process. Do not load
``libmfpo.so`` (the C ABI) into the same process: that would start a second
Go runtime. Whichever of the two comes second refuses to work (gocore/face/
oneruntime): this import raises :class:`mfpo.RuntimeConflictError`, or
libmfpo.so's functions return ``MFPO_ERUNTIME``. After ``fork()`` the Go runtime hangs, so any multiprocessing
must use the ``spawn`` or ``forkserver`` start method.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Callable
from typing import Any, Literal, NoReturn, TypedDict, TypeVar, cast

import numpy as np
import numpy.typing as npt

# gopy's wrapper, generated at build time and untyped, and the C module
# under it (the acting calls use it directly: see _Acting). A build with
# CUDA (docs/gpu.md) links the NVIDIA driver's library, which the dynamic
# loader must find.
try:
    from mfpo._gopy import _mfpo as _c
    from mfpo._gopy import bindings as _ext
    from mfpo._gopy import go as _go
except ImportError as err:
    if "libcuda.so" in str(err) or "libcublas.so" in str(err):
        raise ImportError(
            f"{err}: this mfpo was built with CUDA (build tag cuda) and needs the NVIDIA driver's libcuda.so.1 "
            "and cuBLAS 12's libcublas.so.12 on the loader's path; install them, or mfpo built without CUDA "
            "(docs/gpu.md)"
        ) from err
    raise
from mfpo.exceptions import BY_CODE, ConfigError, HandleError, MFPOError, ShapeError

ActMode = Literal["sample", "best_of_n", "deterministic", "explore"]
"""How the Go core chooses actions (see :meth:`Agent.act`)."""

ACT_MODES: tuple[str, ...] = tuple(json.loads(_ext.Modes()))
"""The acting modes, as the Go core names them (policy.Modes)."""

POLICY_MODES: tuple[str, ...] = tuple(m for m in ACT_MODES if m != "explore")
"""The modes a policy (and :meth:`mfpo.MFPO.predict`) acts in: all but
``"explore"``, the training loop's behaviour."""

PROPOSAL_MIXES: tuple[str, ...] = tuple(json.loads(_ext.ProposalMixes()))
"""The values of the ``proposal_mix`` config key, as the Go core names them
(mfpo.ProposalMixes), the paper's ``"ess"`` first."""

CODES: dict[str, int] = json.loads(_ext.Codes())
"""Every Go error code's name with its number (the C ABI's status)."""

_F32 = np.dtype("<f4")
_SEEDS = 2**64  # seeds are integers in [0, 2**64)
_CODE = re.compile(r"mfpo:([a-z]+): ", re.ASCII)
_T = TypeVar("_T")


class BuildInfo(TypedDict):
    """What a build of mfpo is; the keys of :func:`build_info`."""

    version: str
    """mfpo's semantic version, e.g. ``"0.1.0"``."""
    go_version: str
    """The Go toolchain that built the extension, e.g. ``"go1.26.8"``."""
    blas: str
    """The BLAS backend: ``"openblas"`` or ``"gonum"`` (pure Go)."""
    blas_core: str
    """The BLAS kernels this process runs: OpenBLAS's core for this CPU,
    e.g. ``"SkylakeX"``, or ``"gonum"``. Two processes give bit-identical
    results only when they run the same kernels (docs/reproducibility.md)."""
    blas_config: str
    """The BLAS library's build description, e.g. ``"OpenBLAS 0.3.21 ..."``."""
    cpu_kernels: str
    """mfpo's own float32 vector kernels this process runs: ``"avx512"``,
    ``"avx2"`` or ``"go"`` (``MFPO_CPU_KERNELS`` forces one). Like
    ``blas_core``, part of what must match for bit-identical results."""
    os: str
    """Go's GOOS, e.g. ``"linux"``."""
    arch: str
    """Go's GOARCH, e.g. ``"amd64"``."""
    devices: str
    """The devices this build computes on: ``"cpu"``, or ``"cpu,cuda"`` for a
    build with the Go build tag ``cuda`` (docs/gpu.md)."""


def version() -> str:
    """mfpo's semantic version as the Go core reports it."""
    return str(_ext.Version())


def build_info() -> BuildInfo:
    """The Go core's description of this build (decoded from its JSON)."""
    return cast(BuildInfo, json.loads(_ext.BuildInfo()))


def _reraise(err: RuntimeError) -> NoReturn:
    """Re-raise a Go error as the exception class of its code."""
    msg = str(err)
    m = _CODE.match(msg)
    if m is None:
        raise err
    cls = BY_CODE.get(m.group(1), MFPOError)
    raise cls(msg[m.end():]) from None


def _call(fn: Callable[..., _T], *args: Any) -> _T:
    try:
        return fn(*args)
    except RuntimeError as err:
        _reraise(err)


def _refuse_a_second_runtime() -> None:
    """RuntimeConflictError (an ImportError) when libmfpo.so, with its own Go
    runtime, was loaded into this process before the extension was."""
    try:
        _ext.SecondRuntime()
    except RuntimeError as err:
        _reraise(err)


_refuse_a_second_runtime()


def _bytes(x: npt.NDArray[Any]) -> Any:
    """A Go []byte holding x as little-endian float32s (or raw uint8)."""
    return _go.Slice_byte.from_bytes(x.tobytes())


def _f32(x: npt.ArrayLike) -> npt.NDArray[np.float32]:
    """x as a C-contiguous, aligned array of little-endian float32s: x
    itself when it is one, else a copy (numpy's conversion)."""
    a = np.ascontiguousarray(x, dtype=_F32)
    return a if a.flags.aligned else a.copy()


def _address(a: npt.NDArray[np.float32], out: bool = False) -> int:
    """The address of a's numbers, for the act functions that take them by
    address (bindings/act.go): a must be a C-contiguous, aligned array of
    little-endian float32s (as :func:`_f32` makes), writable when Go writes
    it (out)."""
    f = a.flags
    if not (a.dtype == _F32 and f.c_contiguous and f.aligned and (f.writeable or not out)):
        raise AssertionError(f"mfpo._core: not an array the act functions take: {a.dtype}, {f}")
    return int(a.__array_interface__["data"][0])


# The dtype kinds of observations an act converts to float32 as numpy does.
_REAL = "biuf"


class _Acting:
    """The act calls of one handle: fn (the C module's bindings_ActAt or
    bindings_PolicyActAt, gopy's at the pin of tools/gopy) with the numbers
    by address, in one crossing without gopy handles or copies in Go.

    One observation goes through buffers made once (their addresses too):
    it is converted into the observation buffer, the actions come back in
    the action buffer and are returned as a new array (never the buffer,
    which the next call overwrites). A lock guards the buffers; a call that
    finds them in use by another thread makes arrays of its own, as batches
    do, so threads never wait for each other here (Go serialises the calls
    on one agent; a policy's run in parallel)."""

    __slots__ = ("_fn", "_obs", "_out", "_obs_at", "_out_at", "_busy", "_one", "obs_dim", "act_dim")

    def __init__(self, fn: Callable[..., int], obs_dim: int, act_dim: int) -> None:
        self._fn = fn
        self.obs_dim, self.act_dim = obs_dim, act_dim
        self._one = (1, obs_dim)
        self._obs = np.empty(obs_dim, _F32)
        self._out = np.empty(act_dim, _F32)
        self._obs_at, self._out_at = _address(self._obs), _address(self._out, out=True)
        self._busy = threading.Lock()

    def act(self, live: Callable[[], int], obs: npt.ArrayLike, mode: str, seed: int) -> npt.NDArray[np.float32]:
        """:meth:`Agent.act` and :meth:`Policy.act`: live() is the handle
        (HandleError once closed). A ShapeError comes first, then the
        handle's error, then the seed's, then Go's."""
        if type(obs) is np.ndarray and obs.shape == self._one and obs.dtype.kind in _REAL:
            return self.one(live(), obs, mode, _seed(seed)).reshape(self._one[0], self.act_dim)
        o = _f32(obs)
        if o.ndim != 2 or o.shape[1] != self.obs_dim:
            want = f"(rows, {self.obs_dim})"
            raise ShapeError(f"obs: expected a float32 array of shape {want}; got shape {np.shape(obs)}")
        return self.rows(live(), o, mode, _seed(seed))

    def rows(self, handle: int, rows: npt.NDArray[np.float32], mode: str, seed: int) -> npt.NDArray[np.float32]:
        """The actions, (n, act_dim), of rows, an array (n, obs_dim), as
        :func:`_f32` converts it (n = 0 goes on to Go, which refuses it as
        the C ABI does)."""
        r = _f32(rows)
        n = r.shape[0]
        out = np.empty((n, self.act_dim), _F32)
        try:
            self._fn(handle, _address(r), r.size, _address(out, out=True), out.size, n, mode, seed)
        except RuntimeError as err:
            _reraise(err)
        return out

    def one(self, handle: int, obs: npt.NDArray[Any], mode: str, seed: int) -> npt.NDArray[np.float32]:
        """The actions, (act_dim,), of one observation: a real-valued array
        of obs_dim numbers of any shape that converts onto (obs_dim,) (as
        float32, the way numpy casts)."""
        if not self._busy.acquire(False):
            one: npt.NDArray[np.float32] = self.rows(handle, np.reshape(obs, (1, -1)), mode, seed)[0]
            return one
        try:
            self._obs[...] = obs
            try:
                self._fn(handle, self._obs_at, self._obs.size, self._out_at, self.act_dim, 1, mode, seed)
            except RuntimeError as err:
                _reraise(err)
            out: npt.NDArray[np.float32] = self._out.copy()
            return out
        finally:
            self._busy.release()


def default_config(preset: str = "paper") -> dict[str, Any]:
    """The Go core's Config of a preset (``"paper"`` or ``"small"``) as a dict
    with every key."""
    return cast("dict[str, Any]", json.loads(_call(_ext.DefaultConfigJSON, preset)))


def memory_limit() -> int:
    """The process's memory limit in bytes: what creating or loading an agent
    or a policy, and each call on one, is estimated against before anything
    is allocated (docs/limits.md); over it is :class:`mfpo.SizeError`."""
    return int(_ext.MemoryLimit())


def set_memory_limit(n: int) -> int:
    """Set the process's memory limit to ``n`` bytes (``n <= 0``: the default,
    three quarters of the machine's or the cgroup's memory) and return the
    limit before. An agent's own limit is ``MFPO(..., max_bytes=n)``."""
    if isinstance(n, bool) or not isinstance(n, int) or not -(2**63) <= n < 2**63:
        raise ConfigError(f"set_memory_limit: n is {n!r}, want an int64 number of bytes")
    return int(_ext.SetMemoryLimit(n))


def live_handles() -> int:
    """How many Go agents are alive in this process (not yet closed)."""
    return int(_ext.LiveHandles())


def live_policies() -> int:
    """How many Go policy handles are alive in this process."""
    return int(_ext.LivePolicies())


CheckpointKind = Literal["full", "replay", "policy"]
"""What a checkpoint holds: ``"full"`` (the training state but the replay
buffer), ``"replay"`` (full with the replay buffer: training resumes
exactly) or ``"policy"`` (what inference needs)."""


def _path(path: str | os.PathLike[str]) -> str:
    p = os.fspath(path)
    if not isinstance(p, str) or not p:
        raise ConfigError(f"checkpoint path: expected a non-empty path; got {path!r}")
    return p


def _loaded(s: str) -> tuple[int, dict[str, Any]]:
    d = json.loads(s)
    return int(d["handle"]), cast("dict[str, Any]", d["info"])


class Agent:
    """The Go agent behind :class:`mfpo.MFPO`: a handle into gocore/face's
    table, with batched ``act``, ``store`` and ``update``.

    Arrays are row-major float32, one row per observation; actions are in
    the environment's units (the box of ``spaces``), mapped by the Go core.
    Calls on one agent are serialised on the Go side and release the GIL.
    :meth:`close` (or garbage collection) frees the Go agent.
    """

    def __init__(self, config_json: str, spaces: dict[str, Any]) -> None:
        self._handle: int = 0
        self._lock = threading.Lock()
        self._handle = int(_call(_ext.NewAgent, config_json, json.dumps(spaces)))
        info = self.info()
        self._dims(int(info["obs_dim"]), int(info["act_dim"]))

    def _dims(self, obs_dim: int, act_dim: int) -> None:
        self.obs_dim, self.act_dim = obs_dim, act_dim
        self._acting = _Acting(_c.bindings_ActAt, obs_dim, act_dim)

    def _live(self) -> int:
        """The handle; HandleError in Python's words once closed (Go would
        say the handle is NULL)."""
        if self._handle == 0:
            raise HandleError("this MFPO model is closed (close() was called): make or load another one")
        return self._handle

    @property
    def handle(self) -> int:
        """The Go handle (0 once closed)."""
        return self._handle

    @property
    def closed(self) -> bool:
        return self._handle == 0

    def config(self) -> dict[str, Any]:
        """The effective Config, every key present."""
        return cast("dict[str, Any]", self.info()["config"])

    def info(self) -> dict[str, Any]:
        """The spaces (obs_shape, obs_dim, act_dim, act_low, act_high), the
        counters (stored, buffer_len, updates), alpha and config."""
        return cast("dict[str, Any]", json.loads(_call(_ext.Info, self._live())))

    def _rows(self, name: str, x: npt.ArrayLike, dim: int) -> npt.NDArray[Any]:
        a = np.ascontiguousarray(x, dtype=_F32)
        # Zero rows go on to Go, which refuses them as the C ABI does (inval).
        if a.ndim != 2 or a.shape[1] != dim:
            raise ShapeError(f"{name}: expected a float32 array of shape (rows, {dim}); got shape {np.shape(x)}")
        return a

    def act(self, obs: npt.ArrayLike, mode: ActMode, seed: int = 0) -> npt.NDArray[np.float32]:
        """Actions in the environment's units, shape (rows, act_dim), for obs
        of shape (rows, obs_dim). mode: ``"sample"`` (one draw of the T-step
        sampler), ``"best_of_n"`` (``eval_candidates`` draws, the one the
        target critics value most), ``"deterministic"`` (the sampler from
        ε = 0) — their noise drawn from ``seed`` alone, leaving the agent as
        it was — or ``"explore"`` (the training loop's: uniform until
        ``learning_starts`` transitions are stored, then ``"sample"``, from
        the agent's own generator; ``seed`` ignored)."""
        return self._acting.act(self._live, obs, mode, seed)

    def act_one(self, obs: npt.NDArray[Any], mode: ActMode, seed: int) -> npt.NDArray[np.float32]:
        """:meth:`act` for one observation, the acting path of
        :meth:`mfpo.MFPO.predict`: obs a real-valued array of shape
        ``(obs_dim,)`` whose numbers the caller checked (a NaN, an infinity
        or a number beyond float32's range is Go's NonFiniteError, in Go's
        words); the actions of shape ``(act_dim,)``."""
        return self._acting.one(self._live(), obs, mode, _seed(seed))

    def store(
        self,
        obs: npt.ArrayLike,
        act: npt.ArrayLike,
        reward: npt.ArrayLike,
        next_obs: npt.ArrayLike,
        terminated: npt.ArrayLike,
    ) -> int:
        """Store a batch of transitions (all-or-nothing; ``act`` in the
        environment's units); returns the number of transitions stored so
        far. ``terminated`` is true only for a real termination: a
        time-limit truncation keeps the bootstrap."""
        o = self._rows("obs", np.asarray(obs), self.obs_dim)
        rows = o.shape[0]
        a = self._rows("act", np.asarray(act), self.act_dim)
        n = self._rows("next_obs", np.asarray(next_obs), self.obs_dim)
        r = np.ascontiguousarray(reward, dtype=_F32).reshape(-1)
        t = np.ascontiguousarray(terminated, dtype=bool).reshape(-1).astype(np.uint8)
        others = (("act", a.shape[0]), ("next_obs", n.shape[0]), ("reward", r.shape[0]), ("terminated", t.shape[0]))
        for name, rows_of in others:
            if rows_of != rows:
                raise ShapeError(f"store: {name} has {rows_of} rows, obs has {rows}")
        return int(_call(_ext.Store, self._live(), _bytes(o), _bytes(a), _bytes(r), _bytes(n), _bytes(t), rows))

    def update(self, n: int = 1) -> dict[str, Any]:
        """Run n updates; returns their mean statistics (critic_loss,
        actor_loss, adn_loss, alpha_loss, alpha, entropy, ess_policy,
        ess_posterior, mean_q, …) and ``updates``, the total so far."""
        return cast("dict[str, Any]", json.loads(_call(_ext.Update, self._live(), int(n))))

    def set_learning_rate(self, lr: float) -> None:
        """Set the rate of all four optimisers (a schedule's current value)."""
        _call(_ext.SetLearningRate, self._live(), float(lr))

    def save(self, path: str | os.PathLike[str], kind: CheckpointKind) -> None:
        """Write a checkpoint atomically (docs/checkpoint.md), with the
        agent's spaces."""
        _call(_ext.Save, self._live(), _path(path), kind)

    def marshal(self, kind: CheckpointKind) -> bytes:
        """The checkpoint :meth:`save` would write, as bytes."""
        return bytes(_call(_ext.Marshal, self._live(), kind))

    def load_replay(self, data: bytes) -> None:
        """Replace the replay buffer with the one of a full checkpoint saved
        with it (its bytes); the same obs_dim, act_dim and buffer_size."""
        _call(_ext.LoadReplay, self._live(), _go.Slice_byte.from_bytes(bytes(data)))

    @classmethod
    def load(cls, source: str | os.PathLike[str] | bytes) -> tuple[Agent, dict[str, Any]]:
        """An agent from a full checkpoint (a path or its bytes), and the
        checkpoint's description: kind, producer, config, obs_dim, act_dim,
        obs_shape, act_low, act_high, updates, stored, replay, replay_len."""
        if isinstance(source, (bytes, bytearray, memoryview)):
            s = _call(_ext.Unmarshal, _go.Slice_byte.from_bytes(bytes(source)))
        else:
            s = _call(_ext.Load, _path(source))
        handle, info = _loaded(s)
        agent = cls.__new__(cls)
        agent._lock = threading.Lock()
        agent._handle = handle
        agent._dims(int(info["obs_dim"]), int(info["act_dim"]))
        return agent, info

    def close(self) -> None:
        """Free the Go agent; later calls raise :class:`mfpo.HandleError`.
        Closing twice is harmless."""
        with self._lock:
            h, self._handle = self._handle, 0
        if h:
            _call(_ext.Free, h)

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown: the extension may be gone
            pass


def _seed(seed: int) -> int:
    if type(seed) is int and 0 <= seed < _SEEDS:  # the common case, checked first
        return seed
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or not 0 <= int(seed) < _SEEDS:
        raise ConfigError(f"seed: expected an integer in [0, 2**64); got {seed!r}")
    return int(seed)


class Policy:
    """A Go policy handle: the deployment path, the same code that
    ``libmfpo.so``'s ``mfpo_policy_*`` functions run. It acts in the
    environment's units with the noise drawn from an explicit seed, so the
    same checkpoint, observations, mode and seed give the same float32
    actions here and in C or C++. Safe to call from several threads at once
    (the GIL is released)."""

    def __init__(self, handle: int, obs_dim: int, act_dim: int) -> None:
        self._handle = int(handle)
        self.obs_dim = int(obs_dim)
        self.act_dim = int(act_dim)
        self._acting = _Acting(_c.bindings_PolicyActAt, self.obs_dim, self.act_dim)

    @classmethod
    def load(cls, source: str | os.PathLike[str] | bytes) -> tuple[Policy, dict[str, Any]]:
        """The policy of a checkpoint of either kind (a path or its bytes),
        and the checkpoint's description (as :meth:`Agent.load`'s)."""
        if isinstance(source, (bytes, bytearray, memoryview)):
            s = _call(_ext.PolicyUnmarshal, _go.Slice_byte.from_bytes(bytes(source)))
        else:
            s = _call(_ext.PolicyLoad, _path(source))
        handle, info = _loaded(s)
        return cls(handle, info["obs_dim"], info["act_dim"]), info

    @classmethod
    def from_agent(cls, agent: Agent) -> Policy:
        """A copy of agent's policy and target critics, in its spaces."""
        h = _call(_ext.PolicyFromAgent, agent._live())
        return cls(h, agent.obs_dim, agent.act_dim)

    def _live(self) -> int:
        if self._handle == 0:
            raise HandleError("this Policy is closed (close() was called): load another one")
        return self._handle

    @property
    def closed(self) -> bool:
        return self._handle == 0

    def act(self, obs: npt.ArrayLike, mode: str, seed: int) -> npt.NDArray[np.float32]:
        """Actions in the environment's units, shape (rows, act_dim), for obs
        of shape (rows, obs_dim); mode ``"sample"``, ``"best_of_n"`` or
        ``"deterministic"``; ``seed`` an integer in [0, 2**64)."""
        return self._acting.act(self._live, obs, mode, seed)

    def act_one(self, obs: npt.NDArray[Any], mode: str, seed: int) -> npt.NDArray[np.float32]:
        """:meth:`Agent.act_one` for a policy (:meth:`mfpo.Policy.act`)."""
        return self._acting.one(self._live(), obs, mode, _seed(seed))

    def close(self) -> None:
        """Free the Go policy; later calls raise :class:`mfpo.HandleError`."""
        h, self._handle = self._handle, 0
        if h:
            _call(_ext.PolicyFree, h)

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass


def checkpoint_verify(data: bytes | memoryview, path: str | None, checksum: bool) -> dict[str, Any]:
    """Go's checks of a checkpoint's bytes before any field is read
    (bindings.CheckpointVerify: structure, identifier, checksum unless
    ``checksum`` is false, version, config, spaces, every tensor's length,
    the memory limit); ``path`` names the file in the errors. Returns
    ``{"config": …, "obs_shape": […]}``; raises CheckpointError or
    CheckpointVersionError."""
    s = _call(_ext.CheckpointVerify, _go.Slice_byte.from_bytes(bytes(data)), path or "", bool(checksum))
    return cast("dict[str, Any]", json.loads(s))
