import unittest

from textkit import slugify, word_count


class Smoke(unittest.TestCase):
    def test_simple(self):
        self.assertEqual(word_count("a b"), 2)
        self.assertEqual(slugify("Hello World"), "hello-world")
