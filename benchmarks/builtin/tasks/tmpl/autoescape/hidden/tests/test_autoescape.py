import html
import unittest

from tmpl import Template

NASTY = "<script>alert('x') & \"y\"</script>"


class Autoescape(unittest.TestCase):
    def assertEscaped(self, text, original):
        for char in "<>\"'":
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
