import unittest
from decimal import Decimal

from shop import Order, Product


def line_total(product, quantity):
    order = Order()
    order.add(product, quantity)
    return order.total()


class BulkPricing(unittest.TestCase):
    def setUp(self):
        self.pen = Product("pen", "Pen", "1.20", bulk={10: "1.00", 50: Decimal("0.85")})

    def test_tiers(self):
        self.assertEqual(line_total(self.pen, 9), Decimal("10.80"))
        self.assertEqual(line_total(self.pen, 10), Decimal("10.00"))
        self.assertEqual(line_total(self.pen, 49), Decimal("49.00"))
        self.assertEqual(line_total(self.pen, 50), Decimal("42.50"))
        self.assertEqual(line_total(self.pen, 51), Decimal("43.35"))

    def test_without_bulk(self):
        self.assertEqual(line_total(Product("pad", "Pad", 3), 100), Decimal("300.00"))

    def test_still_hashable(self):
        self.assertEqual({self.pen: 1}[self.pen], 1)
