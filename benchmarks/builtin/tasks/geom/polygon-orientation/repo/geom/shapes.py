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
