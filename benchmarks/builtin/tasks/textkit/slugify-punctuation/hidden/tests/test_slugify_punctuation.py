import unittest
from textkit import slugify

class Slugify(unittest.TestCase):
    def test_punctuation(self):
        self.assertEqual(slugify("Hello, World!"), "hello-world")
    def test_spaces_and_dashes(self):
        self.assertEqual(slugify("  Many   spaces -- here "), "many-spaces-here")
    def test_digits(self):
        self.assertEqual(slugify("Python 3.11 released"), "python-3-11-released")
