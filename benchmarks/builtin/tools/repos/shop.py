"""shop: products, stock and orders with Decimal money."""

from taskgen import Edit, RepoSpec, TaskSpec, src

FILES = {
    "shop/__init__.py": src('''
        """Products, stock and orders."""

        from shop.catalog import Product
        from shop.inventory import Inventory, OutOfStock
        from shop.money import to_money
        from shop.order import Order

        __all__ = ["Inventory", "Order", "OutOfStock", "Product", "to_money"]
    '''),
    "shop/money.py": src('''
        """Money amounts: Decimal, rounded to whole cents."""

        from decimal import ROUND_HALF_EVEN, Decimal

        CENT = Decimal("0.01")


        def to_money(value):
            """value (Decimal, int, float or str) rounded to cents."""
            return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_EVEN)
    '''),
    "shop/catalog.py": src('''
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
    '''),
    "shop/inventory.py": src('''
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
    '''),
    "shop/order.py": src('''
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
    '''),
    "tests/__init__.py": "",
    "tests/test_order.py": src('''
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
    '''),
}

TASKS = [
    TaskSpec(
        slug="merge-lines", split="train", difficulty="easy",
        issue='''
            Adding a product that is already in the order creates a second line

            ```python
            order.add(pen, 2)
            order.add(pen, 1)
            ```

            leaves two lines for the same pen, which prints badly on invoices and confuses the
            warehouse. Adding a product that already has a line should increase that line's
            quantity instead (one line per product, in the order products were first added).
        ''',
        gold=[Edit("shop/order.py", '''
                    self.lines.append(Line(product, quantity))
        ''', '''
                    for line in self.lines:
                        if line.product == product:
                            line.quantity += quantity
                            return
                    self.lines.append(Line(product, quantity))
        ''')],
        hidden='''
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
        ''',
    ),
    TaskSpec(
        slug="rounding-half-up", split="train", difficulty="medium",
        issue='''
            Half cents are rounded down on some totals

            A 50% discount on a 2.25 item gives an order total of `1.12`, but our till and our
            accountant both say `1.13`: half a cent must round up (away from zero), as is usual
            for invoices. Right now it looks like the rounding depends on whether the cent digit
            is even (`0.625` becomes `0.62`, `0.135` becomes `0.14`). Every amount the library
            rounds to cents should round halves up.
        ''',
        gold=[
            Edit("shop/money.py", "from decimal import ROUND_HALF_EVEN, Decimal",
                 "from decimal import ROUND_HALF_UP, Decimal"),
            Edit("shop/money.py", "rounding=ROUND_HALF_EVEN", "rounding=ROUND_HALF_UP"),
        ],
        hidden='''
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
        ''',
    ),
    TaskSpec(
        slug="atomic-place", split="heldout", difficulty="medium",
        issue='''
            A failed order still takes stock

            When one line of an order can't be served, `place()` raises `OutOfStock` as
            expected, but the lines before it have already been taken from the inventory. The
            order stays unplaced, so that stock is simply lost:

            ```python
            stock.receive("pen", 5)        # and no pads at all
            order.add(pen, 2); order.add(pad, 1)
            order.place(stock)             # OutOfStock
            stock.available("pen")         # 3, should still be 5
            ```

            Placing must be all or nothing: if any line can't be served, raise `OutOfStock` and
            leave the inventory and the order exactly as they were.
        ''',
        gold=[Edit("shop/order.py", '''
                    for line in self.lines:
                        inventory.take(line.product.sku, line.quantity)
                    self.status = "placed"
        ''', '''
                    taken = []
                    try:
                        for line in self.lines:
                            inventory.take(line.product.sku, line.quantity)
                            taken.append(line)
                    except Exception:
                        for line in taken:
                            inventory.put_back(line.product.sku, line.quantity)
                        raise
                    self.status = "placed"
        ''')],
        hidden='''
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
        ''',
    ),
    TaskSpec(
        slug="bulk-pricing", split="train", difficulty="medium",
        issue='''
            Bulk prices

            Some products are cheaper by the box. I'd like to give a product bulk prices, as
            minimum quantity -> unit price:

            ```python
            pen = Product("pen", "Pen", "1.20", bulk={10: "1.00", 50: "0.85"})
            ```

            An order line of 9 pens costs 9 x 1.20, a line of 10 to 49 pens 1.00 each, and 50 or
            more 0.85 each. Products without bulk prices behave as before. Bulk prices are money
            like the normal price (strings, ints or Decimals accepted). Products must stay usable
            as dict keys and comparable as before.
        ''',
        gold=[
            Edit("shop/catalog.py", '''
                from dataclasses import dataclass
            ''', '''
                from dataclasses import dataclass, field
            '''),
            Edit("shop/catalog.py", '''
                    price: Decimal

                    def __post_init__(self):
                        object.__setattr__(self, "price", to_money(self.price))
                        if self.price < 0:
                            raise ValueError(f"{self.sku}: price must not be negative")
            ''', '''
                    price: Decimal
                    bulk: tuple = field(default=(), compare=False)

                    def __post_init__(self):
                        object.__setattr__(self, "price", to_money(self.price))
                        if self.price < 0:
                            raise ValueError(f"{self.sku}: price must not be negative")
                        tiers = dict(self.bulk).items()
                        object.__setattr__(self, "bulk", tuple(sorted(
                            (int(quantity), to_money(price)) for quantity, price in tiers)))

                    def unit_price(self, quantity):
                        """The price of one unit when buying `quantity` units."""
                        price = self.price
                        for minimum, tier_price in self.bulk:
                            if quantity >= minimum:
                                price = tier_price
                        return price
            '''),
            Edit("shop/order.py", '''
                        return to_money(self.product.price * self.quantity)
            ''', '''
                        return to_money(self.product.unit_price(self.quantity) * self.quantity)
            '''),
        ],
        hidden='''
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
        ''',
    ),
    TaskSpec(
        slug="cancel-order", split="train", difficulty="hard",
        issue='''
            Cancelling orders

            Customers cancel orders and we have no way to record it. Please add
            `order.cancel(inventory)`:

            * an open order just becomes `"cancelled"`;
            * a placed order becomes `"cancelled"` and its units go back into the inventory;
            * cancelling an order that is already cancelled raises `ValueError` and must not
              return the stock a second time;
            * a cancelled order can't be placed or changed any more (`ValueError`, as for placed
              orders today).
        ''',
        gold=[Edit("shop/order.py", '''
                        inventory.take(line.product.sku, line.quantity)
                    self.status = "placed"
        ''', '''
                        inventory.take(line.product.sku, line.quantity)
                    self.status = "placed"

                def cancel(self, inventory):
                    """Cancel the order; a placed order's units go back into the inventory."""
                    if self.status == "cancelled":
                        raise ValueError("the order is already cancelled")
                    if self.status == "placed":
                        for line in self.lines:
                            inventory.put_back(line.product.sku, line.quantity)
                    self.status = "cancelled"
        ''')],
        hidden='''
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
        ''',
    ),
]

REPO = RepoSpec("shop", FILES, TASKS)
