"""The home's Dagster event log (pipelines/orchestration/storage.py): kept connections, same durability.

Each writer and reader is its own process (tests/support/event_log_child.py), as `edumon run`,
the webserver and the daemon are: what one commits another must read, also after a SIGKILL.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import yaml
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.runs import SqliteRunStorage
from dagster._core.storage.schedules import SqliteScheduleStorage

from pipelines.config import DEFAULT_CONFIG, PROJECT_ROOT, ConfigError, parse_config
from pipelines.orchestration.instance import prepare_instance
from pipelines.orchestration.storage import PooledSqliteEventLogStorage

CHILD = Path(__file__).parent / "support" / "event_log_child.py"
SYNCHRONOUS = {"FULL": 2, "NORMAL": 1}  # what `PRAGMA synchronous` answers


def _child(*args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(CHILD), *args],
        cwd=PROJECT_ROOT,
        env=env or dict(os.environ),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(CHILD), *args],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def _config_with(tmp_path: Path, synchronous: str) -> dict[str, str]:
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    raw.setdefault("dagster", {})["event_log_synchronous"] = synchronous
    config = tmp_path / "orchestration.yaml"
    config.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return {**os.environ, "EDUMON_CONFIG": str(config)}


def test_the_instance_pools_the_event_log_and_keeps_dagsters_other_storages(tmp_path: Path) -> None:
    """Only the event log is ours, in dagster's own folder; runs and schedules stay dagster's SQLite.
    Resolve: DAGSTER_YAML in pipelines/orchestration/instance.py."""
    instance = prepare_instance(tmp_path / "home")
    try:
        storage = instance.event_log_storage
        assert isinstance(storage, PooledSqliteEventLogStorage)
        assert Path(storage._base_dir) == (tmp_path / "home" / "dagster" / "history" / "runs").resolve()
        assert type(instance.run_storage) is SqliteRunStorage
        assert type(instance.schedule_storage) is SqliteScheduleStorage
        assert storage.synchronous == "NORMAL"
    finally:
        instance.dispose()


def test_a_runs_events_are_read_back_by_a_new_process(tmp_path: Path) -> None:
    """A run's process exits without disposing anything; another process reads every event, the
    materializations (index.db) and the run's status (runs.db). Resolve: PooledSqliteEventLogStorage."""
    home = tmp_path / "home"
    written = _child("run", str(home))
    assert written["storage"] == "PooledSqliteEventLogStorage"
    assert written["synchronous"] == SYNCHRONOUS["NORMAL"]
    read = _child("read", str(home), written["run_id"])
    assert read["events"] == written["events"] > 10
    assert {"RUN_SUCCESS", "ASSET_MATERIALIZATION", "STEP_SUCCESS"} <= set(read["types"])
    assert read["status"] == "SUCCESS"
    assert read["materialized"] == ["first", "second"]
    assert not list((home / "dagster" / "history" / "runs").glob("*.db-wal")), "exit left a WAL unmerged"


@pytest.mark.parametrize("level", ["FULL", "NORMAL"])
def test_the_configured_synchronous_level_is_applied(tmp_path: Path, level: str) -> None:
    """orchestration.yaml dagster.event_log_synchronous reaches dagster.yaml and every connection."""
    written = _child("run", str(tmp_path / "home"), env=_config_with(tmp_path, level))
    assert written["synchronous"] == SYNCHRONOUS[level]
    dagster_yaml = yaml.safe_load((tmp_path / "home" / "dagster" / "dagster.yaml").read_text())
    assert dagster_yaml["event_log_storage"]["config"]["synchronous"] == level


def test_the_synchronous_level_is_validated() -> None:
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    raw["dagster"] = {"event_log_synchronous": "OFF"}
    with pytest.raises(ConfigError, match=r"dagster\.event_log_synchronous"):
        parse_config(raw)
    with pytest.raises(ValueError, match="synchronous"):
        PooledSqliteEventLogStorage(str(Path("/nonexistent")), synchronous="OFF")


