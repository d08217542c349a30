from ledger.account import Account, InsufficientFunds
from ledger.report import monthly_totals

__all__ = ["Account", "InsufficientFunds", "monthly_totals"]
