"""Correcting distribution shift (D2L 4.9.3): importance weights for covariate shift, and the
confusion-matrix estimate of the target's label distribution for label shift.

Covariate shift: a classifier h told source examples (0) from target examples (1) gives
P(target | x) / P(source | x) = exp(h(x)), so the density ratio p_target(x) / p_source(x) is
exp(h(x)) · n_source / n_target. Weighting each source example's loss by that ratio makes the
source's empirical risk estimate the target's. Clipping at c bounds the variance a few huge
weights would bring (the book's βᵢ = min(exp h(xᵢ), c)).

Label shift: with p(x | y) fixed, a classifier's predictions on the target average to
μ = C q, C[i, j] = P(ŷ = i | y = j) the confusion matrix measured on labelled source data and q the
target's label distribution. Solving C q = μ estimates q without a single target label.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

DEFAULT_CLIP = 10.0  # the book's c


def importance_weights(domain_logits: jax.Array, *, clip: float, odds: float = 1.0) -> jax.Array:
    """βᵢ = min(exp(hᵢ) · odds, clip): domain_logits f32[n], the classifier's log-odds that example i
    is a target example; odds = n_source / n_target, the ratio its training data had -> f32[n]."""
    if not clip > 0:
        raise ValueError(f"clip must be > 0, got {clip}.")
    return jnp.minimum(jnp.exp(domain_logits) * odds, clip)  # exp overflowing to inf is clipped too


def effective_sample_size(weights: jax.Array) -> jax.Array:
    """(Σ wᵢ)² / Σ wᵢ²: how many equally weighted examples the weights are worth (n when all equal)."""
    return weights.sum() ** 2 / (weights**2).sum()


def confusion_matrix(predicted: jax.Array, labels: jax.Array, num_classes: int) -> jax.Array:
    """C[i, j] = P(ŷ = i | y = j), each column a distribution: predicted, labels i32[n] -> f32[q, q].
    A class with no examples gets a column of zeros."""
    counts = jnp.zeros((num_classes, num_classes), jnp.float32).at[predicted, labels].add(1)
    return counts / jnp.maximum(counts.sum(axis=0, keepdims=True), 1)


def label_distribution(labels: jax.Array, num_classes: int) -> jax.Array:
    """The fraction of each class among `labels` i32[n] -> f32[q]."""
    return jnp.bincount(labels, length=num_classes) / labels.shape[0]


def estimate_label_shift(confusion: jax.Array, mean_prediction: jax.Array) -> jax.Array:
    """q̂ solving C q = μ by least squares, clipped at 0 and renormalised to sum to 1:
    confusion f32[q, q], mean_prediction μ f32[q] (the fraction of target examples predicted as
    each class) -> f32[q]. Falls back to μ itself should every entry clip to 0."""
    q = jnp.clip(jnp.linalg.lstsq(confusion, mean_prediction)[0], 0)
    return jnp.where(q.sum() > 0, q / jnp.where(q.sum() > 0, q.sum(), 1), mean_prediction)


def class_ratio(target: jax.Array, source: jax.Array) -> jax.Array:
    """q(y) / p(y) for each class: f32[q], f32[q] -> f32[q] (a class the source lacks gets q(y))."""
    return target / jnp.where(source > 0, source, 1)


def label_shift_weights(labels: jax.Array, target: jax.Array, source: jax.Array) -> jax.Array:
    """wᵢ = q(yᵢ) / p(yᵢ): labels i32[n], target q and source p f32[q] -> f32[n]."""
    return class_ratio(target, source)[labels]
