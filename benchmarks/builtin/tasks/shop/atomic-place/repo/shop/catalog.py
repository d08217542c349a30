"""Products for sale."""

from dataclasses import dataclass
from decimal import Decimal

from shop.money import to_money


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    price: Decimal

    def __post_init__(self):
        object.__setattr__(self, "price", to_money(self.price))
        if self.price < 0:
            raise ValueError(f"{self.sku}: price must not be negative")
