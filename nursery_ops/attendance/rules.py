"""Who is expected today and how many caregivers a room needs (DOMAIN.md "The day", ratios). Plain functions."""

import math
from collections.abc import Iterable
from datetime import date

from nursery_ops.children.rules import AgeBand, age_band, completed_months
from nursery_ops.enrolment.models import CareType, EnrolmentStatus
from nursery_ops.i18n import N_
from nursery_ops.policy import Decision, Mode, Policy
from nursery_ops.rooms.models import RoomType


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
