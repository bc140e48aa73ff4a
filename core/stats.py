"""Uncertainty of the rates an evaluation reports: how far a rate measured on n samples can be trusted.

>>> low, high = wilson_interval(48, 60)  # 80 % of 60 real plates
>>> round(low, 3), round(high, 3)
(0.682, 0.882)
"""
from __future__ import annotations

import math


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a binomial rate (95 % for ``z=1.96``): unlike the normal approximation it
    stays inside [0, 1] and is sound at 0 % or 100 % and for small ``n``. ``n=0`` gives (0, 1)."""
    if n < 0 or not 0 <= successes <= max(n, 0):
        raise ValueError(f"need 0 <= successes <= n, got {successes} of {n}")
    if n == 0:
        return 0.0, 1.0
    rate = successes / n
    centre = (rate + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(rate * (1 - rate) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)
