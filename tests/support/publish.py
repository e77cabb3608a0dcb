"""Build and publish a home's lake the way `edumon run` does, for tests that start from a lake."""

from __future__ import annotations

from pathlib import Path

from pipelines.home import Home
from pipelines.ingest import load_log
from pipelines.orchestration.instance import prepare_instance
from pipelines.orchestration.runs import run_downstream


def publish_lake(home: Path, partitions: set[tuple[str, str]] | None = None) -> list[str]:
    """The downstream Dagster run of `edumon run` (dbt build with its tests → serving_snapshot →
    rating → dashboards refresh) over `partitions`, by default every region-week of the load log.
    Returns its status lines ("... FAILED ..." when a stage failed)."""
    if partitions is None:
        entries = load_log.read_entries(Home(home).lake)
        partitions = {(entry.week, entry.region) for entry in entries if entry.week and entry.region}
    return run_downstream(prepare_instance(home), home, partitions)
