"""What the sample data says, one municipality × week at a time, as canonical Arrow tables.

The realism, in one place:
- adoption follows an S-curve per person: a person registers at `mid + lateness + scale·logit(u)`
  with `u` fixed per person, so the registered share grows week over week along a logistic curve
  and laggard schools (seed 003's Сергокалинский район) and districts stay behind;
- activity is a weekly Bernoulli draw per person; `last_active_on` is the last active week, so it
  only moves forward and students' dates spread over the previous 18 months (indicator A5);
- chat messages per week are negative-binomial around a lognormal per-chat mean, so activity is
  long-tailed and the share of lively teacher chats (≥ 10 messages) rises over the weeks;
- profile completeness varies by field and by the school's diligence, and improves over time;
- ~2 % of personal СНИЛС / ИНН carry a broken checksum (ingest must count them as missing).
Tables use the contract's field names and canonical types; writers.py renders the region formats.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from pipelines.sources import names
from pipelines.sources.identifiers import make_person_inn_array, make_snils_array
from pipelines.sources.plan import Municipality, Org, RegionPlan, staff_count
from pipelines.sources.randomness import (
    Float,
    Int,
    hex_ids,
    logit,
    lognormal,
    pick,
    uniform,
    weighted_pick,
)
from pipelines.weeks import week_monday, week_sunday

Mask = npt.NDArray[np.bool_]
Strs = npt.NDArray[np.str_]
UNIX_EPOCH = date(1970, 1, 1)
PLATFORM_LAUNCH = date(2022, 9, 1)  # «Сферум» opened to schools; nobody registered earlier
LOOKBACK_WEEKS = 78  # 18 months of weekly activity history behind every snapshot


def unix_day(day: date) -> int:
    return (day - UNIX_EPOCH).days


# Adoption curves: (midpoint, logistic scale in days, share that never adopts).
TEACHER_SFERUM = (unix_day(date(2026, 5, 15)), 40.0, 0.02)
STUDENT_SFERUM = (unix_day(date(2026, 8, 25)), 55.0, 0.06)
TEACHER_FGIS = (unix_day(date(2025, 11, 1)), 60.0, 0.01)
STUDENT_FGIS = (unix_day(date(2026, 2, 1)), 70.0, 0.04)
PARENT_FGIS = (unix_day(date(2026, 4, 1)), 90.0, 0.35)
EJOURNAL = (unix_day(date(2026, 3, 1)), 60.0, 0.03)
COMMUNITY = (unix_day(date(2026, 6, 1)), 70.0, 0.08)
MANAGEMENT_BODY = (unix_day(date(2026, 9, 1)), 40.0, 0.0)
CONTENT_ACCESS = (unix_day(date(2026, 10, 1)), 50.0, 0.1)
STUDENT_CONTENT_ACCESS = (unix_day(date(2026, 10, 20)), 60.0, 0.15)  # показатель 4.4 lags the teachers'
# Weekly activity propensities (Beta parameters) and their growth per week since the launch.
TEACHER_ACTIVITY = (4.0, 1.5)
STUDENT_ACTIVITY = (0.6, 4.0)
ACTIVITY_GROWTH_PER_WEEK = 0.004
INVALID_PERSONAL_ID_SHARE = 0.02
# Base fill rate of each optional profile field (seed 001 «основные сведения», seed 004 прил. 3).
FIELD_FILL = {
    "class_label": 0.995, "fio": 0.999, "birth_date": 0.995, "native_language": 0.9, "sex": 0.99,
    "citizenship": 0.96, "phone": 0.7, "email": 0.55, "snils": 0.93, "inn_person": 0.6,
    "personal_file_no": 0.94, "education_form": 0.97, "id_document": 0.92,
    "registration_address": 0.9, "actual_address": 0.8, "birthplace": 0.85, "has_performance": 0.97,
    "has_gia_results": 0.95, "has_physical": 0.75, "achievements": 0.6, "portfolio_docs": 0.8,
    "has_individual_plan": 0.9, "has_recommendations": 0.85, "enrolled_on": 0.97, "login": 0.9,
}  # fmt: skip
FILL_GROWTH_PER_WEEK = 0.004
LETTERS = ("А", "Б", "В", "Г", "Д", "Е")
CLASS_SIZE = 25


@dataclass(frozen=True)
class Week:
    label: str
    seed: int
    school_year: int  # the September the school year began

    @property
    def monday(self) -> int:
        return unix_day(week_monday(self.label))

    @property
    def sunday(self) -> int:
        return unix_day(week_sunday(self.label))

    @property
    def number(self) -> int:
        """Weeks since the platform launch: the stream id of this week's weekly draws."""
        return (self.monday - unix_day(PLATFORM_LAUNCH)) // 7


def school_year_of(label: str) -> int:
    monday = week_monday(label)
    return monday.year if monday.month >= 9 else monday.year - 1


# ---------------------------------------------------------------- streams (one id per attribute)
class S:
    """Stream ids: each attribute of a person draws from its own stream."""

    GRADE, LETTER, SEX, SURNAME, CAUCASUS, NAME, PATRONYMIC, BIRTH = range(1, 9)
    LANGUAGE, CITIZEN, PHONE, EMAIL_DOMAIN, STREET, HOUSE, NEW, TRANSFER, TRANSFER_DAY = range(9, 18)
    SNILS_BAD, INN_BAD, FORM, ACHIEVE, PORTFOLIO, ADOPT_SF, NEVER_SF, ACTIVATE = range(18, 26)
    ADOPT_FGIS, NEVER_FGIS, INACTIVE, PROPENSITY, POSITION, EDUCATION, QUALIFICATION = range(26, 33)
    AWARDS, CONTENT, HIRED, CHAT_CREATE, CHAT_LAG, CHAT_MU, CHAT_MEMBER, CHAT_CREATOR = range(33, 41)
    USER_KEY, FGIS_KEY, CHAT_ID, PARENT, SFERUM_ORG, ORG_INACTIVE, EJ, EJ_KIND = range(41, 49)
    COMMUNITY, VERIFY, MGMT, DOC, ACTUAL_ADDRESS, STUDENT_CONTENT = range(49, 55)
    SFERUM_USE = 56
    CONTENT_KIND = 60  # + kind position (fgis_content)
    CONTENT_LAUNCHES = 70  # + kind position
    FILL = 100  # + field position
    ACTIVE_WEEK = 10_000  # + week number
    MESSAGES = 20_000  # + week number
    LOGIN_WEEK = 30_000  # + week number
    CONTENT_WEEK = 40_000  # + week number


