"""The sigmoid and binary cross-entropy, naive and stable; logistic regression as 2-class softmax."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from conftest import cli_args

from jaxlin.data import Dataset, class_pair, prepare_images
from jaxlin.models import get_model
from jaxlin.ops import binary_cross_entropy, log_sigmoid, naive_sigmoid, sigmoid, sigmoid_binary_cross_entropy, softplus
from jaxlin.train import main

logistic, softmax = get_model("logistic"), get_model("softmax")
Z = jnp.array([-1e4, -100.0, -20.0, -1.0, 0.0, 1e-3, 1.0, 20.0, 100.0, 1e4])


class TestSigmoid(chex.TestCase):
    @chex.variants(with_jit=True, without_jit=True)
    def test_stable_forms_match_jax_at_every_scale(self):
        np.testing.assert_allclose(self.variant(softplus)(Z), jax.nn.softplus(Z), rtol=1e-6, atol=1e-30)
        np.testing.assert_allclose(self.variant(log_sigmoid)(Z), jax.nn.log_sigmoid(Z), rtol=1e-6, atol=1e-30)
        np.testing.assert_allclose(self.variant(sigmoid)(Z), jax.nn.sigmoid(Z), rtol=1e-6, atol=1e-30)
        assert float(log_sigmoid(jnp.float32(-1e4))) == -1e4

    def test_the_naive_form_breaks_where_the_stable_one_does_not(self):
        with np.errstate(all="ignore"):
            assert float(jnp.log(naive_sigmoid(jnp.float32(-1e4)))) == -np.inf
        np.testing.assert_allclose(naive_sigmoid(Z[2:-2]), jax.nn.sigmoid(Z[2:-2]), rtol=1e-6)

    @chex.variants(with_jit=True, without_jit=True)
    def test_cross_entropy_from_logits_matches_optax_and_its_gradient_is_sigma_minus_y(self):
        for y in (jnp.zeros_like(Z), jnp.ones_like(Z), jnp.full_like(Z, 0.3)):
            ce = self.variant(sigmoid_binary_cross_entropy)
            np.testing.assert_allclose(ce(Z, y), optax.sigmoid_binary_cross_entropy(Z, y), rtol=1e-6, atol=1e-7)
            grad = jax.grad(lambda z: sigmoid_binary_cross_entropy(z, y).sum())(Z)
            np.testing.assert_allclose(grad, jax.nn.sigmoid(Z) - y, atol=1e-7)
        assert np.isfinite(sigmoid_binary_cross_entropy(Z, 1 - (Z > 0))).all()  # wrong by 1e4: a loss of 1e4

    def test_the_books_form_agrees_where_it_is_finite_and_gives_inf_where_it_saturates(self):
        y = (jnp.arange(Z.size) % 2).astype(jnp.float32)
        middle = slice(3, 7)
        np.testing.assert_allclose(
            binary_cross_entropy(naive_sigmoid(Z), y)[middle], sigmoid_binary_cross_entropy(Z, y)[middle], rtol=1e-5
        )
        with np.errstate(all="ignore"):
            assert not np.isfinite(binary_cross_entropy(naive_sigmoid(jnp.float32(1e4)), jnp.float32(0)))


@pytest.mark.parametrize("impl", ["scratch", "concise"])
def test_logistic_regression_is_softmax_regression_with_two_classes(impl):
    """Logits (0, z) give softmax probabilities (1 − σ(z), σ(z)): with class 0's weights fixed at 0,
    the two models have the same loss, gradient and predictions."""
    key_w, key_x = jax.random.split(jax.random.key(0))
    params = {"w": 0.05 * jax.random.normal(key_w, (784, 1)), "b": jnp.array([0.3])}
    two_class = {"w": jnp.concatenate([jnp.zeros((784, 1)), params["w"]], 1), "b": jnp.array([0.0, 0.3])}
    images = jax.random.uniform(key_x, (64, 28, 28))
    labels = (jax.random.uniform(jax.random.key(2), (64,)) > 0.5).astype(jnp.int32)
    one = jax.value_and_grad(lambda p: logistic.LOSSES[impl](p, (images, labels))[0])(params)
    two = jax.value_and_grad(lambda p: softmax.LOSSES[impl](p, (images, labels))[0])(two_class)
    np.testing.assert_allclose(one[0], two[0], rtol=1e-6)
    np.testing.assert_allclose(one[1]["w"][:, 0], two[1]["w"][:, 1], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(one[1]["b"][0], two[1]["b"][1], rtol=1e-5)
    np.testing.assert_array_equal(logistic.predict(params, images), softmax.predict(two_class, images))


def test_class_pair_keeps_two_classes_and_relabels_them():
    images = jnp.arange(8 * 28 * 28, dtype=jnp.uint32).reshape(8, 28, 28).astype(jnp.uint8)
    labels = jnp.array([0, 6, 3, 6, 0, 1, 6, 9])
    data = Dataset(
        train=(images, labels),
        test=(images[:3], labels[:3]),
        prepare=prepare_images,
        label_names=tuple(f"c{i}" for i in range(10)),
        source="toy",
    )
    pair = class_pair(data, (0, 6))
    np.testing.assert_array_equal(pair.train[1], [0, 1, 1, 0, 1])
    np.testing.assert_array_equal(pair.train[0], images[jnp.array([0, 1, 3, 4, 6])])
    assert pair.label_names == ("c0", "c6") and pair.test[1].tolist() == [0, 1] and "0 vs 6" in pair.source
    with pytest.raises(ValueError, match="two different classes"):
        class_pair(data, (3, 3))


def test_logistic_regression_refuses_labels_other_than_0_and_1():
    images = jnp.zeros((3, 28, 28), jnp.uint8)
    with pytest.raises(ValueError, match="label of 2"):
        logistic.check_data(Dataset(train=(images, jnp.array([0, 1, 2]))))


def test_the_command_trains_logistic_regression(tiny_source, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(cli_args(tiny_source, tmp_path, out, "--model", "logistic", "--epochs", "3")) == 0
    printed = capsys.readouterr().out
    assert "test acc" in printed and (out / "metrics.json").exists() and (out / "params.npz").exists()
