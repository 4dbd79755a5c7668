"""Per-example losses. Each returns one value per example; average them yourself (`.mean()`).

The shapes of prediction and target must match exactly: broadcasting y_hat f32[n, 1] against
y f32[n] would silently give an [n, n] matrix of losses, so these functions refuse it.

Class labels must lie in [0, q). These functions cannot check the values (under jit a value
cannot raise): a label of −1 picks the last class, one of q or more gives NaN. jaxlin checks
labels where data enter instead: the Fashion-MNIST loader and each model's `check_data`.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxlin._util import checks
from jaxlin.ops.softmax import log_softmax


def squared_loss(y_hat: jax.Array, y: jax.Array) -> jax.Array:
    """½(ŷ − y)², elementwise: y_hat, y: f32[...] (same shape) -> f32[...]."""
    checks.same_shape("y_hat", y_hat, "y", y)
    return 0.5 * (y_hat - y) ** 2


def absolute_loss(y_hat: jax.Array, y: jax.Array) -> jax.Array:
    """|ŷ − y|, elementwise: the loss whose minimiser is maximum likelihood under Laplace noise
    (D2L 3.1 exercise 3), as ½(ŷ − y)² is under Gaussian noise. y_hat, y: f32[...] -> f32[...]."""
    checks.same_shape("y_hat", y_hat, "y", y)
    return jnp.abs(y_hat - y)


def huber_loss(y_hat: jax.Array, y: jax.Array, delta: float = 1.0) -> jax.Array:
    """Huber loss: ½r² for |r| <= delta, else delta(|r| − ½delta), with r = ŷ − y, elementwise."""
    checks.same_shape("y_hat", y_hat, "y", y)
    delta = checks.positive_float("delta", delta)
    r = jnp.abs(y_hat - y)
    return jnp.where(r <= delta, 0.5 * r**2, delta * (r - 0.5 * delta))


def _check_labels(num_classes_axis: jax.Array, labels: jax.Array) -> None:
    if labels.shape != num_classes_axis.shape[:-1]:
        raise ValueError(
            f"labels must hold one integer class per example, shape {num_classes_axis.shape[:-1]}; "
            f"got shape {labels.shape} for predictions of shape {num_classes_axis.shape}."
        )
    if not jnp.issubdtype(labels.dtype, jnp.integer):
        raise ValueError(
            f"labels must be integer class ids, got dtype {labels.dtype} (soft labels are "
            "probability vectors, one per example, shaped like the predictions)."
        )


def _pick(values: jax.Array, labels: jax.Array) -> jax.Array:
    return jnp.take_along_axis(values, labels[..., None], axis=-1)[..., 0]


def cross_entropy(y_hat: jax.Array, labels: jax.Array) -> jax.Array:
    """The book's cross-entropy from probabilities: −log y_hat[label].

    y_hat: f32[..., q] probabilities; labels: int[...] -> f32[...]. Gives inf when the true class
    got probability 0 (underflow in `naive_softmax`): use `softmax_cross_entropy` on logits instead.
    """
    labels = jnp.asarray(labels)
    _check_labels(y_hat, labels)
    return -jnp.log(_pick(y_hat, labels))


def softmax_cross_entropy(logits: jax.Array, targets: jax.Array) -> jax.Array:
    """Stable cross-entropy from logits: −Σ_j y_j log_softmax(o)_j, for hard or soft targets.

    logits: f32[..., q]; targets: int[...] class ids (then it is logsumexp(o) − o[label], whose
    gradient in o is softmax(o) − onehot(label)), or f32[..., q] probability vectors, soft labels
    (D2L 3.4.7; the gradient is softmax(o) − y) -> f32[...].
    """
    targets = jnp.asarray(targets)
    if jnp.issubdtype(targets.dtype, jnp.floating) and targets.shape != logits.shape[:-1]:
        checks.same_shape("logits", logits, "soft targets", targets)
        return -(targets * log_softmax(logits)).sum(axis=-1)
    _check_labels(logits, targets)
    return -_pick(log_softmax(logits), targets)
