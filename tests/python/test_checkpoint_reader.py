"""mfpo.checkpoint, the NumPy checkpoint reader (Go's checks through the
extension, then zero-copy views through the generated mfpo._fb), against
checkpoints written by Go.

The fixtures come from tests/python/ckptgen (built once per session with
`go build`): full.mfpo (with the replay buffer), noreplay.mfpo and
policy.mfpo of one small trained agent, and expected.json with what Go
knows about every tensor and scalar. The same program, with -inspect,
loads files with the Go loaders (Unmarshal, UnmarshalPolicy), so that the
test can check that what read() refuses they refuse too.
"""

from __future__ import annotations

import json
import math
import os
import re
import struct
import subprocess
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import mfpo
from mfpo import checkpoint as ckpt
from mfpo._fb.Checkpoint import Checkpoint as FbCheckpoint
from mfpo.exceptions import CheckpointError, CheckpointVersionError

REPO = Path(__file__).resolve().parents[2]
FILES = ("full.mfpo", "noreplay.mfpo", "policy.mfpo")


class Fixture:
    """The Go-written files, what Go knows about them, and the Go reader."""

    def __init__(self, tool: Path, out: Path) -> None:
        self.tool, self.dir = tool, out
        self.expected: dict[str, Any] = json.loads((out / "expected.json").read_text())
        self.data = {name: (out / name).read_bytes() for name in FILES}

    def go_inspect(self, paths: list[Path]) -> list[dict[str, Any]]:
        """Loads each file with Go's reader: one outcome per path."""
        res = subprocess.run([str(self.tool), "-inspect", *map(str, paths)], capture_output=True, text=True,
                             timeout=300, check=False)
        assert res.returncode == 0, res.stderr
        out = [json.loads(line) for line in res.stdout.splitlines()]
        assert [o["path"] for o in out] == [str(p) for p in paths]
        return out


@pytest.fixture(scope="session")
def go(tmp_path_factory: pytest.TempPathFactory) -> Fixture:
    base = tmp_path_factory.mktemp("ckptgen")
    tool = base / "ckptgen"
    res = subprocess.run(["go", "build", "-o", str(tool), "./tests/python/ckptgen"], cwd=REPO, capture_output=True,
                         text=True, timeout=600, check=False)
    assert res.returncode == 0, res.stderr
    out = base / "out"
    res = subprocess.run([str(tool), "-out", str(out)], capture_output=True, text=True, timeout=300, check=False)
    assert res.returncode == 0, res.stderr
    return Fixture(tool, out)


def checksum_at(buf: bytes) -> int:
    """Where Checkpoint.checksum (field 18) lies, through the generated code."""
    c = FbCheckpoint.GetRootAs(buf, 0)
    return c._tab.Pos + c._tab.Offset(4 + 2 * 18)


def reseal(buf: bytes | bytearray, at: int) -> bytes:
    """buf with the checksum at `at` recomputed (zlib.crc32 with the four
    checksum bytes read as zero)."""
    b = bytearray(buf)
    b[at:at + 4] = bytes(4)
    struct.pack_into("<I", b, at, zlib.crc32(b))
    return bytes(b)


def buffer_root(arr: np.ndarray) -> Any:
    """The object at the end of an array's .base chain (through a memoryview
    to the object it views)."""
    obj: Any = arr
    while isinstance(obj, np.ndarray) and obj.base is not None:
        obj = obj.base
    if isinstance(obj, memoryview):
        obj = obj.obj
    return obj


# ---------------------------------------------------------------------------
# Reading what Go wrote.

@pytest.mark.parametrize("name", FILES)
def test_every_tensor_matches_go(go: Fixture, name: str) -> None:
    # Exact although Go ran in another process: these are the values Go
    # stored, read back, not computed again here, so which BLAS kernels
    # either side runs cannot change them (docs/reproducibility.md).
    exp = go.expected["files"][name]
    c = ckpt.read(go.dir / name)
    tensors = c.tensors()
    assert sorted(tensors) == sorted(exp["tensors"])
    for key, want in exp["tensors"].items():
        x = tensors[key]
        assert x.dtype == np.dtype("<f4"), key
        assert x.size == want["len"], key
        flat = x.reshape(-1)
        assert [float(v) for v in flat[:3]] == want["first"], key
        assert zlib.crc32(flat.tobytes()) == want["crc32"], key  # every value, bit for bit
        assert abs(float(np.sum(flat, dtype=np.float64)) - want["sum"]) <= 1e-6 * max(want["abs_sum"], 1e-30), key


