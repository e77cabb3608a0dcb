"""Each region's own edition (protocol 18.10.2022 p.11: the report goes «в Минцифры России и субъектам»).

`outbox/regions/{region}/rating_{week}_v{n}.xlsx` with a manifest, written beside the national
edition of the same version from the same tables: the region's place and change with its section
scores, its indicators against the targets and the country, its municipal and school rating, and
its data-quality report in Russian (files rejected with file, row and rule, missing deliveries,
what to resend). Versions are immutable like the national edition's: a name that exists stops.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb

from pipelines.config import Config
from pipelines.rating.marts import RatingData
from pipelines.rating.tables import (
    NO_DATA,
    NOT_APPLICABLE,
    Column,
    EditionInfo,
    Table,
    edition_subtitle,
    edition_title,
    gap_cells,
    indicator_kind,
    indicator_order,
    indicator_spec,
    method_table,
    municipal_table,
    region_table,
    regions_by_code,
    value_cell,
)
from pipelines.rating.workbook import write_workbook

SHEET_INDICATORS = "Показатели региона"
SHEET_QUALITY = "Качество данных"
STATUS_NAME = {"rejected": "файл отклонён", "missing": "файл не поступил"}


def regional_path(outbox: Path, region: str, name: str, suffix: str) -> Path:
    return outbox / "regions" / region / f"{name}.{suffix}"


def _region_data(data: RatingData, region: str) -> RatingData:
    """The national data cut to one region (and the country's values to compare with)."""
    units = [u for u in data.units if u.region_code == region]
    keys = [("country", "RU"), ("region", region), *((u.level, u.unit_id) for u in units)]
    return replace(
        data,
        regions=[r for r in data.regions if r.region_code == region],
        # Only the region's own units: a sheet of one region never looks up another's (walking
        # the whole country's unit values once per region was a tenth of the rating's time).
        indicators={key: data.indicators[key] for key in keys if key in data.indicators},
        units=units,
    )


def indicators_table(config: Config, data: RatingData, region: str, info: EditionInfo) -> Table:
    """The region's every indicator against its target and the country's value."""
    table = Table(
        SHEET_INDICATORS,
        edition_title(info, f"Показатели региона {region} в сравнении с целью и страной"),
        edition_subtitle(info),
        [
            Column("indicator", "Показатель"),
            Column("indicator_name", "Наименование"),
            Column("value", "Значение региона", "score", flag_of="meets_target"),
            Column("target", "Цель", "score"),
            Column("meets_target", "Цель достигнута"),
            Column("country", "Российская Федерация", "score"),
        ],
        frozen_columns=2,
    )
    own = data.indicators.get(("region", region), {})
    country = data.indicators.get(("country", "RU"), {})
    rating = regions_by_code(data).get(region)
    for indicator in indicator_order(config, set(own) | set(country)):
        spec = indicator_spec(config, indicator)
        value = own.get(indicator)
        target = spec.target if spec else None
        shown, met = gap_cells(config, rating, indicator, value)  # «нет ГИС» in a region without one
        table.rows.append(
            [
                indicator,
                spec.name if spec else indicator,
                shown,
                NOT_APPLICABLE if target is None else target,
                met,
                value_cell(country.get(indicator)),
            ]
        )
        kind = indicator_kind(config, indicator)
        table.row_kinds.append({"value": kind, "target": kind, "country": kind})
    return table


def quality_rows(serving: Path, week: str) -> dict[str, list[dict[str, Any]]]:
    """Per region, the week's rejected and missing deliveries from mart_data_quality (one query for
    every region: a connection per region was the regional editions' largest cost after the sheets)."""
    with duckdb.connect(str(serving), read_only=True) as con:
        cursor = con.execute(
            """select region_code, dataset, status, source_file, rule, reason from mart_data_quality
               where week = ? and status in ('rejected', 'missing')
               order by region_code, dataset, source_file""",
            [week],
        )
        names = [c[0] for c in cursor.description or []][1:]
        by_region: dict[str, list[dict[str, Any]]] = {}
        for region, *row in cursor.fetchall():
            by_region.setdefault(region, []).append(dict(zip(names, row, strict=True)))
        return by_region


def quality_table(rows: list[dict[str, Any]], region: str, info: EditionInfo) -> Table:
    """Rejected files with file, row and rule; missing deliveries; what to resend."""
    table = Table(
        SHEET_QUALITY,
        edition_title(info, f"Качество данных региона {region}: отклонённые и непоступившие файлы"),
        edition_subtitle(info) + ("" if rows else "; все файлы недели приняты"),
        [
            Column("dataset", "Набор данных"),
            Column("status", "Состояние"),
            Column("file", "Файл"),
            Column("rule", "Правило проверки"),
            Column("reason", "Причина (строка и правило)"),
            Column("resend", "Что отправить повторно"),
        ],
        frozen_columns=1,
    )
    for row in rows:
        file = row["source_file"] or f"{row['dataset']}_{region}_{info.week}"
        action = (
            f"исправленный файл {file} целиком (он в карантине, ни одна строка не загружена)"
            if row["status"] == "rejected"
            else f"файл {row['dataset']}_{region}_{info.week} за неделю"
        )
        table.rows.append(
            [row["dataset"], STATUS_NAME[row["status"]], file, row["rule"] or NOT_APPLICABLE,
             row["reason"] or NO_DATA, action]
        )  # fmt: skip
    return table


def regional_tables(
    config: Config, data: RatingData, region: str, info: EditionInfo, quality: list[dict[str, Any]]
) -> list[Table]:
    own = _region_data(data, region)
    return [
        region_table(config, own, info),
        indicators_table(config, own, region, info),
        municipal_table(config, own, info),
        quality_table(quality, region, info),
        method_table(config, info),
    ]


def issue_regional_editions(
    config: Config, data: RatingData, info: EditionInfo, outbox: Path, serving: Path, name: str
) -> list[Path]:
    """One workbook and manifest per region of the week's rating; returns the workbooks."""
    written = []
    quality_of = quality_rows(serving, info.week)
    for region in data.regions:
        code = region.region_code
        workbook = regional_path(outbox, code, name, "xlsx")
        manifest = regional_path(outbox, code, name, "manifest.json")
        if workbook.exists() or manifest.exists():
            raise FileExistsError(f"{workbook}: regional editions are never overwritten")
        workbook.parent.mkdir(parents=True, exist_ok=True)
        quality = quality_of.get(code, [])
        partial = workbook.with_name(f".{workbook.name}.tmp")
        write_workbook(partial, regional_tables(config, data, code, info, quality), info)
        os.link(partial, workbook)  # fails rather than replace
        partial.unlink()
        digest = hashlib.sha256(workbook.read_bytes()).hexdigest()
        document = {
            "edition": name,
            "region": code,
            "week": info.week,
            "version": info.version,
            "rank": region.rank,
            "previous_rank": region.previous_rank,
            "score": region.score,
            "data_status": region.data_status,
            "rejected_or_missing": len(quality),
            "serving_snapshot": {"file": serving.name, "sha256": info.serving_sha256},
            "files": [{"name": workbook.name, "sha256": digest, "bytes": workbook.stat().st_size}],
        }
        manifest.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        written.append(workbook)
    return written
