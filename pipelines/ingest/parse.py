"""Read a delivered file into a table of text cells with the contract's field names.

Everything format-specific comes from `Config.file_format(dataset, region)`: kind (csv, xlsx,
jsonl), encoding, delimiter, XLSX sheet, the delivered header of each field. CSV is read with
pyarrow (no Python row loop), XLSX with python-calamine. Cells stay text here;
`normalise` types them. Messages name files, rows, columns and rules, never cell values.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from pipelines.checks.findings import Finding, ParseFailed
from pipelines.config import Dataset, FileFormat, load_config
from pipelines.ingest.limits import check_before_reading


def read_delivered(path: Path, dataset_name: str, region: str) -> pa.Table:
    """The file's data rows as text columns named by contract field, in file order."""
    dataset = load_config().datasets[dataset_name]
    fmt = load_config().file_format(dataset_name, region)
    if path.stat().st_size == 0:
        raise ParseFailed([Finding("file.empty", "the file is empty (0 bytes)")])
    check_before_reading(path, fmt.kind)
    readers = {"csv": _read_csv, "xlsx": _read_xlsx, "jsonl": _read_jsonl}
    table = readers[fmt.kind](path, fmt)
    table = _rename_to_fields(table, dataset, fmt)
    if table.num_rows == 0:
        raise ParseFailed([Finding("file.no_rows", "the file has a header but no data rows", rows=[])])
    limit = load_config().ingest.limits.max_rows
    if table.num_rows > limit:
        raise ParseFailed(
            [
                Finding(
                    "file.too_many_rows",
                    f"{table.num_rows:,} rows, more than ingest.limits.max_rows ({limit:,})",
                )
            ]
        )
    return table


def _rename_to_fields(table: pa.Table, dataset: Dataset, fmt: FileFormat) -> pa.Table:
    """Map delivered headers to field names; a renamed, missing or extra column fails by name.

    Only the contract's own column names are quoted: a header cell that is not one of them may
    be a data cell (a file without its header row makes a student's ФИО, СНИЛС and address the
    header), so it is reported by its position, never by its text.
    """
    delivered_of = {name: fmt.columns.get(name, name) for name in dataset.fields}
    field_of = {header: name for name, header in delivered_of.items()}
    present = table.column_names
    if len(present) > (limit := load_config().ingest.limits.max_columns):
        raise ParseFailed(
            [
                Finding(
                    "file.too_many_columns",
                    f"{len(present):,} columns, more than ingest.limits.max_columns ({limit})",
                )
            ]
        )
    # A field added with `since` may be absent: exports catch up with the contract (normalise empties it).
    known = [header for header in present if header in field_of]
    if _header_missing(present, known, len(delivered_of)):
        raise ParseFailed([_missing_header(present, known, delivered_of, fmt)])
    findings = [
        Finding("schema.missing_column", f"column {header!r} (field {name}) is missing", column=header)
        for name, header in delivered_of.items()
        if header not in present and not dataset.fields[name].since
    ]
    unexpected = [position for position, header in enumerate(present, start=1) if header not in field_of]
    if unexpected:
        findings.append(
            Finding(
                "schema.unexpected_column",
                f"{len(unexpected)} header cell(s) at column position(s) {_positions(unexpected)} "
                "are not contract column names (their text is not reported: it may be data)",
                count=len(unexpected),
            )
        )
    if len(set(present)) != len(present):
        findings.append(Finding("schema.duplicate_column", "a column header appears twice"))
    if findings:
        if not known:
            findings.append(
                Finding(
                    "schema.no_known_column",
                    f"no expected column found: is the file {fmt.encoding} with delimiter {fmt.delimiter!r}?",
                )
            )
        raise ParseFailed(findings)
    return table.rename_columns([field_of[h] for h in present])


def _looks_like_data(cell: str) -> bool:
    """A header names a column; a data cell is empty or holds digits or an e-mail's @."""
    return not cell.strip() or any(ch.isdigit() or ch == "@" for ch in cell)


def _header_missing(present: list[str], known: list[str], expected: int) -> bool:
    """The first row is data, not a header: fewer than half of the contract's names in it and
    most of its other cells reading as data (or several cells and not one contract name)."""
    unknown = [header for header in present if header not in known]
    if not unknown or len(known) * 2 >= expected:
        return False
    data_like = sum(_looks_like_data(header) for header in unknown)
    return data_like * 2 > len(unknown) or (not known and len(present) > 1 and data_like > 0)


