"""A small lake in the exact lake schema, for the dbt build and publish tests (no generator needed).

Two regions (RU-KB, RU-SMO) × two weeks (2026-W46, 2026-W47): one municipality each with a
management body, two general schools and a closed school; users, chats, students, staff and ФГИС
content; one rejected delivery (RU-SMO gis_staff in 2026-W47), so the rating has a region with
«неполные данные» (A3, A4 and A11 lack their ГИС staff: 0.40 of the weight, spread over the rest).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb

from pipelines.contracts import lake_columns

WEEKS = ("2026-W46", "2026-W47")
WEEK_SUNDAY = {"2026-W46": "2026-11-15", "2026-W47": "2026-11-22"}
REGIONS = {"RU-KB": ("83", "07"), "RU-SMO": ("66", "67")}  # ОКТМО prefix, ИНН prefix
REJECTED = ("gis_staff", "RU-SMO", "2026-W47")


def _inn(region: str, number: int) -> str:
    return f"{REGIONS[region][1]}{number:08d}"


def _orgs(region: str) -> list[dict[str, Any]]:
    oktmo = f"{REGIONS[region][0]}610000"
    base = {"oktmo": oktmo, "municipality": f"Район {region}", "ejournal": "fgis", "is_active": True}
    return [
        {
            **base,
            "org_id": f"{region}-0",
            "inn": _inn(region, 0),
            "name": "Управление образования",
            "org_kind": "management",
            "official_community": "none",
        },
        {
            **base,
            "org_id": f"{region}-1",
            "inn": _inn(region, 1),
            "name": "МБОУ СОШ №1",
            "org_kind": "general",
            "official_community": "verified",
        },
        {
            **base,
            "org_id": f"{region}-2",
            "inn": _inn(region, 2),
            "name": "МБОУ СОШ №2",
            "org_kind": "general",
            "official_community": "created",
            "ejournal": "none",
        },
        {
            **base,
            "org_id": f"{region}-3",
            "inn": _inn(region, 3),
            "name": "МКОУ ООШ №3 (закрыта)",
            "org_kind": "general",
            "official_community": "none",
            "is_active": False,
        },
    ]


def _students(region: str, week: str) -> list[dict[str, Any]]:
    rows = []
    for school in (1, 2):
        for n in range(4):
            complete = n < 3 - school + 1  # school 1: 3 of 4 complete, school 2: 2 of 4
            rows.append(
                {
                    "student_id": f"{region}-s{school}{n}",
                    "org_inn": _inn(region, school),
                    "class_label": "5А" if n < 2 else "6Б",
                    "has_fio": True,
                    "has_birth_date": True,
                    "native_language": "русский",
                    "sex": "M" if n % 2 else "F",
                    "citizenship": "RU",
                    "has_snils": complete,
                    "snils_hash": f"h-{region}-{school}{n}" if complete else None,
                    "has_personal_file_no": True,
                    "education_form": "full_time",
                    "has_id_document": True,
                    "has_registration_address": True,
                    "has_birthplace": True,
                    "has_physical": n != 0,
                    "portfolio_docs": n,
                    "has_recommendations": n >= 2,  # C2: recommendations on a portfolio (n ≥ 1 documents)
                    "enrolled_on": "2025-09-01",
                    "has_email": True,
                    "has_inn_person": True,
                    "has_actual_address": True,
                    "has_login": True,
                    "has_content_access": n < 2,  # C7: 2 of 4 per school
                }
            )
    return rows


def _rows(dataset: str, region: str, week: str) -> list[dict[str, Any]]:
    sunday = WEEK_SUNDAY[week]
    schools = (_inn(region, 1), _inn(region, 2))
    if dataset == "fgis_orgs":
        return _orgs(region)
    if dataset == "fgis_users":
        return [
            {
                "user_key": f"{region}-fu{i}",
                "org_inn": schools[i % 2],
                "role": role,
                "registered_on": "2025-09-01",
                "profile_status": "inactive" if i == 0 else "active",
            }
            for i, role in enumerate(["teacher", "teacher", "student", "student", "student", "student"])
        ]
    if dataset == "sferum_orgs":
        # School 1 active, school 2 inactive; the management body registered (A8).
        return [
            {
                "org_inn": inn,
                "sferum_org_id": f"sf-{inn}",
                "connected_on": "2025-09-01",
                "status": "active" if i != 1 else "inactive",
            }
            for i, inn in enumerate((schools[0], schools[1], _inn(region, 0)))
        ]
    if dataset == "fgis_content":
        # A11: school 1's one ФГИС teacher used lessons and tests (the largest kind counts: 1).
        return [
            {"org_inn": schools[0], "role": role, "content_kind": kind, "launches": 3, "users": 1}
            for role, kind in (("teacher", "lesson"), ("teacher", "test"), ("student", "lesson"))
        ]
    if dataset == "sferum_users":
        return [
            {
                "user_key": f"{region}-su{i}",
                "org_inn": schools[i % 2],
                "role": role,
                "registered_on": "2025-09-01",
                "activated": True,
                "last_active_on": sunday,
            }
            for i, role in enumerate(["teacher", "teacher", "student", "student", "student"])
        ]
    if dataset == "sferum_chats":
        return [
            {
                "chat_id": f"{region}-c{i}",
                "org_inn": schools[0],
                "chat_kind": "class",
                "class_label": label,
                "creator_role": "teacher",
                "created_on": "2025-09-02",
                "messages": messages,
                "members": 20,
                "class_teacher_member": True,
            }
            for i, (label, messages) in enumerate([("5А", 10), ("6Б", 9)])
        ]
    if dataset == "gis_students":
        return _students(region, week)
    if dataset == "gis_staff":
        return [
            {
                "staff_id": f"{region}-t{i}",
                "org_inn": schools[i % 2],
                "has_fio": True,
                "has_snils": True,
                "snils_hash": f"t-{region}-{i}",
                "position": "учитель",
                "is_pedagogical": True,
                "has_content_access": i == 0,
            }
            for i in range(2)
        ]
    if dataset == "gis_exchange":
        return [
            {
                "system": "ГИС",
                "exchanged_at": f"{sunday} 12:00:00",
                "direction": "to_fgis",
                "status": "ok" if region == "RU-KB" else "error",
                "records": 10,
            }
        ]
    if dataset == "cc_requests":
        return [
            {
                "request_id": f"{region}-{week}-r{i}",
                "org_inn": schools[0],
                "received_at": f"{sunday} 09:00:00",
                "channel": "hotline",
                "category": "access",
                "status": "resolved",
                "resolved_at": f"{sunday} {10 + 2 * i}:00:00",
                "escalated_to": "none" if i else "vendor",
            }
            for i in range(3)
        ]
    raise KeyError(dataset)


def _write_partition(con: duckdb.DuckDBPyConnection, lake: Path, dataset: str, region: str, week: str) -> int:
    columns = lake_columns(dataset)
    rows = _rows(dataset, region, week)
    path = lake / dataset / f"region={region}" / f"week={week}" / "data.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    load_id = f"{dataset[:4]}{region}{week}"
    meta = {
        "week": week,
        "region": region,
        "load_id": load_id,
        "source_file": f"{dataset}_{region}_{week}.csv",
    }
    values = [
        [{**row, **meta, "source_row": i + 1}.get(c.name) for c in columns] for i, row in enumerate(rows)
    ]
    casts = ", ".join(f"try_cast(c{i} as {c.type}) as {c.name}" for i, c in enumerate(columns))
    raw = ", ".join(f"c{i} varchar" for i in range(len(columns)))
    con.execute(f"create or replace temp table raw_rows ({raw})")
    con.executemany(
        f"insert into raw_rows values ({', '.join('?' * len(columns))})",
        [
            [None if v is None else str(v).lower() if isinstance(v, bool) else str(v) for v in row]
            for row in values
        ],
    )
    con.execute(f"copy (select {casts} from raw_rows) to '{path}' (format parquet)")
    return len(rows)


def build_lake(lake: Path, datasets: list[str]) -> Path:
    """Write every dataset's partitions and the load log; returns the lake folder."""
    entries = []
    with duckdb.connect() as con:
        for week in WEEKS:
            for region in REGIONS:
                for dataset in datasets:
                    entry = {
                        "dataset": dataset,
                        "region": region,
                        "week": week,
                        "source_file": f"{dataset}_{region}_{week}.csv",
                        "sha256": "0" * 64,
                        "checked_at": f"{WEEK_SUNDAY[week]}T20:00:00+03:00",
                        "report": None,
                        "reason": None,
                        "rule": None,
                    }
                    if (dataset, region, week) == REJECTED:
                        entries.append(
                            {
                                **entry,
                                "load_id": "rejected1",
                                "rows": 2,
                                "status": "rejected",
                                "reason": "строка 2: СНИЛС не прошёл проверку",
                                "rule": "snils_checksum",
                            }
                        )
                        continue
                    rows = _write_partition(con, lake, dataset, region, week)
                    entries.append(
                        {**entry, "load_id": f"{dataset[:4]}{region}{week}", "rows": rows, "status": "loaded"}
                    )
    meta = lake / "_meta"
    meta.mkdir(parents=True, exist_ok=True)
    (meta / "load_log.jsonl").write_text(
        "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries), encoding="utf-8"
    )
    return lake


def test_fixture_lake_has_the_lake_schema(tmp_path: Path) -> None:
    """The fixture lake's Parquet has exactly lake_columns(dataset) per dataset.

    Matters because the dbt tests build on it: a drifted fixture would test a schema ingest never
    writes. On failure, update `_rows` / `_write_partition` to pipelines.contracts.lake_columns.
    """
    from pipelines.config import load_config

    datasets = list(load_config().datasets)
    lake = build_lake(tmp_path / "lake", datasets)
    with duckdb.connect() as con:
        for dataset in datasets:
            described = con.execute(
                f"describe select * from read_parquet('{lake}/{dataset}/*/*/*.parquet')"
            ).fetchall()
            assert [(r[0], r[1]) for r in described] == [(c.name, c.type) for c in lake_columns(dataset)]
