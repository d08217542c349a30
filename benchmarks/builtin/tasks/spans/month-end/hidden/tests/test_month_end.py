import unittest
from datetime import date, timedelta

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
