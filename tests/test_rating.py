"""The ministry's weekly rating edition (issue 5), against a small hand-written serving snapshot.

The fixture is a serving.duckdb with exactly the mart columns docs/architecture.md fixes (3 regions,
2 weeks). Every test reads the produced files back (openpyxl, csv, json) and compares them with
the marts queried directly, not with the edition code's own structures.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from pipelines.config import load_config, region_rows
from pipelines.rating import commands
from pipelines.rating.edition import (
    EditionExistsError,
    ReissueReasonError,
    issue_edition,
    latest_edition,
)
from pipelines.rating.marts import RatingDataError
from pipelines.rating.tables import indicator_kind
from pipelines.weeks import MOSCOW

WEEK, PREVIOUS = "2026-W47", "2026-W46"
NO_DATA, DASH, NO_GIS = "нет данных", "—", "нет ГИС"
SMO_REASON = "gis_students: файл отклонён (СНИЛС: неверная контрольная сумма, строка 12)"
MAIN, INDICATORS, MUNICIPAL, METHOD = "Рейтинг регионов", "Показатели", "Муниципальный рейтинг", "Методика"
HEADER_ROW = 3  # Excel row of the header; title and edition line above it

# mart_region_rating, hand-written: (week, region, score, rank, previous_rank, score_change, status, reason)
REGION_RATING = [
    (PREVIOUS, "RU-DA", 0.655, 1, None, None, "ok", None),
    (PREVIOUS, "RU-KB", 0.612, 2, None, None, "ok", None),
    (PREVIOUS, "RU-SMO", 0.41, 3, None, None, "ok", None),
    (WEEK, "RU-KB", 0.701, 1, 2, 0.089, "ok", None),
    (WEEK, "RU-DA", 0.648, 2, 1, -0.007, "ok", None),
    (WEEK, "RU-SMO", None, None, 3, None, "no_data", SMO_REASON),  # as the mart does: unranked
]

# mart_indicators at region level for WEEK: indicator → {region: (numerator, denominator)}.
# RU-SMO's regional ГИС file was rejected: it has only the federal (ФГИС / Сферум) indicators.
REGION_COUNTS: dict[str, dict[str, tuple[float, float]]] = {
    "A1": {"RU-KB": (301, 301), "RU-DA": (1012, 1080), "RU-SMO": (355, 372)},
    "A2": {"RU-KB": (250, 301), "RU-DA": (640, 1080), "RU-SMO": (200, 372)},
    "A3": {"RU-KB": (7902, 8410), "RU-DA": (20110, 31003)},
    "A4": {"RU-KB": (5001, 8410), "RU-DA": (9050, 31003)},
    "A5": {"RU-KB": (61000, 98000), "RU-DA": (120000, 290000)},
    "A6": {"RU-KB": (12, 1), "RU-DA": (0, 1), "RU-SMO": (40, 1)},
    "A7": {"RU-KB": (301, 301), "RU-DA": (1001, 1080), "RU-SMO": (372, 372)},
    "B1": {"RU-KB": (9100, 1), "RU-DA": (21000, 1), "RU-SMO": (5100, 1)},
    "B2": {"RU-KB": (3000, 9100), "RU-DA": (4000, 21000), "RU-SMO": (1300, 5100)},
    "B3": {"RU-KB": (3500, 3900), "RU-DA": (9000, 12000), "RU-SMO": (2500, 2600)},
    "C1": {"RU-KB": (70000, 98000), "RU-DA": (100000, 290000)},
    "C6": {"RU-KB": (8000, 8410), "RU-DA": (0, 0)},  # RU-DA: no pedagogical staff matched → no value
}

# mart_municipal_rating for WEEK: (level, unit_id, name, parent_id, region, score, rank, previous_rank, A5)
UNITS = [
    ("municipality", "83701000", "г.о. Нальчик", "RU-KB", "RU-KB", 0.74, 1, 1, (9000, 12000)),
    ("municipality", "83630000", "Баксанский район", "RU-KB", "RU-KB", 0.66, 2, 2, (4000, 9000)),
    ("school", "0711000011", "МКОУ «СОШ №1» г.о. Нальчик", "83701000", "RU-KB", 0.8, 1, 2, (900, 1000)),
    ("school", "0711000029", "МКОУ «Гимназия №4»", "83701000", "RU-KB", 0.7, 2, 1, (700, 1000)),
    ("school", "0701000014", "МКОУ «СОШ с.п. Кременчуг»", "83630000", "RU-KB", 0.66, 1, None, (200, 500)),
    ("municipality", "82646000", "Сергокалинский район", "RU-DA", "RU-DA", 0.52, 2, 1, (1800, 4100)),
    ("municipality", "82701000", "г. Махачкала", "RU-DA", "RU-DA", 0.69, 1, 2, (50000, 90000)),
    ("school", "0527001601", "МКОУ «Дегвинская СОШ»", "82646000", "RU-DA", 0.49, 2, 2, (185, 380)),
    ("school", "0527001618", "МКОУ «Мургукская СОШ»", "82646000", "RU-DA", 0.51, 1, 1, (180, 380)),
    ("school", "0561000012", "МБОУ «Лицей №8»", "82701000", "RU-DA", 0.71, 1, 1, None),
    ("municipality", "66701000", "г. Смоленск", "RU-SMO", "RU-SMO", 0.3, 1, 1, None),  # region: no data
]


def _region_ref(code: str) -> dict[str, str]:
    return next(row for row in region_rows() if row["region_code"] == code)


def _indicator_rows() -> list[tuple[Any, ...]]:
    config = load_config()
    rows = []

    def add(
        level: str, unit: str, name: str, parent: str, region: str, ind: str, num: float, den: float
    ) -> None:
        spec = config.indicators[ind]
        share = spec.unit == "share"
        value = (num / den if den else None) if share else num
        target = spec.target
        met = (
            None if target is None or value is None else (value >= target if ind != "A6" else value <= target)
        )
        rows.append(
            (WEEK, level, unit, name, parent, region, ind, num, den if share else None, value, target, met)
        )

    totals: dict[str, list[float]] = {}
    for ind, by_region in REGION_COUNTS.items():
        for region, (num, den) in by_region.items():
            add("region", region, _region_ref(region)["region_name"], "RU", region, ind, num, den)
            total = totals.setdefault(ind, [0, 0])
            total[0], total[1] = total[0] + num, total[1] + den
    for ind, (num, den) in totals.items():
        add("country", "RU", "Российская Федерация", "", "RU", ind, num, den)
    for level, unit_id, name, parent, region, *_rest, a5 in UNITS:
        if a5 is not None:
            add(level, unit_id, name, parent, region, "A5", *a5)
    return rows


def build_serving(path: Path) -> Path:
    """A serving.duckdb with exactly the published mart columns (docs/architecture.md)."""
    with duckdb.connect(str(path)) as con:
        con.execute(
            """create table mart_region_rating (week varchar, region_code varchar, region_name varchar,
               federal_district varchar, map_code varchar, score double, rank integer, previous_rank integer,
               rank_change integer, previous_score double, score_change double, data_status varchar,
               data_status_reason varchar)"""
        )
        for week, code, score, rank, prev, change, status, reason in REGION_RATING:
            ref = _region_ref(code)
            con.execute(
                "insert into mart_region_rating values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [week, code, ref["region_name"], ref["federal_district"], ref["map_code"], score, rank, prev,
                 None if prev is None or rank is None else prev - rank,
                 None if change is None else score - change, change,
                 status, reason],
            )  # fmt: skip
        con.execute(
            """create table mart_indicators (week varchar, level varchar, unit_id varchar,
               unit_name varchar, parent_id varchar, region_code varchar, indicator varchar,
               numerator double, denominator double, value double, target double, meets_target boolean)"""
        )
        con.executemany(
            "insert into mart_indicators values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", _indicator_rows()
        )
        con.execute(
            """create table mart_municipal_rating (week varchar, level varchar, unit_id varchar,
               unit_name varchar, parent_id varchar, region_code varchar, score double, rank integer,
               previous_rank integer, rank_change integer, score_change double)"""
        )
        for level, unit_id, name, parent, region, score, rank, prev, _a5 in UNITS:
            change = None if prev is None or rank is None else prev - rank
            con.execute(
                "insert into mart_municipal_rating values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    WEEK,
                    level,
                    unit_id,
                    name,
                    parent,
                    region,
                    score,
                    rank,
                    prev,
                    change,
                    0.01 if score else None,
                ],
            )
        con.execute(
            """create table mart_data_quality (week varchar, region_code varchar, dataset varchar,
               status varchar, reason varchar, rule varchar, rows bigint, source_file varchar, sha256 varchar,
               checked_at timestamp, timeliness double, completeness double, consistency double)"""
        )
        con.execute(
            """insert into mart_data_quality values
               (?, 'RU-SMO', 'gis_students', 'rejected', 'СНИЛС: неверная контрольная сумма, строка 12',
                'snils_checksum', 0, 'gis_students_RU-SMO_2026-W47.csv', 'ab12', '2026-11-23 05:00', 0, 0, 0),
               (?, 'RU-KB', 'gis_students', 'loaded', null, null, 98000, 'gis_students_RU-KB_2026-W47.xlsx',
                'cd34', '2026-11-23 05:00', 1, 1, 1)""",
            [WEEK, WEEK],
        )
        con.execute("create table ref_regions as select * from read_csv_auto(?, all_varchar = true)",
                    [str(Path(__file__).parent.parent / "dbt_project/seeds/ref_regions.csv")])  # fmt: skip
    return path


@pytest.fixture(scope="module")
def serving_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_serving(tmp_path_factory.mktemp("serving") / "serving.duckdb")


def make_home(root: Path, serving: Path) -> Path:
    home = root / "home"
    home.mkdir()
    shutil.copyfile(serving, home / "serving.duckdb")
    return home


@pytest.fixture()
def home(tmp_path: Path, serving_file: Path) -> Path:
    return make_home(tmp_path, serving_file)


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory, serving_file: Path) -> Path:
    """One edition v1 of WEEK, shared by the read-only checks; returns the home folder."""
    home = make_home(tmp_path_factory.mktemp("issued"), serving_file)
    issue_edition(WEEK, home)
    return home


def outbox_file(home: Path, suffix: str, version: int = 1, week: str = WEEK) -> Path:
    return home / "outbox" / f"rating_{week}_v{version}.{suffix}"


def mart(home: Path, sql: str, *params: Any) -> list[dict[str, Any]]:
    with duckdb.connect(str(home / "serving.duckdb"), read_only=True) as con:
        cursor = con.execute(sql, list(params))
        names = [c[0] for c in cursor.description or []]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def sheet_rows(sheet: Worksheet) -> tuple[list[str], list[dict[str, Any]]]:
    """The header and the data rows of a sheet as {header: value}."""
    rows = list(sheet.iter_rows(min_row=HEADER_ROW, values_only=True))
    header = [str(h) for h in rows[0]]
    return header, [dict(zip(header, row, strict=True)) for row in rows[1:]]


def expected_cell(value: Any, gap: str = NO_DATA) -> Any:
    """What a cell shows for a mart value. XLSX keeps 16 significant digits (Excel computes with
    15), so a float is compared to that precision; everything else exactly. `gap`: what a missing
    value reads («нет ГИС» for a ГИС indicator of a region without one, see `gap_of`)."""
    if value is None:
        return gap
    if isinstance(value, float):
        return pytest.approx(value, rel=1e-15, abs=0)
    return value


def expected_flag(row: dict[str, Any] | None, gap: str = NO_DATA) -> str:
    if row is None or row["value"] is None:
        return gap
    if row["meets_target"] is None:
        return DASH
    return "да" if row["meets_target"] else "нет"


def regions_without_gis(home: Path, week: str) -> set[str]:
    """Regions mart_region_rating marks has_gis = false (orchestration.yaml gis: none)."""
    rows = mart(home, "select * from mart_region_rating where week = ?", week)
    return {r["region_code"] for r in rows if r.get("has_gis") is False}


def gap_of(indicator: str, region: str, without_gis: set[str]) -> str:
    """SPEC: a ГИС indicator (catalogue `gis: true`) of a region without a ГИС reads «нет ГИС»."""
    spec = load_config().indicators.get(indicator.split(".")[0])
    return NO_GIS if region in without_gis and spec is not None and spec.gis else NO_DATA


def region_indicators(
    home: Path, level: str = "region", week: str = WEEK
) -> dict[tuple[str, str], dict[str, Any]]:
    rows = mart(home, "select * from mart_indicators where week = ? and level = ?", week, level)
    return {(r["unit_id"], r["indicator"]): r for r in rows}


def dash_or(value: Any) -> Any:
    return DASH if value is None else value


# Checks shared with the end-to-end test (test_rating_e2e.py): the edition of `week` in `home`
# against the marts of `home`/serving.duckdb.


def assert_main_sheet_matches_marts(home: Path, week: str, version: int = 1) -> list[dict[str, Any]]:
    config = load_config()
    _, rows = sheet_rows(openpyxl.load_workbook(outbox_file(home, "xlsx", version, week))[MAIN])
    sql = "select * from mart_region_rating where week = ? order by rank nulls last, region_code"
    ratings = mart(home, sql, week)
    indicators = region_indicators(home, "region", week)
    without_gis = regions_without_gis(home, week)
    assert [r["Код региона"] for r in rows[: len(ratings)]] == [r["region_code"] for r in ratings]
    for extra in rows[len(ratings) :]:  # regions with only failed loads, added from mart_data_quality
        assert extra["Данные за неделю"] == NO_DATA and extra["Причина отсутствия данных"], extra
    for row, rating in zip(rows, ratings, strict=False):
        # «неполные данные» (partial) is ranked and scored like ok (SPEC D1); only no_data is not.
        code, ok = rating["region_code"], rating["data_status"] != "no_data"
        rank, previous = rating["rank"], rating["previous_rank"]
        assert row["Место"] == dash_or(rank), code
        assert row["Место неделей ранее"] == dash_or(previous), code
        moved = None if rank is None or previous is None else previous - rank
        assert row["Изменение места (+ вверх)"] == dash_or(moved), code
        assert (row["Регион"], row["Федеральный округ"]) == (
            rating["region_name"],
            rating["federal_district"],
        )
        assert row["Балл (0–1)"] == (expected_cell(rating["score"]) if ok else NO_DATA), code
        change = rating["score_change"] if ok else None
        assert row["Изменение балла"] == (DASH if change is None else expected_cell(change)), code
        for indicator in config.rating.weights:
            value, gap = indicators.get((code, indicator)), gap_of(indicator, code, without_gis)
            label = f"{indicator} {config.indicators[indicator].name}"
            assert row[label] == expected_cell(value and value["value"], gap), (code, indicator)
            assert row[f"{indicator}: цель достигнута"] == expected_flag(value, gap), (code, indicator)
        status = {"ok": "есть", "partial": "неполные данные", "no_data": NO_DATA}[rating["data_status"]]
        assert row["Данные за неделю"] == status, code
        for section in config.rating.sections:
            score = rating.get(f"section_{section.id}_score")
            if section.indicators and ok and score is not None:
                assert row[f"Раздел «{section.name}»: балл"] == expected_cell(score), (code, section.id)
        if not rating.get("has_gis", True):  # p.11 «Регионы без ГИС»: ranked on the rest
            assert row["Раздел «Регионы без ГИС»: региональная ГИС"].startswith(NO_GIS), code
        if ok or rating["data_status_reason"]:
            assert row["Причина отсутствия данных"] == rating["data_status_reason"], code
        else:  # the mart gave no reason: the edition names one from mart_data_quality
            assert row["Причина отсутствия данных"], code
    return rows


def assert_indicators_sheet_matches_marts(home: Path, week: str, version: int = 1) -> list[dict[str, Any]]:
    _, rows = sheet_rows(openpyxl.load_workbook(outbox_file(home, "xlsx", version, week))[INDICATORS])
    expected = {**region_indicators(home, "region", week), **region_indicators(home, "country", week)}
    without_gis = regions_without_gis(home, week)
    assert len(rows) == len(expected)
    for row in rows:
        key = (row["Код региона"], row["Показатель"])
        source, gap = expected[key], gap_of(key[1], key[0], without_gis)
        if indicator_kind(load_config(), key[1]) == "hours":  # a time (E1) is read as its value alone
            assert (row["Числитель"], row["Знаменатель"]) == (DASH, DASH), key
        else:
            assert row["Числитель"] == expected_cell(source["numerator"]), key
            assert row["Знаменатель"] == expected_cell(source["denominator"]), key
        assert row["Значение"] == expected_cell(source["value"], gap), key
        assert row["Цель"] == (DASH if source["target"] is None else expected_cell(source["target"])), key
        assert row["Цель достигнута"] == expected_flag(source, gap), key
    return rows


def assert_municipal_sheet_matches_marts(home: Path, week: str, version: int = 1) -> list[dict[str, Any]]:
    book = openpyxl.load_workbook(outbox_file(home, "xlsx", version, week))
    _, rows = sheet_rows(book[MUNICIPAL])
    sql = "select * from mart_municipal_rating where week = ?"
    units = {(r["level"], r["unit_id"]): r for r in mart(home, sql, week)}
    indicators = {**region_indicators(home, "municipality", week), **region_indicators(home, "school", week)}
    level_of = {"муниципалитет": "municipality", "ОО": "school"}
    sql = "select region_code from mart_region_rating where week = ? and data_status = 'no_data'"
    no_data = {r["region_code"] for r in mart(home, sql, week)}
    without_gis = regions_without_gis(home, week)
    assert sorted((level_of[r["Уровень"]], r["ОКТМО / ИНН"]) for r in rows) == sorted(units)
    municipalities = {unit_id for level, unit_id in units if level == "municipality"}
    current, previous_place = None, 0
    for row in rows:
        unit = units[(level_of[row["Уровень"]], row["ОКТМО / ИНН"])]
        key = unit["unit_id"]
        score = None if unit["region_code"] in no_data else unit["score"]  # never a zero-filled score
        assert row["Балл (0–1)"] == expected_cell(score), key
        change = None if score is None else unit["score_change"]
        assert row["Изменение балла"] == (DASH if change is None else expected_cell(change)), key
        assert row["Место"] == dash_or(unit["rank"]), key
        assert row["Место неделей ранее"] == dash_or(unit["previous_rank"]), key
        for indicator in load_config().rating.edition.municipal_indicators:
            value, gap = indicators.get((key, indicator)), gap_of(indicator, unit["region_code"], without_gis)
            assert row[f"{indicator}: цель достигнута"] == expected_flag(value, gap), key
            assert row[label_of(indicator)] == expected_cell(value and value["value"], gap), key
        if unit["level"] == "municipality":
            current, previous_place = key, 0
            assert row["Муниципалитет"] == unit["unit_name"], key
        else:
            assert row["Образовательная организация"] == unit["unit_name"], key
            if unit["parent_id"] in municipalities:  # under its own municipality, by A5 (seed 003)
                assert unit["parent_id"] == current, key
                order = unit.get("a5_order")
                place = order if order is not None else (row["Место"] if isinstance(row["Место"], int) else 0)
                place = place if place else previous_place
                assert place >= previous_place, key
                previous_place = place
                flag, gap = unit.get("is_below_a5_flag"), gap_of("A5", unit["region_code"], without_gis)
                assert row["A5 менее 50 % (seed 003)"] == (
                    gap if flag is None else ("менее 50 %" if flag else "нет")
                )
    main_order = [r["Код региона"] for r in sheet_rows(book[MAIN])[1]]
    regions = list(dict.fromkeys(r["Код региона"] for r in rows))
    assert regions == [code for code in main_order if code in regions]  # regions in rating order
    return rows


def label_of(indicator: str) -> str:
    return f"{indicator} {load_config().indicators[indicator].name}"


def test_main_sheet_shows_every_mart_value(issued: Path) -> None:
    """Every cell of «Рейтинг регионов» equals the marts: rank, previous rank and its change,
    region, district, score, each rated indicator's value and target flag, data status.
    Matters because this sheet is what the ministry reads. On failure compare the named region
    and column with mart_region_rating / mart_indicators: the edition must show, not recompute."""
    rows = assert_main_sheet_matches_marts(issued, WEEK)
    assert [r["Место"] for r in rows] == [1, 2, DASH]  # RU-SMO has no data: unranked, last


def test_no_data_region_is_never_a_silent_zero(issued: Path) -> None:
    """RU-SMO's ГИС file was rejected: its score and its ГИС indicators read «нет данных» with the
    reason, while its federal indicators keep their values. Matters because a zero would rank a
    region for data it never delivered. On failure look at tables.region_table's NO_DATA cells."""
    book = openpyxl.load_workbook(outbox_file(issued, "xlsx"))
    _, rows = sheet_rows(book[MAIN])
    smolensk = next(r for r in rows if r["Код региона"] == "RU-SMO")
    assert smolensk["Балл (0–1)"] == NO_DATA
    assert smolensk["Причина отсутствия данных"] == SMO_REASON
    assert smolensk[f"A3 {load_config().indicators['A3'].name}"] == NO_DATA
    assert smolensk["A1 Подключение ОО к ИКОП «Сферум»"] == pytest.approx(355 / 372)
    dagestan = next(r for r in rows if r["Код региона"] == "RU-DA")
    assert dagestan["A10: цель достигнута"] == NO_DATA  # an ok region's weighted indicator without a row
    assert 0 not in [smolensk[h] for h in smolensk if h.startswith(("A3", "A4", "C1", "C6"))]


