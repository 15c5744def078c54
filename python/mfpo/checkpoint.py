"""Reading MFPO checkpoints in pure Python, for inspection.

:func:`read` opens a checkpoint written by any mfpo (``checkpoint.Save`` in
Go, ``mfpo_agent_save`` in C, the Python agent's save) with the official
flatbuffers runtime and the generated code in :mod:`mfpo._fb`, and returns
a :class:`CheckpointFile` whose tensors are zero-copy, read-only float32
NumPy views of the file's bytes. It needs numpy and flatbuffers only, not
mfpo's Go extension. The format is described in docs/checkpoint.md.

>>> from mfpo import checkpoint
>>> ckpt = checkpoint.read("run/agent.mfpo")        # doctest: +SKIP
>>> ckpt.networks["policy"].params                  # doctest: +SKIP
array([ 0.41, -0.05, ...], dtype=float32)

What :func:`read` checks, in this order, each failure a
:class:`~mfpo.exceptions.CheckpointError` saying what was expected and
what came:

1. the length (at least 8 bytes, less than 2 GiB) and the file identifier
   ``MFPO`` (bytes 4-7; a foreign file is named when recognised);
2. the structure, as the Go reader does: every table, vtable, offset,
   vector and string lies inside the buffer, aligned, so that the
   generated accessors read only inside it;
3. the CRC-32 checksum (unless ``verify=False``);
4. the format version: 0 is an error, one newer than
   :data:`FORMAT_VERSION` a :class:`~mfpo.exceptions.CheckpointVersionError`;
5. the kind, the required fields of that kind, and every size: the
   spaces (``obs_shape``'s product is ``obs_dim``, ``act_dim`` bounds each),
   each network's spec against the one the config and spaces imply, each
   parameter vector and Adam moment against its spec, two critics and two
   target critics, the replay ring state and its arrays' lengths.

It does not re-validate the config's values or check that the floats are
finite (Go's loader does both): a file you can inspect may still be one Go
refuses to resume from.
"""

from __future__ import annotations

import math
import os
import struct
import zlib
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from mfpo._fb.Adam import Adam as _FbAdam
from mfpo._fb.Checkpoint import Checkpoint as _FbCheckpoint
from mfpo._fb.Network import Network as _FbNetwork
from mfpo.exceptions import CheckpointError, CheckpointVersionError

__all__ = ["FORMAT_VERSION", "IDENTIFIER", "CheckpointFile", "Network", "read"]

FORMAT_VERSION = 1
"""The newest format version this reader reads (gocore/checkpoint.Version)."""

IDENTIFIER = b"MFPO"
"""The flatbuffers file identifier, bytes 4-7 of every checkpoint."""

MAX_BYTES = 2**31 - 1
"""The largest buffer a flatbuffer addresses (and the Go reader accepts)."""

_KINDS = {0: "full", 1: "policy"}
_F32 = np.dtype("<f4")


# ---------------------------------------------------------------------------
# The schema as the verifier sees it: each table's fields in id order (field
# i at vtable offset 4 + 2i) with their wire types; gocore/checkpoint/verify.go
# holds the same lists, and a test compares this one with schema/checkpoint.fbs.

# Wire types: inline scalars and the struct Pcg, then offsets.
_INLINE = {"bool": (1, 1), "u8": (1, 1), "i32": (4, 4), "u32": (4, 4), "f32": (4, 4),
           "i64": (8, 8), "u64": (8, 8), "f64": (8, 8), "pcg": (16, 8)}
_OFFSETS = ("string", "[int32]", "[float]", "table", "[table]")


class _Field(NamedTuple):
    name: str
    type: str  # a key of _INLINE or one of _OFFSETS
    sub: _Table | None = None  # for "table" and "[table]"


class _Table(NamedTuple):
    name: str
    fields: tuple[_Field, ...]

    def slot(self, name: str) -> int:
        """The vtable offset of the named field."""
        for i, f in enumerate(self.fields):
            if f.name == name:
                return 4 + 2 * i
        raise KeyError(f"table {self.name} has no field {name}")


