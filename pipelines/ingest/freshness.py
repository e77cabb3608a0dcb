"""Nothing skipped silently: unrecognised landing files and files missing after their deadline.

Expected = deployed regions (`regions` in orchestration.yaml) × every dataset × every week
present in landing or the load log. A delivery is missing when its deadline (the Monday after
the week at `schedules.delivery_deadline`, Moscow) has passed and no file for it is in landing
or was ever logged. Missing and unrecognised deliveries become load-log rows that dbt's
mart_data_quality reads.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from pipelines.config import load_config
from pipelines.faults import QUARANTINE, fault_point
from pipelines.home import Home
from pipelines.ingest import load_log
from pipelines.ingest.files import UnrecognizedFile, scan_landing
from pipelines.weeks import MOSCOW, week_monday


@dataclass(frozen=True)
class Missing:
    dataset: str
    region: str
    week: str
    deadline: datetime


def delivery_deadline(week: str) -> datetime:
    deadline = load_config().schedules.delivery_deadline
    hours, minutes = (int(part) for part in deadline.time.split(":"))
    day = week_monday(week) + timedelta(days=7 + deadline.weekday - 1)
    return datetime.combine(day, time(hours, minutes), tzinfo=MOSCOW)


def expected_weeks(home: Home) -> set[str]:
    recognised, _ = scan_landing(home.landing)
    weeks = {f.week for f in recognised}
    weeks |= {e.week for e in load_log.read_entries(home.lake) if e.week and e.status != "missing"}
    return weeks


def missing_deliveries(home: Home, now: datetime | None = None) -> list[Missing]:
    config = load_config()
    moment = now or datetime.now(MOSCOW)
    recognised, _ = scan_landing(home.landing)
    arrived = {(f.dataset, f.region, f.week) for f in recognised}
    logged = [e for e in load_log.read_entries(home.lake) if e.status not in ("missing", "unrecognized")]
    arrived |= {(str(e.dataset), str(e.region), str(e.week)) for e in logged}
    missing = []
    for week in sorted(expected_weeks(home)):
        deadline = delivery_deadline(week)
        if deadline > moment:
            continue
        for region in config.regions:
            missing += [
                Missing(d, region, week, deadline)
                for d in config.expected_datasets(region)  # no gis_* from a region without a ГИС
                if (d, region, week) not in arrived
            ]
    return missing


def record_missing(home: Home, missing: list[Missing]) -> int:
    """Log each missing delivery once (again only after it arrived and went missing anew)."""
    states = load_log.current_states(load_log.read_entries(home.lake))
    written = 0
    for item in missing:
        state = states.get((item.dataset, item.region, item.week))
        if state is not None and state.status == "missing":
            continue
        due = f"{item.deadline:%Y-%m-%d %H:%M}"
        load_log.append(
            home.lake,
            load_log.LoadEntry(
                load_id=None, dataset=item.dataset, region=item.region, week=item.week, source_file=None,
                sha256=None, rows=None, status="missing", reason=f"not delivered by {due} Moscow",
                rule="file.missing", checked_at=load_log.now_iso(), report=None,
            ),
        )  # fmt: skip
        written += 1
    return written


def quarantine_unrecognized(home: Home) -> list[UnrecognizedFile]:
    """Move unrecognised files out of landing (kept whole; a symbolic link moves as the link, its
    target untouched) and log them as `unrecognized`. A hidden file stays where it is (it may be
    an upload still being written) and is reported on every run until someone removes it."""
    _, unrecognised = scan_landing(home.landing)
    folder = home.quarantine / "_unrecognized"
    for item in unrecognised:
        # Logged before the move (as a rejection is, load._reject): a kill in between leaves the
        # file in landing/ to be logged and moved by the next run, never moved unlogged.
        load_log.append(
            home.lake,
            load_log.LoadEntry(
                load_id=None, dataset=None, region=None, week=None, source_file=item.path.name, sha256=None,
                rows=None, status="unrecognized", reason=item.reason, rule=item.rule,
                checked_at=load_log.now_iso(), report=None,
            ),
        )  # fmt: skip
        if item.rule != "file.hidden":
            fault_point(QUARANTINE)
            folder.mkdir(parents=True, exist_ok=True)
            shutil.move(str(item.path), folder / item.path.name)  # a link moves as the link
    return unrecognised
