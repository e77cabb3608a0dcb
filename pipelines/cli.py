"""`edumon`: the one entry point for people and scripts.

Each concern registers its own subcommands (a `register(subparsers)` function in its module),
so adding a command never means editing a long if/else here.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from pipelines.config import ConfigError

# Modules that contribute subcommands, in the order `edumon --help` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "pipelines.sources.commands",
    "pipelines.orchestration_commands",
    "pipelines.rating.commands",
    "pipelines.dashboards.commands",
    "pipelines.transform.commands",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="edumon",
        description="Weekly monitoring warehouse of the digital school environment (ЦОС).",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
