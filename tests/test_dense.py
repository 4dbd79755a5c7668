"""jaxlin.ops.dense: x @ w with its weight gradient computed as (gᵀx)ᵀ, equal to autodiff's xᵀg."""

import jax
import jax.numpy as jnp
import numpy as np

from jaxlin.ops.dense import dense


def test_dense_value_and_gradients_match_the_plain_matmul():
    kx, kw, kg = jax.random.split(jax.random.key(0), 3)
    x, w = jax.random.normal(kx, (32, 7)), jax.random.normal(kw, (7, 3))
    g = jax.random.normal(kg, (32, 3))  # a cotangent that is not symmetric in any way
    np.testing.assert_allclose(dense(x, w), x @ w, rtol=1e-6)
    ours = jax.vjp(dense, x, w)[1](g)
    plain = jax.vjp(jnp.matmul, x, w)[1](g)
    for a, b in zip(ours, plain, strict=True):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_dense_under_vmap_over_stacked_weights_as_a_sweep_uses_it():
    x = jax.random.normal(jax.random.key(1), (16, 5))
    ws = jax.random.normal(jax.random.key(2), (4, 5, 2))
    loss = lambda f: lambda w: (f(x, w) ** 2).sum()
    ours = jax.vmap(jax.grad(loss(dense)))(ws)
    np.testing.assert_allclose(ours, jax.vmap(jax.grad(loss(jnp.matmul)))(ws), rtol=1e-5, atol=1e-5)
