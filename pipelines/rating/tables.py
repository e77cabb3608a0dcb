"""The edition's tables as an official reads them: Russian headers, typed cells, explicit gaps.

One builder per sheet; the XLSX, CSV and JSON writers all start from these tables, which is what
keeps the three files in agreement. A cell is a number, a text or None (an empty cell). A value
the marts do not have is the text «нет данных», never a zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pipelines.config import Config, Indicator
from pipelines.rating.marts import IndicatorValue, RatingData, RegionRating, UnitRating
from pipelines.weeks import week_monday, week_sunday

Cell = str | int | float | None
# How a number is shown; the XLSX writer maps each kind to a number format.
Kind = Literal["text", "int", "change", "share", "count", "score", "score_change", "hours", "weight"]

NO_DATA = "нет данных"
NO_GIS = "нет ГИС"
PARTIAL = "неполные данные"
BELOW_A5 = "менее 50 %"
NOT_APPLICABLE = "—"
YES, NO = "да", "нет"
COUNTRY_NAME = "Российская Федерация"

SHEET_REGIONS = "Рейтинг регионов"
SHEET_INDICATORS = "Показатели"
SHEET_METHOD = "Методика"
SHEET_MUNICIPAL = "Муниципальный рейтинг"

UNIT_KIND: dict[str, Kind] = {"share": "share", "count": "count", "score": "score", "hours": "hours"}
UNIT_NAME = {"share": "доля", "count": "количество", "score": "балл", "hours": "часы"}
LEVEL_NAME = {"municipality": "муниципалитет", "school": "ОО"}


@dataclass(frozen=True)
class Column:
    key: str  # the JSON / machine name
    header: str  # what the official reads
    kind: Kind = "text"
    flag_of: str | None = None  # a value column: coloured by the «цель достигнута» column named here


@dataclass
class Table:
    sheet: str
    title: str
    subtitle: str
    columns: list[Column]
    rows: list[list[Cell]] = field(default_factory=list)
    # Per-row kinds for the columns whose kind depends on the row (the indicator's unit).
    row_kinds: list[dict[str, Kind]] = field(default_factory=list)
    outline: list[int] = field(default_factory=list)  # per row: 0, or 1 for rows grouped under the one above
    frozen_columns: int = 0

    def kind(self, row: int, column: Column) -> Kind:
        if self.row_kinds and column.key in self.row_kinds[row]:
            return self.row_kinds[row][column.key]
        return column.kind


@dataclass(frozen=True)
class EditionInfo:
    """What identifies an edition; printed on every sheet and in the manifest."""

    week: str
    version: int
    serving_sha256: str
    reason: str | None


def week_span(week: str) -> str:
    return f"Пн {week_monday(week):%d.%m.%Y} – Вс {week_sunday(week):%d.%m.%Y}"


def edition_title(info: EditionInfo, what: str) -> str:
    return f"{what} — неделя {info.week} ({week_span(info.week)})"


def data_as_of(info: EditionInfo) -> str:
    """The date a reader needs: state datasets are snapshots as of the week's Sunday."""
    return f"Данные по состоянию на {week_sunday(info.week):%d.%m.%Y}"


def edition_line(info: EditionInfo) -> str:
    """Version and, for a re-issue, its reason (the snapshot checksum stays in the manifest)."""
    text = f"Выпуск v{info.version}"  # as in the file name rating_{week}_v{n}
    if info.reason:
        text += f" (переиздание; причина: {info.reason})"
    return text


def edition_subtitle(info: EditionInfo) -> str:
    return f"{data_as_of(info)}. {edition_line(info)}."


def indicator_label(config: Config, indicator: str) -> str:
    spec = indicator_spec(config, indicator)
    return f"{indicator} {spec.name}" if spec else indicator


def indicator_spec(config: Config, indicator: str) -> Indicator | None:
    """The catalogue entry; per-field ids such as `C3.fio` belong to their family `C3`."""
    return config.indicators.get(indicator) or config.indicators.get(indicator.split(".")[0])


