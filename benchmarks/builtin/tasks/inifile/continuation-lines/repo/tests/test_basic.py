import unittest

from inifile import dumps, loads

TEXT = "[server]\nhost = example.org\nport = 8080\n\n# logging\n[log]\nlevel = info\n"


class Basic(unittest.TestCase):
    def test_sections_and_values(self):
        config = loads(TEXT)
        self.assertEqual(config.sections(), ["server", "log"])
        self.assertEqual(config.get("server", "host"), "example.org")
        self.assertEqual(config.get_int("server", "port"), 8080)

    def test_missing_key(self):
        config = loads(TEXT)
        self.assertEqual(config.get("log", "file", "none"), "none")
        with self.assertRaises(KeyError):
            config.get("log", "file")

    def test_round_trip(self):
        self.assertEqual(dumps(loads(TEXT)), TEXT.replace("# logging\n", ""))
