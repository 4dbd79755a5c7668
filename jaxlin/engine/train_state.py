"""What training carries from epoch to epoch: the train state, one pytree, and the types around it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

# loss_fn(params, batch) -> mean loss over the batch, or (loss, {name: batch-mean metric}).
LossFn = Callable[[Any, Any], Any]
# eval_fn(params, eval_data) -> {name: scalar}, computed at the end of every epoch.
EvalFn = Callable[[Any, Any], Mapping[str, jax.Array]]
History = dict[str, list]  # metric name -> one value per epoch (a list of values per model in a sweep)


class TrainingDiverged(FloatingPointError):
    """The training loss became NaN or infinite."""


class TrainState(NamedTuple):
    """All that training carries from one epoch to the next, as one pytree (stackable, saveable).

    params: the model's parameters; opt_state: the optimizer's state (its learning rate included,
    see `jaxlin.make_optimizer`); key: the run's shuffle key, epoch e shuffling with
    `epoch_key(key, e)`; epoch: i32[], the number of epochs done.
    """

    params: Any
    opt_state: Any
    key: jax.Array
    epoch: jax.Array


def init_state(params: Any, optimizer: optax.GradientTransformation, key: jax.Array) -> TrainState:
    """The state before the first epoch: the optimizer's initial state and epoch 0."""
    return TrainState(params, optimizer.init(params), key, jnp.zeros((), jnp.int32))


class FitResult(NamedTuple):
    state: TrainState
    history: History
    best: Any = None  # with early stopping: the best epoch, a `jaxlin.engine.early_stopping.Best`

    @property
    def params(self) -> Any:
        return self.state.params

    @property
    def opt_state(self) -> Any:
        return self.state.opt_state