# ---------------------------------------------------------------- helpers
def adoption_day(
    keys: Int, lateness: Float, curve: tuple[int, float, float], stream: int, seed: int
) -> Float:
    """The day each person adopts (∞ for those who never do): a logistic S-curve per person."""
    mid, scale, never_share = curve
    day = mid + lateness + scale * logit(uniform(keys, stream, seed))
    day = np.maximum(day, unix_day(PLATFORM_LAUNCH) + 30 * uniform(keys, stream + 1, seed))
    never = uniform(keys, stream + 500, seed) < never_share
    result: Float = np.where(never, np.inf, day)
    return result


def last_active_day(keys: Int, since: Float, propensity: Float, week: Week, stream: int) -> Float:
    """The last day each person was active at or before this week's Sunday (NaN: never).

    Activity is a weekly draw with the person's propensity; searching back week by week gives a
    `last_active_on` that only moves forward across snapshots. Beyond 18 months it is a day
    between registration and the lookback horizon.
    """
    result = np.full(len(keys), np.nan)
    pending = np.isfinite(since) & (since <= week.sunday)
    for back in range(LOOKBACK_WEEKS):
        if not pending.any():
            break
        number = week.number - back
        monday = week.monday - 7 * back
        growth = max(0.2, 1 + ACTIVITY_GROWTH_PER_WEEK * (number - 150))
        idx = np.flatnonzero(pending & (since <= monday + 6))
        active = uniform(keys[idx], stream + number, week.seed) < np.minimum(propensity[idx] * growth, 0.98)
        day = monday + np.minimum(6, (uniform(keys[idx], stream + number + 1, week.seed) * 7).astype(int))
        day = np.maximum(day, since[idx])
        result[idx[active]] = day[active]
        pending[idx[active]] = False
        pending &= since <= monday - 1
    horizon = week.monday - 7 * LOOKBACK_WEEKS
    old = pending & (since < horizon) & (uniform(keys, stream + 3, week.seed) < 0.7)
    span = horizon - since[old]
    result[old] = since[old] + np.floor(span * uniform(keys[old], stream + 5, week.seed))
    return result


def _dates(days: Float) -> pa.Array:
    missing = ~np.isfinite(days)
    values = np.where(missing, 0, days).astype(np.int32)
    return pa.array(values, type=pa.date32(), mask=missing)


def _strings(values: npt.ArrayLike, missing: Mask | None = None) -> pa.Array:
    array = np.asarray(values)
    if array.dtype.kind != "U":  # lists of Python strings, object arrays
        array = np.asarray(values, dtype=object)
    return pa.array(array, type=pa.string(), mask=missing)


def _bools(values: Mask, missing: Mask | None = None) -> pa.Array:
    return pa.array(values, type=pa.bool_(), mask=missing)


def _ints(values: npt.ArrayLike, missing: Mask | None = None) -> pa.Array:
    return pa.array(np.asarray(values, dtype=np.int64), type=pa.int64(), mask=missing)


def _text(part: npt.NDArray[np.generic] | str) -> Strs:
    """A part of a concatenation as text; dense integer ranges format once per distinct value."""
    array = np.asarray(part)
    if array.dtype.kind in "iu" and array.size:
        low, high = int(array.min()), int(array.max())
        if high - low < array.size:  # fewer distinct values than rows: format a lookup table
            table: Strs = np.arange(low, high + 1, dtype=np.int64).astype(str)
            return table[array - low]
    if array.dtype.kind == "U":
        return array
    result: Strs = array.astype(str)
    return result


def _concat(*parts: npt.NDArray[np.generic] | str) -> Strs:
    out: Strs = _text(parts[0])
    for part in parts[1:]:
        out = np.strings.add(out, _text(part))
    return out


def _take(options: tuple[str, ...] | list[str], index: Int) -> Strs:
    result: Strs = np.asarray(options, dtype=str)[index]
    return result


def _per_distinct(function: Callable[[str], str], values: Strs) -> Strs:
    """`function` applied element-wise, evaluated once per distinct value (names repeat a lot)."""
    if not len(values):
        return values
    distinct, inverse = np.unique(values, return_inverse=True)
    mapped: Strs = np.asarray([function(str(value)) for value in distinct.tolist()], dtype=str)
    return mapped[inverse.reshape(-1)]


def _lateness(region: RegionPlan, muni: Municipality, org: Org) -> float:
    return region.lateness + muni.lateness + org.lateness


# ---------------------------------------------------------------- people
@dataclass
class People:
    """Arrays over the persons of one municipality (students or staff)."""

    pid: Int
    school: Int  # position in muni.schools
    lateness: Float
    diligence: Float


def _people(schools: tuple[Org, ...], region: RegionPlan, muni: Municipality, staff: bool) -> People:
    pids, school, late, dil = [], [], [], []
    for position, org in enumerate(schools):
        teachers, support = staff_count(org.students)
        start, count = (org.students, teachers + support) if staff else (0, org.students)
        pids.append(org.person_base + start + np.arange(count, dtype=np.int64))
        school.append(np.full(count, position, dtype=np.int64))
        late.append(np.full(count, _lateness(region, muni, org)))
        dil.append(np.full(count, org.diligence))
    if not pids:
        empty = np.zeros(0, dtype=np.int64)
        return People(empty, empty, np.zeros(0), np.zeros(0))
    return People(np.concatenate(pids), np.concatenate(school), np.concatenate(late), np.concatenate(dil))


def _fio(keys: Int, female: Mask, region: RegionPlan, seed: int) -> Strs:
    return _fio_and_surname(keys, female, region, seed)[0]


def _fio_and_surname(keys: Int, female: Mask, region: RegionPlan, seed: int) -> tuple[Strs, Strs]:
    caucasus = uniform(keys, S.CAUCASUS, seed) < region.surname_caucasus_share
    plain = _take(names.SURNAMES, pick(keys, S.SURNAME, seed, len(names.SURNAMES)))
    local = _take(names.CAUCASUS_SURNAMES, pick(keys, S.SURNAME, seed, len(names.CAUCASUS_SURNAMES)))
    surname = np.where(caucasus, local, plain)
    surname = np.where(female, _per_distinct(names.feminine_surname, surname), surname)
    first = np.where(
        female,
        _take(names.FEMALE_NAMES, pick(keys, S.NAME, seed, len(names.FEMALE_NAMES))),
        _take(names.MALE_NAMES, pick(keys, S.NAME, seed, len(names.MALE_NAMES))),
    )
    stem = _take(names.PATRONYMIC_STEMS, pick(keys, S.PATRONYMIC, seed, len(names.PATRONYMIC_STEMS)))
    return _concat(surname, " ", first, " ", stem, np.where(female, "на", "ич")), surname


