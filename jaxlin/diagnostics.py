"""After training a classifier: how well calibrated are its probabilities on the test split, and
how accurate is it when it may abstain? For every model with `logits(params, x)` (softmax
regression), figures for the summary and metrics.json and curves for reliability.png.
"""
from __future__ import annotations

from types import ModuleType

import jax
import numpy as np

from jaxlin.calibration import (
    accuracy_at_coverage, coverage_curve, expected_calibration_error, fit_temperature, reliability_bins,
)
from jaxlin.data import Dataset

NUM_BINS = 15
COVERAGE = 0.9


def _logits(model: ModuleType, params, split) -> tuple[jax.Array, jax.Array]:
    inputs, labels = split
    return jax.jit(model.logits)(params, inputs), labels


def calibrate(model: ModuleType, params, data: Dataset) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """Test-split figures {"ece", "accuracy_at_90_coverage", and with a validation split
    "temperature" (fitted on it) and "ece_after_temperature"}, and the curves to draw
    {"bins", "bins_after_temperature" (or None), "coverage", "accuracy"}."""
    logits, labels = _logits(model, params, data.prepared(data.test))
    figures = {"ece": float(expected_calibration_error(logits, labels, NUM_BINS)),
               "accuracy_at_90_coverage": float(accuracy_at_coverage(logits, labels, COVERAGE))}
    curves = {"bins": jax.device_get(reliability_bins(logits, labels, NUM_BINS)), "bins_after_temperature": None}
    if data.valid is not None:
        temperature = jax.jit(fit_temperature)(*_logits(model, params, data.prepared(data.valid)))
        figures.update(temperature=float(temperature),
                       ece_after_temperature=float(expected_calibration_error(logits / temperature, labels, NUM_BINS)))
        curves["bins_after_temperature"] = jax.device_get(reliability_bins(logits / temperature, labels, NUM_BINS))
    curves["coverage"], curves["accuracy"] = jax.device_get(coverage_curve(logits, labels))
    return figures, curves
