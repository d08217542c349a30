"""geom: vectors, matrices and plane shapes."""

from taskgen import Edit, RepoSpec, TaskSpec, src

FILES = {
    "geom/__init__.py": src('''
        """Small linear algebra and plane geometry."""

        from geom.matrix import Matrix
        from geom.shapes import Polygon, Rect
        from geom.vector import Vector

        __all__ = ["Matrix", "Polygon", "Rect", "Vector"]
    '''),
    "geom/vector.py": src('''
        """Vectors of any dimension."""

        import math


        class Vector:
            """An immutable vector of floats."""

            def __init__(self, *components):
                self.components = tuple(float(c) for c in components)

            def __len__(self):
                return len(self.components)

            def __iter__(self):
                return iter(self.components)

            def __getitem__(self, index):
                return self.components[index]

            def __eq__(self, other):
                return isinstance(other, Vector) and self.components == other.components

            def __repr__(self):
                return f"Vector{self.components}"

            def _check(self, other):
                if len(self) != len(other):
                    raise ValueError(f"dimension mismatch: {len(self)} and {len(other)}")

            def __add__(self, other):
                self._check(other)
                return Vector(*(a + b for a, b in zip(self, other)))

            def __sub__(self, other):
                self._check(other)
                return Vector(*(a - b for a, b in zip(self, other)))

            def __mul__(self, k):
                return Vector(*(a * k for a in self))

            __rmul__ = __mul__

            def dot(self, other):
                self._check(other)
                return sum(a * b for a, b in zip(self, other))

            def norm(self):
                return math.sqrt(self.dot(self))

            def normalized(self):
                """The unit vector in the same direction."""
                return self * (1 / self.norm())
    '''),
    "geom/matrix.py": src('''
        """Dense matrices of floats."""


        class Matrix:
            """A matrix stored as a list of rows."""

            def __init__(self, rows):
                rows = [[float(x) for x in row] for row in rows]
                if not rows or not rows[0] or any(len(r) != len(rows[0]) for r in rows):
                    raise ValueError("a matrix needs non-empty rows of equal length")
                self.rows = rows

            @classmethod
            def identity(cls, n):
                return cls([[1.0 if i == j else 0.0 for j in range(n)] for i in range(n)])

            @property
            def shape(self):
                return len(self.rows), len(self.rows[0])

            def __getitem__(self, index):
                i, j = index
                return self.rows[i][j]

            def __eq__(self, other):
                return isinstance(other, Matrix) and self.rows == other.rows

            def __repr__(self):
                return f"Matrix({self.rows})"

            def transpose(self):
                n, m = self.shape
                return Matrix([[self.rows[j][i] for j in range(n)] for i in range(n)])

            def __matmul__(self, other):
                n, k = self.shape
                k2, m = other.shape
                if k != k2:
                    raise ValueError(f"cannot multiply {n}x{k} by {k2}x{m}")
                return Matrix([[sum(self.rows[i][t] * other.rows[t][j] for t in range(k))
                                for j in range(m)] for i in range(n)])

            def determinant(self):
                """The determinant (2x2 matrices only for now)."""
                if self.shape != (2, 2):
                    raise NotImplementedError("determinant of 2x2 matrices only")
                (a, b), (c, d) = self.rows
                return a * d - b * c
    '''),
    "geom/shapes.py": src('''
        """Plane shapes."""

        import math


        class Polygon:
            """A simple polygon given by its vertices in order."""

            def __init__(self, points):
                if len(points) < 3:
                    raise ValueError("a polygon needs at least 3 vertices")
                self.points = [(float(x), float(y)) for x, y in points]

            def _edges(self):
                return zip(self.points, self.points[1:] + self.points[:1])

            def area(self):
                """Enclosed area (shoelace formula)."""
                return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in self._edges()) / 2

            def perimeter(self):
                return sum(math.dist(a, b) for a, b in self._edges())


        class Rect:
            """An axis-aligned rectangle: corner (x, y), width w and height h."""

            def __init__(self, x, y, w, h):
                if w < 0 or h < 0:
                    raise ValueError("width and height must not be negative")
                self.x, self.y, self.w, self.h = x, y, w, h

            def __eq__(self, other):
                return isinstance(other, Rect) and (self.x, self.y, self.w, self.h) == (
                    other.x, other.y, other.w, other.h)

            def __repr__(self):
                return f"Rect({self.x}, {self.y}, {self.w}, {self.h})"

            def area(self):
                return self.w * self.h

            def intersection(self, other):
                """The overlapping rectangle of self and other."""
                x1, y1 = max(self.x, other.x), max(self.y, other.y)
                x2 = min(self.x + self.w, other.x + other.w)
                y2 = min(self.y + self.h, other.y + other.h)
                return Rect(x1, y1, abs(x2 - x1), abs(y2 - y1))
    '''),
    "tests/__init__.py": "",
    "tests/test_basics.py": src('''
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
    '''),
}

