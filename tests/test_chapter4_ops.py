"""D2L chapter 4's ops: activations and their derivatives, dropout, initialisers, hand-written backprop."""

import math

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special

from jaxlin.ops.activations import ACTIVATIONS, derivative, prelu, relu
from jaxlin.ops.backprop import backprop_mlp, mlp_objective
from jaxlin.ops.dropout import dropout_layer
from jaxlin.ops.initializers import normal, xavier_normal, xavier_uniform

KEY = jax.random.key(0)
RNG = np.random.default_rng(0)  # test data from NumPy: no jax.random program to compile
GRID = np.linspace(-8.0, 8.0, 1601, dtype=np.float32)
NONZERO = GRID[GRID != 0]
# one compiled autodiff reference for every test (compiling, not computing, is what costs time here)
REFERENCE = jax.jit(jax.value_and_grad(mlp_objective))


def _variance_se(samples: np.ndarray) -> float:
    """The standard error of the sample variance, sqrt((μ₄ − σ⁴) / N), from the sample's own moments."""
    centred = samples - samples.mean()
    return math.sqrt(((centred**4).mean() - (centred**2).mean() ** 2) / samples.size)


class TestActivations(chex.TestCase):
    @chex.variants(with_jit=True, without_jit=True)
    def test_relu_and_prelu(self):
        x = 3.0 * RNG.standard_normal((64, 8), np.float32)
        slopes = np.linspace(0.0, 0.5, 8, dtype=np.float32)  # one learnable slope per unit, broadcast over the batch
        np.testing.assert_array_equal(self.variant(relu)(x), jax.nn.relu(x))
        np.testing.assert_array_equal(self.variant(prelu)(x, 0.0), np.maximum(x, 0))
        np.testing.assert_array_equal(self.variant(prelu)(x, 1.0), x)
        np.testing.assert_allclose(self.variant(prelu)(x, slopes), np.where(x > 0, x, slopes * x), rtol=1e-6)
        assert ACTIVATIONS["relu"] is relu and set(ACTIVATIONS) == {"relu", "sigmoid", "tanh"}

    def test_prelu_gradient_in_alpha_is_min_0_x(self):
        """Exercise 4.1: pReLU's derivative with respect to its slope (and, for reference, to x)."""
        grad_alpha = jax.jit(jax.vmap(jax.grad(prelu, argnums=1), in_axes=(0, None)))(GRID, 0.25)
        np.testing.assert_array_equal(grad_alpha, np.minimum(GRID, 0))
        grad_x = jax.jit(derivative(lambda t: prelu(t, 0.25)))(NONZERO)
        np.testing.assert_array_equal(grad_x, np.where(NONZERO > 0, 1.0, 0.25))

    def test_tanh_is_a_rescaled_sigmoid(self):
        """Exercise 4.1: tanh(x) + 1 = 2σ(2x)."""
        np.testing.assert_allclose(jnp.tanh(GRID) + 1, 2 * ACTIVATIONS["sigmoid"](2 * GRID), atol=1e-6)

    def test_derivative_matches_the_analytic_ones(self):
        s = 1 / (1 + np.exp(-GRID.astype(np.float64)))
        np.testing.assert_allclose(jax.jit(derivative(ACTIVATIONS["sigmoid"]))(GRID), s * (1 - s), atol=1e-7)
        np.testing.assert_allclose(jax.jit(derivative(ACTIVATIONS["tanh"]))(GRID), 1 - np.tanh(GRID) ** 2, atol=1e-6)
        relu_prime = jax.jit(derivative(relu))
        np.testing.assert_array_equal(relu_prime(NONZERO), (NONZERO > 0).astype(np.float32))
        chex.assert_shape(relu_prime(np.zeros((3, 4), np.float32)), (3, 4))

    def test_relu_derivative_at_zero(self):
        """Autodiff of max(x, 0) splits the tie: ½ at 0. The book and jax.nn.relu take 0."""
        assert float(derivative(relu)(jnp.zeros(1))[0]) == 0.5
        assert float(jax.grad(jax.nn.relu)(0.0)) == 0.0


