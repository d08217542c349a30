"""tmpl: a tiny text template engine ({{ var|filter }}, {% for %}, {% if %})."""

from taskgen import Edit, RepoSpec, TaskSpec, src

FILES = {
    "tmpl/__init__.py": src('''
        """A tiny template engine."""

        from tmpl.errors import TemplateSyntaxError
        from tmpl.template import Template

        __all__ = ["Template", "TemplateSyntaxError"]
    '''),
    "tmpl/errors.py": src('''
        """Errors of template parsing and rendering."""


        class TemplateSyntaxError(ValueError):
            """The template source is malformed."""
    '''),
    "tmpl/lexer.py": src('''
        """Split template source into text, variable and tag tokens."""

        import re

        TOKEN = re.compile(r"\\{\\{ (.*?) \\}\\}|\\{% (.*?) %\\}")


        def line_of(source, pos):
            """1-based line number of a position in the source."""
            return source.count("\\n", 0, pos) + 1


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
    '''),
    "tmpl/parser.py": src('''
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
    '''),
    "tmpl/filters.py": src('''
        """Filters usable as {{ value|name }}."""

        FILTERS = {
            "upper": lambda value: str(value).upper(),
            "lower": lambda value: str(value).lower(),
            "title": lambda value: str(value).title(),
            "length": len,
        }
    '''),
    "tmpl/render.py": src('''
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
    '''),
    "tmpl/template.py": src('''
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
    '''),
    "tests/__init__.py": "",
    "tests/test_render.py": src('''
        import unittest

        from tmpl import Template, TemplateSyntaxError


        class Render(unittest.TestCase):
            def test_variables_and_filters(self):
                out = Template("Hi {{ name|title }}, {{ n }} new").render(name="ada lovelace", n=3)
                self.assertEqual(out, "Hi Ada Lovelace, 3 new")

            def test_for_and_if(self):
                source = "{% for x in xs %}{% if x %}[{{ x }}]{% else %}-{% endif %}{% endfor %}"
                self.assertEqual(Template(source).render(xs=[1, 0, 2]), "[1]-[2]")

            def test_dotted_dict(self):
                self.assertEqual(Template("{{ a.b }}").render(a={"b": "c"}), "c")

            def test_mismatched_end(self):
                with self.assertRaises(TemplateSyntaxError):
                    Template("{% if x %}{% endfor %}")
    '''),
}

