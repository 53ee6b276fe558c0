"""Sampling distributions with a weighted maximum-likelihood ``fit``: the CE update's model."""

from ._base import Distribution
from .discrete import Bernoulli, Categorical
from .exponential import Exponential
from .gaussian import DiagGaussian, Gaussian

__all__ = ["Distribution", "Gaussian", "DiagGaussian", "Bernoulli", "Categorical",
           "Exponential"]