def test_reason_comes_from_data_quality_when_the_mart_gives_none(home: Path) -> None:
    """A no-data region without a reason in mart_region_rating gets the load log's reason from
    mart_data_quality, and a region with only rejected loads and no rating row still appears.
    Matters because «нет данных» must always say why. On failure see marts._problem_reasons."""
    with duckdb.connect(str(home / "serving.duckdb")) as con:
        con.execute("update mart_region_rating set data_status_reason = null where region_code = 'RU-SMO'")
        con.execute(
            """insert into mart_data_quality (week, region_code, dataset, status, reason)
               values (?, 'RU-AD', 'fgis_orgs', 'missing', null)""",
            [WEEK],
        )
    issue_edition(WEEK, home)
    _, rows = sheet_rows(openpyxl.load_workbook(outbox_file(home, "xlsx"))[MAIN])
    by_code = {r["Код региона"]: r for r in rows}
    assert by_code["RU-SMO"]["Причина отсутствия данных"] == (
        "gis_students: файл отклонён (СНИЛС: неверная контрольная сумма, строка 12)"
    )
    assert by_code["RU-AD"]["Причина отсутствия данных"] == "fgis_orgs: файл не поступил"
    assert by_code["RU-AD"]["Балл (0–1)"] == NO_DATA and by_code["RU-AD"]["Место"] == DASH


