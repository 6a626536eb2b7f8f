"""Who is expected today and how many caregivers a room needs (DOMAIN.md "The day", ratios). Plain functions."""

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from enum import StrEnum

from nursery_ops.attendance.models import AbsenceReason
from nursery_ops.children.rules import AgeBand, age_band, completed_months
from nursery_ops.enrolment.models import CareType, EnrolmentStatus, HalfDaySession
from nursery_ops.i18n import N_
from nursery_ops.policy import Decision, Mode, Policy
from nursery_ops.rooms.models import RoomType
from nursery_ops.staff.models import CertificateKind


def is_expected(
    status: EnrolmentStatus,
    care_type: CareType,
    schedule_days: str,
    start_date: date,
    end_date: date | None,
    on: date,
    booked: bool,
) -> bool:
    """Whether an enrolment brings the child in on a day.

    Temporary care (临时托) comes only on booked days; every other care type on
    the weekdays of its schedule, from the start date to the last day.
    """
    if status is EnrolmentStatus.waitlisted or on < start_date or (end_date is not None and on > end_date):
        return False
    if care_type is CareType.temporary:
        return booked
    return str(on.isoweekday()) in schedule_days


def children_per_caregiver(birth_dates: Iterable[date], room_type: RoomType, on: date, policy: Policy) -> int:
    """The ratio that applies to the children present.

    乳儿 1:3, 托小 1:5, 托大 1:7. A room with children of several bands (a mixed
    room, or a child staying on past a band change) is held to its youngest
    child's ratio, so 1:5 as soon as anyone is under 24 months.
    """
    ratio = {AgeBand.infant: policy.ratio_infant, AgeBand.toddler: policy.ratio_toddler, AgeBand.older: policy.ratio_older}
    bands = [age_band(completed_months(birth, on), policy) for birth in birth_dates]
    applicable = [ratio[band] for band in bands if band in ratio]
    if applicable:
        return min(applicable)
    # No child present yet: the room type's own ratio (a mixed room may take under-24s: 1:5).
    return {
        RoomType.infant: policy.ratio_infant,
        RoomType.toddler: policy.ratio_toddler,
        RoomType.older: policy.ratio_older,
        RoomType.mixed: policy.ratio_toddler,
    }[room_type]


def required_caregivers(children: int, per_caregiver: int) -> int:
    return math.ceil(children / per_caregiver) if children else 0


def ratio_decision(children: int, caregivers_counted: int, per_caregiver: int) -> Decision | None:
    """BLOCK when the children present would need more counted caregivers than are on duty."""
    needed = required_caregivers(children, per_caregiver)
    if caregivers_counted < needed:
        return Decision(
            Mode.block,
            N_("The room would be below ratio: {children} children need {needed} caregivers on duty (1:{ratio}), {counted} are."),
            {"children": children, "needed": needed, "ratio": per_caregiver, "counted": caregivers_counted},
        )
    return None


# ---------------------------------------------------------------- the morning check (晨检)

TEMPERATURE_MIN_TENTHS = 340
TEMPERATURE_MAX_TENTHS = 430
_TEMPERATURE = re.compile(r"^\s*(\d{2})(?:[.,](\d))?\s*$")


def parse_temperature(text: str) -> int | None:
    """"37.3", "37,3" (a Chinese keypad's decimal comma) or "37" → tenths of a degree; None when not such a number."""
    match = _TEMPERATURE.match(text or "")
    if match is None:
        return None
    return int(match.group(1)) * 10 + int(match.group(2) or 0)


def temperature_error(tenths: int | None) -> str | None:
    """A form error (not a BLOCK): a value no thermometer on a living child shows is a typing slip."""
    if tenths is None:
        return N_("Enter the temperature with one decimal, e.g. 37.3.")
    if not TEMPERATURE_MIN_TENTHS <= tenths <= TEMPERATURE_MAX_TENTHS:
        return N_("A temperature between 34.0 and 43.0 °C, please: check the thermometer and type it again.")
    return None


def fever_tenths(policy: Policy) -> int:
    return round(policy.fever_celsius * 10)


def morning_check_decision(
    admitting: bool, temperature_tenths: int, rash: bool, suspected_infection: bool, policy: Policy
) -> Decision | None:
    """BLOCK both admitting outcomes at ≥ the fever threshold or with a rash / suspected infection; "send home" always goes.

    Compared in tenths so that 37.3 is exactly the threshold (no float rounding).
    """
    if not admitting:
        return None
    threshold = fever_tenths(policy)
    if temperature_tenths >= threshold:
        return Decision(
            Mode.block,
            N_("{temperature} °C is at or above {threshold} °C: the child cannot be admitted. Choose \"send home\"."),
            {"temperature": f"{temperature_tenths / 10:.1f}", "threshold": f"{threshold / 10:.1f}"},
        )
    if rash or suspected_infection:
        return Decision(
            Mode.block,
            N_("With a rash or a suspected infection the child cannot be admitted. Choose \"send home\"."),
        )
    return None


# ---------------------------------------------------------------- pick-up (离园)


class CollectorKind(StrEnum):
    guardian = "guardian"
    adult = "adult"  # a trusted adult on the pick-up list
    delegate = "delegate"  # a one-off delegate approved by a guardian


@dataclass(frozen=True)
class Collector:
    """The adult at the door, as the records know them.

    `active`: the guardian link / the trusted adult is active; for a delegate, the
    approving guardian's link to this child is. `on_date`: a delegate's day.
    """

    kind: CollectorKind
    child_id: int
    active: bool
    may_pick_up: bool = True
    on_date: date | None = None


