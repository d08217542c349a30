import io
import os
import tempfile
import unittest

from todo.cli import main
from todo.store import Store


class Cli(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.tmp.name, "todo.json")

    def tearDown(self):
        self.tmp.cleanup()

    def run_cli(self, *args):
        out = io.StringIO()
        code = main(["--file", self.path, *args], out=out)
        return code, out.getvalue()

    def test_add_list_done(self):
        self.assertEqual(self.run_cli("add", "water plants", "--tag", "home")[0], 0)
        self.run_cli("add", "pay rent")
        code, text = self.run_cli("list")
        self.assertEqual(code, 0)
        self.assertIn("water plants #home", text)
        self.run_cli("done", "1")
        self.assertNotIn("water plants", self.run_cli("list")[1])
        self.assertIn("water plants", self.run_cli("list", "--all")[1])
        self.assertTrue(Store(self.path).get(1).done)