def _personal_ids(keys: Int, region: RegionPlan, seed: int) -> tuple[Strs, Strs]:
    """СНИЛС and personal ИНН; a small share gets a broken check digit on purpose."""
    numbers = 1_002_000 + (keys * 7919 + 12_345) % 998_000_000
    snils = _break_last_digit(
        make_snils_array(numbers), uniform(keys, S.SNILS_BAD, seed) < INVALID_PERSONAL_ID_SHARE
    )
    inn = make_person_inn_array(region.tax_code, (keys * 7907 + 777) % 100_000_000)
    inn = _break_last_digit(inn, uniform(keys, S.INN_BAD, seed) < INVALID_PERSONAL_ID_SHARE)
    return snils, inn


def _break_last_digit(values: Strs, broken: Mask) -> Strs:
    """The same identifier with its last check digit shifted by one: a checksum error."""
    if not len(values):
        return values
    width = len(values[0])
    chars = values.astype(f"<U{width}").view("<U1").reshape(-1, width).copy()
    last = chars[:, -1].astype(np.int64)
    chars[:, -1] = np.where(broken, (last + 1) % 10, last).astype(str)
    result: Strs = chars.view(f"<U{width}").reshape(-1)
    return result


def _phone(keys: Int, seed: int) -> Strs:
    number = (uniform(keys, S.PHONE, seed) * 10**9).astype(np.int64) + 9 * 10**9
    text = np.char.zfill(number.astype(str), 10)
    chars = text.view("<U1").reshape(-1, 10)

    def part(a: int, b: int) -> Strs:
        return _concat(*[chars[:, i] for i in range(a, b)]) if len(text) else text

    return _concat("+7 ", part(0, 3), " ", part(3, 6), "-", part(6, 8), "-", part(8, 10))


def _address(keys: Int, town: str, stream: int, seed: int) -> Strs:
    street = _take(names.STREETS, pick(keys, stream, seed, len(names.STREETS)))
    house = pick(keys, stream + 1, seed, 120) + 1
    flat = pick(keys, stream + 2, seed, 150) + 1
    return _concat(f"{town}, ", street, ", д. ", house, ", кв. ", flat)


def _filled(keys: Int, field_index: int, base: float, diligence: Float, week: Week) -> Mask:
    """Whether a profile field is filled this week: rises with time, lower in careless schools."""
    growth = FILL_GROWTH_PER_WEEK * (week.number - 200)
    rate = np.clip(base * (0.75 + 0.25 * diligence) + growth, 0, 0.999)
    result: Mask = uniform(keys, S.FILL + field_index, week.seed) < rate
    return result


@dataclass
class Roster:
    """The students of a municipality this week."""

    people: People
    org_inn: Strs
    grade: Int
    class_label: Strs
    classes: dict[tuple[int, str], int]  # (school, class label) → students
    new_enrolled: Float


def student_roster(region: RegionPlan, muni: Municipality, week: Week) -> Roster:
    schools = muni.schools
    people = _people(schools, region, muni, staff=False)
    keys, seed = people.pid, week.seed
    grade = pick(keys, S.GRADE, seed, 11) + 1
    # Parallels per grade from the school's size: small schools have one class per grade.
    sizes = np.array([o.students for o in schools] or [0], dtype=np.int64)
    parallels = np.maximum(1, np.ceil(sizes / 11 / CLASS_SIZE)).astype(np.int64)
    letter = (uniform(keys, S.LETTER, seed) * parallels[people.school]).astype(np.int64)
    class_label = _concat(grade, _take(LETTERS, np.minimum(letter, len(LETTERS) - 1)))
    # New enrolments appear during the generated weeks; transfers move a few to the next school.
    new = uniform(keys, S.NEW, seed) < 0.015
    new_day = np.where(new, week.sunday - 60 + np.floor(uniform(keys, S.NEW + 1, seed) * 63), -np.inf)
    present = new_day <= week.sunday
    transfer = (uniform(keys, S.TRANSFER, seed) < 0.006) & (len(schools) > 1)
    transfer_day = week.sunday - 56 + np.floor(uniform(keys, S.TRANSFER_DAY, seed) * 70)
    moved = transfer & (transfer_day <= week.sunday)
    school_now = np.where(moved, (people.school + 1) % max(1, len(schools)), people.school)
    inns = np.asarray([o.inn for o in schools] or [""], dtype=object)
    keep = np.flatnonzero(present)
    people = People(keys[keep], school_now[keep], people.lateness[keep], people.diligence[keep])
    classes: dict[tuple[int, str], int] = {}
    for school, label in zip(people.school.tolist(), class_label[keep].tolist(), strict=True):
        classes[(school, label)] = classes.get((school, label), 0) + 1
    return Roster(
        people=people,
        org_inn=inns[people.school].astype(str),
        grade=grade[keep],
        class_label=class_label[keep],
        classes=classes,
        new_enrolled=new_day[keep],
    )


