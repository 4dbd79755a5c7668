"""Distribution shift: importance weights, the label-shift estimator, the shifted data, the command."""

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import cli_args, write_tiny_fashion_mnist

from jaxlin.data import Dataset, prepare_images
from jaxlin.data.shift import covariate_shift, ink, label_shift
from jaxlin.experiments import make_config
from jaxlin.ops import (
    confusion_matrix,
    effective_sample_size,
    estimate_label_shift,
    importance_weights,
    label_distribution,
    label_shift_weights,
)
from jaxlin.train import main

NAMES = tuple(f"class {k}" for k in range(10))


def test_importance_weights_are_the_odds_ratio_clipped():
    h = jnp.array([-1e4, -2.0, 0.0, 1.0, 1e4])
    beta = importance_weights(h, clip=5.0, odds=2.0)
    np.testing.assert_allclose(beta, [0.0, 2 * np.exp(-2), 2.0, 5.0, 5.0], rtol=1e-6)
    assert np.isfinite(beta).all() and int((beta >= 5.0).sum()) == 2  # clipped weights are exactly c
    assert (importance_weights(jnp.array([5.0, 6.0, 9.0]), clip=3.1) == np.float32(3.1)).all()
    assert float(effective_sample_size(jnp.ones(7))) == pytest.approx(7)
    assert float(effective_sample_size(jnp.array([1.0, 0, 0, 0]))) == pytest.approx(1)
    with pytest.raises(ValueError, match="clip must be > 0"):
        importance_weights(h, clip=0.0)


def test_the_confusion_matrix_and_label_distribution_against_numpy():
    rng = np.random.default_rng(0)
    labels, predicted = rng.integers(0, 4, 500), rng.integers(0, 4, 500)
    expected = np.zeros((4, 4))
    for p, y in zip(predicted, labels, strict=True):
        expected[p, y] += 1
    np.testing.assert_allclose(
        confusion_matrix(jnp.asarray(predicted), jnp.asarray(labels), 4), expected / expected.sum(0), rtol=1e-6
    )
    np.testing.assert_allclose(label_distribution(jnp.asarray(labels), 4), np.bincount(labels) / 500, rtol=1e-6)
    np.testing.assert_allclose(
        label_shift_weights(jnp.array([0, 2]), jnp.array([0.5, 0.2, 0.3]), jnp.array([0.25, 0.5, 0.25])),
        [2.0, 1.2],
        rtol=1e-6,
    )


def test_the_estimator_recovers_a_known_label_distribution():
    """Labels drawn from q, predictions from a known confusion matrix C: C q̂ = μ recovers q."""
    rng = np.random.default_rng(1)
    k, n = 5, 200_000
    C = 0.6 * np.eye(k) + 0.4 * rng.dirichlet(np.ones(k), k).T  # columns: P(ŷ | y)
    q = np.array([0.5, 0.05, 0.2, 0.0, 0.25])
    np.testing.assert_allclose(
        estimate_label_shift(jnp.asarray(C, jnp.float32), jnp.asarray(C @ q, jnp.float32)), q, atol=1e-5
    )  # exactly, when μ is exact
    labels = rng.choice(k, n, p=q)
    predicted = np.array([rng.choice(k, p=C[:, y]) for y in labels[:20_000]])
    mu = np.bincount(predicted, minlength=k) / len(predicted)
    q_hat = np.asarray(estimate_label_shift(jnp.asarray(C, jnp.float32), jnp.asarray(mu, jnp.float32)))
    assert q_hat.min() >= 0 and q_hat.sum() == pytest.approx(1, abs=1e-6)
    assert np.abs(q_hat - q).sum() < 0.03 < np.abs(mu - q).sum()  # far closer than the raw prediction mean


def toy_images(n_train=4000, n_test=1000, seed=0) -> Dataset:
    """Images whose intensity varies, each carrying its index in its first pixels (to trace it)."""
    rng = np.random.default_rng(seed)

    def split(n, offset):
        level = rng.uniform(10, 200, n)
        images = np.clip(rng.normal(level[:, None, None], 20, (n, 28, 28)), 0, 255).astype(np.uint8)
        index = np.arange(n) + offset
        images[:, 0, 0], images[:, 0, 1] = index // 256, index % 256
        return jnp.asarray(images), jnp.asarray(rng.integers(0, 10, n), jnp.int32)

    return Dataset(train=split(n_train, 0), test=split(n_test, 0), prepare=prepare_images, label_names=NAMES)


