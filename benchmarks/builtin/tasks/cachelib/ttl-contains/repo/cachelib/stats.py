"""Hit and miss counters."""


class CacheStats:
    def __init__(self):
        self.hits = 0
        self.misses = 0

    def record(self, hit):
        if hit:
            self.hits += 1
        else:
            self.misses += 1

    @property
    def hit_ratio(self):
        """Share of lookups that were hits."""
        return self.hits / (self.hits + self.misses)
