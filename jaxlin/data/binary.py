"""Two-class data from Fashion-MNIST, for logistic regression: the examples of two classes,
relabelled 0 and 1."""

from __future__ import annotations

import dataclasses
import os

import jax.numpy as jnp
import numpy as np

from jaxlin.data.dataset import Dataset
from jaxlin.ops.order import take_examples

TSHIRT, SHIRT = 0, 6  # the pair a linear model confuses most


def class_pair(data: Dataset, classes: tuple[int, int]) -> Dataset:
    """Each split of `data` (images, labels) cut to the examples of `classes` = (a, b), in their
    order, with label a -> 0 and b -> 1. The label names follow."""
    a, b = classes
    if a == b:
        raise ValueError(f"class_pair needs two different classes, got {a} twice.")

    def keep(split):
        if split is None:
            return None
        labels = np.asarray(split[1])
        rows = np.flatnonzero((labels == a) | (labels == b))
        images, _ = take_examples(split, jnp.asarray(rows))
        return images, jnp.asarray((labels[rows] == b).astype(np.int32))

    names = None if data.label_names is None else (data.label_names[a], data.label_names[b])
    return dataclasses.replace(
        data,
        train=keep(data.train),
        valid=keep(data.valid),
        test=keep(data.test),
        label_names=names,
        source=f"{data.source}:classes {a} vs {b}",
    )


def tshirt_vs_shirt_dataset(
    key=None, *, source_dir: str | os.PathLike | None = None, tfds_dir: str | os.PathLike | None = None
) -> Dataset:
    """Fashion-MNIST's T-shirts/tops (label 0) and shirts (label 1): 12,000 training and 2,000
    test images."""
    from jaxlin.data.fashion_mnist import fashion_mnist_dataset

    return class_pair(fashion_mnist_dataset(key, source_dir=source_dir, tfds_dir=tfds_dir), (TSHIRT, SHIRT))
