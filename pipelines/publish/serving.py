"""Publish the marts: copy them into `serving.duckdb.tmp`, then `os.replace` it onto `serving.duckdb`.

Superset and the rating read the serving file while the pipeline writes the warehouse (DuckDB has
one writer per file, STACK.md), so readers only ever see a whole snapshot: the old one until the
rename, the new one after. Nothing is published unless dbt build and its tests passed; a failure
leaves the previous serving file untouched. The one caller is the Dagster asset `serving_snapshot`
(pipelines/publish/assets.py), which runs after the dbt assets and their tests.

Only the weeks that changed are written (issue 13): the new snapshot starts as a copy of the
previous one, and a mart's weeks whose rows differ from the warehouse's (row count and the sum of
row hashes, per week) are deleted and copied again; a table without weeks, of another shape, or
without a previous snapshot is copied whole. The result is the same rows as a whole copy, at the
cost of reading the marts rather than writing them all (a whole copy grew with the weeks kept).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.config import home_dir, home_path, load_config, warehouse_engine
from pipelines.faults import fault_point
from pipelines.publish.spark_tables import spark_table_select, spark_tables

MARTS_SCHEMA = "marts"
# Reference tables the dashboards and the rating need beside the marts (schema, table).
REFERENCE_TABLES: tuple[tuple[str, str], ...] = (
    ("reference", "ref_regions"),
    ("reference", "ref_indicators"),
    ("reference", "ref_labels"),  # Russian words of codes (the load log's rules), joined by the dashboards
)


class PublishError(RuntimeError):
    """The marts were not published; the previous serving snapshot is unchanged."""


@dataclass(frozen=True)
class PublishedSnapshot:
    path: Path
    tables: dict[str, int]  # table → rows
    rewritten: dict[str, list[str]]  # table → the weeks written, ["*"] for the whole table


def _source_tables(warehouse: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """Every mart, plus the reference tables that exist in the warehouse."""
    rows = warehouse.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_catalog = 'wh' and table_type = 'BASE TABLE'"
    ).fetchall()
    existing = {(schema, name) for schema, name in rows}
    marts = sorted((s, n) for s, n in existing if s == MARTS_SCHEMA and n.startswith("mart_"))
    if not marts:
        raise PublishError(f"the warehouse has no tables in schema {MARTS_SCHEMA!r}: run dbt build first")
    return marts + [ref for ref in REFERENCE_TABLES if ref in existing]


def _spark_source_tables(con: duckdb.DuckDBPyConnection, warehouse_dir: Path) -> list[tuple[str, str]]:
    """(table, DuckDB select) of every mart and reference table the Spark build wrote."""
    marts = [t for t in spark_tables(warehouse_dir, MARTS_SCHEMA) if t.startswith("mart_")]
    if not marts:
        raise PublishError(f"{warehouse_dir}: no Spark tables in {MARTS_SCHEMA!r}: run dbt build first")
    sources = [(MARTS_SCHEMA, name) for name in marts]
    sources += [ref for ref in REFERENCE_TABLES if ref[1] in spark_tables(warehouse_dir, ref[0])]
    return [(name, spark_table_select(con, warehouse_dir, schema, name)) for schema, name in sources]


def temporary_path(serving: Path) -> Path:
    """Where the next snapshot is written before the swap (a leftover after a crash)."""
    return serving.with_name(serving.name + ".tmp")


def publish_serving(warehouse: Path, serving: Path, *, engine: str = "duckdb") -> PublishedSnapshot:
    """Copy the marts of `warehouse` into a new `serving` file, swapped in atomically.

    `warehouse` is warehouse.duckdb, or for engine spark the Spark warehouse folder, whose tables'
    Parquet files DuckDB reads (pipelines/publish/spark_tables.py).
    """
    if engine == "spark" and not warehouse.is_dir():
        raise PublishError(f"{warehouse}: no Spark warehouse to publish from")
    if engine != "spark" and not warehouse.is_file():
        raise PublishError(f"{warehouse}: no warehouse to publish from")
    temporary = temporary_path(serving)
    temporary.unlink(missing_ok=True)
    serving.parent.mkdir(parents=True, exist_ok=True)
    tables: dict[str, int] = {}
    rewritten: dict[str, list[str]] = {}
    try:
        if engine != "spark" and _reusable(serving):
            shutil.copyfile(serving, temporary)  # the previous snapshot: only changed weeks are rewritten
        with duckdb.connect(str(temporary)) as con:
            if engine == "spark":
                selects = _spark_source_tables(con, warehouse)
            else:
                con.execute(f"attach '{warehouse}' as wh (read_only)")
                selects = [(n, f'select * from wh."{s}"."{n}"') for s, n in _source_tables(con)]
            _drop_tables_not_in(con, {name for name, _ in selects})
            for name, select in selects:
                if weeks := _publish_table(con, name, select):
                    rewritten[name] = weeks
                tables[name] = con.execute(f'select count(*) from main."{name}"').fetchone()[0]  # type: ignore[index]
            if engine != "spark":
                con.execute("detach wh")
            con.execute("checkpoint")
    except Exception:
        temporary.unlink(missing_ok=True)
        raise
    fault_point("publish")  # the crash tests' kill: the new file written, not swapped in
    os.replace(temporary, serving)
    return PublishedSnapshot(path=serving, tables=tables, rewritten=rewritten)


def _reusable(serving: Path) -> bool:
    """A previous snapshot to start from: written whole by this module (checkpointed, no WAL left)."""
    return serving.is_file() and not serving.with_name(serving.name + ".wal").exists()


def _drop_tables_not_in(con: duckdb.DuckDBPyConnection, names: set[str]) -> None:
    for (name,) in con.execute(
        "select table_name from duckdb_tables() where database_name = current_database() "
        "and schema_name = 'main'"
    ).fetchall():
        if name not in names:
            con.execute(f'drop table main."{name}"')


def _columns(con: duckdb.DuckDBPyConnection, select: str) -> list[tuple[str, str]]:
    return [(row[0], row[1]) for row in con.execute(f"describe {select}").fetchall()]


def _publish_table(con: duckdb.DuckDBPyConnection, name: str, select: str) -> list[str]:
    """The table as `select` has it: its changed weeks rewritten in place (returned), else copied
    whole (["*"])."""
    target = f'main."{name}"'
    exists = con.execute(
        "select count(*) from duckdb_tables() where database_name = current_database() "
        "and schema_name = 'main' and table_name = ?",
        [name],
    ).fetchone()[0]  # type: ignore[index]
    columns = _columns(con, select)
    if (
        not exists
        or _columns(con, f"select * from {target}") != columns
        or ("week", "VARCHAR") not in columns
    ):
        con.execute(f"create or replace table {target} as {select}")
        return ["*"]
    changed = [
        week
        for (week,) in con.execute(
            f"select coalesce(new.week, old.week) from ({_week_digest(select)}) as new "
            f"full outer join ({_week_digest(f'select * from {target}')}) as old on new.week = old.week "
            "where new.digest is distinct from old.digest"
        ).fetchall()
    ]
    if None in changed:  # rows without a week: nothing to compare them by
        con.execute(f"create or replace table {target} as {select}")
        return ["*"]
    if changed:
        con.execute(f"delete from {target} where week in (select unnest($1))", [changed])
        con.execute(
            f"insert into {target} select * from ({select}) where week in (select unnest($1))", [changed]
        )
    return sorted(changed)


def _week_digest(select: str) -> str:
    """Per week: the row count and the sum of the rows' hashes (equal rows, equal digest)."""
    return (
        f"select week, (count(*), sum(hash(rows_)::hugeint)) as digest from ({select}) as rows_ group by week"
    )


def engine_warehouse(home: str | Path | None = None) -> tuple[str, Path]:
    """The configured engine and where its build keeps the tables: warehouse.duckdb or the Spark folder."""
    engine = warehouse_engine()
    if engine == "spark":
        return engine, home_dir(home) / load_config().warehouse.spark.warehouse_dir
    return engine, home_path("warehouse", home)


def publish_home(home: str | Path | None = None) -> PublishedSnapshot:
    """Publish the marts of the home's build on the configured engine into its serving file."""
    engine, warehouse = engine_warehouse(home)
    return publish_serving(warehouse, home_path("serving", home), engine=engine)
