import unittest

from geom import Matrix


class TransposeRectangular(unittest.TestCase):
    def test_wide(self):
        t = Matrix([[1, 2, 3], [4, 5, 6]]).transpose()
        self.assertEqual(t.shape, (3, 2))
        self.assertEqual(t, Matrix([[1, 4], [2, 5], [3, 6]]))

    def test_tall(self):
        t = Matrix([[1, 2], [3, 4], [5, 6]]).transpose()
        self.assertEqual(t, Matrix([[1, 3, 5], [2, 4, 6]]))

    def test_row_and_column(self):
        self.assertEqual(Matrix([[7, 8, 9]]).transpose(), Matrix([[7], [8], [9]]))
