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
