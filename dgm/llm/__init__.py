"""Language models: the litellm client, the host-side proxy, local servers, test models.

Names are imported on first use: `dgm.config` imports `dgm.llm.config` on every CLI start, and
that must not pay for the client, the proxy or the local server (litellm itself is imported only
on the first real model call).
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "LLMClient": "dgm.llm.client", "complete": "dgm.llm.client",
    "LLMConfig": "dgm.llm.config",
    "LocalServer": "dgm.llm.local", "open_client": "dgm.llm.local",
    "NodeBudget": "dgm.llm.proxy", "NodeProxy": "dgm.llm.proxy",
    "SANDBOX_SOCKET": "dgm.llm.proxy",
    "BudgetExhaustedError": "dgm.llm.types", "CassetteMissError": "dgm.llm.types",
    "Completion": "dgm.llm.types", "LLMAuthError": "dgm.llm.types", "LLMError": "dgm.llm.types",
    "LLMInfraError": "dgm.llm.types", "LLMRequestError": "dgm.llm.types",
    "Usage": "dgm.llm.types",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'dgm.llm' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
