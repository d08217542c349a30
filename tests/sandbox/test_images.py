"""Image recipes and offline builds: clear errors, a rootfs bwrap runs in, `dgm sandbox build`."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dgm.cli import app
from dgm.sandbox import rootfs as rootfs_mod
from dgm.sandbox.base import SandboxError, SandboxSpec
from dgm.sandbox.recipes import Debootstrap, HostCopy, Recipe, load_recipe, recipe_names
from dgm.sandbox.rootfs import build_rootfs, rootfs_ready

SMALL = Recipe(name="small", method="host-copy",
               host_copy=HostCopy(packages=["dash", "coreutils", "python3.11-minimal",
                                            "libpython3.11-minimal"],
                                  links={"/usr/bin/python3": "python3.11", "/bin/sh": "dash"}))


def test_shipped_recipes_are_valid() -> None:
    assert {"python", "polyglot"} <= set(recipe_names())
    assert load_recipe("python").method == "host-copy"
    polyglot = load_recipe("polyglot")
    assert polyglot.debootstrap is not None
    wanted = {"g++", "golang-go", "default-jdk-headless", "junit5", "nodejs", "rustc", "python3"}
    assert wanted <= set(polyglot.debootstrap.packages)


@pytest.mark.parametrize(("text", "error"), [
    ('name = "bad"\nmethod = "host-copy"\nflavour = 1\n', "(?s)bad.toml: invalid recipe.*flavour"),
    ('name = "other"\nmethod = "debootstrap"\n[debootstrap]\n', "does not match the file name"),
    ('name = "bad"\nmethod = "host-copy"\n', r"needs a \[host_copy\] table"),
    ('name = "bad"\nmethod = [', "bad.toml: invalid recipe"),
])
def test_bad_recipes_are_named_with_the_problem(tmp_path: Path, text: str, error: str) -> None:
    (tmp_path / "bad.toml").write_text(text)
    with pytest.raises(SandboxError, match=error):
        load_recipe("bad", tmp_path)
    with pytest.raises(SandboxError, match=r"no such sandbox recipe \(known: bad\)"):
        load_recipe("missing", tmp_path)


def test_missing_host_packages_say_how_to_install_them(tmp_path: Path) -> None:
    recipe = Recipe(name="x", method="host-copy",
                    host_copy=HostCopy(packages=["dash", "no-such-package-dgm"]))
    with pytest.raises(SandboxError, match="apt-get install -y no-such-package-dgm.*debootstrap"):
        build_rootfs(recipe, tmp_path / "rootfs")
    assert not (tmp_path / "rootfs").exists() and not (tmp_path / "rootfs.partial").exists()


def test_debootstrap_prerequisites_are_named(tmp_path: Path, monkeypatch) -> None:
    recipe = Recipe(name="x", method="debootstrap", debootstrap=Debootstrap(packages=["python3"]))
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(SandboxError, match="apt-get install -y debootstrap"):
        build_rootfs(recipe, tmp_path / "rootfs")


@pytest.mark.skipif(shutil.which("dpkg-query") is None, reason="host-copy reads dpkg's database")
def test_host_copy_rootfs_runs_python_under_bwrap(tmp_path: Path) -> None:
    built = build_rootfs(SMALL, tmp_path / "rootfs")
    assert rootfs_ready(built, SMALL) and not rootfs_ready(built, load_recipe("python"))
    assert (built / "bin").is_symlink() and not (built / "usr/share/doc").exists()
    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap is not installed (apt-get install -y bubblewrap)")
    from dgm.sandbox.bwrap import BwrapSandbox

    (tmp_path / "work").mkdir()
    with BwrapSandbox(SandboxSpec(workdir=tmp_path / "work", rootfs=built)) as sandbox:
        result = sandbox.run(["/bin/sh", "-c", "python3 -c 'import os; print(len(os.sep))'; "
                              "ls /usr/bin | wc -l; test -e /usr/bin/gcc || echo no-gcc"])
    assert result.ok, result.stderr
    lines = result.stdout.split()
    assert lines[0] == "1" and lines[-1] == "no-gcc"  # the image, not the host's /usr
    assert int(lines[1]) < 200


def test_failed_rebuild_keeps_the_previous_rootfs(tmp_path: Path, monkeypatch) -> None:
    dest = tmp_path / "rootfs"
    (dest / "usr").mkdir(parents=True)
    (dest / "usr" / "kept").write_text("old")

    def broken(spec: HostCopy, staging: Path) -> None:
        (staging / "half").write_text("partial")
        raise SandboxError("boom")

    monkeypatch.setattr(rootfs_mod, "host_copy", broken)
    with pytest.raises(SandboxError, match="boom"):
        build_rootfs(SMALL, dest)
    assert (dest / "usr" / "kept").read_text() == "old"
    assert not dest.with_name("rootfs.partial").exists()


def test_build_command_without_a_daemon_builds_the_rootfs(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DGM_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/none.sock")
    runner = CliRunner()
    bad = runner.invoke(app, ["sandbox", "build", "nosuch", "--no-docker"])
    assert bad.exit_code == 1 and "no such sandbox recipe" in bad.output
    forced = runner.invoke(app, ["sandbox", "build", "python", "--docker"])
    assert forced.exit_code == 1 and "no Docker daemon answers" in forced.output
    if rootfs_mod.missing_packages(load_recipe("python").host_copy.packages):
        pytest.skip("host lacks packages of the python recipe")
    built = runner.invoke(app, ["sandbox", "build", "python"])
    assert built.exit_code == 0, built.output
    assert "building the root filesystem only" in " ".join(built.output.split())
    rootfs = tmp_path / "home" / "sandboxes" / "python" / "rootfs"
    assert rootfs_ready(rootfs, load_recipe("python"))
    assert (rootfs / "usr/bin/git").is_file() and (rootfs / "usr/lib/python3.11/json").is_dir()


def test_build_command_imports_into_the_daemon(docker_client, tmp_path: Path,
                                               monkeypatch) -> None:
    if docker_client.dgm_daemon is None:
        pytest.skip("only against the private test daemon (it adds an image)")
    monkeypatch.setenv("DGM_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DOCKER_HOST", docker_client.dgm_daemon.url)
    built = CliRunner().invoke(app, ["sandbox", "build", "python"])
    assert built.exit_code == 0, built.output
    image = docker_client.images.get("dgm-sandbox-python:latest")
    assert image.labels["dgm.recipe"] and image.attrs["Config"]["User"] == "65534:65534"
    from dgm.sandbox.docker import DockerSandbox

    (tmp_path / "w").mkdir()
    with DockerSandbox(SandboxSpec(workdir=tmp_path / "w"), client=docker_client) as sandbox:
        result = sandbox.run(["git", "--version"])
    assert result.ok and result.stdout.startswith("git version")


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting needs root")
def test_removing_a_partial_rootfs_never_deletes_through_a_mount(tmp_path: Path) -> None:
    precious = tmp_path / "host-dev"
    precious.mkdir()
    (precious / "node").write_text("keep me")
    partial = tmp_path / "rootfs.partial"
    (partial / "dev").mkdir(parents=True)
    (partial / "proc").mkdir()
    subprocess.run(["mount", "--bind", str(precious), str(partial / "dev")], check=True)
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(partial / "proc")], check=True)
    rootfs_mod.remove_tree(partial)
    assert not partial.exists()
    assert (precious / "node").read_text() == "keep me"


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("debootstrap") is None,
                    reason="debootstrap builds need root and debootstrap (apt-get install -y debootstrap)")
def test_debootstrap_build_of_the_python_recipe(tmp_path: Path) -> None:
    """Several minutes: Debian's archive must be reachable (the host's apt mirror)."""
    recipe = load_recipe("python")
    built = build_rootfs(recipe, tmp_path / "rootfs", method="debootstrap")
    assert rootfs_ready(built, recipe) and not rootfs_mod.mounts_under(built)
    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap is not installed (apt-get install -y bubblewrap)")
    from dgm.sandbox.bwrap import BwrapSandbox

    (tmp_path / "work").mkdir()
    with BwrapSandbox(SandboxSpec(workdir=tmp_path / "work", rootfs=built)) as sandbox:
        result = sandbox.run(["/bin/sh", "-c", "python3 --version; git --version; patch --version"])
    assert result.ok and "Python 3" in result.stdout and "GNU patch" in result.stdout
