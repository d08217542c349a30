"""The public Template class."""

from tmpl.lexer import tokenize
from tmpl.parser import parse
from tmpl.render import render_nodes


class Template:
    """A parsed template, rendered any number of times."""

    def __init__(self, source):
        self.nodes = parse(tokenize(source))

    def render(self, context=None, **values):
        return render_nodes(self.nodes, {**(context or {}), **values})
