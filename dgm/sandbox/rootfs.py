"""Root filesystems for sandboxes, built offline: host-copy of Debian packages, or debootstrap.

A built root filesystem is a plain folder: bwrap uses it as `rootfs`, and the docker backend
imports it as an image (dgm/sandbox/images.py). Neither way pulls from a container registry.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path

from dgm.sandbox.base import LLM_SOCKET, WORKDIR, SandboxError
from dgm.sandbox.recipes import DEFAULT_MIRROR, Debootstrap, HostCopy, Recipe

# Documentation, manuals and translations are of no use to an agent: left out of host copies.
SKIPPED = ("/usr/share/doc/", "/usr/share/man/", "/usr/share/info/", "/usr/share/locale/",
           "/usr/share/lintian/", "/usr/share/bash-completion/")
MERGED_USR = {"bin": "usr/bin", "sbin": "usr/sbin", "lib": "usr/lib", "lib64": "usr/lib64"}
PASSWD = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
GROUP = "root:x:0:\nnogroup:x:65534:\n"
MANIFEST = "dgm-rootfs.json"
CHROOT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"  # apt needs sbin


def rootfs_ready(folder: Path, recipe: Recipe | None = None) -> bool:
    """Whether a finished build (of this very recipe, when given) is in `folder`."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return False
    same = recipe is None or manifest.get("recipe") == recipe.model_dump()
    return same and (folder / "usr").is_dir()


def build_rootfs(recipe: Recipe, dest: Path, *, method: str | None = None,
                 mirror: str | None = None) -> Path:
    """Build the recipe's root filesystem into `dest` (replaced only once the build succeeded)."""
    method = method or recipe.method
    staging = dest.with_name(dest.name + ".partial")
    if staging.exists():
        remove_tree(staging)
    staging.mkdir(parents=True)
    start = time.monotonic()
    try:
        if method == "host-copy":
            if recipe.host_copy is None:
                raise SandboxError(f"recipe {recipe.name!r} has no [host_copy] table")
            host_copy(recipe.host_copy, staging)
        else:
            if recipe.debootstrap is None:
                raise SandboxError(f"recipe {recipe.name!r} has no [debootstrap] table")
            debootstrap(recipe.debootstrap, staging, mirror or host_mirror())
        _skeleton(staging)
        (staging / MANIFEST).write_text(json.dumps({
            "recipe": recipe.model_dump(), "method": method,
            "seconds": round(time.monotonic() - start, 1),
        }, indent=1))
    except BaseException:
        remove_tree(staging)
        raise
    if dest.exists():
        remove_tree(dest)
    staging.rename(dest)
    return dest


def mounts_under(root: Path) -> list[str]:
    """Mount points below root, deepest first."""
    prefix = str(root.resolve()) + "/"
    points = []
    for line in Path("/proc/self/mounts").read_text().splitlines():
        # Mount points escape spaces and the like as octal (\040).
        point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), line.split()[1])
        if point.startswith(prefix):
            points.append(point)
    return sorted(points, key=len, reverse=True)


def remove_tree(root: Path) -> None:
    """Delete a (partial) root filesystem, never through a mount left in it: an interrupted
    debootstrap can leave /proc or a bind of the host's /dev mounted inside."""
    for point in mounts_under(root):
        subprocess.run(["umount", "-l", point], capture_output=True)
    left = mounts_under(root)
    if left:
        raise SandboxError(f"{root}: cannot delete it, still mounted inside: {', '.join(left)}")
    shutil.rmtree(root, ignore_errors=True)


# --------------------------------------------------------------------------- host copy

def missing_packages(packages: Iterable[str]) -> list[str]:
    """The Debian packages of the list that are not installed on this host."""
    if shutil.which("dpkg-query") is None:
        return list(packages)
    missing = []
    for package in packages:
        status = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package],
                                capture_output=True, text=True)
        if status.returncode != 0 or "install ok installed" not in status.stdout:
            missing.append(package)
    return missing


def host_copy(spec: HostCopy, dest: Path) -> None:
    """Copy the packages' files and every library their programs load from the host into dest."""
    missing = missing_packages(spec.packages)
    if missing:
        raise SandboxError(
            f"host-copy needs these Debian packages installed on this machine: {' '.join(missing)}"
            f"; install them (apt-get install -y {' '.join(missing)}) or build with "
            "--method debootstrap")
    listing = subprocess.run(["dpkg-query", "-L", *spec.packages], capture_output=True,
                             text=True, check=True).stdout
    for name, target in MERGED_USR.items():
        if Path("/", name).is_symlink():
            (dest / name).symlink_to(target)
    elves: list[Path] = []
    for line in listing.splitlines():
        path = Path(line.strip())
        if not line.startswith("/") or line.startswith(SKIPPED):
            continue
        if path.is_dir() and not path.is_symlink():
            continue
        if path.exists() or path.is_symlink():
            copied = _copy_in(path, dest)
            if copied is not None and _is_elf(copied):
                elves.append(copied)
    for library in _shared_libraries(elves):
        _copy_in(library, dest)
    for link, target in spec.links.items():
        where = dest / _canonical(Path(link)).relative_to("/")
        if not where.exists() and not where.is_symlink():
            where.parent.mkdir(parents=True, exist_ok=True)
            where.symlink_to(target)


