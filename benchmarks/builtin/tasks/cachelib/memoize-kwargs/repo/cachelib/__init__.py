"""In-memory caches and memoization."""

from cachelib.lru import LRUCache
from cachelib.memo import memoize
from cachelib.stats import CacheStats
from cachelib.ttl import TTLCache

__all__ = ["CacheStats", "LRUCache", "TTLCache", "memoize"]
