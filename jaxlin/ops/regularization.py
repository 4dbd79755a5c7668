"""Weight decay (D2L 4.5), from scratch and with optax, and the L1 penalty's proximal step.

The book penalises the weights, not the biases: the loss becomes mean loss + λ·½‖w‖², whose
gradient adds λ·w to the weights' gradient. That is what `optax.add_decayed_weights` does when
chained before an optimizer; `weights_only` is the mask that leaves biases alone (the book's
`wd_mult = 0` on biases). For plain SGD the two views give the same step: w ← w − lr(∇ + λw).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax


def weights_only(params: Any) -> Any:
    """The mask of the leaves to penalise: True for every leaf named "w", False for the rest
    (biases "b"). params -> a pytree of bools of the same structure."""

    def is_weight(path, _):
        last = path[-1]
        return getattr(last, "key", getattr(last, "name", None)) == "w"

    return jax.tree_util.tree_map_with_path(is_weight, params)


def _masked(params: Any) -> list[jax.Array]:
    leaves, mask = jax.tree_util.tree_leaves(params), jax.tree_util.tree_leaves(weights_only(params))
    return [leaf for leaf, keep in zip(leaves, mask, strict=True) if keep]  # the mask has the params' structure


def l2_penalty(params: Any) -> jax.Array:
    """½‖w‖² over the weights (not the biases): f32[]. The book's `l2_penalty`."""
    # Summed from a weakly typed 0.0 (as from Python's 0, the sum keeps the weights' dtype), so that it is an array
    # even when there are no weights.
    return sum((0.5 * jnp.sum(w**2) for w in _masked(params)), jnp.asarray(0.0))


def l1_penalty(params: Any) -> jax.Array:
    """‖w‖₁ = Σ|wᵢ| over the weights (not the biases): f32[]."""
    return sum((jnp.sum(jnp.abs(w)) for w in _masked(params)), jnp.asarray(0.0))  # see l2_penalty


def soft_threshold(x: jax.Array, threshold: float | jax.Array) -> jax.Array:
    """sign(x)·max(|x| − t, 0), elementwise: the proximal operator of t·‖x‖₁."""
    return jnp.sign(x) * jnp.maximum(jnp.abs(x) - threshold, 0.0)


class L1ProximalState(NamedTuple):
    """No state: the threshold comes from the arguments each step."""


def l1_proximal(learning_rate: float | jax.Array, strength: float | jax.Array) -> optax.GradientTransformationExtraArgs:
    """The L1 penalty λ‖w‖₁ as a proximal step (D2L 4.5, exercise 3), chained after an optimizer:
    the weights after the optimizer's step are soft-thresholded by lr·λ, so small ones become
    exactly 0 (a subgradient step would only make them oscillate around 0). Biases are left alone.

    optax.chain(optax.sgd(lr), l1_proximal(lr, λ)) is proximal gradient descent (ISTA).
    """

    def init(params):
        del params
        return L1ProximalState()

    def update(updates, state, params=None, **extra_args):
        del extra_args
        if params is None:
            raise ValueError("l1_proximal needs the parameters: pass params to update().")
        threshold = learning_rate * strength
        shrink = lambda u, p, keep: soft_threshold(p + u, threshold).astype(p.dtype) - p if keep else u
        return jax.tree_util.tree_map(shrink, updates, params, weights_only(params)), state

    return optax.GradientTransformationExtraArgs(init, update)


def decayed(optimizer: optax.GradientTransformation, weight_decay: float | jax.Array) -> optax.GradientTransformation:
    """`optimizer` on the weight-decayed objective: optax.add_decayed_weights(λ, mask=weights_only)
    chained before it, so the gradient it sees is ∇ + λw for the weights and ∇ for the biases."""
    return optax.chain(optax.add_decayed_weights(weight_decay, mask=weights_only), optimizer)