def gis_students(region: RegionPlan, muni: Municipality, roster: Roster, week: Week) -> pa.Table:
    p, seed = roster.people, week.seed
    keys = p.pid
    female = uniform(keys, S.SEX, seed) < 0.49
    birth = (
        unix_day(date(week.school_year - 6, 9, 1))
        - 365.25 * (roster.grade - 1)
        - 365 * uniform(keys, S.BIRTH, seed)
    ).astype(np.int64)
    enrolled = np.where(
        np.isfinite(roster.new_enrolled),
        roster.new_enrolled,
        _september_first(week.school_year - roster.grade + 1),
    )
    languages = list(region.languages)
    language = _take(languages, weighted_pick(keys, S.LANGUAGE, seed, list(region.languages.values())))
    foreign = uniform(keys, S.CITIZEN, seed) < 0.015
    citizenship = np.where(
        foreign,
        _take(names.CITIZENSHIP_OTHER, pick(keys, S.CITIZEN + 1, seed, len(names.CITIZENSHIP_OTHER))),
        "Российская Федерация",
    )
    fio, surname = _fio_and_surname(keys, female, region, seed)
    surname_latin = _per_distinct(names.translit, surname)
    email = _concat(
        surname_latin, ".", keys % 1000, "@",
        _take(names.EMAIL_DOMAINS, pick(keys, S.EMAIL_DOMAIN, seed, len(names.EMAIL_DOMAINS))),
    )  # fmt: skip
    snils, inn = _personal_ids(keys, region, seed)
    age = (week.sunday - birth) / 365.25
    series = _concat(region.tax_code, " ", 10 + keys % 14)
    passport = _concat("Паспорт ", series, " ", 100_000 + keys % 900_000)
    certificate = _concat("Свидетельство о рождении II-ВЕ № ", 100_000 + (keys * 7) % 900_000)
    id_document = np.where(age >= 14, passport, certificate)
    registration = _address(keys, muni.town, S.STREET, seed)
    moved_house = uniform(keys, S.ACTUAL_ADDRESS, seed) < 0.2
    actual = np.where(moved_house, _address(keys, muni.town, S.STREET + 50, seed), registration)
    form = weighted_pick(keys, S.FORM, seed, [0.96, 0.01, 0.01, 0.015, 0.005])
    forms = ("full_time", "part_time", "distance", "family", "self")
    values: dict[str, tuple[pa.Array, Mask]] = {}

    def put(name: str, build: object) -> None:
        position = list(FIELD_FILL).index(name) if name in FIELD_FILL else 0
        missing = ~_filled(keys, position, FIELD_FILL.get(name, 1.0), p.diligence, week)
        values[name] = (build, missing)  # type: ignore[assignment,unused-ignore]

    student_id = _concat("S", keys)
    put("class_label", roster.class_label)
    put("fio", fio)
    put("birth_date", birth)
    put("native_language", language)
    put("sex", np.where(female, "F", "M"))
    put("citizenship", citizenship)
    put("phone", _phone(keys, seed))
    put("email", email)
    put("snils", snils)
    put("inn_person", inn)
    put("personal_file_no", _concat("ЛД-", week.school_year - roster.grade + 1, "/", keys % 10_000))
    put("education_form", _take(forms, form))
    put("id_document", id_document)
    put("registration_address", registration)
    put("actual_address", actual)
    put("birthplace", _concat(muni.town, np.where(foreign, " (за рубежом)", "")))
    put("has_performance", roster.grade > 0)
    put("has_gia_results", np.isin(roster.grade, (10, 11)) | (roster.grade > 9))
    put("has_physical", uniform(keys, S.FILL + 60, seed) < 0.9)
    put("achievements", np.floor(lognormal(keys, S.ACHIEVE, seed, 1.5, 1.0)).astype(np.int64))
    put("portfolio_docs", np.floor(lognormal(keys, S.PORTFOLIO, seed, 1.2, 1.1)).astype(np.int64))
    put("has_individual_plan", uniform(keys, S.FILL + 61, seed) < 0.05)
    put("has_recommendations", uniform(keys, S.FILL + 62, seed) < 0.3)
    put("enrolled_on", enrolled)
    put("login", _concat(surname_latin, ".", keys))
    content_day = adoption_day(keys, p.lateness, STUDENT_CONTENT_ACCESS, S.STUDENT_CONTENT, seed)
    put("has_content_access", content_day <= week.sunday)
    # has_gia_results only exists for graduates' grades (9 and 11).
    gia, gia_missing = values["has_gia_results"]
    values["has_gia_results"] = (gia, gia_missing | ~np.isin(roster.grade, (9, 11)))
    columns: dict[str, pa.Array] = {"student_id": _strings(student_id), "org_inn": _strings(roster.org_inn)}
    for name, (data, missing) in values.items():
        columns[name] = _typed(name, np.asarray(data), missing)
    return pa.table(columns)


def _september_first(years: Int) -> Float:
    """1 September of each year, as a day number (enrolment day of a class that started then)."""
    distinct, inverse = np.unique(years, return_inverse=True)
    days = np.array([unix_day(date(int(y), 9, 1)) for y in distinct.tolist()], dtype=np.float64)
    result: Float = days[inverse.reshape(-1)]
    return result


def _typed(name: str, data: npt.NDArray[np.generic], missing: Mask) -> pa.Array:
    if name in ("birth_date", "enrolled_on", "hired_on"):
        return _dates(np.where(missing, np.nan, data.astype(np.float64)))
    if data.dtype == np.bool_:
        return _bools(data.astype(bool), missing)
    if np.issubdtype(data.dtype, np.integer):
        return _ints(data, missing)
    return _strings(data, missing)


# ---------------------------------------------------------------- staff
@dataclass
class Staff:
    people: People
    org_inn: Strs
    role: Strs  # teacher / admin / other
    pedagogical: Mask
    position: Strs
    sferum_day: Float  # adoption day in «Сферум»


def staff_roster(region: RegionPlan, muni: Municipality, week: Week) -> Staff:
    schools = muni.schools
    p = _people(schools, region, muni, staff=True)
    keys, seed = p.pid, week.seed
    # Position inside the school: 0 director, 1–2 deputies, then teachers, then support staff.
    first = np.array([o.person_base + o.students for o in schools] or [0], dtype=np.int64)
    rank = keys - first[p.school]
    teachers = np.array([staff_count(o.students)[0] for o in schools] or [0], dtype=np.int64)[p.school]
    admin = rank < 3
    support = rank >= teachers
    other_pedagogue = ~admin & ~support & (uniform(keys, S.POSITION, seed) < 0.08)
    subject = _take(names.SUBJECTS, pick(keys, S.POSITION + 1, seed, len(names.SUBJECTS)))
    position = np.where(
        admin, _take(names.ADMIN_POSITIONS, np.minimum(rank, 2)), _concat("учитель ", subject)
    )
    position = np.where(
        other_pedagogue,
        _take(
            names.PEDAGOGICAL_POSITIONS, pick(keys, S.POSITION + 2, seed, len(names.PEDAGOGICAL_POSITIONS))
        ),
        position,
    )
    position = np.where(
        support,
        _take(names.SUPPORT_POSITIONS, pick(keys, S.POSITION + 3, seed, len(names.SUPPORT_POSITIONS))),
        position,
    )
    role = np.where(admin, "admin", np.where(support, "other", "teacher"))
    inns = np.asarray([o.inn for o in schools] or [""], dtype=object)
    sferum_day = adoption_day(keys, p.lateness, TEACHER_SFERUM, S.ADOPT_SF, seed)
    return Staff(p, inns[p.school].astype(str), role, (rank >= 1) & ~support, position, sferum_day)


