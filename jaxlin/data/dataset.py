"""A dataset as models and the engine see it: splits of device arrays, and how to prepare a batch."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import jax


@dataclasses.dataclass(frozen=True)
class Dataset:
    """The splits of one dataset, a pytree (pass it to jitted code whole).

    train, test: pytrees of arrays sharing a leading example axis, e.g. (images u8[n, 28, 28],
      labels i32[n]); test may be None (the book's linear regression has no test split).
    valid: the validation split held out from the training data (`jaxlin.data.hold_out`), or None.
    truth: the parameters that generated the data, when they are known (synthetic data), else None.
    prepare: static; the data step for a gathered batch, run inside compiled code (e.g. u8 images
      to f32 in [0, 1]), or None when the arrays are ready as they are.
    label_names: static; the class names, for classification data.
    source: static; what the data are, e.g. "fashion_mnist/official" (a resumed run must match it).
    """

    train: Any
    test: Any = None
    valid: Any = None
    truth: Any = None
    prepare: Callable[[Any], Any] | None = None
    label_names: tuple[str, ...] | None = None
    source: str | None = None

    def prepared(self, batch: Any) -> Any:
        """`batch` after the data step: what a model takes."""
        return batch if self.prepare is None else self.prepare(batch)


jax.tree_util.register_dataclass(
    Dataset, data_fields=["train", "test", "valid", "truth"], meta_fields=["prepare", "label_names", "source"]
)
