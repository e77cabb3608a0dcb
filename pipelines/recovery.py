"""A crashed run is finished by the next one (docs/operations.md, "After a crash").

A writer killed mid-run (`kill -9`, the OOM killer, a reboot) leaves three kinds of trace, and the
next writer of the home (it holds the home lock, so no other writer is alive) deals with each:

- files half made: the serving snapshot's temporary file, staged Parquet waiting for its gate,
  DuckDB spill files, a load-log line cut short, a temporary or manifest-less rating edition, a
  Great Expectations result cut short. They are removed (each step says what it removed);
  warehouse.duckdb's WAL holds committed work, so it is checkpointed into the file, not deleted.
- Dagster runs left STARTED by a process that no longer exists: reported failed, so the UI and
  `edumon status` stop showing them as running.
- loads that reached the lake but never the published marts: the publish marker
  (`lake/_meta/published.json`, replaced atomically after each downstream run that published and
  rated) records, per region-week, how many load-log entries the published marts reflect; a
  region-week with a later entry that changes its state is rebuilt by the next plain `edumon run`.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import time
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from pipelines.config import load_config
from pipelines.home import Home
from pipelines.home_lock import HomeBusy, previous_owner
from pipelines.ingest import load_log
from pipelines.ingest.lake import replace_file, staging_dir

log = logging.getLogger(__name__)

MARKER_NAME = "published.json"
# A run in these states is being executed by some process; if that process is gone, it never ends.
_RUNNING = ("STARTING", "STARTED", "CANCELING")


def recover(home: Home, instance: Any | None = None) -> list[str]:
    """Clean what a dead writer left and fail its Dagster runs; log and return what was done (the
    run's report shows it).

    Call it holding the home lock (the CLI's writing commands do), before anything else writes.
    """
    notes: list[str] = []
    crashed = previous_owner(home.root)
    if crashed is not None:
        notes.append(f"the previous writer of this home ({crashed.describe()}) ended without releasing it")
    notes += clean_leftovers(home, crashed.started_at if crashed else None)
    if instance is not None:
        notes += fail_abandoned_runs(instance)
    for note in notes:
        log.info("recovery: %s", note)
    return notes


# --- files half made ----------------------------------------------------------------------------


def clean_leftovers(home: Home, crashed_since: str | None = None) -> list[str]:
    from pipelines.publish.serving import temporary_path

    paths = load_config().paths
    notes: list[str] = []
    serving_tmp = temporary_path(home.root / paths.serving)
    for leftover in (serving_tmp, serving_tmp.with_name(serving_tmp.name + ".wal")):
        if leftover.is_file():
            leftover.unlink()
            notes.append(f"removed {leftover.name} (a snapshot that was never swapped in)")
    notes += _remove_files(staging_dir(home.lake).glob("*"), "staged file never gated into the lake")
    spill = home.root / load_config().warehouse.temp_directory
    notes += _remove_files(spill.glob("*") if spill.is_dir() else [], "DuckDB spill file")
    notes += _repair_load_log(home)
    notes += _clean_outbox(home.root / paths.outbox)
    notes += _checkpoint_warehouse(home.root / paths.warehouse, crashed_since is not None)
    if crashed_since is not None:
        notes += _remove_torn_validations(home.docs, crashed_since)
    return notes


def _remove_files(paths: Iterable[Path], what: str) -> list[str]:
    notes = []
    for path in sorted(paths):
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
        notes.append(f"removed {path.name} ({what})")
    return notes


def _repair_load_log(home: Home) -> list[str]:
    """Cut a last line the killed writer left unfinished (the next append would glue onto it)."""
    path = load_log.log_path(home.lake)
    if not path.is_file() or path.stat().st_size == 0:
        return []
    with path.open("rb+") as handle:
        handle.seek(-1, os.SEEK_END)
        if handle.read(1) == b"\n":
            return []
        handle.seek(0)
        content = handle.read()
        handle.truncate(content.rfind(b"\n") + 1)
    return [f"cut an unfinished last line from {path.name}"]


def _clean_outbox(outbox: Path) -> list[str]:
    """Temporary edition folders, and editions without a manifest (linked last: never complete)."""
    from pipelines.rating.edition import DATA_EXTENSIONS, Edition, existing_versions

    if not outbox.is_dir():
        return []
    notes = _remove_files(outbox.glob(".rating_*"), "an edition being written")
    weeks = {p.name.split("_")[1] for p in outbox.glob("rating_*_v*.*") if p.name.count("_") >= 2}
    for week in sorted(weeks):
        for version in existing_versions(outbox, week):
            edition = Edition(outbox, week, version)
            if edition.manifest.is_file():
                continue
            parts = [edition.data_file(ext) for ext in DATA_EXTENSIONS if edition.data_file(ext).is_file()]
            notes += _remove_files(parts, f"part of {edition.name}, never completed by its manifest")
    return notes


def _checkpoint_warehouse(warehouse: Path, crashed: bool) -> list[str]:
    """Stop the dbt a killed run left behind, then fold its WAL into the warehouse.

    dagster-dbt runs dbt as a child process, and a child outlives a parent killed by SIGKILL: it
    would go on writing warehouse.duckdb beside the next run's dbt. The WAL holds committed work,
    so it is checkpointed into the file, not deleted. Opening the warehouse also proves nobody else
    holds it; a holder that is not a dead run's helper is named, and the run stops (exit 75).
    """
    grace = load_config().locking.orphan_grace_seconds
    stopped = _stop_orphaned_dbt(warehouse)
    notes = [f"stopped dbt (pid {pid}) left running by the killed run" for pid in stopped]
    wal = warehouse.with_name(warehouse.name + ".wal")
    if not warehouse.is_file() or not (crashed or stopped or wal.is_file()):
        return notes
    import duckdb

    had_wal = wal.is_file()
    deadline = time.monotonic() + 2 * grace
    while True:
        try:
            with duckdb.connect(str(warehouse)) as con:
                con.execute("checkpoint")
            return notes + ([f"checkpointed {wal.name} into {warehouse.name}"] if had_wal else [])
        except duckdb.IOException as error:  # another process has the warehouse open
            holder = _lock_holder(str(error))
            if holder is not None and _started_for(holder, warehouse):
                _stop(holder, grace)  # a helper the dead run started
                notes.append(f"stopped pid {holder} (started by the killed run, it held {warehouse.name})")
            elif holder is not None and not _alive(holder) and time.monotonic() < deadline:
                time.sleep(0.5)  # it is exiting: its lock goes with it
            else:
                raise HomeBusy(
                    f"edumon: {warehouse} is open in another process ({holder or error}); "
                    "close it and run again."
                ) from None


def _lock_holder(message: str) -> int | None:
    match = re.search(r"PID (\d+)", message)
    return int(match[1]) if match else None


def _started_for(pid: int, warehouse: Path) -> bool:
    """The process's environment names this warehouse: edumon started it (dbt or a helper of it)."""
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return False
    return f"EDUMON_WAREHOUSE={warehouse}".encode() in environ


def _stop_orphaned_dbt(warehouse: Path) -> list[int]:
    """dbt processes building this home's warehouse (their environment names it), stopped.

    The caller holds the home lock, and every edumon process takes it before starting dbt, so
    such a dbt belongs to a writer that is gone. Linux's /proc only; elsewhere nothing is found.
    """
    orphans = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            command = (proc / "cmdline").read_bytes()
        except OSError:
            continue  # gone
        pid = int(proc.name)
        if pid != os.getpid() and b"dbt" in command and _started_for(pid, warehouse):
            orphans.append(pid)
    grace = load_config().locking.orphan_grace_seconds
    for pid in orphans:
        _stop(pid, grace)
    return orphans


def _stop(pid: int, grace: float) -> None:
    """SIGTERM (dbt cancels its queries and closes DuckDB), SIGKILL after `grace` seconds."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if not _alive(pid):
                return
            time.sleep(0.2)


def _remove_torn_validations(docs: Path, since: str) -> list[str]:
    """Great Expectations results written since the crashed writer started that are not whole JSON
    (the Data Docs index reads every listed result and would fail on one cut short)."""
    store = docs / "gx" / "uncommitted" / "validations"
    if not store.is_dir():
        return []
    started = datetime.fromisoformat(since).timestamp()
    torn = []
    for path in store.rglob("*.json"):
        if path.stat().st_mtime < started:
            continue
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            torn.append(path)
    return _remove_files(torn, "a Great Expectations result cut short")


# --- Dagster runs of a dead process -------------------------------------------------------------


def fail_abandoned_runs(instance: Any) -> list[str]:
    """Report failed the runs still marked running whose process is gone."""
    import dagster as dg

    running = instance.get_run_records(
        dg.RunsFilter(statuses=[dg.DagsterRunStatus[name] for name in _RUNNING])
    )
    notes = []
    for record in running:
        run = record.dagster_run
        pid = _run_pid(instance, run.run_id)
        if pid is None and run.status != dg.DagsterRunStatus.STARTED:
            continue  # a launcher still starting it (under `edumon ui`): not ours to judge
        if pid is not None and pid != os.getpid() and _alive(pid):
            continue
        where = f"pid {pid}" if pid is not None else "its process"
        instance.report_run_failed(
            run, message=f"{where} ended without finishing this run (killed?); marked failed by edumon"
        )
        left = run.status.value
        notes.append(f"Dagster run {run.run_id[:8]} ({run.job_name}) was left {left}: marked failed")
    return notes


def _run_pid(instance: Any, run_id: str) -> int | None:
    """The pid the run's engine events name (in-process executor, or a launcher's run worker)."""
    import dagster as dg

    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT):
        data = entry.dagster_event.engine_event_data if entry.dagster_event else None
        value = data.metadata.get("pid") if data and data.metadata else None
        if value is not None:
            return int(value.value)
    return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    try:  # a zombie answers signal 0 but runs nothing
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


# --- the publish marker -------------------------------------------------------------------------


def marker_path(home: Home) -> Path:
    return home.lake / "_meta" / MARKER_NAME


def _read_marker(home: Home) -> dict[str, int]:
    path = marker_path(home)
    if not path.is_file():
        return {}
    published: dict[str, int] = json.loads(path.read_text(encoding="utf-8"))["published"]
    return published


def _key(week: str, region: str) -> str:
    return f"{week}|{region}"


def unpublished_partitions(home: Home) -> set[tuple[str, str]]:
    """Region-weeks whose load-log state changed after the marts last published them."""
    published = _read_marker(home)
    entries = load_log.read_entries(home.lake)
    pending = set()
    for index, entry in enumerate(entries):
        for week, region in load_log.changed_partitions([entry]):
            if index >= published.get(_key(week, region), 0):
                pending.add((week, region))
    return pending


def load_log_length(home: Home) -> int:
    """How many load-log entries there are now: what a downstream run about to start will reflect."""
    return len(load_log.read_entries(home.lake))


def record_published(
    home: Home, partitions: set[tuple[str, str]], region: str | None, reflected: int
) -> None:
    """After a downstream run that published and rated: its weeks (in a region run, that region's
    partitions of them) reflect the load log's first `reflected` entries. Replaced atomically."""
    weeks = {week for week, _ in partitions}
    published = _read_marker(home)
    covered = set(partitions) | {
        (str(e.week), str(e.region))
        for e in load_log.read_entries(home.lake)[:reflected]
        if e.week in weeks and e.region and (region is None or e.region == region)
    }
    for week, part_region in covered:
        published[_key(week, part_region)] = max(reflected, published.get(_key(week, part_region), 0))
    path = marker_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    content = json.dumps({"published": dict(sorted(published.items()))}, indent=1)
    temporary.write_text(content, encoding="utf-8")
    replace_file(temporary, path)  # the marker lives in the lake, which may be a filesystem URL
