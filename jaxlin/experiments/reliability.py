"""After training a classifier: how well calibrated are its probabilities on the test split, how
accurate is it when it may abstain, and how sure can we be of its test accuracy? For every model
with `logits(params, x)` (softmax regression): figures for the summary and metrics.json, and
curves for reliability.png, all computed in one compiled call.
"""

from __future__ import annotations

import functools
from types import ModuleType
from typing import Any

import jax

from jaxlin.data import Dataset
from jaxlin.ops.calibration import (
    accuracy_at_coverage,
    coverage_curve,
    expected_calibration_error,
    fit_temperature,
    reliability_bins,
)
from jaxlin.ops.intervals import accuracy_interval

NUM_BINS = 15
COVERAGE = 0.9


@functools.partial(jax.jit, static_argnums=0)
def _calibration(logits_fn, params, data: Dataset) -> tuple[dict, dict]:
    logits, labels = logits_fn(params, data.prepared(data.test)[0]), data.test[1]
    figures = {
        "test_accuracy": (logits.argmax(-1) == labels).mean(),
        "ece": expected_calibration_error(logits, labels, NUM_BINS),
        "accuracy_at_90_coverage": accuracy_at_coverage(logits, labels, COVERAGE),
    }
    curves: dict[str, Any] = {"bins": reliability_bins(logits, labels, NUM_BINS), "bins_after_temperature": None}
    if data.valid is not None:
        valid_inputs, valid_labels = data.prepared(data.valid)
        temperature = fit_temperature(logits_fn(params, valid_inputs), valid_labels)
        figures.update(
            temperature=temperature,
            ece_after_temperature=expected_calibration_error(logits / temperature, labels, NUM_BINS),
        )
        curves["bins_after_temperature"] = reliability_bins(logits / temperature, labels, NUM_BINS)
    curves["coverage"], curves["accuracy"] = coverage_curve(logits, labels)
    return figures, curves


def calibrate(model: ModuleType, params, data: Dataset) -> tuple[dict[str, float], dict]:
    """Test-split figures: "ece", "accuracy_at_90_coverage", the test accuracy's error bars
    ("test_accuracy_ci95", "test_accuracy_hoeffding95"), and with a validation split "temperature"
    (fitted on it) and "ece_after_temperature"; and the curves to draw: {"bins",
    "bins_after_temperature" (or None), "coverage", "accuracy"}."""
    figures, curves = jax.device_get(_calibration(model.logits, params, data))
    figures = {name: float(value) for name, value in figures.items()}
    interval = accuracy_interval(figures.pop("test_accuracy"), int(data.test[1].shape[0]))
    return {**figures, **{f"test_{name}": half_width for name, half_width in interval.items()}}, curves


def scores(model: ModuleType, params, data: Dataset) -> tuple[dict[str, Any], dict | None]:
    """What a trained model reports at the end of any run: its own summary (`model.summarize`),
    and for a classifier with a test split the calibration figures above; with the curves to draw
    (None for a model that has no `logits`)."""
    figures = dict(model.summarize(params, data))
    if not hasattr(model, "logits") or data.test is None:
        return figures, None
    calibration, curves = calibrate(model, params, data)
    return {**figures, **calibration}, curves
