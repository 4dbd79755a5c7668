"""Accuracy and chunked evaluation over a whole split (D2L 3.6.5)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp

from jaxlin._util import checks
from jaxlin.ops.order import batch_indices, take_examples


def correct(scores: jax.Array, labels: jax.Array) -> jax.Array:
    """Per example, 1.0 where the highest score is the true class: f32[n, q], int[n] -> f32[n]."""
    labels = jnp.asarray(labels)
    if scores.ndim != 2 or labels.shape != scores.shape[:1]:
        raise ValueError(f"accuracy wants scores f32[n, q] and labels int[n]; got {scores.shape} and {labels.shape}.")
    return (scores.argmax(axis=-1) == labels).astype(jnp.float32)


def accuracy(scores: jax.Array, labels: jax.Array) -> jax.Array:
    """Fraction of examples whose highest score is the true class.

    scores: f32[n, q] logits or probabilities (argmax is the same); labels: int[n] -> f32[].
    """
    return correct(scores, labels).mean()


def evaluate(
    per_example_fn: Callable[[Any, Any], Mapping[str, jax.Array]],
    params: Any,
    data: Any,
    *,
    batch_size: int = 2048,
    prepare: Callable[[Any], Any] | None = None,
) -> dict[str, jax.Array]:
    """Average per-example metrics over a whole split, `batch_size` examples at a time.

    per_example_fn(params, batch) -> {name: f32[batch]}; returns {name: mean over all n}. `prepare`
    is the data step applied to each chunk first. Jit-able: the chunks run in a `lax.map`, so
    memory stays bounded by one chunk.
    """
    n = checks.num_examples(data)
    full, rest = batch_indices(None, n, min(batch_size, n), shuffle=False)

    def sums(idx):
        batch = take_examples(data, idx)
        batch = batch if prepare is None else prepare(batch)
        return {k: v.sum() for k, v in per_example_fn(params, batch).items()}

    per_chunk = jax.lax.map(sums, full)
    totals = {k: v.sum() for k, v in per_chunk.items()}
    if rest.size:
        totals = {k: totals[k] + v for k, v in sums(rest).items()}
    return {k: v / n for k, v in totals.items()}


def evaluate_splits(
    per_example_fn: Callable[[Any, Any], Mapping[str, jax.Array]], params: Any, data: Any, *, batch_size: int = 2048
) -> dict[str, jax.Array]:
    """`evaluate` on each held-out split that `data` (a `jaxlin.data.Dataset`) has, validation then
    test: {"valid_<name>": ..., "test_<name>": ...} for each name per_example_fn returns."""
    figures = {}
    for split in ("valid", "test"):
        if getattr(data, split) is not None:
            means = evaluate(per_example_fn, params, getattr(data, split), batch_size=batch_size, prepare=data.prepare)
            figures.update({f"{split}_{name}": value for name, value in means.items()})
    return figures