class TestDropout(chex.TestCase):
    X = RNG.uniform(0.5, 1.5, (400, 250)).astype(np.float32)  # no zeros: 0 in the output means dropped

    @chex.variants(with_jit=True, without_jit=True)
    def test_rates_0_and_1_and_bad_rates(self):
        x = jnp.asarray(self.X)
        assert dropout_layer(KEY, x, 0.0) is x
        np.testing.assert_array_equal(self.variant(lambda k, x: dropout_layer(k, x, 0.0))(KEY, x), self.X)
        np.testing.assert_array_equal(self.variant(lambda k, x: dropout_layer(k, x, 1))(KEY, x), 0.0)
        for bad in (-0.1, 1.5, float("nan"), True, "half"):
            with pytest.raises(ValueError, match="from 0 to 1"):
                dropout_layer(KEY, x, bad)
        with pytest.raises(ValueError, match="static"):
            jax.jit(dropout_layer)(KEY, x, 0.5)

    def test_statistics_at_rate_one_half(self):
        rate, x = 0.5, self.X.astype(np.float64)
        out = np.asarray(dropout_layer(KEY, self.X, rate), np.float64)
        kept, n = out != 0, x.size
        assert abs(kept.mean() - (1 - rate)) < 4 * math.sqrt(rate * (1 - rate) / n)
        # E[out] = x elementwise; given x, Var(mean(out)) = (rate / (1 − rate)) · mean(x²) / n: 4 standard errors.
        se_mean = math.sqrt(rate / (1 - rate) * (x**2).mean() / n)
        assert abs(out.mean() - x.mean()) < 4 * se_mean

    @chex.variants(with_jit=True, without_jit=True)
    def test_survivors_are_scaled_exactly_and_jit_agrees(self):
        """Survivors are x · f32(1/(1 − rate)), bitwise, with and without jit: x/(1 − rate) itself for rate 0.5,
        within an ulp of it for rate 0.3 (a quotient XLA would compute as that product under jit anyway)."""
        for rate in (0.5, 0.3):
            out = np.asarray(self.variant(lambda k, x: dropout_layer(k, x, rate))(KEY, self.X))
            np.testing.assert_array_equal(out, dropout_layer(KEY, self.X, rate))
            kept = out != 0
            assert 0 < kept.mean() < 1 and out.dtype == np.float32
            np.testing.assert_array_equal(out[kept], (self.X * np.float32(1 / (1 - rate)))[kept])
            np.testing.assert_array_max_ulp(
                out[kept], (self.X / np.float32(1 - rate))[kept], maxulp=0 if rate == 0.5 else 1
            )

    def test_keys_decide_the_mask_and_vmap_gives_one_mask_per_key(self):
        keys = jax.random.split(KEY, 4)
        batched = np.asarray(jax.jit(jax.vmap(lambda k, x: dropout_layer(k, x, 0.5)))(keys, self.X[:4]))
        one_key = np.asarray(dropout_layer(KEY, self.X, 0.5))
        np.testing.assert_array_equal(one_key, dropout_layer(KEY, self.X, 0.5))
        assert not np.array_equal(dropout_layer(keys[0], self.X, 0.5) != 0, one_key != 0)
        assert not np.array_equal(batched[0] != 0, batched[1] != 0)
        np.testing.assert_array_equal(batched[2], dropout_layer(keys[2], self.X[2], 0.5))

    def test_dropped_inf_gives_zero(self):
        out = np.asarray(dropout_layer(KEY, np.full(self.X.shape, np.inf, np.float32), 0.5))
        assert np.isin(out, [0.0, np.inf]).all() and (out == 0).any()


class TestInitializers:
    SHAPE = (512, 256)

    def test_xavier_uniform(self):
        n_in, n_out = self.SHAPE
        a = math.sqrt(6 / (n_in + n_out))
        w = np.asarray(xavier_uniform(KEY, self.SHAPE), np.float64)
        assert w.shape == self.SHAPE and xavier_uniform(KEY, self.SHAPE).dtype == jnp.float32
        assert -a <= w.min() and w.max() < a
        assert abs(w.var() - a**2 / 3) < 4 * _variance_se(w)
        np.testing.assert_allclose(a**2 / 3, 2 / (n_in + n_out))
        assert abs(w.mean()) < 4 * math.sqrt(a**2 / 3 / w.size)

    def test_xavier_uniform_matches_the_librarys_glorot_uniform(self):
        ours = np.asarray(xavier_uniform(KEY, self.SHAPE), np.float64)
        theirs = np.asarray(jax.nn.initializers.glorot_uniform()(jax.random.key(7), self.SHAPE), np.float64)
        assert np.abs(theirs).max() <= math.sqrt(6 / sum(self.SHAPE))
        assert abs(ours.var() - theirs.var()) < 4 * math.hypot(_variance_se(ours), _variance_se(theirs))

    def test_xavier_normal(self):
        variance = 2 / sum(self.SHAPE)
        w = np.asarray(xavier_normal(KEY, self.SHAPE), np.float64)
        assert w.shape == self.SHAPE
        assert abs(w.var() - variance) < 4 * _variance_se(w)
        assert abs(w.mean()) < 4 * math.sqrt(variance / w.size)
        assert np.abs(w).max() > 2.5 * math.sqrt(variance)  # not truncated at two standard deviations

    def test_normal(self):
        w = np.asarray(normal(KEY, self.SHAPE), np.float64)
        assert abs(w.std() - 0.01) < 4 * 0.01 / math.sqrt(2 * w.size)
        assert abs(w.mean()) < 4 * 0.01 / math.sqrt(w.size)
        assert normal(KEY, (3,), std=1.0, dtype=jnp.bfloat16).dtype == jnp.bfloat16
        with pytest.raises(ValueError, match="std"):
            normal(KEY, (3, 3), std=-1.0)

    @pytest.mark.parametrize("shape", [(10,), (3, 3, 3), (), (0, 4)])
    def test_xavier_refuses_shapes_that_are_not_2d_weights(self, shape):
        for init in (xavier_uniform, xavier_normal):
            with pytest.raises(ValueError, match="2-D|positive"):
                init(KEY, shape)


