"""The gate in a second process, warmed while the command starts (the machine's other core).

Importing Great Expectations costs 3–5 s of every run that gates, on one core, before the first
validation (docs/performance.md, issue 13): `edumon run` and `edumon backfill` fork this worker as
they begin (`start`, from `pipelines.cli.console_main`), and it imports GE while the command
imports the Dagster definitions and plans its runs. The gate's two calls, `gate_week` and
`publish_data_docs`, then run in the worker: the same functions of `pipelines.checks.gate`, one at a
time, the caller waiting for each (so the home's lock, taken by the command, covers them). Nothing
is written to the home before the first call: the warm-up only imports. Without a started worker —
a run launched from the UI, the tests' in-process `main`, `gates.worker_process: false`, a machine
without `fork` — the calls run in the calling process as before.

The worker dies with the command: Linux's PR_SET_PDEATHSIG kills it when the command is killed
(kill -9 included), and the command shuts it down when it ends. A worker that died on its own
(out of memory) is not restarted: the call runs in the calling process.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines.config import ConfigError, load_config

if TYPE_CHECKING:
    from pipelines.checks.gate import GateResult, StagedFile

GATING_COMMANDS = frozenset({"run", "backfill"})  # commands that may gate files (`backfill` re-checks them)
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>

_worker: ProcessPoolExecutor | None = None


def start_for(argv: Sequence[str]) -> None:
    """Start the worker when the command line is a gating command (before its imports: see above)."""
    if not argv[:1] or argv[0] not in GATING_COMMANDS:
        return
    try:
        wanted = load_config().gates.worker_process
    except (ConfigError, OSError):  # the command meets it again and reports it, without a worker
        return
    if wanted:
        start()


def start() -> None:
    """Fork the worker and let it import GE; a no-op when started already or `fork` is missing."""
    global _worker
    if _worker is not None or "fork" not in multiprocessing.get_all_start_methods():
        return
    _worker = ProcessPoolExecutor(
        max_workers=1,
        # fork, not spawn: the command has imported nothing heavy yet and holds no thread, and a
        # forked child shares its __main__ (a spawned `python -c` child is one pyspark exits from).
        mp_context=multiprocessing.get_context("fork"),
        initializer=_die_with_parent,
        initargs=(os.getpid(),),
    )
    _worker.submit(_import_great_expectations)  # the first task forks the process and warms it


def stop() -> None:
    """End the worker with the command. Every gate call has returned by then, so what may still
    run is the warm-up (a command refused at the home's lock): it is terminated, not awaited."""
    global _worker
    if _worker is None:
        return
    processes = list(getattr(_worker, "_processes", {}).values())  # Python 3.14: terminate_workers()
    _worker.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    _worker = None


def started() -> bool:
    return _worker is not None


def gate_week(dataset: str, files: Sequence[StagedFile], docs: Path, run_name: str) -> dict[str, GateResult]:
    """`pipelines.checks.gate.gate_week`, in the worker when one is started."""
    from pipelines.checks import gate

    return _call(gate.gate_week, dataset, list(files), docs, run_name)


def publish_data_docs(docs: Path, validation_ids: list[tuple[str, ...]]) -> None:
    """`pipelines.checks.gate.publish_data_docs`, in the worker when one is started."""
    from pipelines.checks import gate

    _call(gate.publish_data_docs, docs, validation_ids)


def _call(function: Any, *args: Any) -> Any:
    global _worker
    if _worker is not None:
        try:
            return _worker.submit(function, *args).result()
        except BrokenProcessPool:  # the worker died (killed, out of memory): this process gates
            print("gate worker died; the gate runs in the command's process", file=sys.stderr)
            _worker = None
    return function(*args)


def _die_with_parent(parent: int) -> None:
    """The worker is killed when the command dies, however it dies (Linux; elsewhere it sees its
    task queue close and exits)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the command died before the line above ran
        os._exit(1)


def _import_great_expectations() -> None:
    from pipelines.checks import gate

    gate.import_great_expectations()
