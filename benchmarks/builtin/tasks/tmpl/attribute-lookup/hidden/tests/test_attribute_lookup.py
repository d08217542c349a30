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
