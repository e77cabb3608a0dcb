"""The runs of `edumon run | backfill`: real Dagster runs in the home's instance.

Runs are executed with `execute_job` against the jobs of `pipelines.definitions` and the
persistent instance in `{home}/dagster` (DAGSTER_HOME), so each shows in the UI's run history.
Every run executes in this process (in-process executor: the definitions are imported once per
command, not once per step), and ingest is one run per batch of region-weeks
(`pipelines.ingest.batching.plan_ingest_runs`).

After ingest, `edumon run` materialises every asset of the Definitions downstream of the ingest
assets (dbt → publish → rating → dashboards) through the job `after_ingest` (pipelines/downstream.py,
the same job the UI's after_ingest_sensor starts). Unpartitioned downstream assets run once;
week-partitioned ones once per touched week; week × region ones once per touched partition.
"""

from __future__ import annotations

import re
from collections import Counter
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import dagster as dg

from pipelines import recovery
from pipelines.config import home_path, load_config
from pipelines.definitions import defs
from pipelines.downstream import (
    COMMAND_TAG,
    DOWNSTREAM_JOB,
    downstream_run_config,
    downstream_tags,
    rating_week,
)
from pipelines.home import Home
from pipelines.ingest import load_log
from pipelines.ingest.assets import ingest_key
from pipelines.ingest.batching import WEEK_TAG, IngestRun, is_settled, plan_ingest_runs
from pipelines.ingest.files import scan_landing
from pipelines.orchestration.instance import prepare_instance
from pipelines.rating.edition import latest_edition

# The week label of a delivered file's name (`{dataset}_{region}_{week}.{ext}`), for the one rule
# the run adds to the landing scan: a week before calendar.first_week fails the run by name.
_WEEK_IN_NAME = re.compile(r"_(\d{4}-W\d{2})\.[A-Za-z]+$")


class Progress(Protocol):
    """What a run shows while it works (pipelines/orchestration/report.py draws it on the console)."""

    def ingest(self, lake: Path, planned: Counter[str]) -> AbstractContextManager[None]:
        """Around the ingest runs; `planned`: files to read per dataset."""
        ...

    def downstream(self, weeks: list[str]) -> AbstractContextManager[None]:
        """Around the downstream run over `weeks`."""
        ...


class Quiet:
    """No progress shown (the library's default; tests and the benchmark)."""

    def ingest(self, lake: Path, planned: Counter[str]) -> AbstractContextManager[None]:
        return nullcontext()

    def downstream(self, weeks: list[str]) -> AbstractContextManager[None]:
        return nullcontext()


@dataclass(frozen=True)
class IngestReport:
    """What one `edumon run` / `edumon backfill` did."""

    entries: list[load_log.LoadEntry]  # load-log rows this run wrote
    runs: Counter[str]  # ingest runs by outcome: success / failed
    downstream: list[str]  # one line per downstream run, "... FAILED ..." when it failed
    partitions: int  # region-weeks with files to read
    settled: int  # files already in the lake and untouched, not read again
    rated_week: str | None = None  # the week the downstream run published and rated
    edition: str | None = None  # the rating edition of that week in outbox/, if any
    before_calendar: list[str] = field(default_factory=list)  # files of weeks before first_week
    recovered: list[str] = field(default_factory=list)  # what this run finished or cleaned after a crash

    @property
    def exit_code(self) -> int:
        """SPEC.md: 2 a stage failed; 1 a delivered file was rejected or not recognised (a name of no
        dataset or region, a week outside the calendar, a hidden file, a link out of landing/); 0 all
        loaded or unchanged."""
        if any("FAILED" in line for line in self.downstream):
            return 2
        not_loaded = any(entry.status in ("rejected", "unrecognized") for entry in self.entries)
        return 1 if not_loaded or self.runs.get("failed") or self.before_calendar else 0

    @property
    def failed(self) -> bool:
        downstream_failed = any("FAILED" in line for line in self.downstream)
        return bool(self.runs.get("failed")) or downstream_failed or bool(self.before_calendar)


def ingest_job_def() -> dg.JobDefinition:
    return defs.resolve_job_def("ingest")


def inventory_job_def() -> dg.JobDefinition:
    return defs.resolve_job_def("landing_inventory")


def downstream_job_def() -> dg.JobDefinition:
    """All assets downstream of ingest, as one job (pipelines/downstream.py)."""
    return defs.resolve_job_def(DOWNSTREAM_JOB)


def _loggers(home: Path, verbose: bool) -> dict[str, Any]:
    """The console shows errors only (the command prints its own report) unless `verbose`; every
    event, DEBUG included, goes to the event log and <home>/logs/edumon.log."""
    return {
        "console": {"config": {"log_level": "DEBUG" if verbose else "ERROR"}},
        "home_log_file": {"config": {"home": str(home)}},
    }


def _run_config(home: Path, verbose: bool = False) -> dict[str, Any]:
    return {"resources": {"edumon": {"config": {"home": str(home)}}}, "loggers": _loggers(home, verbose)}


