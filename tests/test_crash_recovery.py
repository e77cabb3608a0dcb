"""Kill `edumon run` for real at each stage, race two of them on one home, and check what is left.

Every scenario drives real `edumon run` processes (Dagster, the gates, dbt, publish, rating) on a
small demo delivery (RU-KB, one week: generated once per module). The expensive parts run once
and side by side, in one module fixture:
- the race: two `edumon run` started together on one fresh home. One must run, the other exit 75
  with one sentence naming the first; the winner's home is the *reference* of an uninterrupted run.
- per stage (ingest, dbt, publish, rating): a fresh home gets its own copy of the delivery, an
  `edumon run` with EDUMON_FAULT_AT kills itself with SIGKILL at that stage's fault point
  (pipelines/faults.py), then a plain `edumon run` must exit 0 with marts equal to the reference,
  row for row (EXCEPT ALL both ways; load times and Data Docs paths aside), the week rated once,
  no leftovers, no Dagster run left STARTED, no dbt left running.
- between a rejection's load-log entry and its file's move to quarantine/ (`quarantine` point): a
  cheap ingest-only pair of runs on its own home (a rejected file changes the marts and the exit
  code, so it is not compared with the reference).
Durations of every process are printed (`pytest -s`): this file is one of CI's slow ones.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest

from pipelines.cli import main
from pipelines.config import PROJECT_ROOT, load_config
from pipelines.faults import FAULT_ENV, QUARANTINE, STAGES
from pipelines.home import Home
from pipelines.home_lock import EXIT_HOME_BUSY
from pipelines.recovery import unpublished_partitions

pytestmark = pytest.mark.e2e

REGION, WEEK = "RU-KB", "2026-W47"
# Where each stage's kill lands: ingest with three files in the lake and the fourth staged, dbt
# after 20 of its model and test results, publish and rating at their only point.
FAULTS = {"ingest": "ingest:4", "dbt": "dbt:20", "publish": "publish", "rating": "rating"}
# Columns that differ between two uninterrupted runs of the same files: when and where from.
VOLATILE_COLUMNS = {"checked_at", "report_path"}


@dataclass
class Process:
    argv: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    pid: int


@dataclass
class Scenario:
    home: Path
    processes: list[Process] = field(default_factory=list)
    leftovers_after_kill: list[str] = field(default_factory=list)
    rejections_after_kill: int = 0  # load-log entries rejecting the file the kill was about


def _env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in (FAULT_ENV, "EDUMON_HOME")}
    env.setdefault("EDUMON_SNILS_KEY", "crash-recovery-test-key")
    return {**env, **extra}


def _start(args: list[str], **extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", *args],
        cwd=PROJECT_ROOT,
        env=_env(**extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(process: subprocess.Popen[str], started: float) -> Process:
    stdout, stderr = process.communicate(timeout=1800)
    seconds = time.monotonic() - started
    argv = [str(a) for a in process.args][3:]  # type: ignore[union-attr]
    print(f"  {seconds:6.1f} s  rc {process.returncode:4}  edumon {' '.join(argv)}", flush=True)
    return Process(argv, process.returncode, stdout, stderr, seconds, process.pid)


def _edumon(args: list[str], **extra: str) -> Process:
    started = time.monotonic()
    return _finish(_start(args, **extra), started)


def _leftovers(home: Path) -> list[str]:
    """What a killed run can leave behind, as relative paths (empty on a clean home)."""
    patterns = ["serving.duckdb.tmp", "*.wal", "lake/_staging/*", "outbox/.rating_*", "tmp/duckdb/*"]
    found = [p for pattern in patterns for p in home.glob(pattern)]
    outbox = home / "outbox"
    if outbox.is_dir():
        stems = {p.name.split(".")[0] for p in outbox.glob("rating_*")}
        found += [
            outbox / f"{s}.manifest.json" for s in stems if not (outbox / f"{s}.manifest.json").exists()
        ]
    return sorted(str(p.relative_to(home)) for p in found)


def _orphaned_dbt(home: Path) -> list[int]:
    wanted = f"EDUMON_WAREHOUSE={home / 'warehouse.duckdb'}".encode()
    pids = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if wanted in (proc / "environ").read_bytes().split(b"\0"):
                pids.append(int(proc.name))
        except OSError:
            continue
    return pids


def _race(landing: Path, home: Path) -> list[Process]:
    """Two `edumon run` on one home, started at the same moment."""
    deliveries = []
    for name in ("a", "b"):
        delivery = home.parent / f"delivery_{name}"
        shutil.copytree(landing, delivery)
        deliveries.append(delivery)
    started = time.monotonic()
    racers = [_start(["run", "--landing", str(d), "--home", str(home)]) for d in deliveries]
    with ThreadPoolExecutor(max_workers=len(racers)) as pool:  # each one's own duration
        return list(pool.map(lambda racer: _finish(racer, started), racers))


def _crash_then_recover(landing: Path, home: Path, stage: str) -> Scenario:
    scenario = Scenario(home)
    delivery = home.parent / "delivery"
    shutil.copytree(landing, delivery)
    killed = _edumon(["run", "--landing", str(delivery), "--home", str(home)], **{FAULT_ENV: FAULTS[stage]})
    scenario.processes.append(killed)
    scenario.leftovers_after_kill = _leftovers(home)
    scenario.processes.append(_edumon(["run", "--home", str(home)]))
    return scenario


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The race (its winner is the reference) and the four crash scenarios, run side by side."""
    landing = tmp_path_factory.mktemp("crash_landing") / "landing"
    generate = ["generate", "--preset", "demo", "--out", str(landing), "--weeks", "1", "--regions", REGION]
    assert main([*generate, "--last-week", WEEK]) == 0
    started = time.monotonic()
    print(f"\ncrash and race scenarios on {REGION} {WEEK} (durations of each edumon process):")
    with ThreadPoolExecutor(max_workers=1 + len(STAGES)) as pool:
        race = pool.submit(_race, landing, tmp_path_factory.mktemp("race") / "home")
        crashes = {
            stage: pool.submit(_crash_then_recover, landing, tmp_path_factory.mktemp(stage) / "home", stage)
            for stage in STAGES
        }
        results: dict[str, object] = {"race": race.result(), **{s: f.result() for s, f in crashes.items()}}
    print(f"  {time.monotonic() - started:6.1f} s  all scenarios (wall)")
    return results


