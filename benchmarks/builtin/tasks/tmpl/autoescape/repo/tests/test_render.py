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
