import os
import tempfile
import unittest

from todo.store import Store


class UniqueIds(unittest.TestCase):
    def test_ids_stay_unique_after_removal(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "todo.json")
            store = Store(path)
            for title in "abc":
                store.add(title)
            store.remove(1)
            store.save()
            store = Store(path)
            d = store.add("d")
            ids = [item.id for item in store.items]
            self.assertEqual(len(ids), len(set(ids)))
            self.assertIs(store.get(d.id), d)
            e = store.add("e")
            ids = [item.id for item in store.items]
            self.assertEqual(len(ids), len(set(ids)))
            self.assertIs(store.get(e.id), e)
