import os
import tempfile
import unittest

from todo.store import Store


class SaveCreatesFolder(unittest.TestCase):
    def test_missing_folders_are_created(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "share", "todo", "items.json")
            store = Store(path)
            store.add("first")
            store.save()
            self.assertEqual([i.title for i in Store(path).items], ["first"])

    def test_existing_folder(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "items.json")
            store = Store(path)
            store.add("first")
            store.save()
            store.save()
            self.assertEqual(len(Store(path).items), 1)