def test_indicators_sheet_lists_every_indicator_of_every_region(issued: Path) -> None:
    """«Показатели» holds one row per country/region × indicator of mart_indicators with the same
    numerator, denominator, value, target and flag. On failure the message names the unit and
    indicator; compare with mart_indicators for the week."""
    rows = assert_indicators_sheet_matches_marts(issued, WEEK)
    assert rows[0]["Регион"] == "Российская Федерация"
    assert {r["Показатель"] for r in rows if r["Код региона"] == "RU-SMO"} == {
        ind for ind, by_region in REGION_COUNTS.items() if "RU-SMO" in by_region
    }


def test_municipal_sheet_ranks_municipalities_and_their_schools(issued: Path) -> None:
    """«Муниципальный рейтинг» has every mart_municipal_rating row once, with its score, rank and
    A5 value; each municipality is followed by its own schools in rank order (seed 003's table).
    On failure compare the unit with mart_municipal_rating and tables._municipal_order."""
    rows = assert_municipal_sheet_matches_marts(issued, WEEK)
    assert [r["Код региона"] for r in rows] == ["RU-KB"] * 5 + ["RU-DA"] * 5 + ["RU-SMO"]
    assert [r["ОКТМО / ИНН"] for r in rows[5:10]] == [
        "82701000", "0561000012", "82646000", "0527001618", "0527001601",
    ]  # fmt: skip
    assert rows[-1]["Балл (0–1)"] == NO_DATA


