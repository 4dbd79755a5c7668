"""`dense(x, w) = x @ w` for a batch, with the weight gradient laid out for XLA:CPU's fast path.

Autodiff turns x @ w into the weight gradient xᵀ·g, f32[in, out]. XLA:CPU computes that product
about twice as slowly as the same numbers laid out the other way, gᵀ·x, f32[out, in] (measured
for softmax regression's [256, 784]ᵀ·[256, 10] on this project's 2-core machine: 89.7 against
46.7 ms for 235 of them; bench/README.md). Asking for (gᵀ·x)ᵀ is not enough, since XLA folds the
transpose back into the product; an optimization barrier keeps gᵀ·x as it is, and the transpose
of the small result costs next to nothing. The value is the same sum in another order (equal to
rounding). Only reverse mode is defined (`jax.grad`, `jax.vjp`), as for every `jax.custom_vjp`.
"""

from __future__ import annotations

import jax


@jax.custom_vjp
def dense(x: jax.Array, w: jax.Array) -> jax.Array:
    """x: f32[n, in], w: f32[in, out] -> f32[n, out] = x @ w."""
    return x @ w


def _forward(x: jax.Array, w: jax.Array):
    return x @ w, (x, w)


def _backward(residuals, g: jax.Array):
    x, w = residuals
    weight_grad = jax.lax.optimization_barrier(g.T @ x).T  # f32[out, in] -> f32[in, out]
    return g @ w.T, weight_grad


dense.defvjp(_forward, _backward)
