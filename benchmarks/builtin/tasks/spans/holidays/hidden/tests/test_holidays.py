import unittest
from datetime import date, timedelta

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
        self.assertEqual(business_days(MONDAY, end, holidays={date(2026, 12, 26),
                                                              date(2027, 1, 1)}), 5)

    def test_without_holidays(self):
        self.assertEqual(business_days(MONDAY, MONDAY + timedelta(days=14)), 10)
