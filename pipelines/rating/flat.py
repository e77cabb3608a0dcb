"""The edition as CSV and JSON, for people with Excel and for programs.

CSV (decided for Russian Excel, documented in docs/rating_edition.md): UTF-8 with a BOM so Excel
detects the encoding, the `;` list separator and the decimal comma from orchestration.yaml
(`rating.edition`), CRLF line ends, one header row. Its columns are the «Рейтинг регионов» sheet's,
cell for cell, followed by the value and «цель достигнута» of every other indicator the region
has (the «Показатели» sheet's values), so the one file holds the rating plus the indicators.
Numbers are rounded to `rating.edition.csv_decimals` places (counts are whole numbers anyway), so
a share reads 0,873016 and not 0,8730158730158730; the JSON keeps the full values for programs.

JSON: the same main-sheet cells keyed by column, each region's every indicator with numerator,
denominator, value, target and whether it is met (null where the marts have nothing), the
country's indicators and the methodology.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from pipelines.config import Config
from pipelines.rating.marts import IndicatorValue, RatingData
from pipelines.rating.tables import (
    Cell,
    Column,
    EditionInfo,
    Table,
    gap_cells,
    indicator_kind,
    indicator_label,
    indicator_order,
    method_table,
    region_table,
    week_span,
)
from pipelines.weeks import week_monday, week_sunday


def extra_indicators(config: Config, data: RatingData) -> list[str]:
    """Region-level indicators of the week that the rating does not weigh."""
    present = {ind for (level, _), values in data.indicators.items() if level == "region" for ind in values}
    return indicator_order(config, present - set(config.rating.weights))


def csv_table(config: Config, data: RatingData, info: EditionInfo) -> Table:
    """The main sheet plus, per region, the value and target flag of every other indicator."""
    table = region_table(config, data, info)
    extras = extra_indicators(config, data)
    for indicator in extras:
        kind = indicator_kind(config, indicator)
        table.columns.append(Column(indicator, indicator_label(config, indicator), kind))
        table.columns.append(Column(f"{indicator}_meets_target", f"{indicator}: цель достигнута"))
    for row, region in zip(table.rows, data.regions, strict=True):
        for indicator in extras:
            value = data.indicator("region", region.region_code, indicator)
            row += gap_cells(config, region, indicator, value)
    return table


def csv_text(config: Config, cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, str):
        return cell
    if isinstance(cell, float):
        # Rounded first, then repr: the shortest text of the rounded value, without float noise.
        cell = round(cell, config.rating.edition.csv_decimals)
        if cell.is_integer():
            cell = int(cell)
    return repr(cell).replace(".", config.rating.edition.csv_decimal)


def write_csv(path: Path, config: Config, table: Table) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=config.rating.edition.csv_delimiter, lineterminator="\r\n")
    writer.writerow([column.header for column in table.columns])
    for row in table.rows:
        writer.writerow([csv_text(config, cell) for cell in row])
    path.write_bytes(buffer.getvalue().encode("utf-8-sig"))


def _indicator_json(value: IndicatorValue) -> dict[str, Any]:
    return {
        "numerator": value.numerator,
        "denominator": value.denominator,
        "value": value.value,
        "target": value.target,
        "meets_target": value.meets_target,
    }


def _unit_indicators(config: Config, data: RatingData, level: str, unit_id: str) -> dict[str, Any]:
    values = data.indicators.get((level, unit_id), {})
    return {ind: _indicator_json(values[ind]) for ind in indicator_order(config, set(values))}


def keys(table: Table) -> list[str]:
    return [column.key for column in table.columns]


def edition_json(config: Config, data: RatingData, info: EditionInfo) -> dict[str, Any]:
    main = region_table(config, data, info)
    method = method_table(config, info)
    regions = []
    for row, region in zip(main.rows, data.regions, strict=True):
        item: dict[str, Any] = dict(zip(keys(main), row, strict=True))
        item["indicators"] = _unit_indicators(config, data, "region", region.region_code)
        regions.append(item)
    return {
        "edition": {
            "title": main.title,
            "week": info.week,
            "week_start": week_monday(info.week).isoformat(),
            "week_end": week_sunday(info.week).isoformat(),
            "week_span": week_span(info.week),
            "version": info.version,
            "reissue_reason": info.reason,
            "serving_sha256": info.serving_sha256,
        },
        "columns": [{"key": c.key, "header": c.header} for c in main.columns],
        "regions": regions,
        "country": {"unit_id": "RU", "indicators": _unit_indicators(config, data, "country", "RU")},
        "methodology": [
            {c.key: cell for c, cell in zip(method.columns, row, strict=True)} for row in method.rows
        ],
    }


def write_json(path: Path, document: dict[str, Any]) -> None:
    text = json.dumps(document, ensure_ascii=False, indent=2, allow_nan=False)
    path.write_bytes((text + "\n").encode("utf-8"))
