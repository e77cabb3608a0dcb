"""The Spark build's tables, read by DuckDB from their Parquet files (warehouse.engine: spark).

dbt-spark writes each table under `<spark warehouse>/<schema>.db/<table>/`, partitioned tables as
hive folders (`week=…/region_code=…/part-….parquet`, the partition columns only in the folder
names and last in Spark's schema). Publish reads those files with DuckDB, without starting Spark,
and puts the columns back in the order the model's yml documents them, so serving.duckdb has the
same tables and columns on either engine.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from pipelines.transform.project import MANIFEST_PATH


class SparkTableMissing(RuntimeError):
    """A table the Spark build should have written has no Parquet files."""


def spark_table_dir(warehouse_dir: Path, schema: str, table: str) -> Path:
    """Where Spark keeps a managed table of a database (its default location)."""
    return warehouse_dir / f"{schema}.db" / table


def spark_tables(warehouse_dir: Path, schema: str) -> list[str]:
    """The tables of a Spark database that have Parquet files, sorted."""
    folder = warehouse_dir / f"{schema}.db"
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and any(p.rglob("*.parquet")))


def documented_columns(table: str) -> list[str]:
    """The model's columns in its yml order (dbt's manifest), or [] when it is not a documented model."""
    if not MANIFEST_PATH.exists():
        return []
    nodes = json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))["nodes"].values()
    for node in nodes:
        if node["resource_type"] in ("model", "seed") and node["name"] == table:
            return list(node.get("columns", {}))
    return []


def spark_table_select(con: duckdb.DuckDBPyConnection, warehouse_dir: Path, schema: str, table: str) -> str:
    """A DuckDB select over the Spark table's Parquet files, columns in the model's order."""
    folder = spark_table_dir(warehouse_dir, schema, table)
    if not any(folder.rglob("*.parquet")):
        raise SparkTableMissing(f"{folder}: the Spark build wrote no Parquet files for {schema}.{table}")
    # Hive folders as text columns (a week label or region code is never a number or a date).
    source = f"read_parquet('{folder}/**/*.parquet', hive_partitioning = true, hive_types_autocast = false)"
    present = [row[0] for row in con.execute(f"describe select * from {source}").fetchall()]
    ordered = [c for c in documented_columns(table) if c in present]
    columns = ordered + [c for c in present if c not in ordered]
    return "select " + ", ".join(f'"{c}"' for c in columns) + f" from {source}"
