"""Reading MFPO checkpoints into NumPy, for inspection.

:func:`read` opens a checkpoint written by any mfpo (``checkpoint.Save`` in
Go, ``mfpo_agent_save`` in C, the Python agent's save) and returns a
:class:`CheckpointFile` whose tensors are zero-copy, read-only float32
NumPy views of the file's bytes. The format is described in
docs/checkpoint.md.

>>> from mfpo import checkpoint
>>> ckpt = checkpoint.read("run/agent.mfpo")        # doctest: +SKIP
>>> ckpt.networks["policy"].params                  # doctest: +SKIP
array([ 0.41, -0.05, ...], dtype=float32)

The bytes are checked by the Go reader, through mfpo's extension
(gocore/checkpoint.Verify): every check its loaders make before they
allocate an agent — the structure against the schema, the identifier, the
CRC-32 checksum (unless ``verify=False``), the version, the kind, the
config and spaces, every network's shape and every tensor's length against
the config, the memory limit. Only then are the fields read, with the
flatbuffers code generated from the schema (:mod:`mfpo._fb`). A failure is
a :class:`~mfpo.exceptions.CheckpointError` saying what was expected and
what came, or a :class:`~mfpo.exceptions.CheckpointVersionError` for a
newer format. The float values are not looked at (Go's loader checks that
they are finite as it copies them), so a file you can inspect may still be
one Go refuses to resume from.
"""

from __future__ import annotations

import math
import os
import struct
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from mfpo import _core
from mfpo._fb.Adam import Adam as _FbAdam
from mfpo._fb.Checkpoint import Checkpoint as _FbCheckpoint
from mfpo._fb.Kind import Kind as _FbKind
from mfpo._fb.Network import Network as _FbNetwork
from mfpo._fb.Replay import Replay as _FbReplay
from mfpo.exceptions import CheckpointError, ConfigError, ShapeError

__all__ = ["CheckpointFile", "Network", "read"]

_MAX_BYTES = 2**31 - 1
"""The largest buffer a flatbuffer addresses: a larger file is refused
before it is read."""


def _widths(spec: dict[str, Any]) -> list[int]:
    """The trunk's widths: its input (the vector inputs and the time
    embedding), each hidden layer, the output."""
    first = sum(spec["inputs"]) + (spec["time_width"] if spec["times"] > 0 else 0)
    return [first, *spec["hidden"], spec["out"]]


@dataclass(frozen=True, repr=False, eq=False)
class Network:
    """One stored network: ``spec`` (nn.Spec as a dict: inputs, times,
    hidden, out, layer_norm, time_features, time_width) and ``params``, the
    flat float32 parameter vector of nn.MLP, a read-only view of the file."""

    name: str
    spec: dict[str, Any]
    params: np.ndarray

    def layers(self) -> dict[str, np.ndarray]:
        """Every parameter tensor, named, in storage order; zero-copy
        reshaped views of :attr:`params` (docs/checkpoint.md, "The format").

        For each time input ``j`` (the policy and the ADN have two: time0
        is t, time1 is h; the critics none): ``time{j}/freq`` [F], then
        ``time{j}/in/weight`` [2F, W], ``time{j}/in/bias`` [W],
        ``time{j}/out/weight`` [W, W], ``time{j}/out/bias`` [W]. Then the
        trunk on concat(inputs..., cond): ``hidden{l}/weight`` [in, out] (y =
        x @ weight + bias), ``hidden{l}/bias``, and with layer norm
        ``hidden{l}/norm/scale`` and ``hidden{l}/norm/bias``; last
        ``output/weight`` and ``output/bias``.
        """
        s, p = self.spec, self.params
        out: dict[str, np.ndarray] = {}
        off = 0

        def take(name: str, *shape: int) -> None:
            nonlocal off
            size = math.prod(shape)
            out[name] = p[off:off + size].reshape(shape)
            off += size

        f, w = s["time_features"], s["time_width"]
        for j in range(s["times"]):
            take(f"time{j}/freq", f)
            take(f"time{j}/in/weight", 2 * f, w)
            take(f"time{j}/in/bias", w)
            take(f"time{j}/out/weight", w, w)
            take(f"time{j}/out/bias", w)
        widths = _widths(s)
        for layer in range(len(widths) - 1):
            name = f"hidden{layer}" if layer + 2 < len(widths) else "output"
            take(f"{name}/weight", widths[layer], widths[layer + 1])
            take(f"{name}/bias", widths[layer + 1])
            if s["layer_norm"] and layer + 2 < len(widths):
                take(f"{name}/norm/scale", widths[layer + 1])
                take(f"{name}/norm/bias", widths[layer + 1])
        if off != p.size:  # read() had Go check the length against the spec
            raise CheckpointError(f"{self.name}: the layers take {off} parameters, the vector has {p.size}")
        return out

    def __repr__(self) -> str:
        s = self.spec
        times = f", {s['times']} times (F {s['time_features']}, width {s['time_width']})" if s["times"] else ""
        return (f"Network({self.name!r}: inputs {s['inputs']}, hidden {s['hidden']}, out {s['out']}, "
                f"layer norm {s['layer_norm']}{times}; {self.params.size} params)")


