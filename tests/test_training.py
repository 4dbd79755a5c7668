"""The compiled epoch and `fit`: same batches as the Python iterator, no retracing, convergence."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxlin
from jaxlin.ops import index_shuffle

KEY = jax.random.key(0)


def squared_error(params, batch):
    """The book's linear-regression loss, written here so the engine is tested on its own."""
    X, y = batch
    return jaxlin.squared_loss(jaxlin.batched_affine(params, X)[:, 0], y).mean()


def _data(n=103):
    return jaxlin.synthetic_data(KEY, jnp.array([2.0, -3.4]), 4.2, n)


@pytest.mark.parametrize("drop_remainder", [False, True])
def test_scan_epoch_equals_python_loop_over_minibatches(drop_remainder):
    """n = 103, batch 10: ten full batches in the scan, then the 3 left over (unless dropped)."""
    data = _data()
    params = jaxlin.init_affine(jax.random.key(1), 2, 1)
    opt = jaxlin.sgd(0.03)
    epoch = jax.jit(jaxlin.make_epoch(squared_error, opt, batch_size=10, drop_remainder=drop_remainder))
    state, metrics = epoch(jaxlin.init_state(params, opt, KEY), data)
    assert int(state.epoch) == 1

    step = jax.jit(jaxlin.make_train_step(squared_error, opt))
    p_loop, opt_state, losses, sizes = params, opt.init(params), [], []
    for batch in jaxlin.minibatches(jaxlin.epoch_key(KEY, 0), data, 10, drop_remainder=drop_remainder):
        p_loop, opt_state, loss, _ = step(p_loop, opt_state, batch)
        losses.append(float(loss))
        sizes.append(batch[1].shape[0])
    assert sum(sizes) == (100 if drop_remainder else 103)
    chex.assert_trees_all_close(state.params, p_loop, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(metrics["loss"], np.average(losses, weights=sizes), rtol=1e-5)


def test_each_epoch_shuffles_with_its_own_order():
    """Epoch e visits index_shuffle(fold_in(key, e)): a reference built without epoch_key, so an
    epoch_key that ignored the epoch (every epoch the same order) would fail here."""
    data = _data(40)
    params = jaxlin.init_affine(jax.random.key(1), 2, 1)
    opt = jaxlin.sgd(0.05)
    step = jax.jit(jaxlin.make_train_step(squared_error, opt))
    p_ref, opt_state = params, opt.init(params)
    orders = []
    for e in range(3):
        order = index_shuffle(jax.random.fold_in(KEY, e), 40)
        orders.append(np.asarray(order))
        for idx in order.reshape(4, 10):
            p_ref, opt_state, _, _ = step(p_ref, opt_state, jax.tree_util.tree_map(lambda a: a[idx], data))
    assert not np.array_equal(orders[0], orders[1]) and not np.array_equal(orders[1], orders[2])
    result = jaxlin.fit(params, squared_error, opt, data, key=KEY, batch_size=10, num_epochs=3)
    chex.assert_trees_all_close(result.params, p_ref, rtol=1e-6, atol=1e-7)
    assert int(result.state.epoch) == 3


def test_end_of_epoch_evaluation_sees_the_final_parameters():
    """103 examples in batches of 10: the evaluation must come after the last, smaller batch."""
    data = _data()
    full_loss = lambda params, data: {"full_loss": squared_error(params, data)}
    result = jaxlin.fit(
        jaxlin.init_affine(jax.random.key(1), 2, 1),
        squared_error,
        jaxlin.sgd(0.03),
        data,
        key=KEY,
        batch_size=10,
        num_epochs=2,
        eval_fn=full_loss,
        eval_data=data,
    )
    assert result.history["full_loss"][-1] == float(jax.jit(squared_error)(result.params, data))


def test_fit_compiles_the_epoch_once():
    data = _data(100)
    params = jaxlin.init_affine(jax.random.key(1), 2, 1)
    traced_loss = chex.assert_max_traces(squared_error, n=2)  # the scan body and the remainder step
    result = jaxlin.fit(params, traced_loss, jaxlin.sgd(0.03), data, key=KEY, batch_size=7, num_epochs=4)
    assert len(result.history["loss"]) == 4
    chex.clear_trace_counter()
    traced_loss = chex.assert_max_traces(squared_error, n=1)  # 100 % 10 == 0: no remainder step
    jaxlin.fit(params, traced_loss, jaxlin.sgd(0.03), data, key=KEY, batch_size=10, num_epochs=4)


class EpochVariantsTest(chex.TestCase):
    @chex.variants(with_jit=True, without_jit=True)
    def test_jit_and_nojit_epochs_agree(self):
        data = _data()
        params = jaxlin.init_affine(jax.random.key(1), 2, 1)
        opt = optax.adam(0.05)
        state = jaxlin.init_state(params, opt, KEY)
        new, m = self.variant(jaxlin.make_epoch(squared_error, opt, batch_size=16))(state, data)
        ref, ref_m = jax.jit(jaxlin.make_epoch(squared_error, opt, batch_size=16))(state, data)
        chex.assert_trees_all_close(new.params, ref.params, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(m["loss"], ref_m["loss"], rtol=1e-5)


@pytest.mark.parametrize(
    "impl, optimizer, lr",
    [
        ("scratch", None, 0.03),  # the book's settings: scratch sgd, lr 0.03, batch 10, 3 epochs
        ("concise", "sgd", 0.03),
        ("concise", "adam", 0.1),
    ],
)
def test_linear_regression_recovers_w_and_b(impl, optimizer, lr):
    config = jaxlin.make_config("linreg", impl=impl, optimizer=optimizer, lr=lr)
    data = jaxlin.load_dataset("synthetic_linear", jax.random.key(config.data_seed))
    result = jaxlin.train_model(config, data)
    errors = jaxlin.get_model("linreg").summarize(result.params, data)
    assert errors["w_error"] < 0.01 and errors["b_error"] < 0.01, errors
    assert result.history["full_loss"][-1] < 1e-4  # noise 0.01 gives ½·1e-4 = 5e-5 at the optimum
    assert result.history["loss"][0] > result.history["loss"][-1]


def test_fit_stops_on_divergence_naming_the_epoch():
    data = _data(100)
    params = jaxlin.init_affine(jax.random.key(1), 2, 1)
    with pytest.raises(jaxlin.TrainingDiverged, match="epoch [0-9]+.*Lower the learning rate"):
        jaxlin.fit(params, squared_error, jaxlin.sgd(50.0), data, key=KEY, batch_size=10, num_epochs=20)


def test_an_infinite_loss_stops_at_the_epoch_it_appears():
    """w grows by lr = 1 per step, 4 steps an epoch; the loss is +inf once w > 9: in epoch 3."""

    def loss(params, batch):
        del batch
        return jnp.where(params["w"] > 9.0, jnp.inf, -params["w"])

    with pytest.raises(jaxlin.TrainingDiverged, match=r"became inf in epoch 3:"):
        jaxlin.fit({"w": jnp.float32(0.0)}, loss, jaxlin.sgd(1.0), jnp.zeros(8), key=KEY, batch_size=2, num_epochs=5)


def test_fit_rejects_bad_arguments():
    data = _data(20)
    params = jaxlin.init_affine(jax.random.key(1), 2, 1)
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        jaxlin.fit(params, squared_error, jaxlin.sgd(0.1), data, key=KEY, batch_size=0, num_epochs=1)
    with pytest.raises(ValueError, match="num_epochs must be a positive integer"):
        jaxlin.fit(params, squared_error, jaxlin.sgd(0.1), data, key=KEY, batch_size=4, num_epochs=0)
    with pytest.raises(ValueError, match="empty"):
        jaxlin.fit(
            params, squared_error, jaxlin.sgd(0.1), (jnp.ones((0, 2)), jnp.ones(0)), key=KEY, batch_size=4, num_epochs=1
        )


def test_runs_are_deterministic_for_a_seed():
    config = jaxlin.make_config("linreg", seed=3, epochs=2)
    a, b = jaxlin.train_model(config), jaxlin.train_model(config)
    chex.assert_trees_all_equal(a.params, b.params)
    assert a.history == b.history
