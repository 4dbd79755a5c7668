"""Minibatch order, D2L 3.2.2, shared by the Python iterator and the compiled epoch.

Both `minibatches` (a plain Python generator, the book's `data_iter`) and `jaxlin.training`
(a `lax.scan` over batches inside `jax.jit`) take their example order from `batch_indices`, so
for the same key they visit exactly the same batches in the same order.

The book's exercise, "what happens if the number of examples is not a multiple of the batch
size?": with ``drop_remainder=False`` (the default, as in the book) the last batch is smaller,
holding the ``n % batch_size`` examples left over; with ``drop_remainder=True`` those examples
are skipped for this epoch (a different set each epoch when shuffling).
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jax
import jax.numpy as jnp

from jaxlin import _checks


def batch_indices(
    key: jax.Array | None, num_examples: int, batch_size: int, *, shuffle: bool = True,
    drop_remainder: bool = False,
) -> tuple[jax.Array, jax.Array]:
    """One epoch's example order, cut into batches.

    Returns:
      full: i32[num_examples // batch_size, batch_size], the indices of each full batch;
      rest: i32[r], the indices of the last, smaller batch (r = n % batch_size, or 0 when
        ``drop_remainder``). Shapes depend only on the static arguments, so this works under jit.
    """
    n = _checks.positive_int("num_examples", num_examples)
    batch_size = _checks.positive_int("batch_size", batch_size)
    if shuffle:
        if key is None:
            raise ValueError("shuffle=True needs a PRNG key, e.g. jax.random.key(0).")
        order = jax.random.permutation(key, n)
    else:
        order = jnp.arange(n)
    num_full = n // batch_size
    full = order[: num_full * batch_size].reshape(num_full, batch_size)
    rest = order[num_full * batch_size :] if not drop_remainder else order[:0]
    return full, rest


def minibatches(
    key: jax.Array | None, arrays: Any, batch_size: int, *, shuffle: bool = True,
    drop_remainder: bool = False,
) -> Iterator[Any]:
    """Iterate over minibatches of `arrays`, the from-scratch data iterator.

    Args:
      key: PRNG key for the shuffle (may be None when ``shuffle=False``).
      arrays: a pytree of arrays (e.g. a tuple ``(X, y)``) sharing the leading example axis.
      batch_size: examples per batch, > 0.
      shuffle: visit the examples in a random order drawn from `key`.
      drop_remainder: skip the last, smaller batch when n is not a multiple of batch_size.

    Yields:
      The same pytree structure, each array indexed by one batch of example indices.
    """
    n = _checks.num_examples(arrays)
    full, rest = batch_indices(key, n, batch_size, shuffle=shuffle, drop_remainder=drop_remainder)
    for idx in list(full) + ([rest] if rest.size else []):
        yield jax.tree_util.tree_map(lambda a: a[idx], arrays)
