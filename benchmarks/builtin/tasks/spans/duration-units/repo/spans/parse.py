"""Parsing durations ("3d", "2w") and intervals ("2026-01-01..2026-01-31")."""

import re
from datetime import date, timedelta

from spans.interval import Interval

UNITS = {"d": 1, "w": 7}


def parse_duration(text):
    """A timedelta from a number of days or weeks: "3d", "2w"."""
    match = re.fullmatch(r"(\d+)([dw])", text)
    if not match:
        raise ValueError(f"not a duration: {text!r}")
    return timedelta(days=int(match.group(1)) * UNITS[match.group(2)])


def parse_interval(text):
    """An Interval from "FIRST..LAST" (both days included, ISO dates)."""
    first, sep, last = text.partition("..")
    if not sep:
        raise ValueError(f"not an interval: {text!r}")
    return Interval(date.fromisoformat(first), date.fromisoformat(last) + timedelta(days=1))