def _ids(split):
    images = np.asarray(split[0])
    return set((images[:, 0, 0].astype(int) * 256 + images[:, 0, 1]).tolist())


def test_covariate_shift_moves_the_images_not_the_labelling():
    data = toy_images()
    shifted = covariate_shift(data, jax.random.key(0), 3.0)
    again = covariate_shift(data, jax.random.key(0), 3.0)
    np.testing.assert_array_equal(shifted.source.train[0], again.source.train[0])
    assert _ids(shifted.source.train).isdisjoint(_ids(shifted.target.train))  # drawn from different halves
    assert ink(shifted.source.train[0]).mean() + 0.15 < ink(shifted.target.train[0]).mean()
    assert ink(shifted.target.test[0]).mean() > ink(data.test[0]).mean()
    assert shifted.source.test is shifted.target.test or np.array_equal(shifted.source.test[1], shifted.target.test[1])
    other = covariate_shift(data, jax.random.key(1), 3.0)
    assert _ids(other.source.train) != _ids(shifted.source.train)
    with pytest.raises(ValueError, match="at most 10"):
        covariate_shift(data, jax.random.key(0), 11.0)


def test_label_shift_moves_the_labels_to_q():
    data = toy_images(8000, 4000)
    q = np.array([0.3, 0.2, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.0])
    shifted = label_shift(data, jax.random.key(0), q=q)
    np.testing.assert_allclose(label_distribution(shifted.target.train[1], 10), q, atol=0.03)
    np.testing.assert_allclose(label_distribution(shifted.source.train[1], 10), 0.1, atol=0.03)
    assert _ids(shifted.source.train).isdisjoint(_ids(shifted.target.train))
    drawn = label_shift(data, jax.random.key(0))  # q from a Dirichlet
    assert drawn.label_distribution.sum() == pytest.approx(1) and "label shift" in drawn.description


@pytest.mark.parametrize(
    "q, message",
    [
        ([1.0] * 9, "must be 10 non-negative numbers"),
        ([np.nan] + [0.1] * 9, "must be 10 non-negative numbers"),
        ([0.0] * 10, "must be 10 non-negative numbers"),
    ],
)
def test_a_bad_q_is_refused(q, message):
    with pytest.raises(ValueError, match=message):
        label_shift(toy_images(200, 100), jax.random.key(0), q=q)


def test_a_target_left_empty_is_a_clear_error():
    data = toy_images(200, 100)
    data = Dataset(
        train=(data.train[0], jnp.zeros(200, jnp.int32)), test=data.test, prepare=prepare_images, label_names=NAMES
    )
    with pytest.raises(ValueError, match="The target set of the label shift is empty"):
        label_shift(data, jax.random.key(0), q=[0.0] * 9 + [1.0])


@pytest.fixture(scope="module")
def small_source(tmp_path_factory):
    return write_tiny_fashion_mnist(tmp_path_factory.mktemp("small"), n_train=600, n_test=200)


def shift_args(source, tmp_path, out, *extra):
    """The command's options for a quick shift run on small data (lbfgs, the default, takes no
    learning rate or batch size)."""
    args = cli_args(source, tmp_path, out, *extra)
    for option in ("--lr", "--batch-size"):
        i = args.index(option)
        del args[i : i + 2]
    return args


