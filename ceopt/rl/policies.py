"""Policies as numpy functions of a flat parameter vector, batched over parameter vectors.

A policy maps observations to actions through a small network whose weights are one flat
vector ``params`` of length ``n_params``, so that a CE distribution over ``params`` is a
distribution over policies. Every method accepts either one vector, ``params`` of shape
``(n_params,)`` with observations of shape ``(obs_dim,)`` or ``(m, obs_dim)``, or a
population, ``params`` of shape ``(n, n_params)`` with observations ``(n, m, obs_dim)``
(``m`` observations per parameter vector): the whole population acts in one batched matrix
product, with no Python loop over its members.

Inputs are scaled by the observation space: coordinates with finite bounds are mapped onto
[-1, 1] (MountainCar's velocity lives in ±0.07 and its position in [-1.2, 0.6]; unscaled, the
same weight means very different things for each), unbounded ones (or bounded only by
something like float32's largest value, wider than ``MAX_WIDTH``) are left as they are.
Bounds far wider than the values met in play shrink an input instead: LunarLander-v3 bounds
its velocities by ±10 where they stay within about ±1, so that a linear policy's biases
drown them out; ``scale_inputs=False`` reads such observations as they are.
``Discrete`` observations are one-hot encoded.

Outputs: for a ``Discrete(k)`` action space the network has ``k`` outputs (logits) and the
action is their argmax (so all-zero parameters pick the first action); for a ``Box`` action
space it has one output per action coordinate, squashed by tanh onto the bounds (coordinates
without useful bounds are left unsquashed, and clipped into a half-bounded space).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from gymnasium import spaces
from numpy.typing import ArrayLike, NDArray

from .._checks import flag

ACTIVATIONS = ("tanh", "relu")
#: Bounds wider than this are treated as no bounds (no input scaling, no action squashing).
MAX_WIDTH = 1e6


class MLPPolicy:
    """A feed-forward network policy: ``obs -> hidden layers -> action``.

    The flat vector holds, layer by layer, the weight matrix ``(fan_in, fan_out)`` in row-major
    order and then the bias ``(fan_out,)``.

    Parameters
    ----------
    observation_space : gymnasium.spaces.Box or Discrete
    action_space : gymnasium.spaces.Discrete or Box
    hidden : sequence of int
        Widths of the hidden layers; ``()`` gives a linear policy.
    activation : {"tanh", "relu"}
        Hidden-layer non-linearity (tanh keeps every unit's output bounded, which suits a
        search in parameter space; relu is the usual choice for gradient training).
    scale_inputs : bool
        Map Box observations with finite bounds onto [-1, 1] (the default); False reads them
        as they are, for spaces whose bounds are much wider than the values met in play.

    Example
    -------
    >>> import numpy as np, gymnasium as gym
    >>> env = gym.make("CartPole-v1")
    >>> policy = MLPPolicy(env.observation_space, env.action_space, hidden=(8,))
    >>> policy.n_params                    # (4 + 1) * 8 + (8 + 1) * 2
    58
    >>> P = np.random.default_rng(0).normal(size=(5, policy.n_params))  # 5 policies
    >>> policy.act(P, np.zeros((5, 3, 4))).shape                          # 3 observations each
    (5, 3)
    """

    def __init__(self, observation_space: spaces.Space, action_space: spaces.Space,
                 hidden: tuple[int, ...] | list[int] = (16,), activation: str = "tanh",
                 scale_inputs: bool = True):
        self.observation_space, self.action_space = observation_space, action_space
        self.scale_inputs = flag("scale_inputs", scale_inputs)
        self.obs_dim, self._obs_shift, self._obs_scale = _input_scaling(observation_space)
        if not self.scale_inputs:
            self._obs_shift, self._obs_scale = 0.0, 1.0
        self._box_obs = isinstance(observation_space, spaces.Box)
        self.discrete, self.action_shape, out_dim = _output_layout(action_space)
        if isinstance(hidden, int | np.integer):
            hidden = (hidden,)
        if any(not isinstance(h, int | np.integer) or h < 1 for h in hidden):
            raise ValueError(f"hidden must be a sequence of positive ints, got {hidden!r}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
        self.hidden, self.activation = tuple(int(h) for h in hidden), activation
        widths = (self.obs_dim, *self.hidden, out_dim)
        self.layer_shapes = list(zip(widths[:-1], widths[1:], strict=True))
        self.n_params = sum((fan_in + 1) * fan_out for fan_in, fan_out in self.layer_shapes)
        if not self.discrete:
            low = np.asarray(action_space.low, dtype=np.float64).ravel()
            high = np.asarray(action_space.high, dtype=np.float64).ravel()
            self._act_low, self._act_high = low, high
            self._squash, self._act_mid, self._act_half = _bounded(low, high)

    # -- parameters --------------------------------------------------------------------------
    def layers(self, params: NDArray) -> list[tuple[NDArray, NDArray]]:
        """Views ``(W, b)`` per layer, shapes ``(..., fan_in, fan_out)`` and ``(..., fan_out)``."""
        batch = params.shape[:-1]
        out, start = [], 0
        for fan_in, fan_out in self.layer_shapes:
            stop = start + fan_in * fan_out
            W = params[..., start:stop].reshape(*batch, fan_in, fan_out)
            b = params[..., stop:stop + fan_out]
            out.append((W, b))
            start = stop + fan_out
        return out

    def init_params(self, rng: np.random.Generator) -> NDArray:
        """Random parameters for gradient training: weights and biases uniform in
        ±1/sqrt(fan_in) (the usual default initialisation of a dense layer)."""
        chunks = []
        for fan_in, fan_out in self.layer_shapes:
            bound = 1.0 / math.sqrt(fan_in)
            chunks.append(rng.uniform(-bound, bound, (fan_in + 1) * fan_out))
        return np.concatenate(chunks)

    # -- acting ------------------------------------------------------------------------------
    def outputs(self, params: ArrayLike, obs: ArrayLike) -> NDArray:
        """The network's last layer before the action map: logits (Discrete) or pre-tanh values."""
        params, x = self._check(params, obs)
        return self._forward(params, x)[-1]

    def act(self, params: ArrayLike, obs: ArrayLike) -> NDArray:
        """Actions for the observations: ints for Discrete, floats of the space's dtype for Box.

        Shapes: ``params (n_params,)`` with ``obs (obs_dim,)`` or ``(m, obs_dim)``, giving
        ``()``/``(m,)`` (+ the action shape); or ``params (n, n_params)`` with
        ``obs (n, m, obs_dim)``, giving ``(n, m)`` (+ the action shape).
        """
        return self._action(self.outputs(params, obs))

    def network(self, params: ArrayLike) -> Callable[[NDArray], NDArray]:
        """The network with fixed parameters, as a function from raw observations to outputs:
        the fast path of a rollout, called once per environment step.

        One vector ``params (n_params,)`` maps observations ``(m, *obs_shape)`` to ``(m,
        out_dim)``; a population ``params (n, n_params)`` maps ``(n, *obs_shape)`` to
        ``(n, out_dim)``, row ``i`` through network ``params[i]``. ``params`` is checked and
        cut into layers once, here; each call is a few (batched) matrix products.
        """
        params = self._check_params(params)
        layers = self.layers(params)
        if self._box_obs and self.scale_inputs:
            # Fold the input scaling into the first layer: ((s - shift) / scale) @ W + b
            # = s @ (W / scale) + (b - (shift / scale) @ W), once instead of at every step.
            W, b = layers[0]
            scaled = W / self._obs_scale[:, None]
            layers[0] = (scaled, b - np.einsum("d,...de->...e", self._obs_shift, scaled))
        population = params.ndim == 2

        def forward(obs: NDArray) -> NDArray:
            # float64 first: numpy's batched products are 2-3x slower on mixed dtypes.
            h = (np.asarray(obs, dtype=np.float64).reshape(len(obs), -1) if self._box_obs
                 else self._encode(obs))
            for i, (W, b) in enumerate(layers):
                h = ((h[:, None, :] @ W)[:, 0] if population else h @ W) + b
                if i < len(layers) - 1:
                    h = self._activate(h)
            return h

        return forward

    def batch_actor(self, P: ArrayLike) -> Callable[[NDArray], NDArray]:
        """The population ``P (n, n_params)`` as one function ``obs (n, *obs_shape) ->
        actions``, row ``i`` of the observations acted on by ``P[i]``."""
        P = np.asarray(P, dtype=np.float64)
        if P.ndim != 2:
            raise ValueError(f"P must have shape (n, {self.n_params}), got {P.shape}")
        forward = self.network(P)
        return lambda obs: self._action(forward(obs))

    def probs(self, params: ArrayLike, obs: ArrayLike) -> NDArray:
        """Discrete spaces: the softmax of the logits, the stochastic policy pi(a|s)."""
        if not self.discrete:
            raise ValueError("probs needs a Discrete action space")
        return _softmax(self.outputs(params, obs))

    # -- training (episode-level CE) ---------------------------------------------------------
    def cross_entropy(self, params: ArrayLike, obs: ArrayLike,
                      actions: ArrayLike) -> tuple[float, NDArray]:
        """Mean cross-entropy ``-mean log pi(a_i | s_i)`` of one policy and its gradient.

        Minimising it is the weighted MLE of the state-conditional categorical pi(a|s) on
        the pairs (s_i, a_i): the CE update at the episode level. ``obs`` has shape
        ``(m, obs_dim)``, ``actions`` ``(m,)``; returns ``(loss, grad of shape (n_params,))``.
        """
        if not self.discrete:
            raise ValueError("cross_entropy needs a Discrete action space")
        params, x = self._check(params, obs)
        if params.ndim != 1 or x.ndim != 2:
            raise ValueError("cross_entropy takes one parameter vector and obs (m, obs_dim)")
        a = np.asarray(actions).astype(np.intp) - self.action_space.start
        if a.shape != (x.shape[0],):
            raise ValueError(f"actions must have shape ({x.shape[0]},), got {a.shape}")
        if a.size and (a.min() < 0 or a.max() >= self.action_space.n):
            raise ValueError(f"actions must lie in {self.action_space}")
        activations = self._forward(params, x)
        logits = activations[-1]
        log_p = logits - _logsumexp(logits)
        m = x.shape[0]
        loss = -float(log_p[np.arange(m), a].mean())
        # d loss / d logits = (softmax - onehot) / m; then back through the layers.
        delta = np.exp(log_p)
        delta[np.arange(m), a] -= 1.0
        delta /= m
        grads = []
        layers = self.layers(params)
        for i in range(len(layers) - 1, -1, -1):
            W, _ = layers[i]
            h_in = activations[i]
            grads.append(np.concatenate([(h_in.T @ delta).ravel(), delta.sum(axis=0)]))
            if i:
                delta = delta @ W.T
                # Derivative of the activation, written in terms of its output h_in.
                delta *= (1.0 - h_in**2) if self.activation == "tanh" else (h_in > 0)
        return loss, np.concatenate(grads[::-1])

    # -- internals ---------------------------------------------------------------------------
    def _check_params(self, params: ArrayLike) -> NDArray:
        """One parameter vector ``(n_params,)`` or a population ``(n, n_params)``, as floats."""
        params = np.asarray(params, dtype=np.float64)
        if params.ndim not in (1, 2) or params.shape[-1] != self.n_params:
            raise ValueError(f"params must have shape ({self.n_params},) or "
                             f"(n, {self.n_params}), got {params.shape}")
        return params

    def _check(self, params: ArrayLike, obs: ArrayLike) -> tuple[NDArray, NDArray]:
        params = self._check_params(params)
        x = self._encode(obs)
        shape = self.observation_space.shape
        if params.ndim == 2 and (x.ndim != 3 or x.shape[0] != params.shape[0]):
            raise ValueError(f"with {params.shape[0]} parameter vectors obs must have shape "
                             f"{(params.shape[0], 'm', *shape)}, got {np.shape(obs)}")
        if params.ndim == 1 and x.ndim > 2:
            raise ValueError(f"with one parameter vector obs must have shape {shape} or "
                             f"{('m', *shape)}, got {np.shape(obs)}")
        return params, x

    def _encode(self, obs: ArrayLike) -> NDArray:
        """Observations as scaled float rows of length ``obs_dim`` (one-hot for Discrete)."""
        space = self.observation_space
        if isinstance(space, spaces.Discrete):
            idx = np.asarray(obs).astype(np.intp) - space.start
            if idx.size and (idx.min() < 0 or idx.max() >= self.obs_dim):
                raise ValueError(f"observations must lie in {space}, got {obs!r}")
            return np.eye(self.obs_dim)[idx]
        x = np.asarray(obs, dtype=np.float64)
        k = len(space.shape)
        if x.shape[x.ndim - k:] != space.shape:
            raise ValueError(f"observations must end in the space's shape {space.shape}, got "
                             f"shape {x.shape}")
        x = x.reshape(*x.shape[:x.ndim - k], self.obs_dim)
        return (x - self._obs_shift) / self._obs_scale

    def _forward(self, params: NDArray, x: NDArray) -> list[NDArray]:
        """Input and output of every layer: ``[x, h_1, ..., logits]``."""
        batched = params.ndim == 2
        out = [x]
        layers = self.layers(params)
        for i, (W, b) in enumerate(layers):
            h = out[-1] @ W + (b[:, None, :] if batched else b)
            out.append(self._activate(h) if i < len(layers) - 1 else h)
        return out

    def _activate(self, h: NDArray) -> NDArray:
        return np.tanh(h) if self.activation == "tanh" else np.maximum(h, 0.0)

    def _action(self, z: NDArray) -> NDArray:
        """Network outputs ``(..., out_dim)`` to actions: argmax, or tanh onto the bounds."""
        if self.discrete:
            return self.action_space.start + z.argmax(axis=-1)
        # Coordinates with an infinite (or astronomically wide) bound are not squashed, but
        # a half-bounded one is still clipped into the space.
        a = np.where(self._squash, self._act_mid + self._act_half * np.tanh(z),
                     np.clip(z, self._act_low, self._act_high))
        return a.reshape(*a.shape[:-1], *self.action_shape).astype(self.action_space.dtype)

    def __repr__(self) -> str:
        unscaled = "" if self.scale_inputs else ", scale_inputs=False"
        return (f"{type(self).__name__}({self.observation_space}, {self.action_space}, "
                f"hidden={self.hidden}{unscaled}, n_params={self.n_params})")


