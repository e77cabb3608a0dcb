"""No personal value from the delivered files appears in any byte the pipeline writes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import openpyxl
import pyarrow.parquet as pq

from pipelines.config import load_config
from pipelines.contracts import pii_fields
from pipelines.ingest.files import scan_landing
from pipelines.ingest.parse import read_delivered

TOKEN_START = re.compile(r"(?<![\w@.+-])[\w+(]")
# Values shorter than this (e.g. a 2-digit document series) could match unrelated bytes.
MIN_LENGTH = 8


def _personal_values(landing: Path) -> set[str]:
    """Personal cells of the delivery, minus values that are also public ones (a birthplace
    «г. Махачкала» is also a municipality name in the organisation registry)."""
    values: set[str] = set()
    public: set[str] = set()
    recognised, _ = scan_landing(landing)
    for item in recognised:
        personal = pii_fields(load_config().datasets[item.dataset])
        table = read_delivered(item.path, item.dataset, item.region)
        for name in set(table.column_names) - set(personal):
            public |= {v.strip() for v in table.column(name).to_pylist() if v}
        for name, spec in personal.items():
            if spec.type == "date":
                continue  # a birth date alone collides with any date column (hired_on); not scanned
            values |= {
                v.strip() for v in table.column(name).to_pylist() if v and len(v.strip()) >= MIN_LENGTH
            }
    # A personal value that also occurs inside public data (a birthplace «г. Махачкала» inside an
    # organisation's name) cannot be told apart from it in the outputs: it is not evidence of a leak.
    return values - _occurrences("\n".join(public), _prefix_index(values))


def _database_text(path: Path) -> str:
    """Every cell of every table of a DuckDB file (its blocks are compressed, so bytes won't do)."""
    with duckdb.connect(str(path), read_only=True) as connection:
        tables = connection.sql("select schema_name, table_name from duckdb_tables()").fetchall()
        cells = []
        for schema, table in tables:
            for row in connection.sql(f'select * from "{schema}"."{table}"').fetchall():
                cells.extend(str(value) for value in row)
    return "\n".join(cells)


def _workbook_text(path: Path) -> str:
    workbook = openpyxl.load_workbook(path, read_only=True)
    return "\n".join(
        str(value) for sheet in workbook for row in sheet.iter_rows(values_only=True) for value in row
    )


def _written_texts(home: Path) -> list[tuple[Path, str]]:
    """Every file the pipeline wrote, as text (Parquet, DuckDB and XLSX decoded: they compress)."""
    texts = [(path, _database_text(path)) for path in sorted(home.glob("*.duckdb"))]
    texts += [(path, _workbook_text(path)) for path in sorted(home.glob("outbox/*.xlsx"))]
    for folder in ("lake", "dagster", "docs", "quarantine", "outbox"):
        for path in sorted((home / folder).rglob("*")):
            if not path.is_file():
                continue
            if folder == "quarantine" and path.suffix != ".json":
                continue  # the quarantined file itself is the delivery, kept for the region to fix
            if path.suffix in (".xlsx", ".duckdb", ".wal"):
                continue  # decoded above
            if path.suffix == ".parquet":
                table = pq.read_table(path)
                cells = [str(v) for column in table.columns for v in column.to_pylist()]
                texts.append((path, "\n".join(cells)))
            else:
                texts.append((path, path.read_bytes().decode("utf-8", errors="ignore")))
    return texts


def home_texts(home: Path, skipped: tuple[str, ...] = ("landing", "quarantine")) -> list[tuple[Path, str]]:
    """Every file under the home except the `skipped` top-level folders, as text (DuckDB, Parquet and
    XLSX decoded; other files as bytes, SQLite's included), and Dagster's event log read through
    its instance (a long event spills over SQLite pages, so its bytes may not hold it whole)."""
    texts: list[tuple[Path, str]] = []
    for path in sorted(home.rglob("*")):
        if not path.is_file() or path.relative_to(home).parts[0] in skipped:
            continue
        if path.suffix == ".duckdb":
            texts.append((path, _database_text(path)))
        elif path.suffix == ".xlsx":
            texts.append((path, _workbook_text(path)))
        elif path.suffix == ".parquet":
            table = pq.read_table(path)
            texts.append((path, "\n".join(str(v) for column in table.columns for v in column.to_pylist())))
        else:
            texts.append((path, path.read_bytes().decode("utf-8", errors="ignore")))
    return [*texts, (home / "dagster" / "<event log>", _event_log_text(home / "dagster"))]


def _event_log_text(dagster_home: Path) -> str:
    """Every event of every Dagster run of the home (messages, metadata, check results) as JSON."""
    import dagster as dg
    from dagster._serdes import serialize_value

    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        return "\n".join(
            json.dumps(json.loads(serialize_value(entry)), ensure_ascii=False)
            for record in instance.get_run_records()
            for entry in instance.all_logs(record.dagster_run.run_id)
        )


def test_no_personal_value_leaves_ingest(demo_landing: Path, demo_home: Path, defects_home: Path) -> None:
    """ФИО, СНИЛС, phones, e-mails, addresses, documents and birthplaces of every delivered
    student and employee appear nowhere in the lake, load log, Dagster storage and event logs,
    GE Data Docs, quarantine reports, the warehouse, the serving file or the rating editions.
    Matters: SPEC non-negotiable, personal data law.
    Resolve: the failure names the file; find which step wrote the value and mask it there."""
    values = _personal_values(demo_landing)
    assert len(values) > 10_000, "the demo must deliver personal data for this scan to mean anything"
    prefixes = _prefix_index(values)
    # File names only in the failure message: the test itself must not print personal data.
    leaking_files = [
        str(path)
        for path, text in _written_texts(demo_home) + _written_texts(defects_home)
        if _first_leak(text, prefixes) is not None
    ]
    assert leaking_files == []


def _prefix_index(values: set[str]) -> dict[str, list[str]]:
    prefixes: dict[str, list[str]] = {}
    for value in values:
        prefixes.setdefault(value[:MIN_LENGTH], []).append(value)
    return prefixes


def _occurrences(text: str, prefixes: dict[str, list[str]]) -> set[str]:
    found = set()
    for match in TOKEN_START.finditer(text):
        start = match.start()
        found |= {v for v in prefixes.get(text[start : start + MIN_LENGTH], ()) if text.startswith(v, start)}
    return found


def _first_leak(text: str, prefixes: dict[str, list[str]]) -> str | None:
    """A personal value occurring in the text, found through an index of 8-character prefixes
    checked at every token start (linear in the text, not in the number of values)."""
    for match in TOKEN_START.finditer(text):
        start = match.start()
        for value in prefixes.get(text[start : start + MIN_LENGTH], ()):
            if text.startswith(value, start):
                return value
    return None
