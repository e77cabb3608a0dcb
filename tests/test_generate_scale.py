"""`edumon generate --regions/--scale`: a subset of the preset's regions and a shrunk national preset.

The benchmark (benchmarks/national.py) and CI rely on both: a CI-sized country must keep every
region's delivered format, stay deterministic for a seed, and shrink the counts in proportion. The
generations here are tiny (a few thousand rows, seconds).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pipelines.cli import main as edumon
from pipelines.sources.generate import generate
from pipelines.sources.plan import RegionPlan, plan_national_region, region_profiles, scaled_size
from pipelines.sources.writers import export_file_name

SEED = 11
WEEK = "2026-W47"
# RU-KB delivers students as XLSX, RU-SMO as cp1251 CSV with ';', RU-KL canonical CSV: every writer.
REGIONS = ["RU-KB", "RU-SMO", "RU-KL"]


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _general_schools(plan: RegionPlan) -> int:
    return sum(o.kind == "general" for m in plan.municipalities for o in m.orgs)


def test_scale_shrinks_schools_and_students_in_proportion() -> None:
    """At --scale F a region plans about F × its schools and students, never fewer than one school.

    Matters because the CI smoke run and the 52-week benchmark stand in for the country: the mix of
    school sizes must stay the same, only the number of schools shrinks. On failure: look at
    plan.scaled_size and how plan_national_region uses it.
    """
    code = "RU-SMO"
    profile = region_profiles()[code]
    schools, students = int(profile["schools"]), int(profile["students"])
    for scale in (0.5, 0.1, 0.02):
        kept, expected_students = scaled_size(schools, students, scale)
        assert kept == max(1, round(schools * scale))
        plan = plan_national_region(code, SEED, scale)
        assert _general_schools(plan) == kept  # closed schools included
        mean_full = students / schools
        assert expected_students / kept == pytest.approx(mean_full, rel=0.01)
    assert scaled_size(3, 900, 0.0001) == (1, 300)
    full = plan_national_region(code, SEED)
    assert _general_schools(full) == schools
    with pytest.raises(ValueError):
        scaled_size(schools, students, 0)
    with pytest.raises(ValueError):
        scaled_size(schools, students, 1.5)


def test_scaled_run_keeps_formats_and_is_deterministic(tmp_path: Path) -> None:
    """Two scaled generations with one seed write the same bytes, in the regions' own formats, and a
    larger scale writes more rows.

    Matters for re-runs of the benchmark (same input, comparable figures) and because the smoke
    run must exercise every format the ingest parses. On failure: a nondeterministic value crept
    into a scaled path (plan_national_region), or the file names/extensions changed.
    """
    first = generate("national", tmp_path / "a", 1, SEED, WEEK, regions=REGIONS, scale=0.01)
    generate("national", tmp_path / "b", 1, SEED, WEEK, regions=REGIONS, scale=0.01)
    assert _digests(tmp_path / "a") == _digests(tmp_path / "b")
    names = {p.name for p in (tmp_path / "a").iterdir()}
    assert export_file_name("gis_students", "RU-KB", WEEK) in names  # .xlsx
    assert export_file_name("gis_students", "RU-SMO", WEEK) in names
    assert export_file_name("gis_students", "RU-KB", WEEK).endswith(".xlsx")
    smo = (tmp_path / "a" / export_file_name("gis_students", "RU-SMO", WEEK)).read_bytes()
    smo.decode("cp1251")  # strict: the region's encoding survives scaling
    assert b";" in smo.splitlines()[0]
    larger = generate("national", tmp_path / "c", 1, SEED, WEEK, regions=REGIONS, scale=0.03)
    assert first.rows["gis_students"] > 0
    assert larger.rows["gis_students"] > 2 * first.rows["gis_students"]
    assert larger.rows["gis_staff"] > first.rows["gis_staff"]


def test_region_subset_writes_the_same_files_as_the_full_selection(tmp_path: Path) -> None:
    """--regions keeps only the named regions, and each region's files are byte-identical to the ones
    a larger selection writes.

    Matters because a national landing may be written in parts (resumed, or split across runs) and
    the parts must add up to the whole. On failure: something in a region's plan or rows depends on
    which other regions are generated (generation order, shared counters).
    """
    generate("national", tmp_path / "all", 1, SEED, WEEK, regions=REGIONS, scale=0.01)
    subset = generate("national", tmp_path / "one", 1, SEED, WEEK, regions=["RU-SMO"], scale=0.01)
    assert subset.regions == ["RU-SMO"]
    written = _digests(tmp_path / "one")
    assert written and all("_RU-SMO_" in name for name in written)
    everything = _digests(tmp_path / "all")
    assert {name: everything[name] for name in written} == written


def test_cli_rejects_bad_scale_and_unknown_regions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`edumon generate` refuses --scale outside (0, 1], a region not in the preset, and --scale on
    the demo preset, with a message and a non-zero exit, writing nothing.

    Matters because a silently ignored option would benchmark the wrong size. On failure: see the
    argument types in pipelines/sources/commands.py and selected_regions in generate.py.
    """
    out = tmp_path / "out"
    for argv in (
        ["generate", "--preset", "national", "--scale", "0", "--out", str(out)],
        ["generate", "--preset", "national", "--scale", "2", "--out", str(out)],
    ):
        with pytest.raises(SystemExit) as exit_info:
            edumon(argv)
        assert exit_info.value.code == 2
    assert edumon(["generate", "--preset", "demo", "--regions", "RU-MOW", "--out", str(out)]) == 2
    assert "RU-MOW" in capsys.readouterr().err
    assert edumon(["generate", "--preset", "demo", "--scale", "0.5", "--out", str(out)]) == 2
    assert not out.exists() or not any(out.iterdir())
