"""Repository definitions of the generated builtin tasks, one module per repository."""

import importlib

NAMES = ["inifile", "todo", "geom", "tmpl", "shop", "spans", "cachelib"]

ALL = [importlib.import_module(f"repos.{name}").REPO for name in NAMES]
