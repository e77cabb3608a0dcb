"""Dagster's SQLite event log with one kept connection per run database (dagster.yaml `event_log_storage`).

Why: dagster's `SqliteEventLogStorage` builds a new engine (NullPool) for every event it stores:
connect, commit with an fsync (`synchronous=FULL`), close, and the last close checkpoints the WAL
into the database (more fsyncs). A downstream run stores ≈ 4 events for each of ≈ 243 dbt nodes,
so most of a run's wall time outside its steps was spent there (docs/performance.md). Here each
run database keeps one pooled connection, and under WAL `PRAGMA synchronous=NORMAL` makes a commit
an append to the WAL without an fsync: a killed process loses nothing committed (the WAL is in the
OS's cache and replayed by the next reader); a power cut can lose the last commits, never corrupt
the file (SQLite's documented WAL guarantee). `FULL` (orchestration.yaml `dagster.
event_log_synchronous`) restores dagster's durability at dagster's cost.

Everything else — schema, shards (one `<run_id>.db` per run plus `index.db`), file layout, the
run and schedule storages — is dagster's own, so a home written by the stock class reads as before.
"""

from __future__ import annotations

import atexit
import os
import weakref
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from dagster import Field, StringSource
from dagster._config.config_schema import UserConfigSchema
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    SqliteEventLogStorage,
    SqliteEventLogStorageWatchdog,
)
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._serdes import ConfigurableClassData
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool, QueuePool
from watchdog.events import FileSystemEvent, PatternMatchingEventHandler
from watchdog.observers import Observer

SYNCHRONOUS_LEVELS = ("NORMAL", "FULL")  # OFF is not offered: an OS crash could corrupt the file
# Run databases kept open per process: a run writes its own shard and index.db; the webserver reads
# many runs' shards, and an unbounded cache would hold three file descriptors per run ever shown.
MAX_OPEN_SHARDS = 8

_LIVE: weakref.WeakSet[PooledSqliteEventLogStorage] = weakref.WeakSet()


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """`SqliteEventLogStorage` with one pooled engine per shard and a configurable `synchronous`."""

    def __init__(
        self, base_dir: str, synchronous: str = "NORMAL", inst_data: ConfigurableClassData | None = None
    ):
        if synchronous not in SYNCHRONOUS_LEVELS:
            raise ValueError(
                f"event log synchronous must be one of {SYNCHRONOUS_LEVELS}, not {synchronous!r}"
            )
        self._synchronous = synchronous
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._engines_pid = os.getpid()
        super().__init__(base_dir, inst_data)
        _LIVE.add(self)

    @classmethod
    def config_type(cls) -> UserConfigSchema:
        return {
            "base_dir": StringSource,
            "synchronous": Field(StringSource, is_required=False, default_value="NORMAL"),
        }

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, Any]
    ) -> PooledSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    @property
    def synchronous(self) -> str:
        return self._synchronous

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        # The base class's lock is kept: it serialises every thread of the process (the webserver's
        # request threads, the file watcher), so one connection per shard is never used by two at once.
        with self._db_lock:
            if shard not in self._initialized_dbs:
                # Creating the shard (tables, WAL, alembic stamp) stays dagster's, on its own
                # throw-away engine, so the kept connection only ever sees an initialised database.
                throwaway = self._new_engine(shard, NullPool)
                self._initdb(throwaway)
                throwaway.dispose()
                self._initialized_dbs.add(shard)
            with self._engine(shard).connect() as conn, conn.begin():
                yield conn

    def _engine(self, shard: str) -> Engine:
        if self._engines_pid != os.getpid():  # a forked child must not use its parent's SQLite handles
            for engine in self._engines.values():
                engine.dispose(close=False)
            self._engines.clear()
            self._engines_pid = os.getpid()
        if shard not in self._engines:
            self._engines[shard] = self._new_engine(shard, QueuePool)
            while len(self._engines) > MAX_OPEN_SHARDS:  # least recently used first
                self._engines.popitem(last=False)[1].dispose()
        self._engines.move_to_end(shard)
        return self._engines[shard]

    def _new_engine(self, shard: str, poolclass: type[NullPool] | type[QueuePool]) -> Engine:
        pool_args = {"pool_size": 1, "max_overflow": 2} if poolclass is QueuePool else {}
        engine = create_engine(
            self.conn_string_for_shard(shard),
            poolclass=poolclass,
            # Threads take turns under _db_lock, so a connection may serve another thread later.
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            **pool_args,
        )
        event.listen(engine, "connect", self._on_connect)
        return engine

    def _on_connect(self, dbapi_connection: Any, _record: Any) -> None:
        """`synchronous` is per connection; NORMAL is only safe under WAL, which dagster's init sets."""
        cursor = dbapi_connection.cursor()
        try:
            (mode,) = cursor.execute("PRAGMA journal_mode").fetchone()
            level = self._synchronous if str(mode).lower() == "wal" else "FULL"
            cursor.execute(f"PRAGMA synchronous={level}")
        finally:
            cursor.close()

    def dispose_engines(self, timeout: float = -1) -> None:
        """Close every kept connection; the last one to close a database checkpoints its WAL."""
        if not self._db_lock.acquire(timeout=timeout):
            return  # a thread is still writing at interpreter exit: SQLite recovers its WAL later
        try:
            engines, self._engines = list(self._engines.values()), OrderedDict()
            for engine in engines:
                engine.dispose(close=self._engines_pid == os.getpid())
        finally:
            self._db_lock.release()

    def dispose(self) -> None:
        super().dispose()
        self.dispose_engines()

    def wipe(self) -> None:
        self.dispose_engines()  # the shard files are deleted: no connection may outlive them
        super().wipe()

    def watch(self, run_id: str, cursor: str | None, callback: Any) -> None:
        # dagster's watcher (the UI's live run log) waits for `<run_id>.db` to change, which with a
        # kept connection happens only at a checkpoint; commits land in `<run_id>.db-wal`.
        observer: Any = self._obs
        if observer is None:
            observer = Observer()
            observer.start()
            self._obs = observer
        handler = WalAwareWatchdog(self, run_id, callback, cursor)
        self._watchers[run_id][callback] = (
            handler,
            observer.schedule(handler, self._base_dir, recursive=True),
        )


class WalAwareWatchdog(SqliteEventLogStorageWatchdog):
    """dagster's run-log watcher, woken by the run database or by its WAL."""

    def __init__(self, storage: SqliteEventLogStorage, run_id: str, callback: Any, cursor: str | None):
        super().__init__(storage, run_id, callback, cursor)
        PatternMatchingEventHandler.__init__(self, patterns=[self._log_path, f"{self._log_path}-wal"])

    def on_modified(self, event: FileSystemEvent) -> None:
        self._process_log()


@atexit.register
def _dispose_at_exit() -> None:
    """Close what a process did not dispose itself, so its WALs are checkpointed on a clean exit."""
    for storage in list(_LIVE):
        storage.dispose_engines(timeout=5)