@pytest.mark.parametrize(
    "kind, extra",
    [
        ("covariate", ["--beta-clip", "5", "--shift-strength", "1", "--optimizer", "sgd", "--epochs", "2"]),
        ("label", ["--max-iter", "30"]),
        ("covariate", ["--optimizer", "lbfgs", "--max-iter", "5", "--beta-clip", "1"]),
    ],
)
def test_the_command_writes_the_three_accuracies(kind, extra, small_source, tmp_path, capsys):
    out = tmp_path / "out"
    argv = shift_args(small_source, tmp_path, out, "--shift", kind, *extra)
    if "sgd" not in extra:  # the lbfgs runs draw shift.png
        argv.remove("--no-plots")
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "oracle" in printed and "target accuracy" in printed
    metrics = json.loads(
        (out / "metrics.json").read_text(), parse_constant=lambda c: pytest.fail(f"not strict JSON: {c}")
    )
    final = metrics["final"]
    assert set(final["target_accuracy"]) >= {"uncorrected", "corrected", "oracle"} and final["kind"] == kind
    config = metrics["config"]
    assert (out / "params.npz").exists() and (out / "shift.png").exists() == (config["optimizer"] == "lbfgs")
    if config["optimizer"] == "lbfgs":  # given or not, lbfgs comes with λ = 1e-4, and its iterations are kept
        assert config["weight_decay"] == [1e-4] and set(final["solver"]) == {"uncorrected", "corrected", "oracle"}
        assert "lbfgs to a gradient norm of" in printed.splitlines()[0]  # the banner says how, not "batch 256"
    if kind == "covariate" and config["optimizer"] == "sgd":
        assert final["beta"]["clip"] == 5.0 and final["beta"]["max"] <= 5.0 and 0 <= final["domain_accuracy"] <= 1
        assert config["weight_decay"] is None and "solver" not in final
    elif kind == "covariate":  # the smallest clip allowed (1): weights capped there, the plot still drawn
        beta = final["beta"]
        assert beta["max"] <= 1.0 and 0 < beta["clipped_fraction"] < 1 and "not converged" in printed
    else:
        assert len(final["label_distribution"]["estimated"]) == 10 and final["estimation_error_l1"] >= 0
        assert config["optimizer"] == "lbfgs" and config["weight_decay"] == [1e-4] and config["max_iter"] == 30


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--shift", "concept"], "invalid choice"),
        (["--shift", "label", "--beta-clip", "5"], "settings of the covariate shift"),
        (["--beta-clip", "5"], "settings of the covariate-shift experiment"),
        (["--shift", "covariate", "--model", "linreg"], "drop --model linreg"),
        (["--shift", "covariate", "--optimizer", "sgd", "--lr", "0.1,0.2"], "a sweep"),
        (["--shift", "covariate", "--epochs", "3"], "unless you give --optimizer"),
        (["--shift", "label", "--validation", "0.1"], "validation"),
        (["--shift", "covariate", "--beta-clip", "nan"], "must be a positive, finite number"),
        (["--shift", "covariate", "--shift-strength", "0"], "must be a positive, finite number"),
        (["--shift", "covariate", "--shift-strength", "11"], "at most 10"),
    ],
)
def test_shift_options_that_do_not_fit_exit_2(extra, message, tiny_source, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(shift_args(tiny_source, tmp_path, tmp_path / "out", *extra))
    assert exit_.value.code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_shift_the_data_cannot_hold_exits_1(tiny_source, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(
        "jaxlin.cli.shift.label_shift",
        lambda data, key: label_shift(
            Dataset(
                train=(data.train[0], jnp.zeros_like(data.train[1])),
                test=data.test,
                prepare=data.prepare,
                label_names=data.label_names,
            ),
            key,
            q=[0.0] * 9 + [1.0],
        ),
    )
    assert main(shift_args(tiny_source, tmp_path, tmp_path / "out", "--shift", "label")) == 1
    err = capsys.readouterr().err
    assert "The target set of the label shift is empty" in err and "Traceback" not in err


# The README's real-data claims (both corrections help at the settings it names) are checked where
# they are shown: tests/test_notebooks.py runs notebooks/05_distribution_shift.ipynb on the real data.


def test_shift_runs_default_to_regularised_solves_to_convergence():
    label = make_config("softmax", shift="label")
    assert (label.optimizer, label.weight_decay, label.max_iter, label.tol) == ("lbfgs", (1e-4,), 3000, 1e-4)
    assert make_config("softmax", shift="covariate", optimizer="lbfgs").weight_decay == (1e-4,)
    assert make_config("softmax", shift="covariate", weight_decay=0.01).weight_decay == (0.01,)
    sgd = make_config("softmax", shift="covariate", optimizer="sgd")
    assert sgd.weight_decay is None and sgd.max_iter is None and (sgd.shift_strength, sgd.beta_clip) == (3.0, 10.0)
