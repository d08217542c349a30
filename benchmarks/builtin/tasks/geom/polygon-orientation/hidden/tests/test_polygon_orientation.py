import unittest

from geom import Polygon


class PolygonOrientation(unittest.TestCase):
    def test_clockwise(self):
        self.assertEqual(Polygon([(0, 0), (0, 3), (4, 3), (4, 0)]).area(), 12)

    def test_counter_clockwise(self):
        self.assertEqual(Polygon([(0, 0), (4, 0), (4, 3), (0, 3)]).area(), 12)

    def test_clockwise_triangle(self):
        self.assertAlmostEqual(Polygon([(0, 0), (1, 2), (2, 0)]).area(), 2)
