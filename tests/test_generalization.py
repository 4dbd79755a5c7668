"""Generalization (D2L 4.4): polynomial data and model, degree masking, exact fits, validation
splits, K-fold cross-validation and early stopping, each against an independent reference."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlin
from jaxlin.data import SplitError, fold, kfold, validation_indices
from jaxlin.data.polynomial import MAX_DEGREE, polynomial_data, polynomial_features, true_weights
from jaxlin.engine import Best, best_in_history, keep_best

SHORT = 40  # epochs: enough to see the fits apart, quick to compile and run


@pytest.fixture(scope="module")
def data():
    return jaxlin.load_dataset("polynomial", jax.random.key(0))


def test_features_match_numpy_vander():
    x = np.linspace(-3, 3, 13)
    expected = np.vander(x, MAX_DEGREE + 1, increasing=True) / [math.factorial(i) for i in range(MAX_DEGREE + 1)]
    np.testing.assert_allclose(polynomial_features(jnp.asarray(x)), expected, rtol=2e-6, atol=1e-12)


def test_data_follow_the_books_recipe():
    X, y = polynomial_data(jax.random.key(3), 20_000)
    assert X.shape == (20_000, MAX_DEGREE + 1) and y.shape == (20_000,) and X.dtype == y.dtype == jnp.float32
    x = np.asarray(X[:, 1])
    assert abs(x.mean()) < 0.03 and abs(x.std() - 1) < 0.03  # x ~ N(0, 1)
    noise = np.asarray(y - X @ true_weights())
    assert abs(noise.std() - 0.1) < 0.003 and abs(noise.mean()) < 0.003  # ε ~ N(0, 0.1²)
    np.testing.assert_array_equal(true_weights()[:5], np.float32([5, 1.2, -3.4, 5.6, 0]))


def test_masking_a_degree_equals_a_model_built_with_fewer_features(data):
    config = jaxlin.make_config("polynomial", degree=2, epochs=SHORT)
    masked = jaxlin.train_model(config, data)
    X, y = data.train
    small = jaxlin.fit(
        {"w": jnp.zeros(3)},
        lambda p, b: (0.5 * (b[0] @ p["w"] - b[1]) ** 2).mean(),
        jaxlin.make_optimizer("sgd", 0.01),
        (X[:, :3], y),
        key=masked.state.key,
        batch_size=10,
        num_epochs=SHORT,
    )
    np.testing.assert_allclose(masked.params["w"][:3], small.params["w"], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(masked.params["w"][3:], 0.0)  # the masked weights never move


def test_a_degree_sweep_equals_separate_runs(data):
    config = jaxlin.make_config("polynomial", degree=[1, 3, 20], epochs=SHORT)
    pairs, swept = jaxlin.sweep_model(config, data)
    assert [p["degree"] for p in pairs] == [1, 3, 20]
    for m, pair in enumerate(pairs):
        alone = jaxlin.train_model(jaxlin.make_config("polynomial", degree=pair["degree"], epochs=SHORT), data)
        np.testing.assert_allclose(swept.params["w"][m], alone.params["w"], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(swept.histories[m]["test_loss"], alone.history["test_loss"], rtol=1e-5)


def test_exact_fits_equal_float64_least_squares(data):
    fits = jaxlin.exact_fits(data, [0, 1, 3, 5])
    X, y = (np.asarray(a, np.float64) for a in data.train)
    for d, w in zip(fits["degree"], fits["weights"], strict=True):
        reference = np.linalg.lstsq(X[:, : d + 1], y, rcond=None)[0]
        np.testing.assert_allclose(w[: d + 1], reference, rtol=1e-3, atol=1e-3)
        np.testing.assert_array_equal(w[d + 1 :], 0.0)
    # degree 3 reaches the noise floor σ²/2 = 0.005 (to sampling error); degree 1 underfits
    assert 0.003 < fits["train_loss"][2] < 0.007 and fits["train_loss"][1] > 1.0


def test_data_size_curve_equals_fits_on_the_first_n_examples():
    curve = jaxlin.data_size_curve(jax.random.key(1), [10, 50, 200], degree=3, num_test=50)
    X, y = polynomial_data(jax.random.split(jax.random.key(1))[0], 200)
    for n, train_loss in zip(curve["size"], curve["train_loss"], strict=True):
        Xn, yn = np.asarray(X[:n, :4], np.float64), np.asarray(y[:n], np.float64)
        w = np.linalg.lstsq(Xn, yn, rcond=None)[0]
        np.testing.assert_allclose(train_loss, (0.5 * (Xn @ w - yn) ** 2).mean(), rtol=2e-2, atol=2e-5)


def test_validation_split_is_class_balanced_disjoint_and_fixed_by_the_key():
    labels = np.repeat(np.arange(10), [50, 60, 70, 80, 90, 100, 110, 120, 130, 140])
    train, valid = validation_indices(jax.random.key(0), labels, labels.size, 0.1)
    np.testing.assert_array_equal(np.sort(np.concatenate([train, valid])), np.arange(labels.size))
    np.testing.assert_array_equal(np.bincount(labels[valid]), np.round(0.1 * np.bincount(labels)))
    again = validation_indices(jax.random.key(0), labels, labels.size, 0.1)[1]
    other = validation_indices(jax.random.key(1), labels, labels.size, 0.1)[1]
    np.testing.assert_array_equal(valid, again)
    assert not np.array_equal(valid, other)


def test_hold_out_moves_examples_from_train_to_valid(data):
    split = jaxlin.hold_out(data, jax.random.key(0), 0.25)
    assert split.train[0].shape[0] == 75 and split.valid[0].shape[0] == 25
    rows = lambda a: {tuple(np.asarray(r)) for r in a}
    assert rows(split.train[0]) | rows(split.valid[0]) == rows(data.train[0])
    assert split.test is data.test


@pytest.mark.parametrize("fraction", [0.001, 0.999, 1.0, 0.0, -0.1])
def test_a_fraction_leaving_a_split_empty_is_refused(fraction):
    with pytest.raises(ValueError, match="validation fraction"):
        validation_indices(jax.random.key(0), None, 100, fraction)


def test_kfold_partitions_the_examples():
    folds = np.asarray(kfold(jax.random.key(0), 100, 5))
    assert folds.shape == (5, 20)
    np.testing.assert_array_equal(np.sort(folds.reshape(-1)), np.arange(100))
    with pytest.raises(SplitError, match="2, 4, 5, 10"):
        kfold(jax.random.key(0), 100, 3)


def test_fold_holds_out_one_fold(data):
    folds = kfold(jax.random.key(0), 100, 4)
    one = fold(data, folds, 2)
    np.testing.assert_array_equal(one.valid[1], data.train[1][folds[2]])
    assert one.train[1].shape == (75,)


def test_cross_validation_equals_separate_runs_and_picks_the_cubic(data):
    config = jaxlin.make_config("polynomial", degree=[1, 3], kfold=4, epochs=SHORT)
    cv = jaxlin.cross_validate(config, data)
    assert cv.fold_losses.shape == (2, 4) and cv.chosen["degree"] == 3
    np.testing.assert_allclose(cv.mean, cv.fold_losses.mean(axis=1))
    folds = kfold(jax.random.fold_in(jax.random.key(0), 2), 100, 4)
    alone = jaxlin.train_model(jaxlin.make_config("polynomial", degree=3, epochs=SHORT), fold(data, folds, 1))
    np.testing.assert_allclose(cv.fold_losses[1, 1], alone.history["valid_loss"][-1], rtol=1e-5)


def _epochs(values):
    """Fake (state, metrics) pairs with a given validation loss per epoch."""
    State = type("State", (), {})
    for epoch, value in enumerate(values, start=1):
        state = State()
        state.epoch, state.params = epoch, f"params of epoch {epoch}"
        yield state, {"valid_loss": value}


def test_keep_best_stops_after_patience_and_keeps_the_best():
    seen = list(keep_best(_epochs([5, 3, 4, 2, 2.5, 2.1, 2.2, 1]), patience=3))
    assert len(seen) == 7  # best at 4, then 3 epochs without improvement
    assert seen[-1][2] == Best(4, 2, "params of epoch 4")
    assert len(list(keep_best(_epochs([1, float("nan"), 2]), patience=2))) == 3  # NaN never improves
    assert best_in_history([3.0, 1.0, float("nan"), 1.0]) == (2, 1.0)


def test_fit_with_patience_returns_the_best_epochs_parameters():
    options = dict(degree=20, lr=0.5, seed=0, validation=0.3)  # a bouncing validation loss: stops at 25
    result = jaxlin.train_model(jaxlin.make_config("polynomial", epochs=30, early_stopping=3, **options))
    losses = result.history["valid_loss"]
    assert result.best.epoch == int(np.nanargmin(losses)) + 1 and result.best.value == min(losses)
    assert len(losses) == result.best.epoch + 3 < 30
    again = jaxlin.train_model(jaxlin.make_config("polynomial", epochs=result.best.epoch, **options))
    np.testing.assert_array_equal(result.best.params["w"], again.params["w"])


def test_train_model_holds_out_the_configs_validation_split_from_data_it_is_given(data):
    config = jaxlin.make_config("polynomial", validation=0.2, epochs=2)
    given = jaxlin.train_model(config, data)
    loaded = jaxlin.train_model(config)
    assert given.history == loaded.history and len(given.history["valid_loss"]) == 2