def _table(name: str, *fields: tuple[Any, ...]) -> _Table:
    return _Table(name, tuple(_Field(*f) for f in fields))


_TIME_SAMPLER = _table("TimeSampler", ("mean", "f64"), ("std", "f64"), ("flow_matching_ratio", "f64"),
                       ("uniform", "bool"))
_CONFIG = _table(
    "Config", ("hidden", "[int32]"), ("time_features", "i32"), ("time_width", "i32"), ("steps", "i32"),
    ("atoms", "i32"), ("v_min", "f64"), ("v_max", "f64"), ("gamma", "f64"), ("tau", "f64"),
    ("clipped_double_q", "bool"), ("policy_samples", "i32"), ("posterior_samples", "i32"),
    ("time_guard", "f64"), ("time_sampler", "table", _TIME_SAMPLER), ("probes", "i32"),
    ("exact_trace", "bool"), ("init_alpha", "f64"), ("target_entropy_per_dim", "f64"),
    ("actor_lr", "f64"), ("adn_lr", "f64"), ("critic_lr", "f64"), ("alpha_lr", "f64"),
    ("batch_size", "i32"), ("buffer_size", "i64"), ("learning_starts", "i64"),
    ("eval_candidates", "i32"), ("seed", "u64"), ("shards", "i32"))
_SPACES = _table("Spaces", ("obs_dim", "i32"), ("act_dim", "i32"), ("obs_shape", "[int32]"),
                 ("act_low", "[float]"), ("act_high", "[float]"))
_NET_SPEC = _table("NetSpec", ("inputs", "[int32]"), ("times", "i32"), ("hidden", "[int32]"), ("out", "i32"),
                   ("layer_norm", "bool"), ("time_features", "i32"), ("time_width", "i32"))
_NETWORK = _table("Network", ("spec", "table", _NET_SPEC), ("params", "[float]"))
_ADAM = _table("Adam", ("lr", "f64"), ("beta1", "f64"), ("beta2", "f64"), ("eps", "f64"), ("steps", "i64"),
               ("m", "[float]"), ("v", "[float]"))
_REPLAY = _table("Replay", ("capacity", "i64"), ("pos", "i64"), ("len", "i64"), ("obs", "[float]"),
                 ("act", "[float]"), ("reward", "[float]"), ("next_obs", "[float]"), ("not_done", "[float]"))
_CHECKPOINT = _table(
    "Checkpoint", ("format_version", "u32"), ("kind", "u8"), ("producer", "string"),
    ("config", "table", _CONFIG), ("spaces", "table", _SPACES), ("policy", "table", _NETWORK),
    ("target_critics", "[table]", _NETWORK), ("adn", "table", _NETWORK), ("critics", "[table]", _NETWORK),
    ("policy_opt", "table", _ADAM), ("adn_opt", "table", _ADAM), ("critic_opts", "[table]", _ADAM),
    ("log_alpha", "f32"), ("alpha_opt", "table", _ADAM), ("rng", "pcg"),
    ("updates", "i64"), ("stored", "i64"), ("replay", "table", _REPLAY), ("checksum", "u32"))

_SCHEMA: tuple[_Table, ...] = (_TIME_SAMPLER, _CONFIG, _SPACES, _NET_SPEC, _NETWORK, _ADAM, _REPLAY, _CHECKPOINT)
"""Every table, for the test against schema/checkpoint.fbs."""

_MAX_DEPTH = 8  # the schema nests four deep
_MAX_TABLES = 4096  # a valid checkpoint has about 30


class _Invalid(Exception):
    """A reason a buffer is not a valid checkpoint (read() adds the source)."""