@dataclass(frozen=True, repr=False, eq=False)
class CheckpointFile:
    """A checkpoint read by :func:`read`. Every float array is a read-only
    ``<f4`` view of :attr:`buffer` (no copy); they stay valid as long as
    any of them, or this object, is referenced.

    Attributes: ``kind`` ("full" or "policy"), ``format_version``,
    ``producer``, ``config`` (the Go Config's JSON keys, ``time_sampler`` a
    dict), ``spaces`` (obs_dim, act_dim, obs_shape, act_low, act_high),
    ``updates``, ``stored``, ``log_alpha`` and ``alpha`` (full only, else
    None), ``rng`` (the PCG state (hi, lo); full only), ``networks`` (name ->
    :class:`Network`: policy, target_critic1, target_critic2, and for full
    adn, critic1, critic2), ``optimizers`` (name -> dict of lr, beta1,
    beta2, eps, steps, m, v: policy_opt, adn_opt, critic1_opt, critic2_opt,
    alpha_opt; empty for policy), ``replay`` (None, or capacity, pos, len and
    the arrays obs [len, obs_dim], act [len, act_dim], reward [len],
    next_obs [len, obs_dim], not_done [len], rows in storage order),
    ``checksum``, ``path`` (None when read from bytes) and ``buffer``.
    """

    kind: str
    format_version: int
    producer: str
    config: dict[str, Any]
    spaces: dict[str, Any]
    updates: int
    stored: int
    log_alpha: float | None
    rng: tuple[int, int] | None
    networks: dict[str, Network]
    optimizers: dict[str, dict[str, Any]]
    replay: dict[str, Any] | None
    checksum: int
    path: str | None
    buffer: bytes | memoryview

    @property
    def alpha(self) -> float | None:
        """The temperature exp(log_alpha); None for a policy checkpoint."""
        if self.log_alpha is None:
            return None
        try:
            return math.exp(self.log_alpha)
        except OverflowError:  # a corrupted log alpha, kept for inspection
            return math.inf

    @property
    def nbytes(self) -> int:
        """The checkpoint's size in bytes."""
        return len(self.buffer)

    def tensors(self) -> dict[str, np.ndarray]:
        """Every float array by a flat name: ``spaces/act_low``,
        ``spaces/act_high``, ``<network>/params``, ``<optimizer>/m`` and
        ``/v``, ``replay/<array>``."""
        out = {"spaces/act_low": self.spaces["act_low"], "spaces/act_high": self.spaces["act_high"]}
        for name, net in self.networks.items():
            out[f"{name}/params"] = net.params
        for name, opt in self.optimizers.items():
            out[f"{name}/m"], out[f"{name}/v"] = opt["m"], opt["v"]
        if self.replay is not None:
            for key in ("obs", "act", "reward", "next_obs", "not_done"):
                out[f"replay/{key}"] = self.replay[key]
        return out

    def summary(self) -> str:
        """A multi-line description: the header, then each tensor's shape
        and range."""
        lines = [repr(self)]
        for name, x in self.tensors().items():
            rng = f"[{x.min():.4g}, {x.max():.4g}], mean {x.mean():.4g}" if x.size else "empty"
            lines.append(f"  {name:24s} {str(tuple(x.shape)):12s} {rng}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        sp, c = self.spaces, self.config
        params = sum(n.params.size for n in self.networks.values())
        parts = [
            f"{self.kind} v{self.format_version} by {self.producer!r}",
            f"obs {sp['obs_dim']} {list(sp['obs_shape'])}, act {sp['act_dim']}",
            f"hidden {c['hidden']}",
            f"{len(self.networks)} networks, {params:,} params",
        ]
        if self.optimizers:
            parts.append(f"{len(self.optimizers)} optimizers")
        if self.replay is not None:
            parts.append(f"replay {self.replay['len']:,}/{self.replay['capacity']:,} rows")
        parts.append(f"updates {self.updates:,}, stored {self.stored:,}")
        if self.log_alpha is not None:
            parts.append(f"alpha {self.alpha:.4g}")
        parts.append(f"{self.nbytes:,} bytes")
        where = f" {self.path!r}" if self.path is not None else ""
        return f"<CheckpointFile{where}: " + "; ".join(parts) + ">"


def read(source: str | os.PathLike[str] | bytes | bytearray | memoryview, *, verify: bool = True) -> CheckpointFile:
    """Reads a checkpoint from a path or from its bytes.

    A path is read into memory once; ``bytes`` are used as they are;
    a ``bytearray``, a ``memoryview`` (or any buffer of bytes) is viewed
    read-only without a copy, so it must not change while the arrays are in
    use. ``verify=False`` skips the checksum (to look into a damaged file);
    everything else is always checked.

    Raises :class:`~mfpo.exceptions.CheckpointError` (a ValueError) for
    bytes that are not a valid checkpoint, saying what was expected and what
    came; :class:`~mfpo.exceptions.CheckpointVersionError` for a newer format
    version; FileNotFoundError for a missing file and other OSErrors as the
    system reports them; TypeError for a source of another type.
    """
    path: str | None = None
    buf: bytes | memoryview
    if isinstance(source, (str, os.PathLike)):
        path = os.fsdecode(source)
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size > _MAX_BYTES:
                raise CheckpointError(f"checkpoint: {path}: not a valid checkpoint: the file has {size} bytes, "
                                      f"more than a flatbuffer can address ({_MAX_BYTES})")
            buf = f.read()
    elif isinstance(source, bytes):
        buf = source
    else:
        try:
            mv = memoryview(source)
        except TypeError:
            raise TypeError(
                f"read() takes a path, bytes, bytearray or memoryview, not {type(source).__name__}"
            ) from None
        if not mv.c_contiguous:
            raise TypeError("read() needs a contiguous buffer")
        buf = mv.cast("B").toreadonly()
    checked = _core.checkpoint_verify(buf, path, verify)
    return _decode(buf, path, checked)


def _decode(buf: bytes | memoryview, path: str | None, checked: dict[str, Any]) -> CheckpointFile:
    """Reads the fields of a buffer Go has verified; ``checked`` is what Go
    returned: the config and the observation shape."""
    root = _FbCheckpoint.GetRootAs(buf, 0)
    full = root.Kind() == _FbKind.Full
    sp = root.Spaces()
    spaces = {"obs_dim": sp.ObsDim(), "act_dim": sp.ActDim(), "obs_shape": tuple(checked["obs_shape"]),
              "act_low": sp.ActLowAsNumpy(), "act_high": sp.ActHighAsNumpy(),
              "obs_space": (sp.ObsSpace() or b"").decode("utf-8", "replace") or None}
    networks = {"policy": _network("policy", root.Policy())}
    networks.update(
        {f"target_critic{k + 1}": _network(f"target_critic{k + 1}", root.TargetCritics(k)) for k in range(2)}
    )
    optimizers: dict[str, dict[str, Any]] = {}
    log_alpha: float | None = None
    rng: tuple[int, int] | None = None
    if full:
        networks["adn"] = _network("adn", root.Adn())
        networks.update({f"critic{k + 1}": _network(f"critic{k + 1}", root.Critics(k)) for k in range(2)})
        optimizers["policy_opt"] = _adam(root.PolicyOpt())
        optimizers["adn_opt"] = _adam(root.AdnOpt())
        optimizers.update({f"critic{k + 1}_opt": _adam(root.CriticOpts(k)) for k in range(2)})
        optimizers["alpha_opt"] = _adam(root.AlphaOpt())
        log_alpha = float(root.LogAlpha())
        pcg = root.Rng()
        rng = (int(pcg.Hi()), int(pcg.Lo()))
    r = root.Replay()
    producer = root.Producer()  # bytes, None when absent
    return CheckpointFile(
        kind="full" if full else "policy", format_version=root.FormatVersion(),
        producer=producer.decode("utf-8", "replace") if producer else "", config=checked["config"], spaces=spaces,
        updates=root.Updates(), stored=root.Stored(), log_alpha=log_alpha, rng=rng, networks=networks,
        optimizers=optimizers, replay=None if r is None else _replay(r, spaces["obs_dim"], spaces["act_dim"]),
        checksum=root.Checksum(), path=path, buffer=buf)


def _ints(arr: Any) -> list[int]:
    """An int vector field (the generated *AsNumpy) as a list; [] when absent."""
    return [] if isinstance(arr, int) else [int(x) for x in arr]


def _network(name: str, n: _FbNetwork) -> Network:
    s = n.Spec()
    spec = {"inputs": _ints(s.InputsAsNumpy()), "times": s.Times(), "hidden": _ints(s.HiddenAsNumpy()),
            "out": s.Out(), "layer_norm": bool(s.LayerNorm()), "time_features": s.TimeFeatures(),
            "time_width": s.TimeWidth()}
    return Network(name=name, spec=spec, params=n.ParamsAsNumpy())


def _adam(o: _FbAdam) -> dict[str, Any]:
    return {"lr": o.Lr(), "beta1": o.Beta1(), "beta2": o.Beta2(), "eps": o.Eps(), "steps": o.Steps(),
            "m": o.MAsNumpy(), "v": o.VAsNumpy()}


def _replay(r: _FbReplay, obs: int, act: int) -> dict[str, Any]:
    """The replay ring: its state, and its first len rows."""
    n = r.Len()
    return {"capacity": r.Capacity(), "pos": r.Pos(), "len": n,
            "obs": r.ObsAsNumpy().reshape(n, obs), "act": r.ActAsNumpy().reshape(n, act), "reward": r.RewardAsNumpy(),
            "next_obs": r.NextObsAsNumpy().reshape(n, obs), "not_done": r.NotDoneAsNumpy()}


def with_tensors(data: bytes, params: Any, exact_match: bool = True) -> _core.Agent:
    """An agent loaded from the full checkpoint ``data`` with the arrays of
    ``params`` (names and shapes of :meth:`CheckpointFile.tensors`) written
    over the saved ones, and the checksum recomputed: how
    :meth:`mfpo.MFPO.set_parameters` sets parameters. ConfigError for an
    unknown name, a missing one (``exact_match``) or another shape."""
    buf = bytearray(data)
    ckpt = read(memoryview(buf))
    tensors = {k: v for k, v in ckpt.tensors().items() if not k.startswith("spaces/")}
    unknown = sorted(set(params) - set(tensors))
    missing = sorted(set(tensors) - set(params)) if exact_match else []
    if unknown or missing:
        raise ConfigError(
            f"set_parameters: unknown names {unknown}, missing names {missing} "
            f"(expected those of get_parameters(): {sorted(tensors)})"
        )
    base = np.frombuffer(buf, np.uint8).ctypes.data
    for name, value in params.items():
        want = tensors[name]
        arr = np.asarray(value, dtype=np.float32)
        if arr.shape != want.shape:
            raise ShapeError(f"set_parameters: {name}: expected shape {want.shape}; got {arr.shape}")
        np.frombuffer(buf, "<f4", want.size, want.ctypes.data - base)[:] = arr.reshape(-1)
    # The checksum: CRC-32 of the buffer with its own four bytes read as zero.
    root = _FbCheckpoint.GetRootAs(buf, 0)
    at = root._tab.Pos + root._tab.Offset(40)
    buf[at:at + 4] = b"\0\0\0\0"
    buf[at:at + 4] = struct.pack("<I", zlib.crc32(buf))
    agent, _ = _core.Agent.load(bytes(buf))
    return agent
