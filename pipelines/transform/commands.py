"""`edumon dbt -- <dbt arguments>`: dbt by hand, with the vars and home every pipeline run passes.

The `edumon:` vars are defined once, in orchestration.yaml; dbt_project.yml holds none, so a bare
`dbt` call would miss them. This command is the hand call (and the install step's `dbt parse`).
"""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path
from typing import Any

from pipelines.transform.project import DBT_PROJECT_DIR, dbt_command_env, dbt_executable, dbt_vars


def _run(args: argparse.Namespace) -> int:
    arguments = [a for a in args.dbt_arguments if a != "--"] or ["--help"]
    variables = dbt_vars(min_week=args.min_week, max_week=args.max_week, region=args.region)
    command = [dbt_executable(), *arguments, "--vars", json.dumps(variables)]
    env = dbt_command_env(arguments, args.home)  # target/ and dbt.log in the home, as a run's
    return subprocess.run(command, cwd=DBT_PROJECT_DIR, env=env, check=False).returncode


def register(subparsers: Any) -> None:
    dbt = subparsers.add_parser(
        "dbt",
        help="run a dbt command on a home with orchestration.yaml's vars",
        description="dbt in dbt_project/ on the home's warehouse and lake, with every edumon: var from "
        "orchestration.yaml, e.g. `edumon dbt -- test --select mart_indicators`.",
    )
    dbt.add_argument("--home", type=Path, help="edumon home (default ./data or EDUMON_HOME)")
    dbt.add_argument("--min-week", help="first week the run recomputes (default: every week)")
    dbt.add_argument("--max-week", help="last week the run recomputes (default: every week)")
    dbt.add_argument("--region", help="one region code for a region run (default: all)")
    dbt.add_argument("dbt_arguments", nargs=argparse.REMAINDER, help="dbt's own arguments, after --")
    dbt.set_defaults(handler=_run)
