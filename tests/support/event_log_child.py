"""A separate process on a home's Dagster instance, for tests/test_event_log_storage.py.

    python tests/support/event_log_child.py run HOME            a tiny two-asset run; prints JSON
    python tests/support/event_log_child.py chatter HOME        a run logging «tick N» until killed
    python tests/support/event_log_child.py append HOME RUN N   N plain events into RUN's log, then waits
    python tests/support/event_log_child.py read HOME RUN       what a new process reads back; prints JSON

Every line it prints is flushed after the event it names was stored (in-process execution stores
each event before the logging call returns), so a parent that kills it knows what was committed.
"""

# No `from __future__ import annotations`: dagster reads the op's `context` annotation at definition.
import json
import logging
import sys
import time
from pathlib import Path

import dagster as dg
import sqlalchemy as sa
from dagster._core.events.log import EventLogEntry

from pipelines.orchestration.instance import prepare_instance


@dg.asset
def first() -> int:
    return 1


@dg.asset
def second(first: int) -> int:
    return first + 1


@dg.op
def chatty(context: dg.OpExecutionContext) -> None:
    for tick in range(100_000):
        context.log.info(f"tick {tick}")
        print(f"tick {tick}", flush=True)
        time.sleep(0.005)


@dg.job
def chatty_job() -> None:
    chatty()


def _synchronous(instance: dg.DagsterInstance, run_id: str) -> int:
    with instance.event_log_storage.run_connection(run_id) as conn:  # type: ignore[attr-defined]
        return int(conn.execute(sa.text("PRAGMA synchronous")).scalar_one())


def run(home: Path) -> None:
    instance = prepare_instance(home)
    result = dg.materialize([first, second], instance=instance)
    logs = instance.all_logs(result.run_id)
    report = {
        "run_id": result.run_id,
        "events": len(logs),
        "storage": type(instance.event_log_storage).__name__,
        "synchronous": _synchronous(instance, result.run_id),
    }
    print(json.dumps(report), flush=True)  # no dispose: the process exits as `edumon` would


def chatter(home: Path) -> None:
    chatty_job.execute_in_process(instance=prepare_instance(home))


def append(home: Path, run_id: str, count: int) -> None:
    storage = prepare_instance(home).event_log_storage
    for index in range(count):
        entry = EventLogEntry(
            error_info=None,
            level=logging.INFO,
            user_message=f"event {index}",
            run_id=run_id,
            timestamp=time.time(),
        )
        storage.store_event(entry)
        time.sleep(0.02)
    print("stored", flush=True)
    time.sleep(600)  # the connection stays open, as a long run's would: the parent kills us


def read(home: Path, run_id: str) -> None:
    instance = prepare_instance(home)
    logs = instance.all_logs(run_id)
    record = instance.get_run_record_by_id(run_id)
    materialized = [
        key.to_user_string()
        for key in (dg.AssetKey("first"), dg.AssetKey("second"))
        if instance.get_latest_materialization_event(key) is not None
    ]
    report = {
        "events": len(logs),
        "types": sorted({e.dagster_event.event_type.name for e in logs if e.dagster_event}),
        "messages": [e.user_message for e in logs if e.user_message.startswith(("tick ", "event "))],
        "status": record.dagster_run.status.value if record else None,
        "materialized": materialized,
        "runs": [r.run_id for r in instance.get_runs()],
    }
    instance.dispose()
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    command, home_arg, *rest = sys.argv[1:]
    home_path = Path(home_arg)
    if command == "run":
        run(home_path)
    elif command == "chatter":
        chatter(home_path)
    elif command == "append":
        append(home_path, rest[0], int(rest[1]))
    elif command == "read":
        read(home_path, rest[0])
    else:
        raise SystemExit(f"unknown command {command}")