class _Verifier:
    """Checks a buffer's structure against the schema, as
    gocore/checkpoint/verify.go does."""

    def __init__(self, buf: bytes | memoryview) -> None:
        self.buf, self.n, self.tables = buf, len(buf), 0

    def u16(self, at: int) -> int:
        return int(struct.unpack_from("<H", self.buf, at)[0])

    def u32(self, at: int) -> int:
        return int(struct.unpack_from("<I", self.buf, at)[0])

    def table(self, pos: int, d: _Table, path: str, depth: int = 0) -> None:
        n = self.n
        if depth > _MAX_DEPTH:
            raise _Invalid(f"{path}: tables nested deeper than {_MAX_DEPTH}")
        self.tables += 1
        if self.tables > _MAX_TABLES:
            raise _Invalid(f"{path}: more than {_MAX_TABLES} tables")
        if pos % 4 or pos + 4 > n:
            raise _Invalid(f"{path}: table at byte {pos} is outside the {n}-byte buffer or misaligned")
        vt = pos - struct.unpack_from("<i", self.buf, pos)[0]
        if vt < 0 or vt % 2 or vt + 4 > n:
            raise _Invalid(f"{path}: vtable at byte {vt} (table at {pos}) is outside the {n}-byte buffer or misaligned")
        vsize, tsize = self.u16(vt), self.u16(vt + 2)
        if vsize < 4 or vsize % 2 or vt + vsize > n:
            raise _Invalid(f"{path}: vtable at byte {vt} claims {vsize} bytes; the buffer has {n}")
        if tsize < 4 or pos + tsize > n:
            raise _Invalid(f"{path}: table at byte {pos} claims {tsize} bytes; the buffer has {n}")
        for i, f in enumerate(d.fields):
            vo = 4 + 2 * i
            if vo + 2 > vsize:
                break  # fields beyond the vtable are absent
            fo = self.u16(vt + vo)
            if fo == 0:
                continue
            fpath = f"{path}.{f.name}"
            size, align = _INLINE.get(f.type, (4, 4))
            if fo < 4 or fo + size > tsize:
                raise _Invalid(
                    f"{fpath}: field at table offset {fo} with {size} bytes lies outside its {tsize}-byte table"
                )
            at = pos + fo
            if at % align:
                raise _Invalid(f"{fpath}: field at byte {at} is not {align}-aligned")
            if f.type in _INLINE:
                continue
            target = at + self.u32(at)
            if target >= n:
                raise _Invalid(f"{fpath}: points to byte {target}, past the end of the {n}-byte buffer")
            if f.type == "string":
                self.string(target, fpath)
            elif f.type in ("[int32]", "[float]"):
                self.vector(target, 4, fpath)
            elif f.type == "table":
                assert f.sub is not None
                self.table(target, f.sub, fpath, depth + 1)
            else:  # "[table]"
                assert f.sub is not None
                for j in range(self.vector(target, 4, fpath)):
                    ep = target + 4 + 4 * j
                    self.table(ep + self.u32(ep), f.sub, f"{fpath}[{j}]", depth + 1)

    def vector(self, at: int, elem: int, path: str) -> int:
        """Checks the length prefix at `at` and that its elements follow
        inside the buffer; returns the length."""
        if at % 4 or at + 4 > self.n:
            raise _Invalid(f"{path}: vector at byte {at} is outside the {self.n}-byte buffer or misaligned")
        cnt = self.u32(at)
        end = at + 4 + cnt * elem
        if end > self.n:
            raise _Invalid(f"{path}: vector of {cnt} elements at byte {at} ends at byte {end}, "
                           f"past the end of the {self.n}-byte buffer")
        return cnt

    def string(self, at: int, path: str) -> None:
        cnt = self.vector(at, 1, path)
        end = at + 4 + cnt
        if end >= self.n or self.buf[end] != 0:
            raise _Invalid(f"{path}: string of {cnt} bytes at byte {at} has no terminating zero")


_MAGIC = (
    (b"\x89PNG", "PNG image"), (b"PK\x03\x04", "zip archive (a PyTorch .pt file is one)"),
    (b"\x1f\x8b", "gzip file"), (b"\x93NUMPY", "NumPy .npy file"), (b"\x80\x02", "Python pickle"),
    (b"\x80\x04", "Python pickle"), (b"\x80\x05", "Python pickle"), (b"\x89HDF", "HDF5 file"),
    (b"\x7fELF", "ELF executable"), (b"{", "JSON or text file"), (b"GIF8", "GIF image"),
    (b"\xff\xd8\xff", "JPEG image"),
)


