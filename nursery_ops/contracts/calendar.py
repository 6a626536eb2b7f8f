"""Service days (DOMAIN.md "Fee contracts and money"): the days a child's weekly schedule covers,
less the nursery's closed days, plus 调休 working days that stand for a scheduled weekday.

Billing and refunds count every pro-rata amount in these days; this is the one place that says
which days they are.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlmodel import Session, select

from nursery_ops.contracts.models import CalendarDay, CalendarDayKind


@dataclass(frozen=True)
class Calendar:
    """The calendar entries of a stretch of days: closed days (and whether the nursery caused them), working days."""

    closed: dict[date, bool] = field(default_factory=dict)  # date → caused by the nursery
    working_as: dict[date, int] = field(default_factory=dict)  # 调休 date → the ISO weekday it stands for


def load_calendar(session: Session, start: date, end: date) -> Calendar:
    """The director's calendar entries from `start` to `end` inclusive (one query)."""
    rows = session.exec(select(CalendarDay).where(CalendarDay.on_date >= start, CalendarDay.on_date <= end)).all()
    return Calendar(
        closed={row.on_date: row.caused_by_nursery for row in rows if row.kind is CalendarDayKind.closed},
        working_as={row.on_date: row.as_weekday for row in rows if row.kind is CalendarDayKind.working and row.as_weekday},
    )


def days_between(start: date, end: date) -> Iterator[date]:
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def service_days(schedule_days: str, start: date, end: date, calendar: Calendar) -> list[date]:
    """The service days from `start` to `end` inclusive for a weekly schedule ("12345" = Monday to Friday)."""
    scheduled = {int(day) for day in schedule_days}
    return [
        day for day in days_between(start, end)
        if day not in calendar.closed and calendar.working_as.get(day, day.isoweekday()) in scheduled
    ]


def nursery_closure_days(schedule_days: str, start: date, end: date, calendar: Calendar) -> list[date]:
    """Scheduled days the nursery closed through its own doing (refunded in full pro rata)."""
    scheduled = {int(day) for day in schedule_days}
    return [day for day, by_nursery in sorted(calendar.closed.items())
            if by_nursery and start <= day <= end and day.isoweekday() in scheduled]
