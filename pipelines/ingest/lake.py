"""The lake: `lake/{dataset}/region={region}/week={week}/data.parquet`, written atomically.

Parquet is written deterministically (no timestamps, fixed options, one row group per 1 M rows),
so the same input gives the same bytes.

The lake is a folder of the home, or a filesystem URL (pipelines.home.lake_root) (`paths.lake: s3://bucket/edumon/lake`,
docs/scaling.md): then it is a `upath.UPath` over fsspec, which has the pathlib calls the ingest
makes (`/`, exists, glob, open, mkdir, unlink, stat), and the Parquet and the atomic publish below
go through its fsspec filesystem.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, cast

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.faults import fault_point

ROW_GROUP_ROWS = 1_000_000


def _on_fsspec(path: Path) -> tuple[Any, str] | None:
    """(fsspec filesystem, its path) of a lake path on a URL lake; None for a local one."""
    if isinstance(path, Path):
        return None
    return cast(Any, path).fs, cast(Any, path).path


def partition_path(lake: Path, dataset: str, region: str, week: str) -> Path:
    return lake / dataset / f"region={region}" / f"week={week}" / "data.parquet"


def staging_dir(lake: Path) -> Path:
    """Staged Parquet waits here for the gate; same file system as the lake, so rename is atomic."""
    return lake / "_staging"


def write_staged(table: pa.Table, lake: Path, name: str) -> Path:
    folder = staging_dir(lake)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.parquet"
    remote = _on_fsspec(path)
    pq.write_table(
        table,
        remote[1] if remote else path,
        filesystem=remote[0] if remote else None,
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
    replace_file(staged, target)


def replace_file(source: Path, target: Path) -> None:
    """Replace `target` by `source` at once: a rename in a folder; on a URL lake fsspec's move
    (object stores have no rename: a copy, whose object appears whole, then the source goes)."""
    remote, origin = _on_fsspec(target), _on_fsspec(source)
    if remote is None or origin is None:
        os.replace(source, target)
    else:
        remote[0].mv(origin[1], remote[1])


def read_partition(lake: Path, dataset: str, region: str, week: str) -> pa.Table | None:
    path = partition_path(lake, dataset, region, week)
    return read_parquet(path) if path.exists() else None


def read_parquet(path: Path) -> pa.Table:
    """A Parquet file of the lake (or its staging folder), local or on a URL lake."""
    remote = _on_fsspec(path)
    return pq.read_table(remote[1], filesystem=remote[0]) if remote else pq.read_table(path)