def gis_staff(region: RegionPlan, muni: Municipality, staff: Staff, week: Week) -> pa.Table:
    p, seed = staff.people, week.seed
    keys = p.pid
    female = uniform(keys, S.SEX, seed) < np.where(staff.role == "teacher", 0.82, 0.6)
    snils, _ = _personal_ids(keys, region, seed)
    snils_missing = uniform(keys, S.FILL + 70, seed) > 0.97
    hired = week.sunday - np.floor(lognormal(keys, S.HIRED, seed, 3000, 0.9)).clip(30, 40 * 365)
    education = weighted_pick(keys, S.EDUCATION, seed, [0.85, 0.13, 0.02])
    qualification = weighted_pick(keys, S.QUALIFICATION, seed, [0.35, 0.3, 0.35])
    content_day = adoption_day(keys, p.lateness, CONTENT_ACCESS, S.CONTENT, seed)
    ped = staff.pedagogical
    return pa.table(
        {
            "staff_id": _strings(_concat("T", keys)),
            "org_inn": _strings(staff.org_inn),
            "fio": _strings(_fio(keys, female, region, seed)),
            "snils": _strings(snils, snils_missing),
            "position": _strings(staff.position),
            "is_pedagogical": _bools(ped),
            "hired_on": _dates(hired),
            "education": _strings(_take(("higher", "secondary_vocational", "other"), education)),
            "qualification": _strings(_take(("highest", "first", "none"), qualification), ~ped),
            "awards": _ints(np.floor(lognormal(keys, S.AWARDS, seed, 0.8, 1.0)).astype(np.int64), ~ped),
            "has_content_access": _bools(content_day <= week.sunday, ~ped),
        }
    )


# ---------------------------------------------------------------- platform users
def _activity(keys: Int, shape: tuple[float, float], stream: int, seed: int) -> Float:
    """A person's weekly activity propensity (Beta via two hashed gamma-like draws)."""
    a, b = shape
    # Kumaraswamy approximation of Beta(a, b): closed-form inverse CDF of a hashed uniform.
    u = uniform(keys, stream, seed)
    result: Float = (1 - (1 - u) ** (1 / b)) ** (1 / a)
    return result


def sferum_users(staff: Staff, roster: Roster, week: Week, schools: tuple[Org, ...] = ()) -> pa.Table:
    seed = week.seed
    teaching = np.flatnonzero(staff.role != "other")
    t_keys = staff.people.pid[teaching]
    s_keys = roster.people.pid
    # Seed 003's laggard schools: registered, but only a share of the students uses the platform.
    use_share = (
        np.array([o.sferum_use_share for o in schools] or [1.0])[roster.people.school] if schools else 1.0
    )
    s_laggard = np.asarray(use_share) < 1.0 if schools else np.zeros(len(s_keys), dtype=bool)
    s_uses = uniform(s_keys, S.SFERUM_USE, seed) < use_share
    s_day = adoption_day(s_keys, roster.people.lateness, STUDENT_SFERUM, S.ADOPT_SF, seed)
    keys = np.concatenate([t_keys, s_keys])
    day = np.concatenate([staff.sferum_day[teaching], s_day])
    role = np.concatenate([staff.role[teaching], np.full(len(s_keys), "student")])
    inn = np.concatenate([staff.org_inn[teaching], roster.org_inn])
    registered = day <= week.sunday
    activation_day = day + np.floor(lognormal(keys, S.ACTIVATE, seed, 4, 1.0))
    never_activates = uniform(keys, S.ACTIVATE + 1, seed) < 0.05
    activated = ~never_activates & (activation_day <= week.sunday)
    propensity = np.concatenate(
        [
            _activity(t_keys, TEACHER_ACTIVITY, S.PROPENSITY, seed),
            _activity(s_keys, STUDENT_ACTIVITY, S.PROPENSITY, seed),
        ]
    )
    since = np.where(activated, activation_day, np.inf)
    last = last_active_day(keys, since, propensity, week, S.ACTIVE_WEEK)
    # In a laggard school a user is active within the last two months, a non-user never.
    laggard = np.concatenate([np.zeros(len(t_keys), dtype=bool), np.broadcast_to(s_laggard, len(s_keys))])
    uses = np.concatenate([np.ones(len(t_keys), dtype=bool), s_uses])
    recent = np.maximum(week.sunday - np.floor(60 * uniform(keys, S.SFERUM_USE + 1, seed)), since)
    last = np.where(laggard, np.where(uses & activated, recent, np.nan), last)
    rows = np.flatnonzero(registered)
    return pa.table(
        {
            "user_key": _strings(hex_ids(keys[rows], S.USER_KEY, seed)),
            "org_inn": _strings(inn[rows]),
            "role": _strings(role[rows]),
            "registered_on": _dates(np.floor(day[rows])),
            "activated": _bools(activated[rows]),
            "last_active_on": _dates(last[rows]),
        }
    )


def fgis_users(staff: Staff, roster: Roster, schools: tuple[Org, ...], week: Week) -> pa.Table:
    seed = week.seed
    s_keys, t_keys = roster.people.pid, staff.people.pid
    teaching = staff.role != "other"
    # Parents: about one registered parent account for every second student (Госуслуги login).
    parent_of = np.flatnonzero(uniform(s_keys, S.PARENT, seed) < 0.55)
    p_keys = s_keys[parent_of] + 5 * 10**11
    keys = np.concatenate([t_keys[teaching], s_keys, p_keys])
    lateness = np.concatenate(
        [staff.people.lateness[teaching], roster.people.lateness, roster.people.lateness[parent_of]]
    )
    role = np.concatenate(
        [staff.role[teaching], np.full(len(s_keys), "student"), np.full(len(p_keys), "parent")]
    )
    inn = np.concatenate([staff.org_inn[teaching], roster.org_inn, roster.org_inn[parent_of]])
    diligence = np.concatenate(
        [staff.people.diligence[teaching], roster.people.diligence, roster.people.diligence[parent_of]]
    )
    curves = np.concatenate([np.full(teaching.sum(), 0), np.full(len(s_keys), 1), np.full(len(p_keys), 2)])
    day = np.full(len(keys), np.inf)
    for code, curve in enumerate((TEACHER_FGIS, STUDENT_FGIS, PARENT_FGIS)):
        idx = np.flatnonzero(curves == code)
        day[idx] = adoption_day(keys[idx], lateness[idx], curve, S.ADOPT_FGIS, seed)
    registered = day <= week.sunday
    # «Не активен»: profiles left unconfirmed; careless schools have more, and they fix them slowly.
    inactive_rate = np.clip((0.03 + 0.12 * (1 - diligence)) * (1 - 0.02 * (week.number - 200)), 0.005, 0.3)
    inactive = uniform(keys, S.INACTIVE, seed) < inactive_rate
    propensity = np.where(role == "student", 0.25, np.where(role == "parent", 0.3, 0.7))
    propensity = propensity * _activity(keys, (2.0, 2.0), S.PROPENSITY + 1, seed) * 2
    last = last_active_day(keys, np.where(inactive, np.inf, day), propensity, week, S.LOGIN_WEEK)
    rows = np.flatnonzero(registered)
    return pa.table(
        {
            "user_key": _strings(hex_ids(keys[rows], S.FGIS_KEY, seed)),
            "org_inn": _strings(inn[rows]),
            "role": _strings(role[rows]),
            "registered_on": _dates(np.floor(day[rows])),
            "profile_status": _strings(np.where(inactive[rows], "inactive", "active")),
            "last_login_on": _dates(last[rows]),
        }
    )