@pytest.fixture(scope="module")
def reference(runs: dict[str, object]) -> Path:
    race = runs["race"]
    assert isinstance(race, list)
    winners = [p for p in race if p.returncode == 0]
    assert winners, f"neither racing run succeeded: {[(p.returncode, p.stderr[-2000:]) for p in race]}"
    return Path(winners[0].argv[winners[0].argv.index("--home") + 1])


def _tables(con: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, list[str]]:
    rows = con.execute(
        "select table_name, column_name from information_schema.columns "
        "where table_catalog = ? order by table_name, ordinal_position",
        [catalog],
    ).fetchall()
    tables: dict[str, list[str]] = {}
    for table, column in rows:
        tables.setdefault(table, []).append(column)
    return tables


def assert_same_marts(reference: Path, recovered: Path) -> None:
    """Every published table holds the same rows in both homes (duplicates counted)."""
    con = duckdb.connect()
    con.execute(f"attach '{reference / 'serving.duckdb'}' as ref (read_only)")
    con.execute(f"attach '{recovered / 'serving.duckdb'}' as rec (read_only)")
    expected, actual = _tables(con, "ref"), _tables(con, "rec")
    assert expected.keys() == actual.keys(), "the recovered home published other tables"
    for table, columns in expected.items():
        assert actual[table] == columns, f"{table}: other columns"
        picked = ", ".join(f'"{c}"' for c in columns if c not in VOLATILE_COLUMNS)
        for left, right in (("ref", "rec"), ("rec", "ref")):
            differing = con.execute(
                f'select count(*) from (select {picked} from {left}.main."{table}" '
                f'except all select {picked} from {right}.main."{table}")'
            ).fetchone()
            assert differing == (0,), (
                f"{table}: {differing[0] if differing else '?'} rows of {left} not in {right}"
            )
    rows = con.execute('select count(*) from rec.main."mart_indicators"').fetchone()
    assert rows and rows[0] > 0, "no indicators published: the comparison would prove nothing"


def assert_no_run_left_started(home: Path) -> None:
    import dagster as dg

    with dg.DagsterInstance.from_config(str(home / "dagster")) as instance:
        records = instance.get_run_records()
        running = [r.dagster_run.run_id for r in records if not r.dagster_run.is_finished]
        assert not running, f"Dagster runs still marked running: {running}"
        failed = [r for r in records if r.dagster_run.status == dg.DagsterRunStatus.FAILURE]
        assert failed, "the killed run should be recorded as failed"


