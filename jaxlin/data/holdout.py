"""Holding out a validation split from the training data (D2L 3.6.3's "validation dataset").

The test split is for the final figure only; choices made while training (how long, which
degree, which learning rate) are made on data held out from the training split. The held-out
examples are drawn from a key, so one seed always holds out the same ones, and for classification
data each class gives the same fraction (class-balanced), as scikit-learn's stratified split does.
K-fold cross-validation holds out each of k folds in turn (`kfold`, `fold`).
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from jaxlin._util import checks
from jaxlin.data.dataset import Dataset
from jaxlin.ops.order import random_order, take_examples


class SplitError(ValueError):
    """A validation fraction or a number of folds that the data cannot be split into."""


def validation_indices(
    key: jax.Array, labels: np.ndarray | None, num_examples: int, fraction: float
) -> tuple[np.ndarray, np.ndarray]:
    """The examples to keep for training and to hold out: (train i32[n − k], valid i32[k]).

    With `labels` (int[n]), each class holds out round(fraction · its count) of its examples;
    without, round(fraction · n) examples. Both index arrays are in increasing order.
    Raises ValueError when the fraction is not in (0, 1) or leaves a split empty.
    """
    fraction = checks.positive_float("the validation fraction", fraction)
    if not fraction < 1:
        raise SplitError(f"The validation fraction must be between 0 and 1 (e.g. 0.1), got {fraction}.")
    order = np.asarray(random_order(key, num_examples))
    if labels is None:
        held = order[: round(fraction * num_examples)]
    else:
        by_class = order[np.argsort(np.asarray(labels)[order], kind="stable")]  # random within class
        classes, first, counts = np.unique(np.asarray(labels)[by_class], return_index=True, return_counts=True)
        rank = np.arange(num_examples) - np.repeat(first, counts)
        held = by_class[rank < np.repeat(np.round(fraction * counts), counts)]
    if held.size in (0, num_examples):
        raise SplitError(
            f"A validation fraction of {fraction} of {num_examples} training examples leaves "
            f"{'no validation' if held.size == 0 else 'no training'} examples; choose a fraction "
            "that keeps at least one of each."
        )
    mask = np.zeros(num_examples, bool)
    mask[held] = True
    return np.flatnonzero(~mask).astype(np.int32), np.flatnonzero(mask).astype(np.int32)


def hold_out(data: Dataset, key: jax.Array, fraction: float) -> Dataset:
    """`data` with a fraction of its training examples moved to a validation split.

    Classification data (a `label_names` and (inputs, labels) training split) are held out class
    by class. The test split is left as it is.
    """
    n = checks.num_examples(data.train)
    labels = data.train[1] if data.label_names is not None else None
    train_idx, valid_idx = validation_indices(key, labels, n, fraction)
    take = lambda idx: take_examples(data.train, jnp.asarray(idx))
    return dataclasses.replace(data, train=take(train_idx), valid=take(valid_idx))


def kfold(key: jax.Array, num_examples: int, k: int) -> jax.Array:
    """K-fold cross-validation's folds: i32[k, n // k], a random partition of 0..n−1 into k equal
    folds (every example in exactly one). k must divide n, so that the k training sets have the
    same size and train together, stacked in one vmapped call."""
    n = checks.positive_int("num_examples", num_examples)
    k = checks.positive_int("k", k)
    if k < 2 or k > n or n % k:
        divisors = [d for d in range(2, n + 1) if n % d == 0][:8]
        raise SplitError(
            f"K-fold needs k from 2 to n that divides the {n} training examples (equal folds), "
            f"got k = {k}; try one of {', '.join(map(str, divisors)) or 'none: n is too small'}."
        )
    return random_order(key, n).reshape(k, n // k)


def fold(data: Dataset, folds: jax.Array, j: int) -> Dataset:
    """`data` with fold j of its training split as the validation split and the other folds as
    the training split (`folds` from `kfold`); the test split is left as it is."""
    rest = jnp.concatenate([folds[:j], folds[j + 1 :]]).reshape(-1)
    return dataclasses.replace(data, train=take_examples(data.train, rest), valid=take_examples(data.train, folds[j]))
