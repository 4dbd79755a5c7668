"""Synthetic regression data, D2L 3.2.1: y = Xw + b + noise."""
from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxlin import _checks


def synthetic_data(
    key: jax.Array, w: jax.Array, b: float, num_examples: int, noise: float = 0.01
) -> tuple[jax.Array, jax.Array]:
    """Draw `num_examples` examples of a noisy linear model.

    Args:
      key: PRNG key.
      w: f32[d], the true weights.
      b: the true bias (scalar).
      num_examples: n > 0.
      noise: standard deviation of the Gaussian noise on y.

    Returns:
      X: f32[n, d] with entries ~ N(0, 1); y: f32[n] = X @ w + b + N(0, noise**2).
    """
    n = _checks.positive_int("num_examples", num_examples)
    w = jnp.asarray(w, jnp.float32)
    if w.ndim != 1:
        raise ValueError(f"w must be a vector f32[d]; got shape {w.shape}.")
    if noise < 0:
        raise ValueError(f"noise is a standard deviation and must be >= 0, got {noise}.")
    key_x, key_noise = jax.random.split(key)
    X = jax.random.normal(key_x, (n, w.shape[0]), jnp.float32)
    y = X @ w + b + noise * jax.random.normal(key_noise, (n,), jnp.float32)
    return X, y
