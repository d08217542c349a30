"""Reports over transactions."""

from collections import defaultdict


def monthly_totals(history):
    """Net amount per month ("YYYY-MM") from (day "YYYY-MM-DD", amount) pairs, sorted."""
    totals = defaultdict(int)
    for day, amount in history:
        totals[day[:7]] += amount
    return dict(sorted(totals.items()))
