"""Date intervals, durations and calendar arithmetic."""

from spans.calendar import add_months, business_days
from spans.interval import Interval, merge
from spans.parse import parse_duration, parse_interval

__all__ = ["Interval", "add_months", "business_days", "merge", "parse_duration",
           "parse_interval"]
