"""Products, stock and orders."""

from shop.catalog import Product
from shop.inventory import Inventory, OutOfStock
from shop.money import to_money
from shop.order import Order

__all__ = ["Inventory", "Order", "OutOfStock", "Product", "to_money"]
