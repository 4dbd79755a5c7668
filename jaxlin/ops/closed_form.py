"""Linear regression in closed form: least squares (D2L 3.1.1.4) and ridge (4.5)."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxlin._util import checks


def lstsq(X: jax.Array, y: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Minimise ||Xw + b − y||² in closed form.

    The bias is folded in as a column of ones, X' = [X, 1], and w* = argmin ||X'w − y|| is found by
    a QR factorisation (numerically kinder than forming (XᵀX)⁻¹Xᵀy, with the same solution when X
    has full column rank).

    X: f32[n, d], y: f32[n] -> (w: f32[d], b: f32[]).

    When the columns of [X, 1] are linearly dependent (D2L 3.1, exercise 2) XᵀX is singular and
    the minimiser is not unique: this then returns one of them, typically with huge weights that
    cancel; `jnp.linalg.lstsq` gives the minimum-norm one (notebook 01 compares them).
    """
    X = jnp.asarray(X, jnp.float32)
    y = jnp.asarray(y, jnp.float32)
    n = checks.num_examples((X, y))
    if X.ndim != 2 or y.ndim != 1:
        raise ValueError(f"lstsq wants X: f32[n, d] and y: f32[n]; got {X.shape} and {y.shape}.")
    Xb = jnp.concatenate([X, jnp.ones((n, 1), X.dtype)], axis=1)
    if n < Xb.shape[1]:
        raise ValueError(f"Need at least d + 1 = {Xb.shape[1]} examples for a unique solution, got {n}.")
    q, r = jnp.linalg.qr(Xb)
    wb = jax.scipy.linalg.solve_triangular(r, q.T @ y, lower=False)
    return wb[:-1], wb[-1]


def ridge(X: jax.Array, y: jax.Array, weight_decay: float) -> tuple[jax.Array, jax.Array]:
    """Ridge regression in closed form: the minimiser of mean ½(Xw + b − y)² + λ·½‖w‖², the
    bias not penalised (what `--weight-decay λ` trains toward, with jaxlin's mean losses).

    On centred data (X̄, ȳ subtracted) w = (XᵀX + nλI)⁻¹Xᵀy, then b = ȳ − X̄·w; this is the
    book's (XᵀX + λI)⁻¹Xᵀy for a summed loss, with λ scaled by n. Solved with a Cholesky
    factorisation (XᵀX + nλI is positive definite for λ > 0).

    X: f32[n, d], y: f32[n], weight_decay λ > 0 -> (w: f32[d], b: f32[]).
    """
    X = jnp.asarray(X, jnp.float32)
    y = jnp.asarray(y, jnp.float32)
    n = checks.num_examples((X, y))
    if X.ndim != 2 or y.ndim != 1:
        raise ValueError(f"ridge wants X: f32[n, d] and y: f32[n]; got {X.shape} and {y.shape}.")
    lam = checks.positive_float("weight_decay", weight_decay)
    x_mean, y_mean = X.mean(axis=0), y.mean()
    Xc, yc = X - x_mean, y - y_mean
    w = jax.scipy.linalg.solve(Xc.T @ Xc + n * lam * jnp.eye(X.shape[1]), Xc.T @ yc, assume_a="pos")
    return w, y_mean - x_mean @ w