def test_two_runs_on_one_home_one_runs_the_other_exits_75(runs: dict[str, object]) -> None:
    """Two `edumon run` started together on one home: exactly one runs (exit 0), the other exits 75
    at once with one sentence naming the holder (pid, command) and touches nothing.
    Matters: two writers on one home collide (Dagster's SQLite, staged names, the GE store, DuckDB's
    lock). Resolve: pipelines/home_lock.py and its use in pipelines/cli.py."""
    race = runs["race"]
    assert isinstance(race, list)
    codes = sorted(p.returncode for p in race)
    assert codes == [0, EXIT_HOME_BUSY], [(p.returncode, p.stderr[-1500:]) for p in race]
    winner = next(p for p in race if p.returncode == 0)
    loser = next(p for p in race if p.returncode == EXIT_HOME_BUSY)
    message = loser.stderr.strip()
    assert len(message.splitlines()) == 1, f"not one sentence: {message!r}"
    assert "holds the home" in message and f"pid {winner.pid}" in message and "run" in message
    assert loser.stdout.strip() == "", "the refused run printed a summary: it did something"


def test_the_race_leaves_a_consistent_home(reference: Path) -> None:
    """After the race: each file loaded exactly once, the week published and rated once, no
    leftovers, nothing pending, no Dagster run left running.
    Resolve: the lock must cover the whole command (deliver included)."""
    from pipelines.ingest import load_log

    entries = load_log.read_entries(reference / "lake")
    loaded = [e.source_file for e in entries if e.status == "loaded"]
    assert len(loaded) == len(set(loaded)) == len(load_config().expected_datasets(REGION)), loaded
    assert not _leftovers(reference)
    assert sorted(p.name for p in (reference / "outbox").glob("rating_*.manifest.json")) == [
        f"rating_{WEEK}_v1.manifest.json"
    ]
    assert unpublished_partitions(Home(reference)) == set()
    import dagster as dg

    with dg.DagsterInstance.from_config(str(reference / "dagster")) as instance:
        assert all(r.dagster_run.is_finished for r in instance.get_run_records())


@pytest.mark.parametrize("stage", STAGES)
def test_a_run_killed_at_a_stage_is_finished_by_the_next_plain_run(
    runs: dict[str, object], reference: Path, stage: str
) -> None:
    """kill -9 at a stage's fault point, then a plain `edumon run`: exit 0, the marts of an
    uninterrupted run row for row, the week rated (v1, same CSV), leftovers cleaned, the killed
    Dagster run marked failed, no dbt left running, nothing left unpublished.
    Matters: before, a run killed during dbt or publish left the week unpublished and unrated
    while later runs exited 0 doing nothing. Resolve: pipelines/recovery.py (called at the start
    of `edumon run`), the publish marker written in pipelines.orchestration.runs.run_downstream."""
    scenario = runs[stage]
    assert isinstance(scenario, Scenario)
    killed, recovered = scenario.processes
    assert killed.returncode == -signal.SIGKILL, f"the fault did not fire: rc {killed.returncode}"
    home = scenario.home
    expected_leftover = {
        "ingest": "lake/_staging/",
        "dbt": "warehouse.duckdb",
        "publish": "serving.duckdb.tmp",
        "rating": f"outbox/rating_{WEEK}_v1.manifest.json",  # missing: the edition is incomplete
    }[stage]
    if stage != "dbt":  # a killed dbt's child may finish and checkpoint on its own
        assert any(p.startswith(expected_leftover) for p in scenario.leftovers_after_kill), (
            f"the kill at {stage} left {scenario.leftovers_after_kill}"
        )
    assert recovered.returncode == 0, recovered.stdout[-3000:] + recovered.stderr[-3000:]
    assert "recovery: the previous writer of this home (run, pid" in recovered.stdout
    assert not _leftovers(home), _leftovers(home)
    assert not _orphaned_dbt(home)
    assert_same_marts(reference, home)
    edition = home / "outbox" / f"rating_{WEEK}_v1.csv"
    assert edition.read_bytes() == (reference / "outbox" / edition.name).read_bytes()
    assert sorted(p.name for p in (home / "outbox").iterdir()) == sorted(
        p.name for p in (reference / "outbox").iterdir()
    )
    assert unpublished_partitions(Home(home)) == set()
    assert_no_run_left_started(home)


