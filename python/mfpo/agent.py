"""The MFPO agent with Stable-Baselines3's SAC surface.

>>> from mfpo import MFPO
>>> model = MFPO("Pendulum-v1", preset="small", verbose=0)
>>> model = model.learn(2_000)                              # doctest: +SKIP
>>> action, _ = model.predict(obs, deterministic=True)      # doctest: +SKIP

The Go core owns the networks, optimisers and replay buffer; this class runs
the environment loop and makes one batched call per step into Go (act,
store, update).
"""

from __future__ import annotations

import os
import re
import time
from collections import deque
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import gymnasium as gym
import numpy as np
import numpy.typing as npt

from mfpo import _core
from mfpo.callbacks import MaybeCallback, as_callback
from mfpo.config import CONFIG_KEYS, check_keys, config_json
from mfpo.envs import AnyEnv, EnvDriver, Episode, ObsFlattener, make_env
from mfpo.exceptions import ConfigError, NonFiniteError
from mfpo.logger import Logger, configure

__all__ = ["MFPO", "PredictMode"]

PredictMode = Literal["sample", "best_of_n", "deterministic"]
"""How :meth:`MFPO.predict` chooses actions:

``"best_of_n"``
    ``eval_candidates`` (10) samples of the policy, and the one the target
    critics value most: the paper's evaluation rule, and what
    ``deterministic=True`` means;
``"sample"``
    one sample of the policy (the behaviour during training, after the
    random warm-up): what ``deterministic=False`` means;
``"deterministic"``
    the policy's sampler run from ε = 0: a fixed function of the
    observation, cheaper than best-of-N.
"""

PREDICT_MODES: tuple[str, ...] = ("sample", "best_of_n", "deterministic")

# The statistics of an update that are logged under train/.
_TRAIN_KEYS = (
    "critic_loss",
    "actor_loss",
    "adn_loss",
    "alpha_loss",
    "alpha",
    "entropy",
    "ess_policy",
    "ess_posterior",
    "mean_q",
)


