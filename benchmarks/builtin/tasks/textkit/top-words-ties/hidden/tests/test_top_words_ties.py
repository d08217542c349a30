import unittest
from textkit import top_words

class TopWords(unittest.TestCase):
    def test_ties_alphabetical(self):
        self.assertEqual(top_words("b a b a c", 3), [("a", 2), ("b", 2), ("c", 1)])
    def test_case_folded(self):
        self.assertEqual(top_words("Zed zed apple", 1), [("zed", 2)])
