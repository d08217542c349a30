"""spans: date intervals, durations and calendar arithmetic."""

from taskgen import Edit, RepoSpec, TaskSpec, src

FILES = {
    "spans/__init__.py": src('''
        """Date intervals, durations and calendar arithmetic."""

        from spans.calendar import add_months, business_days
        from spans.interval import Interval, merge
        from spans.parse import parse_duration, parse_interval

        __all__ = ["Interval", "add_months", "business_days", "merge", "parse_duration",
                   "parse_interval"]
    '''),
    "spans/interval.py": src('''
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
    '''),
    "spans/parse.py": src('''
        """Parsing durations ("3d", "2w") and intervals ("2026-01-01..2026-01-31")."""

        import re
        from datetime import date, timedelta

        from spans.interval import Interval

        UNITS = {"d": 1, "w": 7}


        def parse_duration(text):
            """A timedelta from a number of days or weeks: "3d", "2w"."""
            match = re.fullmatch(r"(\\d+)([dw])", text)
            if not match:
                raise ValueError(f"not a duration: {text!r}")
            return timedelta(days=int(match.group(1)) * UNITS[match.group(2)])


        def parse_interval(text):
            """An Interval from "FIRST..LAST" (both days included, ISO dates)."""
            first, sep, last = text.partition("..")
            if not sep:
                raise ValueError(f"not an interval: {text!r}")
            return Interval(date.fromisoformat(first), date.fromisoformat(last) + timedelta(days=1))
    '''),
    "spans/calendar.py": src('''
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
    '''),
    "tests/__init__.py": "",
    "tests/test_spans.py": src('''
        import unittest
        from datetime import date, timedelta

        from spans import Interval, add_months, business_days, parse_duration, parse_interval


        class Spans(unittest.TestCase):
            def test_interval(self):
                january = parse_interval("2026-01-01..2026-01-31")
                self.assertEqual(january.days(), 31)
                self.assertIn(date(2026, 1, 31), january)
                self.assertNotIn(date(2026, 2, 1), january)

            def test_duration(self):
                self.assertEqual(parse_duration("2w"), timedelta(days=14))

            def test_calendar(self):
                self.assertEqual(add_months(date(2026, 1, 15), 13), date(2027, 2, 15))
                # 2026-03-02 is a Monday.
                self.assertEqual(business_days(date(2026, 3, 2), date(2026, 3, 9)), 5)

            def test_overlap(self):
                self.assertTrue(Interval(date(2026, 1, 1), date(2026, 1, 10)).overlaps(
                    Interval(date(2026, 1, 5), date(2026, 1, 20))))
    '''),
}

D = "from datetime import date, timedelta"