def _foreign_hint(buf: bytes | memoryview) -> str:
    """Names common file types, for the identifier error."""
    head = bytes(buf[:64])
    for prefix, name in _MAGIC:
        if head.startswith(prefix):
            return f"; this looks like a {name}"
    if all(c >= 0x09 and not (0x0D < c < 0x20) for c in head):
        return "; this looks like a text file"
    return ""


def _checksum_at(buf: bytes | memoryview) -> int | None:
    """The byte position of Checkpoint.checksum in a verified buffer."""
    root = struct.unpack_from("<I", buf, 0)[0]
    vt = root - struct.unpack_from("<i", buf, root)[0]
    slot = _CHECKPOINT.slot("checksum")
    if slot + 2 > struct.unpack_from("<H", buf, vt)[0]:
        return None
    fo = struct.unpack_from("<H", buf, vt + slot)[0]
    return root + fo if fo else None


def _crc32(buf: bytes | memoryview, hole: int) -> int:
    """CRC-32 (IEEE, zlib's) of buf with the 4 bytes at hole read as zero."""
    mv = memoryview(buf)
    c = zlib.crc32(mv[:hole])
    c = zlib.crc32(b"\0\0\0\0", c)
    return zlib.crc32(mv[hole + 4:], c)


def _verify_header(buf: bytes | memoryview, verify: bool) -> None:
    """Length, identifier, structure and (when verify) the checksum."""
    n = len(buf)
    if n < 8:
        raise _Invalid(f"{n} bytes, too short for a checkpoint (a root offset and the identifier "
                       f"{IDENTIFIER.decode()!r} take 8)")
    ident = bytes(buf[4:8])
    if ident != IDENTIFIER:
        raise _Invalid(f"file identifier {ident!r} (bytes 4-7), want {IDENTIFIER!r}{_foreign_hint(buf)}")
    if n > MAX_BYTES:
        raise _Invalid(f"{n} bytes, more than a flatbuffer can address ({MAX_BYTES})")
    v = _Verifier(buf)
    v.table(v.u32(0), _CHECKPOINT, "Checkpoint")
    at = _checksum_at(buf)
    if at is None:
        raise _Invalid("Checkpoint.checksum is missing")
    if verify:
        stored, have = struct.unpack_from("<I", buf, at)[0], _crc32(buf, at)
        if stored != have:
            raise _Invalid(f"checksum mismatch: stored {stored:#010x}, the {n} bytes give {have:#010x}; "
                           "the file is truncated or corrupted")


# ---------------------------------------------------------------------------
# The public objects.

def _num_params(spec: dict[str, Any]) -> int:
    """len(nn.MLP.Params) for a spec (docs/checkpoint.md's layout)."""
    f, w, times = spec["time_features"], spec["time_width"], spec["times"]
    n = times * (f + (2 * f * w + w) + (w * w + w)) if times > 0 else 0
    widths = _widths(spec)
    for layer in range(len(widths) - 1):
        n += widths[layer] * widths[layer + 1] + widths[layer + 1]
        if spec["layer_norm"] and layer + 2 < len(widths):
            n += 2 * widths[layer + 1]
    return n


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
        if off != p.size:  # read() checked the length against the spec
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
    the structure and the sizes are always checked.

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
            if size > MAX_BYTES:
                raise CheckpointError(f"{path}: not a valid checkpoint: the file has {size} bytes, "
                                      f"more than a flatbuffer can address ({MAX_BYTES})")
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
    prefix = f"{path}: " if path is not None else ""
    try:
        _verify_header(buf, verify)
        return _decode(buf, path)
    except _Invalid as e:
        raise CheckpointError(f"{prefix}not a valid checkpoint: {e}") from None
    except CheckpointError:
        raise
    except MemoryError:
        raise
    except Exception as e:  # the verifier should make this unreachable
        raise CheckpointError(f"{prefix}not a valid checkpoint: corrupted ({type(e).__name__}: {e})") from e


