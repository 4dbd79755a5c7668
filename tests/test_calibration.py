"""Calibration, temperature scaling and abstention against NumPy/SciPy references."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax as np_log_softmax
from scipy.special import softmax as np_softmax

from jaxlin.ops.calibration import (
    TEMPERATURES,
    accuracy_at_coverage,
    coverage_curve,
    expected_calibration_error,
    fit_temperature,
    reliability_bins,
)


@pytest.fixture(scope="module")
def calibrated():
    """Logits and labels drawn from those very logits: calibrated by construction."""
    k1, k2 = jax.random.split(jax.random.key(0))
    logits = 2.0 * jax.random.normal(k1, (4000, 10))
    return logits, jax.random.categorical(k2, logits)


def _ece_reference(logits, labels, num_bins):
    probs = np_softmax(np.asarray(logits, np.float64), axis=-1)
    conf, pred = probs.max(-1), probs.argmax(-1)
    total = 0.0
    for b in range(num_bins):
        inside = (conf > b / num_bins) & (conf <= (b + 1) / num_bins)
        if inside.any():
            total += inside.sum() * abs((pred[inside] == labels[inside]).mean() - conf[inside].mean())
    return total / len(conf)


@pytest.mark.parametrize("scale, num_bins", [(1.0, 15), (3.0, 10), (0.3, 20)])
def test_ece_matches_a_loop_over_bins_with_and_without_jit(calibrated, scale, num_bins):
    logits, labels = calibrated
    reference = _ece_reference(scale * logits, np.asarray(labels), num_bins)
    for ece_fn in (expected_calibration_error, jax.jit(expected_calibration_error, static_argnums=2)):
        np.testing.assert_allclose(ece_fn(scale * logits, labels, num_bins), reference, atol=2e-6)


def test_bins_count_every_example_and_hold_their_means(calibrated):
    logits, labels = calibrated
    bins = reliability_bins(logits, labels, 15)
    assert float(bins["count"].sum()) == 4000
    assert bool(
        jnp.all((bins["confidence"] == 0) | (jnp.abs(bins["confidence"] - (jnp.arange(15) + 0.5) / 15) <= 0.5 / 15))
    )


def test_calibrated_logits_have_a_small_ece_and_sharpened_ones_a_large_one(calibrated):
    logits, labels = calibrated
    assert float(expected_calibration_error(logits, labels)) < 0.03
    assert float(expected_calibration_error(3 * logits, labels)) > 0.2  # overconfident


@pytest.mark.parametrize("scale", [3.0, 1.0, 0.5])
def test_temperature_undoes_a_scaling_and_minimises_the_nll(calibrated, scale):
    logits, labels = calibrated
    t = float(jax.jit(fit_temperature)(scale * logits, labels))
    x, y = np.asarray(scale * logits, np.float64), np.asarray(labels)
    nll = lambda temp: -np_log_softmax(x / temp, axis=-1)[np.arange(len(y)), y].mean()
    reference = minimize_scalar(nll, bounds=(0.05, 20), method="bounded", options={"xatol": 1e-8}).x
    np.testing.assert_allclose(t, reference, rtol=1e-3)
    np.testing.assert_allclose(t, scale, rtol=0.05)  # the data were calibrated at temperature `scale`


def test_temperature_scaling_leaves_predictions_alone_and_lowers_the_ece(calibrated):
    logits, labels = calibrated
    sharp = 3 * logits
    t = fit_temperature(sharp, labels)
    np.testing.assert_array_equal((sharp / t).argmax(-1), sharp.argmax(-1))
    assert float(expected_calibration_error(sharp / t, labels)) < float(expected_calibration_error(sharp, labels)) / 5


def test_coverage_curve_matches_sorting_by_confidence(calibrated):
    logits, labels = calibrated
    coverage, accuracy = coverage_curve(logits, labels)
    probs = np_softmax(np.asarray(logits, np.float64), axis=-1)
    order = np.argsort(-probs.max(-1), kind="stable")
    right = (probs.argmax(-1) == np.asarray(labels))[order]
    np.testing.assert_allclose(accuracy, np.cumsum(right) / np.arange(1, 4001), rtol=1e-6)
    np.testing.assert_allclose([coverage[0], coverage[-1]], [1 / 4000, 1.0])
    assert float(accuracy_at_coverage(logits, labels, 1.0)) == pytest.approx(right.mean())
    assert float(accuracy_at_coverage(logits, labels, 0.5)) == pytest.approx(right[:2000].mean())
    assert float(accuracy_at_coverage(logits, labels, 0.5)) > right.mean()  # confident ones are right more often


def test_temperature_is_clipped_where_the_cross_entropy_has_no_minimum(calibrated):
    logits, labels = calibrated
    all_right, all_wrong = logits.argmax(-1), (logits.argmax(-1) + 1) % 10
    assert float(fit_temperature(logits, all_right)) == pytest.approx(TEMPERATURES[0])
    assert float(fit_temperature(logits, all_wrong)) == pytest.approx(TEMPERATURES[1])
    assert float(fit_temperature(logits.at[0, 0].set(jnp.inf), labels)) == 1.0


def test_accuracy_at_coverage_is_the_same_with_and_without_jit(calibrated):
    logits, labels = calibrated
    for n in (50, 77, 4000):
        for coverage in (0.3, 0.9, 1.0):
            eager = accuracy_at_coverage(logits[:n], labels[:n], coverage)
            jitted = jax.jit(accuracy_at_coverage, static_argnums=2)(logits[:n], labels[:n], coverage)
            assert float(eager) == float(jitted)
