"""Sandbox images: built root filesystems, and their import into a Docker-compatible daemon."""

from __future__ import annotations

import hashlib
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dgm.llm.models import dgm_home
from dgm.sandbox.base import BASE_ENV, SandboxError
from dgm.sandbox.recipes import RECIPES, Recipe, load_recipe
from dgm.sandbox.rootfs import build_rootfs, rootfs_ready

IMAGE_PREFIX = "dgm-sandbox-"
NOBODY = 65534


def image_tag(image: str) -> str:
    """The daemon's tag for a sandbox image: a recipe name maps to dgm-sandbox-NAME:latest."""
    if ":" in image or "/" in image:
        return image
    return f"{IMAGE_PREFIX}{image}:latest"


def rootfs_dir(name: str, home: Path | None = None) -> Path:
    """Where `dgm sandbox build NAME` puts the root filesystem (also bwrap's rootfs)."""
    return (home or dgm_home()) / "sandboxes" / name / "rootfs"


def recipe_digest(recipe: Recipe) -> str:
    """A short hash of the recipe: the image label that tells a stale image apart."""
    return hashlib.sha256(recipe.model_dump_json().encode()).hexdigest()[:16]


def import_rootfs(client: Any, rootfs: Path, tag: str, *, env: dict[str, str] | None = None,
                  labels: dict[str, str] | None = None) -> str:
    """Import a root filesystem folder as an image (streamed as a tar; no registry); its id."""
    if not (rootfs / "usr").is_dir():
        raise SandboxError(f"{rootfs}: not a root filesystem (no usr/)")
    repository, _, version = tag.rpartition(":")
    changes = [f"USER {NOBODY}:{NOBODY}", "WORKDIR /work", 'CMD ["/bin/sh"]']
    changes += [f"ENV {key}={value}" for key, value in {**BASE_ENV, **(env or {})}.items()]
    changes += [f"LABEL {key}={value}" for key, value in (labels or {}).items()]
    tar = subprocess.Popen(["tar", "-C", str(rootfs), "--numeric-owner", "--owner=0",
                            "--group=0", "-c", "."], stdout=subprocess.PIPE)
    assert tar.stdout is not None
    try:
        client.api.import_image(src=tar.stdout, repository=repository, tag=version,
                                changes=changes, stream_src=True)
    finally:
        tar.stdout.close()
        if tar.wait() != 0:
            raise SandboxError(f"{rootfs}: tar failed while importing it")
    return str(client.images.get(tag).id)


@dataclass
class Built:
    """What `dgm sandbox build` produced."""

    rootfs: Path
    image: str | None      # the daemon's tag, None when no daemon was used
    note: str = ""


def build(name: str, *, method: str | None = None, mirror: str | None = None,
          client: Any = None, rebuild: bool = False, recipes: Path = RECIPES,
          home: Path | None = None) -> Built:
    """Build recipe NAME's root filesystem (unless built) and import it into the daemon if given."""
    recipe = load_recipe(name, recipes)
    rootfs = rootfs_dir(name, home)
    if rebuild or not rootfs_ready(rootfs, recipe):
        build_rootfs(recipe, rootfs, method=method, mirror=mirror)
    if client is None:
        return Built(rootfs, None, "no Docker daemon used: the root filesystem serves bwrap")
    tag = image_tag(name)
    import_rootfs(client, rootfs, tag, env=recipe.env,
                  labels={"dgm.recipe": recipe_digest(recipe)})
    return Built(rootfs, tag)
