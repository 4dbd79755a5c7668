"""Argument checks shared by the public API: each raises a ValueError that says what to fix."""
from __future__ import annotations

import jax
import numpy as np


def positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    return int(value)


def positive_float(name: str, value) -> float:
    try:
        as_float = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a positive number, got {value!r}.") from None
    if not np.isfinite(as_float) or as_float <= 0:
        raise ValueError(f"{name} must be a positive, finite number, got {value!r}.")
    return as_float


def num_examples(tree) -> int:
    """The shared leading dimension of every array in `tree`; raises if they differ or are empty."""
    leaves = jax.tree_util.tree_leaves(tree)
    if not leaves:
        raise ValueError("No arrays given: pass at least one array of examples.")
    sizes = {np.shape(leaf)[0] if np.ndim(leaf) else None for leaf in leaves}
    if None in sizes:
        raise ValueError("Every data array needs a leading example axis; got a scalar.")
    if len(sizes) != 1:
        shapes = [tuple(np.shape(leaf)) for leaf in leaves]
        raise ValueError(
            f"All data arrays must have the same number of examples (leading axis); got shapes {shapes}."
        )
    (n,) = sizes
    if n == 0:
        raise ValueError("The data is empty (0 examples): nothing to train or evaluate on.")
    return int(n)


def same_shape(name_a: str, a, name_b: str, b) -> None:
    if np.shape(a) != np.shape(b):
        raise ValueError(
            f"{name_a} has shape {tuple(np.shape(a))} but {name_b} has shape {tuple(np.shape(b))}; "
            "they must match (reshape one, e.g. y.reshape(y_hat.shape), instead of relying on broadcasting)."
        )
