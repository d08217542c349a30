import unittest
from decimal import Decimal

from shop import Inventory, Order, OutOfStock, Product

PEN = Product("pen", "Pen", "1.20")
PAD = Product("pad", "Notepad", "3.05")


class OrderBasics(unittest.TestCase):
    def test_totals(self):
        order = Order(discount_percent=20)
        order.add(PEN, 3)
        order.add(PAD)
        self.assertEqual(order.subtotal(), Decimal("6.65"))
        self.assertEqual(order.total(), Decimal("5.32"))

    def test_place_takes_stock(self):
        stock = Inventory()
        stock.receive("pen", 5)
        order = Order()
        order.add(PEN, 2)
        order.place(stock)
        self.assertEqual(stock.available("pen"), 3)
        self.assertEqual(order.status, "placed")

    def test_out_of_stock(self):
        order = Order()
        order.add(PEN, 2)
        with self.assertRaises(OutOfStock):
            order.place(Inventory())
