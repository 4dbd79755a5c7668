"""What the regression models share: their two losses, built around the model's `predict`."""

from __future__ import annotations

from collections.abc import Callable

import jax
import optax

from jaxlin.ops.example_weights import split_batch, weighted_mean
from jaxlin.ops.losses import squared_loss
from jaxlin.ops.metrics import evaluate_splits


def squared_losses(predict: Callable[[dict, jax.Array], jax.Array]) -> dict[str, Callable]:
    """{"scratch": jaxlin's ½(ŷ − y)², "concise": optax.l2_loss (the same)}, each
    loss(params, (X, y)) -> (batch mean, {}); with (X, y, weights) the weighted mean."""

    def scratch_loss(params, batch):
        X, y, weights = split_batch(batch)
        return weighted_mean(squared_loss(predict(params, X), y), weights), {}

    def concise_loss(params, batch):
        X, y, weights = split_batch(batch)
        return weighted_mean(optax.l2_loss(predict(params, X), y), weights), {}

    return {"scratch": scratch_loss, "concise": concise_loss}


def squared_evaluate(predict: Callable[[dict, jax.Array], jax.Array]) -> Callable:
    """A regression model's `evaluate(params, data)`: the ½(ŷ − y)² loss with the epoch's final
    parameters over all the training data, as the book prints it ("full_loss"), and over the
    validation and test splits when the data have them ("valid_loss", "test_loss")."""

    def per_example(params, batch):
        X, y, _ = split_batch(batch)
        return {"loss": squared_loss(predict(params, X), y)}

    def evaluate(params, data):
        X, y, _ = split_batch(data.train)
        return {"full_loss": squared_loss(predict(params, X), y).mean(), **evaluate_splits(per_example, params, data)}

    return evaluate
