import unittest

from geom import Matrix, Vector


class MatrixVectorProduct(unittest.TestCase):
    def test_rotation(self):
        self.assertEqual(Matrix([[0, -1], [1, 0]]) @ Vector(1, 0), Vector(0, 1))

    def test_rectangular(self):
        m = Matrix([[1, 2, 3], [4, 5, 6]])
        self.assertEqual(m @ Vector(1, 0, -1), Vector(-2, -2))

    def test_wrong_length(self):
        with self.assertRaises(ValueError):
            Matrix([[1, 2], [3, 4]]) @ Vector(1, 2, 3)

    def test_matrix_product_still_works(self):
        a = Matrix([[1, 2], [3, 4]])
        self.assertEqual(a @ Matrix([[0, 1], [1, 0]]), Matrix([[2, 1], [4, 3]]))