class MFPO:
    """Mean Flow Policy Optimization: an off-policy maximum-entropy
    actor-critic whose policy is a two-step MeanFlow generative model.

    ``env`` is a Gymnasium env, a ``gymnasium.vector`` env (its workers
    started with ``spawn`` or ``forkserver``), or an env id for
    :func:`mfpo.make_env` (``"Pendulum-v1"``, ``"HalfCheetah-v5"``,
    ``"dm_control/cheetah-run-v0"``). The action space must be a Box with
    finite bounds: the agent acts in [−1, 1]^d and actions are rescaled onto
    the bounds. Dict, Tuple and Discrete observations are flattened
    (``gymnasium.spaces.utils.flatten``).

    Every field of the Go core's ``Config`` is a keyword argument; one left
    out (None) keeps the preset's value. ``preset="paper"`` (default) is the
    paper's defaults, ``preset="small"`` the preset for small tasks such as
    Pendulum. The paper's defaults are given below; see docs/python.md and
    the shared ALGORITHM.md for what each does.

    Args:
        env: the environment, or an env id.
        preset: ``"paper"`` or ``"small"``.
        verbose: 0 silent, 1 log tables to stdout during ``learn``.
        tensorboard_log: a folder: ``learn`` then writes TensorBoard events
            and ``progress.csv`` to ``<tensorboard_log>/<tb_log_name>_<i>``.
        env_kwargs: keyword arguments for ``make_env`` when ``env`` is an id.
        hidden: hidden widths of every network: (256, 256, 256).
        time_features: Fourier frequencies of each time embedding: 64.
        time_width: width of each time embedding: 64.
        steps: sampler steps T: 2.
        atoms: C51 atoms: 101.
        v_min, v_max: the critics' support: −1600, 1600.
        gamma: discount: 0.99.
        tau: Polyak rate of the target critics: 0.005.
        clipped_double_q: the lower target critic (else the mean): True.
        policy_samples: K1, proposals from the policy per state: 16.
        posterior_samples: K2, truncated-posterior proposals per state: 32.
        time_guard: t is clamped to [guard, 1 − guard] where divided by: 1e-4.
        time_sampler: the (t, r) sampler, a dict with mean (−0.4), std (1.0),
            flow_matching_ratio (0.75), uniform (False); keys left out keep
            their defaults.
        probes: Hutchinson probes of the divergence: 2.
        exact_trace: exact divergence (d JVPs) instead of probes: False.
        init_alpha: initial temperature α: 0.01.
        target_entropy_per_dim: target entropy per action dimension: −0.5.
        actor_lr, adn_lr, critic_lr, alpha_lr: Adam learning rates: 3e-4.
        batch_size: 256.
        buffer_size: replay capacity: 1 000 000.
        learning_starts: uniform random actions and no updates before this
            many transitions are stored: 10 000.
        eval_candidates: N of best-of-N acting: 10.
        seed: seeds the Go core's every draw and the env's first reset: 1.
        shards: batch slices computed in parallel: 2 (results depend on
            seed and shards, not on the machine).

    Raises:
        ConfigError: an unknown keyword argument (the message suggests the
            closest known ones), an invalid value (naming the key), an
            environment MFPO cannot drive (a Discrete action space,
            infinite action bounds, a vector env whose workers were forked).
    """

    def __init__(
        self,
        env: AnyEnv | str,
        *,
        preset: str = "paper",
        verbose: int = 1,
        tensorboard_log: str | os.PathLike[str] | None = None,
        env_kwargs: Mapping[str, Any] | None = None,
        hidden: Sequence[int] | None = None,
        time_features: int | None = None,
        time_width: int | None = None,
        steps: int | None = None,
        atoms: int | None = None,
        v_min: float | None = None,
        v_max: float | None = None,
        gamma: float | None = None,
        tau: float | None = None,
        clipped_double_q: bool | None = None,
        policy_samples: int | None = None,
        posterior_samples: int | None = None,
        time_guard: float | None = None,
        time_sampler: Mapping[str, float | bool] | None = None,
        probes: int | None = None,
        exact_trace: bool | None = None,
        init_alpha: float | None = None,
        target_entropy_per_dim: float | None = None,
        actor_lr: float | None = None,
        adn_lr: float | None = None,
        critic_lr: float | None = None,
        alpha_lr: float | None = None,
        batch_size: int | None = None,
        buffer_size: int | None = None,
        learning_starts: int | None = None,
        eval_candidates: int | None = None,
        seed: int | None = None,
        shards: int | None = None,
        **config: Any,
    ) -> None:
        args = locals()
        # Keys the Go Config has beyond this signature still pass; others
        # are an error that names the closest known keys.
        check_keys(config)
        overrides = {k: args[k] for k in CONFIG_KEYS if args.get(k) is not None}
        overrides.update({k: v for k, v in config.items() if v is not None})
        cfg_json = config_json(preset, overrides)

        self.env_id: str | None = None
        self._owns_env = False
        if isinstance(env, str):
            self.env_id = env
            env = make_env(env, **dict(env_kwargs or {}))
            self._owns_env = True
        elif env_kwargs:
            raise ConfigError("env_kwargs is for an env id; this env is already made")
        elif not isinstance(env, (gym.Env, gym.vector.VectorEnv)):
            raise ConfigError(
                f"env: expected a gymnasium.Env, a gymnasium.vector.VectorEnv or an env id; got {type(env).__name__}"
            )
        try:
            self._driver = EnvDriver(env)
            self._agent = _core.Agent(cfg_json, self._driver.obs.dim, self._driver.act.dim)
        except BaseException:
            if self._owns_env:
                env.close()
            raise
        self.env: AnyEnv = env
        if self.env_id is None and getattr(env, "spec", None) is not None:
            self.env_id = env.spec.id  # type: ignore[union-attr]
        self.preset = preset
        self.verbose = int(verbose)
        self.tensorboard_log = None if tensorboard_log is None else str(tensorboard_log)
        self._config = self._agent.config()
        self.num_timesteps = 0
        """Environment steps taken in training (transitions stored)."""
        self.ep_info_buffer: deque[Episode] = deque(maxlen=100)
        """The last 100 finished training episodes."""
        self._episode_num = 0
        self._last_obs: npt.NDArray[np.float32] | None = None
        self._logger = configure(None, ["stdout"] if self.verbose >= 1 else [])
        self._custom_logger = False
        self._train_sums: dict[str, float] = {}
        self._train_count = 0

    # ------------------------------------------------------------------ info

    @property
    def config(self) -> dict[str, Any]:
        """The effective configuration (every key), as the Go core has it."""
        return dict(self._config)

    @property
    def observation_space(self) -> gym.Space[Any]:
        """One observation's space (a vector env's single space)."""
        return self._driver.obs.space

    @property
    def action_space(self) -> gym.spaces.Box:
        """One action's space (a vector env's single space)."""
        return self._driver.act.space

    @property
    def num_episodes(self) -> int:
        """Training episodes finished (since the last reset_num_timesteps)."""
        return self._episode_num

    @property
    def n_envs(self) -> int:
        return self._driver.n_envs

    @property
    def logger(self) -> Logger:
        return self._logger

    def set_logger(self, logger: Logger) -> None:
        """Use this logger (e.g. ``mfpo.configure_logger(folder, ["stdout",
        "csv", "tensorboard"])``) instead of the one made from ``verbose`` and
        ``tensorboard_log``."""
        self._logger = logger
        self._custom_logger = True

    def get_env(self) -> AnyEnv:
        return self.env

    def info(self) -> dict[str, Any]:
        """The Go agent's counters: stored transitions, updates, α, …"""
        return self._agent.info()

    def __repr__(self) -> str:
        return (
            f"MFPO(env={self.env_id or type(self.env).__name__!r}, preset={self.preset!r}, "
            f"obs_dim={self._driver.obs.dim}, act_dim={self._driver.act.dim}, n_envs={self.n_envs}, "
            f"num_timesteps={self.num_timesteps})"
        )

    # ---------------------------------------------------------------- acting

    def predict(
        self,
        observation: Any,
        state: Any = None,
        episode_start: Any = None,
        deterministic: bool = False,
        *,
        mode: PredictMode | None = None,
    ) -> tuple[npt.NDArray[Any], None]:
        """The action for one observation, or actions for a batch (a leading
        axis; for Dict spaces, on every entry), in the env's action bounds.

        ``deterministic=True`` chooses by best-of-N (the paper's evaluation
        rule), ``False`` one policy sample; ``mode`` overrides both:
        ``"best_of_n"``, ``"sample"`` or ``"deterministic"`` (the sampler from
        ε = 0). ``state`` and ``episode_start`` exist for Stable-Baselines3
        compatibility and are ignored (the policy has no memory).

        Returns ``(action, None)``: shape ``action_space.shape`` for one
        observation, ``(n, *action_space.shape)`` for a batch.

        Raises:
            ShapeError: the observation's shape or dtype does not fit the
                observation space (the message gives both).
            NonFiniteError: the observation holds a NaN or an infinity.
            ConfigError: an unknown mode.
        """
        if mode is None:
            mode = "best_of_n" if deterministic else "sample"
        elif mode not in PREDICT_MODES:
            raise ConfigError(f"predict: unknown mode {mode!r}: expected one of {PREDICT_MODES}")
        rows, batched = self._driver.obs.rows(observation)
        _check_finite(rows)
        actions = self._driver.act.to_env(self._agent.act(rows, mode))
        return (actions if batched else actions[0]), None

    def evaluate(
        self,
        env: gym.Env | str | None = None,
        n_episodes: int = 10,
        *,
        mode: PredictMode = "best_of_n",
        seed: int | None = None,
        return_episode_rewards: bool = False,
    ) -> tuple[float, float] | tuple[list[float], list[int]]:
        """Run ``n_episodes`` episodes of ``env`` (an env, an env id, or None
        for a new env like the training env) choosing actions with ``mode``.
        Returns ``(mean_return, std_return)``, or with
        ``return_episode_rewards=True`` the lists of returns and lengths.
        Episode i is reset with ``seed + i`` when a seed is given."""
        if n_episodes < 1:
            raise ConfigError(f"evaluate: n_episodes = {n_episodes}: expected ≥ 1")
        owned = False
        if env is None:
            if self.env_id is None:
                raise ConfigError("evaluate: give an env: the training env has no id to make a new one from")
            env, owned = make_env(self.env_id), True
        elif isinstance(env, str):
            env, owned = make_env(env), True
        if isinstance(env, gym.vector.VectorEnv):
            raise ConfigError("evaluate: expected a single env, not a vector env")
        try:
            self._check_compatible(env)
            returns: list[float] = []
            lengths: list[int] = []
            for i in range(n_episodes):
                obs, _ = env.reset(seed=None if seed is None else seed + i)
                total, length, done = 0.0, 0, False
                while not done:
                    action, _ = self.predict(obs, mode=mode)
                    obs, reward, terminated, truncated, _ = env.step(action)
                    total += float(reward)
                    length += 1
                    done = bool(terminated or truncated)
                returns.append(total)
                lengths.append(length)
        finally:
            if owned:
                env.close()
        if return_episode_rewards:
            return returns, lengths
        return float(np.mean(returns)), float(np.std(returns))

    def _check_compatible(self, env: gym.Env) -> None:
        obs_dim = ObsFlattener(env.observation_space).dim
        if obs_dim != self._driver.obs.dim or env.action_space != self.action_space:
            raise ConfigError(
                f"this env's spaces (observation {env.observation_space}, action {env.action_space}) differ from the "
                f"model's (observation {self.observation_space}, action {self.action_space})"
            )

    # -------------------------------------------------------------- training

    def learn(
        self,
        total_timesteps: int,
        callback: MaybeCallback = None,
        log_interval: int = 4,
        tb_log_name: str = "MFPO",
        reset_num_timesteps: bool = True,
        progress_bar: bool = False,
    ) -> MFPO:
        """Train for ``total_timesteps`` environment steps (of all sub-envs
        together): act (uniform in [−1, 1] for the first ``learning_starts``
        steps, then one policy sample), step, store the transition, and once
        ``learning_starts`` transitions are stored run one update per stored
        transition (UTD 1). A time-limit truncation keeps the bootstrap: only
        ``terminated`` is stored.

        Logs every ``log_interval`` episodes (see :mod:`mfpo.logger`);
        ``callback`` is a :class:`mfpo.BaseCallback`, a list of them or a
        function ``f(locals, globals) -> bool``; ``progress_bar`` shows tqdm.
        With ``reset_num_timesteps=False`` training continues where the last
        call stopped, for ``total_timesteps`` more steps. Returns self.
        """
        if total_timesteps < 0:
            raise ConfigError(f"learn: total_timesteps = {total_timesteps}: expected ≥ 0")
        if reset_num_timesteps or self._last_obs is None:
            obs = self._driver.reset(seed=int(self._config["seed"]) if reset_num_timesteps else None)
        else:
            obs = self._last_obs
        if reset_num_timesteps:
            self.num_timesteps, self._episode_num = 0, 0
            self.ep_info_buffer.clear()
        total = int(total_timesteps) + self.num_timesteps
        logger = self._setup_logger(tb_log_name, reset_num_timesteps)
        callback = as_callback(callback)
        callback.init_callback(self)
        bar = _progress_bar(progress_bar, total, self.num_timesteps)
        self._start_time, self._start_timesteps = time.perf_counter(), self.num_timesteps
        updates_from = max(int(self._config["learning_starts"]), int(self._config["batch_size"]))
        callback.on_training_start(locals(), globals())

        while self.num_timesteps < total:
            # 1. Act on every sub-env: uniform in [−1, 1] until learning_starts
            #    transitions are stored, then one policy sample (Go's "explore").
            actions = self._agent.act(obs, "explore")
            # 2. Step the env with the actions rescaled onto its Box bounds.
            step = self._driver.step(actions)
            # 3. Store the real transitions (not a vector env's autoreset rows),
            #    with the normalised action and `terminated` only: a time-limit
            #    truncation keeps the bootstrap.
            valid = step.valid
            n = int(np.count_nonzero(valid))
            if n:
                stored = self._agent.store(
                    obs[valid], actions[valid], step.reward[valid], step.next_obs[valid], step.terminated[valid]
                )
                self.num_timesteps += n
                # 4. UTD 1: one update after each stored transition once
                #    max(learning_starts, batch_size) are stored.
                n_updates = min(n, stored - updates_from + 1)
                if n_updates > 0:
                    self._record_update(self._agent.update(n_updates), n_updates)
            obs = step.obs
            # 5. Episodes, logs, callbacks, progress bar.
            for episode in step.episodes:
                episode.timesteps = self.num_timesteps
                self._end_episode(episode, callback, log_interval, bar)
            if bar is not None:
                bar.update(n)
            callback.update_locals(locals())
            if not callback.on_step():
                break

        self._last_obs = obs
        if bar is not None:
            bar.close()
        if self._train_count or logger.pending:
            self._dump_logs()
        callback.on_training_end()
        return self

    def _end_episode(self, episode: Episode, callback: Any, log_interval: int, bar: Any) -> None:
        self._episode_num += 1
        self.ep_info_buffer.append(episode)
        callback.on_episode_end(episode)
        if bar is not None:
            bar.set_postfix(ep_rew_mean=f"{np.mean([e.reward for e in self.ep_info_buffer]):.1f}", refresh=False)
        if log_interval > 0 and self._episode_num % log_interval == 0:
            self._dump_logs()

    def _record_update(self, stats: dict[str, Any], n: int) -> None:
        for key in _TRAIN_KEYS:
            v = stats.get(key)
            if v is not None:
                self._train_sums[key] = self._train_sums.get(key, 0.0) + float(v) * n
        self._train_count += n
        self._n_updates = int(stats["updates"])

    def _dump_logs(self) -> None:
        """Record time/, rollout/ and train/ figures and dump them."""
        logger = self._logger
        elapsed = max(time.perf_counter() - self._start_time, 1e-9)
        logger.record("time/episodes", self._episode_num)
        logger.record("time/fps", int((self.num_timesteps - self._start_timesteps) / elapsed))
        logger.record("time/time_elapsed", round(elapsed, 1))
        logger.record("time/total_timesteps", self.num_timesteps)
        if self.ep_info_buffer:
            logger.record("rollout/ep_rew_mean", float(np.mean([e.reward for e in self.ep_info_buffer])))
            logger.record("rollout/ep_len_mean", float(np.mean([e.length for e in self.ep_info_buffer])))
        if self._train_count:
            for key, s in self._train_sums.items():
                logger.record(f"train/{key}", s / self._train_count)
            logger.record("train/n_updates", getattr(self, "_n_updates", 0))
        self._train_sums, self._train_count = {}, 0
        logger.dump(self.num_timesteps)

    def _setup_logger(self, tb_log_name: str, reset_num_timesteps: bool) -> Logger:
        if self._custom_logger:
            return self._logger
        formats = ["stdout"] if self.verbose >= 1 else []
        folder = None
        if self.tensorboard_log is not None:
            folder = _run_dir(Path(self.tensorboard_log), tb_log_name, new=reset_num_timesteps or not self._logger.folder)
            formats += ["csv", "tensorboard"]
        if folder is None or folder != self._logger.folder:
            self._logger.close()
            self._logger = configure(folder, formats)
        return self._logger

    # ------------------------------------------------------------- lifetime

    def close(self) -> None:
        """Free the Go agent and close the logger, and the env when it was
        made from an id. The model cannot be used afterwards."""
        self._agent.close()
        self._logger.close()
        if self._owns_env:
            self.env.close()
            self._owns_env = False

    def __enter__(self) -> MFPO:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _check_finite(rows: npt.NDArray[np.float32]) -> None:
    bad = ~np.isfinite(rows)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise NonFiniteError(
            f"observation row {r} has {rows[r, c]} at element {c} of its {rows.shape[1]} flattened numbers: "
            "expected finite numbers"
        )


def _run_dir(root: Path, name: str, new: bool) -> str:
    """root/name_i: the next free i for a new run, else the latest."""
    pat = re.compile(re.escape(name) + r"_(\d+)$")
    ids = [int(m.group(1)) for p in root.glob(f"{name}_*") if (m := pat.match(p.name)) and p.is_dir()] if root.is_dir() else []
    last = max(ids, default=0)
    return str(root / f"{name}_{last + 1 if new or last == 0 else last}")


def _progress_bar(enabled: bool, total: int, initial: int) -> Any:
    if not enabled:
        return None
    try:
        from tqdm import tqdm
    except ImportError as err:
        raise ImportError("progress_bar=True needs tqdm: pip install tqdm") from err
    return tqdm(total=total, initial=initial, unit="step", dynamic_ncols=True)
