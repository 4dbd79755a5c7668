"""The from-scratch data iterator, D2L 3.2.2's `data_iter`: a plain Python generator of minibatches.

It takes its order from `jaxlin.ops.order.batch_indices`, as the compiled epoch does, so a Python loop
over `minibatches(key, ...)` and `jaxlin.fit` visit the same batches for the same key.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jax

from jaxlin._util import checks
from jaxlin.ops.order import iter_batch_indices, take_examples


def minibatches(
    key: jax.Array | None,
    arrays: Any,
    batch_size: int,
    *,
    shuffle: bool = True,
    drop_remainder: bool = False,
) -> Iterator[Any]:
    """Iterate over minibatches of `arrays`.

    Args:
      key: PRNG key for the shuffle (may be None when ``shuffle=False``).
      arrays: a pytree of arrays (e.g. a tuple ``(X, y)``) sharing the leading example axis.
      batch_size: examples per batch, > 0.
      shuffle: visit the examples in a random order drawn from `key`.
      drop_remainder: skip the last, smaller batch when n is not a multiple of batch_size.

    Yields:
      The same pytree structure, each array indexed by one batch of example indices.
    """
    n = checks.num_examples(arrays)
    for idx in iter_batch_indices(key, n, batch_size, shuffle=shuffle, drop_remainder=drop_remainder):
        yield take_examples(arrays, idx)
