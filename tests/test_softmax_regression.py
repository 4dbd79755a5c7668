"""Softmax regression: model shapes, both training paths, and the book's result on the real data."""

import dataclasses

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxlin
from jaxlin.models import softmax_regression as model
from jaxlin.ops import affine

KEY = jax.random.key(0)


def test_model_shapes_and_per_example_form():
    params = model.init(KEY)
    chex.assert_shape(params["w"], (784, 10))
    images = jax.random.uniform(KEY, (5, 28, 28))
    o = model.logits(params, images)
    chex.assert_shape(o, (5, 10))
    one = affine(params, images[3].reshape(-1))
    np.testing.assert_allclose(o[3], one, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(model.predict(params, images), o.argmax(-1))


def test_scratch_and_concise_losses_agree_at_moderate_logits():
    params = model.init(KEY)
    batch = (jax.random.uniform(KEY, (32, 28, 28)), jnp.arange(32) % 10)
    (a, aux_a), (b, aux_b) = model.scratch_loss(params, batch), model.concise_loss(params, batch)
    np.testing.assert_allclose(a, b, rtol=1e-5)
    assert aux_a == aux_b


@pytest.fixture
def tiny_data(tiny_source, tmp_path):
    return jaxlin.load_dataset("fashion_mnist", source_dir=tiny_source, tfds_dir=tmp_path / "tfds")


@pytest.mark.parametrize("impl", ["scratch", "concise"])
def test_training_learns_the_tiny_problem(tiny_data, impl):
    config = jaxlin.make_config("softmax", impl=impl, lr=0.5, batch_size=16, epochs=15)
    result = jaxlin.train_model(config, tiny_data)
    h = result.history
    assert set(h) == {"loss", "accuracy", "test_loss", "test_accuracy"}
    assert all(len(v) == 15 for v in h.values())
    assert h["loss"][-1] < h["loss"][0]
    assert h["test_accuracy"][-1] >= 0.9
    final = model.evaluate(result.params, tiny_data)
    np.testing.assert_allclose(final["test_accuracy"], h["test_accuracy"][-1], rtol=1e-6)


def test_evaluation_reads_the_test_split_through_the_data_step(tiny_data):
    """Relabel the test split only: the evaluation must see it, after u8 -> f32 in [0, 1]."""
    params = jaxlin.train_model(jaxlin.make_config("softmax", lr=0.5, batch_size=16, epochs=15), tiny_data).params
    images, labels = tiny_data.test
    relabelled = dataclasses.replace(tiny_data, test=(images, (labels + 1) % 10))
    assert model.evaluate(params, tiny_data)["test_accuracy"] >= 0.9
    assert model.evaluate(params, relabelled)["test_accuracy"] <= 0.1
    expected = optax.softmax_cross_entropy_with_integer_labels(model.logits(params, images / 255.0), labels).mean()
    np.testing.assert_allclose(model.evaluate(params, tiny_data)["test_loss"], expected, rtol=1e-5)


@pytest.fixture(scope="module")
def real_data(real_source, real_tfds_dir):
    return jaxlin.load_dataset("fashion_mnist", source_dir=real_source, tfds_dir=real_tfds_dir)


@pytest.mark.parametrize("impl", ["scratch", "concise"])
def test_book_settings_reach_083_on_real_data(real_data, impl):
    """Batch 256, lr 0.1, SGD, 10 epochs, seed 0: the book's train_ch3 run."""
    result = jaxlin.train_model(jaxlin.make_config("softmax", impl=impl), real_data)
    assert result.history["test_accuracy"][-1] >= 0.83, result.history["test_accuracy"]
    assert result.history["accuracy"][-1] > result.history["accuracy"][0]
