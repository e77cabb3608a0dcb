"""The warehouse engine setting, the engine-aware publish read path (no Spark started here) and
the lake on a filesystem URL (fsspec's in-memory filesystem).

tests/test_spark.py builds the marts on Spark for real; these check the pieces around it cheaply.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb
import fsspec
import pyarrow.parquet as pq
import pytest
import yaml

from benchmarks.engines import build_command, dbt_results
from pipelines.cli import main
from pipelines.config import (
    DEFAULT_CONFIG,
    ENGINE_ENV,
    ConfigError,
    load_config,
    parse_config,
    warehouse_engine,
)
from pipelines.home import Home
from pipelines.ingest import lake as lake_io
from pipelines.ingest import load_log
from pipelines.ingest.files import LandingFile, classify
from pipelines.ingest.load import load_file
from pipelines.publish.serving import publish_serving
from pipelines.publish.spark_tables import documented_columns, spark_table_dir
from pipelines.recovery import record_published, unpublished_partitions
from pipelines.transform.project import home_environment
from pipelines.weeks import shift_week


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


@pytest.fixture
def url_lake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[Home, str]]:
    """A home whose orchestration.yaml puts the lake on `memory://` (a URL, not a folder), with one
    week of RU-KB's generated exports in its landing; the in-memory lake is removed afterwards."""
    url = f"memory://edumon-{uuid.uuid4().hex[:8]}/lake"
    raw = yaml.safe_load(Path(DEFAULT_CONFIG).read_text(encoding="utf-8"))
    raw["paths"]["lake"] = url
    config = tmp_path / "orchestration.yaml"
    config.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    generated = tmp_path / "generated"
    assert (
        main(["generate", "--preset", "demo", "--regions", "RU-KB", "--weeks", "1", "--out", str(generated)])
        == 0
    )
    monkeypatch.setenv("EDUMON_CONFIG", str(config))
    load_config.cache_clear()
    home = Home(tmp_path / "home")
    home.landing.mkdir(parents=True)
    for name in ("fgis_orgs", "sferum_orgs"):
        for path in generated.glob(f"{name}_*"):
            shutil.copy2(path, home.landing / path.name)
    try:
        yield home, url
    finally:
        fsspec.filesystem("memory").rm(url.removeprefix("memory://").split("/")[0], recursive=True)
        monkeypatch.delenv("EDUMON_CONFIG")
        load_config.cache_clear()


def test_lake_url_needs_a_filesystem_fsspec_opens() -> None:
    """A lake URL whose protocol no installed fsspec filesystem serves stops at load, naming it.

    Matters when a deployment moves the lake to object storage: `s3://` needs s3fs installed.
    On failure: pipelines/config.py Paths._lake_filesystem.
    """
    raw = yaml.safe_load(Path(DEFAULT_CONFIG).read_text(encoding="utf-8"))
    raw["paths"]["lake"] = "nosuch://bucket/lake"
    with pytest.raises(ConfigError, match=r"paths\.lake.*nosuch"):
        parse_config(raw)


def _delivered(path: Path) -> LandingFile:
    item = classify(path)
    assert isinstance(item, LandingFile), item
    return item


