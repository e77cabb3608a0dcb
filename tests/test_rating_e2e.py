"""The rating edition from real pipeline output: marts built by dbt and published, not hand-written.

Two sources of real marts: the dbt engineer's fixture lake (tests/test_dbt_fixture_lake.py, built
and published here by `edumon run`'s own downstream Dagster run), and the demo home of the whole
pipeline (`demo_home` from tests/conftest.py, owned by the ingest engineer: generated exports →
ingest → gates → dbt → publish). The same checks as test_rating.py compare every cell with the marts.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from support.publish import publish_lake
from test_dbt_fixture_lake import build_lake
from test_rating import (
    assert_csv_and_json_agree_with_the_workbook,
    assert_indicators_sheet_matches_marts,
    assert_main_sheet_matches_marts,
    assert_manifest_matches_files,
    assert_municipal_sheet_matches_marts,
)

from pipelines.config import load_config
from pipelines.rating.commands import run_rating_job
from pipelines.rating.edition import latest_edition
from pipelines.rating.marts import file_sha256

pytestmark = pytest.mark.e2e


def assert_edition_matches_marts(home: Path, week: str, version: int = 1) -> None:
    assert_main_sheet_matches_marts(home, week, version)
    assert_indicators_sheet_matches_marts(home, week, version)
    assert_municipal_sheet_matches_marts(home, week, version)
    assert_csv_and_json_agree_with_the_workbook(home, week, version)
    assert_manifest_matches_files(home, week, version)


def latest_rated_week(serving: Path) -> str:
    with duckdb.connect(str(serving), read_only=True) as con:
        row = con.execute("select max(week) from mart_region_rating").fetchone()
    assert row and row[0], f"{serving}: mart_region_rating is empty"
    return str(row[0])


def issue_by_dagster_run(serving: Path, home: Path) -> str:
    """Copy a published snapshot into a fresh home and issue its latest week as a Dagster run."""
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(serving, home / "serving.duckdb")
    week = latest_rated_week(home / "serving.duckdb")
    result = run_rating_job(week, str(home))
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    return week


def test_edition_from_the_dbt_built_marts(tmp_path: Path) -> None:
    """dbt builds the marts of the fixture lake (one rejected delivery: RU-SMO), publish swaps in
    serving.duckdb, the rating job issues the week: every cell matches the real marts and the
    rejected region reads «неполные данные» with the load's reason. On failure, if the mart columns
    changed, docs/architecture.md and pipelines/rating/marts.py must change together."""
    build_home = tmp_path / "pipeline"
    build_lake(build_home / "lake", list(load_config().datasets))
    assert not any("FAILED" in line for line in publish_lake(build_home))
    home = tmp_path / "rating"
    week = issue_by_dagster_run(build_home / "serving.duckdb", home)
    assert_edition_matches_marts(home, week)
    rows = assert_main_sheet_matches_marts(home, week)
    smolensk = next(row for row in rows if row["Код региона"] == "RU-SMO")
    # One rejected ГИС file: A3, A4, A11 lack data (0.40 of the weight, not over half) → ranked on the
    # rest, «неполные данные», the rejected file named (SPEC D1).
    assert smolensk["Данные за неделю"] == "неполные данные" and isinstance(smolensk["Балл (0–1)"], float)
    assert "gis_staff" in smolensk["Причина отсутствия данных"]
    regional = home / "outbox" / "regions" / "RU-SMO"
    assert any(p.name.endswith(".xlsx") for p in regional.iterdir())  # its own edition


def test_edition_from_the_demo_pipeline(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """The whole pipeline's demo home (generated exports → ingest → dbt → publish): the edition of
    its latest week matches its marts, and an edition `edumon run` already wrote there is checked
    too. Runs once tests/conftest.py provides `demo_home`. On failure start from the named cell."""
    try:
        demo_home: Path = request.getfixturevalue("demo_home")
    except pytest.FixtureLookupError:
        pytest.skip("tests/conftest.py does not provide `demo_home` yet (ingest engineer)")
    serving = demo_home / "serving.duckdb"
    week = issue_by_dagster_run(serving, tmp_path / "rating")
    assert_edition_matches_marts(tmp_path / "rating", week)
    existing = latest_edition(demo_home / "outbox", week)
    if existing is not None and existing.manifest.is_file():
        issued_from = existing.read_manifest()["serving_snapshot"]["sha256"]
        if issued_from == file_sha256(serving):  # made from the snapshot still published
            assert_edition_matches_marts(demo_home, week, existing.version)


def test_demo_region_without_gis_is_ranked_and_reads_no_gis(demo_home: Path) -> None:
    """Issue 16 in the demo: its region without a regional ГИС (orchestration.yaml `gis: none`, the
    demo preset's RU-NEN; protocol 18.10.2022 p.11 «Регионы без ГИС») delivered no gis_* file and none
    is reported missing, it is ranked on what it has (a place, «неполные данные», never «нет данных»),
    its ГИС indicators read «нет ГИС» in the national edition and in its own regional edition. On
    failure: config.expected_datasets (freshness, generator), the has_gis column of mart_region_rating,
    or pipelines/rating/tables.gap_cells."""
    from datetime import datetime, timedelta

    import openpyxl
    from test_rating import sheet_rows

    from pipelines.home import Home
    from pipelines.ingest.freshness import missing_deliveries
    from pipelines.weeks import MOSCOW

    config = load_config()
    region = "RU-NEN"
    assert config.regions_without_gis() == [region] and region in config.samples.presets["demo"].regions
    gis_datasets = [name for name, d in config.datasets.items() if d.system == "gis"]
    # Nothing of it is expected: not even long after every deadline.
    later = datetime.now(MOSCOW) + timedelta(days=365)
    assert not [m for m in missing_deliveries(Home(demo_home), now=later) if m.region == region]
    serving = demo_home / "serving.duckdb"
    with duckdb.connect(str(serving), read_only=True) as con:
        delivered = con.execute(
            "select distinct dataset, status from mart_data_quality where region_code = ?", [region]
        ).fetchall()
        week = latest_rated_week(serving)
        rating = con.execute(
            "select rank, data_status, has_gis, data_status_reason from mart_region_rating "
            "where week = ? and region_code = ?",
            [week, region],
        ).fetchone()
    assert delivered and {status for _, status in delivered} == {"loaded"}, delivered
    assert {dataset for dataset, _ in delivered} == set(config.expected_datasets(region))
    assert not {dataset for dataset, _ in delivered} & set(gis_datasets)
    assert rating is not None
    rank, status, has_gis, reason = rating
    assert isinstance(rank, int) and status == "partial" and has_gis is False, rating
    assert "A3 (нет ГИС)" in reason and "A10 (нет ГИС)" in reason, reason

    edition = latest_edition(demo_home / "outbox", week)
    assert edition is not None, f"edumon run wrote no edition of {week}"
    book = openpyxl.load_workbook(edition.data_file("xlsx"))
    _, rows = sheet_rows(book["Рейтинг регионов"])
    row = next(r for r in rows if r["Код региона"] == region)
    assert row["Место"] == rank and row["Данные за неделю"] == "неполные данные"
    assert row["Раздел «Регионы без ГИС»: региональная ГИС"].startswith("нет ГИС")
    assert {r["Раздел «Регионы без ГИС»: региональная ГИС"] for r in rows if r["Код региона"] != region} == {
        "есть"
    }
    for indicator in ("A3", "A4", "A10"):
        assert row[f"{indicator} {config.indicators[indicator].name}"] == "нет ГИС", indicator
        assert row[f"{indicator}: цель достигнута"] == "нет ГИС", indicator
    assert row["Раздел «Взаимодействие ФГИС с ГИС»: балл"] == "нет ГИС"
    assert isinstance(row[f"A11 {config.indicators['A11'].name}"], float)  # ФГИС teachers as denominator
    _, indicators = sheet_rows(book["Показатели"])
    own = {r["Показатель"]: r["Значение"] for r in indicators if r["Код региона"] == region}
    assert {own[i] for i in ("A5", "B3", "C1", "C5")} == {"нет ГИС"}, own
    assert isinstance(own["A1"], float) and isinstance(own["A12"], float)

    regional = edition.data_file("xlsx").parent / "regions" / region / edition.data_file("xlsx").name
    assert regional.is_file(), f"{region} has no regional edition"
    regional_book = openpyxl.load_workbook(regional)
    _, regional_rows = sheet_rows(regional_book["Рейтинг регионов"])
    assert [(r["Код региона"], r["Место"]) for r in regional_rows] == [(region, rank)]
    _, regional_indicators = sheet_rows(regional_book["Показатели региона"])
    values = {r["Показатель"]: r["Значение региона"] for r in regional_indicators}
    assert values["A3"] == values["C1"] == "нет ГИС" and isinstance(values["A1"], float)
    _, municipal = sheet_rows(regional_book["Муниципальный рейтинг"])
    assert municipal and {r["A5 менее 50 % (seed 003)"] for r in municipal if r["Уровень"] == "ОО"} == {
        "нет ГИС"
    }
    _, quality = sheet_rows(regional_book["Качество данных"])
    assert quality == [], quality  # every delivery loaded, no gis_* reported missing
