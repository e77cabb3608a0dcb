"""`edumon`: the one entry point for people and scripts.

Each concern registers its own subcommands (a `register(subparsers)` function in its module),
so adding a command never means editing a long if/else here.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
from collections.abc import Sequence

from pipelines.checks import gate_worker
from pipelines.config import ConfigError, home_dir
from pipelines.home_lock import EXIT_HOME_BUSY, HomeBusy, command_lock
from pipelines.secrets import snils_key

# Commands that ingest (the UI through its sensor): outside a demo home they need EDUMON_SNILS_KEY.
INGESTING_COMMANDS = frozenset({"run", "backfill", "ui"})
# Modules that contribute subcommands, in the order `edumon --help` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "pipelines.sources.commands",
    "pipelines.orchestration_commands",
    "pipelines.rating.commands",
    "pipelines.dashboards.commands",
    "pipelines.retention",
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
        if args.command in INGESTING_COMMANDS:  # refused before the lock: the home stays untouched
            snils_key(home_dir(args.home))
        with command_lock(args):  # one writer per home (pipelines/home_lock.py)
            return int(args.handler(args) or 0)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    except HomeBusy as busy:
        print(busy, file=sys.stderr)
        return EXIT_HOME_BUSY


def console_main() -> None:
    """`edumon` as a process (the console script, `python -m pipelines.cli`).

    Python's cyclic garbage collector, set for a short-lived process: the modules the commands
    import (dagster, dagster-dbt, dbt-core: ≈ 290 k tracked objects that live as long as the
    process) are frozen out of every collection once imported, and nothing is collected at exit,
    where interpreter shutdown would otherwise walk every object the run left (≈ 1.5 s of a demo
    run; docs/performance.md). The commands close their files and databases themselves and the
    atexit handlers (the event log's checkpoint, logging's flush) still run. The thresholds stay
    Python's: garbage the run makes is collected as often as before, so no Arrow buffer caught in
    a reference cycle outlives its file longer than it did (the ingest's memory budget counts on
    that). Tests call `main` in their own process, unaffected.
    """
    gate_worker.start_for(sys.argv[1:])  # GE imported on the other core meanwhile (gate_worker.py)
    try:
        build_parser()
        gc.freeze()
        code = main()
        gc.freeze()
    finally:
        gate_worker.stop()
    sys.exit(code)


if __name__ == "__main__":
    console_main()