def _canonical(path: Path) -> Path:
    """The path with its folder's symlinks resolved (so /bin/sh lands in /usr/bin/sh)."""
    return Path(os.path.realpath(path.parent)) / path.name


def _copy_in(path: Path, dest: Path) -> Path | None:
    """Copy one host file (a symlink and what it points to) under dest; the host path copied."""
    source = _canonical(path)
    target = dest / source.relative_to("/")
    if target.exists() or target.is_symlink():
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_symlink():
        target.symlink_to(os.readlink(source))
        resolved = Path(os.path.realpath(source))
        if resolved.is_file():
            _copy_in(resolved, dest)
        return None
    if not source.is_file():
        return None
    shutil.copy2(source, target)
    return source


def _is_elf(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(4) == b"\x7fELF"
    except OSError:
        return False


def _shared_libraries(programs: list[Path]) -> set[Path]:
    """Every shared library the programs and libraries load, as ldd resolves them."""
    found: set[Path] = set()
    for start in range(0, len(programs), 200):
        batch = [str(p) for p in programs[start:start + 200]]
        out = subprocess.run(["ldd", *batch], capture_output=True, text=True).stdout
        for line in out.splitlines():
            words = line.split()
            for i, word in enumerate(words):
                if word.startswith("/") and (i == 0 or words[i - 1] == "=>") and line[:1] == "\t":
                    found.add(Path(word))
    return found


# --------------------------------------------------------------------------- debootstrap

def host_mirror() -> str:
    """The Debian mirror this host's apt uses (so builds reach the same archive), or the default."""
    sources = Path("/etc/apt/sources.list.d")
    for path in sorted(sources.glob("*.sources")) if sources.is_dir() else []:
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith("URIs:") and "security" not in line:
                return line.split()[1]
    legacy = Path("/etc/apt/sources.list")
    if legacy.is_file():
        for line in legacy.read_text(errors="replace").splitlines():
            words = line.split()
            if len(words) >= 3 and words[0] == "deb" and "security" not in words[1]:
                return words[1]
    return DEFAULT_MIRROR


def debootstrap(spec: Debootstrap, dest: Path, mirror: str) -> None:
    """debootstrap a Debian system with the packages, then run the post-install commands."""
    if shutil.which("debootstrap") is None:
        raise SandboxError("debootstrap is not installed; install it: apt-get install -y debootstrap")
    chroot = shutil.which("chroot", path=CHROOT_PATH)
    if chroot is None:
        raise SandboxError("chroot is not installed; install it: apt-get install -y coreutils")
    if os.geteuid() != 0:
        raise SandboxError("debootstrap builds need root (it installs packages in a chroot); "
                           "run `dgm sandbox build` as root")
    done = subprocess.run(["debootstrap", f"--variant={spec.variant}", spec.suite, str(dest),
                           mirror], capture_output=True, text=True)
    if done.returncode != 0:
        raise SandboxError(f"debootstrap failed ({mirror}): {(done.stdout + done.stderr)[-1500:]}")
    # Packages through apt inside (its resolver handles what debootstrap's --include cannot).
    install = ("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "
               "--no-install-recommends " + " ".join(spec.packages))
    steps = ([install] if spec.packages else []) + spec.post
    if steps:
        with _chroot_mounts(dest):
            for command in steps:
                ran = subprocess.run([chroot, str(dest), "/bin/sh", "-c", command],
                                     capture_output=True, text=True,
                                     env={"PATH": CHROOT_PATH, "HOME": "/root"})
                if ran.returncode != 0:
                    raise SandboxError(f"post-install step failed: {command}\n"
                                       f"{(ran.stdout + ran.stderr)[-1500:]}")
    for cache in ("var/cache/apt/archives", "var/lib/apt/lists"):
        for item in (dest / cache).glob("*"):
            if item.is_file():
                item.unlink()


class _chroot_mounts:
    """/proc and the host's DNS settings inside a chroot while post-install steps run."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def __enter__(self) -> None:
        (self.root / "proc").mkdir(exist_ok=True)
        subprocess.run(["mount", "-t", "proc", "proc", str(self.root / "proc")], check=False)
        resolv = Path("/etc/resolv.conf")
        if resolv.is_file():
            shutil.copyfile(resolv, self.root / "etc" / "resolv.conf")

    def __exit__(self, *exc: object) -> None:
        subprocess.run(["umount", "-l", str(self.root / "proc")], check=False)
        (self.root / "etc" / "resolv.conf").unlink(missing_ok=True)


# --------------------------------------------------------------------------- common

def _skeleton(root: Path) -> None:
    """Mount points and the users a sandbox needs, whatever built the tree."""
    for folder in ("etc", "tmp", "proc", "dev", "sys", "root", WORKDIR.lstrip("/"),
                   str(Path(LLM_SOCKET).parent).lstrip("/")):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "tmp").chmod(0o1777)
    for name, content in (("passwd", PASSWD), ("group", GROUP)):
        path = root / "etc" / name
        if not path.exists():
            path.write_text(content)
    for name in ("hostname", "hosts", "resolv.conf"):  # docker bind-mounts over these
        (root / "etc" / name).touch()

