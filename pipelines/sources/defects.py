"""`edumon generate --defects`: one file per real-world delivery fault, and DIR/defects.json.

Each defect replaces the clean file of one partition (of the last week, except the re-delivery),
or adds a file (unknown region, re-delivery), so the clean data of every other partition still
loads and no file carries two faults. `DEFECTS` is the catalogue docs/sources.md is generated from.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipelines.config import FileFormat, load_config
from pipelines.sources import population as pop
from pipelines.sources.identifiers import make_org_inn
from pipelines.sources.plan import RegionPlan
from pipelines.sources.writers import export_file_name

REDELIVERED = "redelivered"
UNKNOWN_REGION = "RU-XX"


@dataclass(frozen=True)
class Defect:
    kind: str
    dataset: str
    region: str
    week_offset: int  # 0 = the last week, -1 = the week before
    rule: str  # the gate rule (or load-log status) that must catch it
    description: str  # what is wrong, in Russian for the reader of docs/sources.md


DEFECTS = (
    Defect("wrong_encoding", "gis_students", "RU-SMO", 0, "file.encoding",
           "файл в UTF-8, хотя регион поставляет cp1251: заголовки не совпадают с контрактом"),
    Defect("missing_column", "gis_staff", "RU-SMO", 0, "schema.missing_column",
           "нет обязательной колонки «Педагогический работник» (is_pedagogical)"),
    Defect("renamed_column", "sferum_users", "RU-KB", 0, "schema.unexpected_column",
           "колонка last_active_on переименована в last_activity_date"),
    Defect("unparseable_date", "gis_staff", "RU-DA", 0, "field.type",
           "в hired_on встречаются «31.02.2026» и «вчера»: дата не разбирается"),
    Defect("negative_count", "sferum_chats", "RU-DA", 0, "field.min",
           "отрицательное число сообщений (messages < 0) в нескольких строках"),
    Defect("unknown_enum", "fgis_users", "RU-DA", 0, "field.enum",
           "роль «tutor», которой нет в списке значений role"),
    Defect("duplicate_key", "sferum_orgs", "RU-SMO", 0, "key.unique",
           "одна организация (org_inn) повторена дважды"),
    Defect("duplicated_file", "sferum_chats", "RU-SMO", 0, "file.duplicate_of_previous",
           "файл прошлой недели переслан байт в байт под именем этой недели"),
    Defect("truncated_file", "fgis_users", "RU-SMO", 0, "file.parse",
           "файл обрезан посреди строки (передача оборвалась)"),
    Defect("empty_file", "gis_exchange", "RU-KB", 0, "file.empty",
           "файл нулевой длины"),
    Defect("late_redelivery", "sferum_users", "RU-DA", -1, "load.replaced",
           "исходный файл прошлой недели неполон (без одного муниципалитета); исправленный файл "
           "с тем же именем приходит позже в redelivered/ и заменяет партицию (статус replaced)"),
    Defect("unknown_region", "sferum_chats", UNKNOWN_REGION, 0, "file.unknown_region",
           "файл для несуществующего региона RU-XX (статус unrecognized)"),
    Defect("foreign_inn", "sferum_orgs", "RU-KB", 0, "registry.foreign_inn",
           "строки с корректным по контрольной сумме ИНН, которого нет в реестре организаций ФГИС"),
)  # fmt: skip


def defect_file_name(defect: Defect, weeks: list[str]) -> str:
    """The path (relative to DIR) of the file that carries the defect."""
    week = weeks[len(weeks) - 1 + defect.week_offset]
    if defect.region == UNKNOWN_REGION:
        return f"{defect.dataset}_{UNKNOWN_REGION}_{week}.csv"
    name = export_file_name(defect.dataset, defect.region, week)
    return f"{REDELIVERED}/{name}" if defect.kind == "late_redelivery" else name


# ---------------------------------------------------------------- reading and writing CSV text
def _read_csv(path: Path, fmt: FileFormat) -> tuple[list[str], list[list[str]]]:
    text = path.read_bytes().decode(fmt.encoding)
    rows = list(csv.reader(io.StringIO(text), delimiter=fmt.delimiter))
    return rows[0], rows[1:]


def _write_csv(
    path: Path, fmt: FileFormat, header: list[str], rows: list[list[str]], encoding: str = ""
) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=fmt.delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding or fmt.encoding))


def _edit_csv(path: Path, fmt: FileFormat, edit: Callable[[list[str], list[list[str]]], None]) -> None:
    header, rows = _read_csv(path, fmt)
    edit(header, rows)
    _write_csv(path, fmt, header, rows)


def _column(header: list[str], fmt: FileFormat, field: str) -> int:
    return header.index(fmt.columns.get(field, field))


# ---------------------------------------------------------------- the faults
def _apply(defect: Defect, path: Path, previous: Path, fmt: FileFormat) -> None:
    kind = defect.kind
    if kind == "wrong_encoding":
        header, rows = _read_csv(path, fmt)
        _write_csv(path, fmt, header, rows, encoding="utf-8")
    elif kind == "missing_column":
        header, rows = _read_csv(path, fmt)
        drop = _column(header, fmt, "is_pedagogical")
        _write_csv(path, fmt, header[:drop] + header[drop + 1 :], [r[:drop] + r[drop + 1 :] for r in rows])
    elif kind == "renamed_column":
        _edit_csv(
            path, fmt, lambda h, _: h.__setitem__(_column(h, fmt, "last_active_on"), "last_activity_date")
        )
    elif kind == "unparseable_date":
        _edit_csv(path, fmt, lambda h, r: _set_values(h, r, fmt, "hired_on", ["31.02.2026", "вчера"]))
    elif kind == "negative_count":
        _edit_csv(path, fmt, lambda h, r: _set_values(h, r, fmt, "messages", ["-5", "-1"]))
    elif kind == "unknown_enum":
        _edit_csv(path, fmt, lambda h, r: _set_values(h, r, fmt, "role", ["tutor"]))
    elif kind == "duplicate_key":
        _edit_csv(path, fmt, lambda _, r: r.insert(len(r) // 2, list(r[0])))
    elif kind == "duplicated_file":
        shutil.copyfile(previous, path)
    elif kind == "truncated_file":
        data = path.read_bytes()
        cut = data.rfind(b"\n", 0, len(data) * 2 // 3) + 1
        path.write_bytes(data[: cut + 17])  # header and whole rows, then 17 bytes of the next row
    elif kind == "empty_file":
        path.write_bytes(b"")
    elif kind == "foreign_inn":
        _edit_csv(path, fmt, lambda h, r: _set_values(h, r, fmt, "org_inn", [_foreign_inn(defect)]))
    else:
        raise ValueError(f"no writer for defect {kind}")


def _set_values(
    header: list[str], rows: list[list[str]], fmt: FileFormat, field: str, values: list[str]
) -> None:
    """Put each bad value into a few rows spread over the file."""
    column = _column(header, fmt, field)
    step = max(1, len(rows) // 7)
    for n, row in enumerate(rows[::step][:6]):
        row[column] = values[n % len(values)]


def _foreign_inn(defect: Defect) -> str:
    """A checksum-valid ИНН from a tax-code block no plan ever uses (serials stay below 10⁷)."""
    return make_org_inn("99", 9_999_999)


def write_defects(
    plans: dict[str, RegionPlan], weeks: list[str], seed: int, out: Path
) -> dict[str, dict[str, str]]:
    """Apply every defect of `DEFECTS` to the generated files; write DIR/defects.json."""
    config = load_config()
    missing = sorted({d.region for d in DEFECTS if d.region != UNKNOWN_REGION} - set(plans))
    if missing or len(weeks) < 2:
        raise ValueError(f"--defects needs regions {missing or 'RU-KB, RU-SMO, RU-DA'} and at least 2 weeks")
    manifest: dict[str, dict[str, str]] = {}
    for defect in DEFECTS:
        week = weeks[len(weeks) - 1 + defect.week_offset]
        name = defect_file_name(defect, weeks)
        target = out / name
        if defect.kind == "unknown_region":
            source = out / export_file_name(defect.dataset, "RU-DA", week)
            shutil.copyfile(source, target)
        elif defect.kind == "late_redelivery":
            _write_redelivery(plans[defect.region], defect, week, seed, out)
        else:
            previous = out / export_file_name(defect.dataset, defect.region, weeks[-2])
            _apply(defect, target, previous, config.file_format(defect.dataset, defect.region))
        manifest[name] = {
            "kind": defect.kind,
            "expected_rule": defect.rule,
            "description": defect.description,
        }
    (out / "defects.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return manifest


def _write_redelivery(plan: RegionPlan, defect: Defect, week_label: str, seed: int, out: Path) -> None:
    """The original delivery lacks the region's last municipality; the correction is complete."""
    from pipelines.sources.generate import write_region_week

    week = pop.Week(week_label, seed, pop.school_year_of(week_label))
    corrected = out / REDELIVERED
    write_region_week(plan, week, corrected, [defect.dataset])
    last = plan.municipalities[-1].index
    write_region_week(plan, week, out, [defect.dataset], keep_municipality=lambda m: m.index != last)
