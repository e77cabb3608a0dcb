"""The persistent Dagster instance of a home: `{home}/dagster` (DAGSTER_HOME) and its dagster.yaml."""

from __future__ import annotations

import os
from pathlib import Path

from dagster import DagsterInstance

from pipelines.config import load_config

DAGSTER_YAML = """\
# Written by `edumon` (pipelines/orchestration/instance.py). Runs that write the warehouse
# (tag edumon/writes-warehouse=true) never run concurrently: DuckDB has one writer (STACK.md).
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


def prepare_instance(home: Path) -> DagsterInstance:
    """The persistent Dagster instance of a home (writes dagster.yaml on first use)."""
    dagster_home = home / load_config().paths.dagster_home
    dagster_home.mkdir(parents=True, exist_ok=True)
    config_file = dagster_home / "dagster.yaml"
    if not config_file.exists() or config_file.read_text(encoding="utf-8") != DAGSTER_YAML:
        config_file.write_text(DAGSTER_YAML, encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    os.environ["EDUMON_HOME"] = str(home)
    return DagsterInstance.get()
