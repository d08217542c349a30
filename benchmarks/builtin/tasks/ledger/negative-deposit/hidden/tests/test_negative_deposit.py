import unittest
from ledger import Account

class Deposit(unittest.TestCase):
    def test_negative_rejected(self):
        account = Account("bo")
        with self.assertRaises(ValueError):
            account.deposit("2026-01-01", -5)
        with self.assertRaises(ValueError):
            account.deposit("2026-01-01", 0)
        self.assertEqual(account.history, [])