TASKS = [
    TaskSpec(
        slug="duration-units", split="train", difficulty="easy",
        issue='''
            `parse_duration` is too strict

            Durations typed by users come in as `"3D"`, `"2 w"` or `" 10d "` and all raise
            `ValueError: not a duration`. Units should be case-insensitive, and spaces between
            the number and the unit (or around the whole text) should be allowed. Garbage like
            `"3x"`, `"d"` or `""` must still be rejected.
        ''',
        gold=[Edit("spans/parse.py", '''
                    match = re.fullmatch(r"(\\d+)([dw])", text)
        ''', '''
                    match = re.fullmatch(r"\\s*(\\d+)\\s*([dw])\\s*", text.lower())
        ''')],
        hidden='''
            import unittest
            from datetime import timedelta

            from spans import parse_duration


            class DurationUnits(unittest.TestCase):
                def test_accepted(self):
                    self.assertEqual(parse_duration("3D"), timedelta(days=3))
                    self.assertEqual(parse_duration("2 w"), timedelta(days=14))
                    self.assertEqual(parse_duration(" 10d "), timedelta(days=10))
                    self.assertEqual(parse_duration("1W"), timedelta(days=7))

                def test_rejected(self):
                    for bad in ("3x", "d", "", "  ", "2 ww"):
                        with self.assertRaises(ValueError, msg=bad):
                            parse_duration(bad)
        ''',
    ),
    TaskSpec(
        slug="adjacent-overlap", split="heldout", difficulty="easy",
        issue='''
            Back-to-back bookings are reported as overlapping

            Intervals include their start day and exclude their end day, so a booking
            `Interval(date(2026, 1, 1), date(2026, 1, 5))` and the next one starting on
            `date(2026, 1, 5)` share no day. Yet `overlaps` says they do, and our room booking
            refuses the second guest. Two intervals should overlap only if there is a day in both.
        ''',
        gold=[Edit("spans/interval.py",
                   "return self.start <= other.end and other.start <= self.end",
                   "return self.start < other.end and other.start < self.end")],
        hidden='''
            import unittest
            from datetime import date

            from spans import Interval


            def iv(a, b):
                return Interval(date(2026, 1, a), date(2026, 1, b))


            class AdjacentOverlap(unittest.TestCase):
                def test_back_to_back(self):
                    self.assertFalse(iv(1, 5).overlaps(iv(5, 8)))
                    self.assertFalse(iv(5, 8).overlaps(iv(1, 5)))

                def test_real_overlaps(self):
                    self.assertTrue(iv(1, 6).overlaps(iv(5, 8)))
                    self.assertTrue(iv(1, 10).overlaps(iv(3, 4)))
                    self.assertTrue(iv(3, 4).overlaps(iv(1, 10)))

                def test_apart(self):
                    self.assertFalse(iv(1, 3).overlaps(iv(4, 8)))
        ''',
    ),
    TaskSpec(
        slug="month-end", split="train", difficulty="medium",
        issue='''
            `add_months` crashes at the end of the month

            ```python
            >>> add_months(date(2026, 1, 31), 1)
            ValueError: day is out of range for month
            ```

            We bill monthly from the signup date, so this hits every customer who signed up on
            the 29th, 30th or 31st. When the target month is shorter, the result should be the
            last day of that month (2026-02-28 here; 2024-02-29 in a leap year). This applies to
            negative month counts too (`add_months(date(2026, 3, 31), -1)` is 2026-02-28).
        ''',
        gold=[
            Edit("spans/calendar.py", "from datetime import timedelta", '''
                import calendar
                from datetime import timedelta
            '''),
            Edit("spans/calendar.py", '''
                    index = day.month - 1 + months
                    return day.replace(year=day.year + index // 12, month=index % 12 + 1)
            ''', '''
                    index = day.month - 1 + months
                    year, month = day.year + index // 12, index % 12 + 1
                    last = calendar.monthrange(year, month)[1]
                    return day.replace(year=year, month=month, day=min(day.day, last))
            '''),
        ],
        hidden=f'''
            import unittest
            {D}

            from spans import add_months


            class MonthEnd(unittest.TestCase):
                def test_clamped_to_month_end(self):
                    self.assertEqual(add_months(date(2026, 1, 31), 1), date(2026, 2, 28))
                    self.assertEqual(add_months(date(2024, 1, 30), 1), date(2024, 2, 29))
                    self.assertEqual(add_months(date(2026, 5, 31), 1), date(2026, 6, 30))

                def test_leap_day_next_year(self):
                    self.assertEqual(add_months(date(2024, 2, 29), 12), date(2025, 2, 28))

                def test_negative(self):
                    self.assertEqual(add_months(date(2026, 3, 31), -1), date(2026, 2, 28))
                    self.assertEqual(add_months(date(2026, 1, 31), -2), date(2025, 11, 30))

                def test_ordinary_days_unchanged(self):
                    self.assertEqual(add_months(date(2026, 1, 31), 2), date(2026, 3, 31))
                    self.assertEqual(add_months(date(2026, 12, 15), 1), date(2027, 1, 15))
        ''',
    ),
    TaskSpec(
        slug="merge-unsorted", split="train", difficulty="medium",
        issue='''
            `merge` gives wrong unions

            `merge` is supposed to return the union of intervals as sorted, disjoint intervals,
            but:

            * with unsorted input the result is unsorted and still overlapping;
            * an interval inside the previous one cuts it short:
              `merge([Interval(jan1, jan10), Interval(jan3, jan4)])` gives `[Interval(jan1, jan4)]`.

            Intervals that touch (one ends the day the next starts) should be joined into one, as
            they are today. The input list should not be modified.
        ''',
        gold=[Edit("spans/interval.py", '''
                    result = []
                    for interval in intervals:
                        if result and interval.start <= result[-1].end:
                            result[-1] = Interval(result[-1].start, interval.end)
        ''', '''
                    result = []
                    for interval in sorted(intervals, key=lambda i: (i.start, i.end)):
                        if result and interval.start <= result[-1].end:
                            result[-1] = Interval(result[-1].start, max(result[-1].end, interval.end))
        ''')],
        hidden=f'''
            import unittest
            {D}

            from spans import Interval, merge


            def iv(a, b):
                return Interval(date(2026, 1, a), date(2026, 1, b))


            class MergeUnsorted(unittest.TestCase):
                def test_contained(self):
                    self.assertEqual(merge([iv(1, 10), iv(3, 4)]), [iv(1, 10)])

                def test_unsorted(self):
                    self.assertEqual(merge([iv(20, 25), iv(1, 3), iv(2, 6), iv(12, 14)]),
                                     [iv(1, 6), iv(12, 14), iv(20, 25)])

                def test_touching_joined(self):
                    self.assertEqual(merge([iv(5, 8), iv(1, 5)]), [iv(1, 8)])

                def test_empty_and_input_kept(self):
                    self.assertEqual(merge([]), [])
                    given = [iv(3, 4), iv(1, 2)]
                    merge(given)
                    self.assertEqual(given, [iv(3, 4), iv(1, 2)])
        ''',
    ),
    TaskSpec(
        slug="holidays", split="train", difficulty="medium",
        issue='''
            Public holidays in `business_days`

            `business_days(start, end)` counts Monday to Friday, but our SLA clock must also skip
            public holidays. Please accept an optional collection of holiday dates:
            `business_days(start, end, holidays=[date(2026, 12, 25)])`. A holiday inside the
            range on a weekday is not counted; a holiday on a weekend or outside the range changes
            nothing. Without holidays the result stays the same.
        ''',
        gold=[Edit("spans/calendar.py", '''
                def business_days(start, end):
                    """Number of weekdays (Monday to Friday) from start (included) to end (excluded)."""
                    count = 0
                    day = start
                    while day < end:
                        if day.weekday() < 5:
            ''', '''
                def business_days(start, end, holidays=()):
                    """Number of weekdays (Monday to Friday) from start (included) to end (excluded),
                    holidays not counted."""
                    holidays = set(holidays)
                    count = 0
                    day = start
                    while day < end:
                        if day.weekday() < 5 and day not in holidays:
            ''')],
        hidden=f'''
            import unittest
            {D}

            from spans import business_days

            MONDAY = date(2026, 12, 21)


            class Holidays(unittest.TestCase):
                def test_weekday_holidays_skipped(self):
                    end = MONDAY + timedelta(days=7)
                    self.assertEqual(business_days(MONDAY, end, holidays=[date(2026, 12, 25)]), 4)
                    self.assertEqual(business_days(MONDAY, end, holidays=(date(2026, 12, 24),
                                                                         date(2026, 12, 25))), 3)

                def test_weekend_or_outside_holidays_ignored(self):
                    end = MONDAY + timedelta(days=7)
                    self.assertEqual(business_days(MONDAY, end, holidays={{date(2026, 12, 26),
                                                                          date(2027, 1, 1)}}), 5)

                def test_without_holidays(self):
                    self.assertEqual(business_days(MONDAY, MONDAY + timedelta(days=14)), 10)
        ''',
    ),
    TaskSpec(
        slug="add-business-days", split="heldout", difficulty="hard",
        issue='''
            Moving a date by a number of business days

            We need due dates like "5 business days after receipt". Please add
            `add_business_days(day, n, holidays=())` to `spans` (exported from the package):

            * for n > 0, the n-th business day after `day`; for n < 0, the |n|-th business day
              before it; n = 0 returns `day` unchanged;
            * business days are Monday to Friday, minus the given holiday dates;
            * `day` itself does not count, and it may be a weekend or a holiday: Saturday + 1 is
              Monday, and Sunday - 1 is Friday.

            For example, from Friday 2026-12-18, +5 with holidays on the 24th and 25th is
            Tuesday 2026-12-29.
        ''',
        gold=[
            Edit("spans/calendar.py", '''
                def business_days(start, end):
            ''', '''
                def add_business_days(day, n, holidays=()):
                    """The n-th business day after day (before it when n < 0); day itself never counts."""
                    holidays = set(holidays)
                    step = timedelta(days=1 if n > 0 else -1)
                    remaining = abs(n)
                    while remaining:
                        day += step
                        if day.weekday() < 5 and day not in holidays:
                            remaining -= 1
                    return day


                def business_days(start, end):
            '''),
            Edit("spans/__init__.py", "from spans.calendar import add_months, business_days",
                 "from spans.calendar import add_business_days, add_months, business_days"),
            Edit("spans/__init__.py", '__all__ = ["Interval", "add_months",',
                 '__all__ = ["Interval", "add_business_days", "add_months",'),
        ],
        hidden=f'''
            import unittest
            {D}

            from spans import add_business_days

            FRIDAY = date(2026, 12, 18)
            XMAS = [date(2026, 12, 24), date(2026, 12, 25)]


            class AddBusinessDays(unittest.TestCase):
                def test_forward_over_weekend_and_holidays(self):
                    self.assertEqual(add_business_days(FRIDAY, 5, holidays=XMAS), date(2026, 12, 29))
                    self.assertEqual(add_business_days(FRIDAY, 1), date(2026, 12, 21))
                    self.assertEqual(add_business_days(FRIDAY, 5), date(2026, 12, 25))

                def test_backward(self):
                    self.assertEqual(add_business_days(date(2026, 12, 21), -1), FRIDAY)
                    self.assertEqual(add_business_days(date(2026, 12, 28), -2, holidays=XMAS),
                                     date(2026, 12, 22))

                def test_from_weekend(self):
                    saturday, sunday = date(2026, 12, 19), date(2026, 12, 20)
                    self.assertEqual(add_business_days(saturday, 1), date(2026, 12, 21))
                    self.assertEqual(add_business_days(sunday, -1), FRIDAY)

                def test_from_holiday(self):
                    self.assertEqual(add_business_days(date(2026, 12, 25), 1, holidays=XMAS),
                                     date(2026, 12, 28))

                def test_zero(self):
                    self.assertEqual(add_business_days(date(2026, 12, 19), 0), date(2026, 12, 19))
        ''',
    ),
]

REPO = RepoSpec("spans", FILES, TASKS)
