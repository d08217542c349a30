import unittest

from inifile import loads

TEXT = """[f]
a = yes
b = On
c = 1
d = TRUE
e = no
f = off
g = 0
h = False
bad = ture
"""


class BoolWords(unittest.TestCase):
    def setUp(self):
        self.config = loads(TEXT)

    def test_true_words(self):
        for key in "abcd":
            self.assertIs(self.config.get_bool("f", key), True, key)

    def test_false_words(self):
        for key in "efgh":
            self.assertIs(self.config.get_bool("f", key), False, key)

    def test_garbage_raises(self):
        with self.assertRaises(ValueError):
            self.config.get_bool("f", "bad")

    def test_default_when_missing(self):
        self.assertIs(self.config.get_bool("f", "missing", None), None)
