import unittest
from decimal import Decimal

from shop import Order, Product, to_money


class RoundingHalfUp(unittest.TestCase):
    def test_order_total(self):
        order = Order(discount_percent=50)
        order.add(Product("x", "X", "2.25"))
        self.assertEqual(order.total(), Decimal("1.13"))

    def test_line_total(self):
        order = Order(discount_percent=75)
        order.add(Product("y", "Y", "2.50"))
        self.assertEqual(order.total(), Decimal("0.63"))

    def test_to_money(self):
        self.assertEqual(to_money("0.625"), Decimal("0.63"))
        self.assertEqual(to_money("0.135"), Decimal("0.14"))
        self.assertEqual(to_money("0.124"), Decimal("0.12"))
