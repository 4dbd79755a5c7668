"""Softmax, log-softmax, log-sum-exp and the cross-entropies: references, extremes, gradients."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import scipy.special

import jaxlin

KEY = jax.random.key(0)
EXTREME_CASES = {
    "ordinary": [[0.5, -1.0, 2.0, 0.0]],
    "huge": [[1e4, 0.0, -1e4, 1e4 - 1.0]],
    "very negative": [[-1e4, -1e4 - 2.0, -1e4 - 5.0, -1e4 + 1.0]],
    "ties": [[3.0, 3.0, 3.0, 3.0]],
    "single class": [[7.5]],
    "with -inf": [[-np.inf, 0.0, 1.0, -np.inf]],
}


def _f64(x):
    return np.asarray(x, np.float64)


class SoftmaxTest(chex.TestCase):
    @chex.variants(with_jit=True, without_jit=True)
    @pytest.mark.filterwarnings("ignore::RuntimeWarning")
    def test_stable_functions_match_scipy_at_extremes(self):
        for name, case in EXTREME_CASES.items():
            o = jnp.asarray(case, jnp.float32)
            ref = _f64(case)
            np.testing.assert_allclose(
                self.variant(jaxlin.softmax)(o), scipy.special.softmax(ref, axis=-1), rtol=1e-6, atol=1e-7, err_msg=name
            )
            np.testing.assert_allclose(
                self.variant(jaxlin.logsumexp)(o), scipy.special.logsumexp(ref, axis=-1), rtol=1e-6, err_msg=name
            )
            np.testing.assert_allclose(
                self.variant(jaxlin.log_softmax)(o),
                scipy.special.log_softmax(ref, axis=-1),
                rtol=1e-6,
                atol=1e-6,
                err_msg=name,
            )
            assert np.isfinite(np.asarray(jaxlin.softmax(o))).all(), name

    @chex.variants(with_jit=True, without_jit=True)
    def test_stable_functions_match_jax_nn_on_random_batches(self):
        o = 30.0 * jax.random.normal(KEY, (64, 10))
        chex.assert_trees_all_close(self.variant(jaxlin.softmax)(o), jax.nn.softmax(o), rtol=1e-5, atol=1e-7)
        chex.assert_trees_all_close(self.variant(jaxlin.log_softmax)(o), jax.nn.log_softmax(o), rtol=1e-5, atol=1e-5)
        chex.assert_trees_all_close(self.variant(jaxlin.logsumexp)(o), jax.nn.logsumexp(o, axis=-1), rtol=1e-6)
        chex.assert_trees_all_close(self.variant(jaxlin.naive_softmax)(o / 30), jax.nn.softmax(o / 30), rtol=1e-5)
        np.testing.assert_allclose(jaxlin.softmax(o).sum(-1), 1.0, rtol=1e-6)

    def test_naive_softmax_breaks_where_the_stable_one_does_not(self):
        """The lesson: exp(1e4) overflows to inf (inf / inf = nan); exp(-1e4) underflows (0 / 0)."""
        for o in (jnp.array([1e4, 0.0, -3.0]), jnp.array([-1e4, -1e4 - 1.0, -1e4 - 2.0])):
            assert np.isnan(np.asarray(jaxlin.naive_softmax(o))).any()
            assert np.isfinite(np.asarray(jaxlin.softmax(o))).all()
        # a moderately large gap: the true class's probability underflows to 0 and −log gives inf
        o = jnp.array([[0.0, 200.0]])
        assert np.isinf(np.asarray(jaxlin.cross_entropy(jaxlin.naive_softmax(o), jnp.array([0]))))[0]
        np.testing.assert_allclose(jaxlin.softmax_cross_entropy(o, jnp.array([0])), [200.0], rtol=1e-6)

    def test_per_example_vmap_equals_batched(self):
        o = jax.random.normal(KEY, (16, 10))
        for fn in (jaxlin.softmax, jaxlin.log_softmax, jaxlin.logsumexp, jaxlin.naive_softmax):
            chex.assert_trees_all_close(jax.vmap(fn)(o), fn(o), rtol=1e-6)
        labels = jnp.arange(16) % 10
        chex.assert_trees_all_close(
            jax.vmap(jaxlin.softmax_cross_entropy)(o, labels), jaxlin.softmax_cross_entropy(o, labels), rtol=1e-6
        )


class CrossEntropyTest(chex.TestCase):
    @chex.variants(with_jit=True, without_jit=True)
    def test_matches_optax_and_the_scratch_pair(self):
        o = 5.0 * jax.random.normal(KEY, (32, 10))
        labels = jax.random.randint(jax.random.key(1), (32,), 0, 10)
        loss = self.variant(jaxlin.softmax_cross_entropy)(o, labels)
        chex.assert_shape(loss, (32,))
        ref64 = -scipy.special.log_softmax(_f64(o), axis=-1)[np.arange(32), np.asarray(labels)]
        np.testing.assert_allclose(loss, ref64, rtol=1e-5)
        chex.assert_trees_all_close(
            loss, optax.softmax_cross_entropy_with_integer_labels(o, labels), rtol=1e-5, atol=1e-6
        )
        scratch = self.variant(jaxlin.cross_entropy)(jaxlin.naive_softmax(o), labels)
        chex.assert_trees_all_close(scratch, loss, rtol=1e-4, atol=1e-5)

    def test_extremes(self):
        o = jnp.array([[1e4, -1e4, 0.0], [1e4, -1e4, 0.0], [2.0, 2.0, 2.0], [-1e4, -1e4, -1e4]])
        labels = jnp.array([0, 1, 2, 1])
        ref = -scipy.special.log_softmax(_f64(o), axis=-1)[np.arange(4), np.asarray(labels)]
        np.testing.assert_allclose(jaxlin.softmax_cross_entropy(o, labels), ref, rtol=1e-6)
        np.testing.assert_allclose(jaxlin.softmax_cross_entropy(jnp.array([[3.0]]), jnp.array([0])), [0.0])

    def test_gradient_is_softmax_minus_onehot(self):
        o = 3.0 * jax.random.normal(KEY, (8, 10))
        labels = jnp.arange(8) % 10
        grad = jax.grad(lambda z: jaxlin.softmax_cross_entropy(z, labels).sum())(o)
        chex.assert_trees_all_close(grad, jax.nn.softmax(o) - jax.nn.one_hot(labels, 10), atol=1e-6)
        # and it stays finite at extreme logits
        big = jnp.array([[1e4, -1e4, 0.0]])
        g = jax.grad(lambda z: jaxlin.softmax_cross_entropy(z, jnp.array([1])).sum())(big)
        np.testing.assert_allclose(g, [[1.0, -1.0, 0.0]], atol=1e-6)

    def test_hessian_is_diag_p_minus_p_pt(self):
        """The book's exercise 3.4.1: the Hessian of the loss in o is diag(p) − ppᵀ, the variance of softmax."""
        o = jax.random.normal(KEY, (6,))
        hessian = jax.hessian(lambda z: jaxlin.softmax_cross_entropy(z, jnp.array(2)))(o)
        p = jax.nn.softmax(o)
        chex.assert_trees_all_close(hessian, jnp.diag(p) - jnp.outer(p, p), atol=1e-6)

    def test_label_errors(self):
        o = jnp.zeros((4, 10))
        with pytest.raises(ValueError, match="one integer class per example"):
            jaxlin.softmax_cross_entropy(o, jnp.zeros((4, 10), jnp.int32))
        with pytest.raises(ValueError, match="integer class ids"):
            jaxlin.softmax_cross_entropy(o, jnp.zeros(4))
        with pytest.raises(ValueError, match="one integer class per example"):
            jaxlin.cross_entropy(o, jnp.zeros(3, jnp.int32))


def test_accuracy():
    scores = jnp.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
    np.testing.assert_allclose(jaxlin.accuracy(scores, jnp.array([1, 0, 0, 0])), 0.75)
    with pytest.raises(ValueError, match="labels int\\[n\\]"):
        jaxlin.accuracy(scores, jnp.array([1, 0]))


def test_evaluate_chunks_equal_one_pass():
    X = jax.random.normal(KEY, (1003, 5))
    y = jax.random.randint(KEY, (1003,), 0, 5)
    params = jaxlin.init_affine(KEY, 5, 5, scale=1.0)

    def per_example(p, batch):
        x, labels = batch
        o = jaxlin.batched_affine(p, x)
        return {"acc": (o.argmax(-1) == labels).astype(jnp.float32), "loss": jaxlin.softmax_cross_entropy(o, labels)}

    chunked = jax.jit(lambda p: jaxlin.evaluate(per_example, p, (X, y), batch_size=128))(params)
    whole = {k: v.mean() for k, v in per_example(params, (X, y)).items()}
    chex.assert_trees_all_close(chunked, whole, rtol=1e-5)
