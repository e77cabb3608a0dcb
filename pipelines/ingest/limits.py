"""What a delivered file claims, checked BEFORE it is read (`ingest.limits` in orchestration.yaml).

A reader trusts the file: calamine reserves the grid an XLSX sheet's `<dimension>` declares (one
cell claimed at XFD1048576 is a 512 GB allocation that aborts the process), and inflates every
member it needs (a deflate bomb of a few MB becomes gigabytes). So the file's size, its zip
members' declared and actual inflated sizes and the extent of each sheet are checked first, by
streaming the archive with a cap; a file beyond a limit is rejected with its rule and quarantined
whole, and the next file loads. Messages give numbers and limit names, never the file's text.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from pipelines.checks.findings import Finding, ParseFailed
from pipelines.config import IngestLimits, load_config

MB = 1 << 20
_CHUNK = 1 << 20
_OVERLAP = 512  # bytes of the previous chunk searched again: a tag cut by a chunk boundary
# A member that inflates to less than this cannot starve a run, whatever its ratio (tiny XML parts
# such as [Content_Types].xml compress well).
_RATIO_FLOOR = MB
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]{0,3})(\d*)(?::([A-Z]{1,3})(\d+))?"')
_ROW = re.compile(rb'<(?:\w+:)?row\b[^>]*?\sr="(\d+)"')
_CELL_COLUMN = re.compile(rb'<(?:\w+:)?c\b[^>]*?\sr="([A-Z]{1,3})\d')


def check_before_reading(path: Path, kind: str) -> None:
    """Raise ParseFailed when the file claims more than `ingest.limits` allows."""
    limits = load_config().ingest.limits
    size = path.stat().st_size
    if size > limits.max_uncompressed_mb * MB:
        raise ParseFailed(
            [
                Finding(
                    "file.too_large",
                    f"the file is {size / MB:,.0f} MB, more than ingest.limits.max_uncompressed_mb "
                    f"({limits.max_uncompressed_mb:,} MB)",
                )
            ]
        )
    if kind == "xlsx":
        _check_workbook(path, limits)


def column_number(letters: str) -> int:
    """A1-style column letters as a 1-based number (A = 1, XFD = 16,384)."""
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def _check_workbook(path: Path, limits: IngestLimits) -> None:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        not_zip = Finding("file.parse", "not a readable XLSX workbook (not a zip archive)")
        raise ParseFailed([not_zip]) from None
    with archive:
        members = archive.infolist()
        _check_declared_sizes(members, limits)
        try:
            for member in members:
                _stream_member(archive, member, limits)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError):
            # a declared size that lies shows here: zipfile stops at it and the CRC fails
            raise ParseFailed(
                [Finding("file.parse", "not a readable XLSX workbook (a damaged or forged zip member)")]
            ) from None


def _check_declared_sizes(members: list[zipfile.ZipInfo], limits: IngestLimits) -> None:
    declared = sum(member.file_size for member in members)
    if declared > limits.max_uncompressed_mb * MB:
        raise ParseFailed(
            [
                Finding(
                    "file.too_large",
                    f"the workbook inflates to {declared / MB:,.0f} MB, more than "
                    f"ingest.limits.max_uncompressed_mb ({limits.max_uncompressed_mb:,} MB)",
                )
            ]
        )
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > _RATIO_FLOOR and ratio > limits.max_compression_ratio:
            raise ParseFailed([_bomb(ratio, limits)])


def _bomb(ratio: float, limits: IngestLimits) -> Finding:
    return Finding(
        "file.compression_ratio",
        f"a workbook part inflates {ratio:,.0f} times, more than ingest.limits.max_compression_ratio "
        f"({limits.max_compression_ratio}): a deflate bomb, not a spreadsheet",
    )


def _stream_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, limits: IngestLimits) -> None:
    """Inflate one member with a cap; a worksheet's declared and used extent must fit the limits."""
    is_sheet = member.filename.startswith("xl/worksheets/") and member.filename.endswith(".xml")
    inflated, rows, columns, tail = 0, 0, 0, b""
    compressed = max(member.compress_size, 1)
    with archive.open(member) as handle:
        while chunk := handle.read(_CHUNK):
            inflated += len(chunk)
            if inflated > _RATIO_FLOOR and inflated > limits.max_compression_ratio * compressed:
                raise ParseFailed([_bomb(inflated / compressed, limits)])
            if not is_sheet:
                continue
            text = tail + chunk
            tail = text[-_OVERLAP:]
            if rows == 0 and (dimension := _DIMENSION.search(text)):
                _check_extent(*_dimension_extent(dimension), limits, "declares")
            found_rows = _ROW.findall(text)
            found_columns = set(_CELL_COLUMN.findall(text))
            rows = max([rows, *map(int, found_rows)])
            columns = max([columns, *(column_number(c.decode()) for c in found_columns)])
            _check_extent(rows, columns, limits, "uses")


def _dimension_extent(match: re.Match[bytes]) -> tuple[int, int]:
    first_col, first_row, last_col, last_row = (group.decode() if group else "" for group in match.groups())
    if not last_col:  # a one-cell dimension such as "A1"
        last_col, last_row = first_col, first_row
    rows = int(last_row or 0) - int(first_row or 1) + 1
    columns = column_number(last_col or "A") - column_number(first_col or "A") + 1
    return rows, columns


def _check_extent(rows: int, columns: int, limits: IngestLimits, verb: str) -> None:
    if rows <= limits.max_rows and columns <= limits.max_columns and rows * columns <= limits.max_cells:
        return
    raise ParseFailed(
        [
            Finding(
                "file.dimension",
                f"the sheet {verb} {rows:,} rows × {columns:,} columns, beyond ingest.limits "
                f"(max_rows {limits.max_rows:,}, max_columns {limits.max_columns:,}, "
                f"max_cells {limits.max_cells:,})",
            )
        ]
    )
