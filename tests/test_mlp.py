"""Multilayer perceptrons (D2L 4.2-4.3), dropout in training (4.6), symmetry (4.8): the model
behind the interface, the engine's per-step keys, and the options that shape a network."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlin
from jaxlin.engine import epoch_key, make_epoch, make_optimizer
from jaxlin.engine.epoch import step_key
from jaxlin.experiments import load_data, single_run, start
from jaxlin.models import get_model
from jaxlin.train import main

MLP = get_model("mlp")


@pytest.fixture
def tiny_data(tiny_source, tmp_path):
    return jaxlin.load_dataset("fashion_mnist", source_dir=tiny_source, tfds_dir=tmp_path / "tfds")


def test_the_book_network_is_784_256_10_with_small_normal_weights():
    params = MLP.init(jax.random.key(0))
    assert [layer["w"].shape for layer in params["layers"]] == [(784, 256), (256, 10)]
    assert all(float(jnp.abs(layer["b"]).max()) == 0 for layer in params["layers"])
    assert abs(float(params["layers"][0]["w"].std()) - 0.01) < 0.0005


def test_scratch_and_concise_reach_the_same_parameters(tiny_data):
    """jnp.maximum and scratch SGD against jax.nn.relu and optax's SGD, from one key."""
    trained = {
        impl: jaxlin.train_model(jaxlin.make_config("mlp", impl=impl, hidden=(32,), batch_size=16, epochs=2), tiny_data)
        for impl in ("scratch", "concise")
    }
    for a, b in zip(*(jax.tree_util.tree_leaves(r.params) for r in trained.values()), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
    assert trained["scratch"].history["loss"][-1] < trained["scratch"].history["loss"][0]


def test_step_keys_differ_across_steps_and_epochs_and_from_the_shuffle():
    key = jax.random.key(0)
    keys = [step_key(key, e, s) for e in range(3) for s in range(4)] + [epoch_key(key, e) for e in range(3)]
    data = {tuple(np.asarray(jax.random.key_data(k)).ravel()) for k in keys}
    assert len(data) == len(keys)
    assert np.array_equal(jax.random.key_data(step_key(key, 2, 1)), jax.random.key_data(step_key(key, 2, 1)))


def test_dropout_is_on_in_training_and_off_in_evaluation(tiny_data):
    config = jaxlin.make_config("mlp", hidden=(32, 16), dropout=(0.5, 0.5), batch_size=16, epochs=1)
    run = single_run(config, tiny_data)
    assert run.model.STOCHASTIC and not MLP.STOCHASTIC
    params = run.state.params
    batch = run.data.prepared(run.data.train)
    losses = {float(run.model.LOSSES["concise"](params, batch, jax.random.key(k))[0]) for k in range(3)}
    assert len(losses) == 3  # a new mask for each key
    first, second = (jax.device_get(run.model.evaluate(params, run.data)) for _ in range(2))
    assert first == second  # evaluation is deterministic
    no_dropout = MLP.configure(hidden=(32, 16)).evaluate(params, run.data)
    assert first == jax.device_get(no_dropout)


def test_hidden_weights_that_start_equal_stay_equal_unless_dropout_breaks_them(tiny_data):
    """D2L 4.8.1.3: a network whose hidden units start alike stays symmetric under SGD."""

    def trained_columns(dropout):
        config = jaxlin.make_config("mlp", hidden=(8,), dropout=dropout, batch_size=16, epochs=3)
        model, data = single_run(config, tiny_data).model, load_data(config)
        _, state = start(model, config)
        params = jax.tree_util.tree_map(lambda a: a, state.params)
        params["layers"][0]["w"] = jnp.full_like(params["layers"][0]["w"], 0.01)
        params["layers"][1]["w"] = jnp.full_like(params["layers"][1]["w"], 0.01)
        optimizer = make_optimizer("sgd", 0.5)
        epoch = jax.jit(make_epoch(model.LOSSES["concise"], optimizer, batch_size=16, has_aux=True,
                                   prepare=data.prepare, stochastic=model.STOCHASTIC))  # fmt: skip
        state = jaxlin.init_state(params, optimizer, state.key)
        for _ in range(3):
            state, _ = epoch(state, data.train)
        return np.asarray(state.params["layers"][0]["w"])

    symmetric = trained_columns(())
    np.testing.assert_allclose(symmetric, symmetric[:, :1].repeat(8, axis=1), rtol=1e-6)
    assert np.abs(symmetric - 0.01).max() > 1e-4  # it did learn
    broken = trained_columns((0.5,))
    assert np.abs(broken - broken[:, :1]).max() > 1e-4


def test_a_sweep_with_dropout_equals_its_separate_runs(tiny_data):
    config = jaxlin.make_config("mlp", hidden=(16,), dropout=(0.3,), lr=[0.05, 0.2], batch_size=16, epochs=2)
    runs, result = jaxlin.sweep_model(config, tiny_data)
    for m, run in enumerate(runs):
        alone = jaxlin.train_model(dataclasses.replace(config, lr=(run["lr"],)), tiny_data)
        for a, b in zip(jax.tree_util.tree_leaves(jaxlin.unstack(result.params, m)),
                        jax.tree_util.tree_leaves(alone.params), strict=True):  # fmt: skip
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_several_networks_train_one_after_another_and_are_reported_together(tiny_data):
    config = jaxlin.make_config("mlp", hidden=[(8,), (16, 8)], batch_size=16, epochs=1)
    runs, result = jaxlin.sweep_model(config, tiny_data)
    assert [run["hidden"] for run in runs] == [[8], [16, 8]] and len(result.histories) == 2


@pytest.mark.parametrize(
    "argv, phrase",
    [
        (["--model", "mlp", "--hidden", "0"], "width must be a positive integer"),
        (["--hidden", "256"], "hidden is a setting of models with hidden layers"),
        (["--model", "softmax", "--dropout", "0.5"], "dropout is a setting of models with hidden layers"),
        (["--model", "mlp", "--dropout", "0.2,0.5"], "2 dropout rates for a network of 1 hidden layer"),
        (["--model", "mlp", "--dropout", "1"], "from 0 up to (not including) 1"),
        (["--model", "mlp", "--dropout", "-0.1"], "from 0 up to (not including) 1"),
        (["--model", "mlp", "--activation", "swish"], "invalid choice: 'swish'"),
        (["--model", "mlp", "--init", "he"], "invalid choice: 'he'"),
    ],
)
def test_bad_network_options_exit_2_with_one_sentence(capsys, argv, phrase):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and phrase in err and "Traceback" not in err