def test_method_sheet_comes_from_the_configuration(issued: Path) -> None:
    """«Методика» lists every indicator of orchestration.yaml with formula, target, weight and source.
    On failure the configuration and the sheet disagree: the sheet must be rebuilt from it."""
    config = load_config()
    _, all_rows = sheet_rows(openpyxl.load_workbook(outbox_file(issued, "xlsx"))[METHOD])
    rows = [r for r in all_rows if r["Код"] != "Раздел"]
    sections = [r for r in all_rows if r["Код"] == "Раздел"]
    assert [r["Код"] for r in rows] == list(config.indicators)
    # The five sections of p.11, each with its weight (the sum of its indicators') and the rationale.
    assert [r["Показатель"] for r in sections] == [s.name for s in config.rating.sections]
    for row, section in zip(sections, config.rating.sections, strict=True):
        weight = sum(config.rating.weights[i] for i in section.indicators)
        assert row["Вес в рейтинге"] == (pytest.approx(weight) if section.indicators else DASH)
        assert row["Формула расчёта"]
    for row in rows:
        assert row["Умолчание edumon (не из документа)"] == (
            config.indicators[row["Код"]].edumon_default or DASH
        )
        spec = config.indicators[row["Код"]]
        assert (row["Показатель"], row["Формула расчёта"], row["Источник (документ)"]) == (
            spec.name, spec.formula, spec.source,
        )  # fmt: skip
        assert row["Цель"] == (DASH if spec.target is None else spec.target)
        assert row["Вес в рейтинге"] == config.rating.weights.get(row["Код"], DASH)


