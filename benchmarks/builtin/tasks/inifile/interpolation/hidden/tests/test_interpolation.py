import unittest

from inifile import InterpolationError, loads

TEXT = """[paths]
root = /srv/app
logs = ${root}/logs

[log]
file = ${paths:logs}/app.log
level = info
retries = ${limits:n}

[limits]
n = 3

[loop]
a = ${b}
b = ${a}
self = x${self}
missing = ${nope}
elsewhere = ${paths:nope}
"""


class Interpolation(unittest.TestCase):
    def setUp(self):
        self.config = loads(TEXT)

    def test_same_section(self):
        self.assertEqual(self.config.get("paths", "logs"), "/srv/app/logs")

    def test_other_section_and_nested(self):
        self.assertEqual(self.config.get("log", "file"), "/srv/app/logs/app.log")

    def test_typed_getter_sees_resolved_value(self):
        self.assertEqual(self.config.get_int("log", "retries"), 3)

    def test_plain_values_unchanged(self):
        self.assertEqual(self.config.get("log", "level"), "info")

    def test_undefined_reference(self):
        for key in ("missing", "elsewhere"):
            with self.assertRaises(InterpolationError) as caught:
                self.config.get("loop", key)
            self.assertIn("nope", str(caught.exception))

    def test_cycles(self):
        for key in ("a", "self"):
            with self.assertRaises(InterpolationError):
                self.config.get("loop", key)

    def test_is_a_value_error(self):
        self.assertTrue(issubclass(InterpolationError, ValueError))
