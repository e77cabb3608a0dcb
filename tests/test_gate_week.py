"""One Great Expectations validation per dataset-week, every file's verdict and findings its own.

The gate validates a dataset-week's staged files at once (pipelines/checks/gate.py `gate_week`),
with each file's region, registry and volume floor as columns beside its rows. These tests load a
hand-made week of Competence-centre requests (the dataset with both a region field and a registry
rule) through the production path (`load.load_files`, as the ingest asset calls it).
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.checks.gate import NO_REGISTRY_NOTE, run_gate
from pipelines.home import Home
from pipelines.ingest import lake as lake_io
from pipelines.ingest import load_log
from pipelines.ingest.files import LandingFile, landing_file_for
from pipelines.ingest.load import load_files
from pipelines.ingest.normalise import LoadMeta, normalise
from pipelines.ingest.parse import read_delivered
from pipelines.secrets import snils_key
from pipelines.weeks import shift_week

WEEK = "2026-W47"
HEADER = "request_id,region,org_inn,received_at,channel,category,status,resolved_at,escalated_to"


def _inn(prefix: str, n: int) -> str:
    """A 10-digit organisation ИНН with a valid checksum."""
    digits = [int(c) for c in f"{prefix}{n:07d}"[:9]]
    check = sum(d * w for d, w in zip(digits, (2, 4, 10, 3, 5, 9, 4, 6, 8), strict=True)) % 11 % 10
    return "".join(map(str, digits)) + str(check)


def _write_requests(
    home: Home, region: str, inns: list[str], regions: list[str] | None = None, week: str = WEEK
) -> LandingFile:
    lines = [HEADER]
    for i, inn in enumerate(inns, start=1):
        value = (regions or [region] * len(inns))[i - 1]
        lines.append(f"R{region}-{week}-{i},{value},{inn},2026-11-17T10:00:00,email,access,open,,none")
    path = landing_file_for(home.landing, "cc_requests", region, week)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return LandingFile(path, "cc_requests", region, week)


def _registry(home: Home, region: str, inns: list[str], week: str = WEEK) -> None:
    target = lake_io.partition_path(home.lake, "fgis_orgs", region, week)
    target.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"inn": inns}), target)


def _baseline(home: Home, region: str, rows: int) -> None:
    """Last week's accepted file of the region: the volume floor is half its rows."""
    load_log.append(
        home.lake,
        load_log.LoadEntry(
            load_id="0" * 16, dataset="cc_requests", region=region, week=shift_week(WEEK, -1),
            source_file=f"cc_requests_{region}_{shift_week(WEEK, -1)}.csv", sha256="0" * 64, rows=rows,
            status="loaded", reason=None, rule=None, checked_at=load_log.now_iso(), report=None,
        ),
    )  # fmt: skip


def _stored_validations(home: Home) -> list[Path]:
    return sorted((home.docs / "gx" / "uncommitted" / "validations").rglob("*.json"))


def _alone(delivered: LandingFile, home: Home, registry: list[str] | None, min_rows: int) -> list[tuple]:
    """The findings of the file validated alone (the per-file gate): (rule, column, rows, count, message)."""
    meta = LoadMeta(WEEK, delivered.region, "alone", delivered.name)
    table = normalise(read_delivered(delivered.path, "cc_requests", delivered.region), "cc_requests", meta,
                      snils_key(home.root))  # fmt: skip
    parameters = {"region": [delivered.region], "registry_inns": registry, "min_rows": min_rows}
    result = run_gate(table, "cc_requests", home.root / "alone_docs", "alone", parameters)
    return [(f.rule, f.column, f.rows, f.count, f.message) for f in result.findings]


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return Home(tmp_path / "home")