def test_a_run_killed_mid_way_leaves_a_readable_event_log(tmp_path: Path) -> None:
    """SIGKILL while a run stores events: its WAL is left behind, and a new process reads every
    event the run had stored, the run still STARTED. Resolve: storage.py (synchronous, WAL)."""
    home = tmp_path / "home"
    writer = _start("chatter", str(home))
    assert writer.stdout is not None
    last = -1
    for line in writer.stdout:
        last = int(line.split()[1])
        if last >= 40:
            break
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(timeout=30)
    shards = home / "dagster" / "history" / "runs"
    (run_db,) = [p for p in shards.glob("*.db") if p.name != "index.db"]
    assert run_db.with_name(run_db.name + "-wal").exists(), "the kill should have left the WAL to recover"
    read = _child("read", str(home), run_db.stem)
    ticks = [int(m.split()[1]) for m in read["messages"]]
    assert ticks[: last + 1] == list(range(last + 1)), "an event stored before the kill is missing"
    assert read["status"] == "STARTED"
    with sqlite3.connect(run_db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_watcher_sees_events_another_process_commits(tmp_path: Path) -> None:
    """The UI's live run log (`watch`) is woken by commits to the run's WAL while the writer still
    holds its connection open, not only when the writer exits. Resolve: WalAwareWatchdog."""
    home = tmp_path / "home"
    instance = prepare_instance(home)
    run_id = str(uuid.uuid4())
    seen: list[str] = []
    all_seen = threading.Event()

    def callback(entry: EventLogEntry, _cursor: str) -> None:
        seen.append(entry.user_message)
        if len(seen) == 20:
            all_seen.set()

    instance.event_log_storage.store_event(_entry(run_id, "created"))  # the shard exists to watch
    instance.event_log_storage.watch(run_id, None, callback)
    writer = _start("append", str(home), run_id, "19")
    try:
        assert all_seen.wait(timeout=120), f"the watcher saw {len(seen)} of 20 events"
        assert writer.poll() is None, "the writer should still hold its connection"
    finally:
        writer.kill()
        writer.wait(timeout=30)
        instance.dispose()
    assert seen == ["created", *[f"event {i}" for i in range(19)]]


def test_an_old_homes_history_reads_after_the_switch(tmp_path: Path) -> None:
    """A home whose runs dagster's stock storage wrote: prepare_instance rewrites dagster.yaml and
    the old run, its events and materializations read as before. Resolve: instance.dagster_yaml."""
    dagster_home = tmp_path / "home" / "dagster"
    dagster_home.mkdir(parents=True)
    (dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")

    @dg.asset
    def legacy() -> int:
        return 1

    with dg.DagsterInstance.from_config(str(dagster_home)) as old:
        assert type(old.event_log_storage).__name__ == "SqliteEventLogStorage"
        old_run = dg.materialize([legacy], instance=old)
        old_count = len(old.all_logs(old_run.run_id))
    instance = prepare_instance(tmp_path / "home")
    try:
        assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)
        assert len(instance.all_logs(old_run.run_id)) == old_count
        assert instance.get_latest_materialization_event(dg.AssetKey("legacy")) is not None
        assert dg.materialize([legacy], instance=instance).success
        assert len(instance.get_runs()) == 2
    finally:
        instance.dispose()


def test_dispose_closes_the_kept_connections(tmp_path: Path) -> None:
    """dispose() checkpoints and closes every kept connection: no WAL is left, the file is whole."""
    storage = PooledSqliteEventLogStorage(str(tmp_path))
    run_id = str(uuid.uuid4())
    for index in range(5):
        storage.store_event(_entry(run_id, f"event {index}"))
    assert (tmp_path / f"{run_id}.db-wal").exists(), "the kept connection holds the WAL open"
    storage.dispose()
    assert not (tmp_path / f"{run_id}.db-wal").exists()
    assert storage._engines == {}


def _entry(run_id: str, message: str) -> EventLogEntry:
    return EventLogEntry(
        error_info=None, level=20, user_message=message, run_id=run_id, timestamp=time.time()
    )