def run_ingest(instance: dg.DagsterInstance, home: Path, run: IngestRun, verbose: bool = False) -> bool:
    result = dg.execute_job(
        dg.reconstructable(ingest_job_def),
        instance=instance,
        run_config=_run_config(home, verbose),
        tags={**run.tags(ingest_job_def()), COMMAND_TAG: "run", WEEK_TAG: run.week},
        asset_selection=[ingest_key(d) for d in run.datasets],
    )
    return bool(result.success)


def run_inventory(instance: dg.DagsterInstance, home: Path, verbose: bool = False) -> bool:
    result = dg.execute_job(
        dg.reconstructable(inventory_job_def), instance=instance, run_config=_run_config(home, verbose)
    )
    return bool(result.success)


def run_downstream(
    instance: dg.DagsterInstance,
    home: Path,
    partitions: set[tuple[str, str]],
    region: str | None = None,
    verbose: bool = False,
) -> list[str]:
    """Materialise the downstream stages (dbt → publish → rating → dashboards) in ONE run.

    The week-partitioned dbt assets get the range of touched weeks (single-run backfill policy,
    so dbt builds once); the unpartitioned publish, rating and refresh assets run once after it.
    `region` (a one-region backfill) tags the run so dbt rebuilds only that region's rows.
    """
    if not partitions:
        return []
    weeks = sorted({week for week, _ in partitions})
    run_config = {**downstream_run_config(weeks, str(home)), "loggers": _loggers(home, verbose)}
    reflected = recovery.load_log_length(Home(home))
    result = dg.execute_job(
        dg.reconstructable(downstream_job_def),
        instance=instance,
        run_config=run_config,
        tags={**downstream_tags(weeks, region), COMMAND_TAG: "run"},
    )
    if result.success:  # published and rated: the next run need not rebuild these weeks
        recovery.record_published(Home(home), partitions, region, reflected)
    status = "success" if result.success else "FAILED"
    return [f"{DOWNSTREAM_JOB} {weeks[0]}..{weeks[-1]}: {status} (run {result.run_id})"]


def ingest_everything(
    home_root: Path,
    weeks: set[str] | None = None,
    region: str | None = None,
    downstream: str = "changed",
    recheck: bool = False,
    verbose: bool = False,
    progress: Progress | None = None,
) -> IngestReport:
    """Ingest runs over the region-weeks with files in landing, then inventory, then downstream.

    `downstream`: "changed" rebuilds the weeks whose loads changed (a re-run over the same files
    leaves the marts as they are), "all" every touched week (a backfill), "none" stops after ingest.
    A file settled in the lake and untouched since (same stat signature) is not read again unless
    `recheck` (a backfill re-hashes its files): landing keeps every week, and re-hashing a year
    of national weeks (≈ 11 GB each) on every run would make week 52 the slowest.
    """
    shown = progress or Quiet()
    home = Home(home_root)
    instance = prepare_instance(home_root)
    recovered = recovery.recover(home, instance)  # what a killed writer left: files, runs left running
    entries_before = load_log.read_entries(home.lake)
    settled = {} if recheck else load_log.settled_files(entries_before)
    recognised, unrecognised = scan_landing(home.landing)
    by_partition: dict[tuple[str, str], list[str]] = {}
    skipped = 0
    for item in recognised:
        if (weeks is not None and item.week not in weeks) or (region is not None and item.region != region):
            continue
        if is_settled(item, settled, home):
            skipped += 1
            continue
        by_partition.setdefault(item.partition, []).append(item.dataset)
    runs = Counter[str]()
    planned = Counter(dataset for datasets in by_partition.values() for dataset in datasets)
    with shown.ingest(home.lake, planned):
        for run in plan_ingest_runs(by_partition):
            runs["success" if run_ingest(instance, home_root, run, verbose) else "failed"] += 1
        run_inventory(instance, home_root, verbose)
    entries = load_log.read_entries(home.lake)[len(entries_before) :]
    rebuild = {"all": set(by_partition), "changed": load_log.changed_partitions(entries), "none": set()}[
        downstream
    ]
    if downstream == "changed" and not home.root.joinpath(load_config().paths.serving).exists():
        rebuild = set(by_partition)  # nothing published yet: build what there is
    if downstream == "changed":  # loads a killed run left unpublished
        rebuild |= recovery.unpublished_partitions(home)
    rebuilt_weeks = sorted({week for week, _ in rebuild})
    with shown.downstream(rebuilt_weeks):
        statuses = run_downstream(instance, home_root, rebuild, region, verbose)
    rated = rating_week(rebuilt_weeks) if statuses else None
    edition = latest_edition(home_path("outbox", home_root), rated) if rated else None
    return IngestReport(
        entries,
        runs,
        statuses,
        len(by_partition),
        skipped,
        rated_week=rated,
        edition=edition.name if edition else None,
        before_calendar=_before_calendar([u.path.name for u in unrecognised]),
        recovered=recovered,
    )


def _before_calendar(names: list[str]) -> list[str]:
    """Landing files of weeks before calendar.first_week: the monitoring began later, or the
    setting is wrong; either way the run says so instead of calling them unrecognised."""
    first = load_config().calendar.first_week
    return [name for name in names if (match := _WEEK_IN_NAME.search(name)) and match[1] < first]
