"""Ingest batching: which files need reading and which region-weeks one Dagster ingest run loads
(`edumon run` and the landing sensor alike).

Dagster's cost is per run and per step, not per partition, so a week's regions that are neighbours
in the partition order and delivered the same datasets load in one run over a partition range.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipelines.config import region_codes
from pipelines.home import Home
from pipelines.ingest.assets import partition_key
from pipelines.ingest.files import LandingFile, stat_signature
from pipelines.ingest.lake import partition_path

WEEK_TAG = "edumon/week"
ASSET_PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
ASSET_PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"


@dataclass(frozen=True)
class IngestRun:
    """Region-weeks loaded by one Dagster run: one week, regions adjacent in the partition order
    (so the run's partition range holds exactly them) that delivered the same datasets."""

    week: str
    regions: tuple[str, ...]
    datasets: tuple[str, ...]

    def tags(self, job: Any) -> dict[str, str]:
        """One region: the partition's tags (as the UI sets them); several: a partition range."""
        first, last = partition_key(self.week, self.regions[0]), partition_key(self.week, self.regions[-1])
        if first == last:
            return dict(job.get_tags_for_partition_key(first, None))
        return {ASSET_PARTITION_RANGE_START_TAG: str(first), ASSET_PARTITION_RANGE_END_TAG: str(last)}


def plan_ingest_runs(by_partition: dict[tuple[str, str], list[str]]) -> list[IngestRun]:
    """The fewest runs whose partition ranges cover exactly the delivered region-weeks."""
    order = {code: index for index, code in enumerate(region_codes())}
    groups: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for (week, region), datasets in by_partition.items():
        groups.setdefault((week, tuple(sorted(set(datasets)))), []).append(region)
    runs: list[IngestRun] = []
    for (week, delivered), regions in groups.items():
        block: list[str] = []
        for region in sorted(regions, key=order.__getitem__):
            if block and order[region] != order[block[-1]] + 1:
                runs.append(IngestRun(week, tuple(block), delivered))
                block = []
            block.append(region)
        runs.append(IngestRun(week, tuple(block), delivered))
    return sorted(runs, key=lambda run: (run.week, order[run.regions[0]]))


def is_settled(item: LandingFile, settled: dict[str, str], home: Home) -> bool:
    """The file was checked into its lake partition and has not been touched since (`settled`:
    `load_log.settled_files`): no run needs to read it again."""
    signature = settled.get(item.name)
    return (
        signature is not None
        and signature == stat_signature(item.path)
        and partition_path(home.lake, item.dataset, item.region, item.week).exists()
    )
