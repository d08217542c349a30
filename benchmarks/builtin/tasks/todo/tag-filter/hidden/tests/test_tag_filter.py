import io
import os
import tempfile
import unittest

from todo.cli import main


class TagFilter(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.tmp.name, "todo.json")
        self.run_cli("add", "fix bike", "--tag", "home")
        self.run_cli("add", "send report", "--tag", "work")
        self.run_cli("add", "hang shelf", "--tag", "home", "--tag", "weekend")
        self.run_cli("done", "3")

    def tearDown(self):
        self.tmp.cleanup()

    def run_cli(self, *args):
        out = io.StringIO()
        code = main(["--file", self.path, *args], out=out)
        self.assertEqual(code, 0)
        return out.getvalue()

    def test_only_tagged_pending(self):
        text = self.run_cli("list", "--tag", "home")
        self.assertIn("fix bike", text)
        self.assertNotIn("send report", text)
        self.assertNotIn("hang shelf", text)

    def test_with_all(self):
        text = self.run_cli("list", "--all", "--tag", "home")
        self.assertIn("fix bike", text)
        self.assertIn("hang shelf", text)
        self.assertNotIn("send report", text)

    def test_unknown_tag(self):
        self.assertEqual(self.run_cli("list", "--tag", "garden").strip(), "")