def _problem(with_bias: bool, n=32, d=20, h=16, q=5):
    rng = np.random.default_rng(3)
    params = {"W1": 0.5 * rng.standard_normal((d, h), np.float32), "W2": 0.5 * rng.standard_normal((h, q), np.float32)}
    if with_bias:
        params["b1"] = rng.standard_normal(h, np.float32)
    params = {name: jnp.asarray(value) for name, value in params.items()}
    return params, jnp.asarray(rng.standard_normal((n, d), np.float32)), jnp.asarray(rng.integers(0, q, n, np.int32))


class TestBackprop(chex.TestCase):
    @chex.variants(with_jit=True, without_jit=True)
    def test_matches_autodiff(self):
        for with_bias in (False, True):
            params, x, y = _problem(with_bias)
            for weight_decay in (0.0, 0.3):
                j, grads = self.variant(backprop_mlp)(params, x, y, weight_decay)
                j_ref, grads_ref = REFERENCE(params, x, y, weight_decay)
                assert grads.keys() == params.keys()
                chex.assert_trees_all_equal_shapes_and_dtypes(grads, params)
                np.testing.assert_allclose(j, j_ref, rtol=1e-6)
                chex.assert_trees_all_close(grads, grads_ref, rtol=1e-5, atol=1e-6)

    def test_weight_decay_adds_lambda_w_and_the_penalty(self):
        params, x, y = _problem(with_bias=True)
        (j0, g0), (j1, g1) = (backprop_mlp(params, x, y, weight_decay) for weight_decay in (0.0, 0.3))
        w1, w2, b1, x64 = (np.asarray(a, np.float64) for a in (params["W1"], params["W2"], params["b1"], x))
        o = np.maximum(x64 @ w1 + b1, 0) @ w2
        loss = np.mean(scipy.special.logsumexp(o, axis=1) - o[np.arange(y.size), np.asarray(y)])
        np.testing.assert_allclose(j0, loss, rtol=1e-5)
        np.testing.assert_allclose(j1 - j0, 0.15 * ((w1**2).sum() + (w2**2).sum()), rtol=1e-5)
        for name, w in (("W1", w1), ("W2", w2)):
            np.testing.assert_allclose(np.asarray(g1[name]) - np.asarray(g0[name]), 0.3 * w, rtol=1e-4, atol=1e-6)
        np.testing.assert_array_equal(g1["b1"], g0["b1"])  # biases are not penalised

    def test_relu_derivative_at_zero_follows_the_book(self):
        """W1 = 0 puts every hidden input at exactly 0: the hand-written pass takes relu'(0) = 0, so
        ∂J/∂W1 = 0; autodiff of max(z, 0) takes ½ and gives half of xᵀ(∂J/∂h)."""
        params, x, y = _problem(with_bias=False)
        params["W1"] = jnp.zeros_like(params["W1"])
        _, grads = backprop_mlp(params, x, y, 0.0)
        _, auto = REFERENCE(params, x, y, 0.0)
        np.testing.assert_array_equal(grads["W1"], 0.0)
        n, q = x.shape[0], params["W2"].shape[1]
        d_o = (np.full((n, q), 1 / q) - np.eye(q)[np.asarray(y)]) / n  # o = 0: softmax is uniform
        d_h = d_o @ np.asarray(params["W2"], np.float64).T
        np.testing.assert_allclose(auto["W1"], 0.5 * np.asarray(x, np.float64).T @ d_h, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(grads["W2"], auto["W2"], atol=1e-7)

    def test_bad_arguments(self):
        params, x, y = _problem(with_bias=False)
        with pytest.raises(ValueError, match="integer class ids"):
            backprop_mlp(params, x, y.astype(jnp.float32), 0.0)
        with pytest.raises(ValueError, match="i32\\[n\\]"):
            mlp_objective(params, x, y[:-1], 0.0)
        with pytest.raises(ValueError, match='"W1", "W2"'):
            backprop_mlp({"w1": params["W1"], "W2": params["W2"]}, x, y, 0.0)
