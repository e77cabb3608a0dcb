"""The gate's worker process (pipelines/checks/gate_worker.py): same verdicts, GE kept out of the
command's process, and no worker outliving a killed command.

Each scenario runs in its own Python process (a script file), as `edumon run` does: the worker is
forked by a command that has imported nothing heavy yet, never by the test process (pytest's
threads and imports are not a command's).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_gate_week import _inn, _registry, _write_requests

from pipelines.home import Home
from pipelines.ingest.load import load_files

TESTS = Path(__file__).parent

# One week of cc_requests: RU-KB clean, RU-DA with another region's code in row 2 and an ИНН foreign
# to its registry in row 3. Prints each file's status and findings, and whether GE got imported here.
LOAD = """
import json, sys
sys.path.insert(0, {tests!r})
from pipelines.checks import gate_worker
if {worker!r}:
    gate_worker.start()
from pathlib import Path
from test_gate_week import _inn, _registry, _write_requests
from pipelines.home import Home
from pipelines.ingest.load import load_files
home = Home(Path({home!r}))
kb, da = [_inn("07", n) for n in range(1, 4)], [_inn("05", n) for n in range(1, 4)]
_registry(home, "RU-KB", kb)
_registry(home, "RU-DA", da[:2])
files = [
    _write_requests(home, "RU-KB", kb),
    _write_requests(home, "RU-DA", da, regions=["RU-DA", "RU-KB", "RU-DA"]),
]
outcomes = load_files(files, home)
print(json.dumps({{
    "worker": gate_worker.started(),
    "ge_imported_here": "great_expectations" in sys.modules,
    "outcomes": [
        [o.status, [[f.rule, f.column, f.rows, f.count] for f in o.findings], bool(o.report),
         o.validation_id is not None]
        for o in outcomes
    ],
}}))
gate_worker.stop()
"""


def _script(tmp_path: Path, name: str, text: str) -> Path:
    # A file, not `python -c`: pyspark exits a process whose __main__ has no __file__ when GE imports it.
    path = tmp_path / f"{name}.py"
    path.write_text(text, encoding="utf-8")
    return path


def _load(tmp_path: Path, worker: bool) -> dict[str, object]:
    home = tmp_path / ("worker" if worker else "in_process")
    script = _script(tmp_path, home.name, LOAD.format(tests=str(TESTS), worker=worker, home=str(home)))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_worker_gates_as_the_command_would_and_keeps_ge_out_of_it(tmp_path: Path) -> None:
    """The same week through the worker and in the process: the same statuses and findings (rule,
    column, rows, count), a report and a stored validation for each file; with the worker, the
    command never imports Great Expectations. Matters: the worker saves a run GE's import (3–5 s)
    only if the command does not pay it again, and it must not change a verdict. On failure: a
    result crossing the processes carries a GE object (GateResult.validation_id must stay a tuple)
    or `gate_worker.gate_week`/`publish_data_docs` went back to calling the gate directly."""
    in_process, worker = _load(tmp_path, worker=False), _load(tmp_path, worker=True)
    assert worker["worker"] is True and worker["ge_imported_here"] is False
    assert in_process["worker"] is False and in_process["ge_imported_here"] is True
    assert worker["outcomes"] == in_process["outcomes"]
    statuses = [outcome[0] for outcome in in_process["outcomes"]]  # type: ignore[union-attr]
    assert statuses == ["loaded", "rejected"]


WAIT = """
import os, sys, time
from pipelines.checks import gate_worker
gate_worker.start()
worker = gate_worker._worker.submit(os.getpid).result()
gate_worker._worker.submit(time.sleep, 120)  # busy, as in a validation: it reads no task queue
print(worker, flush=True)
time.sleep(120)
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie is dead, waiting for a parent that may never reap it


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_killed_command_takes_its_worker_with_it(tmp_path: Path) -> None:
    """kill -9 of a command whose worker is busy: the worker is gone within seconds. Matters: an
    orphaned worker would hold GE's files of the home while the next command runs (two writers on
    one home). On failure: gate_worker._die_with_parent (PR_SET_PDEATHSIG) no longer runs in the
    worker."""
    script = _script(tmp_path, "wait", WAIT)
    command = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    assert command.stdout is not None
    worker = int(command.stdout.readline())
    assert worker != command.pid and _alive(worker)
    os.kill(command.pid, signal.SIGKILL)
    command.wait()
    deadline = time.monotonic() + 10
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(worker), f"worker {worker} outlived its command"


def test_in_the_test_process_the_gate_runs_here(tmp_path: Path) -> None:
    """No worker unless a command starts one: `load_files` in this process gates in it (the path of
    a run launched from the UI). Matters: the fallback is the gate's only path there."""
    home = Home(tmp_path / "home")
    kb = [_inn("07", n) for n in range(1, 4)]
    _registry(home, "RU-KB", kb)
    (outcome,) = load_files([_write_requests(home, "RU-KB", kb)], home)
    assert outcome.status == "loaded" and outcome.report and outcome.validation_id
