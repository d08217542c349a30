"""Child process that runs llama.cpp's OpenAI-compatible server (xllamacpp) on 127.0.0.1.

Started by `dgm.llm.local.LocalServer`; not meant to be run by hand. It prints one JSON line with
the address it listens on once the model is loaded, then serves until its stdin closes: the
parent holds the other end, so the server goes away with its parent however the parent ends.
"""

from __future__ import annotations

import argparse
import json
import sys


def main(argv: list[str] | None = None) -> int:
    """Load the model, print {"address": ...}, serve until stdin reaches EOF."""
    parser = argparse.ArgumentParser(prog="python -m dgm.llm.llama_server")
    parser.add_argument("--model", required=True, help="GGUF file")
    parser.add_argument("--alias", required=True, help="model name the server reports")
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--ctx", type=int, default=8192)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--parallel", type=int, default=1)
    args = parser.parse_args(argv)

    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = args.model
    params.model_alias = {args.alias}
    params.hostnames = ["127.0.0.1"]  # never reachable from other machines
    params.port = args.port
    params.n_parallel = args.parallel
    # Each parallel slot gets its own share of the context.
    params.n_ctx = args.ctx * args.parallel
    params.cpuparams.n_threads = args.threads
    params.cpuparams_batch.n_threads = args.threads
    server = xllamacpp.Server(params)
    print(json.dumps({"address": server.listening_address}), flush=True)
    # Block until the parent closes our stdin (or dies); the server runs in its own threads.
    while sys.stdin.buffer.read(4096):
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
