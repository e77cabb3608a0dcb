"""Read one week of the published marts the rating edition is made of.

The serving snapshot is the contract (docs/architecture.md, "The marts"): `mart_region_rating`,
`mart_municipal_rating`, `mart_indicators`, `mart_data_quality` and the seed `ref_regions`.
It is opened read-only; the file is hashed before and after reading so an edition always
names the exact snapshot it was made from, even if publish swapped the file meanwhile.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

Number = int | float

# mart_data_quality statuses that leave a region-week without (part of) its data.
PROBLEM_STATUSES = {"rejected": "файл отклонён", "missing": "файл не поступил"}
NO_LOADS_REASON = "данные за неделю не поступили"


class RatingDataError(RuntimeError):
    """The serving snapshot cannot make an edition (missing file, no rating for the week)."""


@dataclass(frozen=True)
class IndicatorValue:
    indicator: str
    numerator: Number | None
    denominator: Number | None
    value: Number | None
    target: Number | None
    meets_target: bool | None


@dataclass(frozen=True)
class RegionRating:
    region_code: str
    region_name: str
    federal_district: str
    score: float | None
    rank: int | None
    previous_rank: int | None
    rank_change: int | None
    score_change: float | None
    data_status: str  # ok | partial («неполные данные», ranked) | no_data (unranked)
    data_status_reason: str | None
    missing_weight: float | None = None
    has_gis: bool = True  # false: a region without a regional ГИС (p.11 «Регионы без ГИС»)
    sections: dict[str, float | None] = field(default_factory=dict)  # section id → section score

    @property
    def has_data(self) -> bool:
        return self.data_status != "no_data"

    @property
    def is_partial(self) -> bool:
        return self.data_status == "partial"


@dataclass(frozen=True)
class UnitRating:
    level: str  # municipality | school
    unit_id: str
    unit_name: str
    parent_id: str
    region_code: str
    score: float | None
    rank: int | None
    previous_rank: int | None
    rank_change: int | None
    score_change: float | None
    a5_value: float | None = None  # seed 003's table: A5 and its «менее 50 %» flag, place by A5
    is_below_a5_flag: bool | None = None
    a5_order: int | None = None


@dataclass
class RatingData:
    """Everything one edition shows, for one week, in reading order."""

    week: str
    serving_sha256: str
    regions: list[RegionRating]
    # (level, unit_id) → indicator id → value; levels country/region/municipality/school.
    indicators: dict[tuple[str, str], dict[str, IndicatorValue]] = field(default_factory=dict)
    units: list[UnitRating] = field(default_factory=list)

    def indicator(self, level: str, unit_id: str, indicator: str) -> IndicatorValue | None:
        return self.indicators.get((level, unit_id), {}).get(indicator)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _plain(value: Any) -> Any:
    """DECIMAL columns arrive as Decimal; the edition writes plain numbers."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _records(con: duckdb.DuckDBPyConnection, sql: str, params: Iterable[Any]) -> list[dict[str, Any]]:
    cursor = con.execute(sql, list(params))
    columns = cursor.description or []
    names = [column[0] for column in columns]
    # Only DECIMAL columns need _plain: a call per value of 600 k indicator rows was 5 % of the rating.
    decimals = {index for index, column in enumerate(columns) if str(column[1]).startswith("DECIMAL")}
    rows = cursor.fetchall()
    if decimals:
        rows = [tuple(_plain(v) if i in decimals else v for i, v in enumerate(row)) for row in rows]
    return [dict(zip(names, row, strict=True)) for row in rows]


def _problem_reasons(con: duckdb.DuckDBPyConnection, week: str) -> dict[str, str]:
    """Per region, why loads of the week are missing or rejected, from mart_data_quality."""
    rows = _records(
        con,
        """select region_code, dataset, status, reason from mart_data_quality
           where week = ? and status in ('rejected', 'missing')
           order by region_code, dataset, source_file""",
        [week],
    )
    reasons: dict[str, list[str]] = {}
    for row in rows:
        text = f"{row['dataset']}: {PROBLEM_STATUSES[row['status']]}"
        if row["reason"]:
            text += f" ({row['reason']})"
        reasons.setdefault(row["region_code"], []).append(text)
    return {region: "; ".join(texts) for region, texts in reasons.items()}


REGION_FIELDS = (
    "region_code", "region_name", "federal_district", "score", "rank", "previous_rank", "rank_change",
    "score_change", "data_status", "data_status_reason", "missing_weight", "has_gis",
)  # fmt: skip
SECTION_PREFIX, SECTION_SUFFIX = "section_", "_score"