def test_a_bad_file_is_quarantined_alone_and_a_clean_week_is_one_validation(home: Home) -> None:
    """A week of two regions: RU-KB's file is clean, RU-DA's has a row with another region's code,
    a row whose ИНН is not in RU-DA's registry and a volume drop (3 rows against last week's 1000).
    RU-KB loads, RU-DA goes to quarantine with the same findings (rule, column, rows, count,
    message) as the file validated alone, and nothing of it reaches the lake. Then a clean week is
    ONE stored validation, whose Data Docs page both loads link. Matters: issue 13 (one GE run per
    dataset-week) must not change a verdict. Resolve: gate.gate_week / _failing / _finding, the
    per-file columns of gate.create_relation and suites.parameter_columns."""
    kb, da = [_inn("07", n) for n in range(1, 4)], [_inn("05", n) for n in range(1, 4)]
    _registry(home, "RU-KB", kb)
    _registry(home, "RU-DA", da[:2])  # da[2] is foreign to RU-DA's registry
    _baseline(home, "RU-DA", 1000)
    good = _write_requests(home, "RU-KB", kb)
    bad = _write_requests(home, "RU-DA", da, regions=["RU-DA", "RU-KB", "RU-DA"])
    expected = _alone(bad, home, da[:2], 500)
    before = len(_stored_validations(home))

    outcomes = load_files([good, bad], home)

    assert [o.status for o in outcomes] == ["loaded", "rejected"], [o.summary() for o in outcomes]
    findings = [(f.rule, f.column, f.rows, f.count, f.message) for f in outcomes[1].findings]
    assert findings == expected
    assert {f[0] for f in findings} == {"field.region", "registry.foreign_inn", "volume.drop"}
    assert next(f for f in findings if f[0] == "field.region")[2] == [2]
    assert next(f for f in findings if f[0] == "registry.foreign_inn")[2] == [3]
    reason = json.loads(next(home.quarantine.rglob("reason.json")).read_text(encoding="utf-8"))
    assert reason["file"] == bad.name and [f["rule"] for f in reason["findings"]] == [f[0] for f in findings]
    assert not lake_io.partition_path(home.lake, "cc_requests", "RU-DA", WEEK).exists()
    loaded = lake_io.read_partition(home.lake, "cc_requests", "RU-KB", WEEK)
    assert loaded is not None and loaded.num_rows == 3
    assert not list(lake_io.staging_dir(home.lake).glob("*")), "a staged file stayed behind"
    entries = load_log.read_entries(home.lake)
    recorded = [(e.source_file, e.status) for e in entries[-2:]]
    assert recorded == [(good.name, "loaded"), (bad.name, "rejected")]
    assert outcomes[0].report and outcomes[1].report and outcomes[0].report != outcomes[1].report
    # stored: the week's validation and the bad file's detailed one (the halving probes are not)
    assert len(_stored_validations(home)) - before == 2

    next_week = shift_week(WEEK, 1)
    clean = []
    for region, inns in (("RU-KB", kb), ("RU-DA", da[:2])):
        _registry(home, region, inns, week=next_week)
        clean.append(_write_requests(home, region, inns, week=next_week))
    before = len(_stored_validations(home))
    outcomes = load_files(clean, home)
    assert [o.status for o in outcomes] == ["loaded", "loaded"], [o.summary() for o in outcomes]
    assert len(_stored_validations(home)) - before == 1, "a clean dataset-week is one GE validation"
    assert outcomes[0].report == outcomes[1].report and outcomes[0].validation_id == outcomes[1].validation_id


def test_a_region_week_without_registry_is_not_checked_against_one(home: Home) -> None:
    """A file whose region-week has no organisation registry (no fgis_orgs) is not checked for
    foreign ИНН (its `_registered_org_inn` is null) while the other region's file of the same
    validation is: RU-KB's foreign ИНН rejects it, RU-SMO's unknown ИНН pass with a note. Matters:
    the registry rule of a region that delivers no fgis_orgs must not reject every file. Resolve:
    the `_registered_*` column in gate.create_relation (null where the file has no registry)."""
    kb = [_inn("07", n) for n in range(1, 4)]
    _registry(home, "RU-KB", kb[:2])
    with_registry = _write_requests(home, "RU-KB", kb)
    without = _write_requests(home, "RU-SMO", [_inn("67", n) for n in range(1, 4)])
    outcomes = load_files([with_registry, without], home)
    assert [o.status for o in outcomes] == ["rejected", "loaded"], [o.summary() for o in outcomes]
    assert [(f.rule, f.rows) for f in outcomes[0].findings] == [("registry.foreign_inn", [3])]
    assert outcomes[1].notes == [NO_REGISTRY_NOTE] and outcomes[0].notes == []
