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


# Per log file: (inode, bytes parsed, entries). The log only grows, and every load reads it, so
# a process parses only what was appended since its last read (a year of national weeks is
# ≈ 40,000 entries: re-parsing them for each of a week's 801 files would grow with the history).
_parsed: dict[Path, tuple[int, int, list[LoadEntry]]] = {}


def read_entries(lake: Path) -> list[LoadEntry]:
    path = log_path(lake)
    try:
        stat = path.stat()
    except FileNotFoundError:
        _parsed.pop(path, None)
        return []
    inode, offset, entries = _parsed.get(path, (stat.st_ino, 0, []))
    if inode != stat.st_ino or stat.st_size < offset:  # replaced or truncated: start over
        offset, entries = 0, []
    if stat.st_size > offset:
        with path.open("rb") as handle:
            handle.seek(offset)
            appended = handle.read()
        complete = appended[: appended.rfind(b"\n") + 1]  # a line still being written waits
        lines = complete.decode("utf-8").splitlines()
        entries = entries + [LoadEntry(**json.loads(line)) for line in lines if line.strip()]
        offset += len(complete)
    _parsed[path] = (stat.st_ino, offset, entries)
    return list(entries)


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


CHANGING_STATUSES = ("loaded", "replaced", "rejected", "missing")


def changed_partitions(entries: list[LoadEntry]) -> set[tuple[str, str]]:
    """Region-weeks whose state these entries changed: only these need the marts rebuilt."""
    return {
        (entry.week, entry.region)
        for entry in entries
        if entry.status in CHANGING_STATUSES and entry.week and entry.region
    }
