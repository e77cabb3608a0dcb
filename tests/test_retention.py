"""`edumon purge`: the retention rule for landing/ and quarantine/ (they keep personal data)."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from pipelines.cli import main
from pipelines.home import Home
from pipelines.ingest import load_log
from pipelines.ingest.files import stat_signature
from pipelines.ingest.lake import partition_path
from pipelines.retention import expired
from pipelines.weeks import last_complete_week, shift_week

ENTRY = load_log.LoadEntry(
    load_id="x",
    dataset="fgis_orgs",
    region="RU-KB",
    week="",
    source_file="",
    sha256="0" * 64,
    rows=1,
    status="loaded",
    reason=None,
    rule=None,
    checked_at="2026-11-24T00:00:00+00:00",
    report=None,
)


def _deliver(home: Home, week: str, loaded: bool) -> Path:
    path = home.landing / f"fgis_orgs_RU-KB_{week}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{}\n", encoding="utf-8")
    if loaded:
        lake_file = partition_path(home.lake, "fgis_orgs", "RU-KB", week)
        lake_file.parent.mkdir(parents=True, exist_ok=True)
        lake_file.write_bytes(b"parquet")
        entry = replace(ENTRY, week=week, source_file=path.name, file_stat=stat_signature(path))
        load_log.append(home.lake, entry)
    return path


def test_purge_removes_only_what_the_retention_rule_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Old delivered files that reached the lake and old quarantine folders go; recent files, and old
    files that never reached the lake, stay; the lake is untouched; --dry-run removes nothing.
    Matters: landing/ and quarantine/ hold personal data as delivered. Resolve: pipelines/retention.py,
    `retention` in orchestration.yaml."""
    home = Home(tmp_path)
    now = last_complete_week()
    old, recent = shift_week(now, -10), shift_week(now, -1)
    old_loaded = _deliver(home, old, loaded=True)
    old_pending = _deliver(home, shift_week(now, -11), loaded=False)
    recent_loaded = _deliver(home, recent, loaded=True)
    old_rejected = home.quarantine / old / "RU-KB" / "gis_students_RU-KB.abcd1234"
    recent_rejected = home.quarantine / recent / "RU-KB" / "gis_students_RU-KB.ef567890"
    for folder in (old_rejected, recent_rejected):
        folder.mkdir(parents=True)
        (folder / "reason.json").write_text("{}", encoding="utf-8")
    stray = home.quarantine / "_unrecognized" / "notes.txt"
    stray.parent.mkdir(parents=True)
    stray.write_text("x", encoding="utf-8")
    os.utime(stray, (0, 0))
    assert sorted(expired(home)) == sorted([old_loaded, old_rejected, stray])
    assert main(["purge", "--home", str(tmp_path), "--dry-run"]) == 0
    assert "would remove 3 files or folders" in capsys.readouterr().out
    assert old_loaded.exists() and old_rejected.exists()
    assert main(["purge", "--home", str(tmp_path)]) == 0
    assert not old_loaded.exists() and not old_rejected.exists() and not stray.exists()
    assert not (home.quarantine / old).exists(), "emptied week folders go too"
    assert old_pending.exists() and recent_loaded.exists() and recent_rejected.exists()
    assert partition_path(home.lake, "fgis_orgs", "RU-KB", old).exists()
