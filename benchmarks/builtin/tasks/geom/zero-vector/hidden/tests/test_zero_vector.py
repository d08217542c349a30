import unittest

from geom import Vector


class ZeroVector(unittest.TestCase):
    def test_zero_vector_is_a_value_error(self):
        for zero in (Vector(0, 0), Vector(0, 0, 0)):
            with self.assertRaises(ValueError) as caught:
                zero.normalized()
            self.assertIn("zero", str(caught.exception).lower())

    def test_other_vectors(self):
        unit = Vector(3, 4).normalized()
        self.assertAlmostEqual(unit[0], 0.6)
        self.assertAlmostEqual(unit[1], 0.8)
