"""Where the dbt project is, how to call it, and the vars it gets from orchestration.yaml.

One function, `dbt_vars`, turns the configuration into dbt's `--vars`, so Dagster, the CLI and the
tests pass the very same thresholds, targets and weights. dbt_project.yml holds none of them
(defined once; tests/test_dbt_sources.py checks it), so a hand call goes through `edumon dbt`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from filelock import FileLock

from pipelines.config import (
    PROJECT_ROOT,
    Config,
    duckdb_size,
    home_dir,
    load_config,
    region_codes,
    warehouse_engine,
)
from pipelines.home import lake_root

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
MANIFEST_PATH = DBT_PROJECT_DIR / "target" / "manifest.json"
VAR_PREFIX = "edumon:"
ALL_WEEKS = ("0000-W00", "9999-W99")  # week bounds of a full build
ALL_REGIONS = "all"  # edumon:region of a run over every region
# A Dagster run tagged with one region code rebuilds only that region's rows of its weeks (plus the
# country rows): `edumon backfill --region R` sets it (docs/architecture.md «Region runs»).
REGION_TAG = "edumon/region"


def dbt_vars(
    config: Config | None = None,
    *,
    min_week: str | None = None,
    max_week: str | None = None,
    region: str | None = None,
) -> dict[str, Any]:
    """dbt vars (namespaced `edumon:`) from the configuration, the run's week bounds and region."""
    config = config or load_config()
    thresholds = config.thresholds.model_dump()
    if region and region != ALL_REGIONS and region not in region_codes():
        raise ValueError(f"unknown region {region!r} for a region run")
    values: dict[str, Any] = {
        "min_week": min_week or ALL_WEEKS[0],
        "max_week": max_week or ALL_WEEKS[1],
        "region": region or ALL_REGIONS,
        "first_week": config.calendar.first_week,
        "last_week": config.calendar.last_week,
        **thresholds,
        "indicator_targets": {key: ind.target for key, ind in config.indicators.items()},
        "indicator_units": {key: ind.unit for key, ind in config.indicators.items()},
        "rating_weights": dict(config.rating.weights),
        "rating_sections": [{"id": s.id, "indicators": s.indicators} for s in config.rating.sections],
        "unranked_missing_weight": config.rating.unranked_missing_weight,
        "gis_indicators": [key for key, ind in config.indicators.items() if ind.gis],
        "regions_without_gis": config.regions_without_gis(),
        "gis_datasets": [name for name, d in config.datasets.items() if d.system == "gis"],
        "datasets": list(config.datasets),
        "delivery_deadline_weekday": config.schedules.delivery_deadline.weekday,
        "delivery_deadline_time": config.schedules.delivery_deadline.time,
    }
    return {VAR_PREFIX + key: value for key, value in values.items()}


# The vars that change from run to run: passed as EDUMON_RUN_SCOPE (read by macros/run_scope.sql
# when a node executes), not as --vars, whose every change makes dbt re-parse the whole project.
RUN_SCOPE_VARS = tuple(VAR_PREFIX + key for key in ("min_week", "max_week", "region"))
RUN_SCOPE_ENV = "EDUMON_RUN_SCOPE"


