"""The sigmoid and binary cross-entropy, naive and stable (D2L 4.9's logistic regression).

σ(z) = 1 / (1 + exp(−z)) is the two-class softmax: softmax([0, z])₁ = σ(z). Written from the
definition, log σ(z) underflows: at z = −1e4, exp(1e4) = inf, σ = 0 and log σ = −inf, where the
true value is −1e4. The stable form log σ(z) = −softplus(−z), with softplus(t) = log(e⁰ + eᵗ)
the log-sum-exp of the two logits (0, t), computed as max(t, 0) + log1p(e^−|t|), keeps every exp()
in (0, 1]: softmax's story for two classes. (log1p also keeps e^−|t| below float32's epsilon, which
log(1 + ·) would round away: softplus(−20) = 2.1e-9, not 0.)
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxlin._util import checks


def naive_sigmoid(z: jax.Array) -> jax.Array:
    """1 / (1 + exp(−z)) straight from the definition, elementwise. Its log is unstable."""
    return 1 / (1 + jnp.exp(-z))


def softplus(t: jax.Array) -> jax.Array:
    """log(1 + exp(t)) without overflow, elementwise: the log-sum-exp of the two logits (0, t),
    `jnp.logaddexp` (max + log1p, with the right gradient σ(t) at the kink t = 0)."""
    return jnp.logaddexp(t, 0.0)


def log_sigmoid(z: jax.Array) -> jax.Array:
    """log σ(z) = −softplus(−z), finite for every finite z, elementwise."""
    return -softplus(-z)


def sigmoid(z: jax.Array) -> jax.Array:
    """σ(z) = exp(log σ(z)), elementwise: 0 or 1 only where float32 cannot tell σ from them."""
    return jnp.exp(log_sigmoid(z))


def binary_cross_entropy(p: jax.Array, y: jax.Array) -> jax.Array:
    """The book's form from probabilities: −y log p − (1 − y) log(1 − p), elementwise; p, y: f32[...]
    (y in {0, 1}, or soft). inf where p rounded to exactly 0 or 1 on the wrong side."""
    checks.same_shape("p", p, "y", y)
    return -(y * jnp.log(p) + (1 - y) * jnp.log(1 - p))


def sigmoid_binary_cross_entropy(z: jax.Array, y: jax.Array) -> jax.Array:
    """Binary cross-entropy from logits, stable: −y log σ(z) − (1 − y) log σ(−z), elementwise; z, y:
    f32[...]. Its gradient in z is σ(z) − y. (softplus(z) − y·z is the same number but loses digits
    to cancellation when y = 1 and z is large.)"""
    checks.same_shape("z", z, "y", y)
    return y * softplus(-z) + (1 - y) * softplus(z)
