"""The objective a full-batch solve minimises: mean loss over the whole training data + λ · ½‖w‖²
(weight decay, D2L 4.5), for `jaxlin.engine.lbfgs`.

λ and scikit-learn's C: sklearn minimises ½‖w‖² + C · Σᵢ lossᵢ over n examples; divided by C · n
that is mean loss + (1 / (C · n)) · ½‖w‖², the same problem when C = 1 / (n · λ) (λ = 1e-4 on
Fashion-MNIST's 60,000 training images: C = 1/6). sklearn does not penalise the intercept either.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from jax.tree_util import Partial

from jaxlin.ops.regularization import weights_only


def _regularized(loss_fn, mask, data, weight_decay, params):
    loss = loss_fn(params, data)
    loss = loss[0] if isinstance(loss, tuple) else loss
    selected = mask(params) if callable(mask) else mask
    squares = jax.tree.map(lambda p, keep: jnp.vdot(p, p) if keep else jnp.zeros((), p.dtype), params, selected)
    return loss + weight_decay * 0.5 * sum(jax.tree.leaves(squares))


def regularized_objective(
    loss_fn: Callable, data: Any, weight_decay: float, mask: Any | Callable[[Any], Any] | None = None
) -> Partial:
    """objective(params) -> f32[] = loss_fn(params, data) + weight_decay · ½ Σ ‖leaf‖² over the
    leaves `mask` selects, as a `jax.tree_util.Partial` (the data and λ are its arrays).

    Args:
      loss_fn: (params, batch) -> the batch's mean loss f32[], or (mean loss, aux) as the models'
        `LOSSES` return it (e.g. `get_model("softmax").LOSSES["concise"]`).
      data: the whole training data as the loss takes it, e.g. (images f32[n, 784] in [0, 1],
        labels i32[n]); or a `Dataset`, whose train split is prepared here once (u8 images become
        f32, 4 bytes a pixel).
      weight_decay: λ >= 0, sklearn's C = 1 / (n · λ) (see the module's doc).
      mask: the penalised leaves: a pytree of bools shaped like params, or params -> one. Default
        `jaxlin.ops.regularization.weights_only`: every leaf named "w", so biases are not penalised (as in D2L).
    """
    if weight_decay < 0:
        raise ValueError(f"weight_decay must be >= 0, got {weight_decay}.")
    if hasattr(data, "prepared"):  # a jaxlin.data.Dataset (the engine does not import the data layer)
        data = data.prepared(data.train)
    mask = weights_only if mask is None else mask
    objective = _objective(loss_fn, mask) if callable(mask) else functools.partial(_regularized, loss_fn, mask)
    return Partial(objective, data, jnp.float32(weight_decay))


@functools.lru_cache(maxsize=64)
def _objective(loss_fn: Callable, mask: Callable) -> Callable:
    """One function object per (loss, mask), so that a new λ or new data reuse the compiled loop."""
    return functools.partial(_regularized, loss_fn, mask)