def _floats(arr: Any, path: str, want: int, why: str) -> np.ndarray:
    """A float vector field (the generated *AsNumpy, 0 when absent) of want
    elements."""
    if isinstance(arr, int):
        raise _Invalid(f"{path} is missing")
    if arr.size != want:
        raise _Invalid(f"{path} has {arr.size} floats, want {want} ({why})")
    assert isinstance(arr, np.ndarray) and arr.dtype == _F32
    return arr


def _ints(arr: Any) -> list[int]:
    """An int vector field (the generated *AsNumpy) as a list; [] when absent."""
    return [] if isinstance(arr, int) else [int(x) for x in arr]


def _decode(buf: bytes | memoryview, path: str | None) -> CheckpointFile:
    """Reads the fields of a verified buffer and checks them (module doc, 4-5)."""
    root = _FbCheckpoint.GetRootAs(buf, 0)
    version = root.FormatVersion()
    if version == 0:
        raise _Invalid(f"Checkpoint.format_version is missing or 0, want a version from 1 to {FORMAT_VERSION}")
    if version > FORMAT_VERSION:
        where = f"{path}: " if path is not None else ""
        raise CheckpointVersionError(f"{where}format version {version} is newer than this reader's "
                                     f"{FORMAT_VERSION}; read it with a newer mfpo")
    kind = _KINDS.get(root.Kind())
    if kind is None:
        raise _Invalid(f"Checkpoint.kind = {root.Kind()}, want 0 (full) or 1 (policy-only)")
    full = kind == "full"

    config = _config(root)
    spaces = _spaces(root)
    updates, stored = root.Updates(), root.Stored()
    if updates < 0 or stored < 0:
        raise _Invalid(f"Checkpoint.updates = {updates}, stored = {stored}, want >= 0")
    obs, act = spaces["obs_dim"], spaces["act_dim"]
    hidden = config["hidden"]
    if not hidden or min(hidden) < 1:
        raise _Invalid(f"Checkpoint.config.hidden = {hidden}, want at least one width, each >= 1")
    policy_spec = {"inputs": [act, obs], "times": 2, "hidden": hidden, "out": act, "layer_norm": True,
                   "time_features": config["time_features"], "time_width": config["time_width"]}
    adn_spec = dict(policy_spec, out=1)
    critic_spec = {"inputs": [obs, act], "times": 0, "hidden": hidden, "out": config["atoms"], "layer_norm": True,
                   "time_features": 0, "time_width": 0}

    networks = {"policy": _network(root.Policy(), "Checkpoint.policy", "policy", policy_spec)}
    networks.update(_pair(root.TargetCriticsLength(), root.TargetCritics, "Checkpoint.target_critics",
                          "target_critic", critic_spec))
    optimizers: dict[str, dict[str, Any]] = {}
    log_alpha: float | None = None
    rng: tuple[int, int] | None = None
    replay: dict[str, Any] | None = None
    if full:
        networks["adn"] = _network(root.Adn(), "Checkpoint.adn", "adn", adn_spec)
        networks.update(_pair(root.CriticsLength(), root.Critics, "Checkpoint.critics", "critic", critic_spec))
        np_, nd, nc = (_num_params(s) for s in (policy_spec, adn_spec, critic_spec))
        optimizers["policy_opt"] = _adam(root.PolicyOpt(), "Checkpoint.policy_opt", np_, "the policy")
        optimizers["adn_opt"] = _adam(root.AdnOpt(), "Checkpoint.adn_opt", nd, "the ADN")
        if root.CriticOptsLength() != 2:
            raise _Invalid(f"Checkpoint.critic_opts has {root.CriticOptsLength()} optimisers, want 2")
        for k in range(2):
            optimizers[f"critic{k + 1}_opt"] = _adam(root.CriticOpts(k), f"Checkpoint.critic_opts[{k}]", nc, "a critic")
        optimizers["alpha_opt"] = _adam(root.AlphaOpt(), "Checkpoint.alpha_opt", 1, "log alpha")
        log_alpha = float(root.LogAlpha())
        pcg = root.Rng()
        if pcg is None:
            raise _Invalid("Checkpoint.rng is missing")
        rng = (int(pcg.Hi()), int(pcg.Lo()))
    r = root.Replay()
    if r is not None:
        if not full:
            raise _Invalid("a policy-only checkpoint holds a replay buffer")
        replay = _replay(r, config["buffer_size"], stored, obs, act)
    producer = root.Producer()  # bytes, None when absent
    return CheckpointFile(
        kind=kind, format_version=version, producer=producer.decode("utf-8", "replace") if producer else "",
        config=config, spaces=spaces, updates=updates, stored=stored, log_alpha=log_alpha, rng=rng,
        networks=networks, optimizers=optimizers, replay=replay, checksum=root.Checksum(), path=path, buffer=buf)


