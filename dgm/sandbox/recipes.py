"""Sandbox image recipes (`sandboxes/*.toml`): what goes into an image and how it is built."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError

from dgm._model import ConfigModel
from dgm.sandbox.base import SandboxError

# Recipes live at the repository root, next to the package (a checkout or an editable install).
RECIPES = Path(__file__).resolve().parents[2] / "sandboxes"
DEFAULT_MIRROR = "http://deb.debian.org/debian"


class HostCopy(ConfigModel):
    """Build by copying installed Debian packages from the host, with the libraries they load."""

    packages: list[str] = Field(min_length=1, description="Debian packages installed on the host.")
    links: dict[str, str] = Field(default_factory=dict, description="Symlink path -> target.")


class Debootstrap(ConfigModel):
    """Build a Debian root filesystem from the Debian archive."""

    suite: str = "bookworm"
    variant: str = "minbase"
    packages: list[str] = Field(default_factory=list, description="Installed on top of the base.")
    post: list[str] = Field(default_factory=list, description="Shell commands run in the chroot.")


class Recipe(ConfigModel):
    """One sandbox image."""

    name: str
    description: str = ""
    method: Literal["host-copy", "debootstrap"]
    env: dict[str, str] = Field(default_factory=dict, description="Variables set in the image.")
    host_copy: HostCopy | None = None
    debootstrap: Debootstrap | None = None


def recipe_names(folder: Path = RECIPES) -> list[str]:
    """Names of the recipes in a folder."""
    return sorted(p.stem for p in folder.glob("*.toml"))


def load_recipe(name: str, folder: Path = RECIPES) -> Recipe:
    """Read and validate `folder/name.toml`, or say clearly what is wrong with it."""
    path = folder / f"{name}.toml"
    if not path.is_file():
        known = ", ".join(recipe_names(folder)) or "none"
        raise SandboxError(f"{path}: no such sandbox recipe (known: {known})")
    try:
        recipe = Recipe.model_validate(tomllib.loads(path.read_text()))
    except (tomllib.TOMLDecodeError, ValidationError) as exc:
        raise SandboxError(f"{path}: invalid recipe: {exc}") from None
    if recipe.name != name:
        raise SandboxError(f"{path}: name = {recipe.name!r} does not match the file name")
    section = recipe.host_copy if recipe.method == "host-copy" else recipe.debootstrap
    if section is None:
        raise SandboxError(f"{path}: method {recipe.method!r} needs a "
                           f"[{recipe.method.replace('-', '_')}] table")
    return recipe
