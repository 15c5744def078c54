"""The two-optima bandit with Stable-Baselines3's SAC: the baseline beside
bench/bandit's MFPO runs (same task, networks, batch, warm-up and entropy
targets), reporting how much policy mass ends near each optimum.

The task is gocore/envs' TwoOptimaBandit, written again as a Gymnasium env:
one step per episode, a constant observation of ones, a = clip(action, −1, 1)
and r(a) = max(exp(−‖a − c‖²/2σ²), exp(−‖a + c‖²/2σ²)) with c = 0.6·1,
σ = 0.15. SAC's policy is a tanh-squashed diagonal Gaussian; the table gives
its pre-tanh mean and standard deviation beside the masses, since a
unimodal Gaussian can only hold both optima by spreading over the valley.

    python bench/bandit/sac.py [--seeds 3] [--steps 3000] [--out FILE]
    python bench/bandit/sac.py --smoke     # every setting once at toy sizes (seconds)

Needs the bench extra (stable-baselines3, torch).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from typing import Any

import gymnasium as gym
import numpy as np


class TwoOptimaBandit(gym.Env[np.ndarray, np.ndarray]):
    """Gymnasium form of gocore/envs.TwoOptimaBandit (d = act_dim)."""

    def __init__(self, act_dim: int = 1, c: float = 0.6, sigma: float = 0.15):
        self.c, self.sigma = c, sigma
        self.observation_space = gym.spaces.Box(1.0, 1.0, (1,), np.float32)
        self.action_space = gym.spaces.Box(-1.0, 1.0, (act_dim,), np.float32)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        return np.ones(1, np.float32), {}

    def reward(self, action: np.ndarray) -> np.ndarray:
        """r(a) for a batch of actions (rows), clipped to the box first."""
        a = np.clip(np.atleast_2d(action), -1.0, 1.0)
        two_sigma2 = 2 * self.sigma**2
        plus = np.exp(-np.sum((a - self.c) ** 2, axis=1) / two_sigma2)
        minus = np.exp(-np.sum((a + self.c) ** 2, axis=1) / two_sigma2)
        return np.maximum(plus, minus)

    def step(self, action: np.ndarray):
        return np.ones(1, np.float32), float(self.reward(action)[0]), True, False, {}


@dataclasses.dataclass
class Options:
    seeds: int = 3
    steps: int = 3000  # environment steps (= updates + learning starts)
    learning_starts: int = 1000
    targets: tuple[float, ...] = (-0.5, 0.0, 0.25)  # entropy targets per dimension
    init_alpha: float = 0.1
    alpha_lr: float = 3e-3  # α's Adam rate, as bench/bandit's MFPO runs (SB3 would use its 3e-4)
    samples: int = 2000  # policy samples for the mode masses
    radius: float = 0.25  # "near an optimum": within this distance
    every: int = 500  # steps between mass measurements during training
    net: int = 64


def smoke() -> Options:
    return Options(seeds=1, steps=300, learning_starts=100, targets=(0.0,), samples=200, every=100, net=16)


def masses(model: Any, env: TwoOptimaBandit, o: Options) -> tuple[float, float]:
    obs = np.ones((o.samples, 1), np.float32)
    actions, _ = model.predict(obs, deterministic=False)
    a = np.clip(actions, -1.0, 1.0)
    plus = np.mean(np.linalg.norm(a - env.c, axis=1) <= o.radius)
    minus = np.mean(np.linalg.norm(a + env.c, axis=1) <= o.radius)
    return float(plus), float(minus)


def run(target: float, seed: int, o: Options) -> dict[str, Any]:
    import torch
    from stable_baselines3 import SAC
    from stable_baselines3.common.callbacks import BaseCallback

    class BanditSAC(SAC):  # type: ignore[misc]
        """SAC whose α keeps its own Adam rate: SB3 sets every optimiser's
        rate to the networks' one before each training step."""

        def _update_learning_rate(self, optimizers: Any) -> None:
            super()._update_learning_rate([o for o in optimizers if o is not self.ent_coef_optimizer])

    torch.set_num_threads(1)
    env = TwoOptimaBandit()
    model = BanditSAC(
        "MlpPolicy", env, seed=seed, device="cpu", learning_starts=o.learning_starts, batch_size=128,
        policy_kwargs={"net_arch": [o.net, o.net]}, ent_coef=f"auto_{o.init_alpha}",
        target_entropy=target * env.action_space.shape[0],
    )
    # SB3 steps α with the networks' rate; give it bench/bandit's α rate so
    # that α reaches its target within the run, as MFPO's does there.
    model.ent_coef_optimizer = torch.optim.Adam([model.log_ent_coef], lr=o.alpha_lr)
    history: list[float] = []

    class Track(BaseCallback):
        def _on_step(self) -> bool:
            n = self.num_timesteps
            if n >= o.learning_starts and (n - o.learning_starts) % o.every == 0:
                history.append(min(masses(model, env, o)))
            return True

    start = time.perf_counter()
    model.learn(o.steps, callback=Track())
    seconds = time.perf_counter() - start
    plus, minus = masses(model, env, o)
    obs = torch.ones((1, 1))
    with torch.no_grad():
        mean, log_std, _ = model.actor.get_action_dist_params(obs)
        alpha = float(torch.exp(model.log_ent_coef.detach()).item())
    actions, _ = model.predict(np.ones((o.samples, 1), np.float32), deterministic=False)
    return {
        "target": target, "seed": seed, "plus": plus, "minus": minus, "alpha": alpha,
        "mean": float(mean[0, 0]), "std": float(torch.exp(log_std[0, 0])),
        "reward": float(np.mean(env.reward(actions))), "history": history, "seconds": seconds,
    }


