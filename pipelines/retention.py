"""`edumon purge [--dry-run] [--home DIR]`: apply the retention rule to landing/ and quarantine/.

These two folders keep files as the regions delivered them, personal data included (ФИО, СНИЛС,
addresses): nothing downstream reads them, but they must not be kept longer than their purpose
needs (docs/operations.md, "Retention"). The rule, from `retention` in orchestration.yaml:
- landing/: a delivered file whose week ended more than `landing_weeks` weeks ago goes, once it
  is settled in the lake (its last check loaded it or found it unchanged, and the partition
  exists). A file that never reached the lake stays: it is still the region's delivery to load.
- quarantine/: a rejected file's folder (the file as delivered, reason.json, validation.json) goes
  when its week ended more than `quarantine_weeks` weeks ago; `_unrecognized/` files go by age
  (modification time). The load log and mart_data_quality keep the record of every rejection.
The lake, the warehouse, the serving file and the outbox hold no personal data and are kept.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path
from typing import Any

from pipelines.config import home_dir, load_config
from pipelines.home import Home
from pipelines.ingest import load_log
from pipelines.ingest.files import scan_landing
from pipelines.ingest.lake import partition_path
from pipelines.weeks import last_complete_week, parse_week, shift_week

UNRECOGNIZED = "_unrecognized"


def _is_week(label: str) -> bool:
    try:
        parse_week(label)
    except ValueError:
        return False
    return True


def expired(home: Home, now_week: str | None = None, now: float | None = None) -> list[Path]:
    """The files and folders the retention rule removes today (nothing is removed here)."""
    rule = load_config().retention
    current = now_week or last_complete_week()
    landing_limit = shift_week(current, -rule.landing_weeks)
    quarantine_limit = shift_week(current, -rule.quarantine_weeks)
    entries = load_log.read_entries(home.lake)
    settled = load_log.settled_files(entries)
    found: list[Path] = []
    recognised, _ = scan_landing(home.landing) if home.landing.is_dir() else ([], [])
    for item in recognised:
        in_lake = partition_path(home.lake, item.dataset, item.region, item.week).exists()
        if item.week < landing_limit and item.name in settled and in_lake:
            found.append(item.path)
    if home.quarantine.is_dir():
        for week_folder in sorted(home.quarantine.iterdir()):
            if _is_week(week_folder.name) and week_folder.name < quarantine_limit:
                found += sorted(p for region in week_folder.iterdir() for p in region.iterdir())
        unrecognized = home.quarantine / UNRECOGNIZED
        oldest = (now or time.time()) - rule.quarantine_weeks * 7 * 86400
        if unrecognized.is_dir():
            found += sorted(p for p in unrecognized.iterdir() if p.stat().st_mtime < oldest)
    return found


def purge(home: Home, dry_run: bool = False) -> list[Path]:
    removed = expired(home)
    if dry_run:
        return removed
    for path in removed:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    for week_folder in home.quarantine.glob("*") if home.quarantine.is_dir() else []:
        for region in [*week_folder.glob("*"), week_folder]:  # emptied folders go too
            if region.is_dir() and not any(region.iterdir()):
                region.rmdir()
    return removed


def _purge(args: argparse.Namespace) -> int:
    home = Home(home_dir(args.home))
    rule = load_config().retention
    removed = purge(home, args.dry_run)
    verb = "would remove" if args.dry_run else "removed"
    for path in removed:
        print(f"  {verb} {path.relative_to(home.root)}")
    print(
        f"{verb} {len(removed)} files or folders (landing: weeks older than {rule.landing_weeks} weeks, "
        f"once in the lake; quarantine: older than {rule.quarantine_weeks} weeks)"
    )
    return 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "purge",
        help="delete landing/ and quarantine/ files past the retention rule (they hold personal data)",
    )
    parser.add_argument("--home", help="home folder (default EDUMON_HOME or ./data)")
    parser.add_argument("--dry-run", action="store_true", help="only list what would be removed")
    parser.set_defaults(handler=_purge)
