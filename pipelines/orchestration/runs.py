"""The runs of `edumon run | backfill`: real Dagster runs in the home's instance.

Runs are executed with `execute_job` against the jobs of `pipelines.definitions` and the
persistent instance in `{home}/dagster` (DAGSTER_HOME), so each shows in the UI's run history.
Every run executes in this process (in-process executor: the definitions are imported once per
command, not once per step), and ingest is one run per batch of region-weeks
(`pipelines.ingest.batching.plan_ingest_runs`).

After ingest, `edumon run` materialises every asset of the Definitions downstream of the ingest
assets (dbt → publish → rating → dashboards) through the job `after_ingest`, which exists as soon
as any such asset is registered in definitions.py. Unpartitioned downstream assets run once;
week-partitioned ones once per touched week; week × region ones once per touched partition.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import dagster as dg

from pipelines.config import load_config
from pipelines.definitions import defs
from pipelines.home import Home
from pipelines.ingest import load_log
from pipelines.ingest.assets import INGEST_KEYS, INVENTORY_KEY, ingest_key
from pipelines.ingest.automation import WRITES_WAREHOUSE_TAG
from pipelines.ingest.batching import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    WEEK_TAG,
    IngestRun,
    plan_ingest_runs,
)
from pipelines.ingest.files import LandingFile, scan_landing, stat_signature
from pipelines.ingest.lake import partition_path
from pipelines.orchestration.instance import prepare_instance
from pipelines.rating.assets import RATING_ASSET
from pipelines.transform.project import REGION_TAG
from pipelines.weeks import last_complete_week

DOWNSTREAM_JOB = "after_ingest"
COMMAND_TAG = "edumon/command"
CHANGING_STATUSES = ("loaded", "replaced", "rejected", "missing")


@dataclass(frozen=True)
class IngestReport:
    """What one `edumon run` / `edumon backfill` did."""

    entries: list[load_log.LoadEntry]  # load-log rows this run wrote
    runs: Counter[str]  # ingest runs by outcome: success / failed
    downstream: list[str]  # one line per downstream run, "... FAILED ..." when it failed
    partitions: int  # region-weeks with files to read
    settled: int  # files already in the lake and untouched, not read again

    @property
    def failed(self) -> bool:
        return bool(self.runs.get("failed")) or any("FAILED" in line for line in self.downstream)


def ingest_job_def() -> dg.JobDefinition:
    return defs.resolve_job_def("ingest")


def inventory_job_def() -> dg.JobDefinition:
    return defs.resolve_job_def("landing_inventory")


def downstream_job_def() -> dg.JobDefinition:
    """All assets downstream of ingest, as one job (the target `execute_job` reconstructs)."""
    job = _downstream_job()
    if job is None:
        raise LookupError(f"no asset lies downstream of ingest: no job {DOWNSTREAM_JOB}")
    return job


@cache  # resolved once per process, not once per call
def _downstream_job() -> dg.JobDefinition | None:
    """All assets downstream of ingest, as one job (None while no stage registered any)."""
    graph = defs.resolve_asset_graph()
    sources = dg.AssetSelection.assets(*INGEST_KEYS, INVENTORY_KEY)
    # Everything after ingest, plus what those stages read that no ingest feeds (dbt seeds, the
    # week calendar model): the downstream's whole upstream, minus ingest itself.
    after_ingest = sources.downstream(include_self=False)
    downstream = (after_ingest.upstream() - sources.upstream()).resolve(graph)
    if not downstream:
        return None
    job = dg.define_asset_job(
        DOWNSTREAM_JOB, selection=dg.AssetSelection.assets(*downstream), executor_def=dg.in_process_executor
    )
    return dg.Definitions(
        assets=defs.assets, asset_checks=defs.asset_checks, resources=defs.resources, jobs=[job]
    ).resolve_job_def(DOWNSTREAM_JOB)


def _run_config(home: Path) -> dict[str, Any]:
    return {"resources": {"edumon": {"config": {"home": str(home)}}}}


def run_ingest(instance: dg.DagsterInstance, home: Path, run: IngestRun) -> bool:
    result = dg.execute_job(
        dg.reconstructable(ingest_job_def),
        instance=instance,
        run_config=_run_config(home),
        tags={**run.tags(ingest_job_def()), COMMAND_TAG: "run", WEEK_TAG: run.week},
        asset_selection=[ingest_key(d) for d in run.datasets],
    )
    return bool(result.success)


def run_inventory(instance: dg.DagsterInstance, home: Path) -> bool:
    result = dg.execute_job(
        dg.reconstructable(inventory_job_def), instance=instance, run_config=_run_config(home)
    )
    return bool(result.success)


def rating_week(weeks: list[str]) -> str:
    """The week the run rates: the latest touched week that has ended (else the latest touched)."""
    ended = [week for week in weeks if week <= last_complete_week()]
    return max(ended or weeks)


def downstream_tags(weeks: list[str], region: str | None) -> dict[str, str]:
    """The downstream run's tags: the week range for dbt, the warehouse writer lock, the region."""
    return {
        WRITES_WAREHOUSE_TAG: "true",
        ASSET_PARTITION_RANGE_START_TAG: weeks[0],
        ASSET_PARTITION_RANGE_END_TAG: weeks[-1],
        **({REGION_TAG: region} if region else {}),
    }