def test_ingest_writes_and_reads_a_lake_on_a_filesystem_url(url_lake: tuple[Home, str]) -> None:
    """With `paths.lake` a filesystem URL, the ingest stages, gates, publishes and reads the lake's
    Parquet and load log through fsspec; a rejected file reaches quarantine (local), not the lake.

    The real load of delivered files (parse, normalise, the Great Expectations gate, whose
    registry check reads fgis_orgs back from the URL lake), in this process: fsspec's memory
    filesystem is per process, so Dagster's step processes, DuckDB and Spark cannot see it
    (docs/scaling.md says what runs on a shared object store). Matters for a lake on object
    storage. On failure: pipelines/ingest/lake.py (the fsspec branches; pipelines/home.py lake_root) and the
    pathlib calls of pipelines/ingest/load.py and load_log.py on a `upath.UPath`.
    """
    home, url = url_lake
    assert str(home.lake) == url and not isinstance(home.lake, Path)  # a UPath, not a local folder
    orgs, sferum = (_delivered(next(home.landing.glob(f"{name}_*"))) for name in ("fgis_orgs", "sferum_orgs"))
    first = load_file(orgs, home)
    assert first.status == "loaded", first.summary()
    stored = f"{url.removeprefix('memory://')}/fgis_orgs/region={orgs.region}/week={orgs.week}/data.parquet"
    assert fsspec.filesystem("memory").exists(stored)
    with lake_io.partition_path(home.lake, "fgis_orgs", orgs.region, orgs.week).open("rb") as handle:
        assert pq.read_table(handle).num_rows == first.rows
    table = lake_io.read_partition(home.lake, "fgis_orgs", orgs.region, orgs.week)
    assert table is not None and table.num_rows == first.rows
    assert not list(lake_io.staging_dir(home.lake).glob("*")), "a staged file stayed behind"
    second = load_file(sferum, home)
    assert second.status == "loaded", second.summary()  # its registry check read fgis_orgs from the URL
    again = load_file(orgs, home)
    assert again.status == "unchanged", again.summary()
    # Next week's Сферум orgs with an ИНН foreign to the registry (read from the URL lake's latest
    # earlier fgis_orgs week: a glob over it): rejected whole, quarantined, nothing in the lake.
    next_week = shift_week(sferum.week, 1)
    lines = sferum.path.read_text(encoding="utf-8").splitlines()
    lines[1] = '"7707083893"' + lines[1][lines[1].index(",") :]
    foreign = home.landing / sferum.path.name.replace(sferum.week, next_week)
    foreign.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rejected = load_file(_delivered(foreign), home)
    assert rejected.status == "rejected" and rejected.rule, rejected.summary()
    assert not lake_io.partition_path(home.lake, "sferum_orgs", sferum.region, next_week).exists()
    assert list(home.quarantine.rglob("reason.json")), "the rejected file is not in quarantine"
    statuses = [(e.dataset, e.status) for e in load_log.read_entries(home.lake)]
    expected = ["loaded", "loaded", "unchanged", "rejected"]
    assert statuses == list(
        zip(["fgis_orgs", "sferum_orgs", "fgis_orgs", "sferum_orgs"], expected, strict=True)
    )
    # The publish marker (lake/_meta) a downstream run writes once the marts reflect those loads.
    pending = unpublished_partitions(home)
    assert (orgs.week, orgs.region) in pending, pending
    record_published(home, pending, None, len(statuses))
    assert unpublished_partitions(home) == set()
    assert not (home.root / "lake").exists() and not (home.root / "memory:").exists()


def test_engines_benchmark_builds_on_the_engine_asked_and_reads_dbt_statuses(tmp_path: Path) -> None:
    """benchmarks/engines.py runs `dbt build --full-refresh` with the target of the engine it names
    (not the configured one) and its artifacts in its own folder, and sums dbt's node statuses.

    Matters for docs/scaling.md's figures: a build on the wrong engine would be timed silently.
    On failure: benchmarks/engines.py build_command / dbt_results.
    """
    command, env = build_command(tmp_path, "spark", tmp_path / "artifacts")
    assert command[1:3] == ["build", "--full-refresh"] and "--vars" in command
    assert env["EDUMON_DBT_TARGET"] == env["EDUMON_ENGINE"] == "spark"
    assert env["DBT_TARGET_PATH"] == env["DBT_LOG_PATH"] == str(tmp_path / "artifacts")
    results = [("model.a", "success"), ("test.b", "pass"), ("test.c", "fail"), ("test.d", "pass")]
    payload = {"results": [{"unique_id": uid, "status": status} for uid, status in results]}
    (tmp_path / "run_results.json").write_text(json.dumps(payload), encoding="utf-8")
    assert dbt_results(tmp_path) == "fail 1, pass 2, success 1; failed: test.c"
    assert dbt_results(tmp_path / "nothing") == "no run_results.json"