PICKUP_REFUSED = N_(
    "This person may not collect the child: only a guardian allowed to pick up, an adult on the pick-up list, "
    "or a delegate approved by a guardian for today. Call a guardian."
)


def pickup_decision(collector: Collector | None, child_id: int, on: date) -> Decision | None:
    """BLOCK (never overridable) anyone but an authorised adult for this child and this day."""
    allowed = (
        collector is not None
        and collector.child_id == child_id
        and collector.active
        and collector.may_pick_up
        and (collector.kind is not CollectorKind.delegate or collector.on_date == on)
    )
    return None if allowed else Decision(Mode.block, PICKUP_REFUSED)


# ---------------------------------------------------------------- absences


def absence_cutoff(care_type: CareType, half_day_session: HalfDaySession | None, policy: Policy) -> time:
    """When an expected child who is not in needs an absence reason.

    Morning children (full day, morning half day, temporary days) by `absence_cutoff`
    (09:30); afternoon half-day children (半日托 下午) by `afternoon_absence_cutoff`
    (14:30). Hourly care (计时托) comes at varied hours, so no morning or afternoon
    time fits: a reason is asked for only once the nursery closes (`full_day_end`),
    so that the day's record still ends with every expected child in or explained.
    """
    if care_type is CareType.hourly:
        return policy.full_day_end
    if care_type is CareType.half_day and half_day_session is HalfDaySession.afternoon:
        return policy.afternoon_absence_cutoff
    return policy.absence_cutoff


def reason_needed(expected: bool, arrived: bool, absence_recorded: bool, cutoff: time, local_now: time) -> bool:
    """From the cut-off on, an expected child neither in nor with a reason is flagged "Reason needed"."""
    return expected and not arrived and not absence_recorded and local_now >= cutoff


def needs_family_call(reason: AbsenceReason, family_called_at: datetime | None, arrived: bool) -> bool:
    """"Unknown" stays on the room view and the director's page until the call is recorded or the child arrives."""
    return reason is AbsenceReason.unknown and family_called_at is None and not arrived


def sick_follow_up(last_sick_on: dict[int, date], last_arrival_on: dict[int, date]) -> set[int]:
    """Children off sick and not back since: followed up each day until they return."""
    return {
        child_id
        for child_id, sick_on in last_sick_on.items()
        if child_id not in last_arrival_on or last_arrival_on[child_id] < sick_on
    }


# ---------------------------------------------------------------- correcting arrival and departure times


def may_correct_times(is_director: bool, is_room_caregiver: bool, on: date, today: date) -> bool:
    """Hourly and temporary care are billed from these times: the room's caregivers correct today's, the director any day."""
    return is_director or (is_room_caregiver and on == today)


def _clock(moment: datetime, zone: tzinfo) -> str:
    return moment.astimezone(zone).strftime("%H:%M")


def attendance_times_errors(
    check_in_at: datetime,
    check_out_at: datetime | None,
    now: datetime,
    logged: tuple[datetime, datetime] | None,
    zone: tzinfo,
) -> dict:
    """Field → message for corrected times that cannot be: in the future, departure not after arrival,
    or the day's log (its first and last moment, `logged`) falling outside the stay."""
    errors: dict = {}
    if check_in_at > now:
        errors["check_in"] = N_("This time is still to come. Enter the time it happened.")
    elif logged is not None and logged[0] < check_in_at:
        errors["check_in"] = Decision(
            Mode.block, N_("The day's log has an entry at {time}, before this arrival: correct that entry first."),
            {"time": _clock(logged[0], zone)},
        )
    if check_out_at is not None:
        if check_out_at > now:
            errors["check_out"] = N_("This time is still to come. Enter the time it happened.")
        elif check_out_at <= check_in_at:
            errors["check_out"] = N_("The departure must be after the arrival.")
        elif logged is not None and logged[1] > check_out_at:
            errors["check_out"] = Decision(
                Mode.block, N_("The day's log has an entry at {time}, after this departure: correct that entry first."),
                {"time": _clock(logged[1], zone)},
            )
    return errors


# ---------------------------------------------------------------- staff on duty

# DOMAIN.md "Staff": before a person works with children, each of these is recorded and in date
# (renewed yearly); without them a person cannot be rostered, so cannot clock in to a room.
REQUIRED_TO_WORK = (CertificateKind.health, CertificateKind.no_criminal_record, CertificateKind.background_check)


def certificate_valid(voided: bool, valid_until: date, on: date) -> bool:
    return not voided and valid_until >= on


def missing_certificates(valid_kinds: Iterable[CertificateKind]) -> list[CertificateKind]:
    """The certificates needed to work with children that are not held valid today, in a fixed order."""
    held = set(valid_kinds)
    return [kind for kind in REQUIRED_TO_WORK if kind not in held]


def not_counted_reason(
    on_shift: bool, health_certificate_valid: bool, is_caregiver: bool, assigned_here: bool = True
) -> str | None:
    """Why a person in the room does not count toward the ratio (None: counted).

    A caregiver counts only in a room they are assigned to: someone who is also the
    health officer (or the director) may act in every room, but is not every room's caregiver.
    """
    if not on_shift:
        return N_("Not clocked in")
    if not is_caregiver:
        return N_("Not a caregiver: does not count toward the ratio")
    if not assigned_here:
        return N_("Not a caregiver of this room: does not count toward the ratio")
    if not health_certificate_valid:
        return N_("No valid health certificate: does not count toward the ratio")
    return None
