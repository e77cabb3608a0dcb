"""The sensors and the one weekly schedule of pipelines.definitions, and the partitions the UI shows."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from pipelines.config import load_config
from pipelines.definitions import defs
from pipelines.downstream import COMMAND_TAG, DOWNSTREAM_JOB, WEEKLY_JOB, follow_up, weekly_schedule
from pipelines.ingest import load_log
from pipelines.ingest.assets import PARTITIONS, week_key, week_of_key
from pipelines.ingest.automation import landing_sensor
from pipelines.ingest.files import calendar_weeks, stat_signature
from pipelines.ingest.lake import partition_path
from pipelines.transform.assets import week_partitions
from pipelines.weeks import current_week, week_monday

CSV = "org_inn,sferum_org_id,connected_on,status\n7707083893,S1,2026-09-01,active\n"


def _evaluate(cursor: str | None) -> dg.SensorResult:
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance, cursor=cursor, definitions=defs)
        result = landing_sensor(context)
    assert isinstance(result, dg.SensorResult)
    return result


def test_sensor_runs_new_and_replaced_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new file in landing/ starts one ingest run for its region-week (run_key carries the
    sha256); the same file again starts nothing; a replaced file starts a new run. Matters:
    deliveries load without anyone pressing a button, and exactly once. Resolve: see
    automation.landing_sensor and its cursor of size/mtime/sha256 per file."""
    monkeypatch.setenv("EDUMON_HOME", str(tmp_path))
    landing = tmp_path / "landing"
    landing.mkdir()
    path = landing / "sferum_orgs_RU-KB_2026-W47.csv"
    path.write_text(CSV, encoding="utf-8")
    first = _evaluate(None)
    assert len(first.run_requests or []) == 1
    request = (first.run_requests or [])[0]
    assert request.partition_key == dg.MultiPartitionKey({"week": "2026-11-16", "region": "RU-KB"})
    assert request.asset_selection == [dg.AssetKey(["lake", "sferum_orgs"])]
    assert request.run_key and "sferum_orgs:" in request.run_key
    again = _evaluate(first.cursor)
    assert not again.run_requests
    path.write_text(CSV + "7728168971,S2,2026-09-02,active\n", encoding="utf-8")
    replaced = _evaluate(first.cursor)
    assert len(replaced.run_requests or []) == 1
    assert (replaced.run_requests or [])[0].run_key != request.run_key


def test_one_weekly_schedule_rebuilds_the_week_that_ended() -> None:
    """ONE schedule, Monday 06:00 Europe/Moscow (orchestration.yaml), and its run covers the week
    that ended from the inventory to the dashboards. Matters: two Monday schedules disagreed (one
    recorded missing files, the other rated without rebuilding). Resolve: pipelines/downstream.py
    and the schedules list of pipelines/definitions.py."""
    schedules = list(defs.schedules or [])
    assert [s.name for s in schedules] == [WEEKLY_JOB]
    assert weekly_schedule.cron_schedule == "0 6 * * 1"
    assert weekly_schedule.execution_timezone == "Europe/Moscow"
    job = defs.resolve_job_def(WEEKLY_JOB)
    keys = {key.to_user_string() for key in job.asset_layer.executable_asset_keys}
    assert {"lake/landing_inventory", "serving_snapshot", "rating_edition"} <= keys
    assert any(key.endswith("mart_indicators") for key in keys)
    assert "superset_refresh" in keys and not any(key.startswith("lake/sferum") for key in keys)
    monday = datetime(2026, 11, 23, 6, 0, tzinfo=ZoneInfo("Europe/Moscow"))
    with dg.instance_for_test() as instance:
        context = dg.build_schedule_context(instance=instance, scheduled_execution_time=monday)
        request = weekly_schedule.evaluate_tick(context).run_requests[0]  # type: ignore[index]
    assert request.tags["dagster/asset_partition_range_start"] == "2026-11-16"
    assert request.tags["dagster/asset_partition_range_end"] == "2026-11-16"
    assert request.run_config["ops"]["rating_edition"]["config"]["week"] == "2026-W47"


def test_partitions_end_at_the_current_week() -> None:
    """The ingest and dbt partitions run from calendar.first_week to the current week, not to
    calendar.last_week (2027-W52: thousands of empty partitions, "0 % filled"); a week's key is its
    Monday. Resolve: ingest.assets.week_partitions_def and files.calendar_weeks."""
    weeks = calendar_weeks()
    assert weeks[0] == load_config().calendar.first_week and weeks[-1] == current_week()
    keys = week_partitions().get_partition_keys()
    assert keys[-1] == week_monday(current_week()).isoformat()
    assert [week_of_key(key) for key in keys] == weeks
    assert PARTITIONS.get_partitions_def_for_dimension("week").get_partition_keys() == keys
    assert week_key("2026-W47") == "2026-11-16" and week_of_key("2026-11-16") == "2026-W47"


