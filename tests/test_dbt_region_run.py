"""A region-week run (edumon:region) and partition pruning on the fixture lake (test_dbt_fixture_lake).

A backfill of one region-week must rebuild that region's rows and the country rows exactly as a full
run would, and a week's build must read only its own lake partitions (docs/architecture.md «Region
runs», docs/performance.md «dbt at national scale»).
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest
from test_dbt_build import _marts, _ok
from test_dbt_fixture_lake import build_lake

from pipelines.config import load_config
from pipelines.transform.project import REGION_TAG, dbt_vars, region_of_run, run_dbt

CHANGED = ("sferum_chats", "RU-KB", "2026-W47")  # the region-week whose delivery is corrected
# Other weeks' and regions' partitions (not the first file of a glob: DuckDB reads that one's schema).
UNREADABLE = (
    ("gis_students", "RU-SMO", "2026-W46"),
    ("sferum_chats", "RU-SMO", "2026-W46"),
    ("sferum_chats", "RU-SMO", "2026-W47"),
)


def _partition(lake: Path, dataset: str, region: str, week: str) -> Path:
    return lake / dataset / f"region={region}" / f"week={week}" / "data.parquet"


def _correct_chats(lake: Path) -> None:
    """A corrected delivery: every chat of the region-week has 12 messages (B2 changes)."""
    path = _partition(lake, *CHANGED)
    corrected = path.with_name("corrected.parquet")
    with duckdb.connect() as con:
        con.execute(
            f"copy (select * replace (cast(12 as bigint) as messages) from read_parquet('{path}')) "
            f"to '{corrected}' (format parquet)"
        )
    os.replace(corrected, path)


def _lake(home: Path) -> Path:
    return build_lake(home / "lake", list(load_config().datasets))


@pytest.fixture(scope="module")
def region_run_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A built warehouse, then a corrected delivery re-run for its region-week alone, with other
    weeks' partitions made unreadable (a build that read them would fail)."""
    home = tmp_path_factory.mktemp("region_run")
    lake = _lake(home)
    # The partial-parsing test reads dbt's debug lines («Partial parsing enabled»), not in the default log.
    with pytest.MonkeyPatch.context() as environment:
        environment.setenv("DBT_LOG_LEVEL_FILE", "debug")
        _build_then_rerun_the_region(home, lake)
    return home


def _build_then_rerun_the_region(home: Path, lake: Path) -> None:
    _ok(run_dbt(["build", "--full-refresh", "--exclude", "resource_type:unit_test"], home))
    _correct_chats(lake)
    for partition in UNREADABLE:
        _partition(lake, *partition).write_bytes(b"not a parquet file")
    _, region, week = CHANGED
    _ok(
        run_dbt(
            ["build", "--exclude", "resource_type:unit_test"],
            home,
            min_week=week,
            max_week=week,
            region=region,
        )
    )


def test_region_run_equals_a_full_run(region_run_home: Path, tmp_path: Path) -> None:
    """After a region-week run, every mart equals a full build of the same lake.

    Covers the region's rows, the other region's rows (kept), the country rows (summed from every
    region, E1's median from every region's requests) and the region rating (re-ranked). Matters
    for `edumon backfill --region`: a backfill must never leave the country or another region
    stale. On failure: diff the marts; look at int_region_measures, mart_unique_key and the
    region filters (macro region_in_run) of the failing mart.
    """
    lake = _lake(tmp_path)
    _correct_chats(lake)
    _ok(run_dbt(["build", "--exclude", "resource_type:test", "resource_type:unit_test"], tmp_path))
    expected = _marts(tmp_path)
    assert _marts(region_run_home) == expected
    b2 = [
        row
        for row in expected["mart_indicators"]
        if row[:3] == ("2026-W47", "region", "RU-KB") and row[6] == "B2"
    ]
    assert b2 and b2[0][7:9] == (2, 2), "the corrected delivery must change RU-KB's B2 (every chat lively)"


def test_week_run_reads_only_its_partitions(region_run_home: Path) -> None:
    """The region-week run succeeded although other weeks' partitions cannot be read.

    Matters for the 52nd week's run costing what the first does: a build that scanned the lake's
    history would read them and fail. On failure: a model reads a source without the macro
    lake_partitions_in_run (dedupe_latest applies it), or a filter no longer reaches the hive
    columns week/region.
    """
    lake = region_run_home / "lake"
    for partition in UNREADABLE:
        with duckdb.connect() as con, pytest.raises(duckdb.Error):
            con.execute(f"select count(*) from read_parquet('{_partition(lake, *partition)}')").fetchall()
    with duckdb.connect(str(region_run_home / "warehouse.duckdb"), read_only=True) as con:
        weeks = con.execute("select distinct week from staging.stg_sferum__chats").fetchall()
    assert weeks == [("2026-W47",)]


def test_region_var_comes_from_the_run_tag() -> None:
    """A Dagster run tagged edumon/region=R passes edumon:region R to dbt; untagged runs all regions.

    Matters for `edumon backfill --region`, which tags its run. On failure: check region_of_run and
    the dbt asset in pipelines/transform/assets.py.
    """
    assert region_of_run({REGION_TAG: "RU-MOW"}) == "RU-MOW"
    assert region_of_run({}) is None
    assert dbt_vars(region="RU-MOW")["edumon:region"] == "RU-MOW"
    assert dbt_vars()["edumon:region"] == "all"
    with pytest.raises(ValueError):
        dbt_vars(region="XX-NOPE")


def test_region_run_keeps_partial_parsing(region_run_home: Path) -> None:
    """The region-week run after a full build re-used dbt's parse: the run's weeks and region are
    its scope (EDUMON_RUN_SCOPE, read when nodes execute), not --vars, whose change re-parses all.

    Matters for every run's fixed cost (issue 13: ≈ 10–25 s of a region backfill was the re-parse).
    On failure: a var that changes per run went back into --vars (pipelines/transform/project.py
    split_run_scope) or a parse-time value (config(), dbt_project.yml) reads the run's scope."""
    from pipelines.transform.project import dbt_target_path

    log = (dbt_target_path(region_run_home) / "dbt.log").read_text(encoding="utf-8")
    last_invocation = log.split("Running with dbt=")[-1]
    assert "Unable to do partial parsing" not in last_invocation
    assert "Partial parsing enabled" in last_invocation
