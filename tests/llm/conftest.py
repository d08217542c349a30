"""Fixtures for the LLM layer: scripted clients, short socket folders, running proxies."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dgm.llm.client import LLMClient
from dgm.llm.config import LLMConfig
from dgm.llm.proxy import NodeBudget, NodeProxy
from dgm.llm.testing import Script, ScriptedModel

PLANTED_KEY = "sk-ant-PLANTED-4f1c9e2b7d1a40d38c55e0aa"


def user(text: str) -> list[dict[str, str]]:
    """A one-message conversation."""
    return [{"role": "user", "content": text}]


@pytest.fixture
def sleeps() -> list[float]:
    """Backoff waits a client asked for (recorded instead of slept)."""
    return []


@pytest.fixture
def make_client(sleeps: list[float]) -> Callable[..., tuple[LLMClient, ScriptedModel]]:
    """make_client(script, **config fields) -> (client, scripted model); sleeps are recorded."""

    def make(script: Script, *, environ: dict[str, str] | None = None,
             model_kwargs: dict[str, Any] | None = None, **fields: Any
             ) -> tuple[LLMClient, ScriptedModel]:
        scripted = ScriptedModel(script, **(model_kwargs or {}))
        config = LLMConfig(**{"model": "scripted/test", **fields})
        client = LLMClient(config, backend=scripted, environ=environ or {}, sleep=sleeps.append)
        return client, scripted

    return make


@pytest.fixture
def socket_dir() -> Iterator[Path]:
    """A short folder for sockets (pytest's tmp_path can exceed the 107-byte socket limit)."""
    path = Path(tempfile.mkdtemp(prefix="dgm-t-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def start_proxy(socket_dir: Path) -> Iterator[Callable[..., NodeProxy]]:
    """start_proxy(client, node_id, budget=..., log=...) -> a running NodeProxy (stopped after)."""
    proxies: list[NodeProxy] = []

    def start(client: LLMClient, node_id: str = "node1", *, budget: NodeBudget | None = None,
              log: Any = None, model: str | None = None) -> NodeProxy:
        proxy = NodeProxy(client, socket_dir / f"{node_id}.sock", node_id=node_id,
                          budget=budget, log=log, model=model)
        proxies.append(proxy.start())
        return proxy

    yield start
    for proxy in proxies:
        proxy.stop()
