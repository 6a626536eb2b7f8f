"""Time: timestamps are UTC and timezone-aware; dates are the nursery's local dates."""

from datetime import UTC, date, datetime

from nursery_ops.settings import get_settings


def utcnow() -> datetime:
    return datetime.now(UTC)


def local_date(moment: datetime) -> date:
    """The nursery's calendar date of a moment (23:30 UTC is the next day in Shanghai)."""
    return moment.astimezone(get_settings().zone).date()


def local_today() -> date:
    return local_date(utcnow())


def to_local(moment: datetime) -> datetime:
    return moment.astimezone(get_settings().zone)
