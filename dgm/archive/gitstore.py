"""agents.git: the bare repository holding every agent's code, one commit per node.

All work goes through a throw-away index file, never a work tree, so creating a node and checking
one out cost the same at any depth: git stores snapshots, not patch chains.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from dgm.errors import ArchiveCorruptError, ArchiveError, DgmError, NodeNotFoundError, PatchError

try:
    import git
except ImportError as exc:  # GitPython refuses to import when no git executable is found
    git = None  # type: ignore[assignment]
    _GIT_MISSING = str(exc).splitlines()[0]

NODE_REF_PREFIX = "refs/nodes/"
ID_LENGTH = 12

# A fixed identity and no user or system git config: node commits must not depend on the host's
# git settings (autocrlf, hooks, a missing user.email on a fresh machine).
_BASE_ENV = {
    "GIT_AUTHOR_NAME": "dgm",
    "GIT_AUTHOR_EMAIL": "dgm@localhost",
    "GIT_COMMITTER_NAME": "dgm",
    "GIT_COMMITTER_EMAIL": "dgm@localhost",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_TERMINAL_PROMPT": "0",
}


def _location_env(git_dir: Path) -> dict[str, str]:
    """Pin every variable that could point git at another repository to this one.

    GitPython adds our variables to the caller's environment rather than replacing it, so a
    GIT_DIR or GIT_OBJECT_DIRECTORY inherited from a git hook or a shell would otherwise send
    `git init` or object writes into the user's own repository.
    """
    return {"GIT_DIR": str(git_dir), "GIT_COMMON_DIR": str(git_dir),
            "GIT_OBJECT_DIRECTORY": str(git_dir / "objects"),
            "GIT_ALTERNATE_OBJECT_DIRECTORIES": ""}


def _require_git() -> None:
    if git is None:
        raise DgmError(
            f"git is required but not usable ({_GIT_MISSING}); install it: apt-get install -y git"
        )


class GitStore:
    """Commits, refs and checkouts of node trees in a bare repository."""

    def __init__(self, path: Path) -> None:
        _require_git()
        self.path = Path(path).resolve()
        try:
            self.repo = git.Repo(self.path)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            raise ArchiveCorruptError(f"{self.path}: not a git repository") from None

    @classmethod
    def init(cls, path: Path) -> GitStore:
        """Create (or re-open, if a crash interrupted creation) the bare repository."""
        _require_git()
        target = Path(path).resolve()
        environment = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        done = subprocess.run(["git", "init", "-q", "--bare", "--initial-branch=main", str(target)],
                              env={**environment, **_BASE_ENV}, capture_output=True, text=True)
        if done.returncode != 0:
            raise ArchiveError(f"{target}: git init failed: {done.stderr.strip()[-300:]}")
        return cls(path)

    # ----------------------------------------------------------------- low level

    def _git(self, *args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> str:
        full_env = dict(_BASE_ENV, **_location_env(self.path), **(env or {}))
        kwargs: dict[str, object] = {"env": full_env, "strip_newline_in_stdout": False}
        args = (f"--git-dir={self.path}", *args)
        if stdin is not None:
            # GitPython wants a file for stdin; a spooled temp file avoids pipe deadlocks.
            with tempfile.TemporaryFile() as handle:
                handle.write(stdin.encode("utf-8"))
                handle.seek(0)
                return self.repo.git.execute(["git", *args], istream=handle, **kwargs)
        return self.repo.git.execute(["git", *args], **kwargs)

    @contextmanager
    def _index(self) -> Iterator[dict[str, str]]:
        """A private, temporary index so concurrent operations never share state."""
        fd, name = tempfile.mkstemp(prefix="index-", dir=self.path)
        os.close(fd)
        os.unlink(name)  # git wants to create it; an empty file is not a valid index
        try:
            yield {"GIT_INDEX_FILE": name}
        finally:
            Path(name).unlink(missing_ok=True)
            Path(name + ".lock").unlink(missing_ok=True)

    # ----------------------------------------------------------------- commits

    def commit_dir(
        self, tree: Path, *, parent: str | None, message: str, when: datetime
    ) -> str:
        """Commit every file of a directory (respecting its .gitignore); return the sha."""
        tree = Path(tree)
        if not tree.is_dir():
            raise ArchiveCorruptError(f"{tree}: not a directory")
        root = str(tree.resolve())
        with self._index() as env:
            self._git("-C", root, f"--work-tree={root}", "add", "--all", "--", ".", env=env)
            tree_sha = self._git("write-tree", env=env).strip()
        return self._commit(tree_sha, parent=parent, message=message, when=when)

    def commit_patch(self, parent: str, patch: str, *, message: str, when: datetime) -> str:
        """Apply a unified diff to the parent's tree (no work tree involved); return the sha."""
        if not patch.strip():
            raise PatchError("empty patch: nothing to apply")
        if not patch.endswith("\n"):
            patch += "\n"
        with self._index() as env:
            self._git("read-tree", parent, env=env)
            # Exact hunk counts first: they are authoritative when right, while --recount has
            # git guess each hunk's extent by scanning lines. Hand- or model-written patches
            # often carry wrong counts: --recount rescues those.
            detail = ""
            for extra in ([], ["--recount"]):
                try:
                    self._git("apply", "--cached", *extra, "--whitespace=nowarn", "-",
                              env=env, stdin=patch)
                    break
                except git.GitCommandError as exc:
                    detail = (exc.stderr or "").strip().removeprefix("stderr:").strip(" '\n")
            else:
                raise PatchError(f"patch does not apply to {parent[:ID_LENGTH]}: {detail}")
            tree_sha = self._git("write-tree", env=env).strip()
        return self._commit(tree_sha, parent=parent, message=message, when=when)

    def _commit(self, tree_sha: str, *, parent: str | None, message: str, when: datetime) -> str:
        stamp = f"{int(when.timestamp())} +0000"
        env = {"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
        args = ["commit-tree", tree_sha, "-m", message]
        if parent:
            args += ["-p", parent]
        return self._git(*args, env=env).strip()

    # ----------------------------------------------------------------- refs

    def set_node_ref(self, node_id: str, sha: str) -> None:
        """Point refs/nodes/<id> at the node's commit (keeps it reachable forever)."""
        self._git("update-ref", NODE_REF_PREFIX + node_id, sha)

    def node_refs(self) -> dict[str, str]:
        """Every node ref: id -> commit sha."""
        out = self._git("for-each-ref", "--format=%(refname) %(objectname)", NODE_REF_PREFIX)
        refs = {}
        for line in out.splitlines():
            name, sha = line.split()
            refs[name.removeprefix(NODE_REF_PREFIX)] = sha
        return refs

    def has_commit(self, sha: str) -> bool:
        """Whether the commit exists in the object store."""
        try:
            self._git("cat-file", "-e", f"{sha}^{{commit}}")
        except git.GitCommandError:
            return False
        return True

    def short_id(self, sha: str, taken: set[str] | frozenset[str] = frozenset()) -> str:
        """A stable short id: the first 12 hex digits, longer only on a collision."""
        length = ID_LENGTH
        while sha[:length] in taken and length < len(sha):
            length += 1
        return sha[:length]

    # ----------------------------------------------------------------- reading

    def checkout(self, sha: str, dest: Path) -> Path:
        """Write the commit's tree into dest (created; must be empty if it exists)."""
        dest = Path(dest)
        if dest.exists() and any(dest.iterdir()):
            raise FileExistsError(f"{dest}: not empty; check out into a new or empty directory")
        dest.mkdir(parents=True, exist_ok=True)
        with self._index() as env:
            try:
                self._git("read-tree", sha, env=env)
            except git.GitCommandError:
                raise NodeNotFoundError(f"commit {sha} is missing from {self.path}") from None
            root = str(dest.resolve())
            self._git("-C", root, f"--work-tree={root}", "checkout-index", "--all", "--force", env=env)
        return dest

    def diff(self, a: str, b: str) -> str:
        """Unified diff from commit a to commit b."""
        return self._git("diff", "--no-color", "--no-ext-diff", a, b)

    def diff_stat(self, a: str, b: str) -> str:
        """`git diff --stat` from commit a to commit b."""
        return self._git("diff", "--stat", "--no-color", a, b).strip()

    def patches(self, shas: list[str]) -> dict[str, str]:
        """Each commit's patch against its parent, in one git process (a root's is empty)."""
        if not shas:
            return {}
        out = self._git(
            "diff-tree", "--stdin", "-p", "--no-color", "--no-ext-diff", "-r",
            stdin="\n".join(shas) + "\n",
        )
        patches: dict[str, list[str]] = {}
        current: list[str] | None = None
        wanted = set(shas)
        for line in out.splitlines(keepends=True):
            head = line.rstrip("\n")  # diff lines start with a space, +, - or @: never a bare sha
            if len(head) == 40 and head in wanted and head not in patches:
                current = patches.setdefault(head, [])
                continue
            if current is not None:
                current.append(line)
        return {sha: "".join(patches.get(sha, [])) for sha in shas}

    def changed_paths(self, a: str, b: str) -> list[str]:
        """Paths that differ between commit a and commit b."""
        return self._git("diff", "--name-only", "--no-renames", a, b).splitlines()

    def path_history(self, sha: str, prefix: str) -> list[tuple[str, list[tuple[str, str]]]]:
        """Commits reachable from sha that touched paths under prefix, newest first, each with
        its (status letter, path) changes; renames show as a delete and an add."""
        out = self._git("log", "--format=%x01%H", "--name-status", "--no-renames", sha, "--",
                        prefix)
        history: list[tuple[str, list[tuple[str, str]]]] = []
        for line in out.splitlines():
            if line.startswith("\x01"):
                history.append((line[1:].strip(), []))
            elif line.strip() and history:
                status, _, path = line.partition("\t")
                history[-1][1].append((status[:1], path))
        return history

    def files(self, sha: str) -> list[str]:
        """Paths in the commit's tree."""
        return self._git("ls-tree", "-r", "--name-only", sha).splitlines()

    def read_file(self, sha: str, path: str) -> str:
        """One file's content at a commit."""
        return self._git("show", f"{sha}:{path}")
