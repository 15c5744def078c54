"""MFPO learns: the small preset swings Pendulum-v1 up within a CI-sized
budget, from most start states, where a random policy never does.

What is asserted, and why this statistic. The run is reproducible bit for
bit only on the same BLAS kernels: on another CPU (OpenBLAS's SkylakeX, Zen,
Haswell cores) the first updates agree to float32 rounding and the run then
drifts onto another trajectory (docs/reproducibility.md). The assertion must
hold for any of those trajectories, so it must not sit at the edge of one.
Pendulum returns are bimodal: an episode either swings up (about 0 to
−450) or does not (−900 to −1700, like a random policy). The mean of 10
confirmation episodes moves by about 130 with each episode that fails; the
runs recorded on the 2-core machine (seed 1, OpenBLAS SkylakeX) confirmed at
−355 ± 401 against a −400 bar on the mean, so one more failed episode on other
kernels failed the test. Instead:

- the statistic is the **median** of the 10 confirmation returns, which
  stays on the swing-up mode while at most 4 episodes fail;
- the bar is the **best** of a random policy's returns from the same 10
  start states, measured here (−837; their median is −1332): from at
  least half the start states the trained policy does better than random
  does from any of them. That margin comes from the baseline's own spread;
- and that median must also reach −400, a return only a swing-up gives
  from these starts, whereas a policy that learned nothing sits near the
  random baseline. A run on SkylakeX with evaluations in between (so another
  trajectory) confirmed at 8 000 steps with median −244, every episode
  swung up (−443 … −1): 590 above the random bar, 150 above −400.

Recorded on the 2-core machine (OpenBLAS SkylakeX; env resets seeded from
(seed, stored transitions)), best-of-N over 10 episodes every 2 000 steps:
seed 1: −1305, −1472, −1058, −202 (8 000 steps, 42 s); seed 2: −1312, −1225,
−186 (6 000 steps, 30 s). Training stops at the first evaluation at or above
−300 (a stopping rule for time, not an assertion: on other kernels it may
come later, or not within the budget).
"""

from __future__ import annotations

import time

import gymnasium as gym
import numpy as np

import mfpo

BUDGET = 12_000  # environment steps at most
STOP_AT = -300.0  # stop training once an evaluation's mean reaches this
SWING_UP = -400.0  # a return at or above this needs the pendulum swung up
CONFIRM_SEED, EPISODES = 1_000, 10  # the confirmation's start states: seeds 1000 … 1009


def random_returns(seed: int, episodes: int) -> list[float]:
    """A uniform random policy's returns from the start states reset with
    seed, seed + 1, … (the same ones model.evaluate uses)."""
    env = gym.make("Pendulum-v1")
    rng = np.random.default_rng(0)
    out = []
    for i in range(episodes):
        env.reset(seed=seed + i)
        env.action_space.seed(int(rng.integers(2**31)))
        total, done = 0.0, False
        while not done:
            _, r, term, trunc, _ = env.step(env.action_space.sample())
            total += float(r)
            done = term or trunc
        out.append(total)
    env.close()
    return out


def test_pendulum_swing_up() -> None:
    baseline = random_returns(CONFIRM_SEED, EPISODES)
    model = mfpo.MFPO("Pendulum-v1", preset="small", seed=1, verbose=0)
    cb = mfpo.EvalCallback(
        "Pendulum-v1", eval_freq=2_000, n_eval_episodes=10, reward_threshold=STOP_AT, seed=100, verbose=0
    )
    start = time.perf_counter()
    model.learn(BUDGET, callback=cb)
    seconds = time.perf_counter() - start
    curve = [(int(e["timesteps"]), round(e["mean_reward"])) for e in cb.evaluations]
    info = mfpo.build_info()
    print(f"Pendulum-v1, small preset, {info['blas']} {info['blas_core']}: "
          f"{model.num_timesteps} steps in {seconds:.0f} s; "
          f"evaluations {curve}")
    returns, _ = model.evaluate(n_episodes=EPISODES, seed=CONFIRM_SEED, return_episode_rewards=True)
    model.close()
    trained, best_random = float(np.median(returns)), max(baseline)
    print(f"confirmation (best-of-N): median {trained:.0f}, returns {sorted(round(r) for r in returns)}; "
          f"random policy from the same starts: best {best_random:.0f}, median {np.median(baseline):.0f}")
    assert trained > best_random, (sorted(returns), sorted(baseline), curve)
    assert trained >= SWING_UP, (sorted(returns), curve)
