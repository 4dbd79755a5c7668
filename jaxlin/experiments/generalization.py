"""D2L 4.4's experiments on polynomial regression, each in one compiled call: the exact
least-squares fit against the degree (exercises 1 and 2) and against the amount of training
data (exercise 3). Minibatch SGD against the degree is a sweep (`--degree 0,1,...,20`).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from jaxlin._util.checks import degree as checked_degree
from jaxlin._util.checks import positive_int
from jaxlin.data.polynomial import MAX_DEGREE, polynomial_data
from jaxlin.engine.sweep import stack
from jaxlin.models import polynomial_regression as poly


def _nonempty(name: str, values: list) -> list:
    if not values:
        raise ValueError(f"{name} is empty; give at least one.")
    return values


def _losses(w: jax.Array, X: jax.Array, y: jax.Array, rows: jax.Array) -> jax.Array:
    """Mean ½(Xw − y)² over the rows where `rows` is 1."""
    return (rows * 0.5 * (X @ w - y) ** 2).sum() / rows.sum()


def exact_fits(data, degrees) -> dict[str, np.ndarray]:
    """The exact least-squares fit of each degree on `data` (a polynomial Dataset), vmapped:
    {"degree": i[D], "train_loss": f32[D], "test_loss": f32[D], "weights": f32[D, 21]}."""
    degrees = np.asarray(_nonempty("degrees", [checked_degree(d, MAX_DEGREE) for d in degrees]))
    if data.train is None or data.test is None:
        raise ValueError("exact_fits needs a polynomial Dataset with a train and a test split.")

    @jax.jit
    @jax.vmap
    def fit(masked):
        w = poly.solve(masked)["w"]
        ones = lambda split: jnp.ones(split[1].shape)
        return (w, _losses(w, *masked.train, ones(masked.train)), _losses(w, *masked.test, ones(masked.test)))

    weights, train, test = fit(stack([poly.with_options(data, degree=int(d)) for d in degrees]))
    return {
        "degree": degrees,
        "train_loss": np.asarray(train),
        "test_loss": np.asarray(test),
        "weights": np.asarray(weights),
    }


def data_size_curve(key: jax.Array, sizes, degree: int, num_test: int = 100) -> dict[str, np.ndarray]:
    """Train and test loss of the exact degree-`degree` fit on the first n of max(sizes) training
    examples, for each n in `sizes`, vmapped (the unused rows are zeroed, which leaves the
    least-squares solution unchanged). Returns {"size", "train_loss", "test_loss"}."""
    sizes = np.asarray(_nonempty("sizes", [positive_int("size", n) for n in sizes]))
    mask = poly.feature_mask(checked_degree(degree, MAX_DEGREE))
    train_key, test_key = jax.random.split(key)
    X, y = polynomial_data(train_key, int(sizes.max()))
    X_test, y_test = polynomial_data(test_key, num_test)

    @jax.jit
    @jax.vmap
    def fit(n):
        rows = (jnp.arange(X.shape[0]) < n).astype(jnp.float32)
        w = jnp.linalg.lstsq(X * mask * rows[:, None], y * rows)[0]
        return _losses(w, X * mask, y, rows), _losses(w, X_test * mask, y_test, jnp.ones(num_test))

    train, test = fit(jnp.asarray(sizes))
    return {"size": sizes, "train_loss": np.asarray(train), "test_loss": np.asarray(test)}
