"""Softmax, log-softmax and log-sum-exp (D2L 3.4, 3.6, 3.7).

`naive_softmax` is the book's definition, exp(o) / sum(exp(o)): the lesson, and the thing that
overflows (o = 1e4 gives inf / inf = nan) and underflows (o = -1e4 gives 0 / 0 = nan). The stable
forms subtract max(o) first, which changes nothing mathematically, since
softmax(o) = softmax(o - c) for any constant c, but keeps every exp() in (0, 1].
All functions act on the last axis, so they take one example f32[classes] or a batch.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxlin._util import checks


def naive_softmax(o: jax.Array) -> jax.Array:
    """Softmax straight from the definition: f32[..., q] -> f32[..., q]. Unstable on purpose."""
    e = jnp.exp(o)
    return e / e.sum(axis=-1, keepdims=True)


def _shift(o: jax.Array) -> jax.Array:
    # max() is -inf when every entry is -inf; shift by 0 then, so the result is nan-free where possible.
    m = jax.lax.stop_gradient(o.max(axis=-1, keepdims=True))
    return jnp.where(jnp.isfinite(m), m, 0.0)


def logsumexp(o: jax.Array) -> jax.Array:
    """log(sum(exp(o))) over the last axis, computed as m + log(sum(exp(o - m))): f32[..., q] -> f32[...]."""
    m = _shift(o)
    return (m + jnp.log(jnp.exp(o - m).sum(axis=-1, keepdims=True)))[..., 0]


def log_softmax(o: jax.Array) -> jax.Array:
    """log(softmax(o)) = o − logsumexp(o): f32[..., q] -> f32[..., q].

    Evaluated as (o − m) − log Σ exp(o − m): subtracting logsumexp(o) itself would cancel two
    large numbers (at o ≈ −1e4, float32 keeps only ~3 decimals of them).
    """
    shifted = o - _shift(o)
    return shifted - jnp.log(jnp.exp(shifted).sum(axis=-1, keepdims=True))


def softmax(o: jax.Array, temperature: float = 1.0) -> jax.Array:
    """Stable softmax of o / T, exp(o/T − m) / Σ exp(o/T − m): f32[..., q] -> f32[..., q], rows sum to 1.

    The temperature T > 0 flattens (T > 1, uniform as T → ∞) or sharpens (T < 1, one-hot on the
    largest as T → 0) the distribution without changing its argmax; T = 1 is the plain softmax.
    """
    if not isinstance(temperature, jax.Array):
        checks.positive_float("temperature", temperature)
    o = o / temperature  # exact for T = 1
    e = jnp.exp(o - _shift(o))
    return e / e.sum(axis=-1, keepdims=True)
