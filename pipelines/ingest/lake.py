"""The lake: `lake/{dataset}/region={region}/week={week}/data.parquet`, written atomically.

Parquet is written deterministically (no timestamps, fixed options, one row group per 1 M rows),
so the same input gives the same bytes.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.faults import fault_point

ROW_GROUP_ROWS = 1_000_000


def partition_path(lake: Path, dataset: str, region: str, week: str) -> Path:
    return lake / dataset / f"region={region}" / f"week={week}" / "data.parquet"


def staging_dir(lake: Path) -> Path:
    """Staged Parquet waits here for the gate; same file system as the lake, so rename is atomic."""
    return lake / "_staging"


def write_staged(table: pa.Table, lake: Path, name: str) -> Path:
    folder = staging_dir(lake)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.parquet"
    pq.write_table(
        table,
        path,
        compression="zstd",
        row_group_size=ROW_GROUP_ROWS,
        write_statistics=True,
        store_schema=True,
    )
    return path


def publish_staged(staged: Path, target: Path) -> None:
    """Atomic replace of a partition: readers see the old file or the new one, never half."""
    fault_point("ingest")  # the crash tests' kill: a gated file staged, not yet in the lake
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staged, target)


def read_partition(lake: Path, dataset: str, region: str, week: str) -> pa.Table | None:
    path = partition_path(lake, dataset, region, week)
    return pq.read_table(path) if path.exists() else None
