"""The persistent Dagster instance of a home: `{home}/dagster` (DAGSTER_HOME) and its dagster.yaml."""

from __future__ import annotations

import json
import os
from pathlib import Path

from dagster import DagsterInstance

from pipelines.config import load_config

DAGSTER_YAML = """\
# Written by `edumon` (pipelines/orchestration/instance.py). Runs that write the warehouse
# (tag edumon/writes-warehouse=true) never run concurrently: DuckDB has one writer (STACK.md).
# The event log is dagster's SQLite one in its default folder with a kept connection per run
# database (pipelines/orchestration/storage.py); runs and schedules keep dagster's defaults.
event_log_storage:
  module: pipelines.orchestration.storage
  class: PooledSqliteEventLogStorage
  config:
    base_dir: {event_log_dir}
    synchronous: {synchronous}
concurrency:
  runs:
    max_concurrent_runs: 2
    tag_concurrency_limits:
      - key: "edumon/writes-warehouse"
        value: "true"
        limit: 1
telemetry:
  enabled: false
"""


def dagster_yaml(dagster_home: Path) -> str:
    """The home's dagster.yaml; the event log stays where dagster keeps it, so old runs still read."""
    return DAGSTER_YAML.format(
        event_log_dir=json.dumps(str(dagster_home.resolve() / "history" / "runs")),
        synchronous=load_config().dagster.event_log_synchronous,
    )


def prepare_instance(home: Path) -> DagsterInstance:
    """The persistent Dagster instance of a home (writes dagster.yaml when it differs)."""
    dagster_home = home / load_config().paths.dagster_home
    dagster_home.mkdir(parents=True, exist_ok=True)
    config_file = dagster_home / "dagster.yaml"
    wanted = dagster_yaml(dagster_home)
    if not config_file.exists() or config_file.read_text(encoding="utf-8") != wanted:
        config_file.write_text(wanted, encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    os.environ["EDUMON_HOME"] = str(home)
    return DagsterInstance.get()
