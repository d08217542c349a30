"""Split template source into text, variable and tag tokens."""

import re

TOKEN = re.compile(r"\{\{ (.*?) \}\}|\{% (.*?) %\}")


def line_of(source, pos):
    """1-based line number of a position in the source."""
    return source.count("\n", 0, pos) + 1


def tokenize(source):
    """Yield (kind, value, line): kind is "text", "var" or "tag"."""
    pos = 0
    for match in TOKEN.finditer(source):
        if match.start() > pos:
            yield "text", source[pos:match.start()], line_of(source, pos)
        if match.group(1) is not None:
            yield "var", match.group(1).strip(), line_of(source, match.start())
        else:
            yield "tag", match.group(2).strip(), line_of(source, match.start())
        pos = match.end()
    if pos < len(source):
        yield "text", source[pos:], line_of(source, pos)
