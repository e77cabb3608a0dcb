"""Pieces of the national benchmark (benchmarks/national.py) that need no pipeline run: the floor's
format readers and the mapping of Dagster steps to the table's stages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import xlsxwriter

from benchmarks.national import (
    MB,
    STAGES,
    TARGETS,
    MemorySample,
    RunFigures,
    TreeMemory,
    _union_length,
    count_rows,
    cpu_during,
    peak_during,
    ratios,
    split_by_week,
    stage_of_step,
    step_packages,
)
from benchmarks.national import Measure as BenchMeasure
from pipelines.config import load_config


def test_floor_reads_xlsx_on_the_region_sheet(tmp_path: Path) -> None:
    """An XLSX delivery (КБР) is counted on the sheet its format names, header excluded.

    On failure: the region's sheet name in orchestration.yaml or python-calamine's API changed.
    """
    sheet = load_config().file_format("gis_students", "RU-KB").sheet
    path = tmp_path / "gis_students_RU-KB_2026-W47.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    workbook.add_worksheet("Лист-пустышка").write_row(0, 0, ["a"])
    target = workbook.add_worksheet(str(sheet))
    for row in range(4):
        target.write_row(row, 0, ["Код обучающегося", "Класс"] if row == 0 else [f"s{row}", "5А"])
    workbook.close()
    assert count_rows(path) == 3


def test_floor_transcodes_a_cp1251_csv(tmp_path: Path) -> None:
    """A Smolensk cp1251 `;` CSV is counted through the transcoding reader, quoted newlines included.

    On failure: the region's encoding or delimiter changed in orchestration.yaml, or the pyarrow
    streaming reader's options did.
    """
    fmt = load_config().file_format("gis_students", "RU-SMO")
    assert fmt.encoding.lower() in ("cp1251", "windows-1251")
    path = tmp_path / "gis_students_RU-SMO_2026-W47.csv"
    separator = fmt.delimiter
    lines = [f"Код{separator}Класс{separator}Адрес"] + [
        f's{i}{separator}5А{separator}"ул. Ленина,\nд. {i}"' for i in range(5)
    ]
    path.write_bytes("\r\n".join(lines).encode("cp1251"))
    assert count_rows(path) == 5


def test_every_registered_asset_belongs_to_a_stage() -> None:
    """Each Dagster asset of pipelines/definitions.py maps to one of the table's stages.

    Matters because an unmapped asset's time would land in "other" and vanish from the table.
    On failure: add the asset's package (or a word of its op name) to STAGE_OF_PACKAGE /
    STAGE_OF_NAME in benchmarks/national.py.
    """
    packages = step_packages()
    assert packages, "no assets registered in pipelines/definitions.py"
    unmapped = {op: package for op, package in packages.items() if stage_of_step(op, packages) not in STAGES}
    assert not unmapped


def test_parallel_steps_count_once() -> None:
    """Overlapping step intervals count once in a stage's wall time (2 cores run steps in parallel).

    On failure: _union_length double counts or drops a gap.
    """
    assert _union_length([(0.0, 4.0), (1.0, 3.0), (5.0, 6.0), (5.5, 7.0)]) == 6.0
    assert _union_length([]) == 0.0


def test_stage_cpu_is_the_tree_cpu_inside_its_steps() -> None:
    """A stage's CPU is the process tree's CPU during its steps, each sampling interval by overlap.

    Matters because the table's per-stage CPU comes from this split (a run's steps share one
    process tree). On failure: cpu_during mis-weights partial overlaps or counts a span twice.
    """
    samples = [(0.0, 0.0), (1.0, 1.0), (2.0, 1.5), (3.0, 3.5), (4.0, 3.5)]
    assert cpu_during(samples, [(0.0, 4.0)]) == 3.5
    assert cpu_during(samples, [(1.0, 3.0)]) == 2.5
    assert cpu_during(samples, [(0.5, 1.5)]) == 0.5 + 0.25
    assert cpu_during(samples, [(1.0, 2.0), (1.0, 2.0)]) == 0.5  # overlapping spans once
    assert cpu_during(samples[:1], [(0.0, 4.0)]) == 0.0


def test_landing_is_linked_by_week_and_left_in_place(tmp_path: Path) -> None:
    """With --landing the harness hard-links the files into one folder per week (the last N weeks,
    the named regions) and leaves the shared landing untouched.

    Matters because the national landing is shared by several benchmarks. On failure: see
    split_by_week's link mode in benchmarks/national.py.
    """
    landing = tmp_path / "landing"
    landing.mkdir()
    for week in ("2026-W45", "2026-W46", "2026-W47"):
        for region in ("RU-SMO", "RU-KB"):
            (landing / f"sferum_orgs_{region}_{week}.csv").write_text("x\n", encoding="utf-8")
    by_week = split_by_week(landing, tmp_path / "weeks", {"RU-SMO"}, link=True, weeks=2)
    assert list(by_week) == ["2026-W46", "2026-W47"]
    assert all(len(files) == 1 and "RU-SMO" in files[0].name for files in by_week.values())
    assert len(list(landing.iterdir())) == 6
    assert by_week["2026-W47"][0].stat().st_nlink == 2


def test_ratios_name_every_target() -> None:
    """The ratios printed under the table use the names of TARGETS, from the last week's run.

    On failure: a ratio was renamed without its target (or the reverse) in benchmarks/national.py.
    """
    floor = BenchMeasure("floor", wall_s=10.0)
    first, last = RunFigures(60.0, (4.0, 4.0), 6.0), RunFigures(40.0, (2.0, 2.0), 2.0)
    figures = ratios(
        [(floor, first), (floor, last)], 2048.0, "backfill RU-MOW 2026-W47", RunFigures(15, None, 1)
    )
    assert set(TARGETS) <= set(figures)
    assert figures["weekly run / floor"] == 4.0
    assert figures["validation (GE gates) / floor"] == 0.2
    assert figures["fixed Dagster + dbt overhead share"] == 0.05
    assert figures["last week / first week run"] == 40.0 / 60.0
    assert figures["peak resident memory GB"] == 2.0


def test_stage_peak_is_the_highest_tree_sample_inside_its_steps() -> None:
    """A stage's peak RSS is the largest tree sample taken during its steps, with the edumon
    process's part of that same sample. On failure: peak_during picks samples outside the spans."""
    samples = [MemorySample(t, tree, root) for t, tree, root in ((0, 5, 5), (1, 9, 2), (2, 7, 7), (3, 8, 8))]
    assert peak_during(samples, [(0.5, 2.5)]) == samples[1]
    assert peak_during(samples, [(1.5, 2.5), (2.9, 3.1)]) == samples[3]
    assert peak_during(samples, [(3.5, 4.0)]) is None
    line = BenchMeasure("  dbt build + tests")
    line.set_peak(samples[1])
    assert (line.peak_rss_mb, line.peak_edumon_mb) == (9 / MB, 2 / MB)


def test_tree_memory_counts_a_grandchild_and_not_in_the_roots_part() -> None:
    """The sampler sums the whole tree: a grandchild (as dbt is edumon's child) holding 200 MB
    shows in the tree's peak, not in the root process's own RSS. Matters: issue 13's target is the
    tree's peak. On failure: _tree misses descendants or _rss_bytes reads the wrong field."""
    allocate = "import time; block = b'x' * (200 * 2**20); time.sleep(2)"  # written: resident
    parent = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {allocate!r}], check=True)"
    process = subprocess.Popen([sys.executable, "-c", parent])
    with TreeMemory(process.pid, interval_s=0.05) as memory:
        assert process.wait(timeout=60) == 0
    peak = memory.peak
    assert peak is not None
    assert peak.tree_bytes >= 200 * MB
    assert peak.tree_bytes - peak.root_bytes >= 200 * MB, "the grandchild's memory counted as the root's"
    assert memory.peak_bytes == peak.tree_bytes
