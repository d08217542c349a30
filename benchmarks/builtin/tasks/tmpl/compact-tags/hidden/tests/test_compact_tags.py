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
