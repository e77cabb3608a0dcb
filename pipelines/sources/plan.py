"""Who exists in the sample data: regions → municipalities → organisations, and the size model.

A plan is week-independent: the same seed gives the same organisations with the same ИНН every
week, so snapshots stay consistent. Schools carry their size and a `lateness` (days) that shifts
their adoption S-curve, so laggard schools and districts exist. The national preset sizes regions
from `region_profiles.csv` (real magnitudes: ≈17.5 M students in ≈40 k schools).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from pipelines.config import load_config, region_rows
from pipelines.sources import names
from pipelines.sources.identifiers import make_org_inn

HERE = Path(__file__).resolve().parent
REGION_PROFILES = HERE / "region_profiles.csv"
DEMO_REGIONS = HERE / "demo_regions.yaml"

STUDENTS_PER_TEACHER = 15.9  # ≈ 17.5 M students / 1.1 M teachers (Минпросвещения, 2024)
SUPPORT_STAFF_SHARE = 0.3  # non-pedagogical staff per teacher
# Other organisations per general-education school (for fgis_orgs only: they have no roster).
OTHER_ORGS_PER_SCHOOL = {"vocational": 0.08, "additional": 0.12, "preschool": 0.3}
CLOSED_SCHOOL_SHARE = 0.02
SCHOOLS_PER_MUNICIPALITY = 18  # ≈ 40 k schools / 2.2 k municipal districts and urban okrugs
NATIONAL_LATENESS_SD_DAYS = (60.0, 45.0, 40.0)  # region, municipality, school


@dataclass(frozen=True)
class Org:
    serial: int  # unique inside the region; stable across weeks
    inn: str
    ogrn: str
    name: str
    kind: str  # general / vocational / additional / preschool / management
    is_active: bool
    students: int = 0
    lateness: float = 0.0  # days the school's adoption curve lags the region's
    diligence: float = 0.8  # how carefully the school keeps profiles (0–1)
    # Share of the school's students who use «Сферум» at all: seed 003's laggard schools are
    # registered but fewer than half of their students used it in 12 months (18–49 % there).
    sferum_use_share: float = 1.0
    person_base: int = 0  # first person number of its students and staff (unique in the country)


@dataclass(frozen=True)
class Municipality:
    index: int
    name: str
    oktmo: str
    town: str
    orgs: tuple[Org, ...]
    lateness: float

    @property
    def schools(self) -> tuple[Org, ...]:
        return tuple(o for o in self.orgs if o.kind == "general" and o.is_active)


@dataclass(frozen=True)
class RegionPlan:
    code: str
    index: int  # position in ref_regions.csv: part of every random stream's seed
    name: str
    tax_code: str
    languages: dict[str, float]
    surname_caucasus_share: float
    municipalities: tuple[Municipality, ...]
    lateness: float = 0.0
    has_gis: bool = True  # false: no regional ГИС (orchestration.yaml regions.<code>.gis: none)

    @property
    def orgs(self) -> list[Org]:
        return [o for m in self.municipalities for o in m.orgs]


@dataclass(frozen=True)
class RegionSize:
    region_code: str
    schools: int
    students: int
    teachers: int
    chats_per_week: int


@dataclass(frozen=True)
class SizeModel:
    regions: dict[str, RegionSize] = field(default_factory=dict)

    @property
    def total(self) -> RegionSize:
        values = self.regions.values()
        return RegionSize(
            "RU",
            sum(r.schools for r in values),
            sum(r.students for r in values),
            sum(r.teachers for r in values),
            sum(r.chats_per_week for r in values),
        )


@cache
def region_profiles() -> dict[str, dict[str, str]]:
    """Per region: ИНН tax code, ОКТМО prefix, school students, schools (region_profiles.csv)."""
    with REGION_PROFILES.open(encoding="utf-8") as handle:
        return {row["region_code"]: row for row in csv.DictReader(handle)}


@cache
def demo_reference() -> dict[str, Any]:
    with DEMO_REGIONS.open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = yaml.safe_load(handle)
    return loaded


def staff_count(students: int) -> tuple[int, int]:
    """(teachers, support staff) of a school with this many students."""
    if students == 0:
        return 0, 0
    teachers = max(6, round(students / STUDENTS_PER_TEACHER))
    return teachers, max(1, round(teachers * SUPPORT_STAFF_SHARE))


@cache
def region_person_offsets() -> dict[str, int]:
    """First person number per region: room for its students and staff, so person numbers (and
    the СНИЛС made from them) never collide across the country."""
    offsets, cursor = {}, 0
    for code, row in region_profiles().items():
        offsets[code] = cursor
        students = int(row["students"])
        cursor += int(students * 1.6) + 200_000
    return offsets


def expected_chats_per_week(students: int, teachers: int, schools: int) -> int:
    """Class and parents' chats per class, a staff chat per school, teachers' own chats.

    Mirrors the chat model of population.sferum_chats at full adoption (≈ 22 students a class).
    """
    classes = students / 22
    return round(classes * (0.92 + 0.78) + teachers * (0.55 + 0.45) + schools * 0.85)


def national_size_model() -> SizeModel:
    """Expected counts per region and in total for the national preset, without generating."""
    sizes = {}
    for code, row in region_profiles().items():
        students = int(row["students"])
        teachers = round(students / STUDENTS_PER_TEACHER)
        schools = int(row["schools"])
        chats = expected_chats_per_week(students, teachers, schools)
        sizes[code] = RegionSize(code, schools, students, teachers, chats)
    return SizeModel(sizes)


def _ogrn(serial: int, tax_code: str) -> str:
    """A 13-digit ОГРН-like number with its check digit (remainder of the first 12 modulo 11)."""
    body = f"1{serial % 100:02d}{tax_code}{serial:07d}"[:12]
    return body + str(int(body) % 11 % 10)


def _region_row(code: str) -> tuple[int, dict[str, str]]:
    for index, row in enumerate(region_rows()):
        if row["region_code"] == code:
            return index, row
    raise KeyError(code)


class _OrgFactory:
    """Hands out region-unique serials, ИНН and ОГРН."""

    def __init__(self, tax_code: str, person_offset: int) -> None:
        self.tax_code = tax_code
        self.serial = 0
        self.next_person = person_offset

    def make(self, **fields: Any) -> Org:
        self.serial += 1
        person_base = self.next_person
        self.next_person += int(fields.get("students", 0)) + sum(staff_count(int(fields.get("students", 0))))
        # Serial spread over the 7-digit body so ИНН look like real ones rather than 0000001.
        body = (self.serial * 7919 + 104_729) % 10_000_000
        return Org(
            serial=self.serial,
            inn=make_org_inn(self.tax_code, body),
            ogrn=_ogrn(body, self.tax_code),
            person_base=person_base,
            **fields,
        )


def _laggard_use_share(position: int) -> float:
    """A laggard school's share of students using «Сферум», spread over seed 003's 18–49 % by a
    low-discrepancy sequence (no draw from the plan's generator, so other schools stay as they were);
    divided by the ~0.66 of its students who are registered and activated by late 2026."""
    target = 0.18 + 0.31 * ((position * 0.6180339887) % 1.0)
    return min(1.0, target / 0.66)


def _school_sizes(rng: np.random.Generator, count: int, median: float) -> list[int]:
    sizes = rng.lognormal(np.log(median), 0.6, size=count)
    return [max(12, int(s)) for s in sizes]


def _school_lateness(rng: np.random.Generator, count: int, sd: float) -> np.ndarray:
    return rng.normal(0.0, sd, size=count)


def _other_orgs(factory: _OrgFactory, rng: np.random.Generator, town: str, schools: int) -> list[Org]:
    labels = {
        "vocational": ("ГБПОУ", "Колледж"),
        "additional": ("МБУ ДО", "Центр детского творчества"),
        "preschool": ("МКДОУ", "Детский сад"),
    }
    orgs = []
    for kind, per_school in OTHER_ORGS_PER_SCHOOL.items():
        prefix, word = labels[kind]
        for n in range(int(rng.poisson(schools * per_school))):
            name = f'{prefix} "{word} №{n + 1}" {town}'
            orgs.append(factory.make(name=name, kind=kind, is_active=bool(rng.random() > 0.02)))
    return orgs


def _management_body(factory: _OrgFactory, municipality: str) -> Org:
    return factory.make(name=f"Управление образования ({municipality})", kind="management", is_active=True)


def _demo_school_names(muni: dict[str, Any], prefix: str, word: str, count: int) -> list[tuple[str, bool]]:
    """(name, laggard) for the demo: the seed's named schools first, then town and village schools."""
    named = [
        (f'{prefix} "{s["name"]}"', bool(s.get("laggard", False))) for s in muni.get("named_schools", [])
    ]
    town = muni["town"]
    villages = muni.get("villages", [])
    generated: list[tuple[str, bool]] = []
    number = 1
    while len(named) + len(generated) < count:
        index = len(generated)
        if muni.get("urban") or not villages or index % 3 == 0:
            kind = ("Гимназия", "Лицей", word)[index % 7 % 3] if muni.get("urban") else word
            generated.append((f'{prefix} "{kind} №{number}" {town}', False))
            number += 1
        else:
            village = villages[index % len(villages)]
            generated.append((f'{prefix} "{word} с. {village}"', False))
    return (named + generated)[:count]


def plan_demo_region(code: str, seed: int) -> RegionPlan:
    """A demo region from demo_regions.yaml: real municipalities, schools kept small."""
    reference = demo_reference()[code]
    index, row = _region_row(code)
    profile = region_profiles()[code]
    rng = np.random.default_rng([seed, index, 1])
    factory = _OrgFactory(profile["tax_code"], region_person_offsets()[code])
    prefix, word = reference.get("school_prefix", "МКОУ"), reference.get("school_word", "СОШ")
    municipalities = []
    for m_index, muni in enumerate(reference["municipalities"]):
        school_names = _demo_school_names(muni, prefix, word, int(muni["schools"]))
        median = 130 if muni.get("urban") else 55
        sizes = _school_sizes(rng, len(school_names), median)
        late = _school_lateness(rng, len(school_names), 35.0)
        orgs: list[Org] = []
        if not muni.get("no_management_body"):
            orgs.append(_management_body(factory, muni["name"]))
        for (name, laggard), size, lateness in zip(school_names, sizes, late, strict=True):
            # Every demo region has a closed school (the first municipality's last one).
            closed = rng.random() < CLOSED_SCHOOL_SHARE or (m_index == 0 and name == school_names[-1][0])
            orgs.append(
                factory.make(
                    name=name,
                    kind="general",
                    is_active=not closed,
                    students=0 if closed else size,
                    lateness=float(lateness),
                    diligence=float(rng.beta(6, 1.5)),
                    sferum_use_share=_laggard_use_share(len(orgs)) if laggard else 1.0,
                )
            )
        orgs.extend(_other_orgs(factory, rng, muni["town"], len(school_names)))
        municipalities.append(
            Municipality(
                m_index,
                muni["name"],
                muni["oktmo"],
                muni["town"],
                tuple(orgs),
                float(muni.get("lateness_days", 0)),
            )
        )
    return RegionPlan(
        code=code,
        index=index,
        name=row["region_name"],
        tax_code=profile["tax_code"],
        languages=dict(reference["languages"]),
        surname_caucasus_share=0.8 if code in ("RU-KB", "RU-DA") else 0.0,
        municipalities=tuple(municipalities),
        has_gis=load_config().has_gis(code),
    )


def _national_municipality_name(rng: np.random.Generator, m_index: int) -> tuple[str, str]:
    stem = names.PLACE_STEMS[m_index % len(names.PLACE_STEMS)]
    round_ = m_index // len(names.PLACE_STEMS)
    suffix = "" if round_ == 0 else f"-{round_ + 1}"
    if m_index == 0:
        return f"городской округ {stem}{suffix}", f"г. {stem}{suffix}"
    return f"{stem}ий{suffix} муниципальный район", f"с. {names.VILLAGE_STEMS[m_index % 23]}"


def scaled_size(schools: int, students: int, scale: float) -> tuple[int, int]:
    """(schools, students) of a region shrunk by `scale`: at least one school, same mean size."""
    if not 0 < scale <= 1:
        raise ValueError(f"scale must be in (0, 1], got {scale}")
    if scale == 1:
        return schools, students
    kept = max(1, round(schools * scale))
    return kept, round(students * kept / schools)


def _national_oktmo(prefix: str, m_index: int) -> str:
    """An 8-digit ОКТМО-like code: the region's prefix, a municipality number, «000»."""
    width = 5 - len(prefix)
    return f"{prefix}{(m_index + 1) % 10**width:0{width}d}000"


def plan_national_region(code: str, seed: int, scale: float = 1.0) -> RegionPlan:
    """A region at its real size (region_profiles.csv), municipalities of ~18 schools.

    `scale` < 1 shrinks the schools and students proportionally (school sizes, formats and
    identifiers keep their shape): a small national run for CI and the 52-week benchmark.
    """
    index, row = _region_row(code)
    profile = region_profiles()[code]
    rng = np.random.default_rng([seed, index, 2])
    schools_total, students_total = scaled_size(int(profile["schools"]), int(profile["students"]), scale)
    n_munis = max(1, round(schools_total / SCHOOLS_PER_MUNICIPALITY))
    max_munis = 10 ** (5 - len(profile["oktmo_prefix"])) - 1
    n_munis = min(n_munis, max_munis)
    region_sd, muni_sd, school_sd = NATIONAL_LATENESS_SD_DAYS
    region_lateness = float(rng.normal(0.0, region_sd))
    per_muni = np.full(n_munis, schools_total // n_munis)
    per_muni[: schools_total % n_munis] += 1
    raw_sizes = rng.lognormal(0.0, 0.6, size=schools_total)
    sizes = np.maximum(12, raw_sizes / raw_sizes.sum() * students_total).astype(int)
    factory = _OrgFactory(profile["tax_code"], region_person_offsets()[code])
    municipalities, cursor = [], 0
    for m_index in range(n_munis):
        name, town = _national_municipality_name(rng, m_index)
        orgs = [] if rng.random() < 0.03 else [_management_body(factory, name)]
        for s in range(int(per_muni[m_index])):
            closed = rng.random() < CLOSED_SCHOOL_SHARE
            size = int(sizes[cursor])
            cursor += 1
            orgs.append(
                factory.make(
                    name=f'МБОУ "СОШ №{s + 1}" {town}',
                    kind="general",
                    is_active=not closed,
                    students=0 if closed else size,
                    lateness=float(rng.normal(0.0, school_sd)) + (150.0 if rng.random() < 0.05 else 0.0),
                    diligence=float(rng.beta(6, 1.5)),
                )
            )
        orgs.extend(_other_orgs(factory, rng, town, int(per_muni[m_index])))
        oktmo = _national_oktmo(profile["oktmo_prefix"], m_index)
        municipalities.append(
            Municipality(m_index, name, oktmo, town, tuple(orgs), float(rng.normal(0.0, muni_sd)))
        )
    return RegionPlan(
        code=code,
        index=index,
        name=row["region_name"],
        tax_code=profile["tax_code"],
        languages={"русский": 0.92, "татарский": 0.04, "другой": 0.04},
        surname_caucasus_share=0.7
        if code in ("RU-DA", "RU-CE", "RU-IN", "RU-KB", "RU-KC", "RU-SE")
        else 0.03,
        municipalities=tuple(municipalities),
        lateness=region_lateness,
        has_gis=load_config().has_gis(code),
    )
