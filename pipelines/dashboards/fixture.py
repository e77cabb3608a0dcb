"""A small serving snapshot with the mart columns of docs/architecture.md, for dashboard work.

It lets the dashboards be developed and tested without running the whole pipeline; the values are
random but consistent (a municipality's counts are the sum of its schools', a region's of its
municipalities'), so charts that aggregate over a level show sensible shares.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.config import load_config, region_rows

INDICATORS = ("A1", "A2", "A3", "A4", "A5", "A7", "A9", "A10", "B2", "B3", "C1", "C2", "C3", "C4", "C5", "C6")
COUNT_INDICATORS = ("A6", "B1")


def _units(regions: list[str]) -> list[dict[str, str]]:
    """School, municipality and region units with their parents."""
    names = {row["region_code"]: row["region_name"] for row in region_rows()}
    units = []
    for r, region in enumerate(regions):
        units.append({"level": "region", "unit_id": region, "unit_name": names[region], "parent_id": "RU"})
        for m in range(2):
            oktmo = f"{80 + r:02d}{m + 1:03d}000"
            units.append(
                {
                    "level": "municipality",
                    "unit_id": oktmo,
                    "unit_name": f"Муниципалитет {m + 1} ({region})",
                    "parent_id": region,
                }
            )
            for s in range(2):
                inn = f"{r + 1:02d}{m + 1:02d}{s + 1:02d}0000"
                units.append(
                    {
                        "level": "school",
                        "unit_id": inn,
                        "unit_name": f"Школа №{s + 1} ({oktmo})",
                        "parent_id": oktmo,
                    }
                )
    return units


def indicator_rows(weeks: list[str], regions: list[str], seed: int = 7) -> pd.DataFrame:
    rng = random.Random(seed)
    targets = {key: ind.target for key, ind in load_config().indicators.items()}
    units = _units(regions)
    region_of: dict[str, str] = {}
    for unit in units:
        region_of[unit["unit_id"]] = (
            unit["unit_id"] if unit["level"] == "region" else region_of[unit["parent_id"]]
        )
    rows = []
    for week in weeks:
        for indicator in (*INDICATORS, *COUNT_INDICATORS):
            totals: dict[str, list[float]] = {}
            for unit in reversed(units):  # schools first, so parents can sum their children
                if unit["level"] == "school":
                    den = float(rng.randint(20, 60))
                    num = float(rng.randint(0, int(den)))
                else:
                    num, den = totals.get(unit["unit_id"], [0.0, 0.0])
                parent = totals.setdefault(unit["parent_id"], [0.0, 0.0])
                parent[0] += num
                parent[1] += den
                is_count = indicator in COUNT_INDICATORS
                value = num if is_count else num / den
                target = targets[indicator]
                rows.append(
                    {
                        "week": week,
                        **unit,
                        "region_code": region_of[unit["unit_id"]],
                        "indicator": indicator,
                        "numerator": num,
                        "denominator": None if is_count else den,
                        "value": value,
                        "target": target,
                        "meets_target": None if target is None else value >= target,
                    }
                )
            num, den = totals["RU"]  # the regions' sums: the country row
            rows.append(
                {
                    "week": week,
                    "level": "country",
                    "unit_id": "RU",
                    "unit_name": "Российская Федерация",
                    "parent_id": None,
                    "region_code": "RU",
                    "indicator": indicator,
                    "numerator": num,
                    "denominator": None if indicator in COUNT_INDICATORS else den,
                    "value": num if indicator in COUNT_INDICATORS else num / den,
                    "target": targets[indicator],
                    "meets_target": None,
                }
            )
    combined = pd.DataFrame(rows)
    map_codes = {row["region_code"]: row["map_code"] or None for row in region_rows()}
    return combined.assign(map_code=combined.region_code.map(map_codes))


def region_rating_rows(indicators: pd.DataFrame) -> pd.DataFrame:
    weights = load_config().rating.weights
    meta = {row["region_code"]: row for row in region_rows()}
    regional = indicators[(indicators.level == "region") & indicators.indicator.isin(list(weights))]
    scores = (
        regional.assign(weighted=regional.value * regional.indicator.map(weights))
        .groupby(["week", "region_code"], as_index=False)["weighted"]
        .sum()
        .rename(columns={"weighted": "score"})
    )
    scores["rank"] = scores.groupby("week")["score"].rank(ascending=False, method="min").astype(int)
    scores = scores.sort_values(["region_code", "week"])
    scores["previous_rank"] = scores.groupby("region_code")["rank"].shift(1).astype("Int64")
    scores["previous_score"] = scores.groupby("region_code")["score"].shift(1)
    scores["rank_change"] = scores["previous_rank"] - scores["rank"]
    scores["score_change"] = scores["score"] - scores["previous_score"]
    scores["region_name"] = scores.region_code.map(lambda c: meta[c]["region_name"])
    scores["federal_district"] = scores.region_code.map(lambda c: meta[c]["federal_district"])
    scores["map_code"] = scores.region_code.map(lambda c: meta[c]["map_code"] or None)
    scores["data_status"] = "ok"
    scores["data_status_reason"] = None
    columns = [
        "week",
        "region_code",
        "region_name",
        "federal_district",
        "map_code",
        "score",
        "rank",
        "previous_rank",
        "rank_change",
        "previous_score",
        "score_change",
        "data_status",
        "data_status_reason",
    ]
    return scores[columns]


def municipal_rating_rows(indicators: pd.DataFrame) -> pd.DataFrame:
    weights = load_config().rating.weights
    local = indicators[
        indicators.level.isin(["municipality", "school"]) & indicators.indicator.isin(list(weights))
    ]
    keys = ["week", "level", "unit_id", "unit_name", "parent_id", "region_code"]
    scores = (
        local.assign(weighted=local.value * local.indicator.map(weights))
        .groupby(keys, as_index=False)["weighted"]
        .sum()
        .rename(columns={"weighted": "score"})
    )
    scores["rank"] = scores.groupby(["week", "level", "parent_id"])["score"].rank(
        ascending=False, method="min"
    )
    scores = scores.sort_values(["unit_id", "week"])
    scores["previous_rank"] = scores.groupby("unit_id")["rank"].shift(1)
    scores["rank_change"] = scores["previous_rank"] - scores["rank"]
    scores["score_change"] = scores["score"] - scores.groupby("unit_id")["score"].shift(1)
    for column in ("rank", "previous_rank", "rank_change"):
        scores[column] = scores[column].astype("Int64")
    return scores[[*keys, "score", "rank", "previous_rank", "rank_change", "score_change"]]


def data_quality_rows(weeks: list[str], regions: list[str]) -> pd.DataFrame:
    rows = []
    checked = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    for week in weeks:
        for region in regions:
            for dataset in load_config().datasets:
                rejected = dataset == "gis_students" and region == regions[-1]
                rows.append(
                    {
                        "week": week,
                        "region_code": region,
                        "dataset": dataset,
                        "status": "rejected" if rejected else "loaded",
                        "reason": "СНИЛС не проходит проверку контрольной суммы" if rejected else None,
                        "rule": "snils_checksum" if rejected else None,
                        "rows": 0 if rejected else 120,
                        "source_file": f"{dataset}_{region}_{week}.csv",
                        "sha256": "0" * 64,
                        "checked_at": checked,
                    }
                )
    return pd.DataFrame(rows)


def build_serving_fixture(path: Path, weeks: list[str], regions: list[str]) -> Path:
    """Write a serving file with the four marts the dashboards read (replaces an existing file)."""
    indicators = indicator_rows(weeks, regions)
    tables = {
        "mart_indicators": indicators,
        "mart_region_rating": region_rating_rows(indicators),
        "mart_municipal_rating": municipal_rating_rows(indicators),
        "mart_data_quality": data_quality_rows(weeks, regions),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as connection:
        for name, frame in tables.items():
            connection.register("frame", frame)
            connection.execute(f"create table {name} as select * from frame")
            connection.unregister("frame")
    return path
