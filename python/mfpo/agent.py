"""The MFPO agent with Stable-Baselines3's SAC surface.

>>> from mfpo import MFPO
>>> model = MFPO("Pendulum-v1", preset="small", verbose=0)
>>> model = model.learn(2_000)                              # doctest: +SKIP
>>> action, _ = model.predict(obs, mode="best_of_n")        # doctest: +SKIP

The Go core owns the networks, optimisers and replay buffer; this class runs
the environment loop and makes one batched call per step into Go (act,
store, update).
"""

from __future__ import annotations

import functools
import os
import re
import time
from collections import deque
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, cast

import gymnasium as gym
import numpy as np
import numpy.typing as npt

from mfpo import _core
from mfpo.callbacks import MaybeCallback, as_callback
from mfpo.config import CONFIG_KEYS, SETTING_KEYS, ProposalMix, check_keys, config_json
from mfpo.envs import (
    ActionBox,
    AnyEnv,
    EnvDriver,
    Episode,
    ObsFlattener,
    check_finite,
    describe_space,
    make_env,
    run_episodes,
    same_box,
    space_from_json,
)
from mfpo.exceptions import CheckpointIOError, ConfigError
from mfpo.logger import Logger, configure
from mfpo.policy import Policy, existing_checkpoint, with_suffix
from mfpo.sb3 import Schedule, check_device, check_policy_name, random_seed, sb3_overrides

__all__ = ["MFPO", "PredictMode"]

PredictMode = Literal["sample", "best_of_n", "deterministic"]
"""How :meth:`MFPO.predict` chooses actions:

``"best_of_n"``
    ``eval_candidates`` (10) samples of the policy, and the one the target
    critics value most: the paper's evaluation rule (what ``evaluate`` and
    ``EvalCallback`` use by default);
``"sample"``
    one sample of the policy (the behaviour during training, after the
    random warm-up): what ``deterministic=False`` means;
``"deterministic"``
    the policy's sampler run from ε = 0: a fixed function of the
    observation (the same observation always gives the same action), what
    ``deterministic=True`` means.

The noise of ``"sample"`` and ``"best_of_n"`` comes from the model's
evaluation stream, seeded by the config's seed and separate from training's:
predicting never changes what training does.
"""

PREDICT_MODES: tuple[str, ...] = _core.POLICY_MODES

