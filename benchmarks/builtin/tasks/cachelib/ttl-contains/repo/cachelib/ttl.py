"""A cache whose entries expire a fixed time after they were set."""

import time

from cachelib.stats import CacheStats

_MISSING = object()


class TTLCache:
    def __init__(self, ttl, clock=time.monotonic):
        if ttl <= 0:
            raise ValueError("ttl must be positive")
        self.ttl = ttl
        self.clock = clock
        self._data = {}  # key -> (expires_at, value)
        self.stats = CacheStats()

    def set(self, key, value):
        self._data[key] = (self.clock() + self.ttl, value)

    def get(self, key, default=None):
        expires_at, value = self._data.get(key, (None, _MISSING))
        if value is not _MISSING and self.clock() >= expires_at:
            del self._data[key]
            value = _MISSING
        self.stats.record(value is not _MISSING)
        return default if value is _MISSING else value

    def __contains__(self, key):
        return key in self._data

    def __len__(self):
        return len(self._data)