def indicator_kind(config: Config, indicator: str) -> Kind:
    spec = indicator_spec(config, indicator)
    return UNIT_KIND[spec.unit] if spec else "score"


def indicator_order(config: Config, indicators: set[str]) -> list[str]:
    """Catalogue order (A1 … E1), ids the catalogue does not know after them."""
    known = list(config.indicators)

    def position(indicator: str) -> tuple[int, str]:
        family = indicator.split(".")[0]
        return (known.index(family) if family in known else len(known), indicator)

    return sorted(indicators, key=position)


def value_cell(value: IndicatorValue | None, no_gis: bool = False) -> Cell:
    """The value, or why there is none: «нет ГИС» for a ГИС indicator of a region without one."""
    if value is None or value.value is None:
        return NO_GIS if no_gis else NO_DATA
    return value.value


def lacks_gis(config: Config, region: RegionRating | None, indicator: str) -> bool:
    """A ГИС indicator (catalogue `gis: true`) of a region without a regional ГИС."""
    spec = indicator_spec(config, indicator)
    return region is not None and not region.has_gis and spec is not None and spec.gis


def regions_by_code(data: RatingData) -> dict[str, RegionRating]:
    return {region.region_code: region for region in data.regions}


def gap_cells(
    config: Config, region: RegionRating | None, indicator: str, value: IndicatorValue | None
) -> list[Cell]:
    """Value and «цель достигнута» of a unit of `region`: «нет ГИС» in both where the indicator
    comes from a ГИС the region does not have, «нет данных» where data is missing."""
    no_gis = lacks_gis(config, region, indicator)
    flag = NO_GIS if no_gis and value_cell(value) == NO_DATA else flag_cell(value)
    return [value_cell(value, no_gis), flag]


def municipal_indicators(config: Config) -> list[str]:
    """Seed 003's A5 first, then every weighted indicator of the composite score."""
    shown = list(config.rating.edition.municipal_indicators)
    return shown + [i for i in config.rating.weights if i not in shown]


def flag_cell(value: IndicatorValue | None) -> Cell:
    if value is None or value.value is None:
        return NO_DATA
    if value.meets_target is None:
        return NOT_APPLICABLE  # the indicator has no target
    return YES if value.meets_target else NO


def optional_cell(value: int | float | None) -> Cell:
    """Rank history: a region new to the rating has no previous rank, shown as a dash."""
    return NOT_APPLICABLE if value is None else value


def rank_change_cell(rank: int | None, previous_rank: int | None) -> Cell:
    """Places gained since last week (+ up, − down), from the two ranks the marts give, so the
    sign means the same whatever convention a mart's own `rank_change` column follows."""
    if rank is None or previous_rank is None:
        return NOT_APPLICABLE
    return previous_rank - rank


def _indicator_columns(config: Config, indicators: list[str]) -> list[Column]:
    columns = []
    for indicator in indicators:
        flag_key = f"{indicator}_meets_target"
        columns.append(
            Column(indicator, indicator_label(config, indicator), indicator_kind(config, indicator), flag_key)
        )
        columns.append(Column(flag_key, f"{indicator}: цель достигнута"))
    return columns


def _section_columns(config: Config) -> list[Column]:
    """The five sections of protocol 18.10.2022 p.11, each: its score, then its indicators."""
    columns = []
    for section in config.rating.sections:
        if section.indicators:
            columns.append(Column(f"section_{section.id}", f"Раздел «{section.name}»: балл", "score"))
            columns += _indicator_columns(config, section.indicators)
        else:  # «Регионы без ГИС»: which regions, rated on what they have
            columns.append(Column(f"section_{section.id}", f"Раздел «{section.name}»: региональная ГИС"))
    return columns


