import contextlib
import io
import os
import tempfile
import unittest

from todo.cli import main


class UnknownId(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.tmp.name, "todo.json")
        main(["--file", self.path, "add", "only item"], out=io.StringIO())

    def tearDown(self):
        self.tmp.cleanup()

    def run_cli(self, *args):
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            try:
                code = main(["--file", self.path, *args], out=io.StringIO())
            except SystemExit as exc:
                code = exc.code
        return code, err.getvalue()

    def test_done_unknown(self):
        with open(self.path) as handle:
            before = handle.read()
        code, err = self.run_cli("done", "42")
        self.assertEqual(code, 1)
        self.assertIn("42", err)
        self.assertNotIn("Traceback", err)
        with open(self.path) as handle:
            self.assertEqual(handle.read(), before)

    def test_rm_unknown(self):
        code, err = self.run_cli("rm", "42")
        self.assertEqual(code, 1)
        self.assertIn("42", err)

    def test_known_ids_still_work(self):
        self.assertEqual(self.run_cli("done", "1")[0], 0)
        self.assertEqual(self.run_cli("rm", "1")[0], 0)