@pytest.mark.parametrize("name", FILES)
def test_scalars_config_and_spaces_match_go(go: Fixture, name: str) -> None:
    exp, fexp = go.expected, go.expected["files"][name]
    c = ckpt.read(str(go.dir / name))
    assert c.kind == fexp["kind"]
    assert c.format_version == exp["format_version"]
    assert c.producer == exp["producer"]
    assert c.updates == exp["updates"] and c.stored == exp["stored"]
    assert c.path == str(go.dir / name)
    assert c.nbytes == fexp["size"]
    assert c.checksum == fexp["checksum"]
    # The config: the Go Config's JSON, key for key (order included).
    assert c.config == exp["config"]
    assert list(c.config) == list(exp["config"]) == list(mfpo.CONFIG_KEYS)
    assert list(c.config["time_sampler"]) == list(exp["config"]["time_sampler"])
    assert type(c.config["clipped_double_q"]) is bool and type(c.config["seed"]) is int
    sp = c.spaces
    assert sp["obs_dim"] == exp["spaces"]["obs_dim"] and sp["act_dim"] == exp["spaces"]["act_dim"]
    assert sp["obs_shape"] == tuple(exp["spaces"]["obs_shape"]) == (1, 3)
    assert sp["act_low"].tolist() == exp["spaces"]["act_low"] and sp["act_high"].tolist() == exp["spaces"]["act_high"]
    # Networks and their specs.
    assert sorted(c.networks) == sorted(fexp["networks"])
    for key, net in c.networks.items():
        assert net.name == key and net.spec == fexp["networks"][key], key
        assert net.params.ndim == 1
    if c.kind == "full":
        assert c.log_alpha == exp["log_alpha"]  # a float32, exact
        assert c.alpha == pytest.approx(math.exp(exp["log_alpha"]), rel=1e-15)
        assert c.rng == tuple(exp["rng"])
        assert sorted(c.optimizers) == sorted(fexp["optimizers"])
        for key, opt in c.optimizers.items():
            want = fexp["optimizers"][key]
            assert {k: opt[k] for k in ("lr", "beta1", "beta2", "eps", "steps")} == want, key
            assert opt["m"].shape == opt["v"].shape
    if fexp["replay"] is None:
        assert c.replay is None
    else:
        r, want = c.replay, fexp["replay"]
        assert r is not None
        assert (r["capacity"], r["pos"], r["len"]) == (want["capacity"], want["pos"], want["len"])
        n, o, a = r["len"], sp["obs_dim"], sp["act_dim"]
        assert r["obs"].shape == r["next_obs"].shape == (n, o)
        assert r["act"].shape == (n, a) and r["reward"].shape == r["not_done"].shape == (n,)
        assert set(np.unique(r["not_done"])) <= {0.0, 1.0}


def test_policy_only_has_no_training_state(go: Fixture) -> None:
    c = ckpt.read(go.dir / "policy.mfpo")
    assert c.kind == "policy"
    assert sorted(c.networks) == ["policy", "target_critic1", "target_critic2"]
    assert c.optimizers == {} and c.replay is None
    assert c.log_alpha is None and c.alpha is None and c.rng is None
    full = ckpt.read(go.dir / "noreplay.mfpo")
    assert full.kind == "full" and full.replay is None
    assert sorted(full.networks) == ["adn", "critic1", "critic2", "policy", "target_critic1", "target_critic2"]
    assert sorted(full.optimizers) == ["adn_opt", "alpha_opt", "critic1_opt", "critic2_opt", "policy_opt"]
    # The same agent: the policy-only file holds the same policy.
    assert np.array_equal(c.networks["policy"].params, full.networks["policy"].params)


@pytest.mark.parametrize("name", FILES)
def test_sources_agree(go: Fixture, name: str) -> None:
    data = go.data[name]
    reads = [ckpt.read(go.dir / name), ckpt.read(str(go.dir / name)), ckpt.read(data),
             ckpt.read(bytearray(data)), ckpt.read(memoryview(data)),
             ckpt.read(np.frombuffer(data, np.uint8))]  # type: ignore[arg-type]  # any buffer of bytes
    first = reads[0]
    for c in reads[1:]:
        assert (c.kind, c.producer, c.config, c.updates, c.stored, c.checksum) == \
            (first.kind, first.producer, first.config, first.updates, first.stored, first.checksum)
        assert c.log_alpha == first.log_alpha and c.rng == first.rng
        t0, t1 = first.tensors(), c.tensors()
        assert list(t0) == list(t1)
        for key in t0:
            assert np.array_equal(t0[key], t1[key]) and t0[key].shape == t1[key].shape, key
    assert reads[2].path is None


