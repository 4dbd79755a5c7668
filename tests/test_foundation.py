"""Linear regression building blocks: data, iterator, affine model, losses, SGD, closed form."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxlin

KEY = jax.random.key(0)


def test_synthetic_data_shapes_and_model():
    w = jnp.array([2.0, -3.4])
    X, y = jaxlin.synthetic_data(KEY, w, 4.2, 1000, noise=0.01)
    chex.assert_shape(X, (1000, 2))
    chex.assert_shape(y, (1000,))
    residual = y - (X @ w + 4.2)
    assert 0.008 < float(residual.std()) < 0.012
    X0, y0 = jaxlin.synthetic_data(KEY, w, 4.2, 1000, noise=0.0)
    np.testing.assert_allclose(y0, X0 @ w + 4.2, rtol=1e-6, atol=1e-5)


@pytest.mark.parametrize(
    "n, batch_size, drop, expected_sizes",
    [
        (10, 5, False, [5, 5]),
        (10, 4, False, [4, 4, 2]),  # the book's exercise: the last batch holds the leftovers
        (10, 4, True, [4, 4]),  # ... or they are skipped this epoch
        (3, 8, False, [3]),
        (3, 8, True, []),
    ],
)
def test_minibatches_remainder(n, batch_size, drop, expected_sizes):
    X = jnp.arange(n * 2.0).reshape(n, 2)
    y = jnp.arange(float(n))
    batches = list(jaxlin.minibatches(KEY, (X, y), batch_size, drop_remainder=drop))
    assert [b[1].shape[0] for b in batches] == expected_sizes
    seen = jnp.concatenate([b[1] for b in batches]) if batches else jnp.zeros(0)
    assert len(set(np.asarray(seen).tolist())) == len(seen)  # no example twice
    for bx, by in batches:  # rows stay paired
        np.testing.assert_array_equal(bx[:, 0], 2 * by)
    if not drop:
        assert sorted(np.asarray(seen).tolist()) == list(range(n))


def test_minibatches_shuffle_depends_on_key_and_can_be_off():
    y = jnp.arange(100.0)
    first = lambda k: next(jaxlin.minibatches(k, y, 100))
    assert not np.array_equal(first(KEY), first(jax.random.key(1)))
    np.testing.assert_array_equal(first(KEY), first(KEY))
    np.testing.assert_array_equal(next(jaxlin.minibatches(None, y, 100, shuffle=False)), y)


@pytest.mark.parametrize("bad", [0, -3, 2.5, True])
def test_minibatches_rejects_bad_batch_size(bad):
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        list(jaxlin.minibatches(KEY, jnp.ones(4), bad))


def test_minibatches_rejects_mismatched_and_empty_data():
    with pytest.raises(ValueError, match="same number of examples"):
        list(jaxlin.minibatches(KEY, (jnp.ones((4, 2)), jnp.ones(5)), 2))
    with pytest.raises(ValueError, match="empty"):
        list(jaxlin.minibatches(KEY, (jnp.ones((0, 2)), jnp.ones(0)), 2))
    with pytest.raises(ValueError, match="needs a PRNG key"):
        list(jaxlin.minibatches(None, jnp.ones(4), 2))


class AffineTest(chex.TestCase):
    @chex.variants(with_jit=True, without_jit=True)
    def test_per_example_vmap_equals_batched_matmul(self):
        params = jaxlin.init_affine(KEY, 5, 3, scale=1.0)
        X = jax.random.normal(jax.random.key(1), (7, 5))
        out = self.variant(jaxlin.batched_affine)(params, X)
        chex.assert_shape(out, (7, 3))
        np.testing.assert_allclose(out, X @ params["w"] + params["b"], rtol=1e-5, atol=1e-6)
        one = self.variant(jaxlin.affine)(params, X[2])
        chex.assert_shape(one, (3,))
        np.testing.assert_allclose(one, out[2], rtol=1e-5, atol=1e-6)

    def test_init(self):
        params = jaxlin.init_affine(KEY, 784, 10)
        chex.assert_shape(params["w"], (784, 10))
        chex.assert_trees_all_equal(params["b"], jnp.zeros(10))
        assert 0.009 < float(params["w"].std()) < 0.011
        with pytest.raises(ValueError, match="must be positive"):
            jaxlin.init_affine(KEY, 0, 10)


class LossTest(chex.TestCase):
    @chex.variants(with_jit=True, without_jit=True)
    def test_squared_and_huber_match_references(self):
        y_hat = jnp.array([0.0, 1.0, 3.0, -2.5])
        y = jnp.array([0.5, 1.0, 0.0, 1.0])
        np.testing.assert_allclose(self.variant(jaxlin.squared_loss)(y_hat, y), optax.l2_loss(y_hat, y))
        np.testing.assert_allclose(
            self.variant(jaxlin.huber_loss)(y_hat, y), optax.huber_loss(y_hat, y, delta=1.0), rtol=1e-6
        )
        np.testing.assert_allclose(
            jaxlin.huber_loss(y_hat, y, delta=0.3), optax.huber_loss(y_hat, y, delta=0.3), rtol=1e-6
        )

    def test_squared_loss_gradient_is_residual(self):
        y_hat = jax.random.normal(KEY, (6,))
        y = jax.random.normal(jax.random.key(1), (6,))
        grad = jax.grad(lambda p: jaxlin.squared_loss(p, y).sum())(y_hat)
        np.testing.assert_allclose(grad, y_hat - y, rtol=1e-6)
        # through the model: d/dw mean ½(Xw + b − y)² = Xᵀ(ŷ − y)/n, d/db = mean(ŷ − y)
        X = jax.random.normal(jax.random.key(2), (6, 3))
        params = jaxlin.init_affine(jax.random.key(3), 3, 1, scale=1.0)
        loss = lambda p: jaxlin.squared_loss(jaxlin.batched_affine(p, X)[:, 0], y).mean()
        g = jax.grad(loss)(params)
        r = jaxlin.batched_affine(params, X)[:, 0] - y
        np.testing.assert_allclose(g["w"][:, 0], X.T @ r / 6, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(g["b"][0], r.mean(), rtol=1e-5, atol=1e-6)

    def test_shape_mismatch_is_refused(self):
        with pytest.raises(ValueError, match=r"shape \(4, 1\).*shape \(4,\)"):
            jaxlin.squared_loss(jnp.ones((4, 1)), jnp.ones(4))
        with pytest.raises(ValueError, match="delta must be a positive"):
            jaxlin.huber_loss(jnp.ones(4), jnp.ones(4), delta=0.0)


def test_scratch_sgd_step_equals_optax_sgd_step():
    params = jaxlin.init_affine(KEY, 4, 2, scale=1.0)
    grads = jax.tree_util.tree_map(lambda p: jnp.cos(p) + 0.5, params)

    def one_step(opt):
        updates, _ = opt.update(grads, opt.init(params), params)
        return optax.apply_updates(params, updates)

    chex.assert_trees_all_close(one_step(jaxlin.sgd(0.1)), one_step(optax.sgd(0.1)), rtol=1e-7)


def test_scratch_and_optax_sgd_train_to_identical_parameters():
    data = jaxlin.synthetic_data(KEY, jnp.array([2.0, -3.4]), 4.2, 200)
    params = jaxlin.init_affine(jax.random.key(1), 2, 1)
    loss = jaxlin.get_model("linreg").LOSSES["scratch"]
    a = jaxlin.fit(params, loss, jaxlin.sgd(0.03), data, key=KEY, batch_size=10, num_epochs=2, has_aux=True)
    b = jaxlin.fit(params, loss, optax.sgd(0.03), data, key=KEY, batch_size=10, num_epochs=2, has_aux=True)
    chex.assert_trees_all_close(a.params, b.params, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("bad", [0.0, -0.1, float("nan"), "fast"])
def test_bad_learning_rate(bad):
    with pytest.raises(ValueError, match="learning_rate must be a positive"):
        jaxlin.sgd(bad)
    with pytest.raises(ValueError, match="learning_rate must be a positive"):
        jaxlin.make_optimizer("adam", bad)


def test_unknown_optimizer():
    with pytest.raises(ValueError, match="Unknown optimizer 'adamm'.*adam"):
        jaxlin.make_optimizer("adamm", 0.1)


def test_lstsq_matches_numpy_reference_and_truth():
    w = jnp.array([2.0, -3.4, 0.5])
    X, y = jaxlin.synthetic_data(KEY, w, 4.2, 500)
    w_hat, b_hat = jaxlin.lstsq(X, y)
    Xb = jnp.concatenate([X, jnp.ones((500, 1))], axis=1)
    ref = jnp.linalg.lstsq(Xb, y)[0]
    np.testing.assert_allclose(w_hat, ref[:3], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(b_hat, ref[3], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(w_hat, w, atol=2e-3)
    assert abs(float(b_hat) - 4.2) < 2e-3
    with pytest.raises(ValueError, match="at least d \\+ 1 = 4"):
        jaxlin.lstsq(X[:3], y[:3])


def test_random_order_is_a_uniform_permutation():
    from itertools import permutations

    from jaxlin.ops import random_order

    big = np.asarray(random_order(KEY, 60000))
    np.testing.assert_array_equal(np.sort(big), np.arange(60000))
    keys = jax.random.split(KEY, 24000)
    orders = np.asarray(jax.vmap(lambda k: random_order(k, 4))(keys))
    index = {p: i for i, p in enumerate(permutations(range(4)))}
    counts = np.bincount([index[tuple(o)] for o in orders], minlength=24)
    chi2 = ((counts - 1000) ** 2 / 1000).sum()
    assert chi2 < 49.7, counts  # the 0.1% critical value of chi-square with 23 degrees of freedom
    # the same statistic for jax.random.permutation, the library reference, passes the same bound
    ref = np.asarray(jax.vmap(lambda k: jax.random.permutation(k, 4))(keys))
    ref_counts = np.bincount([index[tuple(o)] for o in ref], minlength=24)
    assert ((ref_counts - 1000) ** 2 / 1000).sum() < 49.7
