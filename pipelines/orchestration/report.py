"""What `edumon run | backfill | status` print: the run's summary and a home's state."""

from __future__ import annotations

from collections import Counter

import dagster as dg

from pipelines.home import Home
from pipelines.ingest import load_log
from pipelines.ingest.batching import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG
from pipelines.ingest.files import scan_landing
from pipelines.ingest.freshness import missing_deliveries
from pipelines.orchestration.runs import IngestReport


def print_summary(report: IngestReport) -> None:
    counts = Counter(e.status for e in report.entries)
    print(
        f"ingest runs: {report.partitions} region-weeks ({dict(report.runs)}); "
        f"{report.settled} files already in the lake and untouched, not read again"
    )
    print(
        f"files loaded {counts['loaded']}, replaced {counts['replaced']}, unchanged {counts['unchanged']}, "
        f"rejected {counts['rejected']}, unrecognized {counts['unrecognized']}, missing {counts['missing']}"
    )
    for entry in report.entries:
        if entry.status in ("rejected", "unrecognized"):
            print(f"  {entry.status}: {entry.source_file} [{entry.rule}] {(entry.reason or '')[:300]}")
        elif entry.status == "missing":
            print(f"  missing: {entry.dataset}_{entry.region}_{entry.week}")
    for line in report.downstream:
        print(f"  {line}")


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
