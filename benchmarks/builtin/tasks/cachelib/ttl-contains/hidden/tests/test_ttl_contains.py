import unittest

from cachelib import TTLCache


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class TtlContains(unittest.TestCase):
    def test_expired_entries_are_gone(self):
        clock = FakeClock()
        cache = TTLCache(ttl=10, clock=clock)
        cache.set("a", 1)
        clock.now = 5
        cache.set("b", 2)
        self.assertIn("a", cache)
        self.assertEqual(len(cache), 2)
        clock.now = 10
        self.assertNotIn("a", cache)
        self.assertIn("b", cache)
        self.assertEqual(len(cache), 1)
        clock.now = 15
        self.assertNotIn("b", cache)
        self.assertEqual(len(cache), 0)
