"""The half of make test-sdist and make test-wheel that runs in the fresh
virtual environment holding the wheel (tests/sdist/check_sdist.py,
tests/dist/check_wheel.py).

Arguments: the package's version, then --vendored for a repaired (manylinux)
wheel. Checks that every mfpo module (the gopy extension among them) comes
from the venv's site-packages, then acts: a small agent on Pendulum-v1 learns
300 steps (some of them updates), predicts, saves with the replay buffer,
loads, predicts the same actions and learns on; the deployment Policy loads
the same file and acts. With --vendored, also: no go, gopy or goimports on
PATH, the system's libopenblas.so.0 cannot be loaded (check_wheel.py hides
it), and both the extension's ldd and this process's memory map find
OpenBLAS in the wheel's mfpo.libs/ and none of its libraries elsewhere.
"""

from __future__ import annotations

import ctypes
import importlib.machinery
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy as np

import mfpo
from mfpo import MFPO, Policy

version = sys.argv[1]
if sys.argv[2:] not in ([], ["--vendored"]):
    sys.exit(f"usage: use_wheel.py VERSION [--vendored]; got {sys.argv[1:]}")
vendored = sys.argv[2:] == ["--vendored"]
site = Path(sysconfig.get_path("purelib")).resolve()
assert sys.prefix != sys.base_prefix, f"not in a virtual environment: {sys.prefix}"
assert site.is_relative_to(Path(sys.prefix).resolve()), f"site-packages {site} is not the venv's ({sys.prefix})"
assert mfpo.__version__ == version, f"mfpo {mfpo.__version__} imported, the sdist is {version}"
assert (Path(mfpo.__file__).parent / "py.typed").is_file(), "the wheel lacks mfpo/py.typed"

model = MFPO("Pendulum-v1", preset="small", seed=3, learning_starts=100, verbose=0)
model.learn(300)
info = model.info()
assert info["stored"] == 300 and info["updates"] > 0, f"learn(300): {info}"
obs, _ = model.get_env().reset(seed=0)
batch = np.stack([obs, -obs, np.zeros_like(obs)])
before = {mode: model.predict(batch, mode=mode)[0] for mode in ("deterministic", "best_of_n")}
box = model.action_space
for mode, a in before.items():
    assert a.shape == (3,) + box.shape and np.all(np.isfinite(a)), f"{mode}: {a!r}"
    assert np.all(a >= box.low) and np.all(a <= box.high), f"{mode}: {a!r} outside {box}"

path = model.save("agent.mfpo", replay_buffer=True)
model.close()
loaded = MFPO.load(path, env="Pendulum-v1", verbose=0)
assert loaded.info() == info, f"loaded {loaded.info()}, saved {info}"
after = loaded.predict(batch, mode="deterministic")[0]
changed = f"deterministic actions changed: {before['deterministic']} -> {after}"
assert np.array_equal(after, before["deterministic"]), changed
loaded.learn(50, reset_num_timesteps=False)
assert loaded.info()["updates"] == info["updates"] + 50, f"learn(50) after load: {loaded.info()}"
loaded.close()
policy = Policy.load(path)
acted = policy.act(obs, mode="sample", seed=7)
assert np.array_equal(acted, policy.act(obs, mode="sample", seed=7)), "Policy.act with one seed differs"
assert acted.shape == box.shape and np.all(acted >= box.low) and np.all(acted <= box.high), f"Policy.act: {acted!r}"

mods = {name: getattr(m, "__file__", None) for name, m in sys.modules.items() if name.split(".")[0] == "mfpo"}
outside = {n: f for n, f in mods.items() if f is None or not Path(f).resolve().is_relative_to(site)}
assert not outside, f"mfpo modules not from the venv's {site}: {outside}"
ext = [n for n, f in mods.items() if f.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))]
assert ext, f"no extension module among {sorted(mods)}"
# The libraries the wheel vendors (auditwheel renames them lib<name>-<hash>.so…).
BLAS_LIBS = re.compile(r"lib(openblas|gfortran|quadmath)\S*\.so")
blas_note = ""
if vendored:
    tools = {t: shutil.which(t) for t in ("go", "gopy", "goimports")}
    assert not any(tools.values()), f"build tools on PATH: {tools}"
    libs = (site / "mfpo.libs").resolve()
    so = Path(sys.modules[ext[0]].__file__ or "")
    ldd = subprocess.run(["ldd", str(so)], check=True, capture_output=True, text=True).stdout
    assert "not found" not in ldd, f"ldd {so}:\n{ldd}"
    resolved = [Path(m.group(1)) for m in re.finditer(r"=> (\S+)", ldd) if BLAS_LIBS.search(m.group(1))]
    assert resolved and all(p.resolve().parent == libs for p in resolved), f"ldd {so} (want {libs}):\n{ldd}"
    with open("/proc/self/maps") as f:
        mapped = {Path(line.split()[-1]) for line in f if BLAS_LIBS.search(line)}
    # numpy's wheel may vendor its own libgfortran: any wheel's copy will do.
    blas = {p for p in mapped if "openblas" in p.name}
    assert blas and all(p.resolve().parent == libs for p in blas), f"OpenBLAS mapped not from {libs}: {mapped}"
    outside = {p for p in mapped if not p.resolve().is_relative_to(site)}
    assert not outside, f"mapped from outside {site}: {outside}"
    assert mfpo.build_info()["blas"] == "openblas", mfpo.build_info()
    try:  # check_wheel.py hides the system's copy: the test would notice a wheel that used it
        ctypes.CDLL("libopenblas.so.0")
        raise AssertionError("the system's libopenblas.so.0 loads here: it is not hidden")
    except OSError:
        pass
    blas_note = (f"; OpenBLAS from {libs}, ldd agrees; mapped: {', '.join(sorted(p.name for p in mapped))},"
                 " none from outside site-packages")
print(f"use_wheel: ok: mfpo {mfpo.__version__} {mfpo.build_info()} from {site}; {len(mods)} modules"
      f" (extension {', '.join(ext)}); learned {info['updates']} updates, saved, loaded, same actions,"
      f" Policy acted{blas_note}")
