"""What ``disp=`` shows of a run while it goes.

A run with a known budget of evaluations (``max_evals``) shows a progress bar (tqdm, on
standard error) with the best value, the elite threshold and the spread; any other run writes
a table of log lines through Python's :mod:`logging`, on the logger ``"ceopt"`` at level INFO.
The lines go through whatever logging the program has set up (at INFO even where the program
drops INFO, since ``disp`` asked for them); in a program that set up none, they go to standard
error. ``logging.getLogger("ceopt")
.setLevel(logging.WARNING)`` silences them, as it would any library's. Without tqdm installed
the bar becomes log lines too.

``disp`` is scipy's spelling; ``verbose`` (pycma's) is accepted as a synonym. Both take a bool
or a level: 0/False silent (the default), 1/True the bar or a line at iterations 1-3, every
10th up to 100 and every 100th after, 2 a line every iteration (never a bar). Restarts and the
end of the run always get a line.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import numpy as np

from ._checks import integer

LOGGER = logging.getLogger("ceopt")


def check_disp(disp: bool | int | None, verbose: bool | int | None = None) -> int:
    """The display level from ``disp`` or its synonym ``verbose`` (0 when neither is given)."""
    if disp is not None and verbose is not None and int(disp) != int(verbose):
        raise ValueError(f"disp={disp!r} and verbose={verbose!r} disagree: verbose is a "
                         f"synonym of disp, pass one of them")
    name, value = ("verbose", verbose) if disp is None else ("disp", disp)
    if value is None:
        return 0
    if isinstance(value, bool):
        return int(value)
    return min(integer(name, value, 0), 2)


def _due(nit: int) -> bool:
    """Whether level 1 shows iteration ``nit``: 1-3, every 10th to 100, every 100th after."""
    return nit <= 3 or (nit <= 100 and nit % 10 == 0) or nit % 100 == 0


def emit(text: str) -> None:
    """One line of the display: through the ``"ceopt"`` logger at INFO, even when the
    program's logging would drop INFO (``disp`` asked for it), unless the program set the
    logger's own level; on standard error when no handler anywhere would take it."""
    if not LOGGER.hasHandlers():
        print(text, file=sys.stderr, flush=True)
    elif LOGGER.level == logging.NOTSET:
        LOGGER.handle(LOGGER.makeRecord(LOGGER.name, logging.INFO, __file__, 0, text, None,
                                        None))
    else:
        LOGGER.info(text)


def _bar(total: int, unit: str, desc: str) -> Any:
    """A tqdm bar, or None without tqdm (then the display writes lines)."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, unit=unit, desc=desc, file=sys.stderr, dynamic_ncols=True,
                leave=True)


class Display:
    """Shows a run of the ask/tell solver: :meth:`after_tell` after each population,
    :meth:`close` at the end (which ends the bar and writes the closing line).

    ``level`` as :func:`check_disp` returns it; ``total``, the budget of evaluations when
    known (a bar at level 1). The lines are a table: iteration, evaluations, best value so
    far, elite threshold (``gamma``), the distribution's spread and the restarts so far.
    """

    HEADER = f"{'iter':>6} {'nfev':>10} {'best':>13} {'gamma':>13} {'spread':>10} {'restarts':>8}"

    def __init__(self, level: int, total: int | None = None, desc: str = "ceopt") -> None:
        self.level = level
        self.bar = _bar(total, "eval", desc) if level == 1 and total is not None else None
        self._restarts = 0
        self._header_due = True

    def after_tell(self, solver: Any) -> None:
        """Show the solver as its last ``tell`` left it."""
        if solver.nrestarts != self._restarts:
            self._restarts = solver.nrestarts
            self.line(f"restart {solver.nrestarts}: a new search with population "
                      f"{solver.popsize} at {solver.nfev:,} evaluations")
        if self.bar is not None:
            self.bar.set_postfix_str(f"best={solver.best_f:.6g} gamma={solver.gamma:.4g} "
                                     f"spread={solver.dist.spread:.3g} "
                                     f"restarts={solver.nrestarts}", refresh=False)
            self.bar.update(min(solver.nfev, self.bar.total) - self.bar.n)
        elif self.level >= 2 or _due(solver.nit):
            if self._header_due:
                self.line(self.HEADER)
                self._header_due = False
            self.line(f"{solver.nit:>6} {solver.nfev:>10,} {solver.best_f:>13.6g} "
                      f"{solver.gamma:>13.6g} {solver.dist.spread:>10.3g} "
                      f"{solver.nrestarts:>8}")

    def line(self, text: str) -> None:
        """One line: above the bar (so it stays intact), or through the logger."""
        if self.bar is not None:
            self.bar.write(text, file=sys.stderr)
        else:
            emit(text)

    def close(self) -> None:
        """End the bar (the outcome's line then goes through the logger)."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def outcome(result: Any) -> str:
    """The closing line of a minimisation: why it stopped, and what it found."""
    return (f"{result.message}: best {result.fun:.6g} after {result.nfev:,} evaluations, "
            f"{result.nit} iterations, {result.get('nrestarts', 0)} restarts")


def estimate_outcome(result: Any) -> str:
    """The closing line of a rare-event estimate (a ``RareEventResult``)."""
    return (f"{result.message}: probability {result.probability:.6g}, relative error "
            f"{result.rel_error:.3g}, after {result.nfev:,} evaluations")


class BatchDisplay:
    """Shows a rare-event estimate batch by batch (the levels' or stages' samples, then the
    final stage's): evaluations so far, the highest score of the batch and the share that
    reached the level. ``flip``: the scores are ``-g`` of a limit state, shown as the lowest
    ``g`` and the share with ``g <= 0``. A bar with ``total`` (``max_evals``) at level 1."""

    def __init__(self, level: int, target: float, total: int | None = None,
                 flip: bool = False, desc: str = "ceopt") -> None:
        self.level, self.target, self.flip = level, target, flip
        self.bar = _bar(total, "eval", desc) if level == 1 and total is not None else None
        self.nfev, self.batches = 0, 0
        extreme = "lowest g" if flip else "highest"
        self.header = f"{'batch':>6} {'nfev':>10} {extreme:>13} {'reached':>9}"

    def __call__(self, S: Any) -> None:
        """After a batch of scores ``S``."""
        self.batches += 1
        self.nfev += len(S)
        top = float(np.max(S)) if len(S) else np.nan
        shown = -top if self.flip else top
        share = float(np.mean(S >= self.target)) if len(S) else 0.0
        if self.bar is not None:
            name = "lowest_g" if self.flip else "highest"
            self.bar.set_postfix_str(f"{name}={shown:.4g} reached={share:.2%}", refresh=False)
            self.bar.update(min(self.nfev, self.bar.total) - self.bar.n)
            return
        if self.batches == 1:
            emit(self.header)
        emit(f"{self.batches:>6} {self.nfev:>10,} {shown:>13.6g} {share:>9.2%}")

    def close(self, result: Any) -> None:
        """End the bar and write the estimate (``result``, a ``RareEventResult``)."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        emit(estimate_outcome(result))
