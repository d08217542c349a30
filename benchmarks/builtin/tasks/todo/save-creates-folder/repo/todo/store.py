"""Items kept in a JSON file."""

import json
import os

from todo.model import PRIORITIES, Item


class Store:
    """The items of one file; call save() to write changes."""

    def __init__(self, path):
        self.path = path
        self.items = []
        if os.path.exists(path):
            with open(path) as handle:
                self.items = [Item.from_dict(data) for data in json.load(handle)]

    def add(self, title, priority="medium", tags=(), due=None):
        if priority not in PRIORITIES:
            raise ValueError(f"priority must be one of {', '.join(PRIORITIES)}")
        item = Item(id=len(self.items) + 1, title=title, priority=priority,
                    tags=list(tags), due=due)
        self.items.append(item)
        return item

    def get(self, item_id):
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def remove(self, item_id):
        self.items.remove(self.get(item_id))

    def save(self):
        with open(self.path, "w") as handle:
            json.dump([item.to_dict() for item in self.items], handle, indent=2)
