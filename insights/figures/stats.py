"""The figures' plain arithmetic: ratios, percentiles and rounding, None when nothing was measured."""

import math
from collections.abc import Sequence
from decimal import Decimal


def ratio(part: int | Decimal | float, whole: int | Decimal | float) -> float | None:
    """part / whole, or None when nothing was measured."""
    if not whole:
        return None
    return round(float(part) / float(whole), 4)


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks, as PostgreSQL's percentile_cont."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    value = ordered[low] + (ordered[high] - ordered[low]) * (position - low)
    return round(value, 2)


def median(values: Sequence[float]) -> float | None:
    return percentile(values, 0.5)


def rounded(value: float | None, places: int = 4) -> float | None:
    return None if value is None else round(float(value), places)
