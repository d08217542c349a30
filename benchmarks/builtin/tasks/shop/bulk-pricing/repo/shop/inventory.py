"""Stock levels per product."""


class OutOfStock(Exception):
    """Not enough units of a product."""


class Inventory:
    def __init__(self):
        self.stock = {}

    def receive(self, sku, quantity):
        """Add delivered units."""
        if quantity <= 0:
            raise ValueError("quantity must be positive")
        self.stock[sku] = self.available(sku) + quantity

    def available(self, sku):
        return self.stock.get(sku, 0)

    def take(self, sku, quantity):
        """Remove units, refusing to go below zero."""
        if quantity > self.available(sku):
            raise OutOfStock(f"{sku}: {quantity} wanted, {self.available(sku)} in stock")
        self.stock[sku] -= quantity

    def put_back(self, sku, quantity):
        """Return units taken earlier."""
        self.stock[sku] = self.available(sku) + quantity
