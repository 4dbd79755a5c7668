"""Optimizers: minibatch SGD from scratch, and the optax ones by name.

`sgd` is the book's `sgd(params, lr, batch_size)` rewritten as an `optax.GradientTransformation`,
so the scratch and the concise paths share one training step. The book divides by the batch size
because its loss is summed over the batch; jaxlin's losses are batch means, so the update is
simply −lr · grad.
"""
from __future__ import annotations

from collections.abc import Callable

import jax
import optax

from jaxlin import _checks


def sgd(learning_rate: float | jax.Array) -> optax.GradientTransformation:
    """Plain minibatch SGD, w ← w − lr · ∇w, with no state of its own.

    `learning_rate` is a positive number, or an array (as `optax.inject_hyperparams` passes it).
    """
    if not isinstance(learning_rate, jax.Array):
        _checks.positive_float("learning_rate", learning_rate)

    def init(params):
        del params
        return optax.EmptyState()

    def update(grads, state, params=None):
        del params
        return jax.tree_util.tree_map(lambda g: -learning_rate * g, grads), state

    return optax.GradientTransformation(init, update)


OPTIMIZERS: dict[str, Callable[..., optax.GradientTransformation]] = {
    "scratch-sgd": sgd,
    "sgd": optax.sgd,
    "momentum": lambda learning_rate: optax.sgd(learning_rate, momentum=0.9),
    "nesterov": lambda learning_rate: optax.sgd(learning_rate, momentum=0.9, nesterov=True),
    "adam": optax.adam,
    "adamw": optax.adamw,
    "rmsprop": optax.rmsprop,
    "adagrad": optax.adagrad,
}


def make_optimizer(name: str, learning_rate: float) -> optax.GradientTransformation:
    """An optimizer by name (see `OPTIMIZERS`), its learning rate kept in its state.

    `optax.inject_hyperparams` stores the learning rate as an array in the optimizer state, so
    a batch of states with different learning rates can be trained together under `jax.vmap`.
    """
    if name not in OPTIMIZERS:
        raise ValueError(f"Unknown optimizer {name!r}; choose one of: {', '.join(OPTIMIZERS)}.")
    learning_rate = _checks.positive_float("learning_rate", learning_rate)
    return optax.inject_hyperparams(OPTIMIZERS[name])(learning_rate=learning_rate)
