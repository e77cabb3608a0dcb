"""`edumon run | backfill | status | ui | expectations`: the command handlers of the pipeline.

Only argument handling and printing live here; the runs are in pipelines/orchestration/ (runs.py:
ingest then downstream as real Dagster runs; instance.py: the home's Dagster instance;
delivery.py: `--landing`; report.py: what the commands print).
"""

from __future__ import annotations

import argparse
import os
import subprocess
from pathlib import Path
from typing import Any

from pipelines.checks.suites import stale_suites, write_suites
from pipelines.config import home_dir, load_config
from pipelines.home import Home
from pipelines.orchestration.delivery import deliver
from pipelines.orchestration.instance import prepare_instance
from pipelines.orchestration.report import ConsoleProgress, print_status, print_summary, run_console
from pipelines.orchestration.runs import ingest_everything
from pipelines.weeks import week_range


def _run(args: argparse.Namespace) -> int:
    home_root = home_dir(args.home)
    if args.landing:
        deliver(Path(args.landing), Home(home_root))
    with run_console(home_root, args.verbose) as console:
        report = ingest_everything(
            home_root,
            downstream="none" if args.ingest_only else "changed",
            verbose=args.verbose,
            progress=ConsoleProgress(console),
        )
    print_summary(report, console, home_root)
    return report.exit_code


def _backfill(args: argparse.Namespace) -> int:
    home_root = home_dir(args.home)
    weeks = set(week_range(args.from_week, args.to_week))
    with run_console(home_root, args.verbose) as console:
        report = ingest_everything(
            home_root,
            weeks,
            args.region,
            downstream="all",
            recheck=True,
            verbose=args.verbose,
            progress=ConsoleProgress(console),
        )
    print_summary(report, console, home_root)
    return report.exit_code


def _status(args: argparse.Namespace) -> int:
    home_root = home_dir(args.home)
    print_status(Home(home_root), prepare_instance(home_root))
    return 0


def _ui(args: argparse.Namespace) -> int:
    home_root = home_dir(args.home)
    prepare_instance(home_root)
    command = ["dagster", "dev", "-m", "pipelines.definitions", "-h", args.host, "-p", str(args.port)]
    print(f"Dagster UI on http://{args.host}:{args.port} (DAGSTER_HOME={os.environ['DAGSTER_HOME']})")
    docs = _serve_data_docs(home_root)
    try:
        return subprocess.call(command, env=os.environ.copy())
    finally:
        if docs is not None:
            docs.shutdown()


def _serve_data_docs(home_root: Path) -> Any:
    """The Data Docs site over http while the UI runs: the asset checks' «data_docs» links open."""
    from pipelines.checks import data_docs

    gates = load_config().gates
    site = data_docs.local_site(home_root / load_config().paths.data_docs)
    try:
        server = data_docs.serve(site, gates.data_docs_host, gates.data_docs_port)
    except OSError as error:  # the port is taken: the UI still starts, the links will not open
        print(f"Data Docs not served on port {gates.data_docs_port} ({error}): set gates.data_docs_port")
        return None
    print(f"Data Docs on http://{gates.data_docs_host}:{gates.data_docs_port}/index.html")
    return server


def _expectations(args: argparse.Namespace) -> int:
    if args.check:
        stale = stale_suites()
        for name in stale:
            print(f"expectations/{name}.json differs from orchestration.yaml: run `edumon expectations`")
        return 1 if stale else 0
    for path in write_suites():
        print(f"wrote {path}")
    return 0


def register(subparsers: Any) -> None:
    run = subparsers.add_parser(
        "run", help="ingest and gate everything in landing, then the downstream stages"
    )
    run.add_argument("--landing", help="a folder of delivered files to copy into the home's landing/ first")
    run.add_argument("--home", help="home folder (default EDUMON_HOME or ./data)")
    run.add_argument(
        "--ingest-only", action="store_true", help="stop after ingest and gates (no dbt, publish, rating)"
    )
    run.add_argument(
        "--verbose", action="store_true", help="print Dagster's events (DEBUG) on the console too"
    )
    run.set_defaults(handler=_run)
    backfill = subparsers.add_parser("backfill", help="re-run ingest (and downstream) for a range of weeks")
    backfill.add_argument("--from", dest="from_week", required=True, help="first ISO week, e.g. 2026-W40")
    backfill.add_argument("--to", dest="to_week", required=True, help="last ISO week, e.g. 2026-W47")
    backfill.add_argument("--region", help="only this region code, e.g. RU-KB")
    backfill.add_argument("--home", help="home folder")
    backfill.add_argument(
        "--verbose", action="store_true", help="print Dagster's events (DEBUG) on the console too"
    )
    backfill.set_defaults(handler=_backfill)
    status = subparsers.add_parser("status", help="partition states, missing deliveries, recent Dagster runs")
    status.add_argument("--home", help="home folder")
    status.set_defaults(handler=_status)
    ui = subparsers.add_parser("ui", help="start the Dagster UI (and daemon) on the home's instance")
    ui.add_argument("--home", help="home folder")
    ui.add_argument("--host", default="127.0.0.1")
    ui.add_argument("--port", type=int, default=3000)
    ui.set_defaults(handler=_ui)
    expectations = subparsers.add_parser(
        "expectations", help="write expectations/*.json from orchestration.yaml"
    )
    expectations.add_argument(
        "--check", action="store_true", help="only check the committed suites are current"
    )
    expectations.set_defaults(handler=_expectations)