def split_run_scope(variables: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """(the --vars, the environment) of a dbt call: the run's scope leaves the vars (see RUN_SCOPE_VARS)."""
    scope = {key: variables[key] for key in RUN_SCOPE_VARS if key in variables}
    constant = {key: value for key, value in variables.items() if key not in RUN_SCOPE_VARS}
    return constant, {RUN_SCOPE_ENV: json.dumps(scope, sort_keys=True)}


def region_of_run(tags: dict[str, str]) -> str | None:
    """The one region a run's tags name (REGION_TAG), or None for every region."""
    region = tags.get(REGION_TAG)
    return region if region and region != ALL_REGIONS else None


def home_environment(home: str | Path | None = None) -> dict[str, str]:
    """The variables profiles.yml and the dbt sources read (the home's warehouse, lake and spill
    folder), and dbt.log's level (orchestration.yaml warehouse.dbt_file_log_level)."""
    base = home_dir(home)
    config = load_config()
    temp_directory = base / config.warehouse.temp_directory
    temp_directory.mkdir(parents=True, exist_ok=True)
    return {
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
        "EDUMON_WAREHOUSE": str(base / config.paths.warehouse),
        "EDUMON_LAKE": str(lake_root(base, config.paths.lake)),  # a URL lake: the URL
        # what the memory budget leaves beside the edumon and dbt processes (orchestration.yaml memory)
        "EDUMON_DUCKDB_MEMORY_LIMIT": duckdb_size(config.memory.dbt_duckdb_bytes),
        "EDUMON_DUCKDB_TEMP_DIRECTORY": str(temp_directory),
        "DBT_LOG_LEVEL_FILE": os.environ.get("DBT_LOG_LEVEL_FILE") or config.warehouse.dbt_file_log_level,
        **engine_environment(base, config),
    }


def engine_environment(base: Path, config: Config) -> dict[str, str]:
    """The dbt target of the configured engine (profiles.yml) and, for Spark, its folders in the home."""
    spark = config.warehouse.spark
    return {
        "EDUMON_DBT_TARGET": warehouse_engine(config),
        "EDUMON_SPARK_WAREHOUSE_DIR": str(base / spark.warehouse_dir),
        "EDUMON_SPARK_METASTORE_DIR": str(base / spark.metastore_dir),
        "EDUMON_SPARK_MASTER": spark.master,
        "EDUMON_SPARK_DRIVER_MEMORY": spark.driver_memory,
        "EDUMON_SPARK_SHUFFLE_PARTITIONS": str(spark.shuffle_partitions),
    }


def dbt_target_path(home: str | Path | None = None) -> Path:
    """Where a run's dbt writes target/ (run results, partial parse) and dbt.log: inside the home,
    one folder reused run after run (warehouse runs never overlap), not the repository."""
    return home_dir(home) / load_config().paths.logs / "dbt"


def dbt_env(home: str | Path | None = None) -> dict[str, str]:
    """The whole environment of a dbt process on a home (without a run scope an earlier in-process
    Dagster run left in os.environ: a dbt call without one reads its --vars)."""
    inherited = {k: v for k, v in os.environ.items() if k != RUN_SCOPE_ENV}
    return {**inherited, **home_environment(home)}


def dbt_executable() -> str:
    """The dbt of this environment (next to the running Python), not whatever is on PATH."""
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def run_dbt(
    args: list[str],
    home: str | Path | None = None,
    *,
    min_week: str | None = None,
    max_week: str | None = None,
    region: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run one dbt command on a home with the configuration's vars; output is captured."""
    variables, scope = split_run_scope(dbt_vars(min_week=min_week, max_week=max_week, region=region))
    command = [dbt_executable(), *args, "--vars", json.dumps(variables)]
    env = dbt_command_env(args, home) | scope
    return subprocess.run(command, cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True, check=False)


def dbt_command_env(args: list[str], home: str | Path | None = None) -> dict[str, str]:
    """The environment of one dbt command: its target/ and dbt.log in the home, except `dbt parse`,
    which writes the project's manifest that Dagster's assets load."""
    env = dbt_env(home)
    if args[:1] != ["parse"]:
        artifacts = str(dbt_target_path(home))
        env |= {"DBT_TARGET_PATH": artifacts, "DBT_LOG_PATH": artifacts}
    return env


def prepare_manifest() -> Path:
    """`dbt parse`: the manifest Dagster's dbt assets are defined from (the install step runs it)."""
    result = run_dbt(["parse", "--quiet"])
    if result.returncode != 0:
        raise RuntimeError(f"dbt parse failed:\n{result.stdout}\n{result.stderr}")
    return MANIFEST_PATH


def manifest_sources() -> list[Path]:
    """The project files a manifest is parsed from: dbt_project.yml and the model, macro, seed and
    test folders (profiles.yml and the vars do not add or remove nodes)."""
    folders = ("models", "macros", "seeds", "tests")
    files = [path for folder in folders for path in (DBT_PROJECT_DIR / folder).rglob("*") if path.is_file()]
    return [DBT_PROJECT_DIR / "dbt_project.yml", *files]


def manifest_is_current() -> bool:
    """The manifest exists and is newer than every file it was parsed from."""
    if not MANIFEST_PATH.is_file():
        return False
    parsed_at = MANIFEST_PATH.stat().st_mtime
    return all(path.stat().st_mtime <= parsed_at for path in manifest_sources())


def current_manifest() -> Path:
    """The manifest, parsed again first when a project file changed since the last `dbt parse`: a
    model or test pulled after the install step would otherwise fail every dbt step with
    dagster-dbt's KeyError on a node the old manifest does not know. Processes that load the
    definitions at once parse one at a time (a lock beside target/) and the later ones find it current."""
    MANIFEST_PATH.parent.mkdir(exist_ok=True)
    with FileLock(str(MANIFEST_PATH.parent / ".parse.lock")):
        if not manifest_is_current():
            prepare_manifest()
    return MANIFEST_PATH
