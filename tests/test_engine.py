"""The warehouse engine setting and the engine-aware publish read path (no Spark started here).

tests/test_spark.py builds the marts on Spark for real; these check the pieces around it cheaply.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines.config import ENGINE_ENV, ConfigError, load_config, warehouse_engine
from pipelines.publish.serving import publish_serving
from pipelines.publish.spark_tables import documented_columns, spark_table_dir
from pipelines.transform.project import home_environment


def test_engine_from_configuration_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """EDUMON_ENGINE overrides warehouse.engine; another value is refused with its name.

    Matters when a deployment switches engines. On failure: see pipelines/config.py warehouse_engine.
    """
    monkeypatch.delenv(ENGINE_ENV, raising=False)
    assert warehouse_engine() == load_config().warehouse.engine == "duckdb"
    monkeypatch.setenv(ENGINE_ENV, "spark")
    assert warehouse_engine() == "spark"
    monkeypatch.setenv(ENGINE_ENV, "postgres")
    with pytest.raises(ConfigError, match="postgres"):
        warehouse_engine()


def test_spark_target_and_folders_under_the_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The dbt target follows the engine; Spark's tables and metastore live in the home.

    Matters for every Spark run: nothing may be written into the checkout. On failure: check
    pipelines/transform/project.py engine_environment and profiles.yml's spark target.
    """
    monkeypatch.setenv(ENGINE_ENV, "spark")
    env = home_environment(tmp_path)
    assert env["EDUMON_DBT_TARGET"] == "spark"
    spark = load_config().warehouse.spark
    assert env["EDUMON_SPARK_WAREHOUSE_DIR"] == str(tmp_path.resolve() / spark.warehouse_dir)
    assert env["EDUMON_SPARK_METASTORE_DIR"] == str(tmp_path.resolve() / spark.metastore_dir)


def test_publish_reads_spark_partitioned_parquet(tmp_path: Path) -> None:
    """Publish copies Spark's hive-partitioned mart files into serving.duckdb, columns in yml order.

    Spark writes partition columns only into folder names and last in its schema; serving.duckdb
    must have the DuckDB build's columns. The folders are written here by DuckDB in Spark's layout
    (`<schema>.db/<table>/week=…/region_code=…/`). On failure: pipelines/publish/spark_tables.py.
    """
    warehouse = tmp_path / "spark-warehouse"
    target = spark_table_dir(warehouse, "marts", "mart_region_rating")
    target.mkdir(parents=True)
    with duckdb.connect() as con:
        con.execute(
            "copy (select 'RU-KB' as region_code, 'КБР' as region_name, 0.5 as score,"
            " cast(1 as bigint) as rank, '2026-W47' as week)"
            f" to '{target}' (format parquet, partition_by (week))"
        )
    snapshot = publish_serving(warehouse, tmp_path / "serving.duckdb", engine="spark")
    assert snapshot.tables == {"mart_region_rating": 1}
    with duckdb.connect(str(tmp_path / "serving.duckdb"), read_only=True) as con:
        described = con.execute("describe mart_region_rating").fetchall()
    columns = [row[0] for row in described]
    documented = [c for c in documented_columns("mart_region_rating") if c in columns]
    assert columns[: len(documented)] == documented and columns.index("week") == 0
    assert dict((row[0], row[1]) for row in described)["week"] == "VARCHAR"
