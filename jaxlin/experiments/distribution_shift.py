"""Distribution shift corrected (D2L 4.9.3): the covariate-shift and label-shift experiments.

Each trains three softmax regressions with the config's settings and scores them on the target's
test set: `uncorrected` (trained on the source), `corrected` (on the source with per-example
weights from the correction) and `oracle` (on labelled target data, which the corrections never
see: they use the target's images only).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxlin.data.dataset import Dataset
from jaxlin.data.device import prepare_images
from jaxlin.data.holdout import hold_out
from jaxlin.data.shift import ShiftedData
from jaxlin.engine.lbfgs import SolveProgress, solve_lbfgs
from jaxlin.engine.objective import regularized_objective
from jaxlin.experiments.config import Config
from jaxlin.experiments.single import train_model
from jaxlin.experiments.solving import solve_model
from jaxlin.models import get_model
from jaxlin.ops.example_weights import with_weights
from jaxlin.ops.shift_correction import (
    DEFAULT_CLIP,
    class_ratio,
    confusion_matrix,
    effective_sample_size,
    estimate_label_shift,
    importance_weights,
    label_distribution,
    label_shift_weights,
)

DOMAIN_WEIGHT_DECAY = 1e-3  # keeps the domain classifier's log-odds, and so the weights, moderate
DOMAIN_KEY, HOLDOUT_KEY = 1, 2  # folded into key(data_seed), which the shift's construction uses whole
OnChunk = Callable[[SolveProgress], Any] | None  # sees each L-BFGS solve's progress between chunks


class ShiftResult(NamedTuple):
    """figures: what metrics.json holds (host floats and lists); arrays: per-example values for
    plots (NumPy); params: the corrected model's parameters."""

    figures: dict[str, Any]
    arrays: dict[str, np.ndarray]
    params: Any


def one_model(config: Config) -> Config:
    """The config of each of the experiment's three models: the shift config without the shift."""
    return dataclasses.replace(config, shift=None, shift_strength=None, beta_clip=None)


def _train(config: Config, data: Dataset, log, on_chunk: OnChunk = None) -> tuple[Any, dict[str, Any]]:
    """The config's model on `data`: solved to convergence (lbfgs; its iterations and whether it
    converged are kept; `on_chunk` sees its progress), or trained for its epochs."""
    solver, config = {}, one_model(config)
    if config.solves:
        solution = solve_model(config, data, on_chunk)
        params, solver = solution.params, {"iterations": solution.iterations, "converged": solution.converged}
        if not solution.converged:
            log(
                f"  not converged: gradient norm {solution.grad_norm:.3g} after {solution.iterations} iterations "
                "(raise --max-iter)"
            )
    else:
        params = train_model(config, data).params
    figures = jax.jit(get_model(config.model).evaluate)(params, data)
    return params, {"accuracy": float(figures["test_accuracy"]), "loss": float(figures["test_loss"]), **solver}


def _three_runs(config: Config, shifted: ShiftedData, weights, log, on_chunk: OnChunk, uncorrected=None):
    """Uncorrected (unless given as its (params, scores)), corrected (weighted) and oracle:
    ({"target_accuracy": {run: ...}, "target_loss": {...}}, {run: params})."""
    runs, params = {}, {}
    for name, data in (
        ("uncorrected", shifted.source),
        ("corrected", _weighted(shifted.source, weights)),
        ("oracle", shifted.target),
    ):
        done = uncorrected if name == "uncorrected" else None
        params[name], runs[name] = done or _train(config, data, log, on_chunk)
        log(f"  {name:<11} target test accuracy {runs[name]['accuracy']:.4f}")
    by_figure = {f"target_{k}": {name: run[k] for name, run in runs.items()} for k in ("accuracy", "loss")}
    if config.solves:
        by_figure["solver"] = {name: {k: run[k] for k in ("iterations", "converged")} for name, run in runs.items()}
    return by_figure, params


def _weighted(data: Dataset, weights) -> Dataset:
    return dataclasses.replace(data, train=with_weights(data.train, weights))


def shift_sizes(shifted: ShiftedData) -> dict[str, int]:
    """The number of source, target and target-test examples."""
    return {
        "source": int(shifted.source.train[1].shape[0]),
        "target": int(shifted.target.train[1].shape[0]),
        "target_test": int(shifted.source.test[1].shape[0]),
    }


def domain_classifier(source_images, target_images, key, *, holdout: float = 0.2, on_chunk: OnChunk = None):
    """Logistic regression telling source images (0) from target images (1), L2-regularised and
    solved to convergence on all but a held-out `holdout` of each (drawn from `key`; `on_chunk` sees
    the solve's progress); returns (params, accuracy on the held-out images, n_source / n_target in
    its training data)."""
    logistic = get_model("logistic")
    images = jnp.concatenate([source_images, target_images])
    labels = jnp.concatenate([jnp.zeros(len(source_images), jnp.int32), jnp.ones(len(target_images), jnp.int32)])
    data = hold_out(
        Dataset(train=(images, labels), prepare=prepare_images, label_names=("source", "target")), key, holdout
    )
    objective = regularized_objective(logistic.LOSSES["concise"], data, DOMAIN_WEIGHT_DECAY)
    start = jax.tree.map(jnp.zeros_like, logistic.init(key))  # a convex problem: start at 0, as sklearn does
    params = solve_lbfgs(objective, start, tol=1e-4, max_iter=500, on_chunk=on_chunk).params
    accuracy = float(jax.jit(logistic.evaluate)(params, data)["valid_accuracy"])
    counts = np.bincount(np.asarray(data.train[1]), minlength=2)
    return params, accuracy, counts[0] / counts[1]