TASKS = [
    TaskSpec(
        slug="compact-tags", split="train", difficulty="easy",
        issue='''
            Tags without spaces are printed literally

            `Template("Hello {{name}}!").render(name="Ann")` gives `Hello {{name}}!` instead of
            `Hello Ann!`. Same with `{%for x in xs%}` and with extra spaces such as
            `{{   name   }}`. Only the exact form `{{ name }}` (one space each side) works. The
            spacing inside `{{ }}` and `{% %}` should not matter.
        ''',
        gold=[Edit("tmpl/lexer.py", 'TOKEN = re.compile(r"\\{\\{ (.*?) \\}\\}|\\{% (.*?) %\\}")',
                   'TOKEN = re.compile(r"\\{\\{\\s*(.*?)\\s*\\}\\}|\\{%\\s*(.*?)\\s*%\\}")')],
        hidden='''
            import unittest

            from tmpl import Template


            class CompactTags(unittest.TestCase):
                def test_no_spaces(self):
                    self.assertEqual(Template("Hello {{name}}!").render(name="Ann"), "Hello Ann!")
                    self.assertEqual(Template("{{n|upper}}").render(n="x"), "X")

                def test_many_spaces(self):
                    self.assertEqual(Template("{{   name   }}").render(name="Bo"), "Bo")

                def test_compact_blocks(self):
                    source = "{%for x in xs%}{%if x%}{{x}}{%endif%}{%endfor%}"
                    self.assertEqual(Template(source).render(xs=[1, 0, 3]), "13")

                def test_usual_form(self):
                    self.assertEqual(Template("{{ a }}-{{ b }}").render(a=1, b=2), "1-2")
        ''',
    ),
    TaskSpec(
        slug="missing-variable", split="train", difficulty="easy",
        issue='''
            Missing variables print "None" (or crash)

            Rendering `"Dear {{ title }} {{ name }}"` without a `title` gives `Dear None Smith`,
            and `{{ user.nickname }}` crashes with `KeyError: 'nickname'` when the user dict has
            no nickname. A variable that is not in the context (at any level of a dotted name)
            should render as an empty string, and count as false in `{% if %}`.
        ''',
        gold=[
            Edit("tmpl/render.py", '''
                    value = context.get(parts[0])
                    for part in parts[1:]:
                        value = value[part]
                    return value
            ''', '''
                    value = context.get(parts[0])
                    for part in parts[1:]:
                        if not isinstance(value, dict) or part not in value:
                            return None
                        value = value[part]
                    return value
            '''),
            Edit("tmpl/render.py", '''
                            out.append(str(evaluate(node.expr, context)))
            ''', '''
                            value = evaluate(node.expr, context)
                            out.append("" if value is None else str(value))
            '''),
        ],
        hidden='''
            import unittest

            from tmpl import Template


            class MissingVariable(unittest.TestCase):
                def test_missing_name(self):
                    out = Template("Dear {{ title }} {{ name }}").render(name="Smith")
                    self.assertEqual(out, "Dear  Smith")

                def test_missing_nested_key(self):
                    out = Template("[{{ user.nickname }}]").render(user={"name": "x"})
                    self.assertEqual(out, "[]")
                    self.assertEqual(Template("[{{ a.b.c }}]").render(), "[]")

                def test_missing_is_false(self):
                    source = "{% if user.nickname %}yes{% else %}no{% endif %}"
                    self.assertEqual(Template(source).render(user={}), "no")

                def test_present_values_unchanged(self):
                    self.assertEqual(Template("{{ a.b }}{{ n }}").render(a={"b": 0}, n=False), "0False")
        ''',
    ),
    TaskSpec(
        slug="attribute-lookup", split="train", difficulty="medium",
        issue='''
            Dotted names only work on dicts

            I pass my dataclass instances straight to templates:

            ```python
            Template("{{ user.name }} <{{ user.email }}>").render(user=User("Ann", "ann@x.org"))
            ```

            This fails with `TypeError: 'User' object is not subscriptable`. Dotted names
            should reach object attributes (and properties) as well as dictionary keys, mixed at
            any depth, e.g. `{{ order.customer.name }}` where `order` is a dict holding an object.
            Dict lookups must keep working.
        ''',
        gold=[Edit("tmpl/render.py", '''
                    for part in parts[1:]:
                        value = value[part]
        ''', '''
                    for part in parts[1:]:
                        if isinstance(value, dict):
                            value = value[part]
                        else:
                            value = getattr(value, part)
        ''')],
        hidden='''
            import unittest
            from dataclasses import dataclass

            from tmpl import Template


            @dataclass
            class User:
                name: str
                email: str

                @property
                def initials(self):
                    return "".join(word[0] for word in self.name.split())


            class AttributeLookup(unittest.TestCase):
                def test_attributes(self):
                    out = Template("{{ user.name }} <{{ user.email }}>").render(
                        user=User("Ann", "ann@x.org"))
                    self.assertEqual(out, "Ann <ann@x.org>")

                def test_property(self):
                    self.assertEqual(Template("{{ u.initials }}").render(u=User("Ada Lovelace", "")),
                                     "AL")

                def test_mixed_depth(self):
                    order = {"customer": User("Bo", "bo@x.org"), "id": 7}
                    self.assertEqual(Template("{{ o.customer.name }}#{{ o.id }}").render(o=order),
                                     "Bo#7")

                def test_in_loops(self):
                    users = [User("A", "a@x"), User("B", "b@x")]
                    source = "{% for u in users %}{{ u.email }};{% endfor %}"
                    self.assertEqual(Template(source).render(users=users), "a@x;b@x;")
        ''',
    ),
    TaskSpec(
        slug="loop-index", split="heldout", difficulty="medium",
        issue='''
            Loop position inside `{% for %}`

            To number rows and avoid a trailing comma I need to know where I am in a loop. Please
            provide a `loop` variable inside `{% for %}` bodies with `loop.index` (1-based),
            `loop.first` and `loop.last`, so that

            ```
            {% for n in names %}{{ loop.index }}. {{ n }}{% if loop.last %}{% else %}, {% endif %}{% endfor %}
            ```

            renders `1. ann, 2. bo, 3. cy`. In nested loops `loop` refers to the innermost loop,
            and after an inner loop ends, `loop` is the outer loop's again.
        ''',
        gold=[Edit("tmpl/render.py", '''
                        for item in lookup(context, node.iterable):
                            out.append(render_nodes(node.body, {**context, node.var: item}))
        ''', '''
                        items = list(lookup(context, node.iterable))
                        for index, item in enumerate(items):
                            loop = {"index": index + 1, "index0": index, "first": index == 0,
                                    "last": index == len(items) - 1}
                            out.append(render_nodes(node.body, {**context, node.var: item,
                                                                "loop": loop}))
        ''')],
        hidden='''
            import unittest

            from tmpl import Template


            class LoopIndex(unittest.TestCase):
                def test_index_and_last(self):
                    source = ("{% for n in names %}{{ loop.index }}. {{ n }}"
                              "{% if loop.last %}{% else %}, {% endif %}{% endfor %}")
                    self.assertEqual(Template(source).render(names=["ann", "bo", "cy"]),
                                     "1. ann, 2. bo, 3. cy")

                def test_first(self):
                    source = "{% for n in xs %}{% if loop.first %}<{% endif %}{{ n }}{% endfor %}"
                    self.assertEqual(Template(source).render(xs="abc"), "<abc")

                def test_nested(self):
                    source = ("{% for row in rows %}{% for c in row %}{{ loop.index }}{% endfor %}"
                              "|{{ loop.index }};{% endfor %}")
                    self.assertEqual(Template(source).render(rows=[["a", "b"], ["c"]]), "12|1;1|2;")

                def test_generator(self):
                    source = "{% for x in xs %}{{ x }}{% if loop.last %}!{% endif %}{% endfor %}"
                    self.assertEqual(Template(source).render(xs=(i for i in range(3))), "012!")
        ''',
    ),
    TaskSpec(
        slug="unclosed-block", split="train", difficulty="medium",
        issue='''
            A forgotten `{% endfor %}` goes unnoticed

            ```python
            Template("<ul>\\n{% for x in xs %}\\n<li>{{ x }}</li>\\n</ul>")
            ```

            parses without complaint and renders as if the block ran to the end of the file, so
            the mistake only shows up as broken HTML much later. A `{% for %}` or `{% if %}`
            without its end tag should raise `TemplateSyntaxError` when the template is created,
            and the message should say which block is unclosed and the line it was opened on
            (here: line 2).
        ''',
        gold=[
            Edit("tmpl/parser.py", '''
                    stack = [("root", root)]  # (block kind, list that receives nodes)
            ''', '''
                    stack = [("root", root)]  # (block kind, list that receives nodes)
                    opened = []  # (tag, line) of each open block, innermost last
            '''),
            Edit("tmpl/parser.py", '''
                            stack.append(("for", node.body))
            ''', '''
                            stack.append(("for", node.body))
                            opened.append(("for", line))
            '''),
            Edit("tmpl/parser.py", '''
                            stack.append(("if", node.body))
            ''', '''
                            stack.append(("if", node.body))
                            opened.append(("if", line))
            '''),
            Edit("tmpl/parser.py", '''
                            stack.pop()
                        else:
                            raise TemplateSyntaxError(f"line {line}: unknown tag {value!r}")
                return root
            ''', '''
                            stack.pop()
                            opened.pop()
                        else:
                            raise TemplateSyntaxError(f"line {line}: unknown tag {value!r}")
                if opened:
                    tag, line = opened[-1]
                    raise TemplateSyntaxError(f"unclosed {{% {tag} %}} block opened on line {line}")
                return root
            '''),
        ],
        hidden='''
            import unittest

            from tmpl import Template, TemplateSyntaxError


            class UnclosedBlock(unittest.TestCase):
                def test_unclosed_for(self):
                    with self.assertRaises(TemplateSyntaxError) as caught:
                        Template("<ul>\\n{% for x in xs %}\\n<li>{{ x }}</li>\\n</ul>")
                    message = str(caught.exception)
                    self.assertIn("for", message)
                    self.assertIn("2", message)

                def test_unclosed_if(self):
                    with self.assertRaises(TemplateSyntaxError) as caught:
                        Template("a\\nb\\nc\\n{% if x %}yes")
                    self.assertIn("if", str(caught.exception))
                    self.assertIn("4", str(caught.exception))

                def test_unclosed_if_with_else(self):
                    with self.assertRaises(TemplateSyntaxError):
                        Template("{% if x %}a{% else %}b")

                def test_closed_blocks_are_fine(self):
                    source = "{% for x in xs %}{% if x %}{{ x }}{% endif %}{% endfor %}"
                    self.assertEqual(Template(source).render(xs=[0, 5]), "5")
        ''',
    ),
    TaskSpec(
        slug="autoescape", split="train", difficulty="hard",
        issue='''
            HTML escaping for templates that produce web pages

            We render HTML with tmpl and a user named `<script>alert(1)</script>` just broke our
            admin page. Please add an opt-in `Template(source, autoescape=True)`: every
            `{{ ... }}` output (after its filters) is HTML-escaped, so `&`, `<`, `>`, `"` and `'`
            can't inject markup. The template's own text is never escaped. A `safe` filter
            (`{{ banner|safe }}`) should mark a value as trusted HTML so it is output as is.
            Without `autoescape` nothing changes (and `|safe` is harmless there).
        ''',
        gold=[
            Edit("tmpl/filters.py", '''
                """Filters usable as {{ value|name }}."""

                FILTERS = {
            ''', '''
                """Filters usable as {{ value|name }}."""


                class Safe(str):
                    """Text that is trusted markup: never escaped."""


                FILTERS = {
                    "safe": lambda value: Safe(value),
            '''),
            Edit("tmpl/render.py", '''
                from tmpl.filters import FILTERS
            ''', '''
                import html

                from tmpl.filters import FILTERS, Safe
            '''),
            Edit("tmpl/render.py", '''
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
            ''', '''
                def render_nodes(nodes, context, autoescape=False):
                    out = []
                    for node in nodes:
                        if isinstance(node, Text):
                            out.append(node.text)
                        elif isinstance(node, Var):
                            value = evaluate(node.expr, context)
                            text = str(value)
                            if autoescape and not isinstance(value, Safe):
                                text = html.escape(text, quote=True)
                            out.append(text)
                        elif isinstance(node, For):
                            for item in lookup(context, node.iterable):
                                out.append(render_nodes(node.body, {**context, node.var: item},
                                                        autoescape))
                        elif isinstance(node, If):
                            branch = node.body if evaluate(node.cond, context) else node.else_body
                            out.append(render_nodes(branch, context, autoescape))
            '''),
            Edit("tmpl/template.py", '''
                    def __init__(self, source):
                        self.nodes = parse(tokenize(source))

                    def render(self, context=None, **values):
                        return render_nodes(self.nodes, {**(context or {}), **values})
            ''', '''
                    def __init__(self, source, autoescape=False):
                        self.nodes = parse(tokenize(source))
                        self.autoescape = autoescape

                    def render(self, context=None, **values):
                        return render_nodes(self.nodes, {**(context or {}), **values}, self.autoescape)
            '''),
        ],
        hidden='''
            import html
            import unittest

            from tmpl import Template

            NASTY = "<script>alert('x') & \\"y\\"</script>"


            class Autoescape(unittest.TestCase):
                def assertEscaped(self, text, original):
                    for char in "<>\\"'":
                        self.assertNotIn(char, text)
                    self.assertEqual(html.unescape(text), original)

                def test_variables_escaped(self):
                    out = Template("<p>{{ name }}</p>", autoescape=True).render(name=NASTY)
                    self.assertTrue(out.startswith("<p>") and out.endswith("</p>"), out)
                    self.assertEscaped(out[3:-4], NASTY)

                def test_escaped_after_filters_and_in_loops(self):
                    out = Template("{% for n in names %}<b>{{ n|upper }}</b>{% endfor %}",
                                   autoescape=True).render(names=["a<b", "c&d"])
                    self.assertEqual(html.unescape(out), "<b>A<B</b><b>C&D</b>")
                    self.assertNotIn("A<B", out)
                    self.assertNotIn("C&D", out)

                def test_safe_filter(self):
                    out = Template("{{ banner|safe }}", autoescape=True).render(banner="<i>hi</i>")
                    self.assertEqual(out, "<i>hi</i>")

                def test_default_is_unescaped(self):
                    self.assertEqual(Template("{{ x }}").render(x="<b>"), "<b>")
                    self.assertEqual(Template("{{ x|safe }}").render(x="<b>"), "<b>")
        ''',
    ),
]

REPO = RepoSpec("tmpl", FILES, TASKS)
