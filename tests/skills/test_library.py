"""The skill library format: front-matter, unique names, size bounds; the seed's skills are valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from dgm.agents import SEED_DIR
from dgm.archive import Archive
from dgm.skills.config import SkillsConfig
from dgm.skills.history import node_library, skill_origins
from dgm.skills.library import (
    is_skill_path,
    library_from_files,
    load_library,
    parse_skill,
    render_manifest,
)

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


def skill(name: str) -> str:
    return GOOD.replace("check-twice", name)


def test_the_manifest_sets_the_load_order() -> None:
    files = {"skills/10-a.md": skill("a"), "skills/20-b.md": skill("b"),
             "skills/manifest.toml": render_manifest(["20-b.md", "10-a.md"])}
    library = library_from_files(files, SkillsConfig())
    assert library.names() == ["b", "a"] and library.problems == []


@pytest.mark.parametrize(("manifest", "problem"), [
    ('skills = ["10-a.md", "10-a.md", "20-b.md"]', "'10-a.md' listed twice"),
    ('skills = ["10-a.md", "20-b.md", "30-c.md"]', "lists '30-c.md', which does not exist"),
    ('skills = ["10-a.md"]', "skills/20-b.md: not listed in skills/manifest.toml"),
    ('skills = ["../x.md", "10-a.md", "20-b.md"]', "'../x.md' is not a skill file name"),
    ("skills = [", "not valid TOML"),
    ('skills = "10-a.md"', "needs skills = ["),
    ('skills = []\norder = 1', "unknown key 'order'"),
])
def test_manifest_mismatches_are_named(manifest: str, problem: str) -> None:
    files = {"skills/10-a.md": skill("a"), "skills/20-b.md": skill("b"),
             "skills/manifest.toml": manifest}
    library = library_from_files(files, SkillsConfig())
    assert any(problem in p for p in library.problems), library.problems
    assert sorted(library.names()) == ["a", "b"]  # every readable skill is still shown


def test_the_seed_agent_follows_the_manifest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(SEED_DIR))
    from seed_agent.skills import render_skills

    for name in ("a", "b"):
        (tmp_path / f"{name}.md").write_text(skill(f"skill-{name}"))
    (tmp_path / "manifest.toml").write_text(render_manifest(["b.md"]))
    text = render_skills(tmp_path, 10_000)
    assert text.index("### skill-b") < text.index("### skill-a")  # listed first, unlisted after
    (tmp_path / "manifest.toml").write_text("skills = [")  # broken: name order, still runs
    text = render_skills(tmp_path, 10_000)
    assert text.index("### skill-a") < text.index("### skill-b")


def test_origins_come_from_the_git_history(tmp_path: Path) -> None:
    seed = tmp_path / "seed"
    (seed / "skills").mkdir(parents=True)
    (seed / "skills" / "10-a.md").write_text(skill("a"))
    (seed / "skills" / "20-gone.md").write_text(skill("gone"))
    with Archive.create(tmp_path / "run") as archive:
        root = archive.add_root(seed)
        (seed / "skills" / "30-b.md").write_text(skill("b"))
        (seed / "skills" / "20-gone.md").unlink()
        first = archive.add_child(root.id, tree=seed)
        (seed / "skills" / "10-a.md").write_text(skill("a").replace("Body text.", "Better."))
        (seed / "other.py").write_text("x = 1\n")
        second = archive.add_child(first.id, tree=seed)
        origins = skill_origins(archive, second.id)
        assert set(origins) == {"skills/10-a.md", "skills/30-b.md"}
        assert (origins["skills/10-a.md"].introduced_by, origins["skills/10-a.md"].changed_by) == \
            (root.id, second.id)
        assert (origins["skills/30-b.md"].introduced_by, origins["skills/30-b.md"].changed_by) == \
            (first.id, first.id)
        assert node_library(archive, root.id).library.names() == ["a", "gone"]
