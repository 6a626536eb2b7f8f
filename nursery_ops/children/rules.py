"""Age, band and room rules (DOMAIN.md "Age bands and rooms"). Plain functions: no DB, no HTTP."""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from nursery_ops.i18n import N_
from nursery_ops.policy import Policy
from nursery_ops.rooms.models import RoomType


class AgeBand(StrEnum):
    too_young = "too_young"  # under 6 months: not admitted
    infant = "infant"  # 乳儿 [6, 12)
    toddler = "toddler"  # 托小 [12, 24)
    older = "older"  # 托大 [24, 36)
    aged_out = "aged_out"  # 36 months: moves on to kindergarten


def last_day_of_month(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def completed_months(birth_date: date, on: date) -> int:
    """Age in completed calendar months on a date.

    A month is complete on the same day-of-month as the birth, or on the last day
    of a shorter month (born 31 January → one month on 28/29 February; born
    29 February → twelve months on 28 February of a common year).
    """
    if on < birth_date:
        raise ValueError("date before birth")
    months = (on.year - birth_date.year) * 12 + (on.month - birth_date.month)
    if on.day < birth_date.day and on.day != last_day_of_month(on.year, on.month):
        months -= 1
    return months


def date_at_months(birth_date: date, months: int) -> date:
    """The day a child completes `months` months (inverse of completed_months)."""
    total = birth_date.month - 1 + months
    year, month = birth_date.year + total // 12, total % 12 + 1
    return date(year, month, min(birth_date.day, last_day_of_month(year, month)))


def age_band(months: int, policy: Policy) -> AgeBand:
    """Half-open bands: 乳儿 [6,12), 托小 [12,24), 托大 [24,36)."""
    if months < policy.admission_min_months:
        return AgeBand.too_young
    if months < policy.toddler_from_months:
        return AgeBand.infant
    if months < policy.older_from_months:
        return AgeBand.toddler
    if months < policy.ages_out_months:
        return AgeBand.older
    return AgeBand.aged_out


BAND_ROOM = {AgeBand.infant: RoomType.infant, AgeBand.toddler: RoomType.toddler, AgeBand.older: RoomType.older}


@dataclass(frozen=True)
class BandChange:
    """A child about to leave its band (or age out), with where they should go."""

    on: date
    next_band: AgeBand
    suggested_room_type: RoomType | None


def upcoming_band_change(birth_date: date, today: date, policy: Policy) -> BandChange | None:
    """WARN within `band_change_warning_days` of a band change or of turning 36 months."""
    months = completed_months(birth_date, today)
    band = age_band(months, policy)
    boundaries = {
        AgeBand.too_young: policy.admission_min_months,
        AgeBand.infant: policy.toddler_from_months,
        AgeBand.toddler: policy.older_from_months,
        AgeBand.older: policy.ages_out_months,
    }
    if band not in boundaries:
        return None
    change_on = date_at_months(birth_date, boundaries[band])
    if change_on - today > timedelta(days=policy.band_change_warning_days):
        return None
    next_band = age_band(boundaries[band], policy)
    return BandChange(on=change_on, next_band=next_band, suggested_room_type=BAND_ROOM.get(next_band))


def latest_birth_date_for_months(today: date, months: int) -> date:
    """The latest birth date of a child who has completed `months` months by `today`.

    Ages are non-decreasing in the birth date, so "at least N months old" is
    "born on or before this day" — a filter the database can do. Month ends make
    a few later days qualify too (born 31 Jan is one month old on 28 Feb).
    """
    born = date_at_months(today, -months)
    while date_at_months(born + timedelta(days=1), months) <= today:
        born += timedelta(days=1)
    return born


def band_birth_range(band: AgeBand, today: date, policy: Policy) -> tuple[date, date]:
    """(born after, born on or before) for the children in `band` today."""
    lower, upper = {
        AgeBand.infant: (policy.admission_min_months, policy.toddler_from_months),
        AgeBand.toddler: (policy.toddler_from_months, policy.older_from_months),
        AgeBand.older: (policy.older_from_months, policy.ages_out_months),
    }[band]
    return latest_birth_date_for_months(today, upper), latest_birth_date_for_months(today, lower)


def birth_date_errors(birth_date: date, today: date, policy: Policy) -> dict[str, str]:
    """Registration takes children younger than the age they leave at (36 months)."""
    if birth_date > today:
        return {"birth_date": N_("This date cannot be in the future.")}
    if completed_months(birth_date, today) >= policy.ages_out_months:
        return {"birth_date": N_("This child is already old enough for kindergarten and cannot be registered here. Check the birth date.")}
    return {}
