"""One home, one writer (pipelines/home_lock.py) and the pieces of crash recovery (pipelines/recovery.py).

Cheap tests: a second process holds the lock (a real flock in a real process), and the commands,
Dagster runs, the sensor and the schedules of this process meet it. The real kills and the real
race of two `edumon run` are in tests/test_crash_recovery.py.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import dagster as dg
import pytest
import yaml

from pipelines.cli import main
from pipelines.config import DEFAULT_CONFIG, PROJECT_ROOT, ConfigError, parse_config
from pipelines.home import Home
from pipelines.home_lock import EXIT_HOME_BUSY, home_lock, previous_owner, read_owner
from pipelines.ingest import load_log
from pipelines.recovery import (
    clean_leftovers,
    fail_abandoned_runs,
    record_published,
    unpublished_partitions,
)
from pipelines.weeks import MOSCOW

HOLDER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from pipelines.home_lock import home_lock
    with home_lock(Path(sys.argv[1]), "backfill"):
        print("held", flush=True)
        sys.stdin.readline()
    """
)


def _hold(home: Path) -> subprocess.Popen[str]:
    """Another process holding the home (as `edumon backfill` would), until its stdin gets a line."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(home)],
        cwd=PROJECT_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


@pytest.fixture
def held(tmp_path: Path) -> Iterator[tuple[Path, subprocess.Popen[str]]]:
    home = tmp_path / "home"
    holder = _hold(home)
    yield home, holder
    if holder.poll() is None:
        holder.communicate("\n", timeout=30)


def test_a_writing_command_on_a_held_home_exits_75_with_one_sentence(
    held: tuple[Path, subprocess.Popen[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    """While another process writes the home, `edumon rating` / `run` / `backfill` do nothing and
    exit 75 with one sentence naming the holder. Resolve: pipelines/home_lock.py, pipelines/cli.py."""
    home, holder = held
    for argv in (
        ["rating", "--week", "2026-W47"],
        ["run", "--ingest-only"],
        ["backfill", "--from", "2026-W47", "--to", "2026-W47"],
    ):
        assert main([*argv, "--home", str(home)]) == EXIT_HOME_BUSY
        message = capsys.readouterr().err.strip()
        assert len(message.splitlines()) == 1
        assert f"(backfill, pid {holder.pid}, since" in message and f"holds the home {home}" in message
    assert sorted(p.name for p in home.iterdir()) == [".edumon.lock"], "a refused command wrote the home"


def test_a_second_writer_waits_up_to_the_configured_time(tmp_path: Path) -> None:
    """With locking.wait_seconds set, a second `edumon` says it waits, and runs once the home is free.
    Resolve: home_lock._acquire; the setting is validated in pipelines/config.py."""
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    raw["locking"]["wait_seconds"] = 300
    config = tmp_path / "orchestration.yaml"
    config.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    home = tmp_path / "home"
    with home_lock(home, "test holder", wait=0):
        waiting = subprocess.Popen(
            [sys.executable, "-m", "pipelines.cli", "rating", "--week", "2026-W47", "--home", str(home)],
            cwd=PROJECT_ROOT,
            env={**os.environ, "EDUMON_CONFIG": str(config)},
            stderr=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert waiting.stderr is not None
        first = waiting.stderr.readline()
        assert f"the home {home.resolve()} is in use (test holder, pid {os.getpid()}" in first
        assert "waiting up to 300 s" in first
    _, rest = waiting.communicate(timeout=300)
    assert waiting.returncode == 1, rest  # it ran: and found nothing published to rate
    assert "serving" in rest and "holds the home" not in rest


def test_a_killed_holder_frees_the_home_and_leaves_its_record(tmp_path: Path) -> None:
    """kill -9 of the holder frees the lock at once (the kernel drops a dead process's flock); its
    record stays, so the next holder knows a writer died mid-work. Resolve: home_lock.home_lock."""
    home = tmp_path / "home"
    holder = _hold(home)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(timeout=30)
    with home_lock(home, "test", wait=0):
        dead = previous_owner(home)
        assert dead is not None and dead.pid == holder.pid and dead.command == "backfill"
        with home_lock(home, "nested", wait=0):  # reentrant inside one process
            owner = read_owner(home)
            assert owner is not None and owner.pid == os.getpid()
    assert read_owner(home) is None, "a clean release empties the record"


def test_locking_settings_are_validated() -> None:
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    raw["locking"]["wait_seconds"] = -1
    with pytest.raises(ConfigError, match=r"locking\.wait_seconds"):
        parse_config(raw)


def test_sensor_and_schedules_skip_their_tick_while_the_home_is_written(
    held: tuple[Path, subprocess.Popen[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under `edumon ui` the landing sensor and both Monday schedules skip a tick (with the reason)
    while another command writes the home, and the sensor's cursor does not move.
    Resolve: busy_reason in pipelines/ingest/automation.py, downstream.py, rating/assets.py."""
    from pipelines.definitions import defs
    from pipelines.downstream import weekly_schedule
    from pipelines.ingest.automation import landing_sensor
    from pipelines.rating.assets import weekly_rating_schedule

    home, holder = held
    monkeypatch.setenv("EDUMON_HOME", str(home))
    (home / "landing").mkdir()
    (home / "landing" / "sferum_orgs_RU-KB_2026-W47.csv").write_text("org_inn\n", encoding="utf-8")
    with dg.instance_for_test() as instance:
        sensor = landing_sensor(dg.build_sensor_context(instance=instance, cursor="{}", definitions=defs))
        assert isinstance(sensor, dg.SkipReason) and f"pid {holder.pid}" in (sensor.skip_message or "")
        tick = datetime(2026, 11, 23, 6, 0, tzinfo=MOSCOW)
        for schedule in (weekly_schedule, weekly_rating_schedule):
            context = dg.build_schedule_context(instance=instance, scheduled_execution_time=tick)
            result = schedule.evaluate_tick(context)
            assert not result.run_requests and "being written" in (result.skip_message or "")


def test_a_dagster_run_on_a_held_home_fails_with_the_sentence(
    held: tuple[Path, subprocess.Popen[str]],
) -> None:
    """A run launched from the UI while another command writes the home fails before touching it.
    Resolve: EdumonHome.yield_for_execution in pipelines/ingest/assets.py."""
    from pipelines.orchestration.runs import inventory_job_def

    home, _ = held
    with dg.instance_for_test() as instance:
        result = dg.execute_job(
            dg.reconstructable(inventory_job_def),
            instance=instance,
            run_config={"resources": {"edumon": {"config": {"home": str(home)}}}},
            raise_on_error=False,
        )
        assert not result.success
        failures = [
            e for e in instance.all_logs(result.run_id) if e.dagster_event and e.dagster_event.is_failure
        ]
        text = " ".join(str(e.dagster_event.event_specific_data) for e in failures if e.dagster_event)
        assert "holds the home" in text
    assert not (home / "lake").exists()


# --- recovery pieces ----------------------------------------------------------------------------


def _entry(dataset: str, region: str, week: str, status: str = "loaded") -> load_log.LoadEntry:
    return load_log.LoadEntry(
        load_id="x",
        dataset=dataset,
        region=region,
        week=week,
        source_file=f"{dataset}_{region}_{week}.csv",
        sha256="0" * 64,
        rows=1,
        status=status,  # type: ignore[arg-type]
        reason=None,
        rule=None,
        checked_at="2026-11-24T00:00:00+00:00",
        report=None,
    )


def test_the_publish_marker_knows_what_reached_the_marts(tmp_path: Path) -> None:
    """A region-week is unpublished from its first state-changing load after the last downstream
    run that covered it; a region run covers only its region; `unchanged` loads change nothing.
    Resolve: recovery.unpublished_partitions / record_published."""
    home = Home(tmp_path)
    for region in ("RU-KB", "RU-SMO"):
        load_log.append(home.lake, _entry("fgis_orgs", region, "2026-W47"))
    assert unpublished_partitions(home) == {("2026-W47", "RU-KB"), ("2026-W47", "RU-SMO")}
    record_published(home, {("2026-W47", "RU-KB")}, None, 2)  # a whole-week run covers every region
    assert unpublished_partitions(home) == set()
    load_log.append(home.lake, _entry("fgis_orgs", "RU-KB", "2026-W47", "unchanged"))
    load_log.append(home.lake, _entry("fgis_users", "RU-SMO", "2026-W47", "replaced"))
    load_log.append(home.lake, _entry("fgis_users", "RU-KB", "2026-W48", "rejected"))
    assert unpublished_partitions(home) == {("2026-W47", "RU-SMO"), ("2026-W48", "RU-KB")}
    record_published(home, {("2026-W48", "RU-SMO")}, "RU-SMO", 5)  # another region's run of W48
    assert unpublished_partitions(home) == {("2026-W47", "RU-SMO"), ("2026-W48", "RU-KB")}
    record_published(home, {("2026-W47", "RU-SMO"), ("2026-W48", "RU-KB")}, None, 5)
    assert unpublished_partitions(home) == set()
    assert (
        json.loads((home.lake / "_meta" / "published.json").read_text())["published"]["2026-W48|RU-KB"] == 5
    )


def test_leftovers_of_a_dead_writer_are_cleaned(tmp_path: Path) -> None:
    """What a writer killed mid-way leaves is removed or repaired, and nothing else is touched:
    the snapshot's temporary file, staged Parquet, a torn load-log line, a temporary edition folder,
    an edition without its manifest (a complete one stays), a GE result cut short.
    Resolve: recovery.clean_leftovers."""
    home = Home(tmp_path)
    (tmp_path / "serving.duckdb").write_bytes(b"published")
    (tmp_path / "serving.duckdb.tmp").write_bytes(b"half")
    staged = home.lake / "_staging" / "abc_fgis_orgs.parquet"
    staged.parent.mkdir(parents=True)
    staged.write_bytes(b"staged")
    load_log.append(home.lake, _entry("fgis_orgs", "RU-KB", "2026-W47"))
    with load_log.log_path(home.lake).open("a", encoding="utf-8") as handle:
        handle.write('{"load_id": "cut sh')
    outbox = tmp_path / "outbox"
    (outbox / ".rating_2026-W47_v2.tmpabc").mkdir(parents=True)
    for name in ("rating_2026-W46_v1.xlsx", "rating_2026-W46_v1.manifest.json", "rating_2026-W47_v1.xlsx"):
        (outbox / name).write_bytes(b"x")
    result = (
        home.docs / "gx" / "uncommitted" / "validations" / "fgis_orgs" / "run" / "edumon_gate-staged.json"
    )
    result.parent.mkdir(parents=True)
    result.write_text('{"success": tr', encoding="utf-8")
    notes = clean_leftovers(home, crashed_since="2000-01-01T00:00:00+00:00")
    assert len(notes) == 6, notes
    assert sorted(p.name for p in tmp_path.iterdir()) == ["docs", "lake", "outbox", "serving.duckdb"]
    assert not list((home.lake / "_staging").iterdir())
    assert load_log.log_path(home.lake).read_text(encoding="utf-8").endswith("}\n")
    assert len(load_log.read_entries(home.lake)) == 1
    assert sorted(p.name for p in outbox.iterdir()) == [
        "rating_2026-W46_v1.manifest.json",
        "rating_2026-W46_v1.xlsx",
    ]
    assert not result.exists()
    assert clean_leftovers(home, crashed_since="2000-01-01T00:00:00+00:00") == [], "a clean home: nothing"


def test_runs_left_started_by_a_dead_process_are_marked_failed(tmp_path: Path) -> None:
    """A run STARTED by a process that is gone becomes FAILURE; one whose process lives stays.
    Resolve: recovery.fail_abandoned_runs (pid from the run's engine events)."""
    from dagster._core.events import EngineEventData

    dead = subprocess.Popen(["true"])
    dead.wait()
    alive = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        with dg.instance_for_test() as instance:
            runs = {}
            for name, pid in (("dead", dead.pid), ("alive", alive.pid)):
                run = instance.add_run(dg.DagsterRun(job_name=name, status=dg.DagsterRunStatus.STARTED))
                instance.report_engine_event(
                    f"Executing steps in process (pid: {pid})", run, EngineEventData.in_process(pid)
                )
                runs[name] = run.run_id
            notes = fail_abandoned_runs(instance)
            assert len(notes) == 1 and "dead" in notes[0]
            status = {name: instance.get_run_by_id(run_id).status for name, run_id in runs.items()}  # type: ignore[union-attr]
            assert status == {"dead": dg.DagsterRunStatus.FAILURE, "alive": dg.DagsterRunStatus.STARTED}
    finally:
        alive.communicate(b"", timeout=30)
