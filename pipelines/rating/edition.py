"""Issue the week's rating edition into outbox/: versioned, immutable, with a manifest.

`rating_{week}_v{n}.xlsx|.csv|.json` and `rating_{week}_v{n}.manifest.json`. The files are written
into a temporary folder inside outbox/ and then hard-linked to their final names: a link fails if
the name exists, so no edition file is ever replaced, not even by two runs racing each other. The
manifest is linked last, so a manifest means a complete edition. A re-issue takes the next
version and records its reason; without one, an existing edition stops the issue with a message.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from pipelines.config import Config, home_path, load_config
from pipelines.faults import fault_point
from pipelines.rating.flat import csv_table, edition_json, write_csv, write_json
from pipelines.rating.marts import RatingData, read_rating_data
from pipelines.rating.regional import issue_regional_editions
from pipelines.rating.tables import EditionInfo, edition_tables, municipal_indicators
from pipelines.rating.workbook import collector_paused, write_workbook
from pipelines.weeks import parse_week, week_monday, week_sunday

DATA_EXTENSIONS = ("xlsx", "csv", "json")
MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
}
_EDITION_FILE = re.compile(r"^rating_(?P<week>\d{4}-W\d{2})_v(?P<version>\d+)\.")


class EditionExistsError(RuntimeError):
    """The week already has an edition and this is not a re-issue."""


class ReissueReasonError(ValueError):
    """A re-issue must say why (the ministry reads the reason in the manifest)."""


@dataclass(frozen=True)
class Edition:
    outbox: Path
    week: str
    version: int

    @property
    def name(self) -> str:
        return f"rating_{self.week}_v{self.version}"

    def data_file(self, extension: str) -> Path:
        return self.outbox / f"{self.name}.{extension}"

    @property
    def manifest(self) -> Path:
        return self.outbox / f"{self.name}.manifest.json"

    def read_manifest(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.manifest.read_text(encoding="utf-8"))
        return result


def generator_version() -> str:
    try:
        return f"edumon {version('edumon')}"
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "edumon (not installed)"


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def existing_versions(outbox: Path, week: str) -> list[int]:
    """Every version of the week with any file in outbox/, complete or not: none may be reused."""
    if not outbox.is_dir():
        return []
    versions = set()
    for path in outbox.iterdir():
        match = _EDITION_FILE.match(path.name)
        if match and match["week"] == week:
            versions.add(int(match["version"]))
    return sorted(versions)


def latest_edition(outbox: Path, week: str) -> Edition | None:
    versions = existing_versions(outbox, week)
    return Edition(outbox, week, versions[-1]) if versions else None


def exists_message(edition: Edition, serving_sha256: str | None = None) -> str:
    text = f"the rating of {edition.week} was already issued as {edition.name} in {edition.outbox}"
    if serving_sha256 and edition.manifest.is_file():
        issued_from = edition.read_manifest()["serving_snapshot"]["sha256"]
        same = issued_from == serving_sha256
        text += "; it was made from " + ("this same" if same else "an older") + " serving snapshot"
    return (
        text
        + "; editions are never overwritten: re-issue with --reissue --reason TEXT to write the next version"
    )


def _manifest(edition: Edition, info: EditionInfo, folder: Path, serving: Path) -> dict[str, Any]:
    return {
        "edition": edition.name,
        "week": edition.week,
        "week_start": week_monday(edition.week).isoformat(),
        "week_end": week_sunday(edition.week).isoformat(),
        "version": edition.version,
        "reissue_of": f"rating_{edition.week}_v{edition.version - 1}" if edition.version > 1 else None,
        "reason": info.reason,
        "serving_snapshot": {"file": serving.name, "sha256": info.serving_sha256},
        "generator": generator_version(),
        "issued_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "files": [
            {
                "name": edition.data_file(ext).name,
                "sha256": sha256_of(folder / edition.data_file(ext).name),
                "bytes": (folder / edition.data_file(ext).name).stat().st_size,
                "media_type": MEDIA_TYPES[ext],
            }
            for ext in DATA_EXTENSIONS
        ],
    }


def _write_files(
    folder: Path, edition: Edition, info: EditionInfo, config: Config, data: RatingData, serving: Path
) -> None:
    write_workbook(folder / edition.data_file("xlsx").name, edition_tables(config, data, info), info)
    write_csv(folder / edition.data_file("csv").name, config, csv_table(config, data, info))
    write_json(folder / edition.data_file("json").name, edition_json(config, data, info))
    manifest = _manifest(edition, info, folder, serving)
    write_json(folder / edition.manifest.name, manifest)


def _publish(folder: Path, edition: Edition) -> None:
    """Link every file to its final name, the manifest last; a name that exists stops the issue."""
    finals = [edition.data_file(ext) for ext in DATA_EXTENSIONS] + [edition.manifest]
    linked: list[Path] = []
    try:
        for final in finals:
            os.link(folder / final.name, final)
            linked.append(final)
            fault_point("rating")  # the crash tests' kill: an edition without its manifest
    except FileExistsError:
        for path in linked:  # only the names this call created
            path.unlink()
        raise EditionExistsError(
            f"{edition.name} appeared while it was being written; nothing replaced"
        ) from None


def issue_edition(
    week: str,
    home: str | Path | None = None,
    reissue: bool = False,
    reason: str | None = None,
) -> Edition:
    """Write the week's edition from the serving snapshot; return it."""
    parse_week(week)
    config = load_config()
    outbox = home_path("outbox", home)
    serving = home_path("serving", home)
    reason = (reason or "").strip() or None
    if reissue and not reason:
        raise ReissueReasonError("a re-issue needs --reason TEXT: the manifest tells the ministry why")
    previous = latest_edition(outbox, week)
    if previous and not reissue:
        raise EditionExistsError(exists_message(previous))
    with collector_paused():  # the week's data lives through the issue: not re-walked per workbook
        data = read_rating_data(serving, week, municipal_indicators(config))
        edition = Edition(outbox, week, previous.version + 1 if previous else 1)
        info = EditionInfo(week, edition.version, data.serving_sha256, reason if reissue else None)
        outbox.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix=f".{edition.name}.", dir=outbox))
        try:
            _write_files(folder, edition, info, config, data, serving)
            _publish(folder, edition)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        # Each region's own edition of the same version (p.11: «и субъектам Российской Федерации»).
        issue_regional_editions(config, data, info, outbox, serving, edition.name)
    return edition
