"""Callbacks for :meth:`mfpo.MFPO.learn`: a small protocol in the manner of
Stable-Baselines3.

Subclass :class:`BaseCallback` and override any of

``_on_training_start()``
    once, before the first step;
``_on_step() -> bool``
    after every environment step (one step of every sub-env of a vector
    env) and the updates that follow it; return ``False`` to stop training
    (``None`` counts as "go on");
``_on_episode_end(episode)``
    for every finished episode (an :class:`mfpo.envs.Episode`: ``reward``,
    ``length``, ``env_index``, ``timesteps``);
``_on_training_end()``
    once, at the end (also when a callback stopped training).

Inside, ``self.model`` is the :class:`mfpo.MFPO`, ``self.num_timesteps``
the environment steps so far, ``self.n_calls`` the calls of ``on_step`` and
``self.locals`` the training loop's local variables. ``learn(callback=…)``
also takes a list of callbacks, or a function ``f(locals, globals) -> bool``
called at every step.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gymnasium as gym
import numpy as np
import numpy.typing as npt

from mfpo.envs import Episode, make_env
from mfpo.exceptions import ConfigError

if TYPE_CHECKING:
    from mfpo.agent import MFPO, PredictMode

__all__ = [
    "BaseCallback",
    "CallbackList",
    "CheckpointCallback",
    "ConvertCallback",
    "EvalCallback",
    "MaybeCallback",
    "StopTrainingOnRewardThreshold",
    "as_callback",
]


class BaseCallback:
    """Base class of callbacks; see the module's documentation."""

    def __init__(self, verbose: int = 0) -> None:
        self.verbose = verbose
        self.model: MFPO | None = None
        self.n_calls = 0
        self.num_timesteps = 0
        self.locals: dict[str, Any] = {}
        self.globals: dict[str, Any] = {}
        self.parent: BaseCallback | None = None
        """The EvalCallback that calls this one (callback_on_new_best,
        callback_after_eval), as in Stable-Baselines3."""

    # Called by MFPO.learn --------------------------------------------------

    def init_callback(self, model: MFPO) -> None:
        self.model = model
        self._init_callback()

    def on_training_start(self, locals_: dict[str, Any], globals_: dict[str, Any]) -> None:
        self.locals, self.globals = locals_, globals_
        self.num_timesteps = self._model.num_timesteps
        self._on_training_start()

    def on_step(self) -> bool:
        """Returns False to stop training."""
        self.n_calls += 1
        self.num_timesteps = self._model.num_timesteps
        return self._on_step() is not False

    def on_episode_end(self, episode: Episode) -> None:
        self._on_episode_end(episode)

    def on_training_end(self) -> None:
        self._on_training_end()

    def update_locals(self, locals_: dict[str, Any]) -> None:
        self.locals.update(locals_)

    # To override -----------------------------------------------------------

    def _init_callback(self) -> None:
        pass

    def _on_training_start(self) -> None:
        pass

    def _on_step(self) -> bool | None:
        return True

    def _on_episode_end(self, episode: Episode) -> None:
        pass

    def _on_training_end(self) -> None:
        pass

    @property
    def _model(self) -> MFPO:
        if self.model is None:
            raise RuntimeError(f"{type(self).__name__} is not attached to a model (init_callback was not called)")
        return self.model

    @property
    def logger(self) -> Any:
        return self._model.logger

    @property
    def training_env(self) -> Any:
        """The env ``learn`` steps (Stable-Baselines3's name)."""
        return self._model.get_env()


class CallbackList(BaseCallback):
    """Several callbacks called in order; training stops when any of them
    returns False from on_step."""

    def __init__(self, callbacks: Sequence[BaseCallback]) -> None:
        super().__init__()
        self.callbacks = list(callbacks)

    def _init_callback(self) -> None:
        for c in self.callbacks:
            c.init_callback(self._model)

    def on_training_start(self, locals_: dict[str, Any], globals_: dict[str, Any]) -> None:
        for c in self.callbacks:
            c.on_training_start(locals_, globals_)

    def _on_step(self) -> bool:
        go_on = True
        for c in self.callbacks:
            go_on = c.on_step() and go_on
        return go_on

    def _on_episode_end(self, episode: Episode) -> None:
        for c in self.callbacks:
            c.on_episode_end(episode)

    def _on_training_end(self) -> None:
        for c in self.callbacks:
            c.on_training_end()

    def update_locals(self, locals_: dict[str, Any]) -> None:
        for c in self.callbacks:
            c.update_locals(locals_)


class ConvertCallback(BaseCallback):
    """A function ``f(locals, globals) -> bool`` called at every step; False
    (not None) stops training."""

    def __init__(self, fn: Callable[[dict[str, Any], dict[str, Any]], bool | None], verbose: int = 0) -> None:
        super().__init__(verbose)
        self.fn = fn

    def _on_step(self) -> bool:
        return self.fn(self.locals, self.globals) is not False


