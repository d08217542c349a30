"""A bank account with a transaction history."""


class InsufficientFunds(Exception):
    """A withdrawal larger than the balance."""


class Account:
    def __init__(self, owner):
        self.owner = owner
        self.history = []

    @property
    def balance(self):
        return sum(amount for _, amount in self.history)

    def deposit(self, day, amount):
        """Add money; amount must be positive."""
        if amount <= 0:
            raise ValueError("deposit must be positive")
        self.history.append((day, amount))

    def withdraw(self, day, amount):
        """Take money out; never more than the balance."""
        if amount <= 0:
            raise ValueError("withdrawal must be positive")
        self.history.append((day, -amount))
