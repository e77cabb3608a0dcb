"""One home, one writer: every command and Dagster run that writes a home holds its lock file.

Two writers on one home collide (Dagster's SQLite set-up, staged file names, the GE store, DuckDB's
one-writer lock on warehouse.duckdb), so writing is serialised per home with an OS lock
(`filelock`, flock on `{home}/{locking.lock_file}`): the kernel drops it when its holder dies,
even by `kill -9`, so a crash never leaves a home locked. A second writer waits up to
`locking.wait_seconds` (orchestration.yaml) with a message, then gives up with `HomeBusy`, which
the CLI turns into exit code 75 (SPEC.md). The lock is reentrant inside a process: `edumon run`
takes it, and the Dagster runs it executes in-process take it again without waiting.

The lock file also holds its holder's record (pid, command, start). A clean release empties it;
a record found by the next holder means the previous writer died holding the home, and
`pipelines.recovery` reads it (`previous_owner`) to clean up after it. docs/operations.md says
which commands lock and why.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from pipelines.config import home_dir, load_config

EXIT_HOME_BUSY = 75  # EX_TEMPFAIL: try again later (SPEC.md, exit codes)
# CLI commands that write their home (docs/operations.md): the pipeline's files, the Dagster
# instance, the outbox. `generate` locks only when it writes into a home's landing/.
WRITING_COMMANDS = ("run", "backfill", "rating", "purge")


class HomeBusy(RuntimeError):
    """Another edumon command or Dagster run holds the home; nothing was done."""


@dataclass(frozen=True)
class Owner:
    """Who holds (or held) a home: written into the lock file by its holder."""

    pid: int
    command: str
    started_at: str
    host: str

    def describe(self) -> str:
        return f"{self.command}, pid {self.pid}, since {self.started_at}"


_depth: dict[Path, int] = {}
_previous: dict[Path, Owner] = {}
_guard = threading.Lock()


def lock_path(home: Path) -> Path:
    return home / load_config().locking.lock_file


def read_owner(home: Path) -> Owner | None:
    """The record in the lock file: the holder's, or a dead holder's if nobody holds it now."""
    try:
        text = lock_path(home).read_text(encoding="utf-8").strip()
        return Owner(**json.loads(text)) if text else None
    except (OSError, ValueError, TypeError):
        return None  # absent, being rewritten, or not ours: no record


def previous_owner(home: Path) -> Owner | None:
    """The writer that died holding this home, as found when this process took the lock."""
    return _previous.get(lock_path(home.resolve()))


def busy_message(home: Path, command: str, waited: float) -> str:
    owner = read_owner(home)
    who = f" ({owner.describe()})" if owner else ""
    after = f" after waiting {waited:g} s" if waited else ""
    return (
        f"edumon {command}: another edumon command{who} holds the home {home}, so nothing was done{after}; "
        f"run it again when that one ends (or raise locking.wait_seconds in orchestration.yaml to wait)."
    )


@contextmanager
def home_lock(home: Path, command: str, wait: float | None = None) -> Iterator[None]:
    """Hold the home for the block; wait up to `wait` (default locking.wait_seconds), else HomeBusy."""
    home = home.resolve()
    path = lock_path(home)
    with _guard:
        if _depth.get(path):  # this process already holds it (a run inside `edumon run`)
            _depth[path] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _guard:
                _depth[path] -= 1
        return
    lock = _acquire(home, path, command, load_config().locking.wait_seconds if wait is None else wait)
    try:
        found = read_owner(home)
        if found is not None:
            _previous[path] = found
        _write_owner(path, command)
        with _guard:
            _depth[path] = 1
        left = ""  # an empty record: released cleanly
        try:
            yield
        except HomeBusy:
            # Recovery met a process it may not stop: the dead writer's record goes back, so the
            # next holder still cleans up after it.
            left = json.dumps(found.__dict__) if found else ""
            raise
        finally:
            path.write_text(left, encoding="utf-8")
            with _guard:
                _depth.pop(path, None)
    finally:
        lock.release()


def _acquire(home: Path, path: Path, command: str, wait: float) -> FileLock:
    home.mkdir(parents=True, exist_ok=True)
    lock = FileLock(path, thread_local=False)
    try:
        lock.acquire(timeout=0)
        return lock
    except Timeout:
        if wait <= 0:
            raise HomeBusy(busy_message(home, command, 0)) from None
    owner = read_owner(home)
    who = owner.describe() if owner else "another edumon command"
    print(
        f"edumon {command}: the home {home} is in use ({who}); waiting up to {wait:g} s for it",
        file=sys.stderr,
        flush=True,
    )
    try:
        lock.acquire(timeout=wait, poll_interval=0.5)
    except Timeout:
        raise HomeBusy(busy_message(home, command, wait)) from None
    return lock


def _write_owner(path: Path, command: str) -> None:
    record = Owner(
        pid=os.getpid(),
        command=command,
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        host=socket.gethostname(),
    )
    path.write_text(json.dumps(record.__dict__), encoding="utf-8")


def held_elsewhere(home: Path) -> Owner | None:
    """For a sensor or schedule tick: the holder if another process holds the home, else None.

    `Owner` with pid 0 when the holder left no record yet. The probe takes and drops the lock at
    once, without touching the record, so a crashed writer's record stays for its recovery.
    """
    home = home.resolve()
    path = lock_path(home)
    if _depth.get(path) or not path.exists():
        return None
    lock = FileLock(path, thread_local=False)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return read_owner(home) or Owner(0, "another edumon command", "?", "?")
    lock.release()
    return None


def busy_reason(home: Path) -> str | None:
    """A sensor's or schedule's skip message while another process writes the home, else None."""
    owner = held_elsewhere(home)
    if owner is None:
        return None
    who = owner.describe() if owner.pid else owner.command
    return f"the home {home} is being written ({who}); skipped this tick, the next one tries again"


def command_lock(args: argparse.Namespace) -> Any:
    """The lock a CLI command needs: its home's for the writing commands, none for the others."""
    command = getattr(args, "command", None)
    if command in WRITING_COMMANDS:
        return home_lock(home_dir(getattr(args, "home", None)), str(command))
    out = getattr(args, "out", None)
    if command == "generate" and out is not None:
        folder = Path(out).resolve()
        if folder.name == load_config().paths.landing:  # writing into a home's landing/
            return home_lock(folder.parent, "generate")
    return nullcontext()