def test_workbook_layout_is_what_an_official_expects(issued: Path) -> None:
    """Sheets in order, a title with the week and its Monday–Sunday dates, frozen header, autofilter,
    percent formats on shares, green/red conditional colours, fitted widths. On failure open the
    file in a spreadsheet program: the named sheet/property is what is off (see workbook.py)."""
    book = openpyxl.load_workbook(outbox_file(issued, "xlsx"))
    assert book.sheetnames == [MAIN, INDICATORS, MUNICIPAL, METHOD]
    assert book.properties.created == datetime(2026, 11, 23, 3, 0)  # Monday 06:00 Moscow, in UTC
    for sheet in book.worksheets:
        assert (
            WEEK in sheet["A1"].value
            and "16.11.2026" in sheet["A1"].value
            and "22.11.2026" in sheet["A1"].value
        )
        assert sheet.freeze_panes is not None and sheet.freeze_panes.endswith(str(HEADER_ROW + 1))
        assert sheet.auto_filter.ref and sheet.auto_filter.ref.split(":")[0].endswith(str(HEADER_ROW))
        for column in range(1, sheet.max_column + 1):
            header = str(sheet.cell(HEADER_ROW, column).value)
            assert column_width(sheet, column) >= min(max(map(len, header.split())), 60), header
    main = book[MAIN]
    header, _ = sheet_rows(main)
    a1 = header.index("A1 Подключение ОО к ИКОП «Сферум»") + 1
    assert main.cell(HEADER_ROW + 1, a1).number_format == "0.0%"
    assert main.cell(HEADER_ROW + 1, header.index("Балл (0–1)") + 1).number_format == "0.000"
    rules = [rule for cf in main.conditional_formatting for rule in cf.rules]
    formulas = " ".join(f for rule in rules for f in rule.formula)
    assert '="да"' in formulas and '="нет"' in formulas
    assert {"expression", "cellIs"} <= {rule.type for rule in rules}
    assert "colorScale" not in {rule.type for rule in rules}, "colours follow the target, not score gaps"
    fills = {rule.dxf.fill.bgColor.rgb for rule in rules if rule.dxf and rule.dxf.fill}
    assert {"FFC6EFCE", "FFFFC7CE"} <= fills  # green and red
    indicator_header, indicator_rows = sheet_rows(book[INDICATORS])
    value_column = indicator_header.index("Значение") + 1
    formats = {
        row["Показатель"]: book[INDICATORS].cell(HEADER_ROW + 1 + i, value_column).number_format
        for i, row in enumerate(indicator_rows)
    }
    assert formats["A1"] == "0.0%" and formats["B1"] == "#,##0"


def test_workbook_prints_as_an_official_prints_it(issued: Path) -> None:
    """Every sheet prints landscape A4, fitted to one page wide, with the title and header rows
    repeated on each page, the title and the data date in the page header, the edition and page
    numbers in the footer, and no internal words (serving.duckdb, sha256) anywhere a reader looks.

    Matters because the ministry prints the file: portrait pages four columns wide are unreadable.
    On failure: see workbook.py::_print_setup (xlsxwriter's set_landscape, fit_to_pages, repeat_rows).
    """
    book = openpyxl.load_workbook(outbox_file(issued, "xlsx"))
    for sheet in book.worksheets:
        setup = sheet.page_setup
        assert setup.orientation == "landscape" and str(setup.paperSize) == "9", sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        # OOXML defaults fitToWidth to 1, which xlsxwriter then leaves out
        assert (setup.fitToWidth or 1, setup.fitToHeight) == (1, 0), sheet.title
        assert sheet.print_title_rows == f"$1:${HEADER_ROW}", sheet.title  # title to column headers
        header = sheet.oddHeader
        assert WEEK in (header.left.text or "") and "22.11.2026" in (header.right.text or ""), sheet.title
        assert "Выпуск v1" in (sheet.oddFooter.left.text or "") and "&P" in (sheet.oddFooter.right.text or "")
        for row in sheet.iter_rows(min_row=1, max_row=2, values_only=True):
            text = " ".join(str(cell) for cell in row if cell)
            assert "serving" not in text and "sha256" not in text and "снимок" not in text, text
    assert "по состоянию на 22.11.2026" in str(book[MAIN]["A2"].value)


