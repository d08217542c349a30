"""Small linear algebra and plane geometry."""

from geom.matrix import Matrix
from geom.shapes import Polygon, Rect
from geom.vector import Vector

__all__ = ["Matrix", "Polygon", "Rect", "Vector"]
