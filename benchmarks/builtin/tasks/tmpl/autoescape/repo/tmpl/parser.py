"""Build a tree of nodes from tokens."""

from tmpl.errors import TemplateSyntaxError


class Text:
    def __init__(self, text):
        self.text = text


class Var:
    def __init__(self, expr):
        self.expr = expr


class For:
    def __init__(self, var, iterable):
        self.var, self.iterable, self.body = var, iterable, []


class If:
    def __init__(self, cond):
        self.cond, self.body, self.else_body = cond, [], []


def parse(tokens):
    """The list of top-level nodes."""
    root = []
    stack = [("root", root)]  # (block kind, list that receives nodes)
    for kind, value, line in tokens:
        body = stack[-1][1]
        if kind == "text":
            body.append(Text(value))
        elif kind == "var":
            body.append(Var(value))
        else:
            words = value.split()
            if words[0] == "for" and len(words) == 4 and words[2] == "in":
                node = For(words[1], words[3])
                body.append(node)
                stack.append(("for", node.body))
            elif words[0] == "if" and len(words) == 2:
                node = If(words[1])
                body.append(node)
                stack.append(("if", node.body))
            elif words == ["else"] and stack[-1][0] == "if":
                node = stack[-2][1][-1]
                stack[-1] = ("else", node.else_body)
            elif words in (["endfor"], ["endif"]):
                expected = ("for",) if words == ["endfor"] else ("if", "else")
                if stack[-1][0] not in expected:
                    raise TemplateSyntaxError(f"line {line}: unexpected {value!r}")
                stack.pop()
            else:
                raise TemplateSyntaxError(f"line {line}: unknown tag {value!r}")
    return root
