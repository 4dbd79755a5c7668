"""Weight initialisation (D2L 4.8.2): the book's N(0, 0.01²) and Xavier (Glorot) initialisation.

Xavier keeps the variance of the activations and of the gradients roughly constant from layer to
layer: a layer with n_in inputs and n_out outputs gets weights of variance 2 / (n_in + n_out), the
compromise between 1/n_in (forward pass) and 1/n_out (backward pass). jaxlin stores weights as
f32[inputs, outputs] (o = xW + b), so the fans are shape[0] and shape[1], as in
`jax.nn.initializers.glorot_uniform()`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import jax
import jax.numpy as jnp
from jax.typing import DTypeLike

from jaxlin._util import checks


def _fans(shape: Sequence[int]) -> tuple[int, int]:
    if len(shape) != 2:
        raise ValueError(
            f"Xavier initialisation needs a 2-D weight shape (n_in, n_out), got {tuple(shape)!r}; jaxlin's "
            "weights are f32[inputs, outputs] (for a bias, use zeros)."
        )
    return checks.positive_int("n_in (shape[0])", shape[0]), checks.positive_int("n_out (shape[1])", shape[1])


def normal(key: jax.Array, shape: Sequence[int], std: float = 0.01, dtype: DTypeLike = jnp.float32) -> jax.Array:
    """The book's default initialisation, N(0, std²) with std = 0.01: -> dtype[*shape] (any shape)."""
    if not isinstance(std, jax.Array):
        checks.positive_float("std", std)
    return std * jax.random.normal(key, tuple(shape), dtype)


def xavier_uniform(key: jax.Array, shape: Sequence[int], dtype: DTypeLike = jnp.float32) -> jax.Array:
    """U(−a, a) with a = sqrt(6 / (n_in + n_out)), so that the variance a²/3 is 2 / (n_in + n_out).

    shape: (n_in, n_out) -> dtype[n_in, n_out]. Raises ValueError for any other number of axes.
    """
    n_in, n_out = _fans(shape)
    a = math.sqrt(6.0 / (n_in + n_out))
    return jax.random.uniform(key, (n_in, n_out), dtype, minval=-a, maxval=a)


def xavier_normal(key: jax.Array, shape: Sequence[int], dtype: DTypeLike = jnp.float32) -> jax.Array:
    """N(0, 2 / (n_in + n_out)), a plain normal as in the book (jax.nn.initializers.glorot_normal
    truncates at two standard deviations and rescales instead).

    shape: (n_in, n_out) -> dtype[n_in, n_out]. Raises ValueError for any other number of axes.
    """
    n_in, n_out = _fans(shape)
    return math.sqrt(2.0 / (n_in + n_out)) * jax.random.normal(key, (n_in, n_out), dtype)
