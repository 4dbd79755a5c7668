"""The order in which an epoch visits the examples, and gathering a batch of them.

The neutral ground that the training engine, the evaluation, the from-scratch iterator and the
data layer's image batches all stand on: `batch_indices` cuts one epoch's order into batches, and
`take_examples` gathers them. For the same key every user visits the same batches in the same order.

The book's exercise, "what happens if the number of examples is not a multiple of the batch
size?": with ``drop_remainder=False`` (the default, as in the book) the last batch is smaller,
holding the ``n % batch_size`` examples left over; with ``drop_remainder=True`` those examples
are skipped for this epoch (a different set each epoch when shuffling).

An epoch's order comes from `index_shuffle`, a sort-free permutation; `random_order`, a sort, draws
the one-off splits (validation, K folds), whose cost does not recur every epoch.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jax
import jax.numpy as jnp

from jaxlin._util import checks
from jaxlin.ops.index_shuffle import index_shuffle

# Saved with every checkpoint: the random stream that shuffles epochs. A run resumed under another
# stream would no longer match an uninterrupted one, so a checkpoint from another is refused.
EPOCH_ORDER = "index_shuffle-1"


def random_order(key: jax.Array, n: int) -> jax.Array:
    """A uniformly random permutation of 0..n-1: i32[n], from one sort on 64 random bits.

    `jax.random.permutation` sorts twice on 32-bit keys so that ties (which would favour the
    original order) become improbable; one sort on two 32-bit keys does the same with tie
    probability below n²/2⁶⁵ (1e-10 for n = 60,000), at half the cost.
    """
    bits = jax.random.bits(key, (2, n), jnp.uint32)
    return jax.lax.sort((bits[0], bits[1], jnp.arange(n, dtype=jnp.int32)), num_keys=2, is_stable=False)[2]


def batch_indices(
    key: jax.Array | None,
    num_examples: int,
    batch_size: int,
    *,
    shuffle: bool = True,
    drop_remainder: bool = False,
) -> tuple[jax.Array, jax.Array]:
    """One epoch's example order, cut into batches.

    Returns:
      full: i32[num_examples // batch_size, batch_size], the indices of each full batch;
      rest: i32[r], the indices of the last, smaller batch (r = n % batch_size, or 0 when
        ``drop_remainder``). Shapes depend only on the static arguments, so this works under jit.
    """
    n = checks.positive_int("num_examples", num_examples)
    batch_size = checks.positive_int("batch_size", batch_size)
    if shuffle:
        if key is None:
            raise ValueError("shuffle=True needs a PRNG key, e.g. jax.random.key(0).")
        order = index_shuffle(key, n)
    else:
        order = jnp.arange(n)
    num_full = n // batch_size
    full = order[: num_full * batch_size].reshape(num_full, batch_size)
    rest = order[num_full * batch_size :] if not drop_remainder else order[:0]
    return full, rest


def iter_batch_indices(
    key: jax.Array | None,
    num_examples: int,
    batch_size: int,
    *,
    shuffle: bool = True,
    drop_remainder: bool = False,
) -> Iterator[jax.Array]:
    """`batch_indices` one batch at a time, for Python loops: the full batches, then the rest."""
    full, rest = batch_indices(key, num_examples, batch_size, shuffle=shuffle, drop_remainder=drop_remainder)
    yield from full
    if rest.size:
        yield rest


def take_examples(arrays: Any, idx: jax.Array) -> Any:
    """Gather the examples `idx` (i32[...]) from every array of the pytree `arrays`.

    Each array is gathered as a 2-D [n, features] view (a free reshape) and reshaped back, since
    XLA's CPU gather of whole rows is faster than that of [n, 28, 28] blocks (see bench/).
    """

    def take(a):
        rows = a.reshape(a.shape[0], -1)[idx]
        return rows.reshape(*idx.shape, *a.shape[1:])

    return jax.tree_util.tree_map(take, arrays)
