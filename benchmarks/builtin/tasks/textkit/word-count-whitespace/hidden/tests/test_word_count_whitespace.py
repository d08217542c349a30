import unittest
from textkit import word_count

class WordCount(unittest.TestCase):
    def test_mixed_whitespace(self):
        self.assertEqual(word_count("a  b\tc\nd"), 4)
    def test_edges(self):
        self.assertEqual(word_count("  padded  "), 1)
        self.assertEqual(word_count(""), 0)
