import unittest

from cachelib import TTLCache


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class TtlMaxsize(unittest.TestCase):
    def setUp(self):
        self.clock = FakeClock()
        self.cache = TTLCache(ttl=10, maxsize=2, clock=self.clock)

    def test_evicts_soonest_expiring(self):
        self.cache.set("a", 1)
        self.clock.now = 1
        self.cache.set("b", 2)
        self.clock.now = 2
        self.cache.set("c", 3)
        self.assertIsNone(self.cache.get("a"))
        self.assertEqual(self.cache.get("b"), 2)
        self.assertEqual(self.cache.get("c"), 3)

    def test_replacing_evicts_nothing(self):
        self.cache.set("a", 1)
        self.cache.set("b", 2)
        self.clock.now = 1
        self.cache.set("a", 10)
        self.assertEqual((self.cache.get("a"), self.cache.get("b")), (10, 2))
        # "a" was refreshed at t=1, so "b" (set at t=0) now expires first.
        self.cache.set("c", 3)
        self.assertEqual(self.cache.get("a"), 10)
        self.assertIsNone(self.cache.get("b"))

    def test_expired_dropped_first(self):
        self.cache.set("old", 1)
        self.clock.now = 5
        self.cache.set("mid", 2)
        self.clock.now = 11
        self.cache.set("new", 3)
        self.assertEqual(self.cache.get("mid"), 2)
        self.assertEqual(self.cache.get("new"), 3)

    def test_unbounded_by_default_and_bad_size(self):
        cache = TTLCache(ttl=10, clock=self.clock)
        for i in range(500):
            cache.set(i, i)
        self.assertEqual(cache.get(0), 0)
        with self.assertRaises(ValueError):
            TTLCache(ttl=10, maxsize=0)
