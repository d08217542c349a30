"""The to-do item."""

from dataclasses import asdict, dataclass, field

PRIORITIES = ("high", "medium", "low")


@dataclass
class Item:
    id: int
    title: str
    priority: str = "medium"
    done: bool = False
    tags: list = field(default_factory=list)
    due: str = None  # "YYYY-MM-DD" or None

    def to_dict(self):
        return asdict(self)

    @classmethod
    def from_dict(cls, data):
        return cls(**data)
