"""Room rules (DOMAIN.md "Age bands and rooms"): which ages a room takes, how many. Plain functions."""

from datetime import date

from nursery_ops.children.rules import BandChange, completed_months
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


def age_fits_room(months: int, room_type: RoomType, policy: Policy) -> Decision | None:
    """BLOCK outside the room's ages (and under 6 / 36 and over for any room)."""
    if months < policy.admission_min_months:
        return Decision(Mode.block, N_("Children under {months} months are not admitted."), {"months": policy.admission_min_months})
    if months >= policy.ages_out_months:
        return Decision(
            Mode.block,
            N_("At {months} months a child moves on to kindergarten and cannot be enrolled."),
            {"months": policy.ages_out_months},
        )
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
