"""Selecting and ordering items."""


def pending(items):
    """Items not done yet."""
    return [item for item in items if not item.done]


def by_priority(items):
    """Most urgent first; items of the same priority in id order."""
    return sorted(items, key=lambda item: (item.priority, item.id))


def search(items, text):
    """Items whose title contains text."""
    return [item for item in items if text in item.title]
