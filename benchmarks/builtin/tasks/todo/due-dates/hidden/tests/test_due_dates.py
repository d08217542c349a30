import contextlib
import io
import os
import tempfile
import unittest

from todo.cli import main
from todo.store import Store


class DueDates(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.tmp.name, "todo.json")

    def tearDown(self):
        self.tmp.cleanup()

    def run_cli(self, *args):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stderr(err):
            try:
                code = main(["--file", self.path, *args], out=out)
            except SystemExit as exc:
                code = exc.code
        return code, out.getvalue()

    def test_add_with_due_date(self):
        self.assertEqual(self.run_cli("add", "renew passport", "--due", "2026-03-01")[0], 0)
        self.assertEqual(Store(self.path).get(1).due, "2026-03-01")
        code, text = self.run_cli("list")
        line = [l for l in text.splitlines() if "renew passport" in l][0]
        self.assertTrue(line.rstrip().endswith("due:2026-03-01"), line)

    def test_invalid_dates_refused(self):
        for bad in ("2026-02-30", "tomorrow"):
            code, _ = self.run_cli("add", "x", "--due", bad)
            self.assertNotIn(code, (0, None), bad)
        self.assertEqual(Store(self.path).items, [])

    def test_overdue(self):
        self.run_cli("add", "past", "--due", "2026-03-01")
        self.run_cli("add", "today", "--due", "2026-03-05")
        self.run_cli("add", "future", "--due", "2026-04-01")
        self.run_cli("add", "undated")
        self.run_cli("add", "past but done", "--due", "2026-01-01")
        self.run_cli("done", "5")
        code, text = self.run_cli("list", "--overdue", "--today", "2026-03-05")
        self.assertEqual(code, 0)
        titles = [l for l in text.splitlines() if l.strip()]
        self.assertEqual(len(titles), 1)
        self.assertIn("past", titles[0])
