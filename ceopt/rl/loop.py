"""What both RL methods do around each iteration: the target, a progress bar, one learning-curve
row per iteration, the callback, and the result's message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
from numpy.typing import NDArray
from scipy.optimize import OptimizeResult

from .._checks import real


def target_for(env_id: str, target_return: float | None) -> float | None:
    """``target_return``, else the environment's ``reward_threshold`` (475 for CartPole-v1)."""
    if target_return is not None:
        return real("target_return", target_return)
    return gym.spec(env_id).reward_threshold


def outcome_message(target: float | None, eval_returns: NDArray, reached: bool,
                    stop_reason: str, evaluated: str = "") -> str:
    """The result's ``message``: the target reached over so many evaluation episodes, or why
    the run stopped and how far its evaluation got."""
    if reached:
        return (f"target return {target:g} reached: mean {eval_returns.mean():g} over "
                f"{eval_returns.size} evaluation episodes{evaluated}")
    if target is None:
        return stop_reason
    return (f"{stop_reason}; target return {target:g} not reached (evaluation mean "
            f"{eval_returns.mean():g})")


class Iterations:
    """The learning curve of a run, a tqdm progress bar on stderr (none unless ``progress``),
    and the user's callback. A context manager: the bar closes whatever happens."""

    def __init__(self, env_id: str, max_iter: int, fields: tuple[str, ...], progress: bool,
                 callback: Callable[[OptimizeResult], Any] | None):
        from tqdm.auto import tqdm

        self.fields, self.rows = fields, []
        self.callback = callback
        self.bar = tqdm(total=max_iter, desc=env_id, unit="it", disable=not progress,
                        leave=False)

    def record(self, row: tuple, x: NDArray, fun: float, **shown: float) -> bool:
        """One iteration: its learning-curve ``row`` (in ``fields`` order), the parameters and
        score the callback sees, and the numbers the bar shows. True if the callback asks the
        run to stop."""
        self.rows.append(row)
        self.bar.set_postfix({name: f"{value:.4g}" for name, value in shown.items()},
                             refresh=False)
        self.bar.update()
        return self.callback is not None and bool(self.callback(OptimizeResult(
            x=x, fun=fun, nit=len(self.rows), history=self.history())))

    def history(self) -> dict[str, NDArray]:
        """The rows as one array per field."""
        if not self.rows:
            return {name: np.array([]) for name in self.fields}
        return {name: np.array(col)
                for name, col in zip(self.fields, zip(*self.rows, strict=True), strict=True)}

    def close(self) -> None:
        self.bar.close()

    def __enter__(self) -> Iterations:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
