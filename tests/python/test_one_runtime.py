"""One Go runtime per process: mfpo's Python extension and libmfpo.so (the
C ABI) each carry one, and whichever is loaded second refuses to work
(gocore/face/oneruntime). Each order runs in a fresh interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LIB = REPO / "build" / "libmfpo.so"

# A C agent of the small preset with the box [-1, 1]; prints the status and mfpo_errmsg(NULL).
CREATE = """
import ctypes
lib = ctypes.CDLL({lib!r})
lib.mfpo_errmsg.restype = ctypes.c_char_p
out = ctypes.c_void_p()
size = ctypes.c_size_t
rc = lib.mfpo_agent_create(ctypes.byref(out), b'{{"preset": "small"}}', size(3), size(1), None, None)
print("status", rc, lib.mfpo_errmsg(None).decode())
if rc == 0:
    lib.mfpo_agent_free(out)
"""


@pytest.fixture(scope="module")
def lib() -> Path:
    if not LIB.exists():
        res = subprocess.run(["make", "-C", str(REPO), "lib"], capture_output=True, text=True, timeout=900, check=False)
        assert res.returncode == 0, f"make lib failed:\n{res.stdout}\n{res.stderr}"
    return LIB


def run(code: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env,
                         check=False)
    assert res.returncode == 0, f"{code}\nexit {res.returncode}\n{res.stdout}\n{res.stderr}"
    return res.stdout


def test_libmfpo_loaded_after_import_mfpo_refuses(lib: Path) -> None:
    out = run("import mfpo\nmfpo.MFPO('Pendulum-v1', preset='small', verbose=0)\n" + CREATE.format(lib=str(lib)))
    status, msg = out.split(" ", 2)[1:]
    assert int(status) == 13, out  # MFPO_ERUNTIME
    assert msg.startswith("mfpo_agent_create: another mfpo library with its own Go runtime was loaded into this "
                          "process first ("), out
    assert "_mfpo" in msg and "not both" in msg, out


def test_import_mfpo_after_libmfpo_refuses(lib: Path) -> None:
    code = CREATE.format(lib=str(lib)) + """
try:
    import mfpo
except ImportError as err:
    print(type(err).__name__, "|", err)
else:
    print("imported")
"""
    out = run(code)
    assert out.startswith("status 0 "), out  # the first library works
    second = out.splitlines()[1]
    assert second.startswith("RuntimeConflictError | import mfpo: another mfpo library with its own Go runtime was "
                             f"loaded into this process first ({lib.resolve()}"), out


def test_either_alone_works(lib: Path) -> None:
    assert run(CREATE.format(lib=str(lib))).startswith("status 0 ")
    assert run("import mfpo\nprint(mfpo.MFPO('Pendulum-v1', preset='small', verbose=0).num_timesteps)") == "0\n"