def _config(root: _FbCheckpoint) -> dict[str, Any]:
    """Checkpoint.config with mfpo.Config's JSON keys, in its order."""
    c = root.Config()
    if c is None:
        raise _Invalid("Checkpoint.config is missing")
    ts = c.TimeSampler()
    if ts is None:
        raise _Invalid("Checkpoint.config.time_sampler is missing")
    return {
        "hidden": _ints(c.HiddenAsNumpy()), "time_features": c.TimeFeatures(), "time_width": c.TimeWidth(),
        "steps": c.Steps(), "atoms": c.Atoms(), "v_min": c.VMin(), "v_max": c.VMax(), "gamma": c.Gamma(),
        "tau": c.Tau(), "clipped_double_q": bool(c.ClippedDoubleQ()), "policy_samples": c.PolicySamples(),
        "posterior_samples": c.PosteriorSamples(), "time_guard": c.TimeGuard(),
        "time_sampler": {"mean": ts.Mean(), "std": ts.Std(), "flow_matching_ratio": ts.FlowMatchingRatio(),
                         "uniform": bool(ts.Uniform())},
        "probes": c.Probes(), "exact_trace": bool(c.ExactTrace()), "init_alpha": c.InitAlpha(),
        "target_entropy_per_dim": c.TargetEntropyPerDim(), "actor_lr": c.ActorLr(), "adn_lr": c.AdnLr(),
        "critic_lr": c.CriticLr(), "alpha_lr": c.AlphaLr(), "batch_size": c.BatchSize(),
        "buffer_size": c.BufferSize(), "learning_starts": c.LearningStarts(),
        "eval_candidates": c.EvalCandidates(), "seed": c.Seed(), "shards": c.Shards(),
    }


def _spaces(root: _FbCheckpoint) -> dict[str, Any]:
    """Checkpoint.spaces; obs_shape defaults to (obs_dim,) as in Go."""
    sp = root.Spaces()
    if sp is None:
        raise _Invalid("Checkpoint.spaces is missing")
    obs, act = sp.ObsDim(), sp.ActDim()
    if obs < 1 or act < 1:
        raise _Invalid(f"Checkpoint.spaces: obs_dim {obs}, act_dim {act}, want >= 1")
    shape = tuple(_ints(sp.ObsShapeAsNumpy())) or (obs,)
    if min(shape) < 1 or math.prod(shape) != obs:
        raise _Invalid(f"Checkpoint.spaces.obs_shape {list(shape)}: want positive sizes whose product is "
                       f"obs_dim = {obs}")
    low, high = sp.ActLowAsNumpy(), sp.ActHighAsNumpy()
    if isinstance(low, int) or isinstance(high, int):
        raise _Invalid("Checkpoint.spaces.act_low or act_high is missing")
    if low.size != act or high.size != act:
        raise _Invalid(f"Checkpoint.spaces: act_low has {low.size} and act_high {high.size} floats, "
                       f"want act_dim = {act} each")
    return {"obs_dim": obs, "act_dim": act, "obs_shape": shape, "act_low": low, "act_high": high}


