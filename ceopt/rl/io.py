"""Saving a trained policy with what it takes to rebuild it, and loading it back."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import OptimizeResult

from .policies import LinearPolicy, MLPPolicy
from .rollout import env_spaces


def save_policy(path: str | Path, res: OptimizeResult, **meta: object) -> Path:
    """Write ``res``'s policy to an ``.npz``: its parameters, the architecture and environment
    (so :func:`load_policy` can rebuild it), its evaluation and learning curve, and ``meta``
    (for instance the method and seed), which must be JSON-serialisable like the result's
    ``env_kwargs``. Returns the path written (``.npz`` is appended when missing)."""
    policy: MLPPolicy = res.policy
    spec = {"env_id": res.env_id, "env_kwargs": res.get("env_kwargs", {}),
            "hidden": list(policy.hidden), "activation": policy.activation, **meta}
    if not policy.scale_inputs:  # the default is not written: older files lack the key
        spec["scale_inputs"] = False
    path = Path(path)
    if path.suffix != ".npz":  # numpy would add it, and the path returned would not exist
        path = path.with_name(path.name + ".npz")
    np.savez(path, params=res.x, eval_returns=res.eval_returns, spec=json.dumps(spec),
             **{f"history_{name}": column for name, column in res.history.items()})
    return path


def load_policy(path: str | Path) -> tuple[MLPPolicy, NDArray, dict]:
    """``(policy, params, spec)`` from a file written by :func:`save_policy`.

    Example
    -------
    >>> import tempfile, os
    >>> from ceopt.rl import policy_search
    >>> res = policy_search("CartPole-v1", seed=0, progress=False)
    >>> path = save_policy(os.path.join(tempfile.mkdtemp(), "p.npz"), res, seed=0)
    >>> policy, params, spec = load_policy(path)
    >>> bool(np.array_equal(params, res.x)), spec["env_id"], spec["seed"]
    (True, 'CartPole-v1', 0)
    >>> obs = np.random.default_rng(0).normal(size=(50, 4))
    >>> bool(np.array_equal(policy.act(params, obs), res.policy.act(res.x, obs)))
    True
    """
    with np.load(path) as data:
        spec = json.loads(str(data["spec"]))
        params = data["params"]
    spaces = env_spaces(spec["env_id"], **spec.get("env_kwargs", {}))
    scale_inputs = spec.get("scale_inputs", True)
    if spec["hidden"]:
        policy = MLPPolicy(*spaces, hidden=tuple(spec["hidden"]), activation=spec["activation"],
                           scale_inputs=scale_inputs)
    else:
        policy = LinearPolicy(*spaces, scale_inputs=scale_inputs)
    if params.shape != (policy.n_params,):
        raise ValueError(f"{path}: parameters of shape {params.shape} do not fit {policy!r}")
    return policy, params, spec