def test_arrays_are_zero_copy_and_read_only(go: Fixture) -> None:
    data = go.data["full.mfpo"]
    assert ckpt.read(data).buffer is data
    for c in (ckpt.read(data), ckpt.read(go.dir / "full.mfpo")):
        owner = c.buffer  # the bytes given, or those read from the file
        assert isinstance(owner, bytes) and owner == data
        tensors = c.tensors()
        tensors.update({f"layers/{k}": v for k, v in c.networks["policy"].layers().items()})
        for key, x in tensors.items():
            assert buffer_root(x) is owner, key  # a view of the bytes, not a copy
            assert np.shares_memory(x, np.frombuffer(owner, np.uint8)), key
            assert not x.flags.writeable, key
            with pytest.raises(ValueError):
                x.reshape(-1)[0] = 1.0
        # The view is where the float bytes are.
        p = c.networks["policy"].params
        start = p.__array_interface__["data"][0] - np.frombuffer(owner, np.uint8).__array_interface__["data"][0]
        assert 0 < start and start + p.nbytes <= len(owner)
        assert np.array_equal(np.frombuffer(data, "<f4", p.size, start), p)

    # A bytearray is viewed, not copied: the arrays are read-only views of it.
    buf = bytearray(data)
    c = ckpt.read(buf)
    p = c.networks["policy"].params
    assert buffer_root(p) is buf and not p.flags.writeable
    old = p[0]
    start = p.__array_interface__["data"][0] - np.frombuffer(buf, np.uint8).__array_interface__["data"][0]
    buf[start:start + 4] = struct.pack("<f", 123.5)
    assert p[0] == 123.5 and old != 123.5


def test_checksum_is_zlib_crc32(go: Fixture) -> None:
    for name in FILES:
        data = go.data[name]
        at = checksum_at(data)
        stored = struct.unpack_from("<I", data, at)[0]
        assert stored == zlib.crc32(data[:at] + bytes(4) + data[at + 4:]) == go.expected["files"][name]["checksum"]
        assert ckpt.read(data).checksum == stored
        assert reseal(data, at) == data


def test_layers_are_views_in_the_documented_layout(go: Fixture) -> None:
    c = ckpt.read(go.dir / "full.mfpo")
    cfg = c.config
    hid, f, w = cfg["hidden"], cfg["time_features"], cfg["time_width"]
    for name, net in c.networks.items():
        layers = net.layers()
        flat = np.concatenate([x.reshape(-1) for x in layers.values()])
        assert np.array_equal(flat, net.params), name  # every parameter once, in order
        for key, x in layers.items():
            assert np.shares_memory(x, net.params) and not x.flags.writeable, (name, key)
        widths = [sum(net.spec["inputs"]) + (w if net.spec["times"] else 0), *hid, net.spec["out"]]
        assert layers["output/weight"].shape == (widths[-2], widths[-1])
        assert layers["hidden0/weight"].shape == (widths[0], widths[1])
        assert [k for k in layers if k.startswith("time")] == (
            [f"time{j}/{p}" for j in range(2) for p in ("freq", "in/weight", "in/bias", "out/weight", "out/bias")]
            if name in ("policy", "adn") else [])
        if name in ("policy", "adn"):
            assert layers["time1/in/weight"].shape == (2 * f, w)
    # The layout is right if a forward pass from the layers gives Go's
    # outputs (nn.MLP.Forward, float32) for the same inputs. Computed again
    # here (numpy, float64), so compared within float32 rounding, not bits.
    for name, net_name in (("policy", "policy"), ("critic1", "critic1")):
        fw = go.expected["forward"][name]
        net = c.networks[net_name]
        rows = fw["rows"]
        xs = [np.asarray(x, np.float64).reshape(rows, -1) for x in fw["inputs"]]
        ts = [np.asarray(t, np.float64) for t in fw["times"] or []]
        got = forward(net, xs, ts)
        want = np.asarray(fw["out"], np.float64).reshape(rows, -1)
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5, err_msg=name)


def gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


def forward(net: ckpt.Network, xs: list[np.ndarray], ts: list[np.ndarray]) -> np.ndarray:
    """docs/checkpoint.md's network in float64 from Network.layers()."""
    L = {k: v.astype(np.float64) for k, v in net.layers().items()}
    s = net.spec
    parts = list(xs)
    if s["times"]:
        cond = np.zeros((len(xs[0]), s["time_width"]))
        for j, t in enumerate(ts):
            ang = 2 * math.pi * t[:, None] * L[f"time{j}/freq"][None, :]
            feat = np.concatenate([np.cos(ang), np.sin(ang)], axis=1)
            h = gelu(feat @ L[f"time{j}/in/weight"] + L[f"time{j}/in/bias"])
            cond = cond + h @ L[f"time{j}/out/weight"] + L[f"time{j}/out/bias"]
        parts.append(cond)
    x = np.concatenate(parts, axis=1)
    for layer in range(len(s["hidden"])):
        p = f"hidden{layer}"
        z = x @ L[f"{p}/weight"] + L[f"{p}/bias"]
        if s["layer_norm"]:
            z = (z - z.mean(axis=1, keepdims=True)) / np.sqrt(z.var(axis=1, keepdims=True) + 1e-6)
            z = z * L[f"{p}/norm/scale"] + L[f"{p}/norm/bias"]
        x = gelu(z)
    return x @ L["output/weight"] + L["output/bias"]


def test_repr_and_summary(go: Fixture) -> None:
    c = ckpt.read(go.dir / "full.mfpo")
    r = repr(c)
    for part in ("full v1", f"by {c.producer!r}", "obs 3 [1, 3], act 2", "hidden [16, 12]", "replay 32/32 rows",
                 "updates 3, stored 40", f"{c.nbytes:,} bytes"):
        assert part in r, (part, r)
    s = c.summary()
    assert "policy/params" in s and "replay/obs" in s and "(32, 3)" in s
    assert "Network('policy'" in repr(c.networks["policy"])
    assert "policy" in repr(ckpt.read(go.data["policy.mfpo"]))


# ---------------------------------------------------------------------------
# Corrupted, foreign and missing files.

def expect_error(data: bytes | bytearray, cls: type[Exception], match: str, **kw: Any) -> CheckpointError:
    with pytest.raises(CheckpointError, match=match) as info:
        ckpt.read(data, **kw)
    assert type(info.value) is cls, (type(info.value), info.value)
    assert isinstance(info.value, ValueError)
    return info.value


def patched(data: bytes, at: int, fmt: str, value: Any) -> bytes:
    """data with one field overwritten and the checksum recomputed."""
    b = bytearray(data)
    struct.pack_into(fmt, b, at, value)
    return reseal(b, checksum_at(data))


