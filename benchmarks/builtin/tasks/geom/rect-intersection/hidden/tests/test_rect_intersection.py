import unittest

from geom import Rect


class RectIntersection(unittest.TestCase):
    def test_disjoint(self):
        self.assertIsNone(Rect(0, 0, 2, 2).intersection(Rect(5, 5, 1, 1)))
        self.assertIsNone(Rect(5, 5, 1, 1).intersection(Rect(0, 0, 2, 2)))
        self.assertIsNone(Rect(0, 0, 2, 2).intersection(Rect(0, 3, 2, 2)))

    def test_touching(self):
        self.assertIsNone(Rect(0, 0, 2, 2).intersection(Rect(2, 0, 2, 2)))
        self.assertIsNone(Rect(0, 0, 2, 2).intersection(Rect(2, 2, 1, 1)))

    def test_overlap(self):
        self.assertEqual(Rect(0, 0, 4, 4).intersection(Rect(1, -1, 2, 2)), Rect(1, 0, 2, 1))
        self.assertEqual(Rect(1, -1, 2, 2).intersection(Rect(0, 0, 4, 4)), Rect(1, 0, 2, 1))

    def test_contained(self):
        self.assertEqual(Rect(0, 0, 10, 10).intersection(Rect(2, 3, 1, 1)), Rect(2, 3, 1, 1))
