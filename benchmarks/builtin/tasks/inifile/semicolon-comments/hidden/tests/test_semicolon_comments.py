import unittest

from inifile import loads


class SemicolonComments(unittest.TestCase):
    def test_semicolon_comment_lines_are_ignored(self):
        config = loads("; database settings\n[db]\n  ; the name\nname = prod\n")
        self.assertEqual(config.sections(), ["db"])
        self.assertEqual(config.keys("db"), ["name"])
        self.assertEqual(config.get("db", "name"), "prod")

    def test_hash_comments_still_work(self):
        config = loads("# top\n[db]\nname = prod\n")
        self.assertEqual(config.get("db", "name"), "prod")
