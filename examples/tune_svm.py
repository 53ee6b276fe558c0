"""Tuning a support-vector classifier over a mixed space: ceopt against optuna's default sampler.

    python examples/tune_svm.py                   # budget 150, seeds 0-9: about 3 min
    python examples/tune_svm.py --budget 60 --seeds 2

The model is scikit-learn's ``SVC`` on the breast-cancer data set (569 tumours, 30 features,
standardised). The hyperparameters mix every kind of variable: ``C`` and ``gamma`` on log
scales, the kernel (a choice), the polynomial degree (an integer) and the class weights (a
choice with ``None``). The loss is the 5-fold cross-validated error on 70 % of the data; the
other 30 % is held out, and the tuned model's error there is reported too, since the best
cross-validated error of a search is an optimistic estimate of itself.

Both tuners get the same number of evaluations. optuna runs its default sampler (TPE) with
its own recommended settings. Writes ``benchmarks/results/tuning.md``. Needs the ``peers``
extra: ``pip install ".[peers]"``.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

import ceopt  # noqa: E402

SPACE = {
    "C": ceopt.Real(1e-3, 1e3, log=True),
    "gamma": ceopt.Real(1e-5, 1e1, log=True),
    "kernel": ceopt.Choice(["rbf", "poly", "sigmoid", "linear"]),
    "degree": ceopt.Integer(1, 5),
    "class_weight": ceopt.Choice([None, "balanced"]),
}


def data(seed: int = 0):
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split
    X, y = load_breast_cancer(return_X_y=True)
    return train_test_split(X, y, test_size=0.3, random_state=seed, stratify=y)


def model(params: dict):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC
    return make_pipeline(StandardScaler(), SVC(**params))


class CVError:
    """The 5-fold cross-validated error of the SVC with ``params`` on the training part."""

    def __init__(self, X, y):
        self.X, self.y = X, y

    def __call__(self, params: dict) -> float:
        from sklearn.model_selection import cross_val_score
        return 1.0 - cross_val_score(model(params), self.X, self.y, cv=5).mean()


def tune_ceopt(loss: CVError, budget: int, seed: int) -> dict:
    res = ceopt.minimize(loss, space=SPACE, max_evals=budget, seed=seed)
    return res.x


def tune_optuna(loss: CVError, budget: int, seed: int) -> dict:
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def objective(trial):
        return loss({
            "C": trial.suggest_float("C", 1e-3, 1e3, log=True),
            "gamma": trial.suggest_float("gamma", 1e-5, 1e1, log=True),
            "kernel": trial.suggest_categorical("kernel", ["rbf", "poly", "sigmoid", "linear"]),
            "degree": trial.suggest_int("degree", 1, 5),
            "class_weight": trial.suggest_categorical("class_weight", [None, "balanced"]),
        })

    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(objective, n_trials=budget)
    return study.best_params


class Counted:
    """The loss, counting evaluations and keeping the best value seen (ceopt may stop a
    little short of the budget: its last population must fit)."""

    def __init__(self, loss):
        self.loss, self.n, self.best = loss, 0, np.inf

    def __call__(self, params):
        self.n += 1
        value = self.loss(params)
        self.best = min(self.best, value)
        return value


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--budget", type=int, default=150, help="evaluations per run (150)")
    ap.add_argument("--seeds", type=int, default=10, help="runs per tuner (10)")
    ap.add_argument("--out", type=Path,
                    default=Path(__file__).resolve().parents[1] / "benchmarks" / "results")
    args = ap.parse_args(argv)
    X_train, X_test, y_train, y_test = data()
    loss = CVError(X_train, y_train)
    rows = {}
    for name, tune in (("ceopt", tune_ceopt), ("optuna TPE", tune_optuna)):
        cv, held_out, used, seconds = [], [], [], []
        for seed in range(args.seeds):
            counted = Counted(loss)
            start = time.process_time()
            best = tune(counted, args.budget, seed)
            seconds.append(time.process_time() - start)
            cv.append(counted.best)
            used.append(counted.n)
            fitted = model(best).fit(X_train, y_train)
            held_out.append(1.0 - fitted.score(X_test, y_test))
            print(f"{name} seed {seed}: cv error {counted.best:.4f}, held-out "
                  f"{held_out[-1]:.4f}, {counted.n} evaluations, {best}")
        rows[name] = (cv, held_out, used, seconds)
    lines = [
        "# Tuning an SVC over a mixed space: ceopt against optuna",
        "",
        "Written by `python examples/tune_svm.py` (the set-up is in its docstring): "
        "scikit-learn's SVC on the breast-cancer data, `C` and `gamma` on log scales, the "
        "kernel, the polynomial degree and the class weights; the loss is the 5-fold "
        f"cross-validated error on 70 % of the data; {args.budget} evaluations per run, "
        f"{args.seeds} seeds per tuner; medians, with the range of the runs in brackets.",
        "",
        "| tuner | best CV error | held-out error of the tuned model | evaluations "
        "| CPU seconds |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, (cv, held_out, used, seconds) in rows.items():
        lines.append(f"| {name} | {np.median(cv):.4f} ({min(cv):.4f}–{max(cv):.4f}) | "
                     f"{np.median(held_out):.4f} ({min(held_out):.4f}–{max(held_out):.4f}) | "
                     f"{int(np.median(used))} | {np.median(seconds):.0f} |")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "tuning.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
