"""Per-example weights: the weighted empirical risk of D2L 4.9 (covariate and label shift).

A batch is (inputs, targets) or (inputs, targets, weights f32[b]); the models' losses take either,
and with weights they return the weighted mean Σ wᵢ ℓᵢ / Σ wᵢ. That is the mean over the data with
example i repeated wᵢ times (integer weights), and with every wᵢ = 1 it is the plain mean, bit for
bit. The weights travel in the data pytree, so the compiled epoch shuffles and gathers them with the
examples. Weights are checked where they enter (`check_weights`): inside compiled code a wrong
value cannot raise.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

# The weighted mean sums wᵢ ℓᵢ in float32 (at most 3.4e38) before dividing by Σ wᵢ: a total of at
# most 2^64 leaves room for losses up to ~1e19, beyond any loss that has not diverged anyway.
MAX_TOTAL = float(2**64)


def split_batch(batch: tuple) -> tuple[Any, Any, jax.Array | None]:
    """(inputs, targets) or (inputs, targets, weights) -> (inputs, targets, weights or None)."""
    if len(batch) not in (2, 3):
        raise ValueError(f"a batch is (inputs, targets) or (inputs, targets, weights); got {len(batch)} parts.")
    return (*batch, None) if len(batch) == 2 else tuple(batch)


def weighted_mean(values: jax.Array, weights: jax.Array | None = None) -> jax.Array:
    """Σ wᵢ vᵢ / Σ wᵢ over a batch: values f32[b], weights f32[b] >= 0 (None: the plain mean) -> f32[].

    A batch whose weights are all 0 has mean 0 (and no gradient) rather than 0/0."""
    if weights is None:
        return values.mean()
    total = weights.sum()
    return (weights * values).sum() / jnp.where(total > 0, total, 1)


def check_weights(weights, num_examples: int, name: str = "weights") -> jax.Array:
    """The weights as f32[n] on the device, or ValueError: wrong shape, NaN or infinite, negative,
    all zero (nothing would be learned), or summing to more than MAX_TOTAL (2^64)."""
    w = np.asarray(weights)
    if w.shape != (num_examples,):
        raise ValueError(f"{name} must hold one number per example, shape ({num_examples},); got shape {w.shape}.")
    if not (np.issubdtype(w.dtype, np.floating) or np.issubdtype(w.dtype, np.integer)) or w.dtype == bool:
        raise ValueError(f"{name} must be numbers, got dtype {w.dtype}.")
    w = w.astype(np.float32)
    bad = ~np.isfinite(w)
    if bad.any():
        raise ValueError(
            f"{name} hold {int(bad.sum())} NaN or infinite value(s), e.g. at example {int(np.argmax(bad))}."
        )
    if (w < 0).any():
        raise ValueError(f"{name} must be >= 0; {int((w < 0).sum())} are negative (smallest {w.min():g}).")
    with np.errstate(over="ignore"):
        total = w.sum(dtype=np.float32)
    if not total > 0:
        raise ValueError(f"{name} are all zero: every example would be ignored.")
    if not total <= MAX_TOTAL:
        raise ValueError(
            f"{name} sum to {float(total):g} (largest weight {w.max():g}), more than {MAX_TOTAL:.1e}: "
            "Σ wᵢ ℓᵢ would overflow float32; scale them down, only their ratios matter."
        )
    return jnp.asarray(w)


def checked_split(split: tuple, name: str = "the") -> tuple[Any, Any]:
    """(inputs, targets) of a split, after checking its weights if it has any (`check_weights`); for
    the models' `check_data`. name: which split, e.g. "the train"."""
    inputs, targets, weights = split_batch(split)
    if weights is not None:
        check_weights(weights, int(np.shape(targets)[0]), f"{name} weights")
    return inputs, targets


def with_weights(split: tuple, weights) -> tuple:
    """A split (inputs, targets) with per-example weights added, checked: (inputs, targets, f32[n])."""
    inputs, targets, _ = split_batch(split)
    return inputs, targets, check_weights(weights, int(np.shape(targets)[0]))