# ---------------------------------------------------------------- ФГИС content library
# Verified content (ЦОК) in the week: who has access (the same curves as gis_staff / gis_students
# has_content_access) uses it with a weekly probability that grows with the weeks since access;
# each user opens one or more kinds (lessons most, simulators rarely), launches are long-tailed.
CONTENT_KINDS = {"lesson": 0.7, "test": 0.45, "video": 0.35, "simulator": 0.12, "other": 0.08}
CONTENT_WEEKLY_USE = {"teacher": 0.55, "student": 0.3}


def _content_rows(
    role: str,
    keys: Int,
    inns: Strs,
    lateness: Float,
    curve: tuple[int, float, float],
    stream: int,
    week: Week,
) -> list[dict[str, object]]:
    seed = week.seed
    access_day = adoption_day(keys, lateness, curve, stream, seed)
    weeks_with_access = np.clip((week.sunday - access_day) / 7, 0, 52)
    use = CONTENT_WEEKLY_USE[role] * (0.5 + weeks_with_access / 52)
    active = (access_day <= week.sunday) & (uniform(keys, S.CONTENT_WEEK + week.number, seed) < use)
    schools, school_of = np.unique(inns, return_inverse=True)
    rows: list[dict[str, object]] = []
    uses_any = np.zeros(len(keys), dtype=bool)
    uses: dict[str, Mask] = {}
    for position, (kind, share) in enumerate(CONTENT_KINDS.items()):
        uses[kind] = active & (uniform(keys, S.CONTENT_KIND + position, seed) < share)
        uses_any |= uses[kind]
    uses["lesson"] |= active & ~uses_any  # an active user opened at least a lesson
    for position, kind in enumerate(CONTENT_KINDS):
        mask = uses[kind]
        users = np.bincount(school_of[mask], minlength=len(schools))
        launches_each = 1 + np.floor(lognormal(keys, S.CONTENT_LAUNCHES + position, seed, 2.0, 0.9))
        launches = np.bincount(school_of[mask], weights=launches_each[mask], minlength=len(schools))
        for index in np.flatnonzero(users):
            rows.append(
                {"org_inn": schools[index], "role": role, "content_kind": kind,
                 "launches": int(launches[index]), "users": int(users[index])}
            )  # fmt: skip
    return rows


def fgis_content(staff: Staff, roster: Roster, week: Week) -> pa.Table:
    """fgis_content: per school, role and content kind, the week's launches and distinct users."""
    ped = staff.pedagogical
    rows = _content_rows(
        "teacher", staff.people.pid[ped], staff.org_inn[ped], staff.people.lateness[ped],
        CONTENT_ACCESS, S.CONTENT, week,
    )  # fmt: skip
    rows += _content_rows(
        "student", roster.people.pid, roster.org_inn, roster.people.lateness,
        STUDENT_CONTENT_ACCESS, S.STUDENT_CONTENT, week,
    )  # fmt: skip
    names = ("org_inn", "role", "content_kind", "launches", "users")
    columns = {name: [row[name] for row in rows] for name in names}
    return pa.table(
        {
            "org_inn": pa.array(columns["org_inn"], pa.string()),
            "role": pa.array(columns["role"], pa.string()),
            "content_kind": pa.array(columns["content_kind"], pa.string()),
            "launches": pa.array(columns["launches"], pa.int64()),
            "users": pa.array(columns["users"], pa.int64()),
        }
    )


