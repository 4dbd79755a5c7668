"""The affine model o = xW + b (D2L 3.1), written for one example and batched with vmap."""

from __future__ import annotations

import jax
import jax.numpy as jnp

Params = dict[str, jax.Array]


def init_affine(key: jax.Array, in_features: int, out_features: int, scale: float = 0.01) -> Params:
    """Parameters of an affine map: {"w": f32[in, out] ~ N(0, scale**2), "b": f32[out] = 0}."""
    if in_features <= 0 or out_features <= 0:
        raise ValueError(f"in_features and out_features must be positive, got {in_features} and {out_features}.")
    w = scale * jax.random.normal(key, (in_features, out_features), jnp.float32)
    return {"w": w, "b": jnp.zeros((out_features,), jnp.float32)}


def affine(params: Params, x: jax.Array) -> jax.Array:
    """One example: x: f32[in] -> o: f32[out] = x @ w + b."""
    return x @ params["w"] + params["b"]


def batched_affine(params: Params, x: jax.Array) -> jax.Array:
    """A batch of examples: x: f32[batch, in] -> f32[batch, out], `affine` under vmap."""
    return jax.vmap(affine, in_axes=(None, 0))(params, x)
