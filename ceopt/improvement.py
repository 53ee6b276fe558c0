"""Local improvement of the best samples of each population: ``minimize(..., improve=...)``.

On combinatorial problems the CE method learns *where* good solutions lie faster than it
polishes one: a tour drawn from a nearly converged distribution still has a few crossed
edges that a 2-opt move would undo. So an improved run takes, after each population is
evaluated, its ``improve_best`` best samples (by default its elites) and lets each descend
by the moves of :mod:`ceopt.moves` until none improves it (a local optimum), or the budget
is spent. The improved samples replace the originals before the distribution is fitted, so
the CE update learns from local optima (a memetic, or Lamarckian, scheme). Local optima say
far more than raw samples, so an improved run draws a small population,
:func:`improved_defaults` (``benchmarks/results/combinatorial-tuning.md``: on eil51, ftv38,
st70 and nug20 at 100 and 400 n² evaluations, 2n samples with every elite improved did
better than the classic 2 n² with the best one improved on all eight, and than 20n on
seven; max(50, n) or 100 samples were not consistently better over five seeds).

The descent is first-improvement in batches: each sample goes through its moves in its own
order, :data:`BATCH` per dimension at a time, the batches of a few samples evaluated
in one call (:data:`CALL` points or more); the best of a batch is taken if it improves, and a
sample is a local optimum when a whole round of its moves has passed without improvement.
The best samples descend first, so that a budget too small for every descent is spent on
them. Descents stopped after 2n or 8n moves without a gain, to spare evaluations, left
symmetric tours 8-24 % above the optimum (st70, eil76; sweep 3 of the same file). Every
neighbour is evaluated through the objective and counted in ``nfev`` and ``max_evals``; the
move orders come from the run's generator, so a seed gives the same run.

**The order of the moves** is uniformly random (``order="random"``, the default but for
tours, which take the candidate moves below: :func:`default_order`). With
``order="model"`` it is drawn from the distribution: each untried move comes next with
probability proportional to ``exp(affinity)`` of the neighbour it makes, the distribution's
own measure of how likely that neighbour is (the Gumbel-max trick: sort the affinities plus
Gumbel noise), so that moves towards what the elites share are tried first. That is not the
default because it did not pay on the whole: at 400 n² evaluations (10 seeds) it lowered the
median error on eil76 (1.39 % against 1.86 %; 0.37 against 1.30 at 1000 n²) but raised it on
nine of the fourteen TSPLIB and QAPLIB instances (st70 0.74 against 0.37 %, chr12a 1.91
against 0), probably because descents that all head for the model's consensus make the
elites alike sooner; on PBO's bit flips it was level (``benchmarks/results/
combinatorial.md`` and ``pbo.md``, the ``-model-order`` rows). A family without ``log_prob``
or an affinity of its own gets the random order.

**Candidate moves** (``order="candidates"``, tours only). A black-box descent pays a whole
evaluation per neighbour, and a round of ``2opt+oropt`` at n = 100 is 33,000 of them, so a
descent's last round, the one that proves a local optimum, is what a run spends its budget on.
A dedicated TSP heuristic spends it on candidate lists: each city is only joined to its few
nearest. The CE model knows which items belong next to each other without any distances: an
item's :data:`CANDIDATES` likeliest neighbours under the transition matrix (before or after it,
:meth:`~ceopt.distributions.NodeTransition.likely_pairs`). So a descent tries, in a random
order, only the moves whose new pairs of neighbours are all likely
(:meth:`~ceopt.moves.Rearrangement.new_adjacencies`), finds them again after each gain, and
stops when none improves. A model that has not told an item's neighbours apart yet ties them
all, so the first populations descend over every move. A sample that ends below the run's best
value so far goes on over every move, so the point a run returns is a local optimum of the
whole neighbourhood, not only of its candidates (unless the budget ends first). Its later
descents being cheap, such a run draws at most :data:`CANDIDATES_POPSIZE` samples.
Moves too many to go through in turn (:attr:`~ceopt.moves.Moves.wide`: the exchanges of
longer stretches, ``"or3opt"``, which ``improve=True`` adds for tours here,
:data:`CANDIDATE_MOVES`) are tried only among the candidates, once the model has ruled
out some of the other moves and the wide candidates are at most :data:`WIDE_SHARE` times as
many as the others, and never in the rounds over every move.

**The search's best sample stays among the elites** of every fit in an improved run of tours
and assignments until a better one comes (``keep_best``, :data:`KEEP_BEST`): on a hard tour a
good local optimum is a lucky descent, which a model fitted to the next populations forgets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ._checks import integer
from .distributions import (
    Bernoulli,
    BernoulliTree,
    Distribution,
    NodeTransition,
    PlackettLuce,
    PositionMatrix,
    UnsupportedOperation,
)
from .moves import MOVES, Moves, Rearrangement, moves_named

#: Moves evaluated per sample and step, per dimension.
BATCH = 1
#: Samples descend side by side in groups of about this many evaluations per call.
CALL = 256
#: The orders a descent may try its moves in (module docstring).
ORDERS = ("candidates", "model", "random")
#: ``order="candidates"``: an item's likely neighbours are its this many likeliest.
CANDIDATES = 12
#: ``order="candidates"``: the wide moves (:attr:`ceopt.moves.Moves.wide`) join a descent's
#: candidates only while they are at most this many times as many as the others (at n = 100
#: under a uniform model they are four times as many, 133,771 against 33,086).
WIDE_SHARE = 2
#: Neighbours whose affinity is computed at once (times the dimension: bounds the memory).
AFFINITY_CHUNK = 1 << 22


#: The moves ``improve=True`` takes, by family: tours (2-opt and Or's moves did best on
#: symmetric and asymmetric TSPLIB instances: ``combinatorial-tuning.md``, sweep 2c),
#: assignments (swaps), rankings, bits.
DEFAULT_MOVES = {NodeTransition: "2opt+oropt", PositionMatrix: "swap", PlackettLuce: "insert",
                 Bernoulli: "flip", BernoulliTree: "flip"}


#: The moves ``improve=True`` takes for tours under candidate moves: the same, and the wide
#: :class:`~ceopt.moves.OrThreeOpt` among the candidates (``benchmarks/results/
#: combinatorial.md``: ``ceopt`` against ``ceopt-no-or3opt``).
CANDIDATE_MOVES = "2opt+oropt+or3opt"


#: The smoothing of an improved run of the position model (assignments) when none is given:
#: on nug12, chr12a, nug20 and tai20a (10 seeds, 400 n² evaluations) 0.3 left median errors
#: of 0, 0, 0 and 1.1 % against 0, 3.8, 0.3 and 1.2 % at the usual 0.7. On tours (the
#: transition model) it helped on two instances of seven and cost on three: kept at 0.7
#: (``benchmarks/results/combinatorial-tuning.md``, sweeps 4 and 5).
POSITION_SMOOTHING = 0.3


#: The population of an improved run over candidate moves is at most this: a run whose later
#: descents are cheap gains from many generations more than from many descents in each (the
#: first generation's, from random tours over every move, cost as much as ever). On the ten
#: TSPLIB tours at 400 n² evaluations (10 seeds): 2n cost eil76 (1.21 % median error against
#: 0.19 %) and kroA100 (0.43 against 0.14 %); 50 cost ftv33 and ftv38 (1.48 and 1.14 % against
#: 0 and 0.69 %, where the cap leaves 2n); on the seven tours of 48 cities or more 100 and 50
#: were level (their median errors summed to 3.5 % each, kro124p aside)
#: (``benchmarks/results/combinatorial.md``: ``ceopt``, ``ceopt-candidates-*``).
CANDIDATES_POPSIZE = 100


#: The families whose improved runs keep the search's best sample among the elites of every
#: fit (``keep_best``, :mod:`ceopt.updates.previous_mean`) when the method is ``"ce"``. A
#: lucky descent is rare on a hard tour, and without it the model forgets one as soon as the
#: next population is worse: on kro124p at 1000 n² evaluations (10 seeds) the median error
#: fell from 1.55 % to 0.27 %, and summed over the ten TSPLIB tours from 2.89 to 0.89 % (at
#: 400 n² from 8.53 to 7.69 %); eil51 lost (0.23 % against 0, optimal in 4 seeds instead of
#: 6), and the four QAPLIB instances were level (``benchmarks/results/combinatorial.md``:
#: ``ceopt`` against ``ceopt-no-keep``).
KEEP_BEST = (NodeTransition, PositionMatrix)


def improved_defaults(dist: Distribution, order: str = "random",
                      method: str | None = None) -> dict[str, float | bool]:
    """The options an improved run takes when they are not given: the population,
    ``max(50, 2 dim)`` (at most :data:`CANDIDATES_POPSIZE` over candidate moves); for the
    position model the smoothing; and under method ``"ce"`` (the default for these families)
    for tours and assignments the kept best sample (:data:`KEEP_BEST`)."""
    popsize = max(50, 2 * dist.dim)
    if order == "candidates":
        popsize = min(popsize, CANDIDATES_POPSIZE)
    defaults: dict[str, float | bool] = {"popsize": popsize}
    if isinstance(dist, PositionMatrix):
        defaults["smoothing"] = POSITION_SMOOTHING
    if isinstance(dist, KEEP_BEST) and method in (None, "ce"):
        defaults["keep_best"] = True
    return defaults


def default_order(dist: Distribution, moves: Moves) -> str:
    """``improve_order`` when none is given: candidate moves for tours (the transition model)
    under moves that rearrange places, a random order otherwise."""
    tours = isinstance(dist, NodeTransition) and isinstance(moves, Rearrangement)
    return "candidates" if tours else "random"


@dataclass
class Improvement:
    """Descents from the ``best`` best samples of each population by ``moves`` (None: as
    many as the population's elites), trying the moves in ``order`` (:data:`ORDERS`)."""

    moves: Moves
    best: int | None = None
    order: str = "random"

    @classmethod
    def parse(cls, improve: bool | str | Moves, best: int | None, dist: Distribution,
              order: str | None = "random") -> Improvement:
        """``improve=``, ``improve_best=`` and ``improve_order=`` checked against the run's
        family; True takes the family's :data:`DEFAULT_MOVES`, and order None its
        :func:`default_order`."""
        if order is not None and (not isinstance(order, str) or order not in ORDERS):
            raise ValueError(f"improve_order must be one of {ORDERS}, got {order!r}")
        if order == "candidates" and not isinstance(dist, NodeTransition):
            raise ValueError(f"improve_order='candidates' reads which items the model puts "
                             f"next to each other, so it applies to tours, "
                             f"Permutation(n, 'transition'); for a {type(dist).__name__} "
                             f"use 'random' or 'model'")
        default = improve is True
        if default:
            kind = next((k for k in DEFAULT_MOVES if isinstance(dist, k)), None)
            if kind is None:
                raise ValueError(f"improve=True has no default moves for a "
                                 f"{type(dist).__name__}: name them (one of {tuple(MOVES)}) "
                                 f"or pass a ceopt.moves.Moves of your own")
            improve = DEFAULT_MOVES[kind]
        if isinstance(improve, str):
            moves = moves_named(improve)
        elif isinstance(improve, Moves):
            moves = improve
        else:
            raise TypeError(f"improve must be one of {tuple(MOVES)} or a ceopt.moves.Moves, "
                            f"got {type(improve).__name__}")
        if order is None:
            order = default_order(dist, moves)
        if default and order == "candidates":
            moves = moves_named(CANDIDATE_MOVES)
        if order == "candidates" and not isinstance(moves, Rearrangement):
            raise ValueError("improve_order='candidates' needs moves that rearrange places "
                             "(the built-in permutation moves), to tell which items each "
                             f"move puts side by side; got {moves.name!r}")
        if not moves.suits(dist):
            fitting = [name for name, kind in MOVES.items() if kind().suits(dist)]
            hint = f"use {' or '.join(map(repr, fitting))}" if fitting else \
                "no built-in moves suit it; pass a ceopt.moves.Moves of your own"
            raise ValueError(f"improve={moves.name!r} does not apply to a "
                             f"{type(dist).__name__}: {hint}")
        return cls(moves, None if best is None else integer("improve_best", best, 1), order)

    def __call__(self, X: NDArray, losses: NDArray[np.float64],
                 evaluate: Callable[[NDArray], NDArray[np.float64]], budget: float,
                 rng: np.random.Generator, n_elite: int = 1,
                 dist: Distribution | None = None,
                 record: float = np.inf) -> tuple[NDArray, NDArray[np.float64], int]:
        """``X`` and ``losses`` with the best rows improved, and the evaluations spent.

        ``evaluate`` returns the losses (values to minimise) of a batch of points; at most
        ``budget`` points are evaluated; ``n_elite`` rows are improved if ``best`` is None;
        ``dist`` (the distribution that drew ``X``) orders the moves; ``record`` is the
        run's best loss so far, which a descent over the model's candidates must beat to go
        on over every move.
        """
        X, losses = X.copy(), losses.copy()
        n = X.shape[1]
        k = self.moves.count(n)
        if k == 0:
            return X, losses, 0
        batch = min(k, BATCH * n)
        ranked = np.argsort(np.where(np.isnan(losses), np.inf, losses), kind="stable")
        chosen = ranked[:min(n_elite if self.best is None else self.best, X.shape[0])]
        chosen = chosen[np.isfinite(losses[chosen])]
        # The best samples first, a few at a time: a budget too small for every descent
        # finishes the best ones rather than moving all of them a little.
        group = max(1, CALL // batch)
        spent = 0
        # Without the model that drew X there are no candidates: every move is tried.
        likely = dist.likely_pairs(CANDIDATES) \
            if self.order == "candidates" and dist is not None else None
        # The moves a round over every move tries (all but the wide ones).
        narrow = k if likely is None else self.moves.narrow(n)
        for start in range(0, chosen.size, group):
            rows = chosen[start:start + group]
            if likely is None:
                spent += self._descend(X, losses, rows, evaluate, budget - spent, rng, k,
                                       batch, dist)
                continue
            spent_here, whole = self._descend_candidates(X, losses, rows, evaluate,
                                                         budget - spent, rng, batch, likely)
            spent += spent_here
            # A new best of the run is a local optimum of every move, not only the likely
            # (but for the wide ones: a round of those would cost n³/6 evaluations).
            new_best = rows[(losses[rows] < record) & ~whole]
            if narrow:
                spent += self._descend(X, losses, new_best, evaluate, budget - spent, rng,
                                       narrow, batch, None)
            record = min(record, float(losses[rows].min()))
        return X, losses, spent

    def _descend(self, X: NDArray, losses: NDArray[np.float64], active: NDArray[np.intp],
                 evaluate: Callable[[NDArray], NDArray[np.float64]], budget: float,
                 rng: np.random.Generator, k: int, batch: int,
                 dist: Distribution | None) -> int:
        """Descents of the rows ``active`` of ``X`` side by side (in place), each until a
        round of its ``k`` moves brings nothing or ``budget`` is spent; the evaluations."""
        order = self._orders(X[active], k, rng, dist)
        at = np.zeros(active.size, dtype=np.intp)      # next place in each sample's order
        quiet = np.zeros(active.size, dtype=np.intp)   # moves tried since the last gain
        spent = 0
        while active.size:
            fits = active.size if budget == np.inf else int((budget - spent) // batch)
            if fits < 1:
                break
            keep = slice(0, fits)
            active, order, at, quiet = active[keep], order[keep], at[keep], quiet[keep]
            rows = np.arange(active.size)
            which = order[rows[:, None], (at[:, None] + np.arange(batch)) % k]
            better, used = self._step(X, losses, active, which, evaluate)
            spent += used
            at = (at + batch) % k
            quiet = np.where(better, 0, quiet + batch)
            going = quiet < k
            active, order, at, quiet = active[going], order[going], at[going], quiet[going]
        return spent

    def _descend_candidates(self, X: NDArray, losses: NDArray[np.float64],
                            active: NDArray[np.intp],
                            evaluate: Callable[[NDArray], NDArray[np.float64]], budget: float,
                            rng: np.random.Generator, batch: int,
                            likely: NDArray[np.bool_]) -> tuple[int, NDArray[np.bool_]]:
        """Descents of the rows ``active`` (in place) over their candidate moves, those
        that put only ``likely`` pairs of items side by side, in a random order; after each
        gain a row's candidates are found again. Each stops when its candidates bring
        nothing or ``budget`` is spent. The evaluations, and for each row whether its last
        candidates were all its moves (its end is then a local optimum of every move)."""
        order, limit, whole = self._candidates(X[active], likely, rng)
        going = np.flatnonzero(limit > 0)
        at = np.zeros(active.size, dtype=np.intp)      # = moves tried since the last gain
        spent = 0
        while going.size:
            fits = going.size if budget == np.inf else int((budget - spent) // batch)
            if fits < 1:
                break
            going = going[:fits]
            places = at[going, None] + np.arange(batch)
            tries = places < limit[going, None]        # the last batch may be short
            which = order[going[:, None], np.minimum(places, order.shape[1] - 1)]
            better, used = self._step(X, losses, active[going], which, evaluate, tries)
            spent += used
            gained = going[better]
            at[going] += batch
            if gained.size:
                order[gained], limit[gained], whole[gained] = self._candidates(
                    X[active[gained]], likely, rng)
                at[gained] = 0
            going = going[at[going] < limit[going]]
        return spent, whole

    def _step(self, X: NDArray, losses: NDArray[np.float64], rows: NDArray[np.intp],
              which: NDArray[np.intp], evaluate: Callable[[NDArray], NDArray[np.float64]],
              tries: NDArray[np.bool_] | None = None) -> tuple[NDArray[np.bool_], int]:
        """One batch of each descent: the neighbours of the rows ``rows`` of ``X`` by the
        moves ``which`` (those where ``tries``, default all) evaluated in one call, and each
        row moved to its batch's best where that improves it (in place). Which rows gained,
        and the evaluations spent."""
        tried = self.moves.neighbours(X[rows], which)                 # (a, batch, n)
        if tries is None:
            tries = np.ones(which.shape, dtype=bool)
        values = np.full(which.shape, np.inf)
        values[tries] = evaluate(tried[tries])
        values = np.where(np.isnan(values), np.inf, values)
        step = values.argmin(axis=1)
        found = values[np.arange(rows.size), step]
        better = found < losses[rows]
        X[rows[better]] = tried[better, step[better]]
        losses[rows[better]] = found[better]
        return better, int(tries.sum())

    def _candidates(self, X: NDArray, likely: NDArray[np.bool_], rng: np.random.Generator
                    ) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.bool_]]:
        """For each row of ``X``, its moves with the candidates first in a random order, how
        many candidates there are, and whether they hold every move a round over all tries
        (:meth:`~ceopt.moves.Rearrangement.narrow`). The candidates are the moves whose new
        neighbours are all ``likely``; the wide moves among them only once the others are
        not all candidates, and while they are at most :data:`WIDE_SHARE` times as many."""
        pairs = self.moves.pair_index(X.shape[1])                      # (w, k)
        narrow = self.moves.narrow(X.shape[1])
        order = np.zeros((X.shape[0], pairs.shape[1]), dtype=np.intp)
        limit = np.zeros(X.shape[0], dtype=np.intp)
        whole = np.zeros(X.shape[0], dtype=bool)
        for r, x in enumerate(X):  # the few rows descending side by side
            # near[p * n + q]: the items at places p, q are likely; the last: no new pair.
            near = np.append(likely[np.ix_(x, x)].ravel(), True)
            joined = near[pairs[0]]
            for column in pairs[1:]:                  # a move's few new pairs, in turn
                joined &= near[column]
            moves = np.flatnonzero(joined)
            n_narrow = int(np.searchsorted(moves, narrow))
            # Before the model has ruled out any other move it has not ruled out enough
            # wide ones either (at n < 60 they are fewer than twice the others even then).
            if n_narrow == narrow or moves.size - n_narrow > WIDE_SHARE * n_narrow:
                moves = moves[:n_narrow]
            limit[r] = moves.size
            whole[r] = n_narrow == narrow
            order[r, :moves.size] = rng.permutation(moves)
        return order, limit, whole

    def _orders(self, X: NDArray, k: int, rng: np.random.Generator,
                dist: Distribution | None) -> NDArray[np.intp]:
        """Each row's ``k`` moves in the order it tries them: drawn from ``dist``, each next
        move with probability proportional to ``exp(affinity)`` of its neighbour (the
        affinities plus Gumbel noise, sorted), or uniformly at random."""
        scores = None if self.order == "random" or dist is None else \
            self._affinities(X, k, dist)
        if scores is None:
            return rng.permuted(np.tile(np.arange(k), (X.shape[0], 1)), axis=1)
        # A move whose neighbour the model cannot draw (-inf) is still tried, last.
        scores = np.where(np.isfinite(scores), scores, -1e300)
        return np.argsort(-(scores + rng.gumbel(size=scores.shape)), axis=1, kind="stable")

    def _affinities(self, X: NDArray, k: int,
                    dist: Distribution) -> NDArray[np.float64] | None:
        """``dist.affinity`` of each row's ``k`` neighbours; None if ``dist`` has none."""
        scores = np.empty((X.shape[0], k))
        step = max(1, AFFINITY_CHUNK // X.shape[1])
        try:
            for r in range(X.shape[0]):  # the few rows descending together, not a population
                for start in range(0, k, step):
                    moves = np.arange(start, min(start + step, k))
                    scores[r, moves] = dist.affinity(
                        self.moves.neighbours(X[r:r + 1], moves[None, :])[0])
        except UnsupportedOperation:
            return None
        return scores
