"""Export files in the delivered formats, streamed: open, append Arrow chunks, close.

Everything about a format comes from `Config.file_format(dataset, region)`: CSV encoding,
delimiter, date format, Russian headers (`columns`), delivered enum values (`values`, written
through the inverse mapping), booleans (the first spelling of each), and the XLSX sheet. JSON
Lines and the canonical CSV follow SPEC.md. Output is byte-deterministic (XLSX carries a fixed
creation time).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import xlsxwriter

from pipelines.config import Dataset, FileFormat, load_config

CANONICAL_TIMESTAMP = "%Y-%m-%dT%H:%M:%S"  # ISO 8601, Moscow local time, no offset
XLSX_CREATED = datetime(2026, 1, 1, tzinfo=UTC).replace(tzinfo=None)  # fixed: byte-identical files


def export_file_name(dataset: str, region: str, week: str) -> str:
    """`{dataset}_{region}_{week}.{ext}`, the extension from the region's format kind."""
    kind = load_config().file_format(dataset, region).kind
    return f"{dataset}_{region}_{week}.{kind}"


def delivered_header(dataset: Dataset, fmt: FileFormat) -> list[str]:
    return [fmt.columns.get(name, name) for name in dataset.fields]


def _inverse(mapping: dict[str, str]) -> dict[str, str]:
    """{delivered: canonical} → {canonical: delivered}; the first delivered spelling wins."""
    inverse: dict[str, str] = {}
    for delivered, canonical in mapping.items():
        inverse.setdefault(canonical, delivered)
    return inverse


def render_text_column(name: str, field_type: str, fmt: FileFormat, column: pa.ChunkedArray) -> pa.Array:
    """A typed canonical column as the text the region delivers."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if field_type == "date":
        return _format_distinct(array.cast(pa.timestamp("s")), fmt.date_format)
    if field_type == "timestamp":
        return _format_distinct(array, CANONICAL_TIMESTAMP)
    if field_type == "bool":
        return pc.if_else(array, fmt.booleans[True][0], fmt.booleans[False][0])
    if name in fmt.values:
        inverse = _inverse(fmt.values[name])
        keys = pa.array(list(inverse), pa.string())
        delivered = pa.array(list(inverse.values()), pa.string())
        index = pc.index_in(array, value_set=keys)
        mapped = pc.take(delivered, index)
        return pc.if_else(pc.is_null(index), array, mapped)  # an unmapped value passes as is
    return array.cast(pa.string())


def _format_distinct(array: pa.Array, pattern: str) -> pa.Array:
    """strftime once per distinct value (a column holds a few thousand dates), then spread."""
    encoded = array.dictionary_encode()
    formatted = pc.strftime(encoded.dictionary, format=pattern)
    return pc.take(formatted, encoded.indices)


class ExportWriter:
    """One export file being written; `write(table)` appends a chunk of canonical rows."""

    def __init__(self, path: Path, dataset_name: str, region: str, stream: bool = False) -> None:
        config = load_config()
        self.path = path
        self.dataset = config.datasets[dataset_name]
        self.fmt = config.file_format(dataset_name, region)
        self.rows = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handle: BinaryIO | None = None
        self._workbook: Any = None
        if self.fmt.kind == "xlsx":
            self._open_xlsx(stream)
        else:
            self._handle = path.open("wb")
            if self.fmt.kind == "csv":
                self._write_csv_header()

    # --------------------------------------------------------------- csv
    def _encode(self, text: str) -> bytes:
        return text.encode(self.fmt.encoding)

    def _write_csv_header(self) -> None:
        header = delivered_header(self.dataset, self.fmt)
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=self.fmt.delimiter, lineterminator="\n").writerow(header)
        assert self._handle is not None
        self._handle.write(self._encode(buffer.getvalue()))

    def _write_csv(self, table: pa.Table) -> None:
        columns = {
            name: render_text_column(name, spec.type, self.fmt, table.column(name))
            for name, spec in self.dataset.fields.items()
        }
        text_table = pa.table(columns)
        sink = pa.BufferOutputStream()
        options = pacsv.WriteOptions(
            include_header=False, delimiter=self.fmt.delimiter, quoting_style="needed"
        )
        pacsv.write_csv(text_table, sink, write_options=options)
        data = sink.getvalue().to_pybytes()
        if self.fmt.encoding.lower().replace("-", "") not in ("utf8",):
            data = data.decode("utf-8").encode(self.fmt.encoding)
        assert self._handle is not None
        self._handle.write(data)

    # --------------------------------------------------------------- jsonl
    def _write_jsonl(self, table: pa.Table) -> None:
        assert self._handle is not None
        names = list(self.dataset.fields)
        lines = []
        for row in table.select(names).to_pylist():
            lines.append(json.dumps({k: _json_value(row[k]) for k in names}, ensure_ascii=False))
        if lines:
            self._handle.write(("\n".join(lines) + "\n").encode(self.fmt.encoding))

    # --------------------------------------------------------------- xlsx
    def _open_xlsx(self, stream: bool) -> None:
        # constant_memory flushes each row (bounded memory at national size) but writes inline
        # strings, ~1.6× slower than the shared-strings table: used only when streaming.
        workbook = xlsxwriter.Workbook(str(self.path), {"constant_memory": stream})
        workbook.set_properties({"created": XLSX_CREATED, "author": "edumon generate"})
        self._sheet = workbook.add_worksheet(self.fmt.sheet)
        self._date_style = workbook.add_format({"num_format": "dd.mm.yyyy"})
        self._bold = workbook.add_format({"bold": True})
        for col, header in enumerate(delivered_header(self.dataset, self.fmt)):
            self._sheet.write_string(0, col, header, self._bold)
        self._workbook = workbook
        self._next_row = 1

    def _write_xlsx(self, table: pa.Table) -> None:
        specs = list(self.dataset.fields.items())
        columns = []
        for name, spec in specs:
            if spec.type in ("date", "int", "timestamp"):
                columns.append(table.column(name).to_pylist())
            else:
                columns.append(render_text_column(name, spec.type, self.fmt, table.column(name)).to_pylist())
        sheet, date_style = self._sheet, self._date_style
        for values in zip(*columns, strict=True):
            row = self._next_row
            for col, value in enumerate(values):
                if value is None:
                    continue
                if isinstance(value, date):
                    sheet.write_datetime(row, col, value, date_style)
                elif isinstance(value, int):
                    sheet.write_number(row, col, value)
                else:
                    sheet.write_string(row, col, value)
            self._next_row += 1

    # --------------------------------------------------------------- common
    def write(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        if self.fmt.kind == "csv":
            self._write_csv(table)
        elif self.fmt.kind == "jsonl":
            self._write_jsonl(table)
        else:
            self._write_xlsx(table)
        self.rows += table.num_rows

    def close(self) -> None:
        if self._workbook is not None:
            self._workbook.close()
        if self._handle is not None:
            self._handle.close()

    def __enter__(self) -> ExportWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime(CANONICAL_TIMESTAMP)
    if isinstance(value, date):
        return value.isoformat()
    return value
