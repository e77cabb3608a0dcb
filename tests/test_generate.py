"""`edumon generate`: sample exports in the contract formats, deterministic, realistic, with defects.

One demo generation of 2 weeks with defects (a few seconds) is shared by the module; the
determinism test generates a second copy and compares bytes.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from pipelines.config import load_config, region_codes
from pipelines.sources.defects import DEFECTS, REDELIVERED
from pipelines.sources.generate import generate
from pipelines.sources.identifiers import org_inn_is_valid, person_inn_is_valid, snils_is_valid
from pipelines.sources.plan import national_size_model, region_profiles
from pipelines.sources.writers import delivered_header, export_file_name

WEEKS = ["2026-W46", "2026-W47"]
DEMO = ["RU-KB", "RU-SMO", "RU-DA", "RU-NEN"]  # RU-NEN: no regional ГИС (orchestration.yaml gis: none)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    generate("demo", out, weeks=2, seed=7, last_week="2026-W47", with_defects=True)
    return out


@pytest.fixture(scope="module")
def defect_names(demo: Path) -> set[str]:
    return set(json.loads((demo / "defects.json").read_text(encoding="utf-8")))


def _clean_files(demo: Path, defect_names: set[str]) -> list[tuple[str, str, str, Path]]:
    """(dataset, region, week, path) of every file that carries no defect."""
    config = load_config()
    files = []
    for region in DEMO:
        for dataset in config.expected_datasets(region):
            for week in WEEKS:
                name = export_file_name(dataset, region, week)
                redelivered_original = (demo / REDELIVERED / name).exists()
                if name not in defect_names and not redelivered_original:
                    files.append((dataset, region, week, demo / name))
    return files


def _read(path: Path, dataset: str, region: str) -> tuple[list[str], list[list[object]]]:
    """Parse a file in its declared format: header and rows."""
    fmt = load_config().file_format(dataset, region)
    if fmt.kind == "xlsx":
        workbook = openpyxl.load_workbook(path, read_only=True)
        rows = [list(r) for r in workbook[fmt.sheet or ""].iter_rows(values_only=True)]
        return [str(h) for h in rows[0]], rows[1:]
    if fmt.kind == "jsonl":
        objects = [json.loads(line) for line in path.read_text(encoding=fmt.encoding).splitlines()]
        return list(objects[0]), [list(o.values()) for o in objects]
    text = path.read_bytes().decode(fmt.encoding)  # strict: a wrong encoding raises here
    parsed = list(csv.reader(io.StringIO(text), delimiter=fmt.delimiter))
    return parsed[0], [list(r) for r in parsed[1:]]


def test_same_seed_writes_byte_identical_files(demo: Path, tmp_path: Path) -> None:
    """Two runs with the same seed write the same bytes in every file (XLSX included). Matters for
    idempotent re-runs of the pipeline. On failure, look for unseeded randomness, dict/set order,
    or a timestamp (XLSX docProps must use writers.XLSX_CREATED)."""
    generate("demo", tmp_path, weeks=2, seed=7, last_week="2026-W47", with_defects=True)
    first = sorted(p.relative_to(demo) for p in demo.rglob("*") if p.is_file())
    second = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert first == second
    different = [str(p) for p in first if (demo / p).read_bytes() != (tmp_path / p).read_bytes()]
    assert not different, f"files differ between two runs with one seed: {different}"


def test_demo_covers_every_dataset_region_and_week(demo: Path) -> None:
    """One file per expected dataset × region × week, named `{dataset}_{region}_{week}.{ext}` (no
    gis_* from a region without a ГИС). If a file is missing, the generator's dataset loop
    (generate.write_region_week) skipped it; if DEMO differs, the demo preset changed."""
    config = load_config()
    assert config.samples.presets["demo"].regions == DEMO
    for region in DEMO:
        for dataset in config.expected_datasets(region):
            for week in WEEKS:
                assert (demo / export_file_name(dataset, region, week)).exists(), (dataset, region, week)


def test_every_clean_file_parses_in_its_declared_format(demo: Path, defect_names: set[str]) -> None:
    """Each clean file reads back in its region's format with exactly the contract's columns
    (Russian headers where configured) and has rows. On failure the writer and orchestration.yaml
    disagree: fix writers.py, or the format entry if the region's real export changed."""
    config = load_config()
    for dataset, region, _, path in _clean_files(demo, defect_names):
        header, rows = _read(path, dataset, region)
        expected = delivered_header(config.datasets[dataset], config.file_format(dataset, region))
        assert header == expected, path.name
        assert rows, f"{path.name} has no rows"
        assert all(len(r) == len(expected) for r in rows), path.name


