"""URL slugs."""

import re


def slugify(title):
    """Lower-case words of title joined by single dashes; anything else is dropped."""
    words = re.findall(r"[a-z0-9]+", title.lower())
    return "-".join(words)
