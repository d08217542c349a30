"""A tiny template engine."""

from tmpl.errors import TemplateSyntaxError
from tmpl.template import Template

__all__ = ["Template", "TemplateSyntaxError"]