def corruptions(go: Fixture) -> dict[str, tuple[bytes, type[Exception], str]]:
    """Named corrupted files: bytes, the class read() must raise, and a
    pattern of its message."""
    full, policy = go.data["full.mfpo"], go.data["policy.mfpo"]
    root = FbCheckpoint.GetRootAs(full, 0)
    tab = root._tab
    version_at = tab.Pos + tab.Offset(4)
    mid = len(full) // 2
    flipped = bytearray(full)
    flipped[mid] ^= 0x40
    foreign_id = bytearray(full)
    foreign_id[4:8] = b"XXXX"
    rng = np.random.default_rng(7)
    noise = rng.integers(0, 256, 4096, dtype=np.uint8).tobytes()
    planted = bytearray(noise)
    planted[4:8] = b"MFPO"
    # Sizes that disagree with the config, resealed so that only that check fires.
    cfg = root.Config()._tab
    hidden0_at = cfg.Vector(cfg.Offset(4))
    pol = root.Policy()._tab
    params_len_at = pol.Vector(pol.Offset(6)) - 4
    params_len = struct.unpack_from("<I", full, params_len_at)[0]
    opt = root.PolicyOpt()._tab
    m_len_at = opt.Vector(opt.Offset(14)) - 4
    rep = root.Replay()._tab
    rep_len_at = rep.Pos + rep.Offset(8)
    sp = root.Spaces()._tab
    obs_shape0_at = sp.Vector(sp.Offset(8))
    kind_at = FbCheckpoint.GetRootAs(policy, 0)._tab
    policy_kind_at = kind_at.Pos + kind_at.Offset(6)
    return {
        "empty": (b"", CheckpointError, "0 bytes, too short"),
        "7 bytes": (full[:7], CheckpointError, "7 bytes, too short"),
        "truncated to 8": (full[:8], CheckpointError, "outside the 8-byte buffer"),
        "truncated to 100": (full[:100], CheckpointError, "not a valid checkpoint"),
        "truncated in half": (full[:mid], CheckpointError, "not a valid checkpoint"),
        "one byte short": (full[:-1], CheckpointError, "not a valid checkpoint"),
        "flipped byte (checksum)": (bytes(flipped), CheckpointError, "checksum mismatch: stored 0x"),
        "wrong identifier": (bytes(foreign_id), CheckpointError, r'file identifier "XXXX" \(bytes 4…7\), want "MFPO"'),
        "format version 2": (patched(full, version_at, "<I", 2), CheckpointVersionError,
                             "format version 2 is newer than this reader's 1"),
        "format version 0": (patched(full, version_at, "<I", 0), CheckpointError, "format_version is missing or 0"),
        "random bytes": (noise, CheckpointError, "file identifier"),
        "random bytes, MFPO identifier": (bytes(planted), CheckpointError, "not a valid checkpoint"),
        "PNG image": (b"\x89PNG\r\n\x1a\n" + bytes(64), CheckpointError, "looks like a PNG image"),
        "text": (b"hello, this is not a checkpoint\n", CheckpointError, "looks like a text file"),
        "config hidden 16 -> 17": (patched(full, hidden0_at, "<i", 17), CheckpointError,
                                   r"Checkpoint.policy.spec is .* but the config and spaces imply"),
        "policy params one short": (patched(full, params_len_at, "<I", params_len - 1), CheckpointError,
                                    rf"Checkpoint.policy.params has {params_len - 1} floats, want {params_len}"),
        "policy Adam m one short": (patched(full, m_len_at, "<I", params_len - 1), CheckpointError,
                                    rf"Checkpoint.policy_opt.m has {params_len - 1} floats, want {params_len} "
                                    r"\(one per parameter of the policy\)"),
        "replay len 20 (pos 8)": (patched(full, rep_len_at, "<q", 20), CheckpointError,
                                  "pos 8, len 20 is not a state of a ring of capacity 32"),
        "replay len 8 (rows missing)": (patched(full, rep_len_at, "<q", 8), CheckpointError,
                                        r"Checkpoint.replay.obs has 96 floats, want 24"),
        "obs_shape 1 -> 2": (patched(full, obs_shape0_at, "<i", 2), CheckpointError,
                             r"obs_shape: \[2 3\], want positive sizes whose product is obs_dim = 3"),
        "unknown kind 7": (patched(policy, policy_kind_at, "<B", 7), CheckpointError, "kind = 7"),
        "policy-only marked full": (patched(policy, policy_kind_at, "<B", 0), CheckpointError,
                                    "Checkpoint.adn is missing"),
    }


def test_corrupted_files_raise_checkpoint_error(go: Fixture) -> None:
    cases = corruptions(go)
    for name, (data, cls, match) in cases.items():
        err = expect_error(data, cls, match)
        assert "not a valid checkpoint" in str(err) or cls is CheckpointVersionError, (name, err)
    # Go's reader refuses every one of them too, with the matching type.
    paths = []
    for i, (data, _, _) in enumerate(cases.values()):
        p = go.dir / f"corrupt-{i}.mfpo"
        p.write_bytes(data)
        paths.append(p)
    for (name, (_, cls, _)), out in zip(cases.items(), go.go_inspect(paths), strict=True):
        want = "*checkpoint.VersionError" if cls is CheckpointVersionError else "*checkpoint.FormatError"
        assert not out["ok"] and out["error"] == want, (name, out)
    # And accepts the originals.
    assert all(o["ok"] for o in go.go_inspect([go.dir / n for n in FILES]))


def test_truncations_at_every_length(go: Fixture) -> None:
    for name in ("policy.mfpo", "full.mfpo"):
        data = go.data[name]
        for n in range(len(data)):
            with pytest.raises(CheckpointError):
                ckpt.read(data[:n])
            with pytest.raises(CheckpointError):  # the structure, without the checksum
                ckpt.read(data[:n], verify=False)


