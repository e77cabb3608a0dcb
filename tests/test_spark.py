"""The same dbt project on Apache Spark (dbt-spark, session mode) gives the same marts as DuckDB.

One small landing (the demo preset's RU-KB, 2 weeks) goes through `edumon run` with
EDUMON_ENGINE=spark: ingest and gates as always, then `dbt build` (models, data tests) through
Dagster on Spark, and publish, which reads the Spark tables' Parquet files into serving.duckdb.
The same lake is then built on DuckDB (with the unit tests), and every mart is compared row for
row. The landing has no gis_exchange at all (a first week delivered without it): the Spark build
must go on and read A10 as «нет данных», as DuckDB does (A10 computed from exchanges is then not
compared across engines here; the unit test exchange_window covers its logic). Spark starts once
per session here (≈ 1–3 minutes on 2 cores): keep this file to one Spark build. Needs the
`spark` dependency group (`uv sync --group spark`, which scripts/test.sh installs).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from test_dbt_build import MARTS  # the marts every build must produce, listed once

from pipelines.cli import main
from pipelines.config import ENGINE_ENV, load_config
from pipelines.publish.spark_tables import spark_table_dir
from pipelines.transform.project import run_dbt

pytest.importorskip("pyspark", reason="the spark dependency group is not installed (uv sync --group spark)")

REGION = "RU-KB"
WEEKS = 2
ABSENT = "gis_exchange"  # never delivered: its lake folder does not exist when Spark builds
TOLERANCE = 1e-9


def _ok(result: Any) -> None:
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


@pytest.fixture(scope="session")
def spark_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A home after `edumon run` on Spark (no gis_exchange delivered), then the same lake built on
    DuckDB (warehouse.duckdb)."""
    base = tmp_path_factory.mktemp("spark")
    landing, home = base / "landing", base / "home"
    argv = ["generate", "--preset", "demo", "--out", str(landing), "--weeks", str(WEEKS), "--regions", REGION]
    assert main(argv) == 0
    for path in landing.glob(f"{ABSENT}_*"):
        path.unlink()
    previous = os.environ.get(ENGINE_ENV)
    os.environ[ENGINE_ENV] = "spark"
    try:
        assert main(["run", "--landing", str(landing), "--home", str(home)]) == 0
    finally:
        os.environ.pop(ENGINE_ENV)
        if previous is not None:
            os.environ[ENGINE_ENV] = previous
    _ok(run_dbt(["build", "--full-refresh"], home))  # the configured engine: DuckDB
    yield home


def _rows(con: duckdb.DuckDBPyConnection, relation: str, columns: list[str]) -> list[tuple[Any, ...]]:
    select = ", ".join(f'"{c}"' for c in columns)
    rows = con.execute(f"select {select} from {relation}").fetchall()
    # Sorted on values rounded far below the tolerance, so float noise cannot reorder the rows.
    return sorted(rows, key=lambda r: repr(tuple(round(v, 6) if isinstance(v, float) else v for v in r)))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(a, b, rel_tol=0, abs_tol=TOLERANCE)
    return bool(a == b)


def test_spark_marts_equal_duckdb_row_for_row(spark_home: Path) -> None:
    """Every mart published from the Spark build equals the DuckDB build's, row for row (1e-9).

    Matters whenever a model changes: the project must stay one project on two engines (SPEC.md).
    On failure: the message names the mart and the first differing row; an engine-specific
    expression belongs in a dispatched macro of dbt_project/macros/cross_engine/.
    """
    with duckdb.connect(str(spark_home / "serving.duckdb"), read_only=True) as con:
        con.execute(f"attach '{spark_home / 'warehouse.duckdb'}' as duck (read_only)")
        for mart in MARTS:
            served = [r[0] for r in con.execute(f"describe main.{mart}").fetchall()]
            built = [r[0] for r in con.execute(f"describe duck.marts.{mart}").fetchall()]
            assert served == built, f"{mart}: columns differ (Spark {served}, DuckDB {built})"
            spark_rows = _rows(con, f"main.{mart}", built)
            duck_rows = _rows(con, f"duck.marts.{mart}", built)
            assert spark_rows, f"{mart}: no rows"
            counts = f"{len(spark_rows)} rows on Spark, {len(duck_rows)} on DuckDB"
            assert len(spark_rows) == len(duck_rows), f"{mart}: {counts}"
            for spark_row, duck_row in zip(spark_rows, duck_rows, strict=True):
                same = all(_same(a, b) for a, b in zip(spark_row, duck_row, strict=True))
                assert same, f"{mart}: Spark {dict(zip(built, spark_row, strict=True))} != DuckDB {duck_row}"


def test_spark_tables_and_artifacts_under_the_home(spark_home: Path) -> None:
    """The Spark tables, the metastore and dbt's artifacts and logs are in the home, not the checkout.

    Matters for every deployment: a home is the unit a machine keeps or moves. On failure: check
    profiles.yml's spark target and pipelines/transform (home_environment, the dbt resource).
    """
    spark = load_config().warehouse.spark
    marts = spark_table_dir(spark_home / spark.warehouse_dir, "marts", "mart_indicators")
    assert {p.name.split("=")[0] for p in marts.iterdir() if p.is_dir()} == {"week"}
    assert (spark_home / spark.metastore_dir / "metastore_db").is_dir()
    artifacts = spark_home / "logs" / "dbt"
    # One folder reused run after run (project.dbt_target_path); dbt.log keeps every run's lines.
    assert (artifacts / "run_results.json").is_file(), "dbt's artifacts are not in the home"
    log = (artifacts / "dbt.log").read_text(encoding="utf-8")
    assert '"adapter_name": "spark"' in log, "the Dagster run's (Spark) dbt log is not in the home"


def test_spark_builds_without_a_dataset_never_delivered(spark_home: Path) -> None:
    """gis_exchange was never delivered: the Spark build went on (the run published) and A10 has
    rows at every level with no value («нет данных»), never a measured 0 %.

    Matters for a region's first week without one of its files. On failure: Spark's lake tables
    (macros/cross_engine/lake_tables.sql: a table over a folder that does not exist must read as
    empty) or int_exchanges_windowed; DuckDB's side is macros/lake_sources.sql.
    """
    assert not list((spark_home / "lake").glob(f"{ABSENT}/*/*/*.parquet"))
    with duckdb.connect(str(spark_home / "serving.duckdb"), read_only=True) as con:
        query = "select level, count(*), count(value) from main.mart_indicators where indicator = 'A10'"
        rows = con.execute(f"{query} group by level").fetchall()
    assert {level for level, _, _ in rows} >= {"region", "country"}, rows
    assert all(valued == 0 for _, _, valued in rows), f"A10 has values without any exchange: {rows}"
