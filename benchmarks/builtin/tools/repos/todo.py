"""todo: a to-do list kept in a JSON file, with a command line."""

from taskgen import Edit, RepoSpec, TaskSpec, src

FILES = {
    "todo/__init__.py": src('''
        """A to-do list kept in a JSON file."""

        from todo.model import PRIORITIES, Item
        from todo.store import Store

        __all__ = ["PRIORITIES", "Item", "Store"]
    '''),
    "todo/model.py": src('''
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
    '''),
    "todo/store.py": src('''
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
    '''),
    "todo/query.py": src('''
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
    '''),
    "todo/cli.py": src('''
        """The `todo` command line."""

        import argparse
        import sys

        from todo.query import by_priority, pending
        from todo.store import Store


        def format_item(item):
            """One line of `todo list`."""
            mark = "x" if item.done else " "
            tags = "".join(f" #{tag}" for tag in item.tags)
            return f"[{mark}] {item.id:>3} ({item.priority}) {item.title}{tags}"


        def build_parser():
            parser = argparse.ArgumentParser(prog="todo")
            parser.add_argument("--file", default="todo.json")
            sub = parser.add_subparsers(dest="command", required=True)
            add = sub.add_parser("add", help="add an item")
            add.add_argument("title")
            add.add_argument("--priority", default="medium")
            add.add_argument("--tag", action="append", default=[])
            show = sub.add_parser("list", help="list pending items")
            show.add_argument("--all", action="store_true", help="include done items")
            done = sub.add_parser("done", help="mark an item done")
            done.add_argument("id", type=int)
            remove = sub.add_parser("rm", help="remove an item")
            remove.add_argument("id", type=int)
            return parser


        def main(argv=None, out=None):
            """Run one command; returns the exit code."""
            out = out or sys.stdout
            args = build_parser().parse_args(argv)
            store = Store(args.file)
            if args.command == "add":
                item = store.add(args.title, args.priority, args.tag)
                store.save()
                print(f"added {item.id}: {item.title}", file=out)
            elif args.command == "list":
                items = store.items if args.all else pending(store.items)
                for item in by_priority(items):
                    print(format_item(item), file=out)
            elif args.command == "done":
                store.get(args.id).done = True
                store.save()
            elif args.command == "rm":
                store.remove(args.id)
                store.save()
            return 0


        if __name__ == "__main__":
            sys.exit(main())
    '''),
    "tests/__init__.py": "",
    "tests/test_cli.py": src('''
        import io
        import os
        import tempfile
        import unittest

        from todo.cli import main
        from todo.store import Store


        class Cli(unittest.TestCase):
            def setUp(self):
                self.tmp = tempfile.TemporaryDirectory()
                self.path = os.path.join(self.tmp.name, "todo.json")

            def tearDown(self):
                self.tmp.cleanup()

            def run_cli(self, *args):
                out = io.StringIO()
                code = main(["--file", self.path, *args], out=out)
                return code, out.getvalue()

            def test_add_list_done(self):
                self.assertEqual(self.run_cli("add", "water plants", "--tag", "home")[0], 0)
                self.run_cli("add", "pay rent")
                code, text = self.run_cli("list")
                self.assertEqual(code, 0)
                self.assertIn("water plants #home", text)
                self.run_cli("done", "1")
                self.assertNotIn("water plants", self.run_cli("list")[1])
                self.assertIn("water plants", self.run_cli("list", "--all")[1])
                self.assertTrue(Store(self.path).get(1).done)
    '''),
}

