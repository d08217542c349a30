import unittest

from cachelib import LRUCache


class LruRecency(unittest.TestCase):
    def test_read_entries_survive(self):
        cache = LRUCache(maxsize=2)
        cache.set("a", 1)
        cache.set("b", 2)
        self.assertEqual(cache.get("a"), 1)
        cache.set("c", 3)
        self.assertIn("a", cache)
        self.assertNotIn("b", cache)
        self.assertIn("c", cache)

    def test_missing_reads_change_nothing(self):
        cache = LRUCache(maxsize=2)
        cache.set("a", 1)
        cache.set("b", 2)
        self.assertEqual(cache.get("zzz", 0), 0)
        cache.set("c", 3)
        self.assertNotIn("a", cache)
        self.assertEqual(len(cache), 2)
