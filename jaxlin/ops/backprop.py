"""Forward and backward propagation written out by hand (D2L 4.7), for the book's one-hidden-layer
network without biases, with L2 regularisation:

    z = x W1 (+ b1),  h = relu(z),  o = h W2,
    L = mean softmax cross-entropy of o against y,  s = (λ/2)(‖W1‖² + ‖W2‖²),  J = L + s.

The book writes W^(1) ∈ R^{h×d} and z = W^(1) x for one example as a column; jaxlin keeps weights as
f32[inputs, outputs] and examples as rows, so W1 here is the book's W^(1) transposed and every
product below is the book's, transposed. The optional hidden bias "b1" is exercise 4.7.2; it is not
penalised (weight decay acts on weights only, as in D2L 4.5).

The backward pass applies the chain rule from J back to the parameters, reusing the forward's
intermediates; `mlp_objective` is the same forward alone, for checking it against `jax.grad`.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxlin.ops.activations import relu
from jaxlin.ops.softmax import log_softmax

Params = dict[str, jax.Array]


def _check(params: Params, x: jax.Array, y: jax.Array) -> None:
    if not {"W1", "W2"} <= params.keys() <= {"W1", "W2", "b1"}:
        raise ValueError(f'params must hold "W1", "W2" and optionally "b1", got keys {sorted(params)}.')
    if jnp.ndim(x) != 2 or jnp.shape(y) != jnp.shape(x)[:1] or not jnp.issubdtype(jnp.result_type(y), jnp.integer):
        raise ValueError(
            f"x must be f32[n, d] and y i32[n] integer class ids; got x of shape {jnp.shape(x)} and y of shape "
            f"{jnp.shape(y)}, dtype {jnp.result_type(y)}."
        )


def _forward(params: Params, x: jax.Array, y: jax.Array, weight_decay: float | jax.Array):
    _check(params, x, y)
    w1, w2 = params["W1"], params["W2"]
    z = x @ w1 + params["b1"] if "b1" in params else x @ w1
    h = relu(z)
    o = h @ w2
    log_p = log_softmax(o)
    loss = -jnp.take_along_axis(log_p, y[:, None], axis=-1).mean()
    s = 0.5 * weight_decay * (jnp.sum(w1**2) + jnp.sum(w2**2))
    return loss + s, (z, h, log_p)


def mlp_objective(params: Params, x: jax.Array, y: jax.Array, weight_decay: float | jax.Array = 0.0) -> jax.Array:
    """J = L + s for the network above: f32[]. params: {"W1": f32[d, h], "W2": f32[h, q], optionally
    "b1": f32[h]}; x: f32[n, d]; y: i32[n] class ids in [0, q); weight_decay: λ >= 0."""
    return _forward(params, x, y, weight_decay)[0]


def backprop_mlp(
    params: Params, x: jax.Array, y: jax.Array, weight_decay: float | jax.Array = 0.0
) -> tuple[jax.Array, Params]:
    """(J, grads): the objective and its gradient by hand-written backpropagation. Arguments as for
    `mlp_objective`; grads has params' keys and shapes:

        ∂J/∂o  = (softmax(o) − onehot(y)) / n          f32[n, q]
        ∂J/∂W2 = hᵀ ∂J/∂o + λ W2                       f32[h, q]
        ∂J/∂h  = ∂J/∂o W2ᵀ                             f32[n, h]
        ∂J/∂z  = ∂J/∂h ⊙ relu'(z)                      f32[n, h]
        ∂J/∂W1 = xᵀ ∂J/∂z + λ W1                       f32[d, h]
        ∂J/∂b1 = Σ over examples of ∂J/∂z              f32[h]

    relu'(z) = 1[z > 0], the book's convention (0 at z = 0). Autodiff of `relu` (jnp.maximum) takes
    ½ at z = 0, so `jax.grad(mlp_objective)` differs where a hidden unit's input is exactly 0, e.g.
    a zero column of W1 (with zero initialisation the hand-written ∂J/∂W1 is exactly 0).
    """
    j, (z, h, log_p) = _forward(params, x, y, weight_decay)
    n, q = log_p.shape
    d_o = (jnp.exp(log_p) - jax.nn.one_hot(y, q, dtype=log_p.dtype)) / n
    grads = {"W2": h.T @ d_o + weight_decay * params["W2"]}
    d_h = d_o @ params["W2"].T
    d_z = d_h * (z > 0)
    grads["W1"] = x.T @ d_z + weight_decay * params["W1"]
    if "b1" in params:
        grads["b1"] = d_z.sum(axis=0)
    return j, {key: grads[key] for key in params}
