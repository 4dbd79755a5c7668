"""A sort-free shuffle: a keyed bijection on 0..n-1, evaluated for every index at once.

Sorting n random keys costs O(n log n) and, on a CPU, about a fifth of a softmax epoch on
Fashion-MNIST. Format-preserving encryption gives a permutation without sorting (the idea behind
TensorFlow's `index_shuffle` and grain's shuffling):

1. A balanced **Feistel network** on 2h-bit integers splits x into halves (left, right) and
   repeats ``left, right = right, left ^ F_r(right)``. Whatever the round function F_r, each round
   can be undone, so the network is a bijection on [0, 4^h). F_r is a keyed hash (MurmurHash3's
   32-bit finaliser of ``right ^ k_r``), with round keys k_r drawn from the PRNG key.
2. **Cycle walking** narrows it to [0, n), 4^h >= n: an index whose image falls outside [0, n)
   is encrypted again until it lands inside. Following the bijection's cycles from inside the range
   to the next inside point is itself a bijection on [0, n). As 4^h < 4n, a walk takes fewer than
   4 steps on average; all indices walk together in one `lax.while_loop`.

The result is a permutation for every key and n (tested for every n up to 4096 and for 60,000),
deterministic per key, and statistically uniform in the tests' chi-square checks. It is a
pseudo-random permutation, not a cryptographic one.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

ROUNDS = 8  # Luby-Rackoff needs 4 for a random-looking permutation; 8 makes small domains mix too


def _hash(x: jax.Array) -> jax.Array:
    """MurmurHash3's finaliser: an avalanche on u32, every input bit flipping each output bit
    with probability about 1/2."""
    x = x ^ (x >> 16)
    x = x * jnp.uint32(0x85EBCA6B)
    x = x ^ (x >> 13)
    x = x * jnp.uint32(0xC2B2AE35)
    return x ^ (x >> 16)


def _feistel(round_keys: jax.Array, half_bits: int, x: jax.Array) -> jax.Array:
    """The Feistel network on [0, 4^half_bits): u32[...] -> u32[...], a bijection."""
    mask = jnp.uint32((1 << half_bits) - 1)
    left, right = x >> half_bits, x & mask
    for r in range(ROUNDS):
        left, right = right, left ^ (_hash(right ^ round_keys[r]) & mask)
    return (left << half_bits) | right


def _cycle_walk(round_keys: jax.Array, half_bits: int, n: jax.Array | int, x: jax.Array) -> jax.Array:
    """The bijection on [0, n) that cycle walking makes of `_feistel`: u32[...] in [0, n) -> same."""
    y = _feistel(round_keys, half_bits, x)
    return jax.lax.while_loop(
        lambda y: jnp.any(y >= n),
        lambda y: jnp.where(y < n, y, _feistel(round_keys, half_bits, y)),
        y,
    )


def half_bits_for(n: int) -> int:
    """The smallest h >= 1 with 4^h >= n: the Feistel network's half width."""
    return max(1, ((n - 1).bit_length() + 1) // 2)


def _length(n) -> int:
    """n as a Python int, checked (at trace time: it is static), or a TypeError/ValueError."""
    if isinstance(n, (int, np.integer)) and not isinstance(n, bool):
        n = int(n)
    elif isinstance(n, (np.ndarray, jax.Array)) and n.ndim == 0 and jnp.issubdtype(n.dtype, jnp.integer):
        try:
            n = int(n)
        except jax.errors.ConcretizationTypeError:
            raise TypeError(
                "index_shuffle's n must be a concrete integer, not a traced value: it fixes the "
                "permutation's length; pass it as a Python int (a static argument under jit)."
            ) from None
    else:
        raise TypeError(
            f"index_shuffle's n must be an integer (a Python int or an integer NumPy/JAX scalar), got {n!r}."
        )
    if not 1 <= n < 2**31:
        raise ValueError(f"index_shuffle needs 1 <= n < 2^31, got n={n}.")
    return n


def index_shuffle(key: jax.Array, n: int) -> jax.Array:
    """A pseudo-random permutation of 0..n-1 drawn from `key`, without sorting: i32[n].

    Args:
      key: a PRNG key; each key gives its own permutation, the same one every time.
      n: the number of elements, 1 <= n < 2^31: a Python int or a concrete integer NumPy/JAX scalar
        (it fixes the output's shape, so it cannot be traced).

    Returns:
      order: i32[n], holding each of 0..n-1 once; order[i] is the element placed at position i.
    """
    n = _length(n)
    round_keys = jax.random.bits(key, (ROUNDS,), jnp.uint32)
    order = _cycle_walk(round_keys, half_bits_for(n), n, jnp.arange(n, dtype=jnp.uint32))
    return order.astype(jnp.int32)
