"""What `edumon run` tells a person, and where the rest goes (issue 15, the engineer).

Unit tests over the report and the first_week rule; the demo home (tests/conftest.py, a real
`edumon run`) shows where Dagster's events and dbt's files went.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path

from rich.console import Console

from pipelines.config import PROJECT_ROOT
from pipelines.ingest.load_log import LoadEntry
from pipelines.orchestration.report import _LogFollower, print_summary
from pipelines.orchestration.runs import IngestReport, _before_calendar
from pipelines.run_log import log_file


def _entry(status: str, dataset: str, region: str = "RU-KB", **extra: object) -> LoadEntry:
    fields: dict[str, object] = {
        "load_id": None, "dataset": dataset, "region": region, "week": "2026-W47",
        "source_file": f"{dataset}_{region}_2026-W47.csv", "sha256": None, "rows": None,
        "status": status, "reason": None, "rule": None, "checked_at": "2026-11-23T06:00:00+03:00",
        "report": None, **extra,
    }  # fmt: skip
    return LoadEntry(**fields)  # type: ignore[arg-type]


def _printed(report: IngestReport) -> str:
    out = io.StringIO()
    print_summary(report, Console(file=out, width=200, soft_wrap=True))
    return out.getvalue()


def test_summary_names_rejections_missing_and_what_was_published() -> None:
    """The summary a person reads: counts, each rejected file with its rule, missing deliveries
    grouped by region-week, the published week and the edition. Resolve: report.print_summary."""
    from pipelines.config import load_config

    every = list(load_config().datasets)
    report = IngestReport(
        entries=[
            _entry("loaded", "fgis_orgs", rows=72),
            _entry("rejected", "sferum_users", rule="field.type", reason="строки 3, 5: not a whole number"),
            *[_entry("missing", name, region="RU-SMO") for name in every],
            _entry("missing", "gis_staff", region="RU-DA"),
            # A region without a ГИС (gis: none) that sent nothing: its every dataset has no gis_*.
            *[_entry("missing", name, region="RU-NEN") for name in load_config().expected_datasets("RU-NEN")],
        ],
        runs=Counter({"success": 1}),
        downstream=["after_ingest 2026-W47..2026-W47: success (run x)"],
        partitions=1,
        settled=0,
        rated_week="2026-W47",
        edition="rating_2026-W47_v1",
    )
    text = _printed(report)
    nen = len(load_config().expected_datasets("RU-NEN"))
    assert "loaded 1" in text and "rejected 1" in text and f"missing {len(every) + 1 + nen}" in text
    assert "sferum_users_RU-KB_2026-W47.csv [field.type]" in text
    assert "RU-SMO 2026-W47: every dataset" in text and "RU-DA 2026-W47: gis_staff" in text
    assert "RU-NEN 2026-W47: every dataset" in text
    assert "2026-W47" in text and "rating_2026-W47_v1" in text
    assert not report.failed


def test_a_week_before_first_week_fails_the_run_naming_the_setting() -> None:
    """A delivered file of a week before calendar.first_week makes the run fail and the summary
    name the setting to change (it was reported as "unrecognized" with exit 0). Resolve:
    runs._before_calendar and report.print_summary."""
    names = ["fgis_orgs_RU-KB_2022-W42.jsonl", "fgis_orgs_RU-KB_2026-W47.jsonl", "notes.txt"]
    early = _before_calendar(names)
    assert early == ["fgis_orgs_RU-KB_2022-W42.jsonl"]
    report = IngestReport([], Counter(), [], 0, 0, before_calendar=early)
    assert report.failed
    text = _printed(report)
    assert "fgis_orgs_RU-KB_2022-W42.jsonl" in text and "calendar.first_week" in text
    assert "orchestration.yaml" in text


def test_log_follower_reads_each_complete_line_once(tmp_path: Path) -> None:
    """The progress bars follow the load log from where the run began, whole lines only (a line
    being written is read on the next poll). Resolve: report._LogFollower."""
    log = tmp_path / "load_log.jsonl"
    log.write_text(json.dumps({"status": "loaded", "dataset": "old"}) + "\n", encoding="utf-8")
    follower = _LogFollower(log)
    assert follower.new_entries() == []
    with log.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"status": "loaded", "dataset": "a", "rows": 3}) + "\n")
        handle.write('{"status": "rejected", "data')
    assert [e["dataset"] for e in follower.new_entries()] == ["a"]
    with log.open("a", encoding="utf-8") as handle:
        handle.write('set": "b"}\n')
    assert [e["dataset"] for e in follower.new_entries()] == ["b"]


def test_a_run_logs_into_its_home_and_writes_nothing_in_the_repository(demo_home: Path) -> None:
    """After `edumon run`: every Dagster event (DEBUG included) is in <home>/logs/edumon.log, dbt's
    target/ and dbt.log (at orchestration.yaml's level) are in <home>/logs/dbt, and the repository's
    dbt_project/target holds no run folder of dagster-dbt. Matters: a run writes nothing outside its
    home. Resolve: pipelines/run_log.py, transform.project.dbt_target_path."""
    events = log_file(demo_home).read_text(encoding="utf-8")
    assert " DEBUG " in events and "RUN_SUCCESS" in events
    assert (demo_home / "logs" / "dbt" / "run_results.json").is_file()
    dbt_log = (demo_home / "logs" / "dbt" / "dbt.log").read_text(encoding="utf-8")
    # orchestration.yaml's dbt_file_log_level (info): each node's result, no statement or connection event
    assert '"name": "LogModelResult"' in dbt_log and '"name": "SQLQuery"' not in dbt_log
    leftovers = sorted(p.name for p in (PROJECT_ROOT / "dbt_project" / "target").glob("edumon_dbt_models-*"))
    assert not [name for name in leftovers if demo_home.stat().st_mtime < _mtime(name)], leftovers


def _mtime(name: str) -> float:
    return (PROJECT_ROOT / "dbt_project" / "target" / name).stat().st_mtime
