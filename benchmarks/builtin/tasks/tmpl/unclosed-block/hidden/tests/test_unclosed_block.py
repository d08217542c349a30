import unittest

from tmpl import Template, TemplateSyntaxError


class UnclosedBlock(unittest.TestCase):
    def test_unclosed_for(self):
        with self.assertRaises(TemplateSyntaxError) as caught:
            Template("<ul>\n{% for x in xs %}\n<li>{{ x }}</li>\n</ul>")
        message = str(caught.exception)
        self.assertIn("for", message)
        self.assertIn("2", message)

    def test_unclosed_if(self):
        with self.assertRaises(TemplateSyntaxError) as caught:
            Template("a\nb\nc\n{% if x %}yes")
        self.assertIn("if", str(caught.exception))
        self.assertIn("4", str(caught.exception))

    def test_unclosed_if_with_else(self):
        with self.assertRaises(TemplateSyntaxError):
            Template("{% if x %}a{% else %}b")

    def test_closed_blocks_are_fine(self):
        source = "{% for x in xs %}{% if x %}{{ x }}{% endif %}{% endfor %}"
        self.assertEqual(Template(source).render(xs=[0, 5]), "5")
