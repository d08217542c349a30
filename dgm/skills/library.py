"""The skill library inside an agent's tree: skills/*.md with front-matter, checked by the host.

The agent parses its own skills (it is evolving code); dgm parses them again here, on the host,
so the gate and the views never trust the agent's reading. A skill file:

    ---
    name: run-the-tests
    description: find the project's tests and use them to check a change
    version: 1
    when: before submitting any change to code that has tests
    ---
    The procedure itself.

Skills load in file-name order; files whose names start with a digit prefix sort predictably.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from pydantic import BaseModel, Field, ValidationError

from dgm.skills.config import SkillsConfig

SKILLS_DIR = "skills"
CHARS_PER_TOKEN = 4  # a conservative estimate; the bound is a budget, not an exact count
_FRONT = re.compile(r"\A---\n(.*?)\n---\n?(.*)\Z", re.S)


class SkillMeta(BaseModel):
    """The front-matter of a skill."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
    description: str = Field(min_length=3, max_length=300)
    version: int = Field(1, ge=1)
    when: str = ""


class Skill(BaseModel):
    """One skill: its file, its metadata and its body."""

    path: str
    meta: SkillMeta
    body: str

    @property
    def tokens(self) -> int:
        """Estimated prompt tokens of the skill."""
        return (len(self.meta.description) + len(self.meta.when) + len(self.body)) // CHARS_PER_TOKEN


class Library(BaseModel):
    """The parsed skills of one agent tree, and whatever is wrong with them."""

    skills: list[Skill] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)

    @property
    def tokens(self) -> int:
        """Estimated prompt tokens of the whole library."""
        return sum(s.tokens for s in self.skills)

    def names(self) -> list[str]:
        """Skill names in load order."""
        return [s.meta.name for s in self.skills]


def parse_skill(path: str, text: str) -> Skill:
    """Parse one skill file; ValueError names the file and what is wrong."""
    match = _FRONT.match(text.replace("\r\n", "\n"))
    if not match:
        raise ValueError(f"{path}: no front-matter (a '---' block with name and description)")
    header, body = match.groups()
    fields: dict[str, str] = {}
    for number, line in enumerate(header.splitlines(), start=2):
        if not line.strip():
            continue
        if ":" not in line:
            raise ValueError(f"{path}:{number}: expected 'key: value', got {line!r}")
        key, value = line.split(":", 1)
        fields[key.strip().lower()] = value.strip()
    try:
        meta = SkillMeta.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ValueError(f"{path}: front-matter {first['loc'][0]}: {first['msg']}") from None
    return Skill(path=path, meta=meta, body=body.strip())


def is_skill_path(path: str) -> bool:
    """Whether a path of an agent tree is a skill file."""
    parts = PurePosixPath(path).parts
    return (len(parts) == 2 and parts[0] == SKILLS_DIR and parts[1].endswith(".md")
            and parts[1].lower() != "readme.md")


def library_from_files(files: dict[str, str], config: SkillsConfig) -> Library:
    """Parse and check skills given as path -> text (from a checkout or a git tree)."""
    library = Library()
    seen: dict[str, str] = {}
    for path in sorted(p for p in files if is_skill_path(p)):
        try:
            skill = parse_skill(path, files[path])
        except ValueError as exc:
            library.problems.append(str(exc))
            continue
        if skill.meta.name in seen:
            library.problems.append(f"{path}: name {skill.meta.name!r} already used by "
                                    f"{seen[skill.meta.name]}")
            continue
        seen[skill.meta.name] = path
        library.skills.append(skill)
    if len(library.skills) > config.max_skills:
        library.problems.append(f"{len(library.skills)} skills; at most {config.max_skills} allowed")
    if library.tokens > config.max_prompt_tokens:
        library.problems.append(f"about {library.tokens} tokens of skills; at most "
                                f"{config.max_prompt_tokens} allowed")
    return library


def load_library(tree: Path, config: SkillsConfig) -> Library:
    """The library of an agent checked out at tree."""
    folder = Path(tree) / SKILLS_DIR
    files = {}
    if folder.is_dir():
        for file in folder.glob("*.md"):
            files[f"{SKILLS_DIR}/{file.name}"] = file.read_text(errors="replace")
    return library_from_files(files, config)
