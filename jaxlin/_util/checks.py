"""Argument checks shared by the public API: each raises a ValueError that says what to fix."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np


def positive_int(name: str, value, below: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    if below is not None and value >= below:
        raise ValueError(f"{name} must be below {below}, got {value}.")
    return int(value)


F32_TINY = float(np.finfo(np.float32).tiny)  # about 1.2e-38, the smallest normal float32
FLOAT32_RULE = "from 1.2e-38 to 3.4e38"  # float32's normal numbers (smaller ones are subnormal or 0)


def as_number(value) -> float | None:
    """A Python float for an int, float or NumPy/JAX number (not a bool or a string); else None."""
    if isinstance(value, (bool, np.bool_, str, bytes)) or np.ndim(value) != 0:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def float32_number(name: str, value, *, zero: bool = False) -> float:
    """The one rule for every float setting: a finite number > 0 (or ≥ 0 with `zero`) that
    float32, the dtype jaxlin computes in, holds as 0 or a normal number. Smaller magnitudes would
    round to 0 or be subnormal, which XLA's CPU code flushes to 0; larger ones overflow to inf.
    Callers check any narrower range of their own."""
    as_float = as_number(value)
    if as_float is None:
        raise ValueError(f"{name} must be {'a number ≥ 0' if zero else 'a positive number'}, got {value!r}.")
    if not np.isfinite(as_float) or not (as_float >= 0 if zero else as_float > 0):
        raise ValueError(
            f"{name} must be {'a finite number ≥ 0' if zero else 'a positive, finite number'}, got {value!r}."
        )
    with np.errstate(over="ignore", under="ignore"):
        single = np.float32(as_float)
    if not np.isfinite(single) or (as_float != 0 and single < F32_TINY):
        raise ValueError(
            f"{name} {value!r} is out of float32's range: give {'0 or ' if zero else ''}a number {FLOAT32_RULE}."
        )
    return as_float


def positive_float(name: str, value) -> float:
    """A positive number that float32 holds as a normal number (`float32_number`)."""
    return float32_number(name, value)


def num_examples(tree) -> int:
    """The shared leading dimension of every array in `tree`; raises if they differ or are empty."""
    leaves = jax.tree_util.tree_leaves(tree)
    if not leaves:
        raise ValueError("No arrays given: pass at least one array of examples.")
    if any(np.ndim(leaf) == 0 for leaf in leaves):
        raise ValueError("Every data array needs a leading example axis; got a scalar.")
    sizes = {np.shape(leaf)[0] for leaf in leaves}
    if len(sizes) != 1:
        shapes = [tuple(np.shape(leaf)) for leaf in leaves]
        raise ValueError(f"All data arrays must have the same number of examples (leading axis); got shapes {shapes}.")
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


def finite(name: str, tree) -> None:
    """Raise if any float array of `tree` holds NaN or inf (one reduction per array, on its device)."""
    for path, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]:
        if jnp.issubdtype(jnp.result_type(leaf), jnp.floating):
            bad = int(np.size(leaf) - jnp.isfinite(leaf).sum())
            if bad:
                raise ValueError(
                    f"{name}{jax.tree_util.keystr(path)} holds {bad} NaN or infinite value(s): "
                    "clean the data before training (a model cannot learn from them)."
                )


def labels_in_range(name: str, labels, num_classes: int) -> None:
    """Raise unless `labels` are integers in [0, num_classes)."""
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"{name} must be integer class ids, got dtype {labels.dtype}.")
    low, high = (int(v) for v in jax.device_get((labels.min(), labels.max())))
    if low < 0 or high >= num_classes:
        raise ValueError(
            f"{name} holds a label of {low if low < 0 else high}; the labels must be 0 to "
            f"{num_classes - 1} (class ids). Fix the data: inside compiled code a wrong label "
            "cannot raise and would silently pick another class or give NaN."
        )


def degree(value, max_degree: int) -> int:
    """A polynomial degree from 0 to max_degree."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= value <= max_degree:
        raise ValueError(f"degree must be an integer from 0 to {max_degree}, got {value!r}.")
    return int(value)
