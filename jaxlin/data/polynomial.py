"""Polynomial regression data, D2L 4.4.4: y = Σ wᵢ xⁱ/i! + noise, with a cubic truth.

The features of a scalar x are xⁱ/i! for i = 0..MAX_DEGREE (dividing by i! keeps the high powers
from dwarfing the rest); only the first four true weights are nonzero, so a degree-3 polynomial
fits, degree 1 underfits and degree 20 can overfit. The book's `max_degree = 20` builds the powers
0..19; jaxlin keeps x²⁰ too, so that `--degree D` means a polynomial of degree D for every D in
0..20 (x²⁰/20! is below 1e-9 for |x| < 3, so the extra feature changes no figure).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from jaxlin._util import checks
from jaxlin.data.dataset import Dataset

MAX_DEGREE = 20
BOOK_POLY_W = (5.0, 1.2, -3.4, 5.6)  # then zeros
BOOK_NUM_TRAIN = BOOK_NUM_TEST = 100
NOISE = 0.1


def polynomial_features(x: jax.Array, max_degree: int = MAX_DEGREE) -> jax.Array:
    """x: f32[n] -> f32[n, max_degree + 1], column i holding xⁱ / i!."""
    factorials = jnp.asarray([math.factorial(i) for i in range(max_degree + 1)], jnp.float32)
    return jnp.asarray(x, jnp.float32)[:, None] ** jnp.arange(max_degree + 1) / factorials


def true_weights(max_degree: int = MAX_DEGREE) -> jax.Array:
    """The book's weights: f32[max_degree + 1] = [5, 1.2, −3.4, 5.6, 0, ..., 0]."""
    return jnp.zeros(max_degree + 1, jnp.float32).at[:4].set(jnp.asarray(BOOK_POLY_W))


def polynomial_data(key: jax.Array, num_examples: int, noise: float = NOISE) -> tuple[jax.Array, jax.Array]:
    """`num_examples` examples: x ~ N(0, 1), X = polynomial_features(x) f32[n, 21],
    y = X · true_weights() + N(0, noise²) f32[n]."""
    n = checks.positive_int("num_examples", num_examples)
    key_x, key_noise = jax.random.split(key)
    X = polynomial_features(jax.random.normal(key_x, (n,), jnp.float32))
    return X, X @ true_weights() + noise * jax.random.normal(key_noise, (n,), jnp.float32)


def polynomial_dataset(
    key: jax.Array, *, num_train: int = BOOK_NUM_TRAIN, num_test: int = BOOK_NUM_TEST, source_dir=None, tfds_dir=None
) -> Dataset:
    """The book's data as a Dataset: train (X f32[100, 21], y f32[100]), test likewise;
    truth: {"w": f32[21]}. source_dir and tfds_dir are ignored (there are no files)."""
    del source_dir, tfds_dir
    train_key, test_key = jax.random.split(key)
    return Dataset(
        train=polynomial_data(train_key, num_train),
        test=polynomial_data(test_key, num_test),
        truth={"w": true_weights()},
        source=f"polynomial/{num_train}+{num_test}",
    )
