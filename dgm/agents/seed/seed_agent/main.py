"""Command line of the seed agent: `seed-agent --task-file TASK --workdir DIR`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from seed_agent.agent import Agent, Settings
from seed_agent.model import Model, ModelError

# Exit codes the runner relies on: done or out of steps are the agent's own outcome; 3 means
# the model could not be reached, an infrastructure failure that must not count against it.
EXIT_OK, EXIT_LIMIT, EXIT_USAGE, EXIT_INFRA = 0, 1, 2, 3
PACKAGE_DIR = Path(__file__).resolve().parent


def default_skills() -> Path:
    """skills/ next to the package in a source tree; inside the package once installed."""
    beside = PACKAGE_DIR.parent / "skills"
    if (PACKAGE_DIR.parent / "pyproject.toml").is_file() and beside.is_dir():
        return beside
    return PACKAGE_DIR / "skills"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The agent's options."""
    parser = argparse.ArgumentParser(prog="seed-agent", description=__doc__)
    task = parser.add_mutually_exclusive_group(required=True)
    task.add_argument("--task", help="the task statement")
    task.add_argument("--task-file", type=Path, help="file holding the task statement")
    parser.add_argument("--workdir", type=Path, default=Path.cwd(), help="repository to work in")
    parser.add_argument("--trajectory", type=Path, help="where to write the trajectory (JSON)")
    parser.add_argument("--skills", type=Path, default=default_skills(),
                        help="folder of skills/*.md to load into the prompt")
    defaults = Settings()
    parser.add_argument("--max-steps", type=int, default=defaults.max_steps)
    parser.add_argument("--max-tokens", type=int, default=defaults.max_tokens)
    parser.add_argument("--command-timeout", type=float, default=defaults.command_timeout)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Run the agent on one task and exit with a code the runner understands."""
    args = parse_args(argv)
    task = args.task if args.task is not None else args.task_file.read_text()
    if not args.workdir.is_dir():
        print(f"seed-agent: workdir {args.workdir} is not a directory", file=sys.stderr)
        sys.exit(EXIT_USAGE)
    try:
        model = Model.from_env()
    except ModelError as exc:
        print(f"seed-agent: {exc}", file=sys.stderr)
        sys.exit(EXIT_INFRA)
    settings = Settings(max_steps=args.max_steps, max_tokens=args.max_tokens,
                        command_timeout=args.command_timeout)
    agent = Agent(model, settings, skills_dir=args.skills)
    traj = agent.run(task, args.workdir.resolve(), args.trajectory)
    print(f"seed-agent: {traj.status} after {len(traj.steps)} steps, "
          f"{traj.prompt_tokens + traj.completion_tokens} tokens"
          + (f" ({traj.reason})" if traj.reason else ""), file=sys.stderr)
    if traj.status == "model_error":
        sys.exit(EXIT_INFRA)
    sys.exit(EXIT_OK if traj.status == "submitted" else EXIT_LIMIT)


if __name__ == "__main__":
    main()
