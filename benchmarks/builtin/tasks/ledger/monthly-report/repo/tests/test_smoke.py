import unittest

from ledger import Account


class Smoke(unittest.TestCase):
    def test_deposit(self):
        account = Account("ann")
        account.deposit("2026-01-02", 10)
        self.assertEqual(account.balance, 10)
