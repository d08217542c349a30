import unittest

from inifile import ParseError, loads


class ErrorLineNumbers(unittest.TestCase):
    def test_bad_line(self):
        with self.assertRaises(ParseError) as caught:
            loads("[a]\nx = 1\noops\n")
        self.assertEqual(caught.exception.lineno, 3)
        self.assertIn("line 3", str(caught.exception))

    def test_key_before_any_section_on_first_line(self):
        with self.assertRaises(ParseError) as caught:
            loads("x = 1\n[a]\n")
        self.assertEqual(caught.exception.lineno, 1)