def table(runs: list[dict[str, Any]], o: Options) -> str:
    def kept(r: dict[str, Any]) -> bool:
        return r["plus"] >= 0.15 and r["minus"] >= 0.15

    def ms(xs: list[float]) -> str:
        return f"{np.mean(xs):.2f} ± {np.std(xs):.2f}"

    out = [
        f"SAC (Stable-Baselines3) on the two-optima bandit: {o.seeds} seeds, {o.steps} steps "
        f"({o.learning_starts} random), {o.net}×{o.net} networks, batch 128, α from {o.init_alpha} "
        f"at Adam rate {o.alpha_lr:g} (the networks' 3e-4), {o.samples} policy samples, "
        f"mass within {o.radius} of ±0.6.",
        "",
        "| H̄ per dim | final α | policy mass near +0.6 | near −0.6 | both kept | pre-tanh mean | pre-tanh std "
        "| mean reward |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for target in o.targets:
        rs = [r for r in runs if r["target"] == target]
        out.append(
            f"| {target:+g} | {ms([r['alpha'] for r in rs])} | {ms([r['plus'] for r in rs])} "
            f"| {ms([r['minus'] for r in rs])} | {sum(map(kept, rs))} / {len(rs)} "
            f"| {ms([r['mean'] for r in rs])} | {ms([r['std'] for r in rs])} | {ms([r['reward'] for r in rs])} |"
        )
    out += ["", "| H̄ | seed | mass +/− | minority mass over training | pre-tanh mean / std | α | seconds |",
            "|---|---|---|---|---|---|---|"]
    for r in runs:
        hist = " ".join(f"{h:.2f}" for h in r["history"])
        out.append(
            f"| {r['target']:+g} | {r['seed']} | {r['plus']:.2f} / {r['minus']:.2f} | {hist} "
            f"| {r['mean']:+.2f} / {r['std']:.2f} | {r['alpha']:.3f} | {r['seconds']:.0f} |"
        )
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--smoke", action="store_true", help="every setting once at toy sizes")
    p.add_argument("--seeds", type=int, default=None)
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--out", default=None, help="write the Markdown table here (default: stdout)")
    args = p.parse_args(argv)
    o = smoke() if args.smoke else Options()
    if args.seeds is not None:
        o.seeds = args.seeds
    if args.steps is not None:
        o.steps = args.steps
    if o.seeds < 1 or o.steps <= o.learning_starts:
        p.error(f"want --seeds ≥ 1 and --steps > {o.learning_starts}")
    runs = []
    for target in o.targets:
        for seed in range(1, o.seeds + 1):
            r = run(target, seed, o)
            print(f"H̄ {target:+g} seed {seed}: mass {r['plus']:.2f} / {r['minus']:.2f}, α {r['alpha']:.3f}, "
                  f"{r['seconds']:.0f} s", file=sys.stderr, flush=True)
            runs.append(r)
    text = table(runs, o)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
