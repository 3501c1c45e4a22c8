"""Intervals for proportions and for the difference of two proportions.

Used for rates with a numerator and a denominator (sanction detection rate, share of searches
with an arrest, survey measures such as public confidence) and for gaps between groups (the
satisfaction gap between White and BME victims).

References
----------
Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference.
    Journal of the American Statistical Association 22:209-212.
Brown, L. D., Cai, T. T. and DasGupta, A. (2001). Interval estimation for a binomial proportion.
    Statistical Science 16:101-133.
Newcombe, R. G. (1998). Interval estimation for the difference between independent proportions:
    comparison of eleven methods. Statistics in Medicine 17:873-890 (method 10, the hybrid score).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from metforward.analyse import lazy

if TYPE_CHECKING:
    from scipy import stats
else:
    stats = lazy.module("scipy.stats")


@dataclass(frozen=True)
class Estimate:
    """A value with its interval and the confidence level."""

    value: float
    low: float
    high: float
    confidence: float


def wilson(successes: float, n: float, *, confidence: float = 0.95) -> Estimate:
    """Wilson score interval for a binomial proportion (Wilson 1927).

    Better coverage than the Wald interval for small n or proportions near 0 or 1
    (Brown, Cai and DasGupta 2001). ``successes`` may be fractional (a weighted count).
    """
    if n <= 0:
        raise ValueError("a proportion needs a denominator above 0")
    if not 0 <= successes <= n:
        raise ValueError(f"successes ({successes}) must lie between 0 and n ({n})")
    z = float(stats.norm.ppf(1 - (1 - confidence) / 2))
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    # clamp rounding noise: the interval always holds the estimate and stays inside [0, 1]
    return Estimate(p, min(p, max(0.0, centre - half)), max(p, min(1.0, centre + half)), confidence)


def newcombe_difference(
    successes_a: float, n_a: float, successes_b: float, n_b: float, *, confidence: float = 0.95
) -> Estimate:
    """Difference ``p_a - p_b`` with Newcombe's hybrid score interval (Newcombe 1998, method 10).

    Built from the two Wilson intervals: with ``l_i, u_i`` the Wilson limits,
    ``low = d - sqrt((p_a - l_a)^2 + (u_b - p_b)^2)`` and
    ``high = d + sqrt((u_a - p_a)^2 + (p_b - l_b)^2)``.
    """
    a = wilson(successes_a, n_a, confidence=confidence)
    b = wilson(successes_b, n_b, confidence=confidence)
    d = a.value - b.value
    low = d - math.sqrt((a.value - a.low) ** 2 + (b.high - b.value) ** 2)
    high = d + math.sqrt((a.high - a.value) ** 2 + (b.value - b.low) ** 2)
    return Estimate(d, low, high, confidence)
