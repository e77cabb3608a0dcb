"""Contracts evolve without breaking deliveries (issue 16): a field added with `since` is optional.

A gis_students export made before the contract gained `login` and `has_content_access` still
parses and normalises; the new lake columns are empty (null, not false), which dbt reads as
«нет данных» for C1 and C7 (unit test students_digital_profile_c1_c2_c7). A field without `since`
stays mandatory.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pipelines.checks.findings import ParseFailed
from pipelines.config import load_config
from pipelines.ingest.normalise import LoadMeta, normalise
from pipelines.ingest.parse import read_delivered
from pipelines.secrets import snils_key

ROW = {
    "student_id": "S1",
    "org_inn": "0500000001",
    "class_label": "5А",
    "sex": "M",
    "enrolled_on": "2025-09-01",
}


def _write(path: Path, fields: list[str]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(fields)
        writer.writerow([ROW.get(name, "") for name in fields])
    return path


def _fields() -> dict[str, object]:
    return dict(load_config().datasets["gis_students"].fields)


def test_since_fields_are_declared() -> None:
    """orchestration.yaml says which fields are optional and since when (docs/sources.md shows it)."""
    fields = load_config().datasets["gis_students"].fields
    assert fields["login"].since and fields["has_content_access"].since
    assert not fields["login"].required and fields["login"].pii == "flag"


def test_an_export_without_the_new_fields_loads_with_them_empty(tmp_path: Path) -> None:
    """Matters for every region whose export lags the contract. On failure: parse._rename_to_fields
    or normalise._not_delivered no longer honour `since`."""
    fields = load_config().datasets["gis_students"].fields
    old = [name for name, spec in fields.items() if not spec.since]
    path = _write(tmp_path / "gis_students_RU-DA_2026-W47.csv", old)
    table = normalise(
        read_delivered(path, "gis_students", "RU-DA"),
        "gis_students",
        LoadMeta(week="2026-W47", region="RU-DA", load_id="L1", source_file=path.name),
        snils_key(tmp_path),  # tests/conftest.py sets the test key
    )
    assert table.column("has_login").to_pylist() == [None]  # unknown, never «missing» (false)
    assert table.column("has_content_access").to_pylist() == [None]
    assert table.column("has_fio").to_pylist() == [False]  # delivered and empty: missing
    assert "login" not in table.column_names  # personal data: only the flag


def test_a_missing_mandatory_column_still_fails_by_name(tmp_path: Path) -> None:
    """Fields without `since` stay mandatory: the file fails with the column's name."""
    fields = [
        name for name, spec in load_config().datasets["gis_students"].fields.items() if name != "birthplace"
    ]
    path = _write(tmp_path / "gis_students_RU-DA_2026-W47.csv", fields)
    with pytest.raises(ParseFailed) as failure:
        read_delivered(path, "gis_students", "RU-DA")
    assert any(
        f.rule == "schema.missing_column" and "birthplace" in f.message for f in failure.value.findings
    )
