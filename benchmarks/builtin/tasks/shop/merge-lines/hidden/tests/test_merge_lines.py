import unittest
from decimal import Decimal

from shop import Order, Product

PEN = Product("pen", "Pen", "1.20")
PAD = Product("pad", "Notepad", "3.05")


class MergeLines(unittest.TestCase):
    def test_same_product_merges(self):
        order = Order()
        order.add(PEN, 2)
        order.add(PAD)
        order.add(PEN, 1)
        self.assertEqual([(l.product.sku, l.quantity) for l in order.lines],
                         [("pen", 3), ("pad", 1)])
        self.assertEqual(order.subtotal(), Decimal("6.65"))