def test_region_formats_use_their_dates_booleans_and_values(demo: Path) -> None:
    """Smolensk: cp1251, `;`, dd.mm.yyyy, «да/нет», «М/Ж»; КБР: real Excel dates, «Да/Нет»;
    Dagestan: canonical ISO dates and true/false. A failure names the format that is off."""
    header, rows = _read(demo / "gis_students_RU-SMO_2026-W46.csv", "gis_students", "RU-SMO")
    assert header[4] == "Дата рождения"
    births = [r[4] for r in rows if r[4]]
    assert all(datetime.strptime(str(b), "%d.%m.%Y") for b in births)
    assert {r[header.index("Пол")] for r in rows} <= {"М", "Ж", ""}
    assert {r[header.index("Успеваемость")] for r in rows} <= {"да", "нет", ""}
    header, rows = _read(demo / "gis_students_RU-KB_2026-W47.xlsx", "gis_students", "RU-KB")
    dates = [r[header.index("Дата рождения")] for r in rows if r[header.index("Дата рождения")]]
    assert dates and all(isinstance(d, datetime | date) for d in dates)
    assert {r[header.index("Пол")] for r in rows} <= {"Мужской", "Женский", None}
    assert all(isinstance(r[1], str) and len(r[1]) == 10 for r in rows), "ИНН must stay text (leading 0)"
    header, rows = _read(demo / "gis_students_RU-DA_2026-W47.csv", "gis_students", "RU-DA")
    assert all(date.fromisoformat(str(r[header.index("birth_date")])) for r in rows if r[4])
    assert {r[header.index("has_performance")] for r in rows} <= {"true", "false", ""}


def test_identifiers_are_valid_except_a_small_share(demo: Path) -> None:
    """Org ИНН always pass the FNS checksum; personal СНИЛС / ИНН are valid except ~1–3 % (so the
    ingest rule «invalid counts as missing» has something to find). Tune
    population.INVALID_PERSONAL_ID_SHARE if the share drifts."""
    header, rows = _read(demo / "gis_students_RU-DA_2026-W47.csv", "gis_students", "RU-DA")
    assert all(org_inn_is_valid(str(r[1])) for r in rows)
    snils = [str(r[header.index("snils")]) for r in rows if r[header.index("snils")]]
    inns = [str(r[header.index("inn_person")]) for r in rows if r[header.index("inn_person")]]
    bad_snils = sum(not snils_is_valid(s) for s in snils) / len(snils)
    bad_inn = sum(not person_inn_is_valid(s) for s in inns) / len(inns)
    assert 0.005 < bad_snils < 0.04 and 0.005 < bad_inn < 0.04, (bad_snils, bad_inn)
    orgs = [
        json.loads(line) for line in (demo / "fgis_orgs_RU-KB_2026-W47.jsonl").read_text("utf-8").splitlines()
    ]
    assert all(org_inn_is_valid(o["inn"]) for o in orgs)
    assert {o["region"] for o in orgs} == {"RU-KB"}
    assert {"general", "management", "preschool"} <= {o["org_kind"] for o in orgs}
    assert any(not o["is_active"] for o in orgs), "some closed organisations are expected"


