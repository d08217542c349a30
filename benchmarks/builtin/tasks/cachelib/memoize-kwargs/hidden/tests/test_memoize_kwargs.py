import unittest

from cachelib import memoize


class MemoizeKwargs(unittest.TestCase):
    def setUp(self):
        self.calls = []

        @memoize()
        def price(item, currency="EUR"):
            self.calls.append((item, currency))
            return f"{item}:{currency}"

        self.price = price

    def test_keywords_are_part_of_the_key(self):
        self.assertEqual(self.price("book", currency="EUR"), "book:EUR")
        self.assertEqual(self.price("book", currency="USD"), "book:USD")
        self.assertEqual(self.price("book"), "book:EUR")

    def test_same_call_is_cached(self):
        self.price("pen", currency="USD")
        self.price("pen", currency="USD")
        self.assertEqual(self.calls, [("pen", "USD")])
