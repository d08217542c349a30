"""`dgm doctor` checks of the LLM layer: litellm, keys, endpoints, the local model.

Nothing here imports litellm or prints a key: keys are only reported present or missing.
"""

from __future__ import annotations

import importlib.metadata
import os
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping

from dgm.config import RunConfig
from dgm.doctor import Check
from dgm.llm.config import LLMConfig
from dgm.llm.local import LOCAL_EXTRA_FIX, xllamacpp_available
from dgm.llm.models import ModelError, get_spec, model_path, verify_model
from dgm.llm.routes import LOCAL_PREFIX, SELF_HOSTED, key_env_name, provider_of

LITELLM_PIN = "1.106.2"


def checks(config: RunConfig) -> Iterator[Check]:
    """Every LLM prerequisite of a run with this config."""
    yield _litellm_check()
    llm = config.llm
    models = dict.fromkeys([llm.model, llm.agent_model or llm.model])
    if llm.cassette_mode == "replay":
        found = llm.cassette is not None and llm.cassette.is_file()
        yield Check("cassette to replay", found, str(llm.cassette),
                    fix="record one first with llm.cassette_mode = 'record'")
        return  # a replayed run calls no model: keys and servers are not needed
    for model in models:
        if model.startswith(LOCAL_PREFIX):
            yield from _local_checks(model)
        else:
            yield _key_check(model, llm, os.environ)
    if llm.api_base and any(not m.startswith(LOCAL_PREFIX) for m in models):
        yield _endpoint_check(llm.api_base)


def _litellm_check() -> Check:
    try:
        found = importlib.metadata.version("litellm")
    except importlib.metadata.PackageNotFoundError:
        return Check("package litellm", False, "not installed",
                     fix=f"pip install 'litellm=={LITELLM_PIN}'")
    return Check("package litellm", found == LITELLM_PIN,
                 found + ("" if found == LITELLM_PIN else f" (dgm pins {LITELLM_PIN})"),
                 fix=f"pip install 'litellm=={LITELLM_PIN}'", required=found == LITELLM_PIN)


def _local_checks(model: str) -> Iterator[Check]:
    try:
        spec = get_spec(model)
    except ModelError as exc:
        yield Check(f"local model {model}", False, str(exc),
                    fix="set llm.model to local/qwen2.5-coder-1.5b-instruct")
        return
    status = verify_model(spec, model_path(spec), full=False)
    yield Check(f"local model {spec.name}", status.ok, status.detail,
                fix="dgm models install" if not status.path.exists()
                else "dgm models install --force")
    yield Check("package xllamacpp (serves local models)", xllamacpp_available(),
                "installed" if xllamacpp_available() else "not installed", fix=LOCAL_EXTRA_FIX)


def _key_check(model: str, llm: LLMConfig, environ: Mapping[str, str]) -> Check:
    provider = provider_of(model)
    env_name = key_env_name(llm, provider)
    name = f"API key for {model}"
    if llm.api_key is not None:
        return Check(name, True, "set (llm.api_key or DGM_LLM_API_KEY)")
    if env_name and environ.get(env_name):
        return Check(name, True, f"set in environment variable {env_name}")
    if llm.api_base and provider in SELF_HOSTED:
        return Check(name, True, f"none needed for a self-hosted server at {llm.api_base}",
                     required=False)
    if provider == "hosted_vllm":
        return Check(f"api_base for {model}", False, "hosted_vllm models need llm.api_base",
                     fix="set llm.api_base to the URL `dgm serve MODEL` printed")
    wanted = env_name or "the provider's key variable"
    return Check(name, False, f"{wanted} is not set",
                 fix=f"export {env_name}=...  (in the shell that runs dgm)" if env_name
                 else "set llm.api_key_env to the variable holding the key, and export it")


def _endpoint_check(api_base: str) -> Check:
    url = api_base.rstrip("/") + "/models"
    try:
        with urllib.request.urlopen(url, timeout=3) as reply:
            detail = f"{url} answered {reply.status}"
        ok = True
    except urllib.error.HTTPError as exc:  # the server is there; it may want a key for /models
        ok, detail = exc.code < 500, f"{url} answered {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        ok, detail = False, f"{url}: {getattr(exc, 'reason', exc)}"
    return Check("LLM endpoint reachable", ok, detail,
                 fix="start the server (`dgm serve MODEL` on the GPU machine) or fix llm.api_base")

