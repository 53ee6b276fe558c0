"""OpenTURNS's reliability methods as peers on the problems of ``reliability_problems.py``.

The ``scipy.stats`` marginals become OpenTURNS distributions, joined by a ``NormalCopula``
(``problem.copula``, the normal-space correlation) for correlated inputs. The limit state is a
vectorised ``PythonFunction`` counting every row it evaluates: that count is ``nfev``.
Methods, with OpenTURNS's default settings (``ResourceMap``) unless said otherwise:

- ``ot-ce-standard``: ``StandardSpaceCrossEntropyImportanceSampling``, quantile level 0.25.
- ``ot-ce-physical``: ``PhysicalSpaceCrossEntropyImportanceSampling``, the inputs' own family
  as auxiliary (Normal: free mean and std; Exponential: free rate; LogNormal: free muLog),
  the nominal copula kept fixed so correlated inputs keep their dependence.
- ``ot-nais``: ``NAIS``, quantile level 0.25 (Gaussian-kernel mixture, Silverman bandwidth).
- ``ot-subset``: ``SubsetSampling``, conditional probability 0.1, proposal range 2.
- ``ot-form`` / ``ot-sorm``: from the mean with ``AbdoRackwitz``, ``Cobyla`` if that fails;
  SORM reports Breitung (Hohenbichler where Breitung is undefined); no error estimate.

Budgets. CE, NAIS and subset sampling draw ``N = maximumOuterSampling * blockSize`` points per
level until a level's quantile reaches the threshold, so a run costs ``N * levels`` and cannot
be capped. We set ``maximumOuterSampling = 1, blockSize = N`` (one vectorised call per level)
and ``N = budget / levels``. For CE and NAIS the level count does not follow ``log p / log q``
(4 to 9 here), so a pilot run of the same method at ``N = budget / 50`` (own seed, once per
problem and method) counts it; its evaluations are a one-off tuning cost, ``pilot_nfev``, not
in ``nfev``. CE and NAIS have no iteration cap: a run beyond 3 budgets or 5 minutes is stopped
and reported as failed (``RARE_EVENT_PEER_SECONDS=1200`` in the environment raises the time
limit, for a machine so loaded that a sound run takes longer). FORM / SORM cost what the
optimiser (calls capped at ``budget``) and the finite differences need.

    python benchmarks/rare_event_peers.py [--problems tail] [--methods ot-nais] [--seeds 3]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reliability_problems import problems  # noqa: E402

try:
    import openturns as ot
except ImportError:  # pragma: no cover - the benchmark is optional
    ot = None

METHODS = ("ot-ce-standard", "ot-ce-physical", "ot-nais", "ot-subset", "ot-form", "ot-sorm")
CE_QUANTILE = 0.25   # CrossEntropyImportanceSampling- / NAIS-DefaultQuantileLevel
# pilot: N = budget / 50 per level, its own seed; more than 50 levels means a stalled quantile
PILOT_FRACTION, PILOT_SEED, MAX_LEVELS = 50, 2**31 - 1, 50
STALL_BUDGETS = 3   # abort a run beyond 3 budgets, or MAX_SECONDS
MAX_SECONDS = float(os.environ.get("RARE_EVENT_PEER_SECONDS", 300.0))
_LEVELS = {}   # (problem name, method, budget) -> (levels, pilot evaluations, pilot error)


def available() -> bool:
    return ot is not None


def _marginal(m):
    """The OpenTURNS twin of a frozen scipy marginal (norm, expon, lognorm)."""
    name, loc = m.dist.name, float(m.support()[0])
    if name == "norm":
        return ot.Normal(float(m.mean()), float(m.std()))
    if name == "expon":   # OpenTURNS takes the rate lambda = 1 / scale
        return ot.Exponential(1.0 / (float(m.mean()) - loc), loc)
    if name == "lognorm":  # scipy's scale is exp(muLog), its shape s is sigmaLog
        s = float(m.args[0]) if m.args else float(m.kwds["s"])
        return ot.LogNormal(math.log(float(m.median()) - loc), s, loc)
    raise ValueError(f"no OpenTURNS twin for scipy.stats.{name}")


def _copula(problem):
    if problem.correlation is None:
        return ot.IndependentCopula(problem.dim)
    if problem.copula is None:
        raise ValueError("correlated inputs without a known normal-space correlation")
    return ot.NormalCopula(ot.CorrelationMatrix(np.asarray(problem.copula).tolist()))


def distribution(problem):
    return ot.JointDistribution([_marginal(m) for m in problem.marginals], _copula(problem))


def _event(problem, dist, counter):
    def g(X):
        X = np.asarray(X)
        counter[0] += len(X)
        return np.asarray(problem.g(X), dtype=float).reshape(-1, 1)

    f = ot.PythonFunction(problem.dim, 1, func_sample=g)
    return ot.ThresholdEvent(ot.CompositeRandomVector(f, ot.RandomVector(dist)),
                             ot.LessOrEqual(), 0.0)


def _physical_auxiliary(dist):
    """The nominal distribution as auxiliary, its copula fixed; active: Normal means and stds,
    Exponential rates, LogNormal muLogs, within wide finite bounds (L-BFGS needs them)."""
    active, lower, upper, k = [], [], [], 0
    for i in range(dist.getDimension()):
        m = dist.getMarginal(i)
        par, name = list(m.getParameter()), m.getImplementation().getClassName()
        if name == "Normal":
            mu, sd = par
            active += [k, k + 1]
            lower += [mu - 10 * sd, sd / 10]
            upper += [mu + 10 * sd, 10 * sd]
        elif name == "Exponential":
            active.append(k)
            lower.append(par[0] / 100)
            upper.append(par[0] * 100)
        elif name == "LogNormal":
            active.append(k)
            lower.append(par[0] - 10 * par[1])
            upper.append(par[0] + 10 * par[1])
        else:
            raise ValueError(f"no auxiliary family for {name}")
        k += len(par)
    initial = [dist.getParameter()[j] for j in active]
    return dist, active, initial, ot.Interval(lower, upper)


def _algorithm(method, event, dist):
    if method == "ot-subset":
        return ot.SubsetSampling(event)
    if method == "ot-ce-standard":
        return ot.StandardSpaceCrossEntropyImportanceSampling(event, CE_QUANTILE)
    if method == "ot-ce-physical":
        aux, active, initial, bounds = _physical_auxiliary(dist)
        return ot.PhysicalSpaceCrossEntropyImportanceSampling(
            event, aux, active, initial, bounds, CE_QUANTILE)
    return ot.NAIS(event, CE_QUANTILE)


def _sample(method, problem, n, max_evals, seed, counter):
    """One run drawing n points per level, in one vectorised call."""
    t0 = time.perf_counter()
    dist = distribution(problem)
    event = _event(problem, dist, counter)
    ot.RandomGenerator.SetSeed(seed)
    algo = _algorithm(method, event, dist)
    algo.setMaximumOuterSampling(1)
    algo.setBlockSize(n)

    # CE and NAIS have no iteration cap: a stalled quantile would loop forever. OpenTURNS
    # keeps no reference to the callback, so it must stay alive here until run() returns.
    def stop():
        return counter[0] > max_evals or time.perf_counter() - t0 > MAX_SECONDS

    algo.setStopCallback(stop)
    try:
        algo.run()
    except Exception as exc:
        if "User stopped" not in str(exc):
            raise
        raise RuntimeError(f"stopped after {counter[0]} evaluations, "
                           f"{time.perf_counter() - t0:.0f} s: stalled or too slow") from exc
    result = algo.getResult()
    return result.getProbabilityEstimate(), result.getCoefficientOfVariation()


def _levels(problem, method, budget):
    """Levels (final one included) a pilot run at n = budget / 50 per level needs."""
    key = (problem.name, method, budget)
    if key not in _LEVELS:
        n, counter = max(100, budget // PILOT_FRACTION), [0]
        try:
            _sample(method, problem, n, MAX_LEVELS * n, PILOT_SEED, counter)
            _LEVELS[key] = (max(1, round(counter[0] / n)), counter[0], None)
        except Exception as exc:
            _LEVELS[key] = (None, counter[0], f"pilot: {_reason(exc)}")
    return _LEVELS[key]


def _reason(exc):
    return str(exc).splitlines()[0][:200]


def _analytical(method, event, dist, budget):
    """AbdoRackwitz first; Cobyla when it fails, as it does where the finite-difference
    gradient vanishes at the start (kinks: |x1|, the four branches' minimum)."""
    errors = []
    for solver in (ot.AbdoRackwitz(), ot.Cobyla()):
        solver.setStartingPoint(dist.getMean())
        solver.setMaximumCallsNumber(budget)
        try:
            algo = (ot.FORM if method == "ot-form" else ot.SORM)(solver, event)
            algo.run()
            result = algo.getResult()
            if method == "ot-form":
                return result.getEventProbability(), math.nan
            try:
                return result.getEventProbabilityBreitung(), math.nan
            except Exception:  # undefined when a curvature has 1 + beta * kappa <= 0
                return result.getEventProbabilityHohenbichler(), math.nan
        except Exception as exc:
            errors.append(f"{solver.getClassName()}: {_reason(exc)[:150]}")
    raise RuntimeError("; ".join(errors))


def run(problem, method: str, seed: int, budget: int) -> dict:
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}")
    counter, out, t0 = [0], {}, time.perf_counter()
    try:
        if method in ("ot-form", "ot-sorm"):
            dist = distribution(problem)
            ot.RandomGenerator.SetSeed(seed)   # deterministic, set for uniformity
            estimate, cov = _analytical(method, _event(problem, dist, counter), dist, budget)
        else:
            levels, out["pilot_nfev"], error = _levels(problem, method, budget)
            t0 = time.perf_counter()
            if error:
                raise RuntimeError(error)
            n = max(100, round(budget / levels))
            estimate, cov = _sample(method, problem, n, STALL_BUDGETS * budget, seed, counter)
    except Exception as exc:  # a peer failing on a problem is a result, not a crash
        estimate, cov, out["reason"] = math.nan, math.nan, _reason(exc)
    out.update(estimate=float(estimate), reported_rel_error=float(cov), nfev=counter[0],
               seconds=time.perf_counter() - t0)
    return out