def run_downstream(
    instance: dg.DagsterInstance, home: Path, partitions: set[tuple[str, str]], region: str | None = None
) -> list[str]:
    """Materialise the downstream stages (dbt → publish → rating → dashboards) in ONE run.

    The week-partitioned dbt assets get the range of touched weeks (single-run backfill policy,
    so dbt builds once); the unpartitioned publish, rating and refresh assets run once after it.
    `region` (a one-region backfill) tags the run so dbt rebuilds only that region's rows.
    """
    if _downstream_job() is None or not partitions:
        return []
    weeks = sorted({week for week, _ in partitions})
    tags = downstream_tags(weeks, region)
    run_config = {
        **_run_config(home),
        "ops": {RATING_ASSET: {"config": {"week": rating_week(weeks), "home": str(home)}}},
    }
    result = dg.execute_job(
        dg.reconstructable(downstream_job_def), instance=instance, run_config=run_config, tags=tags
    )
    status = "success" if result.success else "FAILED"
    return [f"{DOWNSTREAM_JOB} {weeks[0]}..{weeks[-1]}: {status} (run {result.run_id})"]


def changed_partitions(entries: list[load_log.LoadEntry]) -> set[tuple[str, str]]:
    """Region-weeks whose state this run changed: only these need the marts rebuilt."""
    return {
        (entry.week, entry.region)
        for entry in entries
        if entry.status in CHANGING_STATUSES and entry.week and entry.region
    }


def ingest_everything(
    home_root: Path,
    weeks: set[str] | None = None,
    region: str | None = None,
    downstream: str = "changed",
    recheck: bool = False,
) -> IngestReport:
    """Ingest runs over the region-weeks with files in landing, then inventory, then downstream.

    `downstream`: "changed" rebuilds the weeks whose loads changed (a re-run over the same files
    leaves the marts as they are), "all" every touched week (a backfill), "none" stops after ingest.
    A file settled in the lake and untouched since (same stat signature) is not read again unless
    `recheck` (a backfill re-hashes its files): landing keeps every week, and re-hashing a year
    of national weeks (≈ 11 GB each) on every run would make week 52 the slowest.
    """
    home = Home(home_root)
    instance = prepare_instance(home_root)
    entries_before = load_log.read_entries(home.lake)
    settled = {} if recheck else load_log.settled_files(entries_before)
    recognised, _ = scan_landing(home.landing)
    by_partition: dict[tuple[str, str], list[str]] = {}
    skipped = 0
    for item in recognised:
        if (weeks is not None and item.week not in weeks) or (region is not None and item.region != region):
            continue
        if _is_settled(item, settled, home):
            skipped += 1
            continue
        by_partition.setdefault(item.partition, []).append(item.dataset)
    runs = Counter[str]()
    for run in plan_ingest_runs(by_partition):
        runs["success" if run_ingest(instance, home_root, run) else "failed"] += 1
    run_inventory(instance, home_root)
    entries = load_log.read_entries(home.lake)[len(entries_before) :]
    rebuild = {"all": set(by_partition), "changed": changed_partitions(entries), "none": set()}[downstream]
    if downstream == "changed" and not home.root.joinpath(load_config().paths.serving).exists():
        rebuild = set(by_partition)  # nothing published yet: build what there is
    statuses = run_downstream(instance, home_root, rebuild, region)
    return IngestReport(entries, runs, statuses, len(by_partition), skipped)


def _is_settled(item: LandingFile, settled: dict[str, str], home: Home) -> bool:
    """The file was checked into its lake partition and has not been touched since."""
    signature = settled.get(item.name)
    return (
        signature is not None
        and signature == stat_signature(item.path)
        and partition_path(home.lake, item.dataset, item.region, item.week).exists()
    )