def _missing_header(
    present: list[str], known: list[str], delivered_of: dict[str, str], fmt: FileFormat
) -> Finding:
    first = next(iter(delivered_of.values()))
    return Finding(
        "schema.missing_header",
        f"the first row holds {len(known)} of the {len(delivered_of)} contract column names and "
        f"{sum(_looks_like_data(h) for h in present if h not in known)} of its {len(present)} cells "
        f"read as data: the header row is missing (expected a first row naming the columns, "
        f"starting with {first!r}; {fmt.encoding}, delimiter {fmt.delimiter!r}). Its text is not reported",
        count=len(present),
    )


def _positions(positions: list[int]) -> str:
    shown = ", ".join(str(p) for p in positions[:10])
    return shown + (f" … ({len(positions)} in all)" if len(positions) > 10 else "")


# --- CSV -------------------------------------------------------------------------------------


def _read_csv(path: Path, fmt: FileFormat) -> pa.Table:
    header = _csv_header(path, fmt)
    bad_rows: list[int] = []

    def note_invalid(row: Any) -> str:
        # Physical line numbers (header = line 1) become data row numbers; the row text (which
        # may hold personal data) is deliberately dropped.
        bad_rows.append((row.number or 0) - 1)
        return "skip"

    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                encoding=fmt.encoding, use_threads=False, block_size=_block_size()
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=fmt.delimiter, newlines_in_values=False, invalid_row_handler=note_invalid
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()),
                strings_can_be_null=True,
                null_values=[""],
                quoted_strings_can_be_null=True,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as error:  # other encodings decode in Python
        raise ParseFailed([_csv_error(path, fmt, error)]) from None
    if bad_rows:
        raise ParseFailed(
            [
                Finding(
                    "file.parse",
                    f"rows do not have the header's {len(header)} columns (truncated file, stray delimiter)",
                    rows=bad_rows,
                    count=len(bad_rows),
                )
            ]
        )
    return table


def _block_size() -> int:
    """pyarrow reads a CSV in blocks and cannot read a line longer than one: the longest line
    allowed (`ingest.limits.max_line_bytes`) plus its line break."""
    return load_config().ingest.limits.max_line_bytes + 2


def _csv_header(path: Path, fmt: FileFormat) -> list[str]:
    limit = load_config().ingest.limits.max_line_bytes
    with path.open("rb") as handle:
        first_line = handle.readline(limit + 1)
        # pyarrow skips empty lines, so its header is the first line with something on it; an
        # undecodable header read there would fail in pyarrow's column names instead of here.
        while first_line and not first_line.strip(b"\r\n"):
            first_line = handle.readline(limit + 1)
    if not first_line:
        raise ParseFailed([Finding("file.empty", "the file holds only empty lines")])
    if len(first_line.rstrip(b"\r\n")) > limit:
        raise ParseFailed([_line_too_long(0, limit)])
    try:
        text = first_line.decode(fmt.encoding).lstrip("\ufeff")
    except UnicodeDecodeError:
        raise ParseFailed([Finding("file.encoding", f"the header is not valid {fmt.encoding}")]) from None
    if _is_unexpected_utf8(first_line, fmt.encoding):
        raise ParseFailed(
            [Finding("file.encoding", f"the file is UTF-8, but this region delivers {fmt.encoding}")]
        )
    first = re.split(r"\r\n|\r|\n", text, maxsplit=1)[0]  # a file may end its lines with a bare CR
    try:
        return next(csv.reader(io.StringIO(first), delimiter=fmt.delimiter), [])
    except csv.Error:
        raise ParseFailed([Finding("file.parse", "the header line is not valid CSV")]) from None


def _is_unexpected_utf8(line: bytes, encoding: str) -> bool:
    """Cyrillic text in UTF-8 is valid cp1251 mojibake; cp1251 Cyrillic is almost never valid UTF-8."""
    if encoding.replace("-", "").lower() == "utf8" or line.isascii():
        return False
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _csv_error(path: Path, fmt: FileFormat, error: Exception) -> Finding:
    """Turn a pyarrow error into a finding without echoing the row text it may contain."""
    text = str(error)
    limit = load_config().ingest.limits.max_line_bytes
    if "straddl" in text and (row := _first_long_line(path, limit)) is not None:
        return _line_too_long(row, limit)
    # pyarrow says "decode" only sometimes: an undecodable row that is also malformed fails inside
    # its invalid-row handler instead, so the file is checked whatever the error says.
    row = _first_undecodable_row(path, fmt.encoding)
    if row is not None or "UTF8" in text or "decode" in text.lower():
        return Finding(
            "file.encoding", f"text is not valid {fmt.encoding}", rows=[row] if row else [], count=1
        )
    return Finding("file.parse", "the CSV cannot be parsed (unbalanced quotes or truncated file)")


