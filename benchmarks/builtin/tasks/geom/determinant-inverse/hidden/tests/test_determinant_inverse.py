import unittest

from geom import Matrix


class DeterminantInverse(unittest.TestCase):
    def assertMatrixAlmostEqual(self, a, b):
        self.assertEqual(a.shape, b.shape)
        for row_a, row_b in zip(a.rows, b.rows):
            for x, y in zip(row_a, row_b):
                self.assertAlmostEqual(x, y, places=9)

    def test_determinants(self):
        self.assertAlmostEqual(Matrix([[5]]).determinant(), 5)
        self.assertAlmostEqual(Matrix([[1, 2], [3, 4]]).determinant(), -2)
        self.assertAlmostEqual(
            Matrix([[2, 0, 1], [1, 3, 2], [1, 1, 2]]).determinant(), 6)
        self.assertAlmostEqual(
            Matrix([[0, 1, 0], [1, 0, 0], [0, 0, 1]]).determinant(), -1)
        self.assertAlmostEqual(
            Matrix([[1, 2, 3], [4, 5, 6], [7, 8, 9]]).determinant(), 0)
        self.assertAlmostEqual(Matrix.identity(4).determinant(), 1)

    def test_non_square(self):
        with self.assertRaises(ValueError):
            Matrix([[1, 2, 3], [4, 5, 6]]).determinant()
        with self.assertRaises(ValueError):
            Matrix([[1, 2, 3], [4, 5, 6]]).inverse()

    def test_inverse(self):
        for a in (Matrix([[4, 7], [2, 6]]), Matrix([[0, 1, 2], [1, 0, 3], [4, -3, 8]]),
                  Matrix([[2, 0, 0, 1], [0, 1, 0, 0], [1, 0, 1, 0], [0, 0, 3, 1]])):
            n = a.shape[0]
            self.assertMatrixAlmostEqual(a @ a.inverse(), Matrix.identity(n))
            self.assertMatrixAlmostEqual(a.inverse() @ a, Matrix.identity(n))

    def test_singular(self):
        with self.assertRaises(ValueError):
            Matrix([[1, 2], [2, 4]]).inverse()
