import unittest

from geom import Matrix, Polygon, Rect, Vector


class Basics(unittest.TestCase):
    def test_vector_arithmetic(self):
        self.assertEqual(Vector(1, 2) + Vector(3, 4), Vector(4, 6))
        self.assertEqual(2 * Vector(1, 2), Vector(2, 4))
        self.assertEqual(Vector(3, 4).norm(), 5)

    def test_square_matrix(self):
        a = Matrix([[1, 2], [3, 4]])
        self.assertEqual(a @ Matrix.identity(2), a)
        self.assertEqual(a.transpose(), Matrix([[1, 3], [2, 4]]))
        self.assertEqual(a.determinant(), -2)

    def test_shapes(self):
        self.assertEqual(Polygon([(0, 0), (4, 0), (4, 3)]).area(), 6)
        self.assertEqual(Rect(0, 0, 4, 4).intersection(Rect(2, 2, 4, 4)), Rect(2, 2, 2, 2))