REJECTED = f"sferum_orgs_{REGION}_{WEEK}.csv"  # its first row's status is outside the contract's set


def _quarantined_unrecorded(home: Path) -> list[str]:
    """Delivered files in quarantine/ whose content no `rejected` / `unrecognized` entry records."""
    from pipelines.ingest import load_log
    from pipelines.ingest.files import sha256_of

    recorded = {
        (e.source_file, e.sha256)
        for e in load_log.read_entries(home / "lake")
        if e.status in ("rejected", "unrecognized")
    }
    quarantined = [p for p in (home / "quarantine").rglob("*") if p.is_file() and p.suffix != ".json"]
    return [
        str(p.relative_to(home))
        for p in quarantined
        if (p.name, sha256_of(p)) not in recorded and (p.name, None) not in recorded
    ]


def _rejections(home: Path) -> int:
    from pipelines.ingest import load_log

    return sum(
        e.source_file == REJECTED and e.status == "rejected" for e in load_log.read_entries(home / "lake")
    )


@pytest.fixture(scope="module")
def killed_before_quarantine(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    """A delivery of one valid and one rejected file; `edumon run --ingest-only` killed right after
    the rejection is recorded, then a plain `edumon run --ingest-only` (no dbt, publish or rating)."""
    root = tmp_path_factory.mktemp("quarantine")
    generated = root / "generated"
    generate = ["generate", "--preset", "demo", "--out", str(generated), "--weeks", "1", "--regions", REGION]
    assert main([*generate, "--last-week", WEEK]) == 0
    delivery = root / "delivery"
    delivery.mkdir()
    shutil.copy2(generated / f"fgis_orgs_{REGION}_{WEEK}.jsonl", delivery)
    lines = (generated / REJECTED).read_text(encoding="utf-8").split("\n")
    lines[1] = lines[1].replace('"active"', '"paused"').replace('"inactive"', '"paused"')
    (delivery / REJECTED).write_text("\n".join(lines), encoding="utf-8")
    scenario = Scenario(root / "home")
    ingest = ["run", "--ingest-only", "--home", str(scenario.home)]
    scenario.processes.append(_edumon([*ingest, "--landing", str(delivery)], **{FAULT_ENV: QUARANTINE}))
    scenario.leftovers_after_kill = _quarantined_unrecorded(scenario.home)
    if (scenario.home / "landing" / REJECTED).exists():
        scenario.leftovers_after_kill.append(f"landing/{REJECTED}")
    scenario.rejections_after_kill = _rejections(scenario.home)
    scenario.processes.append(_edumon(ingest))
    return scenario


def test_a_run_killed_between_a_rejection_and_its_quarantine_loses_no_record(
    killed_before_quarantine: Scenario,
) -> None:
    """kill -9 between a rejected file's load-log entry and its move to quarantine/: the file is
    still in landing/ with its rejection recorded, and the next run checks it again and moves it.
    At no point is there a quarantined file without its rejection in the load log.
    Matters: moved first, a kill left the file in quarantine/ unknown to the load log, the marts
    and every later run (the region was never told). Resolve: the order in pipelines/ingest/load.py
    `_reject` (record, then move) and freshness.quarantine_unrecognized."""
    from pipelines.ingest import load_log

    killed, recovered = killed_before_quarantine.processes
    home = killed_before_quarantine.home
    assert killed.returncode == -signal.SIGKILL, f"the fault did not fire: rc {killed.returncode}"
    # the kill left the file in landing/ (retried) and its rejection recorded, nothing unrecorded
    assert killed_before_quarantine.leftovers_after_kill == [f"landing/{REJECTED}"]
    assert killed_before_quarantine.rejections_after_kill == 1
    assert recovered.returncode == 1, recovered.stdout[-3000:] + recovered.stderr[-3000:]
    assert "recovery: the previous writer of this home (run, pid" in recovered.stdout
    assert not (home / "landing" / REJECTED).exists()
    assert [p.name for p in (home / "quarantine").rglob(REJECTED)] == [REJECTED]
    assert _quarantined_unrecorded(home) == []
    state = load_log.current_states(load_log.read_entries(home / "lake"))[("sferum_orgs", REGION, WEEK)]
    assert (state.status, state.rule) == ("rejected", "field.enum")
    assert load_log.accepted_state(load_log.read_entries(home / "lake"), "fgis_orgs", REGION, WEEK)