MaybeCallback = None | BaseCallback | Sequence[BaseCallback] | Callable[[dict[str, Any], dict[str, Any]], Any]


def as_callback(callback: MaybeCallback) -> BaseCallback:
    """One BaseCallback for whatever learn() was given."""
    if callback is None:
        return CallbackList([])
    if isinstance(callback, BaseCallback):
        return callback
    if isinstance(callback, (list, tuple)):
        return CallbackList([as_callback(c) for c in callback])
    if callable(callback):
        return ConvertCallback(callback)
    raise ConfigError(f"callback: expected a BaseCallback, a list of them or a function; got {type(callback).__name__}")


class EvalCallback(BaseCallback):
    """Evaluates the model every ``eval_freq`` environment steps on
    ``eval_env`` (an env or an env id) for ``n_eval_episodes`` episodes with
    ``mode`` (default ``"best_of_n"``, the paper's evaluation rule), logs
    ``eval/mean_reward``, ``eval/std_reward`` and ``eval/mean_ep_length``, and
    keeps ``evaluations`` (a list of dicts: timesteps, mean_reward,
    std_reward, mean_ep_length), ``last_mean_reward`` and
    ``best_mean_reward``. With ``log_path`` it also writes
    ``evaluations.csv`` and, as Stable-Baselines3 does, ``evaluations.npz``
    (``timesteps``, ``results`` and ``ep_lengths``, one row of episodes per
    evaluation) there. With ``reward_threshold`` training stops once
    the mean reward reaches it.

    ``eval_freq`` counts environment steps of all sub-envs together
    (``model.num_timesteps``), not calls of the callback.
    """

    def __init__(
        self,
        eval_env: gym.Env | str,
        callback_on_new_best: BaseCallback | None = None,
        callback_after_eval: BaseCallback | None = None,
        n_eval_episodes: int = 5,
        eval_freq: int = 10_000,
        log_path: str | os.PathLike[str] | None = None,
        best_model_save_path: str | os.PathLike[str] | None = None,
        deterministic: bool | None = None,
        render: bool = False,
        verbose: int = 1,
        warn: bool = True,
        *,
        mode: PredictMode | None = None,
        reward_threshold: float | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(verbose)
        if render:
            raise ConfigError("EvalCallback: render=True: mfpo evaluates without rendering; render the env yourself")
        if mode is None:
            mode = "best_of_n" if deterministic is None else "deterministic" if deterministic else "sample"
        self.callback_on_new_best = callback_on_new_best
        self.callback_after_eval = callback_after_eval
        for cb in (callback_on_new_best, callback_after_eval):
            if cb is not None:
                cb.parent = self
        self.best_model_save_path = None if best_model_save_path is None else Path(best_model_save_path)
        if eval_freq < 1 or n_eval_episodes < 1:
            raise ConfigError(
                f"EvalCallback: eval_freq = {eval_freq}, n_eval_episodes = {n_eval_episodes}: expected ≥ 1"
            )
        if isinstance(eval_env, str):
            eval_env = make_env(eval_env)
        self.eval_env = eval_env
        self.eval_freq = int(eval_freq)
        self.n_eval_episodes = int(n_eval_episodes)
        self.mode: PredictMode = mode
        self.log_path = None if log_path is None else Path(log_path)
        self.reward_threshold = reward_threshold
        self.seed = seed
        self.evaluations: list[dict[str, float]] = []
        self._episodes: list[tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]] = []
        self.last_mean_reward = -np.inf
        self.best_mean_reward = -np.inf
        self._next_eval = self.eval_freq

    def _init_callback(self) -> None:
        for cb in (self.callback_on_new_best, self.callback_after_eval):
            if cb is not None:
                cb.init_callback(self._model)

    def _on_training_start(self) -> None:
        self._next_eval = (self.num_timesteps // self.eval_freq + 1) * self.eval_freq

    def _on_step(self) -> bool:
        if self.num_timesteps < self._next_eval:
            return True
        self._next_eval = (self.num_timesteps // self.eval_freq + 1) * self.eval_freq
        model = self._model
        seed = None if self.seed is None else self.seed + len(self.evaluations) * self.n_eval_episodes
        returns, lengths = model.evaluate(
            self.eval_env, self.n_eval_episodes, mode=self.mode, seed=seed, return_episode_rewards=True
        )
        row = {
            "timesteps": float(self.num_timesteps),
            "mean_reward": float(np.mean(returns)),
            "std_reward": float(np.std(returns)),
            "mean_ep_length": float(np.mean(lengths)),
        }
        self.evaluations.append(row)
        self._episodes.append((np.asarray(returns, np.float64), np.asarray(lengths, np.int64)))
        self.last_mean_reward = row["mean_reward"]
        go_on = True
        if self.last_mean_reward > self.best_mean_reward:
            self.best_mean_reward = self.last_mean_reward
            if self.best_model_save_path is not None:
                model.save(self.best_model_save_path / "best_model")
            if self.callback_on_new_best is not None:
                go_on = self.callback_on_new_best.on_step()
        if self.callback_after_eval is not None:
            go_on = self.callback_after_eval.on_step() and go_on
        logger = model.logger
        logger.record("eval/mean_reward", row["mean_reward"])
        logger.record("eval/std_reward", row["std_reward"])
        logger.record("eval/mean_ep_length", row["mean_ep_length"])
        logger.record("time/total_timesteps", self.num_timesteps)
        logger.dump(self.num_timesteps)
        if self.verbose >= 1 and not model.verbose:
            print(f"eval at {self.num_timesteps} steps: {row['mean_reward']:.2f} ± {row['std_reward']:.2f}", flush=True)
        if self.log_path is not None:
            self._write_csv()
        return go_on and (self.reward_threshold is None or self.last_mean_reward < self.reward_threshold)

    def _write_csv(self) -> None:
        assert self.log_path is not None
        self.log_path.mkdir(parents=True, exist_ok=True)
        with (self.log_path / "evaluations.csv").open("w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=["timesteps", "mean_reward", "std_reward", "mean_ep_length"])
            w.writeheader()
            w.writerows(self.evaluations)
        # Stable-Baselines3's file: the timesteps, and each evaluation's episode returns and lengths.
        np.savez(
            self.log_path / "evaluations.npz",
            timesteps=np.array([int(r["timesteps"]) for r in self.evaluations], np.int64),
            results=np.array([r for r, _ in self._episodes]),
            ep_lengths=np.array([n for _, n in self._episodes]),
        )


class StopTrainingOnRewardThreshold(BaseCallback):
    """Stable-Baselines3's: given to ``EvalCallback(callback_on_new_best=…)``,
    stops training once the evaluation's best mean reward reaches
    ``reward_threshold``."""

    def __init__(self, reward_threshold: float, verbose: int = 0) -> None:
        super().__init__(verbose)
        self.reward_threshold = float(reward_threshold)

    def _on_step(self) -> bool:
        parent = self.parent
        if not isinstance(parent, EvalCallback):
            raise ConfigError("StopTrainingOnRewardThreshold goes in EvalCallback(callback_on_new_best=...)")
        go_on = parent.best_mean_reward < self.reward_threshold
        if not go_on and self.verbose >= 1:
            print(f"stopping: the best mean reward {parent.best_mean_reward:.2f} reached {self.reward_threshold}")
        return go_on


class CheckpointCallback(BaseCallback):
    """Saves the model every ``save_freq`` environment steps (of all sub-envs
    together, ``model.num_timesteps``) to
    ``<save_path>/<name_prefix>_<num_timesteps>_steps.mfpo`` with
    :meth:`mfpo.MFPO.save`; with ``save_replay_buffer=True`` the replay
    buffer goes in too, so that training can resume exactly (for a single
    env, from a checkpoint taken at an episode's end; see docs/python.md).
    Each file is written atomically. ``saved`` lists the paths written.
    """

    def __init__(
        self,
        save_freq: int,
        save_path: str | os.PathLike[str],
        name_prefix: str = "mfpo",
        save_replay_buffer: bool = False,
        save_vecnormalize: bool = False,
        verbose: int = 0,
    ) -> None:
        super().__init__(verbose)
        if save_vecnormalize:
            raise ConfigError("CheckpointCallback: save_vecnormalize=True: mfpo has no VecNormalize to save")
        if save_freq < 1:
            raise ConfigError(f"CheckpointCallback: save_freq = {save_freq}: expected ≥ 1")
        if not name_prefix or os.sep in name_prefix:
            raise ConfigError(f"CheckpointCallback: name_prefix = {name_prefix!r}: expected a file name prefix")
        self.save_freq = int(save_freq)
        self.save_path = Path(save_path)
        self.name_prefix = name_prefix
        self.save_replay_buffer = bool(save_replay_buffer)
        self.saved: list[Path] = []
        self._next_save = self.save_freq

    def _init_callback(self) -> None:
        self.save_path.mkdir(parents=True, exist_ok=True)

    def _on_training_start(self) -> None:
        self._next_save = (self.num_timesteps // self.save_freq + 1) * self.save_freq

    def _on_step(self) -> bool:
        if self.num_timesteps >= self._next_save:
            self._next_save = (self.num_timesteps // self.save_freq + 1) * self.save_freq
            path = self.save_path / f"{self.name_prefix}_{self.num_timesteps}_steps.mfpo"
            self.saved.append(self._model.save(path, replay_buffer=self.save_replay_buffer))
            if self.verbose >= 1:
                print(f"saved a checkpoint to {path}", flush=True)
        return True
