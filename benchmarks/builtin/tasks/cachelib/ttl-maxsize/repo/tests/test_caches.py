import unittest

from cachelib import LRUCache, TTLCache, memoize


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class Caches(unittest.TestCase):
    def test_lru_evicts_oldest(self):
        cache = LRUCache(maxsize=2)
        cache.set("a", 1)
        cache.set("b", 2)
        cache.set("c", 3)
        self.assertNotIn("a", cache)
        self.assertEqual(cache.get("c"), 3)

    def test_ttl_expires(self):
        clock = FakeClock()
        cache = TTLCache(ttl=10, clock=clock)
        cache.set("k", "v")
        clock.now = 9.9
        self.assertEqual(cache.get("k"), "v")
        clock.now = 10
        self.assertIsNone(cache.get("k"))

    def test_memoize(self):
        calls = []

        @memoize()
        def square(x):
            calls.append(x)
            return x * x

        self.assertEqual([square(3), square(3), square(4)], [9, 9, 16])
        self.assertEqual(calls, [3, 4])
        self.assertEqual(square.cache.stats.hits, 1)
