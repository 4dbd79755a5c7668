"""Per-example weights: the weighted mean, weights through the compiled epoch, and bad weights."""

import dataclasses

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlin
from jaxlin.data import Dataset, prepare_images
from jaxlin.models import get_model
from jaxlin.ops import check_weights, split_batch, weighted_mean, with_weights

softmax = get_model("softmax")


def images_and_labels(n=96, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    images = rng.integers(0, 40, (n, 28, 28))
    for i, c in enumerate(labels):
        images[i, 2 * c + 4 : 2 * c + 6] = 255
    return jnp.asarray(images, jnp.uint8), jnp.asarray(labels, jnp.int32)


class TestWeightedMean(chex.TestCase):
    @chex.variants(with_jit=True, without_jit=True)
    def test_unit_weights_are_the_plain_mean_bit_for_bit(self):
        values = jax.random.normal(jax.random.key(0), (257,))
        mean = self.variant(weighted_mean)
        assert mean(values, jnp.ones(257)) == mean(values) == values.mean()
        grad = self.variant(jax.grad(lambda v, w: weighted_mean(v**2, w)))
        np.testing.assert_array_equal(grad(values, jnp.ones(257)), grad(values, None))

    def test_integer_weights_are_repeated_examples(self):
        values = jnp.array([1.0, 2.0, 4.0, 8.0])
        weights = jnp.array([2, 0, 3, 1])
        np.testing.assert_allclose(
            weighted_mean(values, weights.astype(jnp.float32)), jnp.repeat(values, weights).mean(), rtol=1e-7
        )

    def test_a_batch_of_zero_weights_has_mean_zero_and_no_gradient(self):
        assert weighted_mean(jnp.array([3.0, 5.0]), jnp.zeros(2)) == 0
        grad = jax.grad(lambda v: weighted_mean(v, jnp.zeros(2)))(jnp.array([3.0, 5.0]))
        np.testing.assert_array_equal(grad, 0)


@pytest.mark.parametrize("impl", ["scratch", "concise"])
def test_training_with_unit_weights_equals_unweighted_training_bit_for_bit(impl):
    """Shuffled minibatches, a smaller last batch, the u8 data step: the weights travel along and
    change nothing when they are all 1: the same parameters bit for bit. (The reported loss may
    differ in its last bit: XLA may sum w·ℓ in another order than ℓ.)"""
    images, labels = images_and_labels()
    runs = []
    for data in ((images, labels), (images, labels, jnp.ones(96))):
        runs.append(
            jaxlin.fit(
                softmax.init(jax.random.key(1)),
                softmax.LOSSES[impl],
                jaxlin.sgd(0.3),
                data,
                key=jax.random.key(2),
                batch_size=20,
                num_epochs=3,
                has_aux=True,
                prepare=prepare_images,
            )
        )
    chex.assert_trees_all_equal(runs[0].params, runs[1].params)
    chex.assert_trees_all_close(runs[0].history, runs[1].history, rtol=1e-6)


@pytest.mark.parametrize("model", ["softmax", "logistic", "linreg"])
def test_integer_weights_give_the_gradient_of_repeated_examples(model):
    module = get_model(model)
    images, labels = images_and_labels(12)
    if model == "logistic":
        labels = labels % 2
    X = prepare_images((images,))[0] if model != "linreg" else jax.random.normal(jax.random.key(3), (12, 2))
    y = labels if model != "linreg" else jax.random.normal(jax.random.key(4), (12,))
    weights = np.array([2, 0, 1, 3, 1, 1, 4, 0, 1, 2, 1, 1])
    params = module.init(jax.random.key(5))
    for impl in ("scratch", "concise"):
        loss = lambda p, batch: module.LOSSES[impl](p, batch)[0]
        weighted = jax.value_and_grad(loss)(params, (X, y, jnp.asarray(weights, jnp.float32)))
        repeated = jax.value_and_grad(loss)(params, (jnp.repeat(X, weights, axis=0), jnp.repeat(y, weights)))
        chex.assert_trees_all_close(weighted, repeated, rtol=1e-5, atol=1e-7)


def test_weighted_least_squares_in_the_polynomial_models_closed_form():
    polynomial = get_model("polynomial")
    data = polynomial.with_options(jaxlin.load_dataset("polynomial", jax.random.key(0)), degree=3)
    X, y = data.train
    w = np.random.default_rng(0).uniform(0.1, 3, len(y))
    solved = polynomial.solve(dataclasses.replace(data, train=with_weights(data.train, w)))["w"]
    scale = np.sqrt(w)[:, None]
    expected = np.linalg.lstsq(np.asarray(X, np.float64) * scale, np.asarray(y, np.float64) * scale[:, 0], rcond=None)[
        0
    ]
    np.testing.assert_allclose(solved, expected, rtol=1e-4, atol=1e-5)
    unweighted = np.linalg.lstsq(np.asarray(X, np.float64), np.asarray(y, np.float64), rcond=None)[0]
    assert np.abs(expected - unweighted).max() > 1e-3  # the weights matter


@pytest.mark.parametrize(
    "weights, message",
    [
        ([1.0, -0.5, 1.0], "must be >= 0; 1 are negative"),
        ([1.0, np.nan, 1.0], "1 NaN or infinite value"),
        ([1.0, np.inf, 1.0], "NaN or infinite"),
        ([0.0, 0.0, 0.0], "all zero"),
        ([1.0, 1.0], r"shape \(3,\)"),
        (["a", "b", "c"], "must be numbers"),
        ([True, False, True], "must be numbers"),
    ],
)
def test_bad_weights_are_refused_where_they_enter(weights, message):
    with pytest.raises(ValueError, match=message):
        check_weights(np.array(weights), 3)
    split = (jnp.zeros((3, 28, 28), jnp.uint8), jnp.zeros(3, jnp.int32))
    with pytest.raises(ValueError, match=message):
        with_weights(split, np.array(weights))


def test_the_models_refuse_bad_weights_in_their_data():
    images, labels = images_and_labels(4)
    bad = Dataset(
        train=(images, labels, jnp.array([1.0, -1.0, 1.0, 1.0])), test=(images, labels), prepare=prepare_images
    )
    for name in ("softmax", "logistic"):
        with pytest.raises(ValueError, match="the train weights must be >= 0"):
            get_model(name).check_data(dataclasses.replace(bad, train=(images, labels % 2, bad.train[2])))
    with pytest.raises(ValueError, match="2 or 3 parts|\\(inputs, targets\\)"):
        split_batch((images,))
