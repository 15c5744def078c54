"""learn() env-steps/s on HalfCheetah-v5 at UTD 1 (one update per env step,
the default), on a device: ``python learn.py DEVICE STEPS``. The first
``learning_starts`` steps (uniform actions, no updates) are run and not
timed; then STEPS steps with an update each are timed. Prints one JSON line.
Part of the device check (scripts/device_check.sh, docs/gpu.md)."""

from __future__ import annotations

import json
import sys
import time

import gymnasium as gym

import mfpo

device, steps = sys.argv[1], int(sys.argv[2])
env = gym.make("HalfCheetah-v5")
model = mfpo.MFPO(env, device=device, learning_starts=1000, seed=1, verbose=0)
model.learn(1000)
start = time.perf_counter()
model.learn(steps, reset_num_timesteps=False)
sec = time.perf_counter() - start
print(json.dumps({"name": "learn HalfCheetah-v5 UTD 1", "device": model.device, "steps": steps,
                  "rate": steps / sec, "unit": "env-steps/s"}))
model.close()
