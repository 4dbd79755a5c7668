"""Information theory for classification, D2L 3.4.7: surprisal, entropy, cross-entropy and KL.

Distributions are probability vectors along the last axis. `base` sets the unit: e (nats, the
default, as the losses use) or 2 (bits). 0 · log 0 counts as 0, as in the definitions.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax.scipy.special import entr, rel_entr, xlogy


def _in_base(nats: jax.Array, base: float) -> jax.Array:
    return nats if base == math.e else nats / math.log(base)


def surprisal(p: jax.Array, base: float = math.e) -> jax.Array:
    """−log p, elementwise: how surprised one is to see an outcome of probability p (inf at 0)."""
    return _in_base(-jnp.log(p), base)


def entropy(p: jax.Array, base: float = math.e) -> jax.Array:
    """H(p) = −Σ p log p, the expected surprisal: f32[..., q] -> f32[...]."""
    return _in_base(entr(p).sum(axis=-1), base)


def cross_entropy_between(p: jax.Array, q: jax.Array, base: float = math.e) -> jax.Array:
    """H(p, q) = −Σ p log q: the expected surprisal of outcomes drawn from p, coded for q.
    f32[..., k], f32[..., k] -> f32[...]; H(p, q) = H(p) + KL(p ‖ q) >= H(p)."""
    return _in_base(-xlogy(p, q).sum(axis=-1), base)


def kl_divergence(p: jax.Array, q: jax.Array, base: float = math.e) -> jax.Array:
    """KL(p ‖ q) = Σ p log(p / q) >= 0, zero only where p = q: f32[..., k], f32[..., k] -> f32[...]."""
    return _in_base(rel_entr(p, q).sum(axis=-1), base)
