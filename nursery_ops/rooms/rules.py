"""Room rules (DOMAIN.md "Age bands and rooms"): which ages a room takes, how many. Plain functions."""

from datetime import date

from nursery_ops.children.rules import AgeBand, BandChange, age_band, completed_months
from nursery_ops.i18n import N_
from nursery_ops.policy import Decision, Mode, Policy
from nursery_ops.rooms.models import RoomType


def room_type_cap(room_type: RoomType, policy: Policy) -> int:
    return {
        RoomType.infant: policy.infant_room_cap,
        RoomType.toddler: policy.toddler_room_cap,
        RoomType.older: policy.older_room_cap,
        RoomType.mixed: policy.mixed_room_cap,
    }[room_type]


def room_months(room_type: RoomType, policy: Policy) -> tuple[int, int]:
    """The ages a room takes, as a half-open range of completed months."""
    return {
        RoomType.infant: (policy.admission_min_months, policy.toddler_from_months),
        RoomType.toddler: (policy.toddler_from_months, policy.older_from_months),
        RoomType.older: (policy.older_from_months, policy.ages_out_months),
        RoomType.mixed: (policy.mixed_room_min_months, policy.ages_out_months),
    }[room_type]


def age_admissible(months: int, policy: Policy) -> Decision | None:
    """BLOCK a child under 6 months or of 36 months and over, whatever the room."""
    if months < policy.admission_min_months:
        return Decision(Mode.block, N_("Children under {months} months are not admitted."), {"months": policy.admission_min_months})
    if months >= policy.ages_out_months:
        return Decision(
            Mode.block,
            N_("At {months} months a child moves on to kindergarten and cannot be enrolled."),
            {"months": policy.ages_out_months},
        )
    return None


def age_fits_room(months: int, room_type: RoomType, policy: Policy) -> Decision | None:
    """BLOCK outside the room's ages (and under 6 / 36 and over for any room)."""
    if refused := age_admissible(months, policy):
        return refused
    low, high = room_months(room_type, policy)
    if not low <= months < high:
        return Decision(
            Mode.block,
            N_("This room takes children from {low} to under {high} months; the child will be {months} months old."),
            {"low": low, "high": high, "months": months},
        )
    return None


def room_has_place(occupied: int, capacity: int) -> Decision | None:
    """BLOCK when one more child would exceed the room's capacity."""
    if occupied + 1 > capacity:
        return Decision(
            Mode.block,
            N_("This room is full: {occupied} of {capacity} places are taken."),
            {"occupied": occupied, "capacity": capacity},
        )
    return None


def capacity_within_type(capacity: int, room_type: RoomType, policy: Policy) -> Decision | None:
    cap = room_type_cap(room_type, policy)
    if capacity < 1 or capacity > cap:
        return Decision(Mode.block, N_("A room of this type holds 1 to {cap} children."), {"cap": cap})
    return None


def fits_after_change(room_type: RoomType, change: BandChange, birth_date: date, policy: Policy) -> bool:
    """Whether the child can stay in a room of this type after the change (mixed rooms span bands)."""
    months = completed_months(birth_date, change.on)
    return age_fits_room(months, room_type, policy) is None


# The bands a room's occupancy is shown in (children outside them are counted as "other").
OCCUPANCY_BANDS = (AgeBand.infant, AgeBand.toddler, AgeBand.older)


def band_counts(birth_dates: list[date], on: date, policy: Policy) -> dict[AgeBand, int]:
    """How many of these children are in each age band on a date."""
    counts = {band: 0 for band in AgeBand}
    for birth_date in birth_dates:
        counts[age_band(completed_months(birth_date, on), policy)] += 1
    return counts


def placement_decisions(
    birth_date: date, on: date, room_type: RoomType, places_taken: int, capacity: int, policy: Policy
) -> list[Decision]:
    """The BLOCKs against putting a child into a room from a date: age on that date, then the cap."""
    months = completed_months(birth_date, on) if on >= birth_date else -1
    return [
        decision
        for decision in (age_fits_room(months, room_type, policy), room_has_place(places_taken, capacity))
        if decision is not None
    ]


def capacity_holds_children(capacity: int, places_taken: int) -> Decision | None:
    """BLOCK lowering a room's capacity below the children it already holds."""
    if capacity < places_taken:
        return Decision(
            Mode.block,
            N_("Children holding a place in this room: {count}. The capacity cannot be lower."),
            {"count": places_taken},
        )
    return None


def room_may_close(places_taken: int) -> Decision | None:
    """BLOCK deactivating a room that still holds children (move or withdraw them first)."""
    if places_taken:
        return Decision(
            Mode.block,
            N_("Children holding a place in this room: {count}. Transfer or withdraw them first."),
            {"count": places_taken},
        )
    return None


def filed_capacity_check(total_children: int, policy: Policy) -> Decision | None:
    """WARN when the nursery holds more children than its filed capacity (备案人数)."""
    if total_children > policy.filed_capacity:
        return Decision(
            Mode.warn,
            N_("Children enrolled: {total}, more than the filed capacity (备案人数) of {filed}."),
            {"total": total_children, "filed": policy.filed_capacity},
        )
    return None


def places_from(end_dates: list[date | None], on: date) -> int:
    """Places a room's enrolments hold from a date on: any not ended before it.

    A place booked for a later start is already taken, so a cap check on a start
    date also counts children who start after it.
    """
    return sum(1 for end_date in end_dates if end_date is None or end_date >= on)


def type_change_fits_children(room_type: RoomType, birth_dates: list[date], on: date, policy: Policy) -> Decision | None:
    """BLOCK changing a room's type while children in it would fall outside the new type's ages."""
    outside = sum(1 for birth_date in birth_dates if age_fits_room(completed_months(birth_date, on), room_type, policy))
    if outside:
        return Decision(
            Mode.block,
            N_("Children in this room outside the ages of that room type: {count}."),
            {"count": outside},
        )
    return None
