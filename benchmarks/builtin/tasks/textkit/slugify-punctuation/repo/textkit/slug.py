"""URL slugs."""

import re


def slugify(title):
    """Lower-case words of title joined by single dashes; anything else is dropped."""
    return title.lower().replace(" ", "-")