class LinearPolicy(MLPPolicy):
    """A linear policy ``action = g(W s + b)``: an :class:`MLPPolicy` without hidden layers.

    Example
    -------
    >>> import gymnasium as gym
    >>> env = gym.make("CartPole-v1")
    >>> LinearPolicy(env.observation_space, env.action_space).n_params   # (4 + 1) * 2
    10
    """

    def __init__(self, observation_space: spaces.Space, action_space: spaces.Space,
                 scale_inputs: bool = True):
        super().__init__(observation_space, action_space, hidden=(), scale_inputs=scale_inputs)

    def __repr__(self) -> str:
        unscaled = "" if self.scale_inputs else ", scale_inputs=False"
        return (f"LinearPolicy({self.observation_space}, {self.action_space}{unscaled}, "
                f"n_params={self.n_params})")


def _bounded(low: NDArray, high: NDArray) -> tuple[NDArray, NDArray, NDArray]:
    """(which coordinates are usefully bounded, their midpoints, their half-widths).

    A bound counts when both ends are finite and the width at most ``MAX_WIDTH``: spaces that
    say "unbounded" with float32's largest value (as many environments do) would otherwise
    divide an input by 3e38, or squash an action onto ±3e38.
    """
    with np.errstate(invalid="ignore"):  # inf - inf where a coordinate is unbounded
        half = high / 2 - low / 2  # not (high - low) / 2: float64's max would overflow
        mid = low / 2 + high / 2
    bounded = np.isfinite(low) & np.isfinite(high) & (half > 0) & (half <= MAX_WIDTH / 2)
    mid = np.where(bounded, mid, 0.0)
    return bounded, mid, np.where(bounded, half, 1.0)


