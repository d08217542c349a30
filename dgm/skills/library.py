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

Load order comes from the manifest, skills/manifest.toml:

    # Skills loaded into the agent's prompt, in this order.
    skills = ["10-run-the-tests.md", "20-reproduce-first.md"]

The host holds a library to it strictly (every skill file listed, every listed file present);
without a manifest skills load in file-name order, as older agents had it.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path, PurePosixPath

from pydantic import BaseModel, Field, ValidationError

from dgm.skills.config import SkillsConfig

SKILLS_DIR = "skills"
MANIFEST = "manifest.toml"
MANIFEST_PATH = f"{SKILLS_DIR}/{MANIFEST}"
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


def parse_manifest(text: str) -> list[str]:
    """The skill files a manifest lists, in load order; ValueError says what is wrong."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{MANIFEST_PATH}: not valid TOML: {exc}") from None
    listed = data.get("skills")
    if not isinstance(listed, list) or not all(isinstance(x, str) for x in listed):
        raise ValueError(f"{MANIFEST_PATH}: needs skills = [\"file.md\", ...] (a list of file names)")
    unknown = sorted(set(data) - {"skills"})
    if unknown:
        raise ValueError(f"{MANIFEST_PATH}: unknown key {unknown[0]!r} (known: skills)")
    return listed


def render_manifest(names: list[str]) -> str:
    """A manifest listing these skill file names in load order."""
    body = "".join(f'    "{name}",\n' for name in names)
    return ("# Skills loaded into the agent's prompt, in this order (one file each in skills/).\n"
            f"skills = [\n{body}]\n")


def load_order(files: dict[str, str], problems: list[str]) -> list[str]:
    """Skill paths in load order: the manifest's, else file-name order; mismatches go to problems."""
    present = sorted(p for p in files if is_skill_path(p))
    if MANIFEST_PATH not in files:
        return present
    try:
        listed = parse_manifest(files[MANIFEST_PATH])
    except ValueError as exc:
        problems.append(str(exc))
        return present
    order: list[str] = []
    for name in listed:
        path = f"{SKILLS_DIR}/{name}"
        if not is_skill_path(path):
            problems.append(f"{MANIFEST_PATH}: {name!r} is not a skill file name (skills/<name>.md)")
        elif path in order:
            problems.append(f"{MANIFEST_PATH}: {name!r} listed twice")
        elif path not in files:
            problems.append(f"{MANIFEST_PATH}: lists {name!r}, which does not exist")
        else:
            order.append(path)
    for path in present:
        if path not in order:
            problems.append(f"{path}: not listed in {MANIFEST_PATH}")
            order.append(path)
    return order


def library_from_files(files: dict[str, str], config: SkillsConfig) -> Library:
    """Parse and check skills given as path -> text (from a checkout or a git tree)."""
    library = Library()
    seen: dict[str, str] = {}
    for path in load_order(files, library.problems):
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
    return library_from_files(skill_files(Path(tree)), config)


def skill_files(tree: Path) -> dict[str, str]:
    """path -> text of the skill files and the manifest of a checked-out agent."""
    folder = Path(tree) / SKILLS_DIR
    files = {}
    if folder.is_dir():
        for file in [*folder.glob("*.md"), folder / MANIFEST]:
            if file.is_file():
                files[f"{SKILLS_DIR}/{file.name}"] = file.read_text(errors="replace")
    return files
