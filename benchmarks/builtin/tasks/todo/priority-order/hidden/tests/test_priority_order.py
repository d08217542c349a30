import unittest

from todo.model import Item
from todo.query import by_priority


class PriorityOrder(unittest.TestCase):
    def test_most_urgent_first(self):
        items = [Item(1, "call mum", "medium"), Item(2, "file taxes", "high"),
                 Item(3, "sort photos", "low"), Item(4, "buy milk", "high"),
                 Item(5, "read", "medium")]
        self.assertEqual([i.id for i in by_priority(items)], [2, 4, 1, 5, 3])
