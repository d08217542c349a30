"""A node's SWE-bench results as a predictions file for the official swebench evaluation.

One line per instance: `instance_id`, `model_name_or_path` and `model_patch` (the agent's diff of
the node's latest attempt), which `python -m swebench.harness.run_evaluation --predictions_path`
reads unchanged.
"""

from __future__ import annotations

import json
from pathlib import Path

from dgm.archive.run import Archive
from dgm.errors import DgmError


def node_predictions(archive: Archive, node_id: str, *, benchmark: str = "swebench",
                     model_name: str | None = None) -> list[dict[str, str]]:
    """The latest attempt of the node on every instance of the benchmark, as predictions."""
    node = archive.node(node_id)
    name = model_name or f"dgm__{archive.name}__{node.id}"
    predictions = []
    for task_id, record in sorted(archive.task_records(node.id).items()):
        latest = record.latest
        if latest is None or latest.benchmark != benchmark:
            continue
        predictions.append({"instance_id": task_id, "model_name_or_path": name,
                            "model_patch": latest.patch})
    if not predictions:
        raise DgmError(f"node {node.id} of run {archive.name} has no {benchmark} results "
                       f"(run it first: dgm bench run {benchmark} --node {archive.name}:{node.id})")
    return predictions


def write_predictions(predictions: list[dict[str, str]], out: Path) -> Path:
    """Write predictions as JSONL (a JSON list for a .json path): the forms swebench reads."""
    if out.suffix not in (".jsonl", ".json"):
        raise DgmError(f"{out}: a predictions file must end in .jsonl or .json (swebench reads "
                       "only those)")
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".json":
        out.write_text(json.dumps(predictions, indent=1) + "\n")
    else:
        out.write_text("".join(json.dumps(p) + "\n" for p in predictions))
    return out