TASKS = [
    TaskSpec(
        slug="transpose-rectangular", split="train", difficulty="easy",
        issue='''
            `Matrix.transpose()` is wrong for non-square matrices

            ```python
            >>> Matrix([[1, 2, 3], [4, 5, 6]]).transpose()
            IndexError: list index out of range
            ```

            and a 3x2 matrix comes back as a 2x2 one, silently losing a column. The transpose
            of an n x m matrix should be the m x n matrix with rows and columns swapped.
        ''',
        gold=[Edit("geom/matrix.py", "[[self.rows[j][i] for j in range(n)] for i in range(n)]",
                   "[[self.rows[j][i] for j in range(n)] for i in range(m)]")],
        hidden='''
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
        ''',
    ),
    TaskSpec(
        slug="zero-vector", split="train", difficulty="easy",
        issue='''
            Normalizing a zero vector crashes with ZeroDivisionError

            `Vector(0, 0).normalized()` raises `ZeroDivisionError: float division by zero` from
            deep inside the library, which our code can't tell apart from real bugs. It should
            raise a `ValueError` that says the vector has zero length. Other vectors must
            normalize as before.
        ''',
        gold=[Edit("geom/vector.py", "return self * (1 / self.norm())", '''
            length = self.norm()
            if length == 0:
                raise ValueError("cannot normalize a vector of zero length")
            return self * (1 / length)
        ''')],
        hidden='''
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
        ''',
    ),
    TaskSpec(
        slug="hashable-vectors", split="train", difficulty="easy",
        issue='''
            Vectors can't be used in sets or as dict keys

            ```python
            >>> {Vector(1, 2)}
            TypeError: unhashable type: 'Vector'
            ```

            Vectors are immutable values, so I'd expect to deduplicate them with a set and use
            them as dictionary keys. Equal vectors (`Vector(1, 2)` and `Vector(1.0, 2.0)`) must
            count as the same key.
        ''',
        gold=[Edit("geom/vector.py", '''
                def __repr__(self):
                    return f"Vector{self.components}"
        ''', '''
                def __hash__(self):
                    return hash(self.components)

                def __repr__(self):
                    return f"Vector{self.components}"
        ''')],
        hidden='''
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
        ''',
    ),
    TaskSpec(
        slug="polygon-orientation", split="train", difficulty="easy",
        issue='''
            `Polygon.area()` is negative when the vertices go clockwise

            ```python
            >>> Polygon([(0, 0), (0, 3), (4, 3), (4, 0)]).area()
            -12.0
            ```

            The same rectangle listed counter-clockwise gives `12.0`. Area is a size: it should
            be positive whatever direction the vertices are listed in.
        ''',
        gold=[Edit("geom/shapes.py",
                   "return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in self._edges()) / 2",
                   "return abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in self._edges())) / 2")],
        hidden='''
            import unittest

            from geom import Polygon


            class PolygonOrientation(unittest.TestCase):
                def test_clockwise(self):
                    self.assertEqual(Polygon([(0, 0), (0, 3), (4, 3), (4, 0)]).area(), 12)

                def test_counter_clockwise(self):
                    self.assertEqual(Polygon([(0, 0), (4, 0), (4, 3), (0, 3)]).area(), 12)

                def test_clockwise_triangle(self):
                    self.assertAlmostEqual(Polygon([(0, 0), (1, 2), (2, 0)]).area(), 2)
        ''',
    ),
    TaskSpec(
        slug="matrix-vector-product", split="heldout", difficulty="medium",
        issue='''
            `Matrix @ Vector` does not work

            Applying a transformation to a point fails:

            ```python
            >>> rotate = Matrix([[0, -1], [1, 0]])
            >>> rotate @ Vector(1, 0)
            AttributeError: 'Vector' object has no attribute 'shape'
            ```

            Multiplying an n x m matrix by a vector of length m should give the vector of length
            n (the vector taken as a column), here `Vector(0, 1)`. A vector of the wrong length
            should raise `ValueError`. Matrix @ Matrix must keep working.
        ''',
        gold=[
            Edit("geom/matrix.py", '"""Dense matrices of floats."""', '''
                """Dense matrices of floats."""

                from geom.vector import Vector
            '''),
            Edit("geom/matrix.py", '''
                def __matmul__(self, other):
                    n, k = self.shape
            ''', '''
                def __matmul__(self, other):
                    n, k = self.shape
                    if isinstance(other, Vector):
                        if len(other) != k:
                            raise ValueError(f"cannot multiply {n}x{k} by a vector of length {len(other)}")
                        return Vector(*(sum(a * b for a, b in zip(row, other)) for row in self.rows))
            '''),
        ],
        hidden='''
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
        ''',
    ),
    TaskSpec(
        slug="rect-intersection", split="train", difficulty="medium",
        issue='''
            `Rect.intersection` returns a rectangle for rectangles that don't overlap

            ```python
            >>> Rect(0, 0, 2, 2).intersection(Rect(5, 5, 1, 1))
            Rect(5, 5, 2, 2)
            ```

            These two rectangles are far apart, yet I get a rectangle with area 4, and our
            collision code thinks they collide. When two rectangles don't overlap the method
            should return `None`. Rectangles that only touch along an edge or at a corner don't
            overlap either (the shared part has no area). Overlapping rectangles should give the
            overlap as before, in either argument order.
        ''',
        gold=[Edit("geom/shapes.py", '''
                    return Rect(x1, y1, abs(x2 - x1), abs(y2 - y1))
        ''', '''
                    if x2 <= x1 or y2 <= y1:
                        return None
                    return Rect(x1, y1, x2 - x1, y2 - y1)
        ''')],
        hidden='''
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
        ''',
    ),
    TaskSpec(
        slug="determinant-inverse", split="train", difficulty="hard",
        issue='''
            Determinant and inverse for any square matrix

            `Matrix.determinant()` raises `NotImplementedError` for anything but 2x2, and there is
            no way to invert a matrix. I need both for 3x3 and 4x4 transforms.

            * `determinant()` should work for every n x n matrix (including 1x1), and raise
              `ValueError` for a non-square matrix.
            * a new `inverse()` should return the inverse `Matrix`, so that `a @ a.inverse()` is
              the identity (up to floating-point rounding). A singular matrix (determinant 0) or a
              non-square one should raise `ValueError`.

            Matrices that need row swaps (a zero in the top-left corner) must work too.
        ''',
        gold=[Edit("geom/matrix.py", '''
                def determinant(self):
                    """The determinant (2x2 matrices only for now)."""
                    if self.shape != (2, 2):
                        raise NotImplementedError("determinant of 2x2 matrices only")
                    (a, b), (c, d) = self.rows
                    return a * d - b * c
        ''', '''
                def _eliminate(self, rhs):
                    """Gauss-Jordan elimination with partial pivoting on copies of self and rhs.

                    Returns (determinant, rhs reduced), the latter None when self is singular."""
                    n, m = self.shape
                    if n != m:
                        raise ValueError(f"a {n}x{m} matrix is not square")
                    a = [row[:] for row in self.rows]
                    b = [row[:] for row in rhs]
                    det = 1.0
                    for col in range(n):
                        pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
                        if abs(a[pivot][col]) < 1e-12:
                            return 0.0, None
                        if pivot != col:
                            a[col], a[pivot] = a[pivot], a[col]
                            b[col], b[pivot] = b[pivot], b[col]
                            det = -det
                        p = a[col][col]
                        det *= p
                        a[col] = [x / p for x in a[col]]
                        b[col] = [x / p for x in b[col]]
                        for r in range(n):
                            if r != col and a[r][col] != 0:
                                f = a[r][col]
                                a[r] = [x - f * y for x, y in zip(a[r], a[col])]
                                b[r] = [x - f * y for x, y in zip(b[r], b[col])]
                    return det, b

                def determinant(self):
                    """The determinant of a square matrix."""
                    return self._eliminate([[] for _ in self.rows])[0]

                def inverse(self):
                    """The inverse of a square, non-singular matrix."""
                    det, inv = self._eliminate(Matrix.identity(len(self.rows)).rows)
                    if inv is None:
                        raise ValueError("the matrix is singular")
                    return Matrix(inv)
        ''')],
        hidden='''
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
        ''',
    ),
]

REPO = RepoSpec("geom", FILES, TASKS)
