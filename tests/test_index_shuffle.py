"""The sort-free shuffle: a permutation for every n, deterministic per key, uniform in position."""

from itertools import permutations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from jaxlin.ops.index_shuffle import ROUNDS, _cycle_walk, half_bits_for, index_shuffle

KEY = jax.random.key(0)


@pytest.mark.parametrize("half_bits", range(1, 7))
def test_a_permutation_for_every_n_up_to_4096(half_bits):
    """Every n whose domain is 4^half_bits, in one vmapped call: n from 4^(h-1) + 1 (1 for h = 1) to 4^h."""
    size = 4**half_bits
    ns = np.arange(1 if half_bits == 1 else size // 4 + 1, size + 1)
    assert all(half_bits_for(int(n)) == half_bits for n in ns)
    round_keys = jax.random.bits(KEY, (ROUNDS,), jnp.uint32)
    x = jnp.arange(size, dtype=jnp.uint32)
    walk = jax.jit(jax.vmap(lambda n: _cycle_walk(round_keys, half_bits, n, x % n)))
    images = np.asarray(walk(jnp.asarray(ns, jnp.uint32)))
    for n, image in zip(ns, images, strict=True):
        np.testing.assert_array_equal(np.sort(image[:n]), np.arange(n), err_msg=f"n={n}")


def test_a_permutation_of_60000_deterministic_per_key():
    order = np.asarray(index_shuffle(KEY, 60000))
    assert order.dtype == np.int32
    np.testing.assert_array_equal(np.sort(order), np.arange(60000))
    np.testing.assert_array_equal(order, np.asarray(jax.jit(index_shuffle, static_argnums=1)(KEY, 60000)))
    other = np.asarray(index_shuffle(jax.random.key(1), 60000))
    assert (order != other).mean() > 0.99


def test_every_permutation_of_four_is_equally_likely():
    """The check `random_order` passes (test_foundation); for n = 4 the domain is [0, 4) itself."""
    orders = np.asarray(jax.vmap(lambda k: index_shuffle(k, 4))(jax.random.split(KEY, 24000)))
    index = {p: i for i, p in enumerate(permutations(range(4)))}
    counts = np.bincount([index[tuple(o)] for o in orders], minlength=24)
    assert ((counts - 1000) ** 2 / 1000).sum() < stats.chi2.ppf(0.999, 23), counts


@pytest.mark.parametrize("n", [10, 100])
def test_each_element_is_equally_likely_at_each_position(n):
    """Chi-square of the n x n table (element, position) over 20,000 keys, against its 0.1% bound;
    n = 10 and 100 walk cycles (domains 16 and 256)."""
    draws = 20000
    orders = np.asarray(jax.vmap(lambda k: index_shuffle(k, n))(jax.random.split(KEY, draws)))
    table = np.stack([np.bincount(orders[:, i], minlength=n) for i in range(n)])
    chi2 = ((table - draws / n) ** 2 / (draws / n)).sum()
    assert chi2 < stats.chi2.ppf(0.999, (n - 1) ** 2), chi2


def test_neighbouring_examples_share_a_batch_as_often_as_chance():
    """Indices i and i + d land in one batch of 256 with probability 255/59999, as under a uniform
    shuffle: the Feistel rounds leave no trace of the original order (200 keys, within 4 standard
    errors of independent pairs)."""
    orders = np.asarray(jax.vmap(lambda k: index_shuffle(k, 60000))(jax.random.split(KEY, 200)))
    batch = np.argsort(orders, axis=1) // 256
    p = 255 / 59999
    for d in (1, 256, 5536):
        pairs = batch[:, :-d].size
        assert abs((batch[:, :-d] == batch[:, d:]).mean() - p) < 4 * np.sqrt(p * (1 - p) / pairs), d


def test_refuses_an_empty_range():
    with pytest.raises(ValueError, match="1 <= n"):
        index_shuffle(KEY, 0)
