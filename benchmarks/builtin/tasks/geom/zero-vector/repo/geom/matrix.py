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
