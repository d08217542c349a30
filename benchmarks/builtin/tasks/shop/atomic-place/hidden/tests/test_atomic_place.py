import unittest

from shop import Inventory, Order, OutOfStock, Product

PEN = Product("pen", "Pen", "1.20")
PAD = Product("pad", "Notepad", "3.05")
INK = Product("ink", "Ink", "7.00")


class AtomicPlace(unittest.TestCase):
    def test_nothing_taken_when_a_line_fails(self):
        stock = Inventory()
        stock.receive("pen", 5)
        stock.receive("ink", 1)
        order = Order()
        order.add(PEN, 2)
        order.add(INK, 1)
        order.add(PAD, 1)
        with self.assertRaises(OutOfStock):
            order.place(stock)
        self.assertEqual(stock.available("pen"), 5)
        self.assertEqual(stock.available("ink"), 1)
        self.assertEqual(stock.available("pad"), 0)
        self.assertEqual(order.status, "open")

    def test_can_place_after_restock(self):
        stock = Inventory()
        stock.receive("pen", 5)
        order = Order()
        order.add(PEN, 2)
        order.add(PAD, 1)
        with self.assertRaises(OutOfStock):
            order.place(stock)
        stock.receive("pad", 1)
        order.place(stock)
        self.assertEqual(order.status, "placed")
        self.assertEqual((stock.available("pen"), stock.available("pad")), (3, 0))