_EVAL_STREAM = 0x6576616C  # "eval": the SeedSequence key of predict's seeds

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
    docs/algorithm.md for what each does.

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
        proposal_mix: how the policy and posterior proposals combine into the
            velocity target: "ess" (the paper's ESS mix) or "balance"
            (multiple importance sampling, balance heuristic; docs/algorithm.md
            §4.1): "ess". ``mfpo.PROPOSAL_MIXES`` lists them.
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
        seed: seeds the Go core's every draw and the env's first reset;
            None (the default) draws a random one, as Stable-Baselines3
            does (``model.config["seed"]`` says which).
        policy, learning_rate, policy_kwargs: Stable-Baselines3's SAC
            arguments (``MFPO("MlpPolicy", env, 3e-4)``); these and the
            others SB3 takes are mapped or refused as mfpo/sb3.py's table
            and docs/python.md say.
        device: where the networks compute, as in Stable-Baselines3:
            ``"auto"`` (CUDA in a build with it where a GPU is visible, else
            the CPU), ``"cpu"`` or ``"cuda"``; ``"cuda"`` where it cannot be
            had is a ConfigError naming what is missing (docs/gpu.md).
        shards: batch slices computed in parallel: 2 (with the seed, they
            fix the run bit for bit wherever the same BLAS kernels run:
            ``build_info()["blas_core"]``, docs/reproducibility.md).
        max_bytes: this agent's memory limit in bytes (default: the
            process's, :func:`mfpo.set_memory_limit`); creating it and each
            call are refused with :class:`SizeError` when their estimated
            memory is over it (docs/limits.md). Not saved in checkpoints.

    Raises:
        SizeError: the agent's estimated memory is over the limit.
        ConfigError: an unknown keyword argument (the message suggests the
            closest known ones), an invalid value (naming the key), an
            environment MFPO cannot drive (a Discrete action space,
            infinite action bounds, a vector env whose workers were forked).
    """

    ep_info_buffer: deque[Episode]
    """The last finished training episodes (100, or SB3's stats_window_size)."""
    learning_rate: Schedule | None
    """The learning-rate schedule (progress remaining → rate) of
    Stable-Baselines3's ``learning_rate``, or None: the config's four rates
    are then kept."""

    def __init__(
        self,
        policy: AnyEnv | str,
        env: AnyEnv | str | None = None,
        learning_rate: float | Schedule | None = None,
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
        proposal_mix: ProposalMix | None = None,
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
        max_bytes: int | None = None,
        policy_kwargs: Mapping[str, Any] | None = None,
        device: str = "auto",
        **config: Any,
    ) -> None:
        args = locals()
        # MFPO(env, …) or Stable-Baselines3's MFPO("MlpPolicy", env, …).
        if env is None:
            env = policy
        else:
            check_policy_name(policy)
        # Stable-Baselines3's SAC arguments: mapped onto Config keys, or
        # refused with the reason (mfpo/sb3.py).
        sb3 = sb3_overrides(config, policy_kwargs, learning_rate)
        # Keys the Go Config has beyond this signature still pass; others
        # are an error that names the closest known keys.
        check_keys(config)
        overrides = {k: args[k] for k in (*CONFIG_KEYS, *SETTING_KEYS) if args.get(k) is not None}
        overrides.update({k: v for k, v in config.items() if v is not None})
        for k, v in sb3.config.items():
            if k in overrides and overrides[k] != v:
                raise ConfigError(f"{k} = {overrides[k]!r} and {sb3.source[k]} (which sets {k} = {v!r}) disagree")
            overrides[k] = v
        if overrides.get("seed") is None:  # Stable-Baselines3's seed=None: a random seed
            overrides["seed"] = random_seed()
        overrides["device"] = check_device(device)
        config_json(preset, overrides)  # the config's errors before the env is made

        env, env_id, owns_env = _resolve_env(env, env_kwargs)
        try:
            driver = EnvDriver(env)
            if sb3.target_entropy is not None:
                overrides["target_entropy_per_dim"] = sb3.target_entropy / driver.act.dim
            agent = _core.Agent(config_json(preset, overrides), _spaces(driver.obs, driver.act))
        except BaseException:
            if owns_env:
                env.close()
            raise
        self._setup(agent, driver.obs, driver.act, driver, env_id, owns_env, verbose, tensorboard_log)
        self.preset: str | None = preset
        """The preset the model was made from (None when loaded)."""
        self.learning_rate = sb3.schedule
        self.ep_info_buffer = deque(maxlen=sb3.stats_window_size)

    def _setup(
        self,
        agent: _core.Agent,
        obs: ObsFlattener,
        act: ActionBox,
        driver: EnvDriver | None,
        env_id: str | None,
        owns_env: bool,
        verbose: int,
        tensorboard_log: str | os.PathLike[str] | None,
    ) -> None:
        """The state every model has, made or loaded."""
        self._agent = agent
        self._obs, self._act = obs, act
        self._driver = driver
        self.env: AnyEnv | None = None if driver is None else driver.env
        self.env_id = env_id
        self._owns_env = owns_env
        self.verbose = int(verbose)
        self.tensorboard_log = None if tensorboard_log is None else str(tensorboard_log)
        self._config = self._agent.config()
        self.num_timesteps = 0
        """Environment steps taken in training (transitions stored)."""
        self.ep_info_buffer = deque(maxlen=100)
        self._episode_num = 0
        self._last_obs: npt.NDArray[np.float32] | None = None
        self._logger = configure(None, ["stdout"] if self.verbose >= 1 else [])
        self._custom_logger = False
        self.learning_rate = None
        self.device: str = str(agent.info().get("device", "cpu"))
        """Where the networks run: ``"cpu"`` or ``"cuda"``."""
        self._obs_described = True
        self._train_sums: dict[str, float] = {}
        self._train_count = 0
        # The noise seeds of predict: a stream of its own, so that acting
        # outside learn() never changes training's draws.
        stream = np.random.SeedSequence([int(self._config["seed"]), _EVAL_STREAM])
        self._eval_seeds = np.random.PCG64(stream)

    # ------------------------------------------------------------------ info

    @property
    def config(self) -> dict[str, Any]:
        """The effective configuration (every key), as the Go core has it."""
        return dict(self._config)

    @property
    def observation_space(self) -> gym.Space[Any]:
        """One observation's space (a vector env's single space)."""
        return self._obs.space

    @property
    def action_space(self) -> gym.spaces.Box:
        """One action's space (a vector env's single space)."""
        return self._act.space

    @property
    def num_episodes(self) -> int:
        """Training episodes finished (since the last reset_num_timesteps)."""
        return self._episode_num

    @property
    def n_envs(self) -> int:
        return 1 if self._driver is None else self._driver.n_envs

    @property
    def logger(self) -> Logger:
        return self._logger

    def set_logger(self, logger: Logger) -> None:
        """Use this logger (e.g. ``mfpo.configure_logger(folder, ["stdout",
        "csv", "tensorboard"])``) instead of the one made from ``verbose`` and
        ``tensorboard_log``."""
        self._logger = logger
        self._custom_logger = True

    def get_env(self) -> AnyEnv | None:
        """The training env; None for a model loaded without one."""
        return self.env

    def set_env(self, env: AnyEnv | str, env_kwargs: Mapping[str, Any] | None = None) -> None:
        """Train on ``env`` (an env, a vector env or an env id) from now on,
        e.g. after ``MFPO.load(path)`` without one. Its spaces must be the
        model's (the observation's flattened size and the action box).
        The next ``learn`` starts with a reset."""
        env, env_id, owns = _resolve_env(env, env_kwargs)
        try:
            driver = EnvDriver(env)
            self._check_spaces(driver.obs, driver.act.space, "set_env")
        except BaseException:
            if owns:
                env.close()
            raise
        if self._owns_env and self.env is not None:
            self.env.close()
        self._driver, self.env, self._owns_env = driver, env, owns
        self._obs, self._act = driver.obs, driver.act
        self.env_id = env_id or self.env_id
        self._last_obs = None

    def info(self) -> dict[str, Any]:
        """The Go agent's counters: stored transitions, updates, α, …"""
        return self._agent.info()

    def __repr__(self) -> str:
        return (
            f"MFPO(env={self.env_id or (None if self.env is None else type(self.env).__name__)!r}, "
            f"preset={self.preset!r}, "
            f"obs_dim={self._obs.dim}, act_dim={self._act.dim}, n_envs={self.n_envs}, "
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

        ``deterministic=True`` runs the sampler from ε = 0 (the same
        observation always gives the same action), ``False`` draws one
        policy sample; ``mode`` overrides both: ``"best_of_n"`` (the paper's
        evaluation rule), ``"sample"`` or ``"deterministic"``. Noise comes
        from the model's evaluation stream, never training's. ``state`` and
        ``episode_start`` exist for Stable-Baselines3
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
            mode = "deterministic" if deterministic else "sample"
        elif mode not in PREDICT_MODES:
            raise ConfigError(f"predict: unknown mode {mode!r}: expected one of {PREDICT_MODES}")
        # PCG64's raw 64-bit output: what Generator(PCG64).integers(0, 2**64,
        # dtype=np.uint64) returns for the full range, at a sixth of the cost.
        # Drawn once the observation passed its checks.
        row = self._obs.one_row(observation)
        if row is not None:  # one Box observation, checked: the short path
            return self._act.shaped_one(self._agent.act_one(row, mode, self._eval_seeds.random_raw())), None
        rows, batched = self._obs.rows(observation)
        check_finite(rows)
        seed = self._eval_seeds.random_raw()
        actions = self._act.shaped(self._agent.act(rows, mode, seed))
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
            returns, lengths = run_episodes(env, lambda obs: self.predict(obs, mode=mode)[0], n_episodes, seed)
        finally:
            if owned:
                env.close()
        if return_episode_rewards:
            return returns, lengths
        return float(np.mean(returns)), float(np.std(returns))

    def _check_compatible(self, env: gym.Env) -> None:
        self._check_spaces(ObsFlattener(env.observation_space), env.action_space, "this env")

    def _check_spaces(self, obs: ObsFlattener, act_space: gym.Space[Any], what: str) -> None:
        """Refuse an env whose observations flatten to another size or whose
        action box differs from the model's (compared as float32, the
        checkpoint's precision)."""
        ok = obs.dim == self._obs.dim and same_box(act_space, self.action_space)
        if self._obs_described:  # the saved gymnasium space, bounds included
            ok = ok and describe_space(obs.space) == describe_space(self._obs.space)
        if not ok or act_space.shape != self.action_space.shape:
            raise ConfigError(
                f"{what}: the env's spaces (observation {obs.space}, flattened to {obs.dim}; action {act_space}) "
                f"differ from the model's (observation {self.observation_space}, flattened to {self._obs.dim}; "
                f"action {self.action_space})"
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
        driver = self._driver
        if driver is None:
            raise ConfigError("learn: this model has no env: give one to MFPO.load(path, env=...) or to set_env(env)")
        counters = self._agent.info()
        self._stored, buffer_len = int(counters["stored"]), int(counters["buffer_len"])
        capacity, batch = int(self._config["buffer_size"]), int(self._config["batch_size"])
        if reset_num_timesteps or self._last_obs is None:
            obs = driver.reset(seed=self._episode_seed(0))
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
        updates_from = max(int(self._config["learning_starts"]), batch)
        env = driver.env
        callback.on_training_start(locals(), globals())

        reset_seed = functools.partial(self._episode_seed, 1)
        while self.num_timesteps < total:
            # 1. Act on every sub-env: uniform in [−1, 1] until learning_starts
            #    transitions are stored, then one policy sample (Go's "explore").
            actions = self._agent.act(obs, "explore")
            # 2. Step the env (the actions are in its box: Go maps them).
            step = driver.step(actions, reset_seed)
            # 3. Store the real transitions (not a vector env's autoreset rows),
            #    with the action as stepped and `terminated` only: a time-limit
            #    truncation keeps the bootstrap.
            valid = step.valid
            n = int(np.count_nonzero(valid))
            if n:
                stored = self._stored = self._agent.store(
                    obs[valid], actions[valid], step.reward[valid], step.next_obs[valid], step.terminated[valid]
                )
                self.num_timesteps += n
                # 4. UTD 1: one update after each stored transition once
                #    max(learning_starts, batch_size) are stored.
                #    A model loaded without its replay buffer first refills
                #    batch_size rows.
                buffer_len = min(buffer_len + n, capacity)
                n_updates = min(n, stored - updates_from + 1, buffer_len - batch + 1)
                if n_updates > 0:
                    if self.learning_rate is not None:  # progress remaining, as Stable-Baselines3 counts it
                        self._agent.set_learning_rate(float(self.learning_rate(1 - self.num_timesteps / total)))
                    self._record_update(self._agent.update(n_updates), n_updates)
            # Stable-Baselines3's rollout locals, for callbacks: the flattened
            # next observations, the rewards, done flags and infos of this step.
            new_obs, rewards, infos = step.obs, step.reward, step.infos
            dones = step.terminated | step.truncated
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

    def _episode_seed(self, ahead: int) -> int:
        """The seed of the env reset made when ``stored + ahead`` transitions
        are stored: a function of the config's seed and that count alone, so
        a model loaded from a checkpoint saved at an episode's end resets
        its env as the uninterrupted run does (docs/python.md, exact
        resume)."""
        # 32 bits: some envs (dm_control through shimmy) refuse larger seeds.
        return int(np.random.SeedSequence([int(self._config["seed"]), self._stored + ahead]).generate_state(1)[0])

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
            folder = _run_dir(
                Path(self.tensorboard_log), tb_log_name, new=reset_num_timesteps or not self._logger.folder
            )
            formats += ["csv", "tensorboard"]
        if folder is None or folder != self._logger.folder:
            self._logger.close()
            self._logger = configure(folder, formats)
        return self._logger

    # ----------------------------------------------------------- checkpoints

    def save(self, path: str | os.PathLike[str], *, replay_buffer: bool = False, policy_only: bool = False) -> Path:
        """Write the model to ``path`` (``.mfpo`` is appended when it has no
        suffix) in mfpo's checkpoint format (docs/checkpoint.md; no pickle),
        atomically: a crash mid-save never destroys an earlier file there.

        The checkpoint holds the config, the spaces, every network, the
        target critics, the Adam states, α, the random generator and the
        counters; with ``replay_buffer=True`` also the replay buffer, so
        that ``MFPO.load(path, env).learn(...)`` continues the run exactly
        (see docs/python.md). ``policy_only=True`` writes what inference
        needs (:class:`mfpo.Policy`, ``libmfpo.so``'s ``mfpo_policy_load``).
        The env is not saved. Returns the path written.

        Raises:
            CheckpointIOError: the file cannot be written.
        """
        if replay_buffer and policy_only:
            raise ConfigError("save: a policy-only checkpoint holds no replay buffer; choose one of the two")
        p = with_suffix(path)
        try:
            p.parent.mkdir(parents=True, exist_ok=True)  # as Stable-Baselines3's save does
        except OSError as err:
            raise CheckpointIOError(f"save: cannot make the folder {p.parent}: {err.strerror or err}") from None
        kind: _core.CheckpointKind = "policy" if policy_only else "replay" if replay_buffer else "full"
        self._agent.save(p, kind)
        return p

    def save_replay_buffer(self, path: str | os.PathLike[str]) -> Path:
        """Stable-Baselines3's ``save_replay_buffer``: write the replay buffer
        to ``path`` (``.mfpo`` appended when it has no suffix). The file is a
        full checkpoint with the buffer (``save(path, replay_buffer=True)``:
        mfpo's format, no pickle), which :meth:`load_replay_buffer` reads.
        Returns the path written."""
        return self.save(path, replay_buffer=True)

    def load_replay_buffer(self, path: str | os.PathLike[str], truncate_last_traj: bool = True) -> None:
        """Stable-Baselines3's ``load_replay_buffer``: replace the replay buffer
        with the one saved in ``path`` (by :meth:`save_replay_buffer`, or any
        ``save(..., replay_buffer=True)`` of a model with the same observation
        and action widths and ``buffer_size``); the networks and the rest of
        the model stay (``num_timesteps`` too; the checkpoint's count of
        stored transitions is raised to at least the rows loaded, as a
        buffer never holds more than was stored). ``truncate_last_traj`` is accepted and
        has nothing to do: it concerns HER's episode bookkeeping, and mfpo
        stores no episode boundaries beyond each row's termination flag.

        Raises:
            FileNotFoundError: no file at ``path`` (nor at ``path.mfpo``).
            CheckpointError: not a full checkpoint with a replay buffer.
            ShapeError, ConfigError: another obs_dim or act_dim, another
                ``buffer_size``.
        """
        del truncate_last_traj
        self._agent.load_replay(existing_checkpoint(path).read_bytes())

    @property
    def replay_buffer(self) -> ReplayBuffer:
        """The replay buffer, as Stable-Baselines3's attribute of the name:
        ``size()``, ``buffer_size``, ``full``, ``pos`` and the stored rows
        (see :class:`ReplayBuffer`)."""
        return ReplayBuffer(self._agent)

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str],
        env: AnyEnv | str | None = None,
        *,
        verbose: int = 1,
        tensorboard_log: str | os.PathLike[str] | None = None,
        env_kwargs: Mapping[str, Any] | None = None,
        device: str = "auto",
        custom_objects: Mapping[str, Any] | None = None,
        print_system_info: bool = False,
        force_reset: bool = True,
    ) -> MFPO:
        """A model from a checkpoint :meth:`save` wrote (a full one; a
        policy-only checkpoint loads with :meth:`mfpo.Policy.load`). ``path``
        may leave out ``.mfpo``.

        ``env`` (an env, a vector env or an env id) is needed to ``learn``;
        without it the model predicts, in the spaces saved in the checkpoint
        (the gymnasium observation space and the action box). Its spaces
        must be the checkpoint's, bounds included. ``num_timesteps`` is the
        stored transitions of the saved agent.

        Stable-Baselines3's keywords: ``device`` (``"auto"`` or ``"cpu"``: a
        checkpoint loads onto the CPU),
        ``custom_objects`` (``learning_rate`` or ``lr_schedule``: a number or
        a schedule for the next ``learn``; other keys are refused, nothing
        in an mfpo checkpoint is pickled), ``print_system_info`` (prints
        :func:`mfpo.build_info`), ``force_reset`` (the next ``learn`` always
        resets the env).

        Raises:
            FileNotFoundError: no file at ``path`` (nor at ``path.mfpo``).
            CheckpointError: the file is not a valid full checkpoint
                (truncated, corrupted, foreign, policy-only).
            CheckpointVersionError: a newer format than this mfpo reads.
            ConfigError: the env's spaces differ from the checkpoint's.
        """
        if check_device(device) == "cuda":
            raise ConfigError(
                "load: device='cuda': a checkpoint loads onto the CPU (loading onto the GPU is not built yet); "
                "give device='auto' or 'cpu'"
            )
        objects = dict(custom_objects or {})
        lr = objects.pop("learning_rate", objects.pop("lr_schedule", None))
        if objects:
            raise ConfigError(
                f"load: custom_objects {sorted(objects)}: only learning_rate and lr_schedule apply "
                "(an mfpo checkpoint holds no pickled objects to replace)"
            )
        if print_system_info:
            print(f"mfpo {_core.version()} {_core.build_info()}")
        p = existing_checkpoint(path)
        agent, info = _core.Agent.load(p)
        try:
            described = info.get("obs_space") or ""
            obs_space = (
                space_from_json(described)
                if described
                else gym.spaces.Box(-np.inf, np.inf, shape=tuple(info["obs_shape"]), dtype=np.float32)
            )
            act_space = gym.spaces.Box(
                np.asarray(info["act_low"], np.float32), np.asarray(info["act_high"], np.float32), dtype=np.float32
            )
            model = cls.__new__(cls)
            model._setup(
                agent, ObsFlattener(obs_space), ActionBox(act_space), None, None, False, verbose, tensorboard_log
            )
            model.preset = None
            model._obs_described = bool(described)
            model.num_timesteps = int(info["stored"])
            if lr is not None:
                model.learning_rate = lr if callable(lr) else (lambda _: float(lr))
                model._agent.set_learning_rate(float(model.learning_rate(1.0)))
            if env is not None:
                model.set_env(env, env_kwargs)
        except BaseException:
            agent.close()
            raise
        return model

    @property
    def policy(self) -> ModelPolicy:
        """The model's policy as Stable-Baselines3 users reach it:
        ``model.policy.predict(obs, deterministic=True)``;
        ``model.policy.snapshot()`` is a :class:`mfpo.Policy` copy for
        deployment."""
        return ModelPolicy(self)

    def snapshot(self) -> Policy:
        """A :class:`mfpo.Policy` with a copy of the current policy and target
        critics (the model may go on training): the deployment path, acting
        with explicit seeds exactly as ``libmfpo.so`` does."""
        handle = _core.Policy.from_agent(self._agent)
        return Policy._wrap(handle, _spaces(self._obs, self._act), self._act.space)

    # ----------------------------------------------------- parameters, seeds

    def get_parameters(self) -> dict[str, npt.NDArray[np.float32]]:
        """Every network's and optimiser's parameters as float32 arrays, by
        the names of :meth:`mfpo.checkpoint.CheckpointFile.tensors`
        (``policy/params``, ``critic1/params``, ``policy_opt/m``, …):
        copies, taken from a checkpoint of the model."""
        from mfpo import checkpoint

        ckpt = checkpoint.read(self._agent.marshal("full"))
        return {k: v.copy() for k, v in ckpt.tensors().items() if not k.startswith("spaces/")}

    def set_parameters(self, params: Mapping[str, npt.ArrayLike], exact_match: bool = True) -> None:
        """Load arrays of :meth:`get_parameters`' names and shapes into the
        model (all of them when ``exact_match``). The agent is rebuilt from a
        checkpoint of itself with those arrays written in."""
        from mfpo import checkpoint

        agent = checkpoint.with_tensors(self._agent.marshal("full"), params, exact_match)
        self._agent.close()
        self._agent = agent

    def set_random_seed(self, seed: int | None = None) -> None:
        """Seed predict's noise stream and the env's next reset (the Go
        core's training stream is the config's ``seed``, fixed when the model
        is made); None draws a random seed."""
        seed = random_seed() if seed is None else int(seed)
        self._eval_seeds = np.random.PCG64(np.random.SeedSequence([seed, _EVAL_STREAM]))
        if self._driver is not None:
            self._driver.env.action_space.seed(seed)

    # ------------------------------------------------------------- lifetime

    def close(self) -> None:
        """Free the Go agent and close the logger, and the env when it was
        made from an id. The model cannot be used afterwards."""
        self._agent.close()
        self._logger.close()
        if self._owns_env and self.env is not None:
            self.env.close()
            self._owns_env = False

    def __enter__(self) -> MFPO:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class ModelPolicy:
    """``model.policy``: Stable-Baselines3's policy object for an MFPO
    model (it acts with the model's current networks)."""

    def __init__(self, model: MFPO) -> None:
        self._model = model

    @property
    def observation_space(self) -> gym.Space[Any]:
        return self._model.observation_space

    @property
    def action_space(self) -> gym.spaces.Box:
        return self._model.action_space

    def predict(
        self, observation: Any, state: Any = None, episode_start: Any = None, deterministic: bool = False
    ) -> tuple[npt.NDArray[Any], None]:
        """:meth:`MFPO.predict`."""
        return self._model.predict(observation, state, episode_start, deterministic)

    def snapshot(self) -> Policy:
        """:meth:`MFPO.snapshot`: a :class:`mfpo.Policy` copy."""
        return self._model.snapshot()

    def set_training_mode(self, mode: bool) -> None:
        """Stable-Baselines3's train/eval switch: MFPO's networks have no
        dropout or batch statistics, so it changes nothing."""


def _resolve_env(env: Any, env_kwargs: Mapping[str, Any] | None) -> tuple[AnyEnv, str | None, bool]:
    """(env, its id or None, whether mfpo made it and must close it)."""
    if isinstance(env, str):
        return make_env(env, **dict(env_kwargs or {})), env, True
    if env_kwargs:
        raise ConfigError("env_kwargs is for an env id; this env is already made")
    if not isinstance(env, (gym.Env, gym.vector.VectorEnv)):
        raise ConfigError(
            f"env: expected a gymnasium.Env, a gymnasium.vector.VectorEnv or an env id; got {type(env).__name__}"
        )
    spec = getattr(env, "spec", None)
    return env, None if spec is None else spec.id, False


def _run_dir(root: Path, name: str, new: bool) -> str:
    """root/name_i: the next free i for a new run, else the latest."""
    pat = re.compile(re.escape(name) + r"_(\d+)$")
    ids = (
        [int(m.group(1)) for p in root.glob(f"{name}_*") if (m := pat.match(p.name)) and p.is_dir()]
        if root.is_dir()
        else []
    )
    last = max(ids, default=0)
    return str(root / f"{name}_{last + 1 if new or last == 0 else last}")


def _progress_bar(enabled: bool, total: int, initial: int) -> Any:
    if not enabled:
        return None
    try:  # tqdm.auto: a widget in a notebook (with ipywidgets), text in a terminal
        from tqdm.auto import tqdm
    except ImportError as err:
        raise ImportError("progress_bar=True needs tqdm: pip install tqdm") from err
    return tqdm(total=total, initial=initial, unit="step", dynamic_ncols=True)


def _spaces(obs: ObsFlattener, act: ActionBox) -> dict[str, Any]:
    """The spaces the Go agent is made with (and its checkpoints record):
    the observation's shape (a Box's own shape, else the flattened size)
    and the action box."""
    space = obs.space
    shape = list(space.shape) if isinstance(space, gym.spaces.Box) and space.shape else [obs.dim]
    return {"obs_shape": shape, **act.bounds(), "obs_space": describe_space(space)}


class ReplayBuffer:
    """A look at an MFPO model's replay buffer (the Go core's ring), with
    the names of Stable-Baselines3's ``ReplayBuffer``: ``buffer_size`` (its
    capacity), ``size()`` (the transitions it holds), ``full``, ``pos`` (the
    row the next transition goes to) and copies of the stored rows,
    ``observations`` and ``next_observations`` (flattened, ``(size,
    obs_dim)``), ``actions`` (in the agent's box [−1, 1], as SB3 stores
    SAC's scaled actions, ``(size, act_dim)``), ``rewards`` and ``dones``
    (1 for a termination; a time-limit truncation is 0, as SB3 stores it
    with ``handle_timeout_termination``), ``(size,)``, in storage order.
    The counts are read live; the rows are read once, on first use, from a
    checkpoint of the model (a copy: later training does not change them)."""

    def __init__(self, agent: _core.Agent) -> None:
        self._agent = agent
        self._rows: dict[str, Any] | None = None

    @property
    def buffer_size(self) -> int:
        return int(self._agent.config()["buffer_size"])

    def size(self) -> int:
        return int(self._agent.info()["buffer_len"])

    @property
    def full(self) -> bool:
        return self.size() == self.buffer_size

    def __len__(self) -> int:
        return self.size()

    def _replay(self) -> dict[str, Any]:
        from mfpo import checkpoint

        if self._rows is None:
            r = checkpoint.read(self._agent.marshal("replay")).replay
            if r is None:
                obs, act = self._agent.obs_dim, self._agent.act_dim
                r = {"pos": 0, "obs": np.zeros((0, obs)), "act": np.zeros((0, act)), "reward": np.zeros(0),
                     "next_obs": np.zeros((0, obs)), "not_done": np.zeros(0)}
            self._rows = {
                "pos": np.asarray(r["pos"]), "observations": np.array(r["obs"], np.float32),
                "actions": np.array(r["act"], np.float32), "rewards": np.array(r["reward"], np.float32),
                "next_observations": np.array(r["next_obs"], np.float32),
                "dones": 1 - np.array(r["not_done"], np.float32),
            }
        return self._rows

    @property
    def pos(self) -> int:
        n = self.size()
        return n if n < self.buffer_size else int(self._replay()["pos"])

    @property
    def observations(self) -> npt.NDArray[np.float32]:
        return cast("npt.NDArray[np.float32]", self._replay()["observations"])

    @property
    def actions(self) -> npt.NDArray[np.float32]:
        return cast("npt.NDArray[np.float32]", self._replay()["actions"])

    @property
    def rewards(self) -> npt.NDArray[np.float32]:
        return cast("npt.NDArray[np.float32]", self._replay()["rewards"])

    @property
    def next_observations(self) -> npt.NDArray[np.float32]:
        return cast("npt.NDArray[np.float32]", self._replay()["next_observations"])

    @property
    def dones(self) -> npt.NDArray[np.float32]:
        return cast("npt.NDArray[np.float32]", self._replay()["dones"])

    def __repr__(self) -> str:
        return f"ReplayBuffer(size={self.size()}, buffer_size={self.buffer_size})"