def test_csv_numbers_carry_no_float_noise(issued: Path) -> None:
    """Every number in the CSV has at most rating.edition.csv_decimals decimals (0,873016, never
    0,8730158730158730) and whole numbers have none. On failure see flat.py::csv_text."""
    decimals = load_config().rating.edition.csv_decimals
    numbers = 0
    for row in _csv_rows(outbox_file(issued, "csv"))[1:]:
        for cell in row:
            if isinstance(_from_csv(cell), float):
                numbers += 1
                fraction = cell.split(",")[1] if "," in cell else ""
                assert len(fraction) <= decimals and not cell.endswith(",0"), cell
    assert numbers > 0


def column_width(sheet: Worksheet, column: int) -> float:
    """openpyxl keys a run of equal-width columns by its first letter: find the run holding `column`."""
    for dimension in sheet.column_dimensions.values():
        if dimension.min and dimension.max and dimension.min <= column <= dimension.max:
            return float(dimension.width)
    return 0.0


def _csv_rows(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "the CSV starts with a UTF-8 BOM so Excel reads Cyrillic"
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))


def _from_csv(cell: str) -> Any:
    """A CSV cell read back: empty → None, a decimal-comma number → a number, else the text."""
    if cell == "":
        return None
    try:
        return float(cell.replace(",", "."))
    except ValueError:
        return cell


def _same(csv_cell: str, xlsx_value: Any) -> bool:
    value = _from_csv(csv_cell)
    if isinstance(value, float) and not isinstance(xlsx_value, str):
        # The CSV rounds to rating.edition.csv_decimals places: equal within half a unit of the last
        # (plus float noise: 0.4765625 rounds half-even to 0.476562, exactly half a unit away).
        half_unit = 0.5 * 10 ** -load_config().rating.edition.csv_decimals
        return value == pytest.approx(xlsx_value, rel=0, abs=half_unit * (1 + 1e-9))
    return bool(value == xlsx_value)


def test_csv_and_json_agree_with_the_workbook(issued: Path) -> None:
    """The CSV's first columns are the main sheet cell for cell (decimal comma, `;`), its extra
    columns the other indicators' values from «Показатели»; the JSON's regions carry the same cells
    and every indicator. On failure the three writers have drifted apart: they must all come
    from tables.region_table."""
    assert_csv_and_json_agree_with_the_workbook(issued, WEEK)
    header = _csv_rows(outbox_file(issued, "csv"))[0]
    assert [h.split()[0].rstrip(":") for h in header[-6:]] == ["B3", "B3", "C1", "C1", "C6", "C6"]


def assert_csv_and_json_agree_with_the_workbook(home: Path, week: str, version: int = 1) -> None:
    book = openpyxl.load_workbook(outbox_file(home, "xlsx", version, week))
    main_header, main_rows = sheet_rows(book[MAIN])
    _, indicator_rows = sheet_rows(book[INDICATORS])
    table = _csv_rows(outbox_file(home, "csv", version, week))
    assert table[0][: len(main_header)] == main_header
    assert len(table) - 1 == len(main_rows)
    values = {(r["Код региона"], r["Показатель"]): r for r in indicator_rows}
    without_gis = regions_without_gis(home, week)
    for csv_row, row in zip(table[1:], main_rows, strict=True):
        for header, cell in zip(main_header, csv_row, strict=False):
            assert _same(cell, row[header]), (row["Код региона"], header, cell)
        for header, cell in zip(table[0][len(main_header) :], csv_row[len(main_header) :], strict=True):
            indicator = header.split()[0].rstrip(":")
            source = values.get((row["Код региона"], indicator))
            gap = gap_of(indicator, row["Код региона"], without_gis)
            if header.endswith("цель достигнута"):
                assert cell == (source["Цель достигнута"] if source else gap)
            else:
                assert _same(cell, source["Значение"] if source else gap), (indicator, cell)
    document = json.loads(outbox_file(home, "json", version, week).read_text(encoding="utf-8"))
    keys = [c["key"] for c in document["columns"]]
    assert [c["header"] for c in document["columns"]] == main_header
    for item, row in zip(document["regions"], main_rows, strict=True):
        assert [item[k] for k in keys] == [
            None if row[h] is None else expected_cell(row[h]) for h in main_header
        ]
        indicators = {k: v for (code, k), v in values.items() if code == row["Код региона"]}
        assert set(item["indicators"]) == set(indicators)
        for indicator, sheet_row in indicators.items():
            value = item["indicators"][indicator]["value"]
            gap = gap_of(indicator, row["Код региона"], without_gis)
            assert sheet_row["Значение"] == (gap if value is None else expected_cell(value)), indicator
    assert document["edition"]["week"] == week and document["edition"]["version"] == version
    assert len(document["methodology"]) == len(load_config().indicators) + len(load_config().rating.sections)


def test_manifest_checksums_match_the_files(issued: Path) -> None:
    """The manifest names the week, version, serving snapshot sha256 and generator, and the sha256
    of each file matches the bytes on disk. On failure a file was changed after issue, or the
    manifest was written before the file was complete."""
    manifest = assert_manifest_matches_files(issued, WEEK)
    assert manifest["reason"] is None and manifest["reissue_of"] is None
    serving = hashlib.sha256((issued / "serving.duckdb").read_bytes()).hexdigest()
    assert manifest["serving_snapshot"]["sha256"] == serving


