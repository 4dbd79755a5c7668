"""Are the probabilities right? Calibration, temperature scaling and abstention (D2L 3.4, 3.6 ex. 4).

A classifier is calibrated when, of the examples it gives probability p, a fraction p are right.
The reliability diagram bins the examples by confidence (the highest probability) and compares each
bin's mean confidence with its accuracy; the expected calibration error (ECE) is the mean gap,
weighted by the bins' sizes. Temperature scaling (Guo et al., 2017) divides the logits by one
scalar T > 0 fitted on validation data: predictions stay the same, confidences move. Withholding the
least confident predictions trades coverage for accuracy (abstaining when unsure).

Every function takes logits f32[n, q] and labels int[n] and is jit-able.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import optax


def confidence(logits: jax.Array) -> tuple[jax.Array, jax.Array]:
    """The highest probability and its class: f32[n, q] -> (f32[n], i32[n])."""
    probs = jax.nn.softmax(logits, axis=-1)
    return probs.max(axis=-1), probs.argmax(axis=-1)


def reliability_bins(logits: jax.Array, labels: jax.Array, num_bins: int = 15) -> dict[str, jax.Array]:
    """The reliability diagram's bins, equal-width over confidence: bin b holds the examples with
    confidence in (b/B, (b+1)/B] (edges compared in float32, so a confidence one ulp from an edge
    may fall on either side). Returns {"confidence", "accuracy": f32[B] (the bin's means, 0 for an
    empty bin), "count": f32[B]}."""
    conf, predicted = confidence(logits)
    right = (predicted == labels).astype(jnp.float32)
    bins = jnp.clip(jnp.ceil(conf * num_bins).astype(jnp.int32) - 1, 0, num_bins - 1)
    count = jax.ops.segment_sum(jnp.ones_like(conf), bins, num_bins)
    mean = lambda x: jax.ops.segment_sum(x, bins, num_bins) / jnp.maximum(count, 1)
    return {"confidence": mean(conf), "accuracy": mean(right), "count": count}


def expected_calibration_error(logits: jax.Array, labels: jax.Array, num_bins: int = 15) -> jax.Array:
    """ECE = Σ_b (n_b / n) |accuracy_b − confidence_b| over the reliability bins: f32[], in [0, 1]."""
    bins = reliability_bins(logits, labels, num_bins)
    return (bins["count"] * jnp.abs(bins["accuracy"] - bins["confidence"])).sum() / bins["count"].sum()


TEMPERATURES = (0.05, 20.0)  # the range a fitted temperature is clipped to


def fit_temperature(logits: jax.Array, labels: jax.Array, num_steps: int = 50) -> jax.Array:
    """The temperature T > 0 minimising the cross-entropy of softmax(logits / T) on (logits,
    labels), validation data: L-BFGS (optax) on log T, `num_steps` iterations. Returns f32[].

    When the model gets every example right (or wrong) the cross-entropy has no minimum (T runs
    to 0, or to infinity), so T is clipped to TEMPERATURES; a non-finite result gives T = 1.
    """

    def nll(log_t):
        scaled = logits / jnp.exp(log_t)
        return optax.softmax_cross_entropy_with_integer_labels(scaled, labels).mean()

    solver = optax.lbfgs()
    value_and_grad = optax.value_and_grad_from_state(nll)

    def step(_, carry):
        log_t, state = carry
        value, grad = value_and_grad(log_t, state=state)
        updates, state = solver.update(grad, state, log_t, value=value, grad=grad, value_fn=nll)
        return optax.apply_updates(log_t, updates), state

    log_t = jnp.zeros((), jnp.float32)
    log_t, _ = jax.lax.fori_loop(0, num_steps, step, (log_t, solver.init(log_t)))
    t = jnp.exp(log_t)
    return jnp.where(jnp.isfinite(t), jnp.clip(t, *TEMPERATURES), 1.0)


def coverage_curve(logits: jax.Array, labels: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Accuracy against coverage when only the k most confident predictions are kept, for
    k = 1..n: (coverage f32[n] = k/n, accuracy f32[n] among those k). Ties in confidence keep
    the data's order."""
    conf, predicted = confidence(logits)
    right = (predicted == labels).astype(jnp.float32)[jnp.argsort(-conf, stable=True)]
    kept = jnp.arange(1, conf.shape[0] + 1, dtype=jnp.float32)
    return kept / conf.shape[0], jnp.cumsum(right) / kept


def accuracy_at_coverage(logits: jax.Array, labels: jax.Array, coverage: float = 0.9) -> jax.Array:
    """The accuracy on the ceil(coverage · n) examples the model is most confident about
    (abstaining on the rest): f32[]. coverage: a Python float in (0, 1] (static under jit)."""
    n = logits.shape[0]
    kept = min(n, max(1, math.ceil(round(float(coverage) * n, 6))))
    return coverage_curve(logits, labels)[1][kept - 1]
