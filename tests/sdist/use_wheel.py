"""The half of make test-sdist that runs in the fresh virtual environment
holding the wheel built from the sdist (tests/sdist/check_sdist.py).

Argument: the sdist's version. Checks that every mfpo module
(the gopy extension among them) comes from the venv's site-packages, then
acts: a small agent on Pendulum-v1 learns 300 steps (some of them updates),
predicts, saves with the replay buffer, loads, and predicts the same actions.
"""

from __future__ import annotations

import importlib.machinery
import sys
import sysconfig
from pathlib import Path

import numpy as np

import mfpo
from mfpo import MFPO

version = sys.argv[1]
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

mods = {name: getattr(m, "__file__", None) for name, m in sys.modules.items() if name.split(".")[0] == "mfpo"}
outside = {n: f for n, f in mods.items() if f is None or not Path(f).resolve().is_relative_to(site)}
assert not outside, f"mfpo modules not from the venv's {site}: {outside}"
ext = [n for n, f in mods.items() if f.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))]
assert ext, f"no extension module among {sorted(mods)}"
print(f"use_wheel: ok: mfpo {mfpo.__version__} {mfpo.build_info()} from {site}; {len(mods)} modules"
      f" (extension {', '.join(ext)}); learned {info['updates']} updates, saved, loaded, same actions")