def region_columns(config: Config) -> list[Column]:
    return [
        Column("rank", "Место", "int"),
        Column("previous_rank", "Место неделей ранее", "int"),
        Column("rank_change", "Изменение места (+ вверх)", "change"),
        Column("region_code", "Код региона"),
        Column("region_name", "Регион"),
        Column("federal_district", "Федеральный округ"),
        Column("score", "Балл (0–1)", "score"),
        Column("score_change", "Изменение балла", "score_change"),
        *_section_columns(config),
        Column("data_status", "Данные за неделю"),
        Column("data_status_reason", "Причина отсутствия данных"),
    ]


def _status_cell(region: RegionRating) -> str:
    return PARTIAL if region.is_partial else ("есть" if region.has_data else NO_DATA)


def _region_row(config: Config, data: RatingData, region: RegionRating) -> list[Cell]:
    cells: list[Cell] = [
        optional_cell(region.rank),
        optional_cell(region.previous_rank),
        rank_change_cell(region.rank, region.previous_rank),
        region.region_code,
        region.region_name,
        region.federal_district,
        # A no-data region's score counts missing indicators as 0: showing it would be a silent zero.
        region.score if region.has_data and region.score is not None else NO_DATA,
        optional_cell(region.score_change) if region.has_data else NOT_APPLICABLE,
    ]
    for section in config.rating.sections:
        if not section.indicators:
            cells.append("есть" if region.has_gis else f"{NO_GIS}: рейтинг по остальным показателям")
            continue
        section_score = region.sections.get(section.id)
        # A section made only of ГИС indicators (A10) has nothing to score in a region without one.
        gap = NO_GIS if all(lacks_gis(config, region, i) for i in section.indicators) else NO_DATA
        cells.append(section_score if region.has_data and section_score is not None else gap)
        for indicator in section.indicators:
            value = data.indicator("region", region.region_code, indicator)
            cells += gap_cells(config, region, indicator, value)
    cells += [_status_cell(region), region.data_status_reason]
    return cells


def region_table(config: Config, data: RatingData, info: EditionInfo) -> Table:
    table = Table(
        SHEET_REGIONS,
        edition_title(info, "Рейтинг регионов по внедрению цифровой образовательной среды"),
        edition_subtitle(info),
        region_columns(config),
        frozen_columns=5,
    )
    table.rows = [_region_row(config, data, region) for region in data.regions]
    return table


def indicator_table(config: Config, data: RatingData, info: EditionInfo) -> Table:
    """Every indicator of the country and of each region, with numerator and denominator."""
    table = Table(
        SHEET_INDICATORS,
        edition_title(info, "Показатели по регионам"),
        edition_subtitle(info),
        [
            Column("unit_id", "Код региона"),
            Column("unit_name", "Регион"),
            Column("indicator", "Показатель"),
            Column("indicator_name", "Наименование показателя"),
            Column("numerator", "Числитель", "count"),
            Column("denominator", "Знаменатель", "count"),
            Column("value", "Значение", "score", flag_of="meets_target"),
            Column("target", "Цель", "score"),
            Column("meets_target", "Цель достигнута"),
        ],
        frozen_columns=3,
    )
    units = [("country", "RU", COUNTRY_NAME)]
    units += [("region", r.region_code, r.region_name) for r in data.regions]
    regions = regions_by_code(data)
    for level, unit_id, unit_name in units:
        values = data.indicators.get((level, unit_id), {})
        region = regions.get(unit_id) if level == "region" else None
        for indicator in indicator_order(config, set(values)):
            value = values[indicator]
            spec = indicator_spec(config, indicator)
            shown, met = gap_cells(config, region, indicator, value)
            table.rows.append(
                [
                    unit_id,
                    unit_name,
                    indicator,
                    spec.name if spec else indicator,
                    *_counts_cells(config, indicator, value),
                    shown,
                    NOT_APPLICABLE if value.target is None else value.target,
                    met,
                ]
            )
            kind = indicator_kind(config, indicator)
            table.row_kinds.append({"value": kind, "target": kind})
    return table


