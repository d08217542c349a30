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
