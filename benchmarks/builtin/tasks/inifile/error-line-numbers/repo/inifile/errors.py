"""Errors raised while reading configuration."""


class ParseError(ValueError):
    """Text that is not valid INI; knows the line it happened on."""

    def __init__(self, message, lineno):
        super().__init__(f"line {lineno}: {message}")
        self.lineno = lineno
