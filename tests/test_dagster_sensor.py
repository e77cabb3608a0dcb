"""The landing sensor and the weekly schedule of pipelines.definitions."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from pipelines.definitions import defs
from pipelines.ingest.automation import landing_sensor, weekly_schedule

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
    assert request.partition_key == dg.MultiPartitionKey({"week": "2026-W47", "region": "RU-KB"})
    assert request.asset_selection == [dg.AssetKey(["lake", "sferum_orgs"])]
    assert request.run_key and "sferum_orgs:" in request.run_key
    again = _evaluate(first.cursor)
    assert not again.run_requests
    path.write_text(CSV + "7728168971,S2,2026-09-02,active\n", encoding="utf-8")
    replaced = _evaluate(first.cursor)
    assert len(replaced.run_requests or []) == 1
    assert (replaced.run_requests or [])[0].run_key != request.run_key


def test_weekly_schedule_is_monday_six_moscow() -> None:
    """The weekly run is Monday 06:00 Europe/Moscow, from orchestration.yaml. Matters: the
    ministry's week closes on Monday morning. Resolve: schedules.weekly_run in orchestration.yaml."""
    assert weekly_schedule.cron_schedule == "0 6 * * 1"
    assert weekly_schedule.execution_timezone == "Europe/Moscow"


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
    assert batch.tags["dagster/asset_partition_range_start"] == f"{first}|2026-W47"
    assert batch.tags["dagster/asset_partition_range_end"] == f"{second}|2026-W47"
    assert batch.asset_selection == [dg.AssetKey(["lake", "sferum_orgs"])]
    assert single.partition_key == dg.MultiPartitionKey({"week": "2026-W47", "region": far})
    (landing / f"sferum_orgs_{second}_2026-W47.csv").write_text(CSV + "7728168971,S2,2026-09-02,active\n")
    replaced = _evaluate(result.cursor).run_requests or []  # only the replaced file is new
    expected = dg.MultiPartitionKey({"week": "2026-W47", "region": second})
    assert [r.partition_key for r in replaced] == [expected]
