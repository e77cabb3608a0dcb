"""What `edumon run | backfill | status` print: progress while a run works, then a short summary.

Drawn with rich: one progress bar per dataset while the ingest runs read files (files and rows,
followed in the load log as each file is checked), a spinner over the downstream run, then a
table of what the run did. Dagster's own events stay in the event log and <home>/logs/edumon.log
(`--verbose` shows them on the console too).
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from pipelines.config import load_config
from pipelines.home import Home
from pipelines.ingest import load_log
from pipelines.ingest.batching import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG
from pipelines.ingest.files import scan_landing
from pipelines.ingest.freshness import missing_deliveries
from pipelines.orchestration.runs import IngestReport
from pipelines.run_log import log_file

_POLL_SECONDS = 0.5
_CHECKED = ("loaded", "replaced", "unchanged", "rejected")  # statuses of a file the ingest read


@contextmanager
def run_console(home: Path, verbose: bool) -> Iterator[Console]:
    """The console of a run's report. Unless `verbose`, what the libraries print while the run
    works (dbt's build log on stdout, INFO lines of Python loggers) goes to <home>/logs/edumon.log
    instead; warnings and errors still reach stderr."""
    console = Console(file=sys.stdout, soft_wrap=True)  # bound now: stdout is redirected below
    if verbose:
        yield console
        return
    path = log_file(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    levels = {handler: handler.level for handler in root.handlers}
    for handler in levels:
        handler.setLevel(max(handler.level, logging.WARNING))
    with path.open("a", encoding="utf-8") as sink, contextlib.redirect_stdout(sink):
        to_file = logging.StreamHandler(sink)
        to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        root.addHandler(to_file)
        try:
            yield console
        finally:
            root.removeHandler(to_file)
            for handler, level in levels.items():
                handler.setLevel(level)


class ConsoleProgress:
    """Progress bars on the console (rich draws nothing but the final state when not a terminal)."""

    def __init__(self, console: Console) -> None:
        self.console = console

    @contextmanager
    def ingest(self, lake: Path, planned: Counter[str]) -> Iterator[None]:
        if not planned:
            yield
            return
        with _progress(self.console) as bars:
            tasks = {
                name: bars.add_task(name, total=count, rows=0) for name, count in sorted(planned.items())
            }
            follower = _LogFollower(load_log.log_path(lake))
            stop = threading.Event()

            def update() -> None:
                files, rows = Counter[str](), Counter[str]()
                while True:
                    for entry in follower.new_entries():
                        if entry.get("status") in _CHECKED and entry.get("dataset") in tasks:
                            files[entry["dataset"]] += 1
                            rows[entry["dataset"]] += entry.get("rows") or 0
                    for name, task in tasks.items():
                        bars.update(task, completed=files[name], rows=rows[name])
                    if stop.wait(_POLL_SECONDS):
                        break

            worker = threading.Thread(target=update, daemon=True)
            worker.start()
            try:
                yield
            finally:
                stop.set()
                worker.join()

    @contextmanager
    def downstream(self, weeks: list[str]) -> Iterator[None]:
        if not weeks:
            yield
            return
        span = weeks[0] if len(weeks) == 1 else f"{weeks[0]}..{weeks[-1]}"
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=self.console,
            redirect_stdout=False,  # dbt's log goes where run_console sent stdout, not above the bar
            redirect_stderr=False,
        ) as spinner:
            spinner.add_task(f"dbt build, publish, rating, dashboards for {span}", total=None)
            yield


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description:<14}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("files  {task.fields[rows]:>12,} rows"),
        TimeElapsedColumn(),
        console=console,
        redirect_stdout=False,
        redirect_stderr=False,
    )


class _LogFollower:
    """The load-log lines appended since it was made (its own file offset: no shared cache)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = path.stat().st_size if path.exists() else 0

    def new_entries(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        with self.path.open("rb") as handle:
            handle.seek(self.offset)
            chunk = handle.read()
        complete = chunk[: chunk.rfind(b"\n") + 1]  # a line being written is read next time
        self.offset += len(complete)
        return [json.loads(line) for line in complete.splitlines() if line.strip()]


def print_summary(report: IngestReport, console: Console | None = None, home: Path | None = None) -> None:
    """The run in a few lines: counts, each rejected file with its rule, missing deliveries, what
    was published and rated."""
    out = console or Console(soft_wrap=True)
    for note in report.recovered:  # before the table, one unwrapped line each: what a crash left
        out.print(Text(f"recovery: {note}"))
    counts = Counter(e.status for e in report.entries)
    table = Table(title="edumon run", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()

    def row(label: str, value: str) -> None:
        table.add_row(label, Text(value))  # plain text: a rule such as [field.type] is not markup

    row("region-weeks read", f"{report.partitions} ({_runs(report)})")
    row("not read again", f"{report.settled} files already in the lake and untouched")
    row(
        "files",
        f"loaded {counts['loaded']}, replaced {counts['replaced']}, unchanged {counts['unchanged']}, "
        f"rejected {counts['rejected']}, unrecognized {counts['unrecognized']}, missing {counts['missing']}",
    )
    for entry in report.entries:
        if entry.status in ("rejected", "unrecognized"):
            row(entry.status, f"{entry.source_file} [{entry.rule}] {(entry.reason or '')[:300]}")
    for (region, week), datasets in _missing(report).items():
        row("missing", f"{region} {week}: {', '.join(datasets)}")
    for name in report.before_calendar:
        row(
            "before calendar",
            f"{name}: its week is before calendar.first_week; to load it set calendar.first_week "
            "in orchestration.yaml to that week or earlier",
        )
    for line in report.downstream:
        row("downstream", line)
    row("published week", report.rated_week or "unchanged (no load changed the marts)")
    row("rating edition", report.edition or "none")
    if home is not None:
        row("log", str(log_file(home)))
    out.print(table)


def _missing(report: IngestReport) -> dict[tuple[str, str], list[str]]:
    """Missing deliveries by region-week (a region that sent nothing is one line, not ten; a region
    without a ГИС sends no gis_*, so its every dataset is the ones it is expected to send)."""
    missing: dict[tuple[str, str], list[str]] = {}
    for entry in report.entries:
        if entry.status == "missing":
            missing.setdefault((entry.region or "", entry.week or ""), []).append(entry.dataset or "")
    config = load_config()
    return {
        key: ["every dataset"] if set(names) >= set(config.expected_datasets(key[0])) else names
        for key, names in missing.items()
    }


def _runs(report: IngestReport) -> str:
    return (
        ", ".join(f"{count} ingest runs {status}" for status, count in sorted(report.runs.items())) or "none"
    )


def print_status(home: Home, instance: dg.DagsterInstance) -> None:
    """Partition states, missing deliveries, unrecognised landing files, recent Dagster runs."""
    states = load_log.current_states(load_log.read_entries(home.lake))
    print(f"home {home.root}")
    for (dataset, region, week), entry in sorted(
        states.items(), key=lambda kv: (kv[0][2], kv[0][1], kv[0][0])
    ):
        rows = entry.rows if entry.rows is not None else ""
        print(f"  {week} {region:7} {dataset:13} {entry.status:9} {rows:>7} {entry.rule or ''}")
    for gap in missing_deliveries(home):
        due = f"{gap.deadline:%Y-%m-%d %H:%M}"
        print(f"  {gap.week} {gap.region:7} {gap.dataset:13} missing   (due {due} Moscow)")
    _, unrecognised = scan_landing(home.landing)
    for item in unrecognised:
        print(f"  unrecognized in landing: {item.path.name} [{item.rule}]")
    print("recent Dagster runs:")
    for record in instance.get_run_records(limit=10):
        run = record.dagster_run
        partition = run.tags.get("dagster/partition", "")
        if ASSET_PARTITION_RANGE_START_TAG in run.tags:  # a batch or a week range: first..last
            first, last = run.tags[ASSET_PARTITION_RANGE_START_TAG], run.tags[ASSET_PARTITION_RANGE_END_TAG]
            partition = f"{first}..{last}"
        print(f"  {run.run_id[:8]} {run.job_name:18} {run.status.value:9} {partition}")
