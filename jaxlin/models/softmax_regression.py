"""Softmax regression on Fashion-MNIST, D2L 3.6 (from scratch) and 3.7 (concise).

The model is the affine map from the 784 flattened pixels to 10 logits, o = xW + b, the batch's
product written with `jaxlin.ops.dense.dense` (the same x @ W, its weight gradient laid out for
XLA:CPU's fast path: an epoch about 1.6x faster). It takes f32 images in [0, 1]; the data layer's `prepare_images` makes them
from the u8 images inside the compiled epoch. The scratch path turns logits into probabilities
with `naive_softmax` and scores them with `cross_entropy`, exactly as the book does; the concise
path hands the logits to optax's log-sum-exp cross-entropy, which cannot overflow.
"""

from __future__ import annotations

import jax
import optax

from jaxlin.models.classification import check_image_splits
from jaxlin.models.interface import Book
from jaxlin.ops.affine import Params, init_affine
from jaxlin.ops.dense import dense
from jaxlin.ops.example_weights import split_batch, weighted_mean
from jaxlin.ops.losses import cross_entropy
from jaxlin.ops.metrics import correct, evaluate_splits
from jaxlin.ops.softmax import naive_softmax

BOOK = Book(learning_rate=0.1, batch_size=256, num_epochs=10)
DATASET = "fashion_mnist"
NUM_INPUTS = 28 * 28
NUM_OUTPUTS = 10
Batch = tuple  # (images f32[b, 28, 28] in [0, 1], labels i32[b]), and optionally weights f32[b]


def init(key: jax.Array) -> Params:
    """{"w": f32[784, 10] ~ N(0, 0.01²), "b": f32[10] = 0}, the book's initialisation."""
    return init_affine(key, NUM_INPUTS, NUM_OUTPUTS, scale=0.01)


def logits(params: Params, images: jax.Array) -> jax.Array:
    """images: f32[n, 28, 28] (or f32[n, 784]) in [0, 1] -> logits f32[n, 10], each row
    `jaxlin.ops.affine(params, image.reshape(-1))`."""
    return dense(images.reshape(images.shape[0], -1), params["w"]) + params["b"]


def predict(params: Params, images: jax.Array) -> jax.Array:
    """The most likely class of each image: f32[n, 28, 28] -> i32[n]."""
    return logits(params, images).argmax(-1)


def scratch_loss(params: Params, batch: Batch) -> tuple[jax.Array, dict[str, jax.Array]]:
    """The book's loss: cross_entropy(naive_softmax(o), y), batch mean (weighted when the batch has
    weights, `jaxlin.weights`); aux: train accuracy."""
    images, labels, weights = split_batch(batch)
    o = logits(params, images)
    return (
        weighted_mean(cross_entropy(naive_softmax(o), labels), weights),
        {"accuracy": weighted_mean(correct(o, labels), weights)},
    )


def concise_loss(params: Params, batch: Batch) -> tuple[jax.Array, dict[str, jax.Array]]:
    """The stable loss from logits (optax), batch mean (weighted when the batch has weights); aux:
    train accuracy."""
    images, labels, weights = split_batch(batch)
    o = logits(params, images)
    loss = weighted_mean(optax.softmax_cross_entropy_with_integer_labels(o, labels), weights)
    return loss, {"accuracy": weighted_mean(correct(o, labels), weights)}


LOSSES = {"scratch": scratch_loss, "concise": concise_loss}


def _per_example_metrics(params: Params, batch: Batch) -> dict[str, jax.Array]:
    images, labels, _ = split_batch(batch)
    o = logits(params, images)
    return {"loss": optax.softmax_cross_entropy_with_integer_labels(o, labels), "accuracy": correct(o, labels)}


def evaluate(params: Params, data, batch_size: int = 2048) -> dict[str, jax.Array]:
    """{"test_loss", "test_accuracy"} over the whole test split of `data`, in chunks (jit-able),
    and "valid_loss", "valid_accuracy" likewise when the data hold a validation split."""
    return evaluate_splits(_per_example_metrics, params, data, batch_size=batch_size)


def check_data(data) -> None:
    """Refuse a missing train or test split, images that are not 28 x 28, non-finite pixels and
    labels outside 0..9 (ValueError)."""
    check_image_splits(data, NUM_OUTPUTS, name="Softmax regression", required=("train", "test"))


def summarize(params: Params, data) -> dict[str, float]:
    """Nothing beyond the per-epoch figures: the command adds calibration and the test accuracy's
    error bars for every model with `logits` (`jaxlin.experiments.reliability.calibrate`)."""
    del params, data
    return {}