def test_activity_is_realistic(demo: Path) -> None:
    """Teacher chats: 20–35 % lively (≥ 10 messages); students' last activity spread over months;
    registrations grow week over week. On failure re-tune the curves at the top of population.py."""
    header, rows = _read(demo / "sferum_chats_RU-DA_2026-W46.csv", "sferum_chats", "RU-DA")
    teacher = [
        int(str(r[header.index("messages")])) for r in rows if r[header.index("creator_role")] == "teacher"
    ]
    lively = sum(m >= 10 for m in teacher) / len(teacher)
    assert 0.2 <= lively <= 0.35, lively
    header, rows = _read(demo / "sferum_users_RU-SMO_2026-W47.csv", "sferum_users", "RU-SMO")
    student_days = [str(r[5]) for r in rows if r[2] == "student" and r[5]]
    months = {d[:7] for d in student_days}
    assert len(months) >= 8, f"last_active_on should spread over months, got {sorted(months)}"
    previous = _read(demo / "sferum_users_RU-SMO_2026-W46.csv", "sferum_users", "RU-SMO")[1]
    assert len(rows) > len(previous), "registrations should grow week over week"


def test_defects_json_lists_every_defect_kind(demo: Path, defect_names: set[str]) -> None:
    """defects.json names one file per defect kind with its expected rule, and each file shows its
    fault. Matters for the gate tests downstream. On failure see defects.py's DEFECTS table."""
    manifest = json.loads((demo / "defects.json").read_text(encoding="utf-8"))
    assert sorted(v["kind"] for v in manifest.values()) == sorted(d.kind for d in DEFECTS)
    assert len(manifest) == len(DEFECTS)
    for name in manifest:
        assert (demo / name).exists(), name
    by_kind = {v["kind"]: name for name, v in manifest.items()}
    assert (demo / by_kind["empty_file"]).stat().st_size == 0
    duplicated = demo / by_kind["duplicated_file"]
    assert duplicated.read_bytes() == (demo / duplicated.name.replace("2026-W47", "2026-W46")).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        (demo / by_kind["wrong_encoding"]).read_bytes().decode("cp1251").encode("ascii")
    assert not (demo / by_kind["truncated_file"]).read_bytes().endswith(b"\n")
    redelivered = demo / by_kind["late_redelivery"]
    original = demo / redelivered.name
    assert redelivered.stat().st_size > original.stat().st_size


def test_national_size_model_has_real_magnitudes() -> None:
    """≈40 k schools, 17–18 M students, ≈1.1 M teachers, several million chats a week, big and tiny
    regions where they really are; computed without generating. Update region_profiles.csv if
    the statistics change."""
    model = national_size_model()
    total = model.total
    assert set(model.regions) == set(region_codes())
    assert 38_000 <= total.schools <= 43_000
    assert 17_000_000 <= total.students <= 18_000_000
    assert 1_000_000 <= total.teachers <= 1_200_000
    assert 2_000_000 <= total.chats_per_week <= 6_000_000
    students = {code: size.students for code, size in model.regions.items()}
    ranked = sorted(students, key=students.__getitem__, reverse=True)
    assert {"RU-MOW", "RU-MOS", "RU-KDA"} <= set(ranked[:5])
    assert {"RU-DA", "RU-BA"} <= set(ranked[:12])
    assert {"RU-CHU", "RU-NEN"} <= set(ranked[-3:])


def test_oktmo_prefixes_and_tax_codes_do_not_collide() -> None:
    """Municipality ОКТМО codes and org ИНН must be unique across regions; no region's ОКТМО prefix
    may start another's. Fix region_profiles.csv when this fails."""
    profiles = region_profiles().values()
    prefixes = [p["oktmo_prefix"] for p in profiles]
    assert not [(a, b) for a in prefixes for b in prefixes if a != b and b.startswith(a)]
    tax_codes = [p["tax_code"] for p in profiles]
    assert len(set(tax_codes)) == len(tax_codes)


