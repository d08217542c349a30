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
