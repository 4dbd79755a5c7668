"""Entropy, KL, soft labels, absolute loss and the softmax temperature against independent references."""

import math

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import scipy.stats

import jaxlin

KEY = jax.random.key(0)
P = jnp.array([[0.5, 0.25, 0.25, 0.0], [0.1, 0.2, 0.3, 0.4]])
Q = jnp.array([[0.25, 0.25, 0.25, 0.25], [0.4, 0.3, 0.2, 0.1]])


class InformationTest(chex.TestCase):
    @chex.variants(with_jit=True, without_jit=True)
    def test_entropy_and_kl_match_scipy_in_nats_and_bits(self):
        for base in (math.e, 2.0):
            np.testing.assert_allclose(
                self.variant(jaxlin.entropy, static_argnums=1)(P, base),
                scipy.stats.entropy(np.asarray(P), base=base, axis=-1),
                rtol=1e-6,
            )
            np.testing.assert_allclose(
                self.variant(jaxlin.kl_divergence, static_argnums=2)(P, Q, base),
                scipy.stats.entropy(np.asarray(P), np.asarray(Q), base=base, axis=-1),
                rtol=1e-5,
            )

    def test_the_identities(self):
        assert float(jaxlin.entropy(jnp.array([0.5, 0.5]), base=2)) == pytest.approx(1.0)  # one fair coin: 1 bit
        assert float(jaxlin.surprisal(jnp.float32(0.25), base=2)) == pytest.approx(2.0)
        np.testing.assert_allclose(
            jaxlin.cross_entropy_between(P, Q), jaxlin.entropy(P) + jaxlin.kl_divergence(P, Q), rtol=1e-6
        )
        np.testing.assert_allclose(jaxlin.kl_divergence(P, P), 0.0, atol=1e-7)
        assert bool((jaxlin.kl_divergence(P, Q) > 0).all())
        assert math.isinf(float(jaxlin.kl_divergence(jnp.array([0.5, 0.5]), jnp.array([1.0, 0.0]))))


def test_soft_label_cross_entropy_matches_optax_and_hard_labels():
    logits = jax.random.normal(KEY, (6, 4)) * 3
    soft = jax.nn.softmax(jax.random.normal(jax.random.key(1), (6, 4)))
    np.testing.assert_allclose(
        jaxlin.softmax_cross_entropy(logits, soft), optax.softmax_cross_entropy(logits, soft), rtol=1e-5
    )
    labels = jnp.array([0, 3, 1, 2, 2, 0])
    np.testing.assert_allclose(
        jaxlin.softmax_cross_entropy(logits, jax.nn.one_hot(labels, 4)),
        jaxlin.softmax_cross_entropy(logits, labels),
        rtol=1e-6,
    )
    grad = jax.grad(lambda o: jaxlin.softmax_cross_entropy(o, soft).sum())(logits)
    np.testing.assert_allclose(grad, jax.nn.softmax(logits) - soft, atol=1e-6)
    with pytest.raises(ValueError, match="soft targets has shape"):
        jaxlin.softmax_cross_entropy(logits, soft[:, :3])
    with pytest.raises(ValueError, match="integer class ids"):  # one float per example: not soft labels
        jaxlin.softmax_cross_entropy(logits, jnp.zeros(6))


def test_absolute_loss():
    y_hat, y = jnp.array([0.0, 1.5, -3.0]), jnp.array([0.5, 1.0, 1.0])
    np.testing.assert_allclose(jaxlin.absolute_loss(y_hat, y), np.abs(np.asarray(y_hat) - np.asarray(y)))
    np.testing.assert_allclose(jax.grad(lambda p: jaxlin.absolute_loss(p, y).sum())(y_hat), [-1.0, 1.0, -1.0])
    with pytest.raises(ValueError, match="must match"):
        jaxlin.absolute_loss(jnp.ones((3, 1)), y)


def test_softmax_temperature():
    o = jnp.array([[1.0, 2.0, 5.0], [1e4, 0.0, -3.0]])
    for t in (0.1, 1.0, 7.0):
        np.testing.assert_allclose(jaxlin.softmax(o, temperature=t), jax.nn.softmax(o / t), rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(jaxlin.softmax(o, 1.0), jaxlin.softmax(o))
    np.testing.assert_allclose(jaxlin.softmax(o[:1], temperature=1e6), 1 / 3, rtol=1e-4)  # flat
    np.testing.assert_allclose(jaxlin.softmax(o[:1], temperature=1e-3), [[0, 0, 1]], atol=1e-6)  # sharp
    assert jaxlin.softmax(o, temperature=5.0).argmax(-1).tolist() == o.argmax(-1).tolist()
    with pytest.raises(ValueError, match="temperature must be a positive"):
        jaxlin.softmax(o, temperature=0.0)