def correct_covariate_shift(
    config: Config, shifted: ShiftedData, *, clip: float = DEFAULT_CLIP, log=print, on_chunk: OnChunk = None
) -> ShiftResult:
    """The book's four steps: label source 0 and target 1, fit logistic regression h, weight each
    source example by β = min(exp h(x) · n_s/n_t, clip), train on the weighted risk. `on_chunk`
    sees every L-BFGS solve's progress (`jaxlin.engine.SolveProgress`), between chunks."""
    source_images = shifted.source.train[0]
    params, detector_accuracy, odds = domain_classifier(
        source_images,
        shifted.target.train[0],
        jax.random.fold_in(jax.random.key(config.data_seed), DOMAIN_KEY),
        on_chunk=on_chunk,
    )
    logit = get_model("logistic").logit
    h = logit(params, shifted.source.prepared((source_images,))[0])
    beta = importance_weights(h, clip=clip, odds=odds)
    log(
        f"domain classifier: held-out accuracy {detector_accuracy:.4f}; β from {float(beta.min()):.3g} to "
        f"{float(beta.max()):.3g}, {float((beta >= clip).mean()):.1%} clipped at {clip:g}"
    )
    by_figure, params = _three_runs(config, shifted, beta, log, on_chunk)
    figures = {
        "kind": "covariate",
        "description": shifted.description,
        "sizes": shift_sizes(shifted),
        **by_figure,
        "domain_accuracy": detector_accuracy,
        "beta": {
            "clip": clip,
            "min": float(beta.min()),
            "median": float(jnp.median(beta)),
            "max": float(beta.max()),
            "mean": float(beta.mean()),
            "clipped_fraction": float((beta >= clip).mean()),
            "effective_sample_size": float(effective_sample_size(beta)),
        },
    }
    return ShiftResult(figures, {"beta": np.asarray(beta)}, params["corrected"])


def correct_label_shift(
    config: Config, shifted: ShiftedData, *, validation: float = 0.1, log=print, on_chunk: OnChunk = None
) -> ShiftResult:
    """Estimate q from the source model's confusion matrix on a held-out source split and its mean
    prediction on the target's images (C q = μ), then retrain weighted by q̂(y)/p(y); also the
    decision rule adjusted instead (argmax of logits + log q̂/p, no retraining). `on_chunk` as for
    `correct_covariate_shift`."""
    softmax = get_model("softmax")
    source = hold_out(shifted.source, jax.random.fold_in(jax.random.key(config.data_seed), HOLDOUT_KEY), validation)
    num_classes = len(source.label_names or ())
    uncorrected = _train(config, source, log, on_chunk)
    predict = jax.jit(lambda images: softmax.predict(uncorrected[0], source.prepared((images,))[0]))
    confusion = confusion_matrix(predict(source.valid[0]), source.valid[1], num_classes)
    mu = label_distribution(predict(shifted.target.train[0]), num_classes)
    q_hat, p = estimate_label_shift(confusion, mu), label_distribution(source.train[1], num_classes)
    q_true = label_distribution(shifted.target.train[1], num_classes)
    error, naive_error = float(jnp.abs(q_hat - q_true).sum()), float(jnp.abs(mu - q_true).sum())
    log(f"label distribution estimated: ‖q̂ − q‖₁ = {error:.4f} (the raw prediction mean: {naive_error:.4f})")
    weighted = dataclasses.replace(shifted, source=source)
    weights = label_shift_weights(source.train[1], q_hat, p)
    by_figure, params = _three_runs(config, weighted, weights, log, on_chunk, uncorrected)
    test_images, test_labels = shifted.source.test[:2]
    logits = softmax.logits(params["uncorrected"], shifted.source.prepared((test_images,))[0])
    adjusted = float(((logits + jnp.log(class_ratio(q_hat, p))).argmax(-1) == test_labels).mean())
    by_figure["target_accuracy"]["adjusted"] = adjusted
    log(
        f"  {'adjusted':<11} target test accuracy {adjusted:.4f} (the uncorrected model, decision rule moved by log q̂/p)"
    )
    figures = {
        "kind": "label",
        "description": shifted.description,
        "sizes": shift_sizes(shifted),
        **by_figure,
        "label_distribution": {
            "source": p.tolist(),
            "target": q_true.tolist(),
            "estimated": q_hat.tolist(),
            "predicted": mu.tolist(),
        },
        "estimation_error_l1": error,
        "prediction_mean_error_l1": naive_error,
        "confusion_matrix": confusion.tolist(),
    }
    return ShiftResult(figures, {"confusion": np.asarray(confusion)}, params["corrected"])
