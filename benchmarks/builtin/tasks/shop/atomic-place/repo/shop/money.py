"""Money amounts: Decimal, rounded to whole cents."""

from decimal import ROUND_HALF_EVEN, Decimal

CENT = Decimal("0.01")


def to_money(value):
    """value (Decimal, int, float or str) rounded to cents."""
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_EVEN)
