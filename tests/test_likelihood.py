"""Losses as negative log-likelihoods, against jax.scipy.stats (whose densities we use as they are)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.scipy.stats import laplace, norm

from jaxlin.ops import best_constant, fit_constant, gaussian_nll, laplace_nll


@pytest.mark.parametrize("sigma", [0.1, 1.0, 3.0])
def test_gaussian_nll_is_the_normal_logpdf(sigma):
    y_hat, y = jnp.linspace(-3, 3, 13), jnp.linspace(2, -1, 13)
    np.testing.assert_allclose(gaussian_nll(y_hat, y, sigma), -norm.logpdf(y, loc=y_hat, scale=sigma), rtol=1e-5)


@pytest.mark.parametrize("scale", [0.5, 2.0])
def test_laplace_nll_is_the_laplace_logpdf(scale):
    y_hat, y = jnp.linspace(-3, 3, 13), jnp.linspace(2, -1, 13)
    np.testing.assert_allclose(laplace_nll(y_hat, y, scale), -laplace.logpdf(y, loc=y_hat, scale=scale), rtol=1e-5)


def test_the_best_constants_are_the_mean_and_the_median_and_gradient_descent_finds_them():
    y = jax.random.normal(jax.random.key(0), (101,)) ** 3  # skewed: mean and median differ
    assert float(best_constant(y, "squared")) == pytest.approx(float(np.mean(np.asarray(y))), rel=1e-5)
    assert float(best_constant(y, "absolute")) == pytest.approx(float(np.median(np.asarray(y))), rel=1e-6)
    np.testing.assert_allclose(fit_constant(y, "squared"), np.mean(np.asarray(y)), rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(fit_constant(y, "absolute"), np.median(np.asarray(y)), atol=0.02)
    with pytest.raises(ValueError, match="squared"):
        best_constant(y, "huber")