def _input_scaling(space: spaces.Space) -> tuple[int, NDArray | float, NDArray | float]:
    """(obs_dim, shift, scale) mapping usefully bounded coordinates onto [-1, 1]."""
    if isinstance(space, spaces.Discrete):
        return int(space.n), 0.0, 1.0
    if isinstance(space, spaces.Box):
        low = np.asarray(space.low, dtype=np.float64).ravel()
        high = np.asarray(space.high, dtype=np.float64).ravel()
        _, shift, scale = _bounded(low, high)
        return low.size, shift, scale
    raise ValueError(f"policies read Box or Discrete observations, got {space}")


def _output_layout(space: spaces.Space) -> tuple[bool, tuple[int, ...], int]:
    """(discrete, action shape, number of network outputs)."""
    if isinstance(space, spaces.Discrete):
        return True, (), int(space.n)
    if isinstance(space, spaces.Box):
        return False, tuple(space.shape), int(np.prod(space.shape))
    raise ValueError(f"policies act in Discrete or Box action spaces, got {space}")


def _logsumexp(z: NDArray) -> NDArray:
    top = z.max(axis=-1, keepdims=True)
    return top + np.log(np.exp(z - top).sum(axis=-1, keepdims=True))


def _softmax(z: NDArray) -> NDArray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