def test_resealed_random_flips_never_escape_and_go_agrees(go: Fixture) -> None:
    # Flip 1-3 random bytes and recompute the checksum, so that the flips
    # reach past it: read() returns or raises CheckpointError, never
    # anything else; whatever read() refuses, Go's loaders refuse too.
    data = go.data["full.mfpo"]
    at = checksum_at(data)
    rng = np.random.default_rng(2024)
    paths, refused = [], []
    accepted = 0
    for i in range(400):
        b = bytearray(data)
        for _ in range(int(rng.integers(1, 4))):
            k = int(rng.integers(0, len(b)))
            if at <= k < at + 4:
                continue
            b[k] ^= int(rng.integers(1, 256))
        sealed = reseal(b, at)
        try:
            ckpt.read(sealed)
            accepted += 1
        except CheckpointError as e:  # anything else fails the test
            p = go.dir / f"flip-{i}.mfpo"
            p.write_bytes(sealed)
            paths.append(p)
            refused.append(str(e))
    assert accepted > 0 and paths, (accepted, len(paths))  # most flips land in float data
    for out, msg in zip(go.go_inspect(paths), refused, strict=True):
        assert not out["ok"], (out["path"], msg)


def test_float_values_are_not_checked_but_go_loaders_check_them(go: Fixture) -> None:
    # read() runs Go's checks up to the allocation, not the copy's: a NaN
    # parameter is there to be seen, and Go's loader refuses the file.
    data = go.data["full.mfpo"]
    p = ckpt.read(data).networks["policy"].params
    start = p.__array_interface__["data"][0] - np.frombuffer(data, np.uint8).__array_interface__["data"][0]
    b = bytearray(data)
    b[start:start + 4] = struct.pack("<f", math.nan)
    sealed = reseal(b, checksum_at(data))
    assert math.isnan(ckpt.read(sealed).networks["policy"].params[0])
    path = go.dir / "nan.mfpo"
    path.write_bytes(sealed)
    [out] = go.go_inspect([path])
    assert not out["ok"] and out["error"] == "*checkpoint.FormatError", out


def test_verify_false_skips_only_the_checksum(go: Fixture) -> None:
    data = go.data["full.mfpo"]
    c = ckpt.read(data)
    p = c.networks["policy"].params
    start = p.__array_interface__["data"][0] - np.frombuffer(data, np.uint8).__array_interface__["data"][0]
    b = bytearray(data)
    b[start:start + 4] = struct.pack("<f", 7.25)
    expect_error(bytes(b), CheckpointError, "checksum mismatch")
    damaged = ckpt.read(bytes(b), verify=False)
    assert damaged.networks["policy"].params[0] == 7.25
    assert np.array_equal(damaged.networks["policy"].params[1:], p[1:])
    # The other checks still run.
    expect_error(data[:-1], CheckpointError, "not a valid checkpoint", verify=False)
    b = bytearray(data)
    b[4:8] = b"MFPX"
    expect_error(bytes(b), CheckpointError, "file identifier", verify=False)


def test_missing_and_unreadable_files(go: Fixture, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        ckpt.read(tmp_path / "nope.mfpo")
    with pytest.raises(FileNotFoundError):
        ckpt.read(str(tmp_path / "nope.mfpo"))
    with pytest.raises(IsADirectoryError):
        ckpt.read(tmp_path)
    empty = tmp_path / "empty.mfpo"
    empty.write_bytes(b"")
    err = expect_error(empty.read_bytes(), CheckpointError, "too short")
    with pytest.raises(CheckpointError, match=re.escape(str(empty)) + ": not a valid checkpoint: 0 bytes") as info:
        ckpt.read(empty)
    assert type(info.value) is type(err)
    noise = tmp_path / "noise.mfpo"
    noise.write_bytes(np.random.default_rng(1).integers(0, 256, 10_000, dtype=np.uint8).tobytes())
    with pytest.raises(CheckpointError, match="file identifier"):
        ckpt.read(noise)
    with pytest.raises(TypeError, match="path, bytes, bytearray or memoryview"):
        ckpt.read(12345)  # type: ignore[arg-type]
    if os.geteuid() != 0:  # root reads any file
        locked = tmp_path / "locked.mfpo"
        locked.write_bytes(go.data["policy.mfpo"])
        locked.chmod(0)
        with pytest.raises(PermissionError):
            ckpt.read(locked)
