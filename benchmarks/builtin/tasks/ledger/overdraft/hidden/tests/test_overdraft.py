import unittest
from ledger import Account, InsufficientFunds

class Overdraft(unittest.TestCase):
    def test_refused(self):
        account = Account("cy")
        account.deposit("2026-01-01", 10)
        with self.assertRaises(InsufficientFunds):
            account.withdraw("2026-01-02", 11)
        self.assertEqual(account.balance, 10)
    def test_exact_balance(self):
        account = Account("cy")
        account.deposit("2026-01-01", 10)
        account.withdraw("2026-01-02", 10)
        self.assertEqual(account.balance, 0)
