"""The class names of Fashion-MNIST."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

FASHION_MNIST_LABELS = (
    "t-shirt",
    "trouser",
    "pullover",
    "dress",
    "coat",
    "sandal",
    "shirt",
    "sneaker",
    "bag",
    "ankle boot",
)


def text_labels(ids: Sequence[int] | np.ndarray) -> list[str]:
    """The names of Fashion-MNIST class ids, e.g. [0, 9] -> ['t-shirt', 'ankle boot']."""
    return [FASHION_MNIST_LABELS[int(i)] for i in np.asarray(ids).reshape(-1)]
