import unittest
from datetime import timedelta

from spans import parse_duration


class DurationUnits(unittest.TestCase):
    def test_accepted(self):
        self.assertEqual(parse_duration("3D"), timedelta(days=3))
        self.assertEqual(parse_duration("2 w"), timedelta(days=14))
        self.assertEqual(parse_duration(" 10d "), timedelta(days=10))
        self.assertEqual(parse_duration("1W"), timedelta(days=7))

    def test_rejected(self):
        for bad in ("3x", "d", "", "  ", "2 ww"):
            with self.assertRaises(ValueError, msg=bad):
                parse_duration(bad)
