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
