"""Synthetic regression data: y = Xw + b + noise, the book's (D2L 3.2.1) and weight decay's (4.5.2)."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxlin._util import checks
from jaxlin.data.dataset import Dataset

BOOK_W = (2.0, -3.4)  # the book's true weights and bias
BOOK_B = 4.2
BOOK_NUM_EXAMPLES = 1000


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
    n = checks.positive_int("num_examples", num_examples)
    w = jnp.asarray(w, jnp.float32)
    if w.ndim != 1:
        raise ValueError(f"w must be a vector f32[d]; got shape {w.shape}.")
    if noise < 0:
        raise ValueError(f"noise is a standard deviation and must be >= 0, got {noise}.")
    key_x, key_noise = jax.random.split(key)
    X = jax.random.normal(key_x, (n, w.shape[0]), jnp.float32)
    y = X @ w + b + noise * jax.random.normal(key_noise, (n,), jnp.float32)
    return X, y


def linear_dataset(key: jax.Array, *, num_examples: int = BOOK_NUM_EXAMPLES, source_dir=None, tfds_dir=None) -> Dataset:
    """The book's linear-regression data (w = [2, −3.4], b = 4.2, noise 0.01) as a Dataset.

    train: (X f32[n, 2], y f32[n]); no test split; truth: {"w": f32[2], "b": f32[]}.
    source_dir and tfds_dir are ignored (there are no files), as every dataset loader takes them.
    """
    del source_dir, tfds_dir
    w, b = jnp.asarray(BOOK_W, jnp.float32), jnp.float32(BOOK_B)
    return Dataset(
        train=synthetic_data(key, w, b, num_examples), truth={"w": w, "b": b}, source=f"synthetic_linear/{num_examples}"
    )


def high_dim_dataset(
    key: jax.Array, *, num_inputs: int = 200, num_train: int = 20, num_test: int = 100, source_dir=None, tfds_dir=None
) -> Dataset:
    """D2L 4.5.2's data for weight decay: y = 0.05 + Σᵢ 0.01·xᵢ + N(0, 0.01²), d = 200 inputs and
    only 20 training examples (100 test), so that an unregularised model overfits.

    train, test: (X f32[n, d], y f32[n]); truth: {"w": f32[d], "b": f32[]}. source_dir and
    tfds_dir are ignored (there are no files).
    """
    del source_dir, tfds_dir
    w, b = jnp.full((num_inputs,), 0.01, jnp.float32), jnp.float32(0.05)
    train_key, test_key = jax.random.split(key)
    return Dataset(
        train=synthetic_data(train_key, w, b, num_train),
        test=synthetic_data(test_key, w, b, num_test),
        truth={"w": w, "b": b},
        source=f"high_dim/{num_inputs}/{num_train}+{num_test}",
    )
