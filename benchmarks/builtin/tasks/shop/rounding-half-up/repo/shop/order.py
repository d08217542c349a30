"""Orders: lines of products, totals, and placing them against the inventory."""

from dataclasses import dataclass
from decimal import Decimal

from shop.catalog import Product
from shop.money import to_money


@dataclass
class Line:
    product: Product
    quantity: int

    @property
    def total(self):
        return to_money(self.product.price * self.quantity)


class Order:
    """An order is "open" until placed; placing takes its units from the inventory."""

    def __init__(self, discount_percent=0):
        self.lines = []
        self.status = "open"
        self.discount_percent = discount_percent

    def add(self, product, quantity=1):
        if self.status != "open":
            raise ValueError(f"cannot change a {self.status} order")
        if quantity <= 0:
            raise ValueError("quantity must be positive")
        self.lines.append(Line(product, quantity))

    def subtotal(self):
        return sum((line.total for line in self.lines), Decimal("0.00"))

    def total(self):
        """Subtotal less the order's percentage discount, in cents."""
        return to_money(self.subtotal() * (100 - Decimal(self.discount_percent)) / 100)

    def place(self, inventory):
        """Take every line's units from the inventory; the order becomes "placed"."""
        if self.status != "open":
            raise ValueError(f"cannot place a {self.status} order")
        for line in self.lines:
            inventory.take(line.product.sku, line.quantity)
        self.status = "placed"