def _spec_str(s: dict[str, Any]) -> str:
    out = f"inputs {s['inputs']}, hidden {s['hidden']}, out {s['out']}, layer norm {s['layer_norm']}"
    if s["times"] or s["time_features"] or s["time_width"]:
        out += f", {s['times']} times (F {s['time_features']}, width {s['time_width']})"
    return out


def _network(n: _FbNetwork | None, path: str, name: str, want: dict[str, Any]) -> Network:
    """A stored network whose spec must be `want` and whose params must fit it."""
    if n is None:
        raise _Invalid(f"{path} is missing")
    s = n.Spec()
    if s is None:
        raise _Invalid(f"{path}.spec is missing")
    got = {"inputs": _ints(s.InputsAsNumpy()), "times": s.Times(), "hidden": _ints(s.HiddenAsNumpy()),
           "out": s.Out(), "layer_norm": bool(s.LayerNorm()), "time_features": s.TimeFeatures(),
           "time_width": s.TimeWidth()}
    if got != want:
        raise _Invalid(f"{path}.spec is {_spec_str(got)}, but the config and spaces imply {_spec_str(want)}")
    params = _floats(n.ParamsAsNumpy(), f"{path}.params", _num_params(want), f"the parameters of {_spec_str(want)}")
    return Network(name=name, spec=got, params=params)


def _pair(length: int, at: Any, path: str, name: str, want: dict[str, Any]) -> dict[str, Network]:
    """A vector of exactly two networks, named name1 and name2."""
    if length != 2:
        raise _Invalid(f"{path} has {length} networks, want 2")
    return {f"{name}{k + 1}": _network(at(k), f"{path}[{k}]", f"{name}{k + 1}", want) for k in range(2)}


def _adam(o: _FbAdam | None, path: str, n: int, of: str) -> dict[str, Any]:
    """An Adam state whose moments have n floats each."""
    if o is None:
        raise _Invalid(f"{path} is missing")
    if o.Steps() < 0:
        raise _Invalid(f"{path}.steps = {o.Steps()}, want >= 0")
    why = f"one per parameter of {of}"
    return {"lr": o.Lr(), "beta1": o.Beta1(), "beta2": o.Beta2(), "eps": o.Eps(), "steps": o.Steps(),
            "m": _floats(o.MAsNumpy(), f"{path}.m", n, why), "v": _floats(o.VAsNumpy(), f"{path}.v", n, why)}


def _replay(r: Any, buffer_size: int, stored: int, obs: int, act: int) -> dict[str, Any]:
    """The replay ring: its state, and its first len rows reshaped."""
    n, capacity, pos = r.Len(), r.Capacity(), r.Pos()
    if capacity != buffer_size:
        raise _Invalid(f"Checkpoint.replay.capacity = {capacity}, want Config.buffer_size = {buffer_size}")
    if n < 0 or n > capacity or pos < 0 or pos >= capacity or (n < capacity and pos != n):
        raise _Invalid(f"Checkpoint.replay: pos {pos}, len {n} is not a state of a ring of capacity {capacity}")
    if n > stored:
        raise _Invalid(f"Checkpoint.replay.len = {n} exceeds the transitions ever stored, {stored}")
    out: dict[str, Any] = {"capacity": capacity, "pos": pos, "len": n}
    for key, raw, width in (("obs", r.ObsAsNumpy(), obs), ("act", r.ActAsNumpy(), act),
                            ("reward", r.RewardAsNumpy(), 0), ("next_obs", r.NextObsAsNumpy(), obs),
                            ("not_done", r.NotDoneAsNumpy(), 0)):
        x = _floats(raw, f"Checkpoint.replay.{key}", n * max(width, 1), f"len {n} × {max(width, 1)}")
        out[key] = x.reshape(n, width) if width else x
    return out
