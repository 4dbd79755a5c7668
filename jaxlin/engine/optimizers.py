"""Optimizers: minibatch SGD from scratch, and the optax ones by name, with weight decay.

`sgd` is the book's `sgd(params, lr, batch_size)` rewritten as an optax transformation, so the
scratch and the concise paths share one training step. The book divides by the batch size
because its loss is summed over the batch; jaxlin's losses are batch means, so the update is
simply −lr · grad (−lr · (grad + λ·w) for the weights with weight decay λ, written by hand here;
the optax optimizers get `optax.add_decayed_weights` chained before them, see `regularization`).
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import optax

from jaxlin._util import checks
from jaxlin.ops.regularization import decayed, weights_only


def sgd(
    learning_rate: float | jax.Array, weight_decay: float | jax.Array = 0.0
) -> optax.GradientTransformationExtraArgs:
    """Plain minibatch SGD, w ← w − lr · (∇w + λ·w) (λ = weight_decay, on the weights "w" only,
    not the biases), with no state of its own. Updates keep the gradients' dtype.

    `learning_rate` (positive) and `weight_decay` (≥ 0) are numbers, or arrays (as
    `optax.inject_hyperparams` passes them). Like optax's own, `update` accepts and ignores extra
    keyword arguments (e.g. `value=` from a line search).
    """
    if not isinstance(learning_rate, jax.Array):
        checks.positive_float("learning_rate", learning_rate)
    decays = isinstance(weight_decay, jax.Array) or _nonnegative("weight_decay", weight_decay) > 0

    def init(params):
        del params
        return optax.EmptyState()

    def update(grads, state, params=None, **extra_args):
        del extra_args
        if not decays:
            return jax.tree_util.tree_map(lambda g: (-learning_rate * g).astype(g.dtype), grads), state
        if params is None:
            raise ValueError("sgd with weight decay needs the parameters: pass params to update().")
        step = lambda g, w, decay: (-learning_rate * (g + weight_decay * w if decay else g)).astype(g.dtype)
        return jax.tree_util.tree_map(step, grads, params, weights_only(params)), state

    return optax.GradientTransformationExtraArgs(init, update)


def _nonnegative(name: str, value) -> float:
    return checks.float32_number(name, value, zero=True)  # the one float32 rule of every setting


OPTIMIZERS: dict[str, Callable[..., optax.GradientTransformation]] = {
    "scratch-sgd": sgd,
    "sgd": optax.sgd,
    "momentum": lambda learning_rate: optax.sgd(learning_rate, momentum=0.9),
    "nesterov": lambda learning_rate: optax.sgd(learning_rate, momentum=0.9, nesterov=True),
    "adam": optax.adam,
    "adamw": lambda learning_rate: optax.adamw(learning_rate, mask=weights_only),  # optax's 1e-4 decay, weights only
    "rmsprop": optax.rmsprop,
    "adagrad": optax.adagrad,
}


def _with_weight_decay(name: str) -> Callable[..., optax.GradientTransformation]:
    if name == "scratch-sgd":
        return sgd  # its own decay, written out
    if name == "adamw":  # decoupled weight decay, adamw's own
        return lambda learning_rate, weight_decay: optax.adamw(
            learning_rate, weight_decay=weight_decay, mask=weights_only
        )
    return lambda learning_rate, weight_decay: decayed(OPTIMIZERS[name](learning_rate), weight_decay)


def make_optimizer(name: str, learning_rate: float, weight_decay: float | None = None) -> optax.GradientTransformation:
    """An optimizer by name (see `OPTIMIZERS`), its learning rate (and weight decay λ, when
    given) kept in its state.

    `optax.inject_hyperparams` stores them as arrays in the optimizer state, so a batch of states
    with different learning rates or weight decays can be trained together under `jax.vmap`.
    Weight decay adds λ·w to the weights' gradient (not the biases'): L2 regularisation, the
    gradient of λ·½‖w‖²; for adamw it is adamw's own decoupled decay.
    """
    if name not in OPTIMIZERS:
        raise ValueError(f"Unknown optimizer {name!r}; choose one of: {', '.join(OPTIMIZERS)}.")
    learning_rate = checks.positive_float("learning_rate", learning_rate)
    if weight_decay is None:
        return optax.inject_hyperparams(OPTIMIZERS[name])(learning_rate=learning_rate)
    weight_decay = _nonnegative("weight_decay", weight_decay)
    with_decay = _with_weight_decay(name)
    return optax.inject_hyperparams(with_decay)(learning_rate=learning_rate, weight_decay=weight_decay)
