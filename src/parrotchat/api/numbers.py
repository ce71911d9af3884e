"""Numbers from servers and files made storable: counts within SQLite's range, costs finite.

A server may report `completion_tokens: 1e20` or `cost: NaN`; SQLite cannot hold the first
(OverflowError) and JSON cannot spell the second. Both are bounded here, before they reach the
screen, the database or an export.
"""

from __future__ import annotations

import math

from parrotchat.api.events import Usage

__all__ = ["MAX_COUNT", "clean_usage", "count_or_none", "finite_or_none"]

MAX_COUNT = 2**63 - 1
"""The largest integer SQLite stores."""


def count_or_none(value: object) -> int | None:
    """A count: a whole number from 0, capped at `MAX_COUNT`; None for anything else.

    `count_or_none(10**20)  # 9223372036854775807`; `count_or_none(-1)  # None`
    """
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        return None
    return min(value, MAX_COUNT)


def finite_or_none(value: float | None) -> float | None:
    """`value` if it is a finite number, else None (NaN and infinities are not amounts)."""
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return float(value) if math.isfinite(value) else None
    except OverflowError:  # an int too large for a float
        return None


def clean_usage(usage: Usage | None) -> Usage | None:
    """`usage` with every count storable and the cost finite, or absent."""
    if usage is None:
        return None
    return Usage(  # the fields may hold anything a server or a file sent
        prompt_tokens=count_or_none(usage.prompt_tokens),
        completion_tokens=count_or_none(usage.completion_tokens),
        total_tokens=count_or_none(usage.total_tokens),
        cost=finite_or_none(usage.cost),
    )
