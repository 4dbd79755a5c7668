"""Error bars on a test accuracy against scipy's normal quantile, the closed forms and a Monte Carlo check."""

import itertools
import math

import numpy as np
import pytest
import scipy.stats

from jaxlin.ops import accuracy_interval, examples_needed, hoeffding_interval, normal_interval

LEVELS = (0.5, 0.8, 0.9, 0.95, 0.99, 0.999)


@pytest.mark.parametrize("level", LEVELS)
def test_normal_interval_matches_scipy_quantile(level):
    z = scipy.stats.norm.ppf(0.5 + level / 2)
    for p, n in [(0.8312, 10000), (0.5, 1), (0.1, 37), (0.99, 123456)]:
        assert normal_interval(p, n, level) == pytest.approx(z * math.sqrt(p * (1 - p) / n), rel=1e-12)


@pytest.mark.parametrize("level", LEVELS)
def test_hoeffding_interval_closed_form(level):
    for n in (1, 10, 10000):
        assert hoeffding_interval(n, level) == pytest.approx(math.sqrt(math.log(2 / (1 - level)) / (2 * n)), rel=1e-12)


def test_fashion_mnist_worked_figure():
    p, n = 0.8312, 10000
    normal, hoeffding = normal_interval(p, n), hoeffding_interval(n)
    assert normal == pytest.approx(0.0073, abs=1e-4)
    assert hoeffding == pytest.approx(0.0136, abs=1e-4)
    assert normal == pytest.approx(scipy.stats.norm.ppf(0.975) * math.sqrt(p * (1 - p) / n), rel=1e-12)
    assert hoeffding == pytest.approx(math.sqrt(math.log(40) / 20000), rel=1e-12)
    assert accuracy_interval(p, n) == {"accuracy_ci95": normal, "accuracy_hoeffding95": hoeffding}


def test_accuracy_interval_keys_follow_the_level():
    assert set(accuracy_interval(0.9, 100, 0.9)) == {"accuracy_ci90", "accuracy_hoeffding90"}
    assert set(accuracy_interval(0.9, 100, 0.99)) == {"accuracy_ci99", "accuracy_hoeffding99"}
    out = accuracy_interval(0.9, 100, 0.8)
    assert out == {
        "accuracy_ci80": normal_interval(0.9, 100, 0.8),
        "accuracy_hoeffding80": hoeffding_interval(100, 0.8),
    }


def test_monte_carlo_coverage():
    rng = np.random.default_rng(0)
    p, n, trials = 0.83, 1000, 20000
    p_hat = rng.binomial(n, p, size=trials) / n
    normal = np.array([normal_interval(float(a), n) for a in p_hat])
    normal_coverage = np.mean(np.abs(p_hat - p) <= normal)
    hoeffding_coverage = np.mean(np.abs(p_hat - p) <= hoeffding_interval(n))
    assert 0.94 <= normal_coverage <= 0.96, normal_coverage
    assert hoeffding_coverage >= 0.95, hoeffding_coverage


@pytest.mark.parametrize("level", (0.8, 0.95, 0.99))
@pytest.mark.parametrize("eps", (0.1, 0.01, 0.0073, 0.005, 1e-3))
def test_examples_needed_inverts_the_half_widths(eps, level):
    n = examples_needed(eps, level)
    assert hoeffding_interval(n, level) <= eps < hoeffding_interval(n - 1, level)
    assert (
        n == math.ceil(math.log(2 / (1 - level)) / (2 * eps**2))
        or abs(n - math.log(2 / (1 - level)) / (2 * eps**2)) < 1e-6
    )  # the closed form, up to float rounding
    for p in (0.01, 0.5, 0.8312, 0.97):
        m = examples_needed(eps, level, accuracy=p)
        assert normal_interval(p, m, level) <= eps
        assert m == 1 or normal_interval(p, m - 1, level) > eps
        assert m <= examples_needed(eps, level, accuracy=0.5)  # p = 0.5 is the worst case


def test_examples_needed_at_exact_boundaries_and_extremes():
    # Half-widths computed from an n must give back that n, despite rounding in the round trip.
    for n in (1, 2, 7, 100, 9999, 10000, 123457):
        assert examples_needed(hoeffding_interval(n)) == n
        assert examples_needed(normal_interval(0.8312, n), accuracy=0.8312) == n
    assert examples_needed(0.01, accuracy=0.0) == examples_needed(0.01, accuracy=1.0) == 1
    assert examples_needed(10.0) == 1
    assert examples_needed(0.01) == 18445  # log(40) / (2 · 1e-4) = 18444.4


def test_monotonic_in_n_and_extremes():
    ns = [1, 2, 10, 100, 1000, 10000, 10**6]
    for widths in ([normal_interval(0.8312, n) for n in ns], [hoeffding_interval(n) for n in ns]):
        assert all(a > b for a, b in itertools.pairwise(widths))
    assert normal_interval(0.0, 10) == normal_interval(1.0, 10) == 0.0
    assert normal_interval(0.5, 100) == max(normal_interval(p, 100) for p in np.linspace(0, 1, 101))
    assert hoeffding_interval(100) > normal_interval(0.5, 100)  # Hoeffding pays for holding always
    assert normal_interval(0.9, 100, 0.99) > normal_interval(0.9, 100, 0.9)
    assert hoeffding_interval(100, 0.99) > hoeffding_interval(100, 0.9)
    assert isinstance(examples_needed(0.01), int) and isinstance(normal_interval(0.5, np.int64(10)), float)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: normal_interval(0.5, 0), "n"),
        (lambda: normal_interval(0.5, -3), "n"),
        (lambda: normal_interval(0.5, 10.0), "n"),
        (lambda: normal_interval(0.5, True), "n"),
        (lambda: hoeffding_interval(0), "n"),
        (lambda: hoeffding_interval("100"), "n"),
        (lambda: normal_interval(1.2, 10), "accuracy"),
        (lambda: normal_interval(-0.1, 10), "accuracy"),
        (lambda: normal_interval(math.nan, 10), "accuracy"),
        (lambda: normal_interval(math.inf, 10), "accuracy"),
        (lambda: normal_interval(True, 10), "accuracy"),
        (lambda: normal_interval("0.5", 10), "accuracy"),
        (lambda: normal_interval(0.5, 10, level=1.0), "level"),
        (lambda: normal_interval(0.5, 10, level=0.0), "level"),
        (lambda: hoeffding_interval(10, level=95), "level"),
        (lambda: hoeffding_interval(10, level=math.nan), "level"),
        (lambda: accuracy_interval(0.5, 10, level=1.5), "level"),
        (lambda: accuracy_interval(0.5, 0), "n"),
        (lambda: examples_needed(0.0), "half_width"),
        (lambda: examples_needed(-0.01), "half_width"),
        (lambda: examples_needed(math.inf), "half_width"),
        (lambda: examples_needed(math.nan), "half_width"),
        (lambda: examples_needed(0.01, level=1.0), "level"),
        (lambda: examples_needed(0.01, accuracy=1.5), "accuracy"),
    ],
)
def test_bad_inputs_raise(call, name):
    with pytest.raises(ValueError, match=rf"^{name} must be"):
        call()
