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
