import unittest
from ledger import monthly_totals

class Monthly(unittest.TestCase):
    def test_groups_by_month(self):
        history = [("2026-02-03", 5), ("2026-01-31", 10), ("2026-01-02", -4)]
        self.assertEqual(monthly_totals(history), {"2026-01": 6, "2026-02": 5})
        self.assertEqual(list(monthly_totals(history)), ["2026-01", "2026-02"])