def assert_manifest_matches_files(home: Path, week: str, version: int = 1) -> dict[str, Any]:
    text = outbox_file(home, "manifest.json", version, week).read_text(encoding="utf-8")
    manifest: dict[str, Any] = json.loads(text)
    assert manifest["week"] == week and manifest["version"] == version
    assert len(manifest["serving_snapshot"]["sha256"]) == 64
    assert manifest["generator"].startswith("edumon ")
    names = [f"rating_{week}_v{version}.{ext}" for ext in ("xlsx", "csv", "json")]
    assert [f["name"] for f in manifest["files"]] == names
    for entry in manifest["files"]:
        assert hashlib.sha256((home / "outbox" / entry["name"]).read_bytes()).hexdigest() == entry["sha256"]
    return manifest


def _digests(home: Path, version: int) -> dict[str, str]:
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted((home / "outbox").glob(f"rating_{WEEK}_v{version}.*"))
    }


def test_reissue_writes_the_next_version_and_never_touches_earlier_ones(home: Path) -> None:
    """Without --reissue an issued week is refused and left as it is; a re-issue needs a reason,
    writes v2 with the reason in its manifest and leaves v1 byte-identical. Matters because the
    ministry may already hold v1. On failure see edition.issue_edition / _publish."""
    issue_edition(WEEK, home)
    before = _digests(home, 1)
    assert len(before) == 4
    with pytest.raises(EditionExistsError, match="--reissue"):
        issue_edition(WEEK, home)
    with pytest.raises(ReissueReasonError):
        issue_edition(WEEK, home, reissue=True, reason="  ")
    edition = issue_edition(WEEK, home, reissue=True, reason="исправлен файл ГИС Смоленской области")
    assert edition.version == 2
    assert _digests(home, 1) == before
    manifest = edition.read_manifest()
    assert manifest["reason"] == "исправлен файл ГИС Смоленской области"
    assert manifest["reissue_of"] == f"rating_{WEEK}_v1"
    title = openpyxl.load_workbook(edition.data_file("xlsx"))[MAIN]["A2"].value
    assert "v2" in title and "исправлен файл" in title
    files = sorted(p.name for p in (home / "outbox").iterdir() if p.is_file())  # regions/ holds their own
    assert files == sorted([*before, *_digests(home, 2)])
    assert (home / "outbox" / "regions" / "RU-KB" / f"rating_{WEEK}_v2.xlsx").is_file()
    assert (home / "outbox" / "regions" / "RU-KB" / f"rating_{WEEK}_v1.xlsx").is_file()


def test_the_same_marts_give_the_same_bytes(tmp_path: Path, serving_file: Path) -> None:
    """Two issues from the same snapshot, in two homes, have byte-identical XLSX, CSV and JSON (fixed
    document time, sorted rows). On failure something time- or order-dependent leaked into a file."""
    homes = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        homes.append(make_home(tmp_path / name, serving_file))
    first, second = homes
    for home in homes:
        issue_edition(WEEK, home)
    digests = [
        {k: v for k, v in _digests(h, 1).items() if not k.endswith("manifest.json")} for h in (first, second)
    ]
    assert digests[0] == digests[1] and len(digests[0]) == 3


def test_a_week_without_rating_or_snapshot_is_a_clear_error(home: Path, tmp_path: Path) -> None:
    """A week the marts do not have, or a home without serving.duckdb, stops with a message saying
    what to run, and leaves no file in outbox. On failure see marts.read_rating_data."""
    with pytest.raises(RatingDataError, match="no rows for week 2026-W40"):
        issue_edition("2026-W40", home)
    with pytest.raises(RatingDataError, match="no serving snapshot"):
        issue_edition(WEEK, tmp_path / "empty")
    assert not (home / "outbox").exists() or not list((home / "outbox").glob("rating_*"))


def _cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="edumon")
    commands.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.handler(args))


