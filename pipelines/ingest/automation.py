"""Dagster jobs, the landing sensor and the weekly schedule of the ingest stage."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import dagster as dg

from pipelines.config import home_dir, load_config
from pipelines.ingest.assets import INGEST_KEYS, landing_inventory, partition_key
from pipelines.ingest.files import LandingFile, scan_landing, sha256_of
from pipelines.ingest.load import Home

INGEST_JOB = "ingest"
INVENTORY_JOB = "landing_inventory"
# Runs that write the warehouse carry this tag; dagster.yaml limits them to one at a time.
WRITES_WAREHOUSE_TAG = "edumon/writes-warehouse"

ingest_job = dg.define_asset_job(
    INGEST_JOB,
    selection=dg.AssetSelection.assets(*INGEST_KEYS),
    executor_def=dg.in_process_executor,  # memory bounded by one partition, 2 cores shared
    description="Load one region-week: every delivered dataset, each gated before the lake",
)
inventory_job = dg.define_asset_job(
    INVENTORY_JOB,
    selection=dg.AssetSelection.assets(landing_inventory),
    executor_def=dg.in_process_executor,
    description="Quarantine unrecognised files; record deliveries missing after their deadline",
)


def _home() -> Home:
    return Home(home_dir())


def pending_by_partition(
    home: Home, known: dict[str, str]
) -> dict[tuple[str, str], list[tuple[LandingFile, str]]]:
    """Landing files whose sha256 differs from what the cursor saw last, grouped by partition."""
    recognised, _ = scan_landing(home.landing)
    pending: dict[tuple[str, str], list[tuple[LandingFile, str]]] = defaultdict(list)
    for item in recognised:
        stamp = _stamp(item.path)
        if known.get(item.name, "").startswith(stamp + "|"):
            continue
        pending[item.partition].append((item, f"{stamp}|{sha256_of(item.path)}"))
    return pending


def _stamp(path: Path) -> str:
    stat = path.stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}"


@dg.sensor(
    jobs=[ingest_job, inventory_job],
    minimum_interval_seconds=load_config().schedules.landing_sensor_seconds,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Starts an ingest run for every region-week with new or replaced files in landing/",
)
def landing_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    home = _home()
    known: dict[str, str] = json.loads(context.cursor or "{}")
    requests = []
    for (week, region), items in sorted(pending_by_partition(home, known).items()):
        shas = sorted(f"{item.dataset}:{stamp.split('|')[1]}" for item, stamp in items)
        requests.append(
            dg.RunRequest(
                job_name=INGEST_JOB,
                run_key=f"{week}|{region}|" + ",".join(shas),
                partition_key=partition_key(week, region),
                asset_selection=[k for k in INGEST_KEYS if k.path[-1] in {item.dataset for item, _ in items}],
                tags={WRITES_WAREHOUSE_TAG: "false"},
            )
        )
        known.update({item.name: stamp for item, stamp in items})
    _, unrecognised = scan_landing(home.landing)
    if unrecognised:
        names = ",".join(sorted(u.path.name for u in unrecognised))
        requests.append(dg.RunRequest(job_name=INVENTORY_JOB, run_key=f"unrecognized|{names}"))
    return dg.SensorResult(run_requests=requests, cursor=json.dumps(known, sort_keys=True))


weekly_schedule = dg.ScheduleDefinition(
    name="weekly_run",
    job=inventory_job,
    cron_schedule=load_config().schedules.weekly_run.cron,
    execution_timezone=load_config().project.timezone,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Monday 06:00 Moscow: record unrecognised and missing deliveries of the week that ended",
)
