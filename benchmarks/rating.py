"""Time the rating edition on a serving snapshot, and check two outboxes hold the same editions.

    uv run python -m benchmarks.rating issue SERVING.duckdb --week 2026-W47 --home DIR [--profile OUT]
    uv run python -m benchmarks.rating compare OUTBOX_A OUTBOX_B [--cells]

`issue` copies the snapshot into DIR (a scratch home; DIR/outbox is emptied first) and times
`issue_edition` itself, the function the `rating_edition` asset calls: the national edition and
every region's (outbox/regions/{region}/), wall and CPU seconds and peak RSS. `--profile OUT`
writes a cProfile of the call (read it with `python -m pstats OUT`).

`compare` is the before/after check of issue 13: the same files in both outboxes (national and
regional), CSV and JSON byte for byte, manifests equal but for the issue time (and the XLSX
checksums where the XLSX bytes differ), and each XLSX either byte-identical or, opened with
openpyxl, identical cell by cell: sheet names and order, every cell's value, number format, font,
fill, border and alignment, merged cells, column widths, row heights and outline levels, frozen
panes, autofilter, conditional formats, print setup, header and footer, document properties but
for their timestamps. `--cells` opens every XLSX even when its bytes are identical (the check of
the check). Exit 0 when everything is the same.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

MANIFEST_CLOCK = "issued_at"  # the manifest's own clock: differs between any two issues


def issue(serving: Path, week: str, home: Path, profile: Path | None) -> int:
    from pipelines.config import home_path
    from pipelines.rating.edition import issue_edition

    home.mkdir(parents=True, exist_ok=True)
    target = home_path("serving", home)
    if serving.resolve() != target.resolve():
        shutil.copyfile(serving, target)
    shutil.rmtree(home_path("outbox", home), ignore_errors=True)
    wall, cpu = time.perf_counter(), time.process_time()
    if profile:
        import cProfile

        with cProfile.Profile() as profiler:
            edition = issue_edition(week, home)
        profiler.dump_stats(profile)
    else:
        edition = issue_edition(week, home)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    regions = len(list((edition.outbox / "regions").glob(f"*/{edition.name}.xlsx")))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{edition.name}: national + {regions} regional editions in {wall:.2f} s wall, {cpu:.2f} s CPU")
    print(f"  (this process's CPU: children not counted); peak RSS {peak:.0f} MB; outbox {edition.outbox}")
    return 0


def edition_files(outbox: Path) -> list[Path]:
    """Every edition file of the outbox, relative: national and regional, no temporary leftovers."""
    return sorted(
        path.relative_to(outbox)
        for path in outbox.rglob("rating_*")
        if path.is_file() and not path.name.startswith(".")
    )


def _manifest(path: Path, xlsx_bytes_differ: bool) -> Any:
    document = json.loads(path.read_text(encoding="utf-8"))
    document.pop(MANIFEST_CLOCK, None)
    if xlsx_bytes_differ:  # cell-identical workbooks may still differ in bytes: compared by cells
        for entry in document.get("files", []):
            if entry["name"].endswith(".xlsx"):
                entry.pop("sha256"), entry.pop("bytes")
    return document


def _style(cell: Any) -> tuple[Any, ...]:
    return (
        cell.number_format,
        repr(cell.font),
        repr(cell.fill),
        repr(cell.border),
        repr(cell.alignment),
        cell.protection.locked,
    )


def _cells(sheet: Worksheet) -> Iterator[tuple[str, Any, tuple[Any, ...]]]:
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value is not None or cell.has_style:
                yield cell.coordinate, cell.value, _style(cell)


def _sheet_layout(sheet: Worksheet) -> dict[str, Any]:
    setup = sheet.page_setup
    return {
        "dimensions": sheet.dimensions,
        "merged": sorted(str(r) for r in sheet.merged_cells.ranges),
        "columns": {
            k: (d.width, d.hidden, d.outline_level) for k, d in sorted(sheet.column_dimensions.items())
        },
        "rows": {
            k: (d.height, d.hidden, d.outline_level)
            for k, d in sorted(sheet.row_dimensions.items())
            if d.height is not None or d.outline_level or d.hidden
        },
        "freeze": sheet.freeze_panes,
        "autofilter": sheet.auto_filter.ref,
        "conditional": sorted(
            (str(rng.sqref), rule.type, rule.operator, tuple(rule.formula or ()), repr(rule.dxf))
            for rng in sheet.conditional_formatting
            for rule in rng.rules
        ),
        "print": (
            setup.orientation,
            setup.paperSize,
            setup.fitToWidth,
            setup.fitToHeight,
            sheet.sheet_properties.pageSetUpPr.fitToPage if sheet.sheet_properties.pageSetUpPr else None,
            sheet.print_title_rows,
            str(sheet.print_area),
            repr(sheet.page_margins),
            sheet.oddHeader.left.text,
            sheet.oddHeader.right.text,
            sheet.oddFooter.left.text,
            sheet.oddFooter.right.text,
        ),
        "outline": repr(sheet.sheet_properties.outlinePr),
    }


def _properties(book: Any) -> dict[str, Any]:
    props = book.properties
    return {
        "title": props.title,
        "subject": props.subject,
        "creator": props.creator,
        "created": props.created,  # fixed per week by the writer (document_time), so compared
    }


def compare_workbooks(a: Path, b: Path) -> list[str]:
    """What differs between two XLSX files as openpyxl reads them (empty: identical)."""
    left, right = load_workbook(a), load_workbook(b)
    problems = []
    if left.sheetnames != right.sheetnames:
        return [f"sheets {left.sheetnames} != {right.sheetnames}"]
    if _properties(left) != _properties(right):
        problems.append(f"document properties {_properties(left)} != {_properties(right)}")
    for name in left.sheetnames:
        one, two = left[name], right[name]
        layout_a, layout_b = _sheet_layout(one), _sheet_layout(two)
        for key in layout_a:
            if layout_a[key] != layout_b[key]:
                problems.append(f"{name}: {key} {layout_a[key]!r} != {layout_b[key]!r}")
        cells_b = _cells(two)
        for count, cell_a in enumerate(_cells(one)):
            cell_b = next(cells_b, None)
            if cell_a != cell_b:
                problems.append(f"{name}: cell {cell_a!r} != {cell_b!r} (cell {count + 1})")
                break
        else:
            extra = next(cells_b, None)
            if extra is not None:
                problems.append(f"{name}: cell {extra!r} only in {b}")
    return problems


def compare(a: Path, b: Path, cells: bool) -> int:
    files_a, files_b = edition_files(a), edition_files(b)
    problems = []
    if files_a != files_b:
        only_a, only_b = set(files_a) - set(files_b), set(files_b) - set(files_a)
        problems.append(f"files only in A: {sorted(map(str, only_a))}, only in B: {sorted(map(str, only_b))}")
    counts = {"byte-identical": 0, "cell-identical": 0, "different": 0}
    differing_xlsx = set()
    for relative in (f for f in files_a if f.suffix == ".xlsx" and f in files_b):
        same_bytes = (a / relative).read_bytes() == (b / relative).read_bytes()
        if not same_bytes:
            differing_xlsx.add(relative.with_suffix(""))
        if same_bytes and not cells:
            counts["byte-identical"] += 1
            continue
        found = compare_workbooks(a / relative, b / relative)
        counts["different" if found else ("byte-identical" if same_bytes else "cell-identical")] += 1
        problems += [f"{relative}: {p}" for p in found[:10]]
    for relative in (f for f in files_a if f.suffix in (".csv", ".json") and f in files_b):
        if relative.name.endswith(".manifest.json"):
            edition = Path(str(relative).removesuffix(".manifest.json"))
            differs = edition in differing_xlsx
            if _manifest(a / relative, differs) != _manifest(b / relative, differs):
                problems.append(f"{relative}: manifests differ beyond {MANIFEST_CLOCK}")
        elif (a / relative).read_bytes() != (b / relative).read_bytes():
            problems.append(f"{relative}: bytes differ")
    others = sum(1 for f in files_a if f.suffix != ".xlsx")
    print(f"{len(files_a)} edition files; XLSX {counts}; {others} CSV/JSON/manifest files compared")
    for problem in problems:
        print(f"  {problem}")
    print("SAME EDITIONS" if not problems else "DIFFERENT")
    return 0 if not problems else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    issuing = commands.add_parser("issue", help="time issue_edition on a copy of a serving snapshot")
    issuing.add_argument("serving", type=Path)
    issuing.add_argument("--week", required=True)
    issuing.add_argument("--home", type=Path, required=True, help="a scratch home (its outbox is emptied)")
    issuing.add_argument("--profile", type=Path, help="write a cProfile of the issue here")
    comparing = commands.add_parser("compare", help="are two outboxes the same editions?")
    comparing.add_argument("a", type=Path)
    comparing.add_argument("b", type=Path)
    comparing.add_argument("--cells", action="store_true", help="open every XLSX, even byte-identical ones")
    args = parser.parse_args(argv)
    if args.command == "issue":
        return issue(args.serving, args.week, args.home, args.profile)
    return compare(args.a, args.b, args.cells)


if __name__ == "__main__":
    sys.exit(main())
