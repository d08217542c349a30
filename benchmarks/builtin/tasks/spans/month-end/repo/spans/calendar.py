"""Calendar arithmetic."""

from datetime import timedelta


def add_months(day, months):
    """The same day of the month, `months` months later (earlier if negative)."""
    index = day.month - 1 + months
    return day.replace(year=day.year + index // 12, month=index % 12 + 1)


def business_days(start, end):
    """Number of weekdays (Monday to Friday) from start (included) to end (excluded)."""
    count = 0
    day = start
    while day < end:
        if day.weekday() < 5:
            count += 1
        day += timedelta(days=1)
    return count
