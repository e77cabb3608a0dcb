"""`edumon rating --week W [--reissue --reason TEXT] [--home DIR]`.

Runs the rating job as a real Dagster run recorded in the home's Dagster instance
(DAGSTER_HOME = home/dagster), so a hand-made edition shows in the Dagster UI like a scheduled one.
"""

from __future__ import annotations

import argparse
import sys

from dagster import DagsterInstance, ExecuteInProcessResult

from pipelines.config import home_dir, home_path
from pipelines.rating.assets import RATING_JOB, WEEK_TAG, rating_definitions, rating_run_config
from pipelines.rating.edition import exists_message, latest_edition
from pipelines.weeks import last_complete_week, parse_week


def dagster_instance(home: str | None) -> DagsterInstance:
    """The persistent Dagster instance of the home folder (its run history and event log)."""
    folder = home_path("dagster_home", home)
    folder.mkdir(parents=True, exist_ok=True)
    return DagsterInstance.from_config(str(folder))


def run_rating_job(
    week: str, home: str | None, reissue: bool = False, reason: str = ""
) -> ExecuteInProcessResult:
    job = rating_definitions().resolve_job_def(RATING_JOB)
    with dagster_instance(home) as instance:
        return job.execute_in_process(
            # The terminal gets the run's INFO lines; the full DEBUG event log is in the Dagster UI.
            run_config=rating_run_config(week, reissue, reason, str(home_dir(home)), log_level="INFO"),
            instance=instance,
            tags={WEEK_TAG: week, "edumon/trigger": "cli"},
            raise_on_error=False,
        )


def _failure_message(result: ExecuteInProcessResult) -> str:
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data.error:
            return event.step_failure_data.error.message.strip()
    return "the rating run failed; see the run in the Dagster UI (edumon ui)"


def _check_reissue(args: argparse.Namespace) -> None:
    if args.reissue and not (args.reason or "").strip():
        args.parser.error("--reissue needs --reason TEXT (the manifest tells the ministry why)")
    if args.reason and not args.reissue:
        args.parser.error("--reason only goes with --reissue")


def handle_rating(args: argparse.Namespace) -> int:
    _check_reissue(args)
    week = args.week or last_complete_week()
    existing = latest_edition(home_path("outbox", args.home), week)
    if existing is not None and not args.reissue:
        print(f"edumon rating: {exists_message(existing)}", file=sys.stderr)
        return 1
    result = run_rating_job(week, args.home, args.reissue, args.reason or "")
    if not result.success:
        print(f"edumon rating: {_failure_message(result)} (Dagster run {result.run_id})", file=sys.stderr)
        return 1
    edition = latest_edition(home_path("outbox", args.home), week)
    assert edition is not None  # the run succeeded, so it wrote one
    print(f"{edition.name} issued (Dagster run {result.run_id}):")
    for path in (*(edition.data_file(ext) for ext in ("xlsx", "csv", "json")), edition.manifest):
        print(f"  {path}")
    return 0


def _week(value: str) -> str:
    try:
        parse_week(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "rating",
        help="issue the ministry's weekly rating edition (XLSX, CSV, JSON + manifest) into outbox/",
        description="Write outbox/rating_{week}_v{n}.xlsx|.csv|.json and its manifest from the published "
        "serving snapshot, as a Dagster run. An existing edition is never overwritten: "
        "--reissue --reason TEXT writes the next version.",
    )
    parser.add_argument(
        "--week", type=_week, help="ISO week, e.g. 2026-W47 (default: the last complete week)"
    )
    parser.add_argument("--reissue", action="store_true", help="write the next version of an issued week")
    parser.add_argument("--reason", help="why the week is re-issued (required with --reissue)")
    parser.add_argument("--home", help="working folder (default: EDUMON_HOME or ./data)")
    parser.set_defaults(handler=handle_rating, parser=parser)
