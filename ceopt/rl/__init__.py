"""Policy search on gymnasium environments with the cross-entropy method (extra ``gym``).

- :class:`LinearPolicy`, :class:`MLPPolicy`: numpy policies with a flat parameter vector.
- :class:`EpisodeReturn`: the batched objective "mean episode return of each parameter vector".
- :func:`policy_search`: the CE method in a policy's parameter space.
- :func:`episode_cross_entropy`: the CE method at the episode level, training pi(a|s).
- :func:`save_policy`, :func:`load_policy`: a trained policy to and from an ``.npz``.
"""

try:
    import gymnasium  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError('ceopt.rl needs gymnasium: pip install gymnasium (or pip install ".[gym]" '
                      'in the ceopt checkout)') from exc

from .episode import episode_cross_entropy
from .io import load_policy, save_policy
from .policies import LinearPolicy, MLPPolicy
from .rollout import EpisodeReturn
from .search import policy_search

__all__ = ["EpisodeReturn", "LinearPolicy", "MLPPolicy", "episode_cross_entropy",
           "load_policy", "policy_search", "save_policy"]