# ---------------------------------------------------------------- chats
def sferum_chats(staff: Staff, roster: Roster, week: Week) -> pa.Table:
    """Class and parents' chats per class, a staff chat per school, teachers' subject chats."""
    seed = week.seed
    class_items = sorted(roster.classes.items())
    c_school = np.array([school for (school, _), _ in class_items], dtype=np.int64)
    c_label = np.array([label for (_, label), _ in class_items], dtype=object).astype(str)
    c_size = np.array([count for _, count in class_items], dtype=np.int64)
    # Class teacher of each class: a teacher of the school picked by the class's own key.
    teacher_idx = np.flatnonzero(staff.role == "teacher")
    t_school = staff.people.school[teacher_idx]
    class_key = (
        np.array([hash_key for hash_key in (c_school * 1000 + _label_number(c_label))], dtype=np.int64)
        + (staff.people.pid[0] if len(staff.people.pid) else 0) * 1000
    )
    chosen = np.zeros(len(c_school), dtype=np.int64)
    for school in np.unique(c_school):
        mine = teacher_idx[t_school == school]
        rows = np.flatnonzero(c_school == school)
        if len(mine):
            chosen[rows] = mine[pick(class_key[rows], S.CHAT_CREATOR + 9, seed, len(mine))]
    teacher_day = staff.sferum_day[chosen] if len(chosen) else np.zeros(0)
    inn_by_school = {
        int(s): inn for s, inn in zip(staff.people.school.tolist(), staff.org_inn.tolist(), strict=True)
    }
    c_inn = np.array([inn_by_school.get(int(s), "") for s in c_school], dtype=object).astype(str)

    parts: list[dict[str, np.ndarray]] = []
    for kind, share, creator_teacher_share, stream in (("class", 0.92, 0.95, 0), ("parents", 0.78, 0.7, 1)):
        keys = class_key * 8 + stream
        created = teacher_day + np.floor(lognormal(keys, S.CHAT_LAG, seed, 10, 1.0))
        exists = (uniform(keys, S.CHAT_CREATE, seed) < share) & (created <= week.sunday)
        by_teacher = uniform(keys, S.CHAT_CREATOR, seed) < creator_teacher_share
        creator = np.where(by_teacher, "teacher", "admin" if kind == "class" else "parent")
        member = uniform(keys, S.CHAT_MEMBER, seed) < np.where(by_teacher, 0.93, 0.6)
        members = c_size * (1 if kind == "class" else 1.3)
        rows = np.flatnonzero(exists)
        parts.append(
            {
                "key": keys[rows], "inn": c_inn[rows], "kind": np.full(len(rows), kind),
                "label": c_label[rows], "creator": creator[rows], "created": created[rows],
                "members": (members[rows] + member[rows]).astype(np.int64), "member": member[rows],
                "has_label": np.ones(len(rows), dtype=bool),
            }
        )  # fmt: skip
    # Staff chats (one per school, by its director) and teachers' own subject / club chats.
    t_keys = staff.people.pid
    is_teacher = staff.role == "teacher"
    director = (staff.role == "admin") & (staff.position == names.ADMIN_POSITIONS[0])
    for kind, chooser, share, creator_role, stream in (
        ("staff", director, 0.85, "admin", 2),
        ("other", is_teacher, 0.55, "teacher", 3),  # a subject or club chat
        ("other", is_teacher, 0.45, "teacher", 4),  # a second one
    ):
        keys = t_keys * 8 + stream
        created = staff.sferum_day + np.floor(lognormal(keys, S.CHAT_LAG, seed, 20, 1.0))
        exists = chooser & (uniform(keys, S.CHAT_CREATE, seed) < share) & (created <= week.sunday)
        rows = np.flatnonzero(exists)
        members = np.floor(lognormal(keys[rows], S.CHAT_MU + 3, seed, 25 if kind == "other" else 40, 0.5))
        parts.append(
            {
                "key": keys[rows], "inn": staff.org_inn[rows], "kind": np.full(len(rows), kind),
                "label": np.full(len(rows), ""), "creator": np.full(len(rows), creator_role),
                "created": created[rows], "members": members.astype(np.int64),
                "member": np.zeros(len(rows), dtype=bool), "has_label": np.zeros(len(rows), dtype=bool),
            }
        )  # fmt: skip
    chats = {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}
    keys = chats["key"]
    base_mean = {"class": 6.0, "parents": 7.0, "staff": 5.0, "other": 2.5}
    median = np.array([base_mean[k] for k in chats["kind"].tolist()]) if len(keys) else np.zeros(0)
    growth = 1 + 0.02 * (week.number - 210)
    mean = lognormal(keys, S.CHAT_MU, seed, 1.0, 0.9) * median * max(growth, 0.3)
    messages = _negative_binomial(keys, mean, week)
    class_chat = chats["has_label"]
    return pa.table(
        {
            "chat_id": _strings(hex_ids(keys, S.CHAT_ID, seed)),
            "org_inn": _strings(chats["inn"]),
            "chat_kind": _strings(chats["kind"]),
            "class_label": _strings(chats["label"], ~class_chat),
            "creator_role": _strings(chats["creator"]),
            "created_on": _dates(np.floor(chats["created"])),
            "messages": _ints(messages),
            "members": _ints(chats["members"]),
            "class_teacher_member": _bools(chats["member"], ~class_chat),
        }
    )


def _label_number(labels: Strs) -> Int:
    """«10Б» → 102: a number for a class label, stable across weeks."""
    grades = np.array([int(label[:-1]) for label in labels.tolist()], dtype=np.int64)
    letters = np.array([LETTERS.index(label[-1]) for label in labels.tolist()], dtype=np.int64)
    return grades * 10 + letters


def _negative_binomial(keys: Int, mean: Float, week: Week) -> Int:
    """Messages in the week: a Poisson–gamma mixture (dispersion 0.8) drawn from the week's stream."""
    if not len(keys):
        return np.zeros(0, dtype=np.int64)
    rng = np.random.default_rng([week.seed, week.number, int(keys[0] % 2**32), len(keys)])
    rate = rng.gamma(0.8, mean / 0.8)
    result: Int = rng.poisson(rate).astype(np.int64)
    return result


# ---------------------------------------------------------------- organisations
def sferum_orgs(muni: Municipality, staff: Staff, week: Week) -> pa.Table:
    """Schools connected to «Сферум»: connected when their first staff member registered."""
    seed = week.seed
    first_day: dict[int, float] = {}
    for school, day in zip(staff.people.school.tolist(), staff.sferum_day.tolist(), strict=True):
        first_day[school] = min(first_day.get(school, np.inf), day)
    rows = [(org, first_day.get(position, np.inf)) for position, org in enumerate(muni.schools)]
    others = [o for o in muni.orgs if o.kind in ("vocational", "additional") and o.is_active]
    serials = np.array([o.serial for o in others], dtype=np.int64)
    other_day = (
        TEACHER_SFERUM[0] + 60 + 60 * logit(uniform(serials + 10**6 * (1 + muni.index), S.SFERUM_ORG, seed))
    )
    rows.extend(zip(others, other_day.tolist(), strict=True))
    connected = [(org, day) for org, day in rows if day <= week.sunday]
    serial = np.array([org.serial for org, _ in connected], dtype=np.int64) + 10**6 * (1 + muni.index)
    inactive = uniform(serial, S.ORG_INACTIVE, seed) < 0.04
    return pa.table(
        {
            "org_inn": _strings([org.inn for org, _ in connected]),
            "sferum_org_id": _strings(_concat("sf-", 100_000 + serial % 900_000)),
            "connected_on": _dates(np.floor(np.array([day for _, day in connected], dtype=np.float64))),
            "status": _strings(np.where(inactive, "inactive", "active")),
        }
    )


