"""The compiled epoch and `fit`: same batches as the Python iterator, no retracing, convergence."""
import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxlin
from jaxlin.linear_regression import scratch_loss

KEY = jax.random.key(0)


def _data(n=103):
    return jaxlin.synthetic_data(KEY, jnp.array([2.0, -3.4]), 4.2, n)


@pytest.mark.parametrize("drop_remainder", [False, True])
def test_scan_epoch_equals_python_loop_over_minibatches(drop_remainder):
    """n = 103, batch 10: ten full batches in the scan, then the 3 left over (unless dropped)."""
    data = _data()
    params = jaxlin.init_affine(jax.random.key(1), 2, 1)
    opt = jaxlin.sgd(0.03)
    epoch = jax.jit(jaxlin.make_epoch(scratch_loss, opt, batch_size=10, drop_remainder=drop_remainder))
    p_scan, _, metrics = epoch(params, opt.init(params), KEY, data)

    step = jax.jit(jaxlin.make_train_step(scratch_loss, opt))
    p_loop, state, losses, sizes = params, opt.init(params), [], []
    for batch in jaxlin.minibatches(KEY, data, 10, drop_remainder=drop_remainder):
        p_loop, state, loss, _ = step(p_loop, state, batch)
        losses.append(float(loss))
        sizes.append(batch[1].shape[0])
    assert sum(sizes) == (100 if drop_remainder else 103)
    chex.assert_trees_all_close(p_scan, p_loop, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(metrics["loss"], np.average(losses, weights=sizes), rtol=1e-5)


def test_fit_compiles_the_epoch_once():
    data = _data(100)
    params = jaxlin.init_affine(jax.random.key(1), 2, 1)
    traced_loss = chex.assert_max_traces(scratch_loss, n=2)  # the scan body and the remainder step
    result = jaxlin.fit(params, traced_loss, jaxlin.sgd(0.03), data, key=KEY, batch_size=7,
                        num_epochs=4)
    assert len(result.history["loss"]) == 4
    chex.clear_trace_counter()
    traced_loss = chex.assert_max_traces(scratch_loss, n=1)  # 100 % 10 == 0: no remainder step
    jaxlin.fit(params, traced_loss, jaxlin.sgd(0.03), data, key=KEY, batch_size=10, num_epochs=4)


class EpochVariantsTest(chex.TestCase):
    @chex.variants(with_jit=True, without_jit=True)
    def test_jit_and_nojit_epochs_agree(self):
        data = _data()
        params = jaxlin.init_affine(jax.random.key(1), 2, 1)
        opt = optax.adam(0.05)
        epoch = self.variant(jaxlin.make_epoch(scratch_loss, opt, batch_size=16))
        p, _, m = epoch(params, opt.init(params), KEY, data)
        ref_p, _, ref_m = jax.jit(jaxlin.make_epoch(scratch_loss, opt, batch_size=16))(
            params, opt.init(params), KEY, data)
        chex.assert_trees_all_close(p, ref_p, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(m["loss"], ref_m["loss"], rtol=1e-5)


@pytest.mark.parametrize("implementation, optimizer, lr", [
    ("scratch", None, 0.03),       # the book's settings: scratch sgd, lr 0.03, batch 10, 3 epochs
    ("concise", "sgd", 0.03),
    ("concise", "adam", 0.1),
])
def test_linear_regression_recovers_w_and_b(implementation, optimizer, lr):
    result, errors = jaxlin.train_linear_regression(
        KEY, implementation=implementation, optimizer=optimizer, learning_rate=lr)
    assert errors["w_error"] < 0.01 and errors["b_error"] < 0.01, errors
    assert result.history["full_loss"][-1] < 1e-4  # noise 0.01 gives ½·1e-4 = 5e-5 at the optimum
    assert result.history["loss"][0] > result.history["loss"][-1]


def test_fit_stops_on_divergence_naming_the_epoch():
    data = _data(100)
    params = jaxlin.init_affine(jax.random.key(1), 2, 1)
    with pytest.raises(jaxlin.TrainingDiverged, match="epoch [0-9]+.*Lower the learning rate"):
        jaxlin.fit(params, scratch_loss, jaxlin.sgd(50.0), data, key=KEY, batch_size=10, num_epochs=20)


def test_fit_rejects_bad_arguments():
    data = _data(20)
    params = jaxlin.init_affine(jax.random.key(1), 2, 1)
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        jaxlin.fit(params, scratch_loss, jaxlin.sgd(0.1), data, key=KEY, batch_size=0, num_epochs=1)
    with pytest.raises(ValueError, match="num_epochs must be a positive integer"):
        jaxlin.fit(params, scratch_loss, jaxlin.sgd(0.1), data, key=KEY, batch_size=4, num_epochs=0)
    with pytest.raises(ValueError, match="empty"):
        jaxlin.fit(params, scratch_loss, jaxlin.sgd(0.1), (jnp.ones((0, 2)), jnp.ones(0)), key=KEY,
                   batch_size=4, num_epochs=1)


def test_runs_are_deterministic_for_a_seed():
    a, _ = jaxlin.train_linear_regression(jax.random.key(3), num_epochs=2)
    b, _ = jaxlin.train_linear_regression(jax.random.key(3), num_epochs=2)
    chex.assert_trees_all_equal(a.params, b.params)
    assert a.history == b.history
