"""Dropout from scratch (D2L 4.6.4).

During training each element is kept with probability 1 − p and scaled by 1/(1 − p), or set to 0:
the output's expectation is the input, E[h'] = (1 − p)·h/(1 − p) = h, so the next layer sees the same
scale at training and at test time (when dropout is off). The key comes first, as in `jax.random`.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp


def _check_rate(rate: float) -> float:
    if isinstance(rate, jax.core.Tracer):
        raise ValueError(
            "The dropout rate must be a Python float, known when the function is traced, not a traced array: "
            "under jit, close over it or mark it static (static_argnums)."
        )
    try:
        as_float = float(rate) if not isinstance(rate, bool) else math.nan
    except (TypeError, ValueError):
        as_float = math.nan
    if not 0.0 <= as_float <= 1.0:  # also False for nan
        raise ValueError(f"The dropout rate must be a number from 0 to 1 (the probability of dropping), got {rate!r}.")
    return as_float


def dropout_layer(key: jax.Array, x: jax.Array, rate: float) -> jax.Array:
    """Drop each element of x with probability `rate` and scale the survivors by 1/(1 − rate).

    key: a jax.random key; x: f32[...]; rate: a Python float in [0, 1], checked eagerly (it decides
    the branches below, so it cannot be traced; vmap over keys and x, not over rates) -> f32[...],
    x's shape and dtype. rate 0 returns x itself; rate 1 returns zeros (no survivor to rescale).
    A survivor is x · s with s = 1/(1 − rate) rounded to x's dtype: exactly x/(1 − rate) when 1 − rate is a
    power of 2 (rate 0.5, 0.75), else within an ulp of it.
    """
    rate = _check_rate(rate)
    if rate == 0.0:
        return x
    if rate == 1.0:
        return jnp.zeros_like(x)
    keep = jax.random.bernoulli(key, 1.0 - rate, jnp.shape(x))
    # A product with the scale, not x / (1 − rate): under jit XLA turns division by a constant into this product
    # anyway (1 ulp away from the quotient for most rates), so writing it makes jit and eager bitwise equal.
    scaled = jnp.asarray(x) * (1.0 / (1.0 - rate))
    return jnp.where(keep, scaled, 0)  # not keep * scaled: a dropped inf or nan must give 0, not nan
