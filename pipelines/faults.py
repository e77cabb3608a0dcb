"""Fault injection for the crash tests: `EDUMON_FAULT_AT=<stage>[:<n>]` kills the process with SIGKILL
the n-th time (default the first) the run reaches that stage's fault point.

The crash tests (tests/test_crash_recovery.py) start a real `edumon run` with this variable set and
prove that the next plain run finishes what the killed one left. Each stage's point sits where a
kill leaves the most behind: `ingest` with a file staged and gated but not yet in the lake, `dbt`
after a model or test result of the build, `publish` with the new serving file written but not
swapped in, `rating` after one of the edition's files is linked (no manifest yet). One more point
is not a stage of its own: `quarantine` sits between a rejected (or unrecognised) file's load-log
entry and its move out of landing/. Unset (every real run), a point does nothing.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

FAULT_ENV = "EDUMON_FAULT_AT"
STAGES = ("ingest", "dbt", "publish", "rating")
QUARANTINE = "quarantine"  # inside ingest: a rejection recorded, its file not yet moved
_reached = Counter[str]()


def fault_point(stage: str) -> None:
    """Die here, as `kill -9` would, when EDUMON_FAULT_AT names this stage (and this passage)."""
    wanted = os.environ.get(FAULT_ENV)
    if not wanted:
        return
    name, _, nth = wanted.partition(":")
    if name != stage:
        return
    _reached[stage] += 1
    if _reached[stage] == int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
