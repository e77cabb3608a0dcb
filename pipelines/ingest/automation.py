"""Dagster jobs and the landing sensor of the ingest stage (the Monday schedule: pipelines/downstream.py)."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict

import dagster as dg

from pipelines.config import home_dir, load_config
from pipelines.home import Home
from pipelines.home_lock import busy_reason
from pipelines.ingest import load_log
from pipelines.ingest.assets import INGEST_KEYS, landing_inventory, partition_key
from pipelines.ingest.batching import WEEK_TAG, IngestRun, is_settled, plan_ingest_runs
from pipelines.ingest.files import LandingFile, scan_landing, sha256_of, stat_signature

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
    """Landing files whose sha256 differs from what the cursor saw last, grouped by partition.

    A file `edumon run` already checked into the lake and untouched since is not pending: a new
    sensor (`edumon ui` on a home that ran) starts with an empty cursor and must not re-ingest it;
    such files are marked settled in `known`, so the next tick skips them without the load log.
    """
    recognised, _ = scan_landing(home.landing)
    pending: dict[tuple[str, str], list[tuple[LandingFile, str]]] = defaultdict(list)
    settled: dict[str, str] | None = None
    for item in recognised:
        stamp = stat_signature(item.path)
        if known.get(item.name, "").startswith(stamp + "|"):
            continue
        if settled is None:  # the load log is read only when the cursor does not know a file
            settled = load_log.settled_files(load_log.read_entries(home.lake))
        if is_settled(item, settled, home):
            known[item.name] = f"{stamp}|settled"
            continue
        pending[item.partition].append((item, f"{stamp}|{sha256_of(item.path)}"))
    return pending


def _ingest_request(run: IngestRun, items: list[tuple[LandingFile, str]]) -> dg.RunRequest:
    """The sensor's run of a batch; its run_key names every file's sha256 (a replaced file is new)."""
    shas = sorted(f"{item.dataset}:{stamp.split('|')[1]}" for item, stamp in items)
    selection = [k for k in INGEST_KEYS if k.path[-1] in run.datasets]
    tags = {WRITES_WAREHOUSE_TAG: "false", WEEK_TAG: run.week}
    if len(run.regions) == 1:
        return dg.RunRequest(
            job_name=INGEST_JOB,
            run_key=f"{run.week}|{run.regions[0]}|" + ",".join(shas),
            partition_key=partition_key(run.week, run.regions[0]),
            asset_selection=selection,
            tags=tags,
        )
    per_region = sorted(f"{item.region}:{item.dataset}:{stamp.split('|')[1]}" for item, stamp in items)
    digest = hashlib.sha256(",".join(per_region).encode("utf-8")).hexdigest()
    return dg.RunRequest(
        job_name=INGEST_JOB,
        run_key=f"{run.week}|{run.regions[0]}..{run.regions[-1]}|{digest}",
        asset_selection=selection,
        tags={**tags, **run.tags(None)},
    )


@dg.sensor(
    jobs=[ingest_job, inventory_job],
    minimum_interval_seconds=load_config().schedules.landing_sensor_seconds,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Starts ingest runs for the region-weeks with new or replaced files in landing/ "
    "(neighbouring regions of a week in one run over a partition range)",
)
def landing_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    home = _home()
    busy = busy_reason(home.root)
    if busy:  # the cursor stays: the next tick sees the same files
        return dg.SkipReason(busy)
    known: dict[str, str] = json.loads(context.cursor or "{}")
    pending = pending_by_partition(home, known)
    requests = []
    # Neighbouring regions of a week with the same new datasets share one run (as in `edumon run`):
    # on a Monday when every region delivers, that is one launched run, not 89.
    planned = plan_ingest_runs({part: [item.dataset for item, _ in items] for part, items in pending.items()})
    for run in planned:
        items = [pair for region in run.regions for pair in pending[(run.week, region)]]
        requests.append(_ingest_request(run, items))
        known.update({item.name: stamp for item, stamp in items})
    _, unrecognised = scan_landing(home.landing)
    if unrecognised:
        names = ",".join(sorted(u.path.name for u in unrecognised))
        requests.append(dg.RunRequest(job_name=INVENTORY_JOB, run_key=f"unrecognized|{names}"))
    return dg.SensorResult(run_requests=requests, cursor=json.dumps(known, sort_keys=True))
