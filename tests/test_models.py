"""The model registry and interface, the frozen config, and a new model added from outside."""

import dataclasses
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlin
import jaxlin.experiments
from jaxlin.data import DATASETS
from jaxlin.models import MODELS, Model, get_model
from jaxlin.train import main


@pytest.mark.parametrize("name", list(MODELS))
def test_every_registered_model_follows_the_interface(name):
    model = get_model(name)
    assert isinstance(model, Model)
    assert set(model.LOSSES) == {"scratch", "concise"}
    assert model.DATASET in DATASETS


def test_unknown_model_and_dataset_name_the_registered_ones():
    with pytest.raises(ValueError, match="Unknown model 'cnn'.*softmax, linreg"):
        get_model("cnn")
    with pytest.raises(ValueError, match="Unknown dataset 'imagenet'.*fashion_mnist"):
        jaxlin.load_dataset("imagenet")


@pytest.mark.parametrize(
    "model, options, kind",
    [
        ("softmax", {}, "single"),
        ("softmax", {"validation": 0.1, "early_stopping": 2}, "single"),
        ("softmax", {"lr": [0.1, 0.3]}, "sweep"),
        ("softmax", {"batch_size": [64, 256]}, "sweep"),
        ("polynomial", {"degree": [1, 3]}, "sweep"),
        ("polynomial", {"degree": [1, 3], "kfold": 5}, "kfold"),
        ("softmax", {"optimizer": "lbfgs"}, "solve"),
        ("softmax", {"shift": "label"}, "shift"),
        ("softmax", {"shift": "label", "optimizer": "sgd"}, "shift"),
    ],
)
def test_the_kind_of_run_is_decided_once_by_the_config(model, options, kind):
    assert jaxlin.make_config(model, **options).kind == kind


@pytest.mark.parametrize(
    "run, options, instead",
    [
        (jaxlin.train_model, {"lr": [0.1, 0.3]}, "jaxlin.sweep_model"),
        (jaxlin.train_model, {"optimizer": "lbfgs"}, "jaxlin.solve_model"),
        (jaxlin.sweep_model, {}, "jaxlin.train_model"),
        (jaxlin.cross_validate, {"lr": [0.1, 0.3]}, "jaxlin.sweep_model"),
        (jaxlin.solve_model, {}, "jaxlin.train_model"),
    ],
)
def test_each_kind_of_run_has_one_function_and_the_others_name_it(run, options, instead):
    with pytest.raises(ValueError, match=f"asks for a .* run: use {instead}"):
        run(jaxlin.make_config("linreg", **options))


def test_config_is_the_book_settings_overridden_and_frozen():
    config = jaxlin.make_config("linreg")
    book = get_model("linreg").BOOK
    assert (config.lr, config.batch_size, config.epochs) == ((book.learning_rate,), (book.batch_size,), book.num_epochs)
    assert config.optimizer == "sgd" and jaxlin.make_config("linreg", impl="scratch").optimizer == "scratch-sgd"
    assert jaxlin.make_config("softmax", lr=[0.1, 0.3], seed=(0, 1)).is_sweep
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.lr = (1.0,)
    assert "epochs" not in config.identity() and "output_dir" not in config.identity()
    assert set(config.identity()) == {
        "model",
        "impl",
        "optimizer",
        "lr",
        "seed",
        "batch_size",
        "data_seed",
        "weight_decay",
        "degree",
        "hidden",
        "activation",
        "init",
        "dropout",
        "validation",
        "early_stopping",
        "kfold",
        "tol",
        "max_iter",
        "shift",
        "shift_strength",
        "beta_clip",
    }
    json.dumps(config.to_json(), allow_nan=False)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"lr": 0.0}, "learning rate must be a positive"),
        ({"batch_size": 0}, "batch_size must be a positive"),
        ({"impl": "fast"}, "impl must be one of"),
        ({"optimizer": "adamm"}, "Unknown optimizer"),
        ({"seed": 1.5}, "seed must be an integer"),
        ({"colour": "red"}, "Unknown setting"),
        ({"lr": [0.1, 0.2], "resume": True, "output_dir": "x"}, "a sweep"),
    ],
)
def test_bad_settings_are_refused(options, message):
    with pytest.raises(ValueError, match=message):
        jaxlin.make_config("softmax", **options)


@pytest.fixture
def toy_registered(monkeypatch):
    """The one registry line a new model needs (and one for its new dataset)."""
    monkeypatch.setitem(MODELS, "toy", "toy_model")
    monkeypatch.setitem(DATASETS, "toy_line", "toy_model:toy_line")


def test_a_new_model_trains_through_the_command_and_the_sweep(toy_registered, tmp_path, capsys):
    assert main(["--model", "toy", "--output-dir", str(tmp_path / "one"), "--no-compile-cache"]) == 0
    out = capsys.readouterr().out
    assert "jaxlin: toy (concise), sgd lr 0.1, batch 8, 20 epochs" in out and "epoch 20/20" in out
    final = json.loads((tmp_path / "one" / "metrics.json").read_text())["final"]
    # 10% of labels are off by +20: the mean shifts b by 2, Huber's bias is about 0.1/0.9 = 0.11
    assert final["w_error"] < 0.1 and final["b_error"] < 0.2, final
    assert (tmp_path / "one" / "curves.png").is_file() and not (tmp_path / "one" / "predictions.png").exists()

    assert (
        main(
            [
                "--model",
                "toy",
                "--impl",
                "scratch",
                "--lr",
                "0.05,0.1",
                "--seeds",
                "0,1",
                "--epochs",
                "3",
                "--output-dir",
                str(tmp_path / "sweep"),
                "--no-compile-cache",
            ]
        )
        == 0
    )
    runs = json.loads((tmp_path / "sweep" / "metrics.json").read_text())["runs"]
    assert len(runs) == 4 and all(len(r["history"]["test_loss"]) == 3 for r in runs)


def test_a_new_model_sweep_equals_its_separate_runs(toy_registered):
    config = jaxlin.make_config("toy", lr=[0.05, 0.1], seed=[0, 1], epochs=3)
    pairs, result = jaxlin.sweep_model(config)
    for m, pair in enumerate(pairs):
        single = jaxlin.train_model(dataclasses.replace(config, lr=(pair["lr"],), seed=(pair["seed"],)))
        for a, b in zip(
            jax.tree_util.tree_leaves(jaxlin.unstack(result.params, m)),
            jax.tree_util.tree_leaves(single.params),
            strict=True,
        ):
            assert abs(float((a - b).max())) < 1e-5


def test_the_data_seed_draws_the_synthetic_data():
    a, b = (jaxlin.experiments.load_data(jaxlin.make_config("linreg", data_seed=s)) for s in (0, 1))
    assert not np.array_equal(a.train[0], b.train[0])


def test_linreg_summary_is_the_largest_error():
    data = jaxlin.load_dataset("synthetic_linear", jax.random.key(0))
    params = {"w": jnp.array([[2.0], [0.0]]), "b": jnp.array([4.0])}
    errors = get_model("linreg").summarize(params, data)
    assert errors["w_error"] == pytest.approx(3.4) and errors["b_error"] == pytest.approx(0.2, rel=1e-5)
