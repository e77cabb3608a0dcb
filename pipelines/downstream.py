"""After ingest: the job that rebuilds a week (dbt → publish → rating → dashboards), the sensor that
starts it after ingest runs launched outside `edumon run`, and the one Monday schedule.

`edumon run` starts the job itself after its ingest runs (pipelines/orchestration/runs.py); an
ingest run started from the UI or by the landing sensor is followed by `after_ingest_sensor`, so
a region-week re-run from the UI rebuilds that week's marts, rating and dashboards too. The
Monday schedule records missing deliveries of the week that ended and rebuilds it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import dagster as dg

from pipelines.config import home_dir, load_config
from pipelines.home_lock import busy_reason
from pipelines.ingest.assets import INGEST_KEYS, INVENTORY_KEY, split_partition_key, week_key
from pipelines.ingest.automation import INGEST_JOB, WRITES_WAREHOUSE_TAG
from pipelines.ingest.batching import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG
from pipelines.rating.assets import RATING_ASSET
from pipelines.transform.project import REGION_TAG
from pipelines.weeks import last_complete_week

DOWNSTREAM_JOB = "after_ingest"
WEEKLY_JOB = "weekly_run"
COMMAND_TAG = "edumon/command"  # set on the runs `edumon run` starts (it runs the downstream itself)
_FINISHED = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE]

_INGEST = dg.AssetSelection.assets(*INGEST_KEYS, INVENTORY_KEY)
# Everything after ingest, plus what those stages read that no ingest feeds (dbt seeds, the week
# calendar model): the downstream's whole upstream, minus ingest itself.
DOWNSTREAM = _INGEST.downstream(include_self=False).upstream() - _INGEST.upstream()

after_ingest_job = dg.define_asset_job(
    DOWNSTREAM_JOB,
    selection=DOWNSTREAM,
    executor_def=dg.in_process_executor,
    description="Rebuild the weeks (and region) of the run's tags: dbt build, publish, rating, dashboards",
)
weekly_job = dg.define_asset_job(
    WEEKLY_JOB,
    selection=DOWNSTREAM | dg.AssetSelection.assets(INVENTORY_KEY),
    executor_def=dg.in_process_executor,
    description="The week that ended: missing deliveries recorded, then its marts, rating and dashboards",
)


def rating_week(weeks: list[str]) -> str:
    """The week the run rates: the latest touched week that has ended (else the latest touched)."""
    ended = [week for week in weeks if week <= last_complete_week()]
    return max(ended or weeks)


def downstream_tags(weeks: list[str], region: str | None) -> dict[str, str]:
    """The downstream run's tags: the week range for dbt, the warehouse writer lock, the region."""
    return {
        WRITES_WAREHOUSE_TAG: "true",
        ASSET_PARTITION_RANGE_START_TAG: week_key(weeks[0]),
        ASSET_PARTITION_RANGE_END_TAG: week_key(weeks[-1]),
        **({REGION_TAG: region} if region else {}),
    }


def downstream_run_config(weeks: list[str], home: str) -> dict[str, Any]:
    return {
        "resources": {"edumon": {"config": {"home": home}}},
        "ops": {RATING_ASSET: {"config": {"week": rating_week(weeks), "home": home}}},
    }


def ingested_partitions(tags: Mapping[str, str]) -> list[tuple[str, str]]:
    """(week, region) of an ingest run: its partition, or the ends of its partition range."""
    if "dagster/partition" in tags:
        return [split_partition_key(tags["dagster/partition"])]
    if ASSET_PARTITION_RANGE_START_TAG in tags:
        keys = (tags[ASSET_PARTITION_RANGE_START_TAG], tags[ASSET_PARTITION_RANGE_END_TAG])
        return [split_partition_key(key) for key in keys]
    return []


def follow_up(runs: Sequence[dg.DagsterRun]) -> dg.RunRequest | None:
    """One downstream run over every week the finished ingest runs touched (one region if one)."""
    partitions = [p for run in runs if COMMAND_TAG not in run.tags for p in ingested_partitions(run.tags)]
    if not partitions:
        return None
    weeks = sorted({week for week, _ in partitions})
    regions = {region for _, region in partitions}
    region = next(iter(regions)) if len(regions) == 1 else None
    return dg.RunRequest(
        run_key="after|" + ",".join(sorted(run.run_id for run in runs)),
        run_config=downstream_run_config(weeks, str(home_dir())),
        tags=downstream_tags(weeks, region),
    )


@dg.sensor(
    job=after_ingest_job,
    minimum_interval_seconds=load_config().schedules.landing_sensor_seconds,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="After ingest runs from the UI or the landing sensor: rebuild their weeks "
    "(marts, rating, dashboards); `edumon run` does this itself",
)
def after_ingest_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    now = datetime.now(UTC).timestamp()
    if context.cursor is None:  # a new sensor follows the runs from now on, not the history
        return dg.SensorResult(cursor=str(now))
    records = context.instance.get_run_records(
        filters=dg.RunsFilter(
            job_name=INGEST_JOB,
            statuses=_FINISHED,
            updated_after=datetime.fromtimestamp(float(context.cursor), UTC),
        ),
        order_by="update_timestamp",
        ascending=True,
    )
    if not records:
        return dg.SensorResult(cursor=context.cursor)
    request = follow_up([record.dagster_run for record in records])
    cursor = str(max(record.update_timestamp.timestamp() for record in records))
    return dg.SensorResult(run_requests=[request] if request else [], cursor=cursor)


@dg.schedule(
    name=WEEKLY_JOB,
    job=weekly_job,
    cron_schedule=load_config().schedules.weekly_run.cron,
    execution_timezone=load_config().project.timezone,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Monday 06:00 Moscow: the week that ended — missing deliveries recorded, marts, "
    "the rating edition (kept if already issued), dashboards refreshed",
)
def weekly_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    busy = busy_reason(home_dir())
    if busy:  # another edumon command holds the home: this tick is skipped, not queued behind it
        return dg.SkipReason(busy)
    moment = context.scheduled_execution_time
    week = last_complete_week(moment if moment else None)
    return dg.RunRequest(
        run_key=f"weekly|{week}",
        run_config=downstream_run_config([week], str(home_dir())),
        tags=downstream_tags([week], None),
    )
