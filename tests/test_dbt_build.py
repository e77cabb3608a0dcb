"""`dbt build` on a small lake: models, data tests and unit tests pass; marts are right and stable.

The lake is tests/test_dbt_fixture_lake.py's (two regions × two weeks, one rejected delivery).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest
from test_dbt_fixture_lake import build_lake

from pipelines.config import load_config
from pipelines.transform.project import run_dbt

MARTS = (
    "mart_indicators",
    "mart_weekly_adoption",
    "mart_chat_activity",
    "mart_profile_completeness",
    "mart_data_quality",
    "mart_region_rating",
    "mart_municipal_rating",
    "mart_requests",
)


def _ok(result: Any) -> None:
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def _marts(home: Path) -> dict[str, list[tuple[Any, ...]]]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return {m: sorted(con.execute(f"select * from marts.{m}").fetchall(), key=repr) for m in MARTS}


@pytest.fixture(scope="module")
def built_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("dbt_home")
    build_lake(home / "lake", list(load_config().datasets))
    _ok(run_dbt(["build", "--full-refresh"], home))
    return home


def _indicator(home: Path, week: str, level: str, unit: str, indicator: str) -> tuple[Any, ...]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        row = con.execute(
            "select numerator, denominator, value, meets_target from marts.mart_indicators "
            "where week = ? and level = ? and unit_id = ? and indicator = ?",
            [week, level, unit, indicator],
        ).fetchone()
    assert row is not None, (week, level, unit, indicator)
    return tuple(row)


def test_build_passes_and_fills_every_indicator(built_home: Path) -> None:
    """dbt build (models, data tests, unit tests) passed and every indicator has a country row.

    Matters for every release: the dashboards and the rating read these rows. On failure: the
    fixture's output shows which model or test failed; run `dbt build` in dbt_project/ with
    EDUMON_LAKE pointing at a lake to reproduce.
    """
    with duckdb.connect(str(built_home / "warehouse.duckdb"), read_only=True) as con:
        found = {r[0] for r in con.execute("select distinct indicator from marts.mart_indicators").fetchall()}
    expected = set(load_config().indicators)
    assert found == expected


def test_fixture_lake_numbers(built_home: Path) -> None:
    """Known values on the fixture lake, computed by hand from test_dbt_fixture_lake.py.

    RU-KB 2026-W47: A1 = 1 of 2 active general schools (closed school left out); B2 = 1 of 2
    teacher chats (10 messages lively, 9 not); A8 = 1/1 municipality whose management body has an
    active Сферум profile; A11 = 1 of 2 pedagogical staff (school 1's content, largest kind 1);
    C2 = 4 of 8 (recommendations on 2 or 3 portfolio documents); C7 = 4 of 8;
    E1 median of 1, 3, 5 hours = 3; country C1 = 5 + 5 complete of 16 students. Matters when a
    definition changes. On failure: recompute by hand and fix the model or the fixture.
    """
    assert _indicator(built_home, "2026-W47", "region", "RU-KB", "A1")[:3] == (1, 2, 0.5)
    assert _indicator(built_home, "2026-W47", "region", "RU-KB", "B2")[:3] == (1, 2, 0.5)
    assert _indicator(built_home, "2026-W47", "region", "RU-KB", "A8")[:3] == (1, 1, 1.0)
    assert _indicator(built_home, "2026-W47", "region", "RU-KB", "E1")[2] == 3.0
    assert _indicator(built_home, "2026-W47", "region", "RU-KB", "A11")[:3] == (1, 2, 0.5)
    assert _indicator(built_home, "2026-W47", "region", "RU-KB", "C2")[:3] == (4, 8, 0.5)
    assert _indicator(built_home, "2026-W47", "region", "RU-KB", "C7")[:3] == (4, 8, 0.5)
    assert _indicator(built_home, "2026-W47", "country", "RU", "C1")[:2] == (10, 16)


def test_rejected_delivery_rates_region_partial(built_home: Path) -> None:
    """RU-SMO's rejected gis_staff in 2026-W47: A3, A4 and A11 lack data (0.40 of the weight, not over
    half), so the region is ranked on the rest, «неполные данные», the rejected file named in the reason.

    Matters for the ministry's edition (SPEC D1): a missing indicator is never a silent zero, and one
    rejected file does not unrank a region. On failure: check int_unit_scores (weights spread) and
    mart_region_rating's thresholds against the load log.
    """
    with duckdb.connect(str(built_home / "warehouse.duckdb"), read_only=True) as con:
        row = con.execute(
            "select data_status, data_status_reason, score, rank, missing_weight "
            "from marts.mart_region_rating where week = '2026-W47' and region_code = 'RU-SMO'"
        ).fetchone()
    assert row is not None
    status, reason, score, rank, missing = row
    assert status == "partial" and rank == 2 and score is not None
    assert missing == pytest.approx(0.40)
    assert "A11, A3, A4" in reason and "gis_staff: файл отклонён" in reason


def test_rebuild_and_week_rerun_are_idempotent(built_home: Path) -> None:
    """Building again, and re-running one week alone, leaves every mart identical.

    Matters for re-runs and backfills from the Dagster UI (incremental delete+insert by week). On
    failure: a model depends on something outside its week range or on run time; diff the marts.
    """
    before = _marts(built_home)
    _ok(run_dbt(["run", "--select", "marts"], built_home, min_week="2026-W47", max_week="2026-W47"))
    assert _marts(built_home) == before


def test_docs_generate(built_home: Path) -> None:
    """`dbt docs generate` works on the built warehouse (README: how to open the docs).

    Matters for the documentation site. On failure: read dbt's message; usually a broken doc block.
    """
    _ok(run_dbt(["docs", "generate"], built_home))
    assert (built_home / "logs" / "dbt" / "catalog.json").exists()  # artifacts live in the home


def test_unit_tests_fail_on_a_different_threshold(built_home: Path) -> None:
    """The B2 unit test is sensitive: with lively_chat_min_messages = 11 it must fail.

    Matters because a unit test that cannot fail proves nothing. On failure: the unit test
    chats_lively_boundary no longer checks the boundary; restore its 9/10 message fixtures.
    """
    import json
    import subprocess

    from pipelines.transform.project import DBT_PROJECT_DIR, dbt_env, dbt_executable, dbt_vars

    variables = {**dbt_vars(), "edumon:lively_chat_min_messages": 11}
    result = subprocess.run(
        [dbt_executable(), "test", "--select", "chats_lively_boundary", "--vars", json.dumps(variables)],
        cwd=DBT_PROJECT_DIR,
        env=dbt_env(built_home),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0


def test_grain_and_share_tests_fail_on_broken_rows(built_home: Path, tmp_path: Path) -> None:
    """primary_key and shares_within_unit_interval catch what they stand for, counted by hand.

    Into a copy of the built warehouse go three rows of mart_weekly_adoption, each a copy of a real
    one: the same key again (a duplicate: one failing key, rows_with_key 2), level emptied (a null key:
    one failing key), and a new unit with a1_value 1.5 and a3_value −0.2 (unique key, valid level; one
    failing share row naming both columns). Expected: primary_key 2 failures, the share test 1, every
    other test of the mart passes (accepted_values and relationships ignore a null and keep the
    region). Matters because a folded test that cannot fail proves nothing: the key's not-null checks
    and a model's share columns each used to be a test of its own. On failure: read the generic tests
    in dbt_project/tests/generic/ against the rows inserted here.
    """
    home = tmp_path / "home"
    shutil.copytree(built_home, home, ignore=shutil.ignore_patterns("logs"))
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        table = "marts.mart_weekly_adoption"
        columns = [c[0] for c in con.execute(f"select * from {table} limit 0").description]
        con.execute(
            f"create temp table original as select * from {table} "
            "where week = '2026-W47' and level = 'region' and unit_id = 'RU-KB'"
        )
        assert con.execute("select count(*) from original").fetchone() == (1,)

        def copy(**changed: str) -> None:
            picked = ", ".join(changed.get(c, c) for c in columns)
            con.execute(f"insert into {table} select {picked} from original")

        copy()
        copy(level="null")
        copy(unit_id="'RU-KB-copy'", a1_value="1.5", a3_value="-0.2")
    result = run_dbt(["test", "--select", "mart_weekly_adoption", "--store-failures"], home)
    run_results = json.loads((home / "logs" / "dbt" / "run_results.json").read_text(encoding="utf-8"))
    results = [r for r in run_results["results"] if r["unique_id"].startswith("test.")]
    failures = {r["unique_id"].split(".")[2].partition("_mart_")[0]: r["failures"] for r in results}
    assert result.returncode != 0
    assert failures == {
        "primary_key": 2,
        "shares_within_unit_interval": 1,
        "accepted_values": 0,
        "relationships": 0,
    }, failures
    (stored,) = [r["relation_name"] for r in results if "shares_within_unit_interval" in r["unique_id"]]
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        named = con.execute(f"select share_columns, unit_id from {stored}").fetchall()
    assert named == [("a1_value, a3_value", "RU-KB-copy")]
