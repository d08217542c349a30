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
