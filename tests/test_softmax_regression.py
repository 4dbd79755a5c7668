"""Softmax regression: model shapes, both training paths, and the book's result on the real data."""
import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxlin.affine import affine
from jaxlin.data import load_fashion_mnist, to_device
from jaxlin.softmax_regression import (
    concise_loss, evaluate_split, init_softmax_regression, logits, scratch_loss, train_softmax_regression,
)

KEY = jax.random.key(0)


def test_model_shapes_and_per_example_form():
    params = init_softmax_regression(KEY)
    chex.assert_shape(params["w"], (784, 10))
    images = jax.random.randint(KEY, (5, 28, 28), 0, 256).astype(jnp.uint8)
    o = logits(params, images)
    chex.assert_shape(o, (5, 10))
    one = affine(params, images[3].reshape(-1).astype(jnp.float32) / 255)
    np.testing.assert_allclose(o[3], one, rtol=1e-5, atol=1e-6)


def test_scratch_and_concise_losses_agree_at_moderate_logits():
    params = init_softmax_regression(KEY)
    batch = (jax.random.randint(KEY, (32, 28, 28), 0, 256).astype(jnp.uint8), jnp.arange(32) % 10)
    (a, aux_a), (b, aux_b) = scratch_loss(params, batch), concise_loss(params, batch)
    np.testing.assert_allclose(a, b, rtol=1e-5)
    assert aux_a == aux_b


@pytest.fixture
def tiny_data(tiny_source, tmp_path):
    return [to_device(*load_fashion_mnist(s, source_dir=tiny_source, data_dir=tmp_path / "tfds"))
            for s in ("train", "test")]


@pytest.mark.parametrize("implementation", ["scratch", "concise"])
def test_training_learns_the_tiny_problem(tiny_data, implementation):
    train, test = tiny_data
    result = train_softmax_regression(KEY, train, test, implementation=implementation, learning_rate=0.5,
                                      batch_size=16, num_epochs=15)
    h = result.history
    assert set(h) == {"loss", "accuracy", "test_loss", "test_accuracy"}
    assert all(len(v) == 15 for v in h.values())
    assert h["loss"][-1] < h["loss"][0]
    assert h["test_accuracy"][-1] >= 0.9
    final = evaluate_split(result.params, test)
    np.testing.assert_allclose(final["test_accuracy"], h["test_accuracy"][-1], rtol=1e-6)


@pytest.fixture(scope="module")
def real_data(real_source, real_tfds_dir):
    return [to_device(*load_fashion_mnist(s, source_dir=real_source, data_dir=real_tfds_dir))
            for s in ("train", "test")]


@pytest.mark.parametrize("implementation", ["scratch", "concise"])
def test_book_settings_reach_083_on_real_data(real_data, implementation):
    """Batch 256, lr 0.1, SGD, 10 epochs, seed 0: the book's train_ch3 run."""
    train, test = real_data
    result = train_softmax_regression(KEY, train, test, implementation=implementation)
    assert result.history["test_accuracy"][-1] >= 0.83, result.history["test_accuracy"]
    assert result.history["accuracy"][-1] > result.history["accuracy"][0]
