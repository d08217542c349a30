import unittest

from geom import Vector


class HashableVectors(unittest.TestCase):
    def test_set_deduplicates(self):
        points = {Vector(1, 2), Vector(1.0, 2.0), Vector(2, 1)}
        self.assertEqual(len(points), 2)

    def test_dict_key(self):
        seen = {Vector(0, 1): "north"}
        self.assertEqual(seen[Vector(0.0, 1.0)], "north")
        self.assertNotIn(Vector(1, 0), seen)