def _summary(problem, method, runs):
    est = np.array([r["estimate"] for r in runs])
    emp = np.std(est, ddof=1) / problem.exact if len(est) > 1 else math.nan
    print(f"== {problem.name:32s} {method:15s} median/exact="
          f"{np.median(est) / problem.exact:8.4g} emp.rel.err={emp:8.3g} "
          f"rep.rel.err={np.median([r['reported_rel_error'] for r in runs]):8.3g} "
          f"nfev={np.median([r['nfev'] for r in runs]):9.0f} "
          f"s/run={np.median([r['seconds'] for r in runs]):7.2f}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", default="", help="substring of the problem names")
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--budget", type=int, default=100_000)
    parser.add_argument("--skip", nargs="*", default=[], metavar="PROBLEM:METHOD",
                        help="pairs not to run, e.g. d=300:ot-nais (problem substring)")
    args = parser.parse_args()
    skip = [tuple(s.rsplit(":", 1)) for s in args.skip]
    if not available():
        sys.exit("openturns is not installed")
    for problem in (p for p in problems() if args.problems.lower() in p.name.lower()):
        for method in args.methods:
            if any(name in problem.name and m == method for name, m in skip):
                print(f"== {problem.name:32s} {method:15s} skipped")
                continue
            runs = []
            for seed in range(args.seeds):
                r = run(problem, method, seed, args.budget)
                runs.append(r)
                print(f"{problem.name:32s} {method:15s} seed={seed} est={r['estimate']:.4g} "
                      f"ratio={r['estimate'] / problem.exact:.4g} "
                      f"cov={r['reported_rel_error']:.3g} nfev={r['nfev']} "
                      f"t={r['seconds']:.2f}s pilot={r.get('pilot_nfev', 0)} "
                      f"{r.get('reason', '')}", flush=True)
            _summary(problem, method, runs)


if __name__ == "__main__":
    main()
