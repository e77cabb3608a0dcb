"""Every delivery fault of `edumon generate --defects` is caught by the gate (or reported)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.checks.suites import stale_suites
from pipelines.ingest import load_log
from pipelines.ingest.lake import partition_path
from pipelines.sources.defects import DEFECTS, REDELIVERED

REJECTED_KINDS = [d.kind for d in DEFECTS if d.rule not in ("load.replaced", "file.unknown_region")]


def _defect_file(defects_landing: Path, kind: str) -> tuple[str, dict[str, str]]:
    manifest = json.loads((defects_landing / "defects.json").read_text(encoding="utf-8"))
    return next((name, item) for name, item in manifest.items() if item["kind"] == kind)


def test_committed_suites_equal_the_configuration() -> None:
    """expectations/*.json are what orchestration.yaml generates. Matters: the gate runs the
    committed suites; a stale one checks yesterday's contract. Resolve: `edumon expectations`,
    review the diff, commit it."""
    assert stale_suites() == []


@pytest.mark.parametrize("kind", REJECTED_KINDS)
def test_defect_is_quarantined_whole_with_file_row_and_rule(
    kind: str, defects_landing: Path, defects_home: Path
) -> None:
    """The faulty file goes whole to quarantine with reason.json naming file, rule and rows;
    none of it reaches the lake; the load log says rejected with the expected rule. Matters:
    SPEC non-negotiable "bad input gets a clear error ... nothing of it reaches the lake".
    Resolve: read quarantine/.../reason.json of that file; fix the parser or the suite rule."""
    name, item = _defect_file(defects_landing, kind)
    dataset, region, week = _parts(name)
    quarantined = list((defects_home / "quarantine" / week / region).glob(f"*/{name}"))
    assert len(quarantined) == 1, f"{name} not in quarantine"
    assert quarantined[0].read_bytes() == (defects_landing / name).read_bytes()  # whole, as delivered
    assert not (defects_home / "landing" / name).exists()
    reason = json.loads((quarantined[0].parent / "reason.json").read_text(encoding="utf-8"))
    rules = [f["rule"] for f in reason["findings"]]
    assert reason["file"] == name
    assert item["expected_rule"] in rules, (rules, reason["findings"])
    entries = [e for e in load_log.read_entries(defects_home / "lake") if e.source_file == name]
    assert entries[-1].status == "rejected" and entries[-1].rule in rules
    assert item["expected_rule"] in (entries[-1].reason or "")
    lake_file = partition_path(defects_home / "lake", dataset, region, week)
    if lake_file.exists():  # nothing of it: the partition holds no row of the rejected file
        import pyarrow.parquet as pq

        assert name not in set(pq.read_table(lake_file, columns=["source_file"]).column(0).to_pylist())
    row_rules = {"field.type", "field.min", "field.enum", "key.unique", "registry.foreign_inn", "file.parse"}
    if item["expected_rule"] in row_rules:
        finding = next(f for f in reason["findings"] if f["rule"] == item["expected_rule"])
        assert finding["rows"], "a row-level rule must name the rows"


def test_schema_drift_names_the_column(defects_landing: Path, defects_home: Path) -> None:
    """A renamed or missing column fails the gate by its contract name; the header cell that
    replaced it is given by its position, never its text (without its header row a file's first
    data row is the header: a cell there may be a student's name). Matters: schema drift is how
    pipelines silently lose data. Resolve: see parse._rename_to_fields."""
    name, _ = _defect_file(defects_landing, "missing_column")
    entry = [e for e in load_log.read_entries(defects_home / "lake") if e.source_file == name][-1]
    assert "Педагогический работник" in (entry.reason or "")
    name, _ = _defect_file(defects_landing, "renamed_column")
    entry = [e for e in load_log.read_entries(defects_home / "lake") if e.source_file == name][-1]
    reason = entry.reason or ""
    assert "last_active_on" in reason and "position(s) 6" in reason and "last_activity_date" not in reason


def test_unknown_region_is_reported_not_skipped(defects_landing: Path, defects_home: Path) -> None:
    """A file for a region that does not exist is logged `unrecognized` and kept in
    quarantine/_unrecognized. Matters: nothing is skipped silently. Resolve: files.classify."""
    name, _ = _defect_file(defects_landing, "unknown_region")
    entries = [e for e in load_log.read_entries(defects_home / "lake") if e.source_file == name]
    assert entries and entries[-1].status == "unrecognized" and entries[-1].rule == "file.unknown_region"
    assert (defects_home / "quarantine" / "_unrecognized" / name).exists()


def test_every_other_file_still_loads(defects_landing: Path, defects_home: Path) -> None:
    """Each clean file of the defective delivery is loaded. Matters: one bad file must not stop a
    region's week. Resolve: look for the clean file's load-log entry and its rule."""
    manifest = json.loads((defects_landing / "defects.json").read_text(encoding="utf-8"))
    clean = {
        p.name
        for p in defects_landing.iterdir()
        if p.is_file() and p.name not in manifest and p.name != "defects.json"
    }
    states = load_log.read_entries(defects_home / "lake")
    accepted = {e.source_file for e in states if e.status in ("loaded", "replaced")}
    assert clean <= accepted, sorted(clean - accepted)
    assert not (defects_landing / REDELIVERED / "x").exists()


def _parts(name: str) -> tuple[str, str, str]:
    stem = name.rsplit(".", 1)[0]
    rest, week = stem.rsplit("_", 1)
    dataset, region = rest.rsplit("_", 1)
    return dataset, region, week
