"""Landing file names: `{dataset}_{region}_{week}.{ext}` → the partition a file belongs to.

A file that matches no dataset, region or week of the calendar, or has the wrong extension for
its region's format, is *unrecognized* and reported (never skipped silently).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from pipelines.config import load_config, region_codes
from pipelines.weeks import current_week, week_range

_NAME = re.compile(
    r"^(?P<stem>(?P<dataset>[a-z_]+?)_(?P<region>RU-[A-Z]+)_(?P<week>\d{4}-W\d{2}))\.(?P<ext>[a-z]+)$"
)
_HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class LandingFile:
    """A recognised delivery: one file for one dataset × region × week."""

    path: Path
    dataset: str
    region: str
    week: str

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def partition(self) -> tuple[str, str]:
        return self.week, self.region


@dataclass(frozen=True)
class UnrecognizedFile:
    path: Path
    rule: str
    reason: str


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def stat_signature(path: Path) -> str:
    """Size, modification and change times and inode: any write, replacement or re-link of the file
    changes it (ctime cannot be set back), so an equal signature means the bytes last checked."""
    stat = path.stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ctime_ns}:{stat.st_ino}"


def classify(path: Path) -> LandingFile | UnrecognizedFile:
    """Recognise a landing file by its name, or say why it is not recognised."""
    config = load_config()
    match = _NAME.match(path.name)
    if not match:
        return UnrecognizedFile(path, "file.name", "name is not {dataset}_{region}_{week}.{ext}")
    dataset, region, week, ext = match["dataset"], match["region"], match["week"], match["ext"]
    if dataset not in config.datasets:
        return UnrecognizedFile(path, "file.unknown_dataset", f"unknown dataset {dataset!r}")
    if region not in region_codes():
        return UnrecognizedFile(path, "file.unknown_region", f"unknown region {region!r}")
    if week not in calendar_weeks():
        return UnrecognizedFile(
            path, "file.outside_calendar", f"week {week} is outside calendar {config.calendar.first_week}.."
        )
    expected = config.file_format(dataset, region).kind
    if ext != expected:
        return UnrecognizedFile(
            path, "file.extension", f"extension .{ext}: {dataset} of {region} is delivered as .{expected}"
        )
    return LandingFile(path, dataset, region, week)


def calendar_weeks() -> list[str]:
    """The weeks of the partitions: calendar.first_week up to the current week (calendar.last_week
    caps it), not to a far last week the UI would show as thousands of empty partitions."""
    calendar = load_config().calendar
    return week_range(calendar.first_week, min(calendar.last_week, current_week()))


def refusal(path: Path, landing: Path) -> UnrecognizedFile | None:
    """Why an entry of landing/ must not be read at all, judged without opening it: a symbolic
    link leading out of landing/ (it would read whatever it points at), anything that is not a
    regular file (a FIFO blocks the reader for ever), a hidden name (an upload in progress or
    an editor's leftover: reported, never loaded)."""
    if path.name.startswith("."):
        return UnrecognizedFile(
            path, "file.hidden", "hidden file (name starts with '.'): not loaded; rename it or remove it"
        )
    if path.is_symlink():
        target = path.resolve()
        if not target.is_relative_to(landing.resolve()):
            return UnrecognizedFile(
                path, "file.symlink", "a symbolic link leading out of landing/: refused unread"
            )
    if not path.is_file():
        return UnrecognizedFile(path, "file.not_regular", "not a regular file (a folder, FIFO or device)")
    return None


def scan_landing(landing: Path) -> tuple[list[LandingFile], list[UnrecognizedFile]]:
    """Every entry directly in landing/, recognised or not: nothing is skipped silently."""
    recognised: list[LandingFile] = []
    unrecognised: list[UnrecognizedFile] = []
    if not landing.is_dir():
        return recognised, unrecognised
    for path in sorted(landing.iterdir()):
        item = refusal(path, landing) or classify(path)
        (recognised if isinstance(item, LandingFile) else unrecognised).append(item)  # type: ignore[arg-type]
    return recognised, unrecognised


def landing_file_for(landing: Path, dataset: str, region: str, week: str) -> Path:
    """Where the file of a dataset's partition is expected in landing/."""
    ext = load_config().file_format(dataset, region).kind
    return landing / f"{dataset}_{region}_{week}.{ext}"
