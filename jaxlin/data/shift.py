"""Fashion-MNIST under distribution shift (D2L 4.9): a source and a target drawn from the real data,
deterministic for a key.

Both constructions first split the training images at random into two halves: the source is drawn
from one, the target's training examples (unlabelled for the corrections, labelled for the
oracle) from the other, and the target's test set from the test split. No image is in two sets.

- Covariate shift (`covariate_shift`): each image is kept with a probability that depends on its
  ink, the mean pixel intensity, standardised over the training split to z: σ(−s·z) for the
  source, σ(+s·z) for the target (s = `strength`). The selection looks at x only, so p(y | x) is
  the same in both and only p(x) moves: the source holds mostly faint images (sandals,
  sneakers, T-shirts), the target mostly heavy ones (pullovers, coats, bags). Every image keeps a
  chance in both, so the supports overlap and importance weights exist.
- Label shift (`label_shift`): the source keeps Fashion-MNIST's balanced classes; the target keeps
  each image of class k with probability q_k / max(q), for q drawn from a Dirichlet(α) (or given).
  The selection looks at y only, so p(x | y) is unchanged and only p(y) moves.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from jaxlin.data.dataset import Dataset
from jaxlin.ops.order import take_examples

DEFAULT_STRENGTH = 3.0  # covariate shift's s
MAX_STRENGTH = 10.0  # |s·z| stays below ~60, so σ(∓s·z) never rounds to 0 and the supports overlap


@dataclasses.dataclass(frozen=True)
class ShiftedData:
    """source: labelled source data (train, with a validation split when asked) and, as `test`,
    the target's test set; target: labelled target data (train: the oracle's, whose images alone
    are what the corrections see) and the same test set; kind: "covariate" or "label";
    label_distribution: the target's intended q f32[10] for label shift, else None."""

    source: Dataset
    target: Dataset
    kind: str
    description: str
    label_distribution: np.ndarray | None = None


def ink(images) -> np.ndarray:
    """The mean pixel intensity of each image, in [0, 1]: u8[n, 28, 28] -> f32[n]."""
    return np.asarray(jnp.asarray(images, jnp.float32).mean(axis=(1, 2)) / 255)


def _halves(key, n: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.asarray(jax.random.permutation(key, n))
    return np.sort(order[: n // 2]), np.sort(order[n // 2 :])


def _kept(key, rows: np.ndarray, probability: np.ndarray) -> np.ndarray:
    return rows[np.asarray(jax.random.uniform(key, (len(rows),))) < probability[rows]]


def _shifted(
    data: Dataset,
    key,
    source_p: np.ndarray,
    target_p: np.ndarray,
    test_p: np.ndarray,
    kind: str,
    description: str,
    q=None,
) -> ShiftedData:
    k_half, k_source, k_target, k_test = jax.random.split(key, 4)
    first, second = _halves(k_half, len(source_p))
    source, target = _kept(k_source, first, source_p), _kept(k_target, second, target_p)
    test = _kept(k_test, np.arange(len(test_p)), test_p)
    for name, rows in (("source", source), ("target", target), ("target test", test)):
        if len(rows) == 0:
            raise ValueError(f"The {name} set of the {kind} shift is empty: the shift is too strong for the data.")
    test_split = take_examples(data.test, jnp.asarray(test))
    return ShiftedData(
        source=dataclasses.replace(
            data, train=take_examples(data.train, jnp.asarray(source)), valid=None, test=test_split
        ),
        target=dataclasses.replace(
            data, train=take_examples(data.train, jnp.asarray(target)), valid=None, test=test_split
        ),
        kind=kind,
        description=description,
        label_distribution=q,
    )


def covariate_shift(data: Dataset, key: jax.Array, strength: float = DEFAULT_STRENGTH) -> ShiftedData:
    """Source and target that differ in p(x) (the images' ink), not in p(y | x); see the module.
    0 < strength <= MAX_STRENGTH."""
    if not 0 < strength <= MAX_STRENGTH:
        raise ValueError(
            f"strength must be above 0 and at most {MAX_STRENGTH:g} (beyond it the selection "
            f"probabilities round to 0 and source and target stop overlapping); got {strength}."
        )
    train_ink, test_ink = ink(data.train[0]), ink(data.test[0])
    mean, std = train_ink.mean(), train_ink.std()
    z_train, z_test = (train_ink - mean) / std, (test_ink - mean) / std
    sigmoid = lambda t: np.asarray(jax.nn.sigmoid(t))
    description = (
        f"covariate shift: images kept with probability σ(∓{strength:g}·z), z the image's "
        "standardised mean intensity (source: faint images, target: heavy ones)"
    )
    return _shifted(
        data,
        key,
        sigmoid(-strength * z_train),
        sigmoid(strength * z_train),
        sigmoid(strength * z_test),
        "covariate",
        description,
    )


def label_shift(data: Dataset, key: jax.Array, q=None, alpha: float = 1.0) -> ShiftedData:
    """A target whose label distribution is q (default: drawn from Dirichlet(α) with `key`), the
    source balanced; p(x | y) unchanged. See the module."""
    if data.label_names is None:
        raise ValueError("label_shift needs classification data: `data.label_names` is None (no class names).")
    k_q, k_rest = jax.random.split(key)
    num_classes = len(data.label_names)
    q = np.asarray(jax.random.dirichlet(k_q, jnp.full(num_classes, alpha)) if q is None else q, np.float64)
    if q.shape != (num_classes,) or not np.all(np.isfinite(q)) or (q < 0).any() or not q.sum() > 0:
        raise ValueError(f"q must be {num_classes} non-negative numbers, not all zero; got {q}.")
    q = q / q.sum()
    keep = q / q.max()
    train_labels, test_labels = np.asarray(data.train[1]), np.asarray(data.test[1])
    description = (
        "label shift: target images of class k kept with probability q_k / max(q), "
        f"q = ({', '.join(f'{v:.3f}' for v in q)})"
    )
    return _shifted(
        data,
        k_rest,
        np.ones(len(train_labels)),
        keep[train_labels],
        keep[test_labels],
        "label",
        description,
        q.astype(np.float32),
    )
