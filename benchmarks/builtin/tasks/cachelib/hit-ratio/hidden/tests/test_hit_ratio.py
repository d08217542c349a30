import unittest

from cachelib import CacheStats, LRUCache


class HitRatio(unittest.TestCase):
    def test_fresh(self):
        self.assertEqual(CacheStats().hit_ratio, 0.0)
        self.assertEqual(LRUCache().stats.hit_ratio, 0.0)

    def test_after_lookups(self):
        cache = LRUCache()
        cache.set("a", 1)
        cache.get("a")
        cache.get("b")
        cache.get("a")
        self.assertAlmostEqual(cache.stats.hit_ratio, 2 / 3)
