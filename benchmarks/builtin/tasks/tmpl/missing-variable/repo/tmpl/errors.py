"""Errors of template parsing and rendering."""


class TemplateSyntaxError(ValueError):
    """The template source is malformed."""
