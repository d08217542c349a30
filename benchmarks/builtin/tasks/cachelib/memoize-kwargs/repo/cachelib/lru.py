"""A cache that evicts the least recently used entry when full."""

from collections import OrderedDict

from cachelib.stats import CacheStats

_MISSING = object()


class LRUCache:
    def __init__(self, maxsize=128):
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.maxsize = maxsize
        self._data = OrderedDict()
        self.stats = CacheStats()

    def get(self, key, default=None):
        value = self._data.get(key, _MISSING)
        self.stats.record(value is not _MISSING)
        return default if value is _MISSING else value

    def set(self, key, value):
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self.maxsize:
            self._data.popitem(last=False)

    def __contains__(self, key):
        return key in self._data

    def __len__(self):
        return len(self._data)
