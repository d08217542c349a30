import unittest

from inifile import loads


class CaseInsensitiveKeys(unittest.TestCase):
    def test_lookup_ignores_case(self):
        config = loads("[server]\nPort = 8080\nDEBUG = true\n")
        self.assertEqual(config.get("server", "port"), "8080")
        self.assertEqual(config.get("server", "PORT"), "8080")
        self.assertEqual(config.get_int("server", "pOrT"), 8080)
        self.assertTrue(config.get_bool("server", "debug"))

    def test_same_key_different_case_replaces(self):
        config = loads("[s]\nname = a\nNAME = b\n")
        self.assertEqual(config.get("s", "name"), "b")
        self.assertEqual(len(config.keys("s")), 1)

    def test_sections_stay_case_sensitive(self):
        config = loads("[Server]\nport = 1\n")
        with self.assertRaises(KeyError):
            config.get("server", "port")
