"""Pieces of the national benchmark (benchmarks/national.py) that need no pipeline run: the floor's
format readers and the mapping of Dagster steps to the table's stages."""

from __future__ import annotations

from pathlib import Path

import xlsxwriter

from benchmarks.national import STAGES, _union_length, count_rows, stage_of_step, step_packages
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