def _region_ratings(con: duckdb.DuckDBPyConnection, week: str) -> list[RegionRating]:
    rows = _records(
        con, "select * from mart_region_rating where week = ? order by rank nulls last, region_code", [week]
    )
    problems = _problem_reasons(con, week)
    regions = []
    for row in rows:
        if row["data_status"] == "no_data" and not row["data_status_reason"]:
            # The mart says "no data" without saying why: the load log's own words are the reason.
            row["data_status_reason"] = problems.get(row["region_code"], NO_LOADS_REASON)
        sections = {
            name[len(SECTION_PREFIX) : -len(SECTION_SUFFIX)]: value
            for name, value in row.items()
            if name.startswith(SECTION_PREFIX) and name.endswith(SECTION_SUFFIX)
        }
        fields = {name: row[name] for name in REGION_FIELDS if name in row}
        if fields.get("has_gis") is None:
            fields.pop("has_gis", None)
        regions.append(RegionRating(**fields, sections=sections))
    return regions + _unrated_problem_regions(con, week, {r.region_code for r in regions}, problems)


def _unrated_problem_regions(
    con: duckdb.DuckDBPyConnection, week: str, rated: set[str], problems: dict[str, str]
) -> list[RegionRating]:
    """Regions whose every load failed may have no rating row: they still appear, as «нет данных»."""
    missing = sorted(set(problems) - rated)
    if not missing:
        return []
    refs = _records(
        con,
        "select region_code, region_name, federal_district from ref_regions where region_code in "
        f"({', '.join('?' * len(missing))})",
        missing,
    )
    by_code = {ref["region_code"]: ref for ref in refs}
    return [
        RegionRating(
            region_code=code,
            region_name=by_code.get(code, {}).get("region_name", code),
            federal_district=by_code.get(code, {}).get("federal_district", ""),
            score=None,
            rank=None,
            previous_rank=None,
            rank_change=None,
            score_change=None,
            data_status="no_data",
            data_status_reason=problems[code],
        )
        for code in missing
    ]


def _indicator_values(
    con: duckdb.DuckDBPyConnection, week: str, unit_indicators: list[str]
) -> dict[tuple[str, str], dict[str, IndicatorValue]]:
    """Country and region rows of every indicator; municipality and school rows of the few shown there."""
    placeholders = ", ".join("?" * len(unit_indicators)) or "null"
    rows = _records(
        con,
        f"""select level, unit_id, indicator, numerator, denominator, value, target, meets_target
            from mart_indicators
            where week = ? and (level in ('country', 'region')
                  or (level in ('municipality', 'school') and indicator in ({placeholders})))""",
        [week, *unit_indicators],
    )
    values: dict[tuple[str, str], dict[str, IndicatorValue]] = {}
    for row in rows:
        key = (row.pop("level"), row.pop("unit_id"))
        values.setdefault(key, {})[row["indicator"]] = IndicatorValue(**row)
    return values


def _unit_ratings(con: duckdb.DuckDBPyConnection, week: str) -> list[UnitRating]:
    rows = _records(
        con,
        """select * from mart_municipal_rating where week = ?
           order by region_code, level, parent_id, rank nulls last, unit_id""",
        [week],
    )
    names = set(UnitRating.__dataclass_fields__)
    return [UnitRating(**{k: v for k, v in row.items() if k in names}) for row in rows]


def _read(serving: Path, week: str, unit_indicators: list[str], sha256: str) -> RatingData:
    with duckdb.connect(str(serving), read_only=True) as con:
        regions = _region_ratings(con, week)
        if not regions:
            raise RatingDataError(
                f"{serving}: mart_region_rating has no rows for week {week}; "
                "run the pipeline for that week (edumon run) before issuing its rating"
            )
        return RatingData(
            week=week,
            serving_sha256=sha256,
            regions=regions,
            indicators=_indicator_values(con, week, unit_indicators),
            units=_unit_ratings(con, week),
        )


def read_rating_data(serving: Path, week: str, unit_indicators: list[str]) -> RatingData:
    """The week's rating from the serving snapshot, with the sha256 of the exact file read."""
    if not serving.is_file():
        raise RatingDataError(f"{serving}: no serving snapshot; publish the marts first (edumon run)")
    for _attempt in range(3):
        before = file_sha256(serving)
        data = _read(serving, week, unit_indicators, before)
        if file_sha256(serving) == before:
            return data
    raise RatingDataError(f"{serving}: the snapshot kept changing while it was read; retry after publish")
