"""Error bars on a test accuracy (beyond D2L 4.4's test set): n test examples pin the true accuracy to within ±O(1/√n).

All functions take and return plain Python numbers (they run once, on the host, after training) and
give half-widths ε: the true accuracy lies in [p̂ − ε, p̂ + ε] with probability about `level`.
The normal (Wald) interval z·√(p̂(1 − p̂)/n) is the usual error bar; it is approximate and shrinks
to 0 at p̂ = 0 or 1. Hoeffding's √(log(2/δ)/(2n)), δ = 1 − level, holds for any n and any accuracy.
"""

from __future__ import annotations

import math
from statistics import NormalDist

from jaxlin._util import checks


def _unit(name: str, value, closed: bool) -> float:
    """`value` as a float in [0, 1] (closed) or (0, 1) (open); raises ValueError otherwise."""
    interval = "in [0, 1]" if closed else "strictly between 0 and 1"
    try:
        x = math.nan if isinstance(value, (bool, str, bytes)) else float(value)
    except (TypeError, ValueError):
        x = math.nan
    if not (0.0 <= x <= 1.0 if closed else 0.0 < x < 1.0):
        raise ValueError(f"{name} must be a finite number {interval}, got {value!r}.")
    return x


def _z(level: float) -> float:
    """The two-sided standard-normal quantile for `level`: 1.959964 for 0.95."""
    return NormalDist().inv_cdf((1.0 + _unit("level", level, closed=False)) / 2.0)


def normal_interval(accuracy: float, n: int, level: float = 0.95) -> float:
    """Half-width z·√(p(1 − p)/n) of the normal-approximation (Wald) interval: float, int -> float."""
    p, n = _unit("accuracy", accuracy, closed=True), checks.positive_int("n", n)
    return _z(level) * math.sqrt(p * (1.0 - p) / n)


def hoeffding_interval(n: int, level: float = 0.95) -> float:
    """Half-width √(log(2/δ)/(2n)), δ = 1 − level, from Hoeffding's inequality: int -> float.
    Valid for every distribution and every n, whatever the accuracy; wider than the normal one."""
    delta = 1.0 - _unit("level", level, closed=False)
    return math.sqrt(math.log(2.0 / delta) / (2.0 * checks.positive_int("n", n)))


def examples_needed(half_width: float, level: float = 0.95, accuracy: float | None = None) -> int:
    """The least n whose interval half-width is at most `half_width` (ε): float -> int >= 1.

    accuracy None: Hoeffding's bound, ⌈log(2/δ)/(2ε²)⌉, valid whatever the accuracy turns out to be.
    accuracy p given: the normal approximation, ⌈z²p(1 − p)/ε²⌉ (1 at p = 0 or 1); p = 0.5 is the
    worst case. The ceiling is then nudged so that the interval at n is <= ε and at n − 1 is > ε.
    """
    eps = checks.positive_float("half_width", half_width)
    if accuracy is None:
        width = lambda m: hoeffding_interval(m, level)
        n = math.log(2.0 / (1.0 - _unit("level", level, closed=False))) / (2.0 * eps**2)
    else:
        width = lambda m: normal_interval(accuracy, m, level)
        p = _unit("accuracy", accuracy, closed=True)
        n = _z(level) ** 2 * p * (1.0 - p) / eps**2
    n = max(1, math.ceil(n))
    while n > 1 and width(n - 1) <= eps:  # float rounding can put the ceiling one off
        n -= 1
    while width(n) > eps:
        n += 1
    return n


def accuracy_interval(accuracy: float, n: int, level: float = 0.95) -> dict[str, float]:
    """Both half-widths for reporting, keyed by the level in percent (round(level·100)):
    {"accuracy_ci95": normal, "accuracy_hoeffding95": Hoeffding} for level 0.95."""
    pct = round(_unit("level", level, closed=False) * 100)
    return {
        f"accuracy_ci{pct}": normal_interval(accuracy, n, level),
        f"accuracy_hoeffding{pct}": hoeffding_interval(n, level),
    }
