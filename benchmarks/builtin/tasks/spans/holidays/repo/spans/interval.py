"""Half-open date intervals: start is included, end is not."""

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Interval:
    start: date
    end: date

    def __post_init__(self):
        if self.end < self.start:
            raise ValueError(f"interval ends ({self.end}) before it starts ({self.start})")

    def days(self):
        return (self.end - self.start).days

    def __contains__(self, day):
        return self.start <= day < self.end

    def overlaps(self, other):
        """Whether the two intervals share at least one day."""
        return self.start <= other.end and other.start <= self.end


def merge(intervals):
    """The union of intervals, as a sorted list of disjoint, non-touching intervals."""
    result = []
    for interval in intervals:
        if result and interval.start <= result[-1].end:
            result[-1] = Interval(result[-1].start, interval.end)
        else:
            result.append(interval)
    return result
