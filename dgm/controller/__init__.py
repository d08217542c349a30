"""The evolution loop: selection strategies, staged evaluation and budgets."""