def _counts_cells(config: Config, indicator: str, value: IndicatorValue) -> list[Cell]:
    """Numerator and denominator of a share or count; a time (E1, hours) is read as its value alone."""
    if indicator_kind(config, indicator) == "hours":
        return [NOT_APPLICABLE, NOT_APPLICABLE]
    return [
        NO_DATA if value.numerator is None else value.numerator,
        NO_DATA if value.denominator is None else value.denominator,
    ]


def method_table(config: Config, info: EditionInfo) -> Table:
    """How each indicator is computed, its weight in the score, target and source document."""
    share = f"{config.rating.unranked_missing_weight:.0%}".replace("%", " %")
    table = Table(
        SHEET_METHOD,
        edition_title(info, "Методика расчёта"),
        "Рейтинг по п.11 протокола от 18.10.2022: пять разделов, балл раздела и балл региона = "
        "Σ вес × значение / Σ весов показателей, по которым есть данные (доли 0–1). Показатель без данных — "
        f"«{NO_DATA}» (или «{NO_GIS}») с причиной, никогда не ноль; его вес распределяется по остальным, "
        f"место помечается «{PARTIAL}»; регион без места, только если без данных больше {share} веса.",
        [
            Column("indicator", "Код"),
            Column("name", "Показатель"),
            Column("formula", "Формула расчёта"),
            Column("unit", "Единица"),
            Column("target", "Цель", "score"),
            Column("weight", "Вес в рейтинге", "weight"),
            Column("section", "Раздел п.11"),
            Column("source", "Источник (документ)"),
            Column("edumon_default", "Умолчание edumon (не из документа)"),
        ],
        frozen_columns=2,
    )
    section_of = {i: s.name for s in config.rating.sections for i in s.indicators}
    for indicator, spec in config.indicators.items():
        weight = config.rating.weights.get(indicator)
        table.rows.append(
            [
                indicator,
                spec.name,
                spec.formula,
                UNIT_NAME[spec.unit],
                NOT_APPLICABLE if spec.target is None else spec.target,
                NOT_APPLICABLE if weight is None else weight,
                section_of.get(indicator, NOT_APPLICABLE),
                spec.source,
                spec.edumon_default or NOT_APPLICABLE,
            ]
        )
        table.row_kinds.append({"target": UNIT_KIND[spec.unit]})
    for section in config.rating.sections:
        weight = sum(config.rating.weights[i] for i in section.indicators)
        table.rows.append(
            [
                "Раздел",
                section.name,
                WEIGHTS_RATIONALE[section.id],
                UNIT_NAME["score"],
                NOT_APPLICABLE,
                weight if section.indicators else NOT_APPLICABLE,
                section.name,
                "Протокол от 18.10.2022, п.11 (seed 002)",
                "веса разделов — предложение edumon (п.11 весов не задаёт)",
            ]
        )
        table.row_kinds.append({})
    return table


# Why the default weights (orchestration.yaml rating.weights) are what they are: p.11 names the
# report's parts, not their weights, so these are edumon's proposal, printed in «Методика».
WEIGHTS_RATIONALE = {
    "content": "0,15: контент ФГИС назван в п.11 первым; A11 — педагоги, использовавшие "
    "верифицированный контент.",
    "sferum": "0,60: подключение, регистрация и активность (A1, A2, A3, A4, B2) — основной предмет п.11 и "
    "писем АБ-1665/08, поэтому больше половины веса; A1 и A3 (регистрация) по 0,15, активность по 0,10.",
    "exchange": "0,10: обмен ГИС ↔ ФГИС (A10); в регионе без ГИС его вес распределяется по остальным.",
    "communities": "0,15: официальные сообщества (A9, подтверждённые; созданные — рядом); требование закона "
    "о доступе к информации, поэтому вес как у контента.",
    "no_gis": "без веса: раздел показывает регионы без региональной ГИС; они ранжируются по показателям "
    "ФГИС и Сферума, показатели ГИС у них — «нет ГИС», их вес распределён по остальным.",
}