def test_the_partitions_reach_the_week_of_each_call_without_a_reload() -> None:
    """The definitions are loaded once; asked later (the webserver reads them from the code
    location's snapshot), the week partitions end at the week in progress at that moment, and never
    pass calendar.last_week. Matters: a code location loaded on Friday showed no partition for the
    next Monday's deliveries until it was restarted. Resolve: ingest.assets.week_partitions_def
    (a time window with end_offset=1, not a list fixed at load)."""
    from dagster._core.definitions.partitions.snap.snap import PartitionsSnap

    served = PartitionsSnap.from_def(PARTITIONS).get_partitions_definition()  # what the UI holds
    served_weeks = served.get_partitions_def_for_dimension("week")  # type: ignore[attr-defined]
    moscow = ZoneInfo("Europe/Moscow")
    for moment, week in (
        (datetime(2026, 11, 22, 23, 59, tzinfo=moscow), "2026-W47"),  # Sunday night
        (datetime(2026, 11, 23, 0, 1, tzinfo=moscow), "2026-W48"),  # Monday morning
        (datetime(2027, 1, 4, 9, 0, tzinfo=moscow), "2027-W01"),
    ):
        for definition in (week_partitions(), served_weeks):
            keys = definition.get_partition_keys(current_time=moment)
            assert week_of_key(keys[-1]) == week, f"at {moment}: {keys[-1]}"
            assert week_of_key(keys[0]) == load_config().calendar.first_week
    last = load_config().calendar.last_week
    after = datetime.combine(week_monday(last), datetime.min.time(), moscow) + timedelta(weeks=10)
    assert week_of_key(week_partitions().get_partition_keys(current_time=after)[-1]) == last


def test_an_ingest_run_from_the_ui_is_followed_by_its_week() -> None:
    """An ingest run of one region-week started from the UI (or by the landing sensor) gets a
    downstream run over that week and region (dbt → publish → rating → dashboards); a run `edumon
    run` started gets none (it runs the downstream itself). Resolve: downstream.follow_up."""
    ui_run = dg.DagsterRun(job_name="ingest", run_id="a" * 36, tags={"dagster/partition": "RU-KB|2026-11-09"})
    request = follow_up([ui_run])
    assert request is not None
    assert request.tags["dagster/asset_partition_range_start"] == "2026-11-09"
    assert request.tags["dagster/asset_partition_range_end"] == "2026-11-09"
    assert request.tags["edumon/region"] == "RU-KB"
    assert request.run_config["ops"]["rating_edition"]["config"]["week"] == "2026-W46"
    assert (
        follow_up(
            [dg.DagsterRun(job_name="ingest", run_id="b" * 36, tags={**ui_run.tags, COMMAND_TAG: "run"})]
        )
        is None
    )
    batch = dg.DagsterRun(
        job_name="ingest",
        run_id="c" * 36,
        tags={
            "dagster/asset_partition_range_start": "RU-AD|2026-11-16",
            "dagster/asset_partition_range_end": "RU-AL|2026-11-16",
        },
    )
    both = follow_up([ui_run, batch])
    assert both is not None and "edumon/region" not in both.tags
    assert both.tags["dagster/asset_partition_range_end"] == "2026-11-16"
    assert defs.resolve_job_def(DOWNSTREAM_JOB) is not None


def test_sensor_does_not_reingest_what_edumon_run_settled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new sensor (empty cursor: `edumon ui` on a home `edumon run` loaded) starts no run for a
    file the load log says is in the lake and untouched since; a file changed since does start
    one. Matters: starting the UI re-ingested every settled week. Resolve: pending_by_partition
    in ingest/automation.py and batching.is_settled."""
    monkeypatch.setenv("EDUMON_HOME", str(tmp_path))
    landing = tmp_path / "landing"
    landing.mkdir()
    path = landing / "sferum_orgs_RU-KB_2026-W47.csv"
    path.write_text(CSV, encoding="utf-8")
    lake = tmp_path / "lake"
    partition_path(lake, "sferum_orgs", "RU-KB", "2026-W47").parent.mkdir(parents=True)
    partition_path(lake, "sferum_orgs", "RU-KB", "2026-W47").write_bytes(b"")
    entry = load_log.LoadEntry(
        "l1", "sferum_orgs", "RU-KB", "2026-W47", path.name, "0" * 64, 1, "loaded", None, None,
        load_log.now_iso(), None, stat_signature(path),
    )  # fmt: skip
    load_log.append(lake, entry)
    settled = _evaluate(None)
    assert not settled.run_requests
    path.write_text(CSV + "7728168971,S2,2026-09-02,active\n", encoding="utf-8")
    assert len(_evaluate(settled.cursor).run_requests or []) == 1


def test_sensor_batches_neighbouring_regions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """New files of neighbouring regions of a week (same datasets) start ONE run over a partition
    range; a region further away gets its own run with its partition key. Matters: on a Monday when
    all 89 regions deliver, the daemon launches one run (one process importing the definitions),
    not 89. Resolve: automation.landing_sensor and ingest.batching.plan_ingest_runs."""
    from pipelines.config import region_codes

    monkeypatch.setenv("EDUMON_HOME", str(tmp_path))
    landing = tmp_path / "landing"
    landing.mkdir()
    first, second, far = region_codes()[0], region_codes()[1], region_codes()[5]
    for region in (first, second, far):
        (landing / f"sferum_orgs_{region}_2026-W47.csv").write_text(CSV, encoding="utf-8")
    result = _evaluate(None)
    requests = result.run_requests or []
    assert len(requests) == 2
    batch, single = requests
    assert batch.partition_key is None
    assert batch.tags["dagster/asset_partition_range_start"] == f"{first}|2026-11-16"
    assert batch.tags["dagster/asset_partition_range_end"] == f"{second}|2026-11-16"
    assert batch.asset_selection == [dg.AssetKey(["lake", "sferum_orgs"])]
    assert single.partition_key == dg.MultiPartitionKey({"week": "2026-11-16", "region": far})
    (landing / f"sferum_orgs_{second}_2026-W47.csv").write_text(CSV + "7728168971,S2,2026-09-02,active\n")
    replaced = _evaluate(result.cursor).run_requests or []  # only the replaced file is new
    expected = dg.MultiPartitionKey({"week": "2026-11-16", "region": second})
    assert [r.partition_key for r in replaced] == [expected]
