"""A to-do list kept in a JSON file."""

from todo.model import PRIORITIES, Item
from todo.store import Store

__all__ = ["PRIORITIES", "Item", "Store"]
