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
