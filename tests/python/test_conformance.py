"""The face conformance table: the same calls through the C ABI and through
the Python extension give the same status, message and floats.

Both faces are thin shells over the Go package gocore/face; this test is
what keeps them so. tests/conformance/cases.json is the table; the C half
is build/tests/c/face_tool (tests/c/face_tool.c, built by ``make
face-tool``, which ``make test-python`` does first), the Python half calls
the extension's functions (mfpo._core's layer below the MFPO class, with
the same pointers (numpy arrays' addresses), lengths and rows C passes). Both
processes run the same library build on the same machine, so their floats
(actions) must be equal bit for bit (docs/reproducibility.md).
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mfpo import _core

REPO = Path(__file__).resolve().parents[2]
TABLE = json.loads((REPO / "tests" / "conformance" / "cases.json").read_text())
FACE_TOOL = REPO / "build" / "tests" / "c" / "face_tool"
NEVER_ISSUED = 0x4D46 << 48 | 0xFFFFFFFFFF  # as face_tool's unknown names


@pytest.fixture(scope="module")
def face_tool() -> Path:
    if not FACE_TOOL.exists():
        res = subprocess.run(
            ["make", "-C", str(REPO), "face-tool"], capture_output=True, text=True, timeout=900, check=False
        )
        assert res.returncode == 0, f"make face-tool failed:\n{res.stdout}\n{res.stderr}"
    assert os.access(FACE_TOOL, os.X_OK)
    return FACE_TOOL


def floats(xs: list[Any]) -> list[float]:
    return [float(x) for x in xs]


def csv(xs: list[Any] | None) -> str:
    return "-" if xs is None else ",".join(str(x) for x in xs)


class Call:
    """One call of a case, with the table's defaults filled in."""

    def __init__(self, raw: list[Any], tmp: Path) -> None:
        def path(a: Any) -> Any:  # "@/name": a file in the case's folder
            return str(tmp) + a[1:] if isinstance(a, str) and a.startswith("@/") else a

        self.op, self.args = raw[0], [path(a) for a in raw[1:]]
        if self.op == "create":
            name, cfg, od, ad, lo, hi = (self.args + [None] * 6)[:6]
            self.args = [name, TABLE["config"] if cfg is None else cfg, TABLE["obs_dim"] if od is None else od,
                         TABLE["act_dim"] if ad is None else ad, TABLE["low"] if lo is None else lo,
                         TABLE["high"] if hi is None else hi]

    def c_line(self) -> str:
        a = self.args
        if self.op == "create":
            return "\t".join(["create", a[0], a[1], str(a[2]), str(a[3]), csv(a[4]), csv(a[5])])
        if self.op in ("act", "policy_act"):
            return "\t".join([self.op, a[0], str(a[1]), csv(a[2]), a[3], str(a[4]), str(a[1] * TABLE["act_dim"])])
        if self.op == "store":
            term = ",".join(str(int(t)) for t in a[6])
            return "\t".join(["store", a[0], str(a[1])] + [csv(x) for x in a[2:6]] + [term])
        return "\t".join([self.op] + [str(x) for x in a])


def run_c(tool: Path, calls: list[Call]) -> list[tuple[int, str, list[float]]]:
    res = subprocess.run([str(tool)], input="".join(c.c_line() + "\n" for c in calls), capture_output=True,
                         text=True, timeout=600, check=True)
    out = []
    for line in res.stdout.splitlines():
        status, msg, vals = line.split("\t")
        out.append((int(status), msg, [float.fromhex(v) for v in vals.split()]))
    assert len(out) == len(calls), res.stdout + res.stderr
    return out


