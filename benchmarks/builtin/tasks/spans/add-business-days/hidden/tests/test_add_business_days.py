import unittest
from datetime import date, timedelta

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