def _municipal_order(data: RatingData) -> list[UnitRating]:
    """Regions in rating order, each region's municipalities by rank, each followed by its schools."""
    schools: dict[str, list[UnitRating]] = {}
    municipalities: dict[str, list[UnitRating]] = {}
    for unit in data.units:
        if unit.level == "school":
            schools.setdefault(unit.parent_id, []).append(unit)
        else:
            municipalities.setdefault(unit.region_code, []).append(unit)
    ordered: list[UnitRating] = []
    for group in schools.values():  # seed 003 lists a district's schools by A5, lowest first
        group.sort(key=lambda u: (u.a5_order is None, u.a5_order or 0, u.rank or 0, u.unit_id))
    for region in data.regions:
        placed: set[str] = set()
        for municipality in municipalities.get(region.region_code, []):
            ordered.append(municipality)
            ordered += schools.get(municipality.unit_id, [])
            placed.add(municipality.unit_id)
        # Schools whose municipality has no rating row still belong to the region's list.
        for parent, group in schools.items():
            if parent not in placed and group[0].region_code == region.region_code:
                ordered += group
    return ordered


def municipal_table(config: Config, data: RatingData, info: EditionInfo) -> Table:
    """Seed 003's district table for every region: municipalities ranked, their general-education
    schools under them ordered by A5 with the «менее 50 %» flag, beside the rank and every weighted
    indicator."""
    indicators = municipal_indicators(config)
    table = Table(
        SHEET_MUNICIPAL,
        edition_title(info, "Муниципальный рейтинг: муниципалитеты и образовательные организации"),
        edition_subtitle(info) + " Место ОО — внутри муниципалитета, муниципалитета — внутри региона.",
        [
            Column("region_code", "Код региона"),
            Column("level", "Уровень"),
            Column("municipality", "Муниципалитет"),
            Column("school", "Образовательная организация"),
            Column("unit_id", "ОКТМО / ИНН"),
            Column("rank", "Место", "int"),
            Column("previous_rank", "Место неделей ранее", "int"),
            Column("rank_change", "Изменение места (+ вверх)", "change"),
            Column("score", "Балл (0–1)", "score"),
            Column("score_change", "Изменение балла", "score_change"),
            Column("a5_below", f"A5 {BELOW_A5} (seed 003)"),
            *_indicator_columns(config, indicators),
        ],
        frozen_columns=4,
    )
    names = {u.unit_id: u.unit_name for u in data.units if u.level == "municipality"}
    # In a region without data the units' scores count the missing indicators as 0: not shown.
    no_data = {region.region_code for region in data.regions if not region.has_data}
    regions = regions_by_code(data)
    for unit in _municipal_order(data):
        region = regions.get(unit.region_code)
        is_school = unit.level == "school"
        scored = unit.score is not None and unit.region_code not in no_data
        row: list[Cell] = [
            unit.region_code,
            LEVEL_NAME.get(unit.level, unit.level),
            names.get(unit.parent_id, unit.parent_id) if is_school else unit.unit_name,
            unit.unit_name if is_school else None,
            unit.unit_id,
            optional_cell(unit.rank),
            optional_cell(unit.previous_rank),
            rank_change_cell(unit.rank, unit.previous_rank),
            unit.score if scored else NO_DATA,
            optional_cell(unit.score_change) if scored else NOT_APPLICABLE,
            (NO_GIS if lacks_gis(config, region, "A5") else NO_DATA)
            if unit.is_below_a5_flag is None
            else (BELOW_A5 if unit.is_below_a5_flag else NO),
        ]
        for indicator in indicators:
            row += gap_cells(config, region, indicator, data.indicator(unit.level, unit.unit_id, indicator))
        table.rows.append(row)
        table.outline.append(1 if is_school else 0)
    return table


def edition_tables(config: Config, data: RatingData, info: EditionInfo) -> list[Table]:
    """The workbook's sheets, in the order the official reads them."""
    return [
        region_table(config, data, info),
        indicator_table(config, data, info),
        municipal_table(config, data, info),
        method_table(config, info),
    ]
