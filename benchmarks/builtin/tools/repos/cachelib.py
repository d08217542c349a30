"""cachelib: in-memory caches (LRU, time-to-live) and a memoizing decorator."""

import textwrap

from taskgen import Edit, RepoSpec, TaskSpec, src

FILES = {
    "cachelib/__init__.py": src('''
        """In-memory caches and memoization."""

        from cachelib.lru import LRUCache
        from cachelib.memo import memoize
        from cachelib.stats import CacheStats
        from cachelib.ttl import TTLCache

        __all__ = ["CacheStats", "LRUCache", "TTLCache", "memoize"]
    '''),
    "cachelib/stats.py": src('''
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
    '''),
    "cachelib/lru.py": src('''
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
    '''),
    "cachelib/ttl.py": src('''
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
    '''),
    "cachelib/memo.py": src('''
        """Memoize a function's results in a cache."""

        import functools

        from cachelib.lru import LRUCache

        _MISSING = object()


        def memoize(cache=None):
            """Decorator: remember results per argument list in `cache` (an LRUCache by default)."""

            def decorate(func):
                store = cache if cache is not None else LRUCache()

                @functools.wraps(func)
                def wrapper(*args, **kwargs):
                    key = args
                    result = store.get(key, _MISSING)
                    if result is _MISSING:
                        result = func(*args, **kwargs)
                        store.set(key, result)
                    return result

                wrapper.cache = store
                return wrapper

            return decorate
    '''),
    "tests/__init__.py": "",
    "tests/test_caches.py": src('''
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
    '''),
}

# Shared by hidden tests; indented like the hidden test texts it is pasted into.
CLOCK = "\n\n" + textwrap.indent(src('''

    class FakeClock:
        def __init__(self):
            self.now = 0.0

        def __call__(self):
            return self.now
'''), " " * 12)

TASKS = [
    TaskSpec(
        slug="lru-recency", split="train", difficulty="easy",
        issue='''
            LRUCache evicts entries that were just read

            ```python
            cache = LRUCache(maxsize=2)
            cache.set("a", 1); cache.set("b", 2)
            cache.get("a")          # "a" is now the most recently used
            cache.set("c", 3)
            "a" in cache            # False!  "b" should have been evicted instead
            ```

            Reading an entry should count as using it, so that the entry evicted when the cache is
            full is the one least recently read or written.
        ''',
        gold=[Edit("cachelib/lru.py", '''
                    self.stats.record(value is not _MISSING)
                    return default if value is _MISSING else value
        ''', '''
                    self.stats.record(value is not _MISSING)
                    if value is _MISSING:
                        return default
                    self._data.move_to_end(key)
                    return value
        ''')],
        hidden='''
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
        ''',
    ),
    TaskSpec(
        slug="ttl-contains", split="train", difficulty="easy",
        issue='''
            Expired entries still show up in `in` and `len()`

            With a `TTLCache(ttl=10)`, ten seconds after setting a key `cache.get(key)` correctly
            returns the default, but `key in cache` is still `True` and `len(cache)` still counts
            it (until someone calls `get` on that key). Our health check reports a full cache
            that is in fact empty. `in` and `len()` should only see entries that have not expired.
        ''',
        gold=[Edit("cachelib/ttl.py", '''
                def __contains__(self, key):
                    return key in self._data

                def __len__(self):
                    return len(self._data)
        ''', '''
                def _live(self):
                    now = self.clock()
                    return {key for key, (expires_at, _) in self._data.items() if now < expires_at}

                def __contains__(self, key):
                    return key in self._live()

                def __len__(self):
                    return len(self._live())
        ''')],
        hidden='''
            import unittest

            from cachelib import TTLCache
        ''' + CLOCK + '''

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
        ''',
    ),
    TaskSpec(
        slug="hit-ratio", split="heldout", difficulty="easy",
        issue='''
            `hit_ratio` crashes on a fresh cache

            Our metrics exporter reads `cache.stats.hit_ratio` every minute, and right after a
            restart (no lookups yet) it raises `ZeroDivisionError`. A cache that has not been
            asked anything should report a hit ratio of 0.0.
        ''',
        gold=[Edit("cachelib/stats.py", '''
                    return self.hits / (self.hits + self.misses)
        ''', '''
                    lookups = self.hits + self.misses
                    return self.hits / lookups if lookups else 0.0
        ''')],
        hidden='''
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
        ''',
    ),
    TaskSpec(
        slug="memoize-kwargs", split="heldout", difficulty="medium",
        issue='''
            `@memoize` returns wrong results for keyword arguments

            ```python
            @memoize()
            def price(item, currency="EUR"): ...

            price("book", currency="EUR")   # 12.0
            price("book", currency="USD")   # 12.0 again: the EUR result is reused
            ```

            Calls that differ only in their keyword arguments share one cache entry. Results must
            be cached per combination of positional and keyword arguments; repeating exactly the
            same call should still be served from the cache.
        ''',
        gold=[Edit("cachelib/memo.py", "key = args",
                   "key = (args, tuple(sorted(kwargs.items())))")],
        hidden='''
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
        ''',
    ),
    TaskSpec(
        slug="ttl-maxsize", split="heldout", difficulty="hard",
        issue='''
            Bound the size of a TTLCache

            A `TTLCache` grows without limit when many distinct keys are set within the ttl, and
            our service ran out of memory. Please add an optional `maxsize` (default: unbounded):
            `TTLCache(ttl=60, maxsize=1000)`.

            When a new key is set in a full cache, expired entries should be dropped first; if the
            cache is still full, the entry that would expire soonest is evicted. Setting a key that
            is already present just replaces its value and expiry, evicting nothing. `len()` never
            exceeds `maxsize`. A `maxsize` below 1 is a `ValueError`.
        ''',
        gold=[Edit("cachelib/ttl.py", '''
                def __init__(self, ttl, clock=time.monotonic):
                    if ttl <= 0:
                        raise ValueError("ttl must be positive")
                    self.ttl = ttl
                    self.clock = clock
                    self._data = {}  # key -> (expires_at, value)
                    self.stats = CacheStats()

                def set(self, key, value):
                    self._data[key] = (self.clock() + self.ttl, value)
        ''', '''
                def __init__(self, ttl, clock=time.monotonic, maxsize=None):
                    if ttl <= 0:
                        raise ValueError("ttl must be positive")
                    if maxsize is not None and maxsize < 1:
                        raise ValueError("maxsize must be at least 1")
                    self.ttl = ttl
                    self.clock = clock
                    self.maxsize = maxsize
                    self._data = {}  # key -> (expires_at, value)
                    self.stats = CacheStats()

                def set(self, key, value):
                    now = self.clock()
                    if self.maxsize is not None and key not in self._data:
                        if len(self._data) >= self.maxsize:
                            self._data = {k: v for k, v in self._data.items() if now < v[0]}
                        while len(self._data) >= self.maxsize:
                            soonest = min(self._data, key=lambda k: self._data[k][0])
                            del self._data[soonest]
                    self._data[key] = (now + self.ttl, value)
        ''')],
        hidden='''
            import unittest

            from cachelib import TTLCache
        ''' + CLOCK + '''

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
        ''',
    ),
]

REPO = RepoSpec("cachelib", FILES, TASKS)