def run_python(calls: list[Call]) -> list[tuple[int, str, list[float]]]:
    ext, handles = _core._ext, {}
    f32 = lambda xs: _core._go.Slice_byte.from_bytes(np.asarray(floats(xs), "<f4").tobytes())  # noqa: E731
    out = []
    for c in calls:
        a = c.args
        h = lambda name: handles.get(name, NEVER_ISSUED)  # noqa: E731
        vals: list[float] = []
        try:
            if c.op == "create":
                sp = {"obs_dim": a[2], "act_dim": a[3]}
                if a[4] is not None:
                    sp |= {"act_low": floats(a[4]), "act_high": floats(a[5])}
                handles[a[0]] = ext.NewAgent(a[1], json.dumps(sp, allow_nan=True).replace("Infinity", "1e999"))
            elif c.op in ("act", "policy_act"):
                fn = ext.ActAt if c.op == "act" else ext.PolicyActAt
                obs = np.asarray(floats(a[2]), "<f4")
                act = np.zeros(a[1] * TABLE["act_dim"], "<f4")  # C's act_cap: rows × act_dim
                fn(h(a[0]), _core._address(obs), obs.size, _core._address(act, out=True), act.size, a[1], a[3], a[4])
                vals = floats(act)
            elif c.op == "store":
                term = _core._go.Slice_byte.from_bytes(bytes(int(t) for t in a[6]))
                ext.Store(h(a[0]), f32(a[2]), f32(a[3]), f32(a[4]), f32(a[5]), term, a[1])
            elif c.op == "update":
                vals = [float(json.loads(ext.Update(h(a[0]), a[1]))["updates"])]
            elif c.op == "save":
                ext.Save(h(a[0]), a[1], a[2])
            elif c.op in ("load", "policy_load"):
                handles[a[0]] = json.loads((ext.Load if c.op == "load" else ext.PolicyLoad)(a[1]))["handle"]
            elif c.op == "policy_from":
                handles[a[0]] = ext.PolicyFromAgent(h(a[1]))
            elif c.op == "free":
                ext.Free(h(a[0]))
            elif c.op == "policy_free":
                ext.PolicyFree(h(a[0]))
            else:
                raise AssertionError(f"unknown call {c.op}")
            out.append((0, "", vals))
        except RuntimeError as err:
            code, _, rest = str(err).removeprefix("mfpo:").partition(": ")
            out.append((_core.CODES[code], rest.split(": ", 1)[1], []))
    return out


@pytest.mark.parametrize("case", TABLE["cases"], ids=[c["name"] for c in TABLE["cases"]])
def test_faces_agree(case: dict[str, Any], face_tool: Path, tmp_path: Path) -> None:
    calls = [Call(raw, tmp_path / "c") for raw in case["calls"]]
    (tmp_path / "c").mkdir()
    c_results = run_c(face_tool, calls)
    calls = [Call(raw, tmp_path / "py") for raw in case["calls"]]
    (tmp_path / "py").mkdir()
    py_results = run_python(calls)
    for raw, (cs, cm, cv), (ps, pm, pv) in zip(case["calls"], c_results, py_results, strict=True):
        what = json.dumps(raw)
        assert cs == ps, f"{what}: C status {cs} ({cm!r}), Python {ps} ({pm!r})"
        # The one difference the faces may show: a mode or checkpoint kind
        # as given (C's number, Python's name).
        # (And the random part of a save's temporary file's name.)
        def norm(msg: str, folder: str) -> str:
            msg = re.sub(r"\.tmp-\d+", ".tmp-N", msg.replace(str(tmp_path / folder), "@"))
            return re.sub(r'^(mode|kind) (\d+|"[^"]*"), ', r"\1 ?, ", msg)

        assert norm(cm, "c") == norm(pm, "py"), what
        same = len(cv) == len(pv) and all(
            x == y or (math.isnan(x) and math.isnan(y)) for x, y in zip(cv, pv, strict=True)
        )
        assert same, f"{what}: C {cv}, Python {pv}"


def test_table_covers_every_code_it_can() -> None:
    """The table exercises both happy paths and each misuse kind the two
    faces share (the codes C alone can give, size and panic, are left out)."""
    raw = json.dumps(TABLE)
    assert len(TABLE["cases"]) >= 5 and sum(len(c["calls"]) for c in TABLE["cases"]) >= 60, raw[:80]
