"""Skills: short procedures in skills/*.md (front-matter + body) loaded into the system prompt."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Skill:
    """One skill file."""

    name: str
    description: str
    when: str
    body: str


def parse_skill(path: Path) -> Skill:
    """Read a skill: an optional `---` front-matter of `key: value` lines, then the body."""
    text = path.read_text()
    meta: dict[str, str] = {}
    if text.startswith("---\n") and "\n---" in text[4:]:
        header, text = text[4:].split("\n---", 1)
        for line in header.splitlines():
            if ":" in line:
                key, value = line.split(":", 1)
                meta[key.strip().lower()] = value.strip()
        text = text.lstrip("-").lstrip("\n")
    return Skill(
        name=meta.get("name", path.stem), description=meta.get("description", ""),
        when=meta.get("when", ""), body=text.strip(),
    )


def skill_paths(folder: Path) -> list[Path]:
    """Skill files in load order: those skills/manifest.toml lists, then any others by name."""
    found = sorted(p for p in folder.glob("*.md") if p.name.lower() != "readme.md")
    listed: list[Path] = []
    manifest = folder / "manifest.toml"
    if manifest.is_file():
        try:
            names = tomllib.loads(manifest.read_text()).get("skills", [])
        except tomllib.TOMLDecodeError:
            names = []  # a broken manifest must not stop the agent: fall back to name order
        listed = [folder / n for n in names if isinstance(n, str) and folder / n in found]
    return list(dict.fromkeys(listed + found))


def render_skills(folder: Path, max_chars: int) -> str:
    """The skills section of the prompt, in manifest order, stopping at max_chars."""
    if not folder.is_dir():
        return ""
    parts: list[str] = []
    used = 0
    for path in skill_paths(folder):
        skill = parse_skill(path)
        when = f" Use when: {skill.when}" if skill.when else ""
        piece = f"### {skill.name}\n{skill.description}{when}\n{skill.body}\n"
        if used + len(piece) > max_chars:
            break
        parts.append(piece)
        used += len(piece)
    return "\nSkills you have learned:\n\n" + "\n".join(parts) if parts else ""