def test_region_without_gis_sends_no_gis_files(demo: Path) -> None:
    """The demo's region without a ГИС (RU-NEN, `gis: none`; protocol 18.10.2022 p.11) gets its
    federal files and cc_requests and no gis_* file, and its schools connect the ФГИС e-journal (a
    regional e-journal needs a regional ГИС). On failure: write_region_week ignores
    Config.expected_datasets, or population.fgis_orgs ignores RegionPlan.has_gis."""
    written = sorted(p.name.split("_RU-NEN_")[0] for p in demo.iterdir() if "_RU-NEN_" in p.name)
    expected = load_config().expected_datasets("RU-NEN")
    assert written == sorted(expected * len(WEEKS)), written
    assert not [name for name in written if name.startswith("gis_")]
    orgs = [json.loads(line) for line in (demo / "fgis_orgs_RU-NEN_2026-W47.jsonl").open(encoding="utf-8")]
    assert {o["region"] for o in orgs} == {"RU-NEN"}
    assert {o["municipality"] for o in orgs} == {"городской округ «Город Нарьян-Мар»", "Заполярный район"}
    assert {o["ejournal"] for o in orgs if o["org_kind"] == "general"} <= {"fgis", "none"}
    schools = [o for o in orgs if o["org_kind"] == "general" and o["is_active"]]
    assert 0 < len(schools) <= 10, "keep the demo region small"


def test_fgis_content_grows_with_adoption_and_has_a_long_tail(demo: Path) -> None:
    """fgis_content (A11): teachers using verified content grow week over week, lessons are used
    far more than simulators, and no kind has more users than launches. On failure re-tune
    CONTENT_KINDS / CONTENT_WEEKLY_USE in population.py."""

    def users(week: str) -> dict[str, int]:
        header, rows = _read(demo / f"fgis_content_RU-KB_{week}.csv", "fgis_content", "RU-KB")
        totals: dict[str, int] = {}
        for row in rows:
            record = dict(zip(header, row, strict=True))
            assert int(str(record["users"])) <= int(str(record["launches"]))
            if record["role"] == "teacher":
                kind = str(record["content_kind"])
                totals[kind] = totals.get(kind, 0) + int(str(record["users"]))
        return totals

    before, after = users("2026-W46"), users("2026-W47")
    assert sum(after.values()) > sum(before.values())
    assert after["lesson"] > 3 * after.get("simulator", 0)


def test_seed_003_district_has_most_schools_below_half(demo: Path) -> None:
    """Seed 003 (Постановление №380): in Сергокалинский район most schools' students used «Сферум»
    in 12 months below 50 %, the named schools' shares spread over 18–49 %. On failure re-tune
    plan._laggard_use_share or the district's lateness in demo_regions.yaml."""
    orgs = [json.loads(line) for line in (demo / "fgis_orgs_RU-DA_2026-W47.jsonl").open(encoding="utf-8")]
    district = {
        o["inn"] for o in orgs if o["municipality"].startswith("Сергокал") and o["org_kind"] == "general"
    }
    header, rows = _read(demo / "gis_students_RU-DA_2026-W47.csv", "gis_students", "RU-DA")
    students: dict[str, int] = {}
    for row in rows:
        inn = str(row[header.index("org_inn")])
        students[inn] = students.get(inn, 0) + 1
    header, rows = _read(demo / "sferum_users_RU-DA_2026-W47.csv", "sferum_users", "RU-DA")
    active: dict[str, int] = {}
    for row in rows:
        record = dict(zip(header, row, strict=True))
        if record["role"] == "student" and str(record["last_active_on"] or "") >= "2025-11-22":
            active[str(record["org_inn"])] = active.get(str(record["org_inn"]), 0) + 1
    shares = sorted(active.get(inn, 0) / students[inn] for inn in district if students.get(inn))
    below = [s for s in shares if s < 0.5]
    assert len(below) >= 12 and len(below) > len(shares) / 2, shares
    assert min(below) >= 0.15 and max(below) - min(below) >= 0.15, shares