def _line_too_long(row: int, limit: int) -> Finding:
    where = "the header line" if row == 0 else "a line"
    return Finding(
        "file.line_too_long",
        f"{where} is longer than ingest.limits.max_line_bytes ({limit:,} bytes): "
        "a missing line break or an unclosed quote",
        rows=[row] if row else [],
        count=1,
    )


def _first_long_line(path: Path, limit: int) -> int | None:
    """The data row number (header = 0) of the first line longer than `limit` bytes, read in
    bounded pieces (the line itself is never held whole)."""
    with path.open("rb") as handle:
        number, length = 0, 0
        while piece := handle.readline(1 << 16):
            length += len(piece.rstrip(b"\r\n"))
            if length > limit:
                return number
            if piece.endswith(b"\n"):
                number, length = number + 1, 0
    return None


def _first_undecodable_row(path: Path, encoding: str) -> int | None:
    with path.open("rb") as handle:
        for number, line in enumerate(handle):
            try:
                line.decode(encoding)
            except UnicodeDecodeError:
                return number  # line 0 is the header, so this is the data row number
    return None


# --- XLSX ------------------------------------------------------------------------------------


def _read_xlsx(path: Path, fmt: FileFormat) -> pa.Table:
    """The sheet through python-calamine (Rust; several times faster than openpyxl's row loop).

    Cells come typed (text, numbers, booleans, dates); a text-only column becomes an Arrow array
    in one step, other columns go cell by cell through `_cell_text`.
    """
    from python_calamine import CalamineWorkbook  # imported here: only XLSX regions pay for it

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        if fmt.sheet not in workbook.sheet_names:
            raise ParseFailed([Finding("schema.sheet", f"sheet {fmt.sheet!r} not found")])
        rows = workbook.get_sheet_by_name(str(fmt.sheet)).to_python(skip_empty_area=False)
    except ParseFailed:
        raise
    except Exception:  # calamine raises its own errors for a broken zip or sheet XML
        raise ParseFailed([Finding("file.parse", "not a readable XLSX workbook (truncated?)")]) from None
    header = [str(cell).strip() if cell is not None else "" for cell in (rows[0] if rows else [])]
    while header and header[-1] == "":
        header.pop()
    width = len(header)
    body = [_padded(row, width) for row in rows[1:] if any(cell not in ("", None) for cell in row[:width])]
    columns = list(zip(*body, strict=True)) if body else [() for _ in header]
    return pa.table({name: _column_text(values, fmt) for name, values in zip(header, columns, strict=True)})


def _padded(row: list[Any], width: int) -> list[Any]:
    return row[:width] if len(row) >= width else row + [""] * (width - len(row))


def _column_text(values: tuple[Any, ...], fmt: FileFormat) -> pa.Array:
    """One column's cells as the text the region would have written in a CSV (empty → null)."""
    if all(type(value) is str for value in values):
        trimmed = pc.utf8_trim_whitespace(pa.array(values, pa.string()))
        return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)
    return pa.array([_cell_text(None if value == "" else value, fmt) for value in values], pa.string())


def _cell_text(value: Any, fmt: FileFormat) -> str | None:
    """An Excel cell as the text the region would have written in a CSV."""
    if value is None:
        return None
    if isinstance(value, bool):
        return fmt.booleans[value][0]
    if isinstance(value, datetime):
        if value.time() == datetime.min.time():
            return value.strftime(fmt.date_format)
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.strftime(fmt.date_format)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


# --- JSON Lines ------------------------------------------------------------------------------


def _read_jsonl(path: Path, fmt: FileFormat) -> pa.Table:
    records: list[dict[str, Any]] = []
    bad_rows: list[int] = []
    keys: dict[str, None] = {}
    limit = load_config().ingest.limits.max_line_bytes
    with path.open("rb") as handle:
        for number, line in enumerate(iter(lambda: handle.readline(limit + 2), b""), start=1):
            if len(line.rstrip(b"\r\n")) > limit:
                raise ParseFailed([_line_too_long(number, limit)])
            if not line.strip():
                continue
            try:
                record = json.loads(line.decode(fmt.encoding))
            except (UnicodeDecodeError, json.JSONDecodeError):
                bad_rows.append(number)
                continue
            if not isinstance(record, dict):
                bad_rows.append(number)
                continue
            keys.update(dict.fromkeys(record))
            records.append(record)
    if bad_rows:
        raise ParseFailed(
            [
                Finding(
                    "file.parse",
                    "lines are not JSON objects (truncated file?)",
                    rows=bad_rows,
                    count=len(bad_rows),
                )
            ]
        )
    return pa.table({key: pa.array([_json_text(r.get(key)) for r in records], pa.string()) for key in keys})


def _json_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    text = str(value)
    return text if text != "" else None
