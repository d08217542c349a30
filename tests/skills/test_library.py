"""The skill library format: front-matter, unique names, size bounds; the seed's skills are valid."""

from __future__ import annotations

import pytest

from dgm.agents import SEED_DIR
from dgm.skills.config import SkillsConfig
from dgm.skills.library import is_skill_path, library_from_files, load_library, parse_skill

GOOD = "---\nname: check-twice\ndescription: run the tests twice\nversion: 2\n---\nBody text.\n"


def test_parse_a_skill() -> None:
    skill = parse_skill("skills/a.md", GOOD)
    assert (skill.meta.name, skill.meta.version, skill.body) == ("check-twice", 2, "Body text.")


@pytest.mark.parametrize(("text", "error"), [
    ("no header", "no front-matter"),
    ("---\nname: x\n---\nbody", "description"),
    ("---\nname: Bad Name\ndescription: fine here\n---\n", "name"),
    ("---\nname: ok\ndescription: fine here\nnonsense line\n---\n", "skills/a.md:4: expected"),
])
def test_bad_skills_are_named(text: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        parse_skill("skills/a.md", text)


def test_library_checks_duplicates_and_bounds() -> None:
    files = {
        "skills/10-a.md": GOOD,
        "skills/20-b.md": GOOD,  # same name again
        "skills/README.md": "not a skill",
        "skills/deep/c.md": GOOD,
        "agent.py": "x",
    }
    library = library_from_files(files, SkillsConfig())
    assert library.names() == ["check-twice"]
    assert library.problems == ["skills/20-b.md: name 'check-twice' already used by skills/10-a.md"]
    many = {f"skills/{i:02}.md": GOOD.replace("check-twice", f"s{i}") for i in range(5)}
    bounded = library_from_files(many, SkillsConfig(max_skills=3, max_prompt_tokens=10))
    assert "5 skills; at most 3 allowed" in bounded.problems
    assert any("tokens of skills" in p for p in bounded.problems)
    assert is_skill_path("skills/x.md") and not is_skill_path("skills/sub/x.md")


def test_seed_agent_skills_are_valid() -> None:
    library = load_library(SEED_DIR, SkillsConfig())
    assert library.problems == [] and library.names() == ["run-the-tests", "reproduce-first"]
