import unittest

from shop import Inventory, Order, Product

PEN = Product("pen", "Pen", "1.20")
PAD = Product("pad", "Notepad", "3.05")


class CancelOrder(unittest.TestCase):
    def setUp(self):
        self.stock = Inventory()
        self.stock.receive("pen", 5)
        self.stock.receive("pad", 2)
        self.order = Order()
        self.order.add(PEN, 2)
        self.order.add(PAD, 1)

    def test_cancel_open(self):
        self.order.cancel(self.stock)
        self.assertEqual(self.order.status, "cancelled")
        self.assertEqual((self.stock.available("pen"), self.stock.available("pad")), (5, 2))

    def test_cancel_placed_returns_stock(self):
        self.order.place(self.stock)
        self.assertEqual(self.stock.available("pen"), 3)
        self.order.cancel(self.stock)
        self.assertEqual(self.order.status, "cancelled")
        self.assertEqual((self.stock.available("pen"), self.stock.available("pad")), (5, 2))

    def test_cancel_twice(self):
        self.order.place(self.stock)
        self.order.cancel(self.stock)
        with self.assertRaises(ValueError):
            self.order.cancel(self.stock)
        self.assertEqual((self.stock.available("pen"), self.stock.available("pad")), (5, 2))

    def test_cancelled_is_final(self):
        self.order.cancel(self.stock)
        with self.assertRaises(ValueError):
            self.order.place(self.stock)
        with self.assertRaises(ValueError):
            self.order.add(PEN)
        self.assertEqual(self.stock.available("pen"), 5)
