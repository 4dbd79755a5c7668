"""Many models in one compiled call: the training epoch under `jax.vmap`, over models.

Each model has its own parameters, optimizer state (holding its own learning rate, see
`jaxlin.make_optimizer`) and shuffle key; the data are shared, or given per model. A sweep over
4 learning rates x 3 seeds is one compiled epoch processing 12 models side by side, with the same
results as 12 separate runs.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from jaxlin import _checks
from jaxlin.training import EvalFn, LossFn, RunStart, epoch_key, make_epoch, run_epochs


class SweepResult(NamedTuple):
    params: Any  # every leaf with a leading model axis
    opt_state: Any
    histories: list[dict[str, list[float]]]  # one per model, like FitResult.history
    diverged: list[int | None]  # per model: the 1-based epoch whose loss was NaN/inf, or None


def grid(learning_rates: Sequence[float], seeds: Sequence[int]) -> list[dict]:
    """Every (learning rate, seed) pair, learning rate major: [{"lr": ..., "seed": ...}, ...]."""
    return [{"lr": lr, "seed": seed} for lr in learning_rates for seed in seeds]


def stack(trees: Sequence[Any]) -> Any:
    """Stack pytrees of the same structure along a new leading axis."""
    return jax.tree_util.tree_map(lambda *leaves: jnp.stack(leaves), *trees)


def unstack(tree: Any, index: int) -> Any:
    """Model `index` of a stacked pytree."""
    return jax.tree_util.tree_map(lambda leaf: leaf[index], tree)


def sweep(
    params: Any, loss_fn: LossFn, optimizer: optax.GradientTransformation, opt_state: Any,
    data: Any, *, keys: jax.Array, batch_size: int, num_epochs: int, has_aux: bool = False,
    eval_fn: EvalFn | None = None, eval_data: Any = None, data_per_model: bool = False,
    on_epoch: Callable[[int, dict[str, list[float]], Any, Any], None] | None = None,
) -> SweepResult:
    """Train M models together; `params`, `opt_state` and `keys` carry a leading axis of M.

    Model m's epoch e shuffles with `epoch_key(keys[m], e)`, as `fit(..., key=keys[m])` would.
    A model whose loss becomes NaN or infinite is reported in `diverged`, and the others go on.
    `data_per_model=True` when `data` (and `eval_data`) also carry the model axis.
    """
    num_epochs = _checks.positive_int("num_epochs", num_epochs)
    num_models = keys.shape[0]
    data_axis = 0 if data_per_model else None
    epoch_fn = jax.jit(jax.vmap(
        make_epoch(loss_fn, optimizer, batch_size=batch_size, has_aux=has_aux, eval_fn=eval_fn),
        in_axes=(0, 0, 0, data_axis, data_axis),
    ))
    diverged: list[int | None] = [None] * num_models

    def check(epoch: int, metrics: dict) -> None:
        for model, loss in enumerate(metrics["loss"]):
            if diverged[model] is None and not math.isfinite(loss):
                diverged[model] = epoch + 1

    result = run_epochs(
        epoch_fn, params, opt_state, lambda epoch: jax.vmap(epoch_key, (0, None))(keys, epoch),
        data, eval_data, start_epoch=0, num_epochs=num_epochs, on_epoch=on_epoch, check=check,
    )
    histories = [{name: [per_epoch[m] for per_epoch in values] for name, values in result.history.items()}
                 for m in range(num_models)]
    return SweepResult(result.params, result.opt_state, histories, diverged)


def sweep_runs(starts: Sequence[RunStart], loss_fn: LossFn, data: Any, **kwargs) -> SweepResult:
    """`sweep` over runs set up one by one: stacks their parameters, optimizer states and keys.

    The optimizers must differ only in hyperparameters kept in their state (`make_optimizer`).
    """
    return sweep(
        stack([s.params for s in starts]), loss_fn, starts[0].optimizer,
        stack([s.opt_state for s in starts]), data, keys=jnp.stack([s.shuffle_key for s in starts]),
        **kwargs,
    )
