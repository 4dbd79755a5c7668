"""Activation functions and their derivatives (D2L 4.1.2).

ReLU is written as the book writes it from scratch, max(x, 0). Its derivative at exactly 0 is a
convention: the book takes 0 (the left derivative), and so does `jax.nn.relu`, whose gradient is
defined by hand. But autodiff of `jnp.maximum(x, 0)` splits a tie evenly between its two arguments,
so `jax.grad(relu)(0.0)` is 0.5. Inputs of exactly 0 are rare with random weights, but not with
zero-initialised ones (D2L 4.8's symmetry exercise), where the two conventions differ.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

Activation = Callable[[jax.Array], jax.Array]


def relu(x: jax.Array) -> jax.Array:
    """max(x, 0), elementwise: f32[...] -> f32[...]. Its autodiff derivative is 1[x > 0] + ½·1[x = 0]."""
    return jnp.maximum(x, 0)


def prelu(x: jax.Array, alpha: float | jax.Array) -> jax.Array:
    """Parametrised ReLU, max(0, x) + α·min(0, x), elementwise: x: f32[...], alpha: f32[] or an array
    broadcastable against x (e.g. f32[features], one slope per unit) -> f32[...].

    α is a learnable parameter: ∂prelu/∂α = min(0, x). α = 0 is the ReLU, α = 1 the identity.
    """
    return jnp.maximum(x, 0) + alpha * jnp.minimum(x, 0)


# The parameter-free activations by name; prelu is not here because its slope is a parameter the model owns.
ACTIVATIONS: dict[str, Activation] = {"relu": relu, "sigmoid": jax.nn.sigmoid, "tanh": jnp.tanh}


def derivative(fn: Activation) -> Activation:
    """The elementwise derivative of a scalar function, as the book plots it: jax.grad of fn on each
    element (under vmap). fn: f32[] -> f32[]; returns x: f32[...] -> f32[...] (floating point x).

    derivative(relu)(0.0) is 0.5 (see the module's docstring); derivative(jax.nn.relu)(0.0) is 0.
    """
    elementwise = jax.vmap(jax.grad(fn))
    return lambda x: elementwise(jnp.ravel(x)).reshape(jnp.shape(x))
