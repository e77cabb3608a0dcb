"""The load log `lake/_meta/load_log.jsonl`: one JSON object per load attempt (docs/architecture.md).

The current state of a partition is its last entry whose status is not `unchanged`.
Entries never hold personal data: file names, hashes, counts, rules and row numbers only.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

Status = Literal["loaded", "replaced", "unchanged", "rejected", "missing", "unrecognized"]
ACCEPTED: frozenset[str] = frozenset({"loaded", "replaced"})


@dataclass(frozen=True)
class LoadEntry:
    load_id: str | None
    dataset: str | None
    region: str | None
    week: str | None
    source_file: str | None
    sha256: str | None
    rows: int | None
    status: Status
    reason: str | None
    rule: str | None
    checked_at: str
    report: str | None
    file_stat: str | None = None  # files.stat_signature of the delivered file when it was checked

    @property
    def partition(self) -> tuple[str | None, str | None, str | None]:
        return self.dataset, self.region, self.week


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def log_path(lake: Path) -> Path:
    return lake / "_meta" / "load_log.jsonl"


def append(lake: Path, entry: LoadEntry) -> None:
    path = log_path(lake)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(asdict(entry), ensure_ascii=False, sort_keys=False) + "\n")


def read_entries(lake: Path) -> list[LoadEntry]:
    path = log_path(lake)
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        return [LoadEntry(**json.loads(line)) for line in handle if line.strip()]


def current_states(entries: list[LoadEntry]) -> dict[tuple[Any, Any, Any], LoadEntry]:
    """Per (dataset, region, week): the last entry that changed the partition's state."""
    states: dict[tuple[Any, Any, Any], LoadEntry] = {}
    for entry in entries:
        if entry.status != "unchanged" and entry.dataset is not None:
            states[entry.partition] = entry
    return states


def accepted_state(entries: list[LoadEntry], dataset: str, region: str, week: str) -> LoadEntry | None:
    """The entry of the file currently in the lake for a partition (loaded or replaced)."""
    for entry in reversed(entries):
        if entry.partition == (dataset, region, week) and entry.status in ACCEPTED:
            return entry
    return None


def settled_files(entries: list[LoadEntry]) -> dict[str, str]:
    """Delivered file name → its stat signature when last checked, for files whose check left them
    in the lake (loaded, replaced, unchanged); a later rejection of the name unsettles it."""
    settled: dict[str, str] = {}
    for entry in entries:
        if entry.source_file is None:
            continue
        if entry.status in ACCEPTED or entry.status == "unchanged":
            if entry.file_stat:
                settled[entry.source_file] = entry.file_stat
        else:
            settled.pop(entry.source_file, None)
    return settled
