"""Losses as negative log-likelihoods (D2L 3.1.3 and exercise 3): minimising squared loss is
maximum likelihood under Gaussian noise, absolute loss under Laplace noise.

y = ŷ + ε with ε ~ N(0, σ²) gives −log p(y | ŷ) = ½(ŷ − y)²/σ² + log(σ√(2π)): for a fixed σ, the
squared loss scaled by 1/σ² plus a constant, so both have the same minimiser. With Laplace noise of
scale b, −log p = |ŷ − y|/b + log(2b). The densities themselves are `jax.scipy.stats.norm.pdf` and
`jax.scipy.stats.laplace.pdf`; the tests check these functions against their `logpdf`.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from jaxlin._util import checks
from jaxlin.ops.losses import absolute_loss, squared_loss


def _positive(name: str, value):
    """A Python number is checked here; an array (e.g. a σ being fitted, under jit) is taken as is."""
    return checks.positive_float(name, value) if isinstance(value, (int, float)) else value


def gaussian_nll(y_hat: jax.Array, y: jax.Array, sigma: float | jax.Array = 1.0) -> jax.Array:
    """−log N(y; ŷ, σ²) = squared_loss(ŷ, y)/σ² + log(σ√(2π)), elementwise: f32[...] -> f32[...]."""
    sigma = _positive("sigma", sigma)
    return squared_loss(y_hat, y) / sigma**2 + jnp.log(sigma * math.sqrt(2 * math.pi))


def laplace_nll(y_hat: jax.Array, y: jax.Array, scale: float | jax.Array = 1.0) -> jax.Array:
    """−log Laplace(y; ŷ, b) = absolute_loss(ŷ, y)/b + log(2b), elementwise: f32[...] -> f32[...]."""
    scale = _positive("scale", scale)
    return absolute_loss(y_hat, y) / scale + jnp.log(2 * scale)


def best_constant(y: jax.Array, loss: str = "squared") -> jax.Array:
    """The constant b minimising Σ loss(b, yᵢ) (D2L 3.1 exercise 1): the mean for "squared",
    a median for "absolute" (any point between the two middle values when n is even). y: f32[n] -> f32[]."""
    if loss == "squared":
        return jnp.mean(y)
    if loss == "absolute":
        return jnp.median(y)
    raise ValueError(f"loss must be 'squared' or 'absolute', got {loss!r}.")


def fit_constant(y: jax.Array, loss: str, num_steps: int = 2000, learning_rate: float = 0.01) -> jax.Array:
    """The same constant found by gradient descent on the mean loss, from b = 0: the check that
    the closed forms above are the minimisers. y: f32[n] -> f32[]."""
    if loss not in ("squared", "absolute"):
        raise ValueError(f"loss must be 'squared' or 'absolute', got {loss!r}.")
    per_example = {"squared": squared_loss, "absolute": absolute_loss}[loss]
    grad = jax.grad(lambda b: per_example(jnp.full_like(y, b), y).mean())
    return jax.lax.fori_loop(0, num_steps, lambda _, b: b - learning_rate * grad(b), jnp.zeros((), y.dtype))
