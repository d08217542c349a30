import unittest

from inifile import loads

TEXT = "[report]\nquery = select *\n  from sales\n\twhere year = 2025\ntitle = Sales\n"


class ContinuationLines(unittest.TestCase):
    def test_indented_lines_continue_the_value(self):
        config = loads(TEXT)
        self.assertEqual(config.get("report", "query"),
                         "select *\nfrom sales\nwhere year = 2025")
        self.assertEqual(config.get("report", "title"), "Sales")
        self.assertEqual(config.keys("report"), ["query", "title"])

    def test_unindented_lines_are_still_keys(self):
        config = loads("[a]\nx = 1\ny = 2\n")
        self.assertEqual(config.get("a", "x"), "1")
        self.assertEqual(config.get("a", "y"), "2")
