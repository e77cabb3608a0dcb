"""Publish: the serving snapshot is swapped in atomically and only after a passing dbt build."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from support.publish import publish_lake

from pipelines.publish.serving import PublishError, publish_serving


def _warehouse(path: Path, marker: str) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts; create schema reference")
        con.execute(f"create table marts.mart_indicators as select '{marker}' as week")
        con.execute("create table reference.ref_regions as select 'RU-KB' as region_code")
        con.execute("create table marts.not_a_mart as select 1 as x")
    return path


def test_publish_copies_marts_and_references(tmp_path: Path) -> None:
    """serving.duckdb gets every mart and reference table, in schema main, and no temp file stays.

    Matters for Superset and the rating, which read unqualified table names. On failure: look at
    pipelines/publish/serving.py::_source_tables.
    """
    snapshot = publish_serving(_warehouse(tmp_path / "w.duckdb", "2026-W47"), tmp_path / "serving.duckdb")
    assert snapshot.tables == {"mart_indicators": 1, "ref_regions": 1}
    with duckdb.connect(str(snapshot.path), read_only=True) as con:
        assert con.execute("select week from mart_indicators").fetchone() == ("2026-W47",)
    assert not (tmp_path / "serving.duckdb.tmp").exists()


def test_failed_copy_leaves_previous_snapshot(tmp_path: Path) -> None:
    """A warehouse without marts publishes nothing: the previous serving file is byte-identical.

    Matters because dashboards only show a published, gated snapshot. On failure: publish must
    write the temp file completely before os.replace.
    """
    serving = tmp_path / "serving.duckdb"
    publish_serving(_warehouse(tmp_path / "w.duckdb", "old"), serving)
    before = serving.read_bytes()
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(PublishError):
        publish_serving(empty, serving)
    assert serving.read_bytes() == before
    assert not (tmp_path / "serving.duckdb.tmp").exists()


def test_failed_dbt_build_leaves_previous_snapshot(tmp_path: Path) -> None:
    """A dbt build that fails (here: no lake at all) raises and leaves serving.duckdb untouched.

    Matters for every failed run. Runs `edumon run`'s downstream Dagster run (the one publish
    path). On failure: serving_snapshot must depend on the dbt assets, whose failure stops the run
    before it (pipelines/publish/assets.py).
    """
    home = tmp_path / "home"
    home.mkdir()
    serving = home / "serving.duckdb"
    publish_serving(_warehouse(tmp_path / "w.duckdb", "old"), serving)
    before = serving.read_bytes()
    statuses = publish_lake(home, {("2026-W47", "RU-KB")})
    assert len(statuses) == 1 and "FAILED" in statuses[0], statuses
    assert serving.read_bytes() == before


def test_republish_rewrites_only_changed_weeks(tmp_path: Path) -> None:
    """A second publish holds exactly the warehouse's rows and writes only the weeks that changed.

    Matters for the weekly run (issue 13): a whole copy of every mart grew with the weeks kept. On
    failure: look at pipelines/publish/serving.py::_publish_table (the per-week digest).
    """
    warehouse, serving = tmp_path / "w.duckdb", tmp_path / "serving.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.mart_indicators as select '2026-W4' || (i % 3) as week, i as value "
            "from range(3000) as t(i)"
        )
    first = publish_serving(warehouse, serving)
    assert first.rewritten == {"mart_indicators": ["*"]}
    with duckdb.connect(str(warehouse)) as con:
        con.execute("update marts.mart_indicators set value = -value where week = '2026-W41'")
        con.execute("delete from marts.mart_indicators where week = '2026-W42'")
    second = publish_serving(warehouse, serving)
    assert second.rewritten == {"mart_indicators": ["2026-W41", "2026-W42"]}
    assert publish_serving(warehouse, serving).rewritten == {}  # nothing changed since
    with duckdb.connect(str(serving), read_only=True) as con, duckdb.connect(str(warehouse)) as wh:
        published = sorted(con.execute("select week, value from mart_indicators").fetchall())
        assert published == sorted(wh.execute("select week, value from marts.mart_indicators").fetchall())
