"""ISO weeks, the project's unit of time: Monday 00:00 to Sunday 24:00 Europe/Moscow, `2026-W47`."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

MOSCOW = ZoneInfo("Europe/Moscow")
_LABEL = re.compile(r"^(\d{4})-W(\d{2})$")


def week_label(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def parse_week(label: str) -> tuple[int, int]:
    match = _LABEL.match(label)
    if not match:
        raise ValueError(f"{label!r} is not an ISO week label like 2026-W47")
    year, week = int(match.group(1)), int(match.group(2))
    date.fromisocalendar(year, week, 1)  # raises for W53 in a 52-week year
    return year, week


def week_monday(label: str) -> date:
    year, week = parse_week(label)
    return date.fromisocalendar(year, week, 1)


def week_sunday(label: str) -> date:
    return week_monday(label) + timedelta(days=6)


def shift_week(label: str, weeks: int) -> str:
    return week_label(week_monday(label) + timedelta(weeks=weeks))


def week_range(first: str, last: str) -> list[str]:
    """Every week label from `first` to `last`, both included."""
    labels, current = [], week_monday(first)
    end = week_monday(last)
    while current <= end:
        labels.append(week_label(current))
        current += timedelta(weeks=1)
    return labels


def current_week(now: datetime | None = None) -> str:
    """The week in progress in Moscow."""
    return week_label((now or datetime.now(MOSCOW)).astimezone(MOSCOW).date())


def last_complete_week(now: datetime | None = None) -> str:
    """The most recent week whose Sunday has ended in Moscow."""
    moment = (now or datetime.now(MOSCOW)).astimezone(MOSCOW)
    return week_label(moment.date() - timedelta(days=7))
