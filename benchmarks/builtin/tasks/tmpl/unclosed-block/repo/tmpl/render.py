"""Render a node tree with a context."""

from tmpl.filters import FILTERS
from tmpl.parser import For, If, Text, Var


def lookup(context, name):
    """The value of a dotted name ("user.email") in the context."""
    parts = name.split(".")
    value = context.get(parts[0])
    for part in parts[1:]:
        value = value[part]
    return value


def evaluate(expr, context):
    """The value of "name|filter|filter"."""
    name, *filters = [part.strip() for part in expr.split("|")]
    value = lookup(context, name)
    for name in filters:
        value = FILTERS[name](value)
    return value


def render_nodes(nodes, context):
    out = []
    for node in nodes:
        if isinstance(node, Text):
            out.append(node.text)
        elif isinstance(node, Var):
            out.append(str(evaluate(node.expr, context)))
        elif isinstance(node, For):
            for item in lookup(context, node.iterable):
                out.append(render_nodes(node.body, {**context, node.var: item}))
        elif isinstance(node, If):
            branch = node.body if evaluate(node.cond, context) else node.else_body
            out.append(render_nodes(branch, context))
    return "".join(out)
