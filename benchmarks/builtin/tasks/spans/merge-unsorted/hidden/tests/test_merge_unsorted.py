import unittest
from datetime import date, timedelta

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