TASKS = [
    TaskSpec(
        slug="priority-order", split="train", difficulty="easy",
        issue='''
            `todo list` shows low-priority items before medium ones

            With one item of each priority, `todo list` prints:

            ```
            [ ]   2 (high) file taxes
            [ ]   3 (low) sort photos
            [ ]   1 (medium) call mum
            ```

            The list should go from most to least urgent: high, then medium, then low. Items with
            the same priority should stay in id order.
        ''',
        gold=[
            Edit("todo/query.py", '"""Selecting and ordering items."""', '''
                """Selecting and ordering items."""

                from todo.model import PRIORITIES
            '''),
            Edit("todo/query.py", "key=lambda item: (item.priority, item.id)",
                 "key=lambda item: (PRIORITIES.index(item.priority), item.id)"),
        ],
        hidden='''
            import unittest

            from todo.model import Item
            from todo.query import by_priority


            class PriorityOrder(unittest.TestCase):
                def test_most_urgent_first(self):
                    items = [Item(1, "call mum", "medium"), Item(2, "file taxes", "high"),
                             Item(3, "sort photos", "low"), Item(4, "buy milk", "high"),
                             Item(5, "read", "medium")]
                    self.assertEqual([i.id for i in by_priority(items)], [2, 4, 1, 5, 3])
        ''',
    ),
    TaskSpec(
        slug="unknown-id", split="train", difficulty="easy",
        issue='''
            Traceback when marking an item that does not exist

            A typo in the id gives me a Python traceback ending in `KeyError: 42`:

            ```
            $ todo done 42
            Traceback (most recent call last):
              ...
            KeyError: 42
            ```

            Same for `todo rm 42`. It should print a short error naming the id on stderr (e.g.
            `todo: no item 42`) and exit with status 1, without changing the file.
        ''',
        gold=[
            Edit("todo/cli.py", '''
                    elif args.command == "done":
                        store.get(args.id).done = True
                        store.save()
                    elif args.command == "rm":
                        store.remove(args.id)
                        store.save()
                    return 0
            ''', '''
                    elif args.command in ("done", "rm"):
                        try:
                            item = store.get(args.id)
                        except KeyError:
                            print(f"todo: no item {args.id}", file=sys.stderr)
                            return 1
                        if args.command == "done":
                            item.done = True
                        else:
                            store.remove(args.id)
                        store.save()
                    return 0
            '''),
        ],
        hidden='''
            import contextlib
            import io
            import os
            import tempfile
            import unittest

            from todo.cli import main


            class UnknownId(unittest.TestCase):
                def setUp(self):
                    self.tmp = tempfile.TemporaryDirectory()
                    self.path = os.path.join(self.tmp.name, "todo.json")
                    main(["--file", self.path, "add", "only item"], out=io.StringIO())

                def tearDown(self):
                    self.tmp.cleanup()

                def run_cli(self, *args):
                    err = io.StringIO()
                    with contextlib.redirect_stderr(err):
                        try:
                            code = main(["--file", self.path, *args], out=io.StringIO())
                        except SystemExit as exc:
                            code = exc.code
                    return code, err.getvalue()

                def test_done_unknown(self):
                    with open(self.path) as handle:
                        before = handle.read()
                    code, err = self.run_cli("done", "42")
                    self.assertEqual(code, 1)
                    self.assertIn("42", err)
                    self.assertNotIn("Traceback", err)
                    with open(self.path) as handle:
                        self.assertEqual(handle.read(), before)

                def test_rm_unknown(self):
                    code, err = self.run_cli("rm", "42")
                    self.assertEqual(code, 1)
                    self.assertIn("42", err)

                def test_known_ids_still_work(self):
                    self.assertEqual(self.run_cli("done", "1")[0], 0)
                    self.assertEqual(self.run_cli("rm", "1")[0], 0)
        ''',
    ),
    TaskSpec(
        slug="save-creates-folder", split="train", difficulty="easy",
        issue='''
            First save fails when the data folder does not exist yet

            I point `--file` at `~/.local/share/todo/items.json` on a fresh machine and `todo add`
            dies with `FileNotFoundError: [Errno 2] No such file or directory`. The folder just
            doesn't exist yet. Saving should create the missing folders.
        ''',
        gold=[
            Edit("todo/store.py", '''
                    def save(self):
                        with open(self.path, "w") as handle:
            ''', '''
                    def save(self):
                        folder = os.path.dirname(self.path)
                        if folder:
                            os.makedirs(folder, exist_ok=True)
                        with open(self.path, "w") as handle:
            '''),
        ],
        hidden='''
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
        ''',
    ),
    TaskSpec(
        slug="unique-ids", split="heldout", difficulty="medium",
        issue='''
            Two items end up with the same id after a removal

            ```
            $ todo add a; todo add b; todo add c
            $ todo rm 1
            $ todo add d
            added 3: d
            ```

            Now there are two items with id 3, and `todo done 3` only ever touches the first of
            them. A new item must get an id that no existing item in the file has.
        ''',
        gold=[
            Edit("todo/store.py", "item = Item(id=len(self.items) + 1,",
                 "item = Item(id=max((i.id for i in self.items), default=0) + 1,"),
        ],
        hidden='''
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
        ''',
    ),
    TaskSpec(
        slug="tag-filter", split="train", difficulty="medium",
        issue='''
            Filter the list by tag

            I tag items (`todo add "fix bike" --tag home`) but have no way to see just one tag.
            Please add `todo list --tag NAME` that shows only the items carrying that tag. It
            should combine with `--all` like the plain list does (done items hidden unless
            `--all`). A tag nobody uses just gives an empty list.
        ''',
        gold=[
            Edit("todo/query.py", '''
                def search(items, text):
            ''', '''
                def tagged(items, tag):
                    """Items carrying the tag."""
                    return [item for item in items if tag in item.tags]


                def search(items, text):
            '''),
            Edit("todo/cli.py", "from todo.query import by_priority, pending",
                 "from todo.query import by_priority, pending, tagged"),
            Edit("todo/cli.py", '''
                    show.add_argument("--all", action="store_true", help="include done items")
            ''', '''
                    show.add_argument("--all", action="store_true", help="include done items")
                    show.add_argument("--tag", help="only items with this tag")
            '''),
            Edit("todo/cli.py", '''
                        items = store.items if args.all else pending(store.items)
            ''', '''
                        items = store.items if args.all else pending(store.items)
                        if args.tag:
                            items = tagged(items, args.tag)
            '''),
        ],
        hidden='''
            import io
            import os
            import tempfile
            import unittest

            from todo.cli import main


            class TagFilter(unittest.TestCase):
                def setUp(self):
                    self.tmp = tempfile.TemporaryDirectory()
                    self.path = os.path.join(self.tmp.name, "todo.json")
                    self.run_cli("add", "fix bike", "--tag", "home")
                    self.run_cli("add", "send report", "--tag", "work")
                    self.run_cli("add", "hang shelf", "--tag", "home", "--tag", "weekend")
                    self.run_cli("done", "3")

                def tearDown(self):
                    self.tmp.cleanup()

                def run_cli(self, *args):
                    out = io.StringIO()
                    code = main(["--file", self.path, *args], out=out)
                    self.assertEqual(code, 0)
                    return out.getvalue()

                def test_only_tagged_pending(self):
                    text = self.run_cli("list", "--tag", "home")
                    self.assertIn("fix bike", text)
                    self.assertNotIn("send report", text)
                    self.assertNotIn("hang shelf", text)

                def test_with_all(self):
                    text = self.run_cli("list", "--all", "--tag", "home")
                    self.assertIn("fix bike", text)
                    self.assertIn("hang shelf", text)
                    self.assertNotIn("send report", text)

                def test_unknown_tag(self):
                    self.assertEqual(self.run_cli("list", "--tag", "garden").strip(), "")
        ''',
    ),
    TaskSpec(
        slug="due-dates", split="train", difficulty="hard",
        issue='''
            Due dates from the command line, and a list of what is overdue

            Items already have a `due` field in the file, but the command line can't set it or
            use it. I'd like:

            * `todo add "renew passport" --due 2026-03-01`: a date in `YYYY-MM-DD` form. An
              invalid date (`2026-02-30`, `tomorrow`) must be refused with a non-zero exit status
              and nothing saved.
            * `todo list` shows the due date of items that have one, as ` due:2026-03-01` at the
              end of the line.
            * `todo list --overdue` lists only pending items whose due date is before today.
              Scripts need a fixed "today", so `--today YYYY-MM-DD` should override the date
              (default: the real current date). Items without a due date are never overdue, and
              an item due today is not overdue yet.
        ''',
        gold=[
            Edit("todo/query.py", '''
                def search(items, text):
            ''', '''
                def overdue(items, today):
                    """Pending items due before today (an ISO date string)."""
                    return [item for item in pending(items) if item.due and item.due < today]


                def search(items, text):
            '''),
            Edit("todo/cli.py", '''
                import argparse
                import sys

                from todo.query import by_priority, pending
            ''', '''
                import argparse
                import datetime
                import sys

                from todo.query import by_priority, overdue, pending
            '''),
            Edit("todo/cli.py", '''
                    return f"[{mark}] {item.id:>3} ({item.priority}) {item.title}{tags}"
            ''', '''
                    due = f" due:{item.due}" if item.due else ""
                    return f"[{mark}] {item.id:>3} ({item.priority}) {item.title}{tags}{due}"


                def iso_date(text):
                    """argparse type: a YYYY-MM-DD date, kept as its ISO string."""
                    try:
                        return datetime.date.fromisoformat(text).isoformat()
                    except ValueError:
                        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {text!r}") from None
            '''),
            Edit("todo/cli.py", '''
                    add.add_argument("--tag", action="append", default=[])
            ''', '''
                    add.add_argument("--tag", action="append", default=[])
                    add.add_argument("--due", type=iso_date)
            '''),
            Edit("todo/cli.py", '''
                    show.add_argument("--all", action="store_true", help="include done items")
            ''', '''
                    show.add_argument("--all", action="store_true", help="include done items")
                    show.add_argument("--overdue", action="store_true", help="only overdue items")
                    show.add_argument("--today", type=iso_date, help="date to compare with")
            '''),
            Edit("todo/cli.py", '''
                        item = store.add(args.title, args.priority, args.tag)
            ''', '''
                        item = store.add(args.title, args.priority, args.tag, due=args.due)
            '''),
            Edit("todo/cli.py", '''
                        items = store.items if args.all else pending(store.items)
            ''', '''
                        items = store.items if args.all else pending(store.items)
                        if args.overdue:
                            items = overdue(items, args.today or datetime.date.today().isoformat())
            '''),
        ],
        hidden='''
            import contextlib
            import io
            import os
            import tempfile
            import unittest

            from todo.cli import main
            from todo.store import Store


            class DueDates(unittest.TestCase):
                def setUp(self):
                    self.tmp = tempfile.TemporaryDirectory()
                    self.path = os.path.join(self.tmp.name, "todo.json")

                def tearDown(self):
                    self.tmp.cleanup()

                def run_cli(self, *args):
                    out, err = io.StringIO(), io.StringIO()
                    with contextlib.redirect_stderr(err):
                        try:
                            code = main(["--file", self.path, *args], out=out)
                        except SystemExit as exc:
                            code = exc.code
                    return code, out.getvalue()

                def test_add_with_due_date(self):
                    self.assertEqual(self.run_cli("add", "renew passport", "--due", "2026-03-01")[0], 0)
                    self.assertEqual(Store(self.path).get(1).due, "2026-03-01")
                    code, text = self.run_cli("list")
                    line = [l for l in text.splitlines() if "renew passport" in l][0]
                    self.assertTrue(line.rstrip().endswith("due:2026-03-01"), line)

                def test_invalid_dates_refused(self):
                    for bad in ("2026-02-30", "tomorrow"):
                        code, _ = self.run_cli("add", "x", "--due", bad)
                        self.assertNotIn(code, (0, None), bad)
                    self.assertEqual(Store(self.path).items, [])

                def test_overdue(self):
                    self.run_cli("add", "past", "--due", "2026-03-01")
                    self.run_cli("add", "today", "--due", "2026-03-05")
                    self.run_cli("add", "future", "--due", "2026-04-01")
                    self.run_cli("add", "undated")
                    self.run_cli("add", "past but done", "--due", "2026-01-01")
                    self.run_cli("done", "5")
                    code, text = self.run_cli("list", "--overdue", "--today", "2026-03-05")
                    self.assertEqual(code, 0)
                    titles = [l for l in text.splitlines() if l.strip()]
                    self.assertEqual(len(titles), 1)
                    self.assertIn("past", titles[0])
        ''',
    ),
]

REPO = RepoSpec("todo", FILES, TASKS)