def fgis_orgs(region: RegionPlan, week: Week) -> pa.Table:
    """The organisation registry of ФГИС «Моя школа» for a region (JSON Lines, `region` inside)."""
    seed = week.seed
    rows: list[tuple[Org, Municipality]] = [(o, m) for m in region.municipalities for o in m.orgs]
    keys = np.array([o.serial + 10_000_000 * region.index for o, _ in rows], dtype=np.int64)
    lateness = np.array([_lateness(region, m, o) for o, m in rows])
    kind = np.array([o.kind for o, _ in rows], dtype=object).astype(str)
    listed = np.ones(len(rows), dtype=bool)
    management = kind == "management"
    mgmt_day = adoption_day(keys, lateness, MANAGEMENT_BODY, S.MGMT, seed)
    listed[management] = mgmt_day[management] <= week.sunday
    ej_day = adoption_day(keys, lateness, EJOURNAL, S.EJ, seed)
    # A regional e-journal is part of a regional ГИС: a region without one connects the ФГИС journal.
    regional_ej = (uniform(keys, S.EJ_KIND, seed) < 0.35) & region.has_gis
    ejournal = np.where(ej_day <= week.sunday, np.where(regional_ej, "regional_connected", "fgis"), "none")
    ejournal = np.where(kind == "general", ejournal, "none")
    community_day = adoption_day(keys, lateness, COMMUNITY, S.COMMUNITY, seed)
    verified_day = community_day + np.floor(lognormal(keys, S.VERIFY, seed, 21, 0.8))
    community = np.where(
        verified_day <= week.sunday, "verified", np.where(community_day <= week.sunday, "created", "none")
    )
    idx = np.flatnonzero(listed)
    return pa.table(
        {
            "org_id": _strings([f"{region.tax_code}-{rows[i][0].serial:06d}" for i in idx]),
            "inn": _strings([rows[i][0].inn for i in idx]),
            "ogrn": _strings([rows[i][0].ogrn for i in idx]),
            "name": _strings([rows[i][0].name for i in idx]),
            "org_kind": _strings(kind[idx]),
            "region": _strings(np.full(len(idx), region.code)),
            "oktmo": _strings([rows[i][1].oktmo for i in idx]),
            "municipality": _strings([rows[i][1].name for i in idx]),
            "is_active": _bools(np.array([rows[i][0].is_active for i in idx], dtype=bool)),
            "ejournal": _strings(ejournal[idx]),
            "official_community": _strings(community[idx]),
        }
    )


# ---------------------------------------------------------------- regional events
def gis_exchange(region: RegionPlan, system_name: str, week: Week) -> pa.Table:
    """Exchange runs between the regional ГИС and ФГИС: mostly daily, some failing, and some
    region-weeks with no successful exchange at all (indicator A10)."""
    rng = np.random.default_rng([week.seed, region.index, week.number, 77])
    outage = rng.random() < 0.12
    rows = []
    for day in range(7):
        for direction in ("to_fgis", "from_fgis"):
            if rng.random() < 0.2:
                continue
            second = int(rng.integers(1 * 3600, 6 * 3600))
            failed = outage or rng.random() < 0.1
            records = 0 if failed else int(rng.poisson(max(50, region_students(region) / 40)))
            rows.append((week.monday + day, second, direction, "error" if failed else "ok", records))
    rows.sort()
    stamps = np.array([d * 86_400 + s for d, s, *_ in rows], dtype=np.int64)
    return pa.table(
        {
            "region": _strings(np.full(len(rows), region.code)),
            "system": _strings(np.full(len(rows), system_name)),
            "exchanged_at": pa.array(stamps, type=pa.timestamp("s")),
            "direction": _strings([r[2] for r in rows]),
            "status": _strings([r[3] for r in rows]),
            "records": _ints([r[4] for r in rows]),
        }
    )


def region_students(region: RegionPlan) -> int:
    return sum(o.students for o in region.orgs)


def cc_requests(region: RegionPlan, week: Week) -> pa.Table:
    """Requests to the competence centre: channels, categories, hours-to-days resolution, escalations."""
    rng = np.random.default_rng([week.seed, region.index, week.number, 88])
    schools = [o for m in region.municipalities for o in m.schools]
    count = max(3, int(rng.poisson(max(4.0, len(schools) * 0.12))))
    received = week.monday * 86_400 + np.sort(rng.integers(0, 7 * 86_400, size=count))
    channel = rng.choice(["hotline", "email", "registry", "messenger"], size=count, p=[0.35, 0.3, 0.15, 0.2])
    category = rng.choice(
        ["access", "registration", "ejournal", "chats", "content", "data_exchange", "other"],
        size=count,
        p=[0.25, 0.2, 0.15, 0.15, 0.08, 0.07, 0.1],
    )
    hours = rng.lognormal(np.log(20), 1.2, size=count)
    resolved_at = received + (hours * 3600).astype(np.int64)
    week_end = (week.sunday + 1) * 86_400
    done = resolved_at < week_end
    rejected = done & (rng.random(count) < 0.05)
    status = np.where(
        done, np.where(rejected, "rejected", "resolved"), np.where(hours > 72, "in_progress", "open")
    )
    escalated = rng.choice(["none", "mincifry", "vendor"], size=count, p=[0.88, 0.05, 0.07])
    with_org = rng.random(count) < 0.85
    org_pick = rng.integers(0, max(1, len(schools)), size=count)
    inns = np.array(
        [schools[i].inn if schools and w else "" for i, w in zip(org_pick, with_org, strict=True)]
    )
    return pa.table(
        {
            "request_id": _strings([f"{region.code[3:]}-{week.label}-{n + 1:05d}" for n in range(count)]),
            "region": _strings(np.full(count, region.code)),
            "org_inn": _strings(inns, inns == ""),
            "received_at": pa.array(received, type=pa.timestamp("s")),
            "channel": _strings(channel),
            "category": _strings(category),
            "status": _strings(status),
            "resolved_at": pa.array(np.where(done, resolved_at, 0), type=pa.timestamp("s"), mask=~done),
            "escalated_to": _strings(escalated),
        }
    )


def municipality_tables(region: RegionPlan, muni: Municipality, week: Week) -> dict[str, pa.Table]:
    """Every per-school dataset of one municipality for one week."""
    roster = student_roster(region, muni, week)
    staff = staff_roster(region, muni, week)
    return {
        "fgis_users": fgis_users(staff, roster, muni.schools, week),
        "sferum_orgs": sferum_orgs(muni, staff, week),
        "sferum_users": sferum_users(staff, roster, week, muni.schools),
        "sferum_chats": sferum_chats(staff, roster, week),
        "gis_students": gis_students(region, muni, roster, week),
        "gis_staff": gis_staff(region, muni, staff, week),
        "fgis_content": fgis_content(staff, roster, week),
    }
