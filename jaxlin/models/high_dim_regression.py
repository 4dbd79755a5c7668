"""High-dimensional linear regression, D2L 4.5.2–4.5.4: the weight-decay experiment.

200 inputs and 20 training examples: without a penalty the model fits the training data exactly
and the test loss stays high; `--weight-decay 3` shrinks w and the test loss falls. Book settings:
w ~ N(0, 1), b = 0, squared loss, SGD lr 0.003, batch 5, 100 epochs. ‖w‖ is reported each epoch.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxlin._util import checks
from jaxlin.models.interface import Book
from jaxlin.models.regression import squared_evaluate, squared_losses
from jaxlin.ops.affine import Params, affine
from jaxlin.ops.example_weights import checked_split

BOOK = Book(learning_rate=0.003, batch_size=5, num_epochs=100)
DATASET = "high_dim"
NUM_INPUTS = 200


def init(key: jax.Array) -> Params:
    """{"w": f32[200, 1] ~ N(0, 1), "b": f32[1] = 0}, the book's initialisation."""
    return {"w": jax.random.normal(key, (NUM_INPUTS, 1), jnp.float32), "b": jnp.zeros((1,), jnp.float32)}


def predict(params: Params, X: jax.Array) -> jax.Array:
    """ŷ: X f32[n, 200] -> f32[n]."""
    return jax.vmap(lambda x: affine(params, x)[0])(X)


LOSSES = squared_losses(predict)
_losses = squared_evaluate(predict)


def evaluate(params: Params, data) -> dict[str, jax.Array]:
    """The ½(ŷ − y)² loss over all the training data ("full_loss"), the validation and test splits,
    and the L2 norm of the weights ("w_norm"), which weight decay shrinks."""
    return {**_losses(params, data), "w_norm": jnp.linalg.norm(params["w"])}


def check_data(data) -> None:
    """Refuse splits that are not X [n, 200], y [n], and NaN or infinite values (ValueError)."""
    for name in ("train", "valid", "test"):
        split = getattr(data, name)
        if split is None:
            continue
        X, y = checked_split(split, f"the {name}")
        if X.shape[1:] != (NUM_INPUTS,) or y.shape != X.shape[:1]:
            raise ValueError(
                f"The high-dimensional model's {name} split must be X [n, {NUM_INPUTS}] and y [n]; "
                f"got {tuple(X.shape)} and {tuple(y.shape)}."
            )
        checks.finite(f"the {name} split", split)


def summarize(params: Params, data) -> dict[str, float]:
    """How far the learned w and b are from the truth (max |w − w*|, |b − b*|)."""
    return {
        "w_error": float(jnp.abs(params["w"][:, 0] - data.truth["w"]).max()),
        "b_error": float(jnp.abs(params["b"][0] - data.truth["b"])),
    }
