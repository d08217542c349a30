"""A node's skill library with each skill's origin, read from the archive's git history.

Nothing about skills is stored twice: which node introduced a skill file and which node last
changed it follow from the commits of agents.git (one commit per node, parent = git parent).
"""

from __future__ import annotations

from pydantic import BaseModel

from dgm.archive.run import Archive
from dgm.skills.config import SkillsConfig
from dgm.skills.library import SKILLS_DIR, Library, library_from_files


class SkillOrigin(BaseModel):
    """Where one skill file of a node came from."""

    path: str
    introduced_by: str | None  # node id of the commit that added the file
    changed_by: str | None  # node id of the commit that last changed it


class NodeLibrary(BaseModel):
    """A node's parsed library and the origin of every skill file in it."""

    node: str
    library: Library
    origins: dict[str, SkillOrigin]


def skill_files_at(archive: Archive, commit: str) -> dict[str, str]:
    """path -> text of everything under skills/ in a commit."""
    paths = [p for p in archive.git.files(commit) if p.startswith(f"{SKILLS_DIR}/")]
    return {p: archive.git.read_file(commit, p) for p in paths}


def skill_origins(archive: Archive, node_id: str) -> dict[str, SkillOrigin]:
    """For each file under skills/ in a node, the nodes that introduced and last changed it."""
    node = archive.node(node_id)
    by_commit = {n.commit: n.id for n in archive.nodes()}
    present = {p for p in archive.git.files(node.commit) if p.startswith(f"{SKILLS_DIR}/")}
    changed: dict[str, str] = {}
    introduced: dict[str, str] = {}
    # Newest first: the first commit seen touching a path last changed it; walking on, the
    # newest add at or before that point introduced its current incarnation (a file deleted
    # and re-added later counts from the re-add).
    for sha, changes in archive.git.path_history(node.commit, f"{SKILLS_DIR}/"):
        for status, path in changes:
            if path not in present or path in introduced:
                continue
            changed.setdefault(path, sha)
            if status == "A":
                introduced[path] = sha
    return {
        path: SkillOrigin(path=path, introduced_by=by_commit.get(introduced.get(path, "")),
                          changed_by=by_commit.get(changed.get(path, "")))
        for path in sorted(present)
    }


def node_library(archive: Archive, node_id: str, config: SkillsConfig | None = None) -> NodeLibrary:
    """A node's library (checked against the run's bounds) with each skill's origin."""
    node = archive.node(node_id)
    config = config or archive.config.skills
    library = library_from_files(skill_files_at(archive, node.commit), config)
    return NodeLibrary(node=node.id, library=library, origins=skill_origins(archive, node.id))
