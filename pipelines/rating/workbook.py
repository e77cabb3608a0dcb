"""Write the edition's tables as the XLSX workbook a ministry official opens.

Every sheet: a title row with the week and its dates, a subtitle naming the edition, a wrapped
header row that stays frozen with an autofilter, numbers stored as numbers with Russian-friendly
formats, «нет данных» greyed, and green / red conditional colours from the «цель достигнута»
columns (colour means the target is met or not; nothing is coloured by small score differences).
Printed, a sheet is landscape A4 fitted to the page width, its header rows repeat on every page
and the page header carries the title and the data date. The bytes are deterministic: the document
date is fixed (the Monday 06:00 Moscow issue time of the week) and xlsxwriter's in-memory mode
stamps every ZIP member 1980-01-01.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from pipelines.rating.tables import NO, NO_DATA, YES, EditionInfo, Kind, Table, data_as_of, edition_line
from pipelines.weeks import MOSCOW, week_sunday

HEADER_ROW = 2  # rows 0 and 1 hold the title and the edition line
NUMBER_FORMATS: dict[Kind, str] = {
    "text": "@",
    "int": "0",
    "change": "+0;-0;0",
    "share": "0.0%",
    "count": "#,##0",
    "score": "0.000",
    "score_change": "+0.000;-0.000;0.000",
    "hours": "0.0",
    "weight": "0%",
}
GREEN = {"bg_color": "#C6EFCE", "font_color": "#006100"}
RED = {"bg_color": "#FFC7CE", "font_color": "#9C0006"}
GREY = {"bg_color": "#EDEDED", "font_color": "#595959", "italic": True}
# Headers wrap at about a word: narrow columns keep the printed page (one page wide) readable.
MIN_WIDTH, MAX_WIDTH, HEADER_WORD_WIDTH = 6, 60, 10


def document_time(week: str) -> datetime:
    """The fixed document timestamp: Monday 06:00 Moscow after the week, the scheduled issue time."""
    monday = week_sunday(week) + timedelta(days=1)
    return datetime.combine(monday, time(6, 0), tzinfo=MOSCOW).astimezone(UTC)


class _Formats:
    """xlsxwriter formats, created once per workbook (each add_format is a new style record)."""

    def __init__(self, book: xlsxwriter.Workbook) -> None:
        self.title = book.add_format({"bold": True, "font_size": 14})
        self.subtitle = book.add_format({"italic": True, "font_color": "#595959"})
        self.header = book.add_format(
            {"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#DDEBF7", "border": 1}
        )
        self.no_data = book.add_format({**GREY, "border": 1})
        self.green = book.add_format(GREEN)
        self.red = book.add_format(RED)
        self._cells = {
            kind: book.add_format({"num_format": fmt, "border": 1}) for kind, fmt in NUMBER_FORMATS.items()
        }
        self._cells["text"] = book.add_format({"border": 1})

    def cell(self, kind: Kind, value: Any) -> Format:
        if value == NO_DATA:
            return self.no_data
        return self._cells["text" if isinstance(value, str) else kind]


def _display_width(value: Any, kind: Kind) -> int:
    """About how many characters Excel needs to show the cell."""
    if value is None:
        return 0
    if isinstance(value, str):
        return len(value)
    if kind in ("share", "weight"):
        return 7
    if kind in ("score", "score_change"):
        return 7
    return len(f"{value:,.0f}") + 1


def _column_widths(table: Table) -> list[float]:
    widths: list[float] = []
    for index, column in enumerate(table.columns):
        data = max(
            (_display_width(row[index], table.kind(r, column)) for r, row in enumerate(table.rows)), default=0
        )
        longest_word = max(len(word) for word in column.header.split())
        header = max(longest_word, min(len(column.header), HEADER_WORD_WIDTH))
        widths.append(min(max(data, header, MIN_WIDTH) + 2, MAX_WIDTH))
    return widths


def _header_height(table: Table, widths: list[float]) -> float:
    lines = max(math.ceil(len(c.header) / max(w - 2, 1)) for c, w in zip(table.columns, widths, strict=True))
    return 15.0 * max(lines, 1) + 3


def _write_rows(sheet: Worksheet, table: Table, formats: _Formats) -> None:
    for r, row in enumerate(table.rows):
        excel_row = HEADER_ROW + 1 + r
        for c, column in enumerate(table.columns):
            value = row[c]
            if value is None:
                sheet.write_blank(excel_row, c, None, formats.cell("text", ""))
            elif isinstance(value, str):
                sheet.write_string(excel_row, c, value, formats.cell("text", value))
            else:
                sheet.write_number(excel_row, c, value, formats.cell(table.kind(r, column), value))
        if table.outline and table.outline[r]:
            sheet.set_row(excel_row, None, None, {"level": table.outline[r]})


def _colour_by_flags(sheet: Worksheet, table: Table, formats: _Formats) -> None:
    """Green where the target is met, red where it is not: the value cell and its flag cell."""
    first, last = HEADER_ROW + 1, HEADER_ROW + len(table.rows)
    keys = [c.key for c in table.columns]
    for index, column in enumerate(table.columns):
        if column.flag_of is None or column.flag_of not in keys:
            continue
        flag = keys.index(column.flag_of)
        flag_ref = f"${xl_col_to_name(flag)}{first + 1}"
        for target in (index, flag):
            for word, fmt in ((YES, formats.green), (NO, formats.red)):
                sheet.conditional_format(
                    first,
                    target,
                    last,
                    target,
                    {"type": "formula", "criteria": f'={flag_ref}="{word}"', "format": fmt},
                )


def _colour_rank_moves(sheet: Worksheet, table: Table, formats: _Formats) -> None:
    """Green for places gained, red for places lost (a score moving by 0.004 is not coloured)."""
    first, last = HEADER_ROW + 1, HEADER_ROW + len(table.rows)
    for index, column in enumerate(table.columns):
        if column.kind != "change":
            continue
        for criteria, fmt in ((">", formats.green), ("<", formats.red)):
            sheet.conditional_format(
                first, index, last, index, {"type": "cell", "criteria": criteria, "value": 0, "format": fmt}
            )


def _header_text(text: str) -> str:
    """Excel header/footer codes start with `&`: a literal ampersand is written twice."""
    return text.replace("&", "&&")


def _print_setup(sheet: Worksheet, table: Table, info: EditionInfo) -> None:
    """As an official prints it: landscape A4, all columns on the page width, header rows repeated,
    the title and the data date at the top of every page, page numbers at the bottom."""
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.set_margins(left=0.4, right=0.4, top=0.7, bottom=0.6)
    sheet.fit_to_pages(1, 0)  # one page wide, as many pages tall as the rows need
    sheet.repeat_rows(0, HEADER_ROW)  # title, edition line and column headers
    sheet.print_area(0, 0, HEADER_ROW + max(len(table.rows), 1), len(table.columns) - 1)
    sheet.set_header(f"&L&8{_header_text(table.title)}&R&8{_header_text(data_as_of(info))}", {"margin": 0.3})
    sheet.set_footer(f"&L&8{_header_text(edition_line(info))}&RСтр. &P из &N", {"margin": 0.3})


def _write_sheet(book: xlsxwriter.Workbook, table: Table, formats: _Formats, info: EditionInfo) -> None:
    sheet = book.add_worksheet(table.sheet)
    widths = _column_widths(table)
    for index, width in enumerate(widths):
        sheet.set_column(index, index, width)
    sheet.write_string(0, 0, table.title, formats.title)
    sheet.write_string(1, 0, table.subtitle, formats.subtitle)
    sheet.set_row(HEADER_ROW, _header_height(table, widths))
    for index, column in enumerate(table.columns):
        sheet.write_string(HEADER_ROW, index, column.header, formats.header)
    _write_rows(sheet, table, formats)
    sheet.freeze_panes(HEADER_ROW + 1, table.frozen_columns)
    sheet.autofilter(HEADER_ROW, 0, HEADER_ROW + max(len(table.rows), 1), len(table.columns) - 1)
    if table.rows:
        _colour_by_flags(sheet, table, formats)
        _colour_rank_moves(sheet, table, formats)
    if table.outline:
        sheet.outline_settings(True, False, True, False)  # summary (municipality) row above its schools
    _print_setup(sheet, table, info)


@contextmanager
def collector_paused() -> Iterator[None]:
    """No automatic cyclic garbage collection inside; on leaving, one pass over the young generation.

    An edition allocates millions of objects that live until their workbook is closed (the week's
    indicator values, the tables, xlsxwriter's cell records). Each automatic full pass of Python's
    collector walks every one of them again: a quarter of the national rating's CPU, for nothing,
    as none of them is garbage yet (docs/performance.md, «The rating»). A closed xlsxwriter workbook
    is a reference cycle (the workbook and its sheets point at each other): the pass on leaving frees
    it, and walks only what was allocated since the previous pass, as the collector did not run
    meanwhile. Nested uses keep the outer pause; each still frees its own workbook.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        gc.collect(0)


def write_workbook(path: Path, tables: list[Table], info: EditionInfo) -> None:
    """Write the workbook to `path` with deterministic bytes for the same tables."""
    with collector_paused():
        _write_workbook(path, tables, info)  # its locals (the closed workbook) are gone before the pass


def _write_workbook(path: Path, tables: list[Table], info: EditionInfo) -> None:
    book = xlsxwriter.Workbook(str(path), {"in_memory": True, "strings_to_numbers": False})
    book.set_properties(
        {
            "title": f"Рейтинг регионов, неделя {info.week}, выпуск v{info.version}",
            "subject": "Еженедельный рейтинг внедрения ЦОС (протокол от 18.10.2022, п.11)",
            "author": "edumon",
            "company": "edumon",
            "created": document_time(info.week),
        }
    )
    formats = _Formats(book)
    for table in tables:
        _write_sheet(book, table, formats, info)
    book.close()