def test_cli_issues_through_a_recorded_dagster_run(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`edumon rating --week W --home H` runs the rating job as a Dagster run stored in H/dagster,
    so it shows in the UI; a second call is refused with a message; --reissue needs --reason.
    On failure read the printed error, then the run in H/dagster (edumon ui)."""
    from dagster import AssetKey, DagsterInstance, DagsterRunStatus

    assert _cli(["rating", "--week", WEEK, "--home", str(home)]) == 0
    assert "rating_2026-W47_v1 issued" in capsys.readouterr().out
    with DagsterInstance.from_config(str(home / "dagster")) as instance:
        runs = instance.get_runs()
        assert [(r.job_name, r.status) for r in runs] == [("rating_job", DagsterRunStatus.SUCCESS)]
        assert instance.get_latest_materialization_event(AssetKey("rating_edition")) is not None
    assert _cli(["rating", "--week", WEEK, "--home", str(home)]) == 1
    assert "already issued as rating_2026-W47_v1" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        _cli(["rating", "--week", WEEK, "--home", str(home), "--reissue"])
    assert _cli(["rating", "--week", WEEK, "--home", str(home), "--reissue", "--reason", "правка"]) == 0
    assert latest_edition(home / "outbox", WEEK).version == 2  # type: ignore[union-attr]
    assert _cli(["rating", "--week", "2026-W40", "--home", str(home)]) == 1
    assert "no rows for week 2026-W40" in capsys.readouterr().err


def test_weekly_schedule_rates_the_week_that_ended(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The schedule fires Monday 06:00 Moscow for the previous ISO week and skips a week already
    issued; the asset depends on the publish asset `serving_snapshot`. On failure check
    orchestration.yaml schedules.weekly_run and pipelines/rating/assets.py."""
    from dagster import AssetKey, DagsterInstance, RunRequest, build_schedule_context

    from pipelines.rating.assets import rating_definitions, rating_edition, weekly_rating_schedule

    monkeypatch.setenv("EDUMON_HOME", str(home))
    assert weekly_rating_schedule.cron_schedule == "0 6 * * 1"
    assert weekly_rating_schedule.execution_timezone == "Europe/Moscow"
    assert AssetKey("serving_snapshot") in rating_edition.asset_deps[AssetKey("rating_edition")]
    rating_definitions().resolve_job_def("rating_job")
    tick = datetime(2026, 11, 23, 6, 0, tzinfo=MOSCOW)
    (home / "dagster").mkdir()
    with DagsterInstance.local_temp(str(home / "dagster")) as instance:
        context = build_schedule_context(instance=instance, scheduled_execution_time=tick)
        request = weekly_rating_schedule.evaluate_tick(context).run_requests
        assert request and isinstance(request[0], RunRequest)
        assert request[0].run_config["ops"]["rating_edition"]["config"]["week"] == WEEK
        issue_edition(WEEK, home)
        result = weekly_rating_schedule.evaluate_tick(context)
        assert not result.run_requests and result.skip_message and "already issued" in result.skip_message


def test_each_region_gets_its_own_edition(issued: Path) -> None:
    """p.11 sends the report «субъектам»: outbox/regions/{region}/rating_{week}_v1.xlsx per region
    with a manifest. RU-KB's workbook shows its place and score, its indicators beside the target
    and the country (as mart_indicators), only its own municipalities and schools; RU-SMO's data-
    quality sheet names the rejected file, its row and rule and what to resend. On failure compare
    the sheet with the marts named in the assertion (pipelines/rating/regional.py)."""
    path = issued / "outbox" / "regions" / "RU-KB" / f"rating_{WEEK}_v1.xlsx"
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == [MAIN, "Показатели региона", MUNICIPAL, "Качество данных", METHOD]
    _, rows = sheet_rows(book[MAIN])
    rating = mart(
        issued, "select rank, score from mart_region_rating where week = ? and region_code = 'RU-KB'", WEEK
    )
    assert [(r["Код региона"], r["Место"], r["Балл (0–1)"]) for r in rows] == [
        ("RU-KB", rating[0]["rank"], pytest.approx(rating[0]["score"]))
    ]
    values = {
        (r["level"], r["indicator"]): r["value"]
        for r in mart(
            issued,
            "select level, indicator, value from mart_indicators where week = ? "
            "and ((level = 'region' and unit_id = 'RU-KB') or level = 'country')",
            WEEK,
        )
    }
    _, indicator_rows = sheet_rows(book["Показатели региона"])
    assert {r["Показатель"] for r in indicator_rows} == {i for _, i in values}
    for row in indicator_rows:
        own, country = values.get(("region", row["Показатель"])), values.get(("country", row["Показатель"]))
        assert row["Значение региона"] == (NO_DATA if own is None else pytest.approx(own))
        assert row["Российская Федерация"] == (NO_DATA if country is None else pytest.approx(country))
    _, municipal = sheet_rows(book[MUNICIPAL])
    assert municipal and {r["Код региона"] for r in municipal} == {"RU-KB"}
    manifest = json.loads(path.with_name(f"rating_{WEEK}_v1.manifest.json").read_text(encoding="utf-8"))
    assert manifest["files"][0]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert manifest["region"] == "RU-KB" and manifest["rank"] == rating[0]["rank"]
    smolensk = openpyxl.load_workbook(issued / "outbox" / "regions" / "RU-SMO" / f"rating_{WEEK}_v1.xlsx")
    _, quality = sheet_rows(smolensk["Качество данных"])
    assert [(q["Файл"], q["Правило проверки"], q["Состояние"]) for q in quality] == [
        ("gis_students_RU-SMO_2026-W47.csv", "snils_checksum", "файл отклонён")
    ]
    assert "строка 12" in quality[0]["Причина (строка и правило)"]
    assert "gis_students_RU-SMO_2026-W47.csv" in quality[0]["Что отправить повторно"]


def test_main_sheet_has_the_five_sections_and_marks_regions_without_gis() -> None:
    """«Рейтинг регионов» groups the weighted indicators in the five sections of protocol
    18.10.2022 p.11, each with its score; a region without a ГИС reads «нет ГИС» for the ГИС
    indicators (not «нет данных», not 0) and «неполные данные» when ranked on the rest. On failure
    look at tables._section_columns / _region_row."""
    from pipelines.rating.marts import IndicatorValue, RatingData, RegionRating
    from pipelines.rating.tables import EditionInfo, region_table

    config = load_config()
    region = RegionRating(
        region_code="RU-CHU", region_name="Чукотский автономный округ", federal_district="ДФО", score=0.7,
        rank=1, previous_rank=None, rank_change=None, score_change=None, data_status="partial",
        data_status_reason="неполные данные: без данных A10 (нет ГИС), A3 (нет ГИС), A4 (нет ГИС)",
        missing_weight=0.35, has_gis=False, sections={"content": 0.5, "sferum": 0.8, "communities": 0.4},
    )  # fmt: skip
    a1 = IndicatorValue("A1", 9, 10, 0.9, 1.0, False)
    data = RatingData(WEEK, "0" * 64, [region], {("region", "RU-CHU"): {"A1": a1}})
    table = region_table(config, data, EditionInfo(WEEK, 1, "0" * 64, None))
    headers = [c.header for c in table.columns]
    sections = [h for h in headers if h.startswith("Раздел «")]
    assert [h.split("»: ")[0] + "»" for h in sections] == [
        f"Раздел «{s.name}»" for s in config.rating.sections
    ]
    row = dict(zip(headers, table.rows[0], strict=True))
    assert row["Раздел «Подключение и активность в Сферуме»: балл"] == 0.8
    assert row["Раздел «Взаимодействие ФГИС с ГИС»: балл"] == "нет ГИС"  # its only indicator is the ГИС's
    assert row[f"A3 {config.indicators['A3'].name}"] == "нет ГИС"
    assert row[f"A10 {config.indicators['A10'].name}"] == "нет ГИС"
    assert row[f"A1 {config.indicators['A1'].name}"] == 0.9
    assert row[f"A9 {config.indicators['A9'].name}"] == NO_DATA  # a federal indicator without a row
    assert row["Данные за неделю"] == "неполные данные" and row["Место"] == 1
    assert row["Раздел «Регионы без ГИС»: региональная ГИС"].startswith("нет ГИС")
