"""Softmax regression on Fashion-MNIST, D2L 3.6 (from scratch) and 3.7 (concise).

The model is the affine map from the 784 flattened pixels to 10 logits, written for one image and
batched with vmap. Images stay u8 on the device and become f32 in [0, 1] inside the compiled step.
The scratch path turns logits into probabilities with `naive_softmax` and scores them with
`cross_entropy`, exactly as the book does; the concise path hands the logits to optax's
log-sum-exp cross-entropy, which cannot overflow.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import jax
import jax.numpy as jnp
import optax

from jaxlin.affine import Params, affine, init_affine
from jaxlin.data.device import preprocess_images
from jaxlin.losses import cross_entropy
from jaxlin.metrics import accuracy, evaluate
from jaxlin.optim import default_optimizer, make_optimizer
from jaxlin.softmax import naive_softmax
from jaxlin.sweep import SweepResult, grid, sweep_runs
from jaxlin.training import FitResult, RunStart, fit

NUM_INPUTS = 28 * 28
NUM_OUTPUTS = 10
Batch = tuple[jax.Array, jax.Array]  # (images u8[b, 28, 28], labels i32[b])


def init_softmax_regression(key: jax.Array) -> Params:
    """{"w": f32[784, 10] ~ N(0, 0.01²), "b": f32[10] = 0}, the book's initialisation."""
    return init_affine(key, NUM_INPUTS, NUM_OUTPUTS, scale=0.01)


def logits(params: Params, images: jax.Array) -> jax.Array:
    """images: u8[n, 28, 28] (or f32 in [0, 1]) -> logits f32[n, 10]."""
    pixels = preprocess_images(images) if images.dtype == jnp.uint8 else images
    return jax.vmap(lambda x: affine(params, x.reshape(-1)))(pixels)


def _correct(o: jax.Array, labels: jax.Array) -> jax.Array:
    """Per example: 1.0 where the highest logit is the true class (`evaluate` averages it)."""
    return (o.argmax(-1) == labels).astype(jnp.float32)


def scratch_loss(params: Params, batch: Batch) -> tuple[jax.Array, dict[str, jax.Array]]:
    """The book's loss: cross_entropy(naive_softmax(o), y), batch mean; aux: train accuracy."""
    images, labels = batch
    o = logits(params, images)
    return cross_entropy(naive_softmax(o), labels).mean(), {"accuracy": accuracy(o, labels)}


def concise_loss(params: Params, batch: Batch) -> tuple[jax.Array, dict[str, jax.Array]]:
    """The stable loss from logits (optax), batch mean; aux: train accuracy."""
    images, labels = batch
    o = logits(params, images)
    loss = optax.softmax_cross_entropy_with_integer_labels(o, labels).mean()
    return loss, {"accuracy": accuracy(o, labels)}


def _per_example_test_metrics(params: Params, batch: Batch) -> dict[str, jax.Array]:
    images, labels = batch
    o = logits(params, images)
    return {"test_loss": optax.softmax_cross_entropy_with_integer_labels(o, labels),
            "test_accuracy": _correct(o, labels)}


def evaluate_split(params: Params, data: Batch, batch_size: int = 2048) -> dict[str, jax.Array]:
    """{"test_loss", "test_accuracy"} over a whole split, in chunks (jit-able)."""
    return evaluate(_per_example_test_metrics, params, data, batch_size=batch_size)


LOSSES = {"scratch": scratch_loss, "concise": concise_loss}


def setup(key: jax.Array, optimizer: str, learning_rate: float) -> RunStart:
    """A run's starting point from its key: parameters, optimizer and its state, shuffle key."""
    init_key, shuffle_key = jax.random.split(key)
    params = init_softmax_regression(init_key)
    opt = make_optimizer(optimizer, learning_rate)
    return RunStart(params, opt, opt.init(params), shuffle_key)


def train_softmax_regression(
    key: jax.Array, train: Batch, test: Batch, *,
    implementation: Literal["scratch", "concise"] = "concise", optimizer: str | None = None,
    learning_rate: float = 0.1, batch_size: int = 256, num_epochs: int = 10,
    params: Params | None = None, opt_state=None, **fit_kwargs,
) -> FitResult:
    """The book's `train_ch3`: per epoch, train loss and accuracy and test accuracy in the history.

    `optimizer` defaults to the scratch `sgd` for the scratch path and `optax.sgd` for the concise.
    To continue a run, pass its params, opt_state and start_epoch; other keyword arguments
    (on_epoch, mesh, ...) go to `jaxlin.fit`.
    """
    start = setup(key, default_optimizer(implementation, optimizer), learning_rate)
    return fit(
        start.params if params is None else params, LOSSES[implementation], start.optimizer, train,
        key=start.shuffle_key, batch_size=batch_size, num_epochs=num_epochs, has_aux=True,
        eval_fn=evaluate_split, eval_data=test,
        opt_state=start.opt_state if opt_state is None else opt_state, **fit_kwargs,
    )


def sweep_softmax_regression(
    train: Batch, test: Batch, *, seeds: Sequence[int], learning_rates: Sequence[float],
    implementation: Literal["scratch", "concise"] = "concise", optimizer: str | None = None,
    batch_size: int = 256, num_epochs: int = 10, on_epoch=None,
) -> tuple[list[dict], SweepResult]:
    """Every (learning rate, seed) pair trained together in one vmapped, compiled epoch.

    Returns the configurations [{"lr", "seed"}, ...] and the SweepResult, model m being the
    same run as train_softmax_regression(jax.random.key(seed), ..., learning_rate=lr).
    """
    optimizer = default_optimizer(implementation, optimizer)
    configs = grid(learning_rates, seeds)
    starts = [setup(jax.random.key(c["seed"]), optimizer, c["lr"]) for c in configs]
    result = sweep_runs(
        starts, LOSSES[implementation], train, batch_size=batch_size, num_epochs=num_epochs,
        has_aux=True, eval_fn=evaluate_split, eval_data=test, on_epoch=on_epoch,
    )
    return configs, result
