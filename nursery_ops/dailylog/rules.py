"""Daily-log rules (DOMAIN.md "Daily log"). Plain functions."""

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from nursery_ops.dailylog.models import EntryKind, LogEntry
from nursery_ops.i18n import N_
from nursery_ops.labels import (
    AMOUNT_EATEN_LABELS,
    MEAL_LABELS,
    MOOD_LABELS,
    NAPPY_LABELS,
)
from nursery_ops.policy import Decision, Mode, Policy


def sleep_check_due_at(nap_started_at: datetime, last_check_at: datetime | None, policy: Policy) -> datetime:
    """When a sleeping child's next sleep check is due (every `sleep_check_minutes`, 15 by default)."""
    return (last_check_at or nap_started_at) + timedelta(minutes=policy.sleep_check_minutes)


def sleep_check_overdue(nap_started_at: datetime, last_check_at: datetime | None, now: datetime, policy: Policy) -> bool:
    """WARN when more than `sleep_check_minutes` have passed without a check."""
    return now > sleep_check_due_at(nap_started_at, last_check_at, policy)


# ---------------------------------------------------------------- values a caregiver may enter

BOTTLE_MIN_ML = 1
# No child under three drinks more than this at once: a bigger number is a typing slip (5000 for 500).
BOTTLE_MAX_ML = 500


def bottle_error(millilitres: int) -> str | None:
    """A message id when the amount cannot be right, else None."""
    if millilitres > BOTTLE_MAX_ML:
        return N_("Over 500 ml is not possible for one bottle or drink: check the number.")
    if millilitres < BOTTLE_MIN_ML:
        return N_("Enter the millilitres drunk, from 1 to 500.")
    return None


def nap_end_error(started_at: datetime, ended_at: datetime) -> str | None:
    """A nap cannot end before (or when) it started."""
    if ended_at <= started_at:
        return N_("A nap cannot end before it started. Check the time.")
    return None


def time_error(at: datetime, now: datetime) -> str | None:
    """Entries record what happened: never a moment still to come."""
    if at > now:
        return N_("This time is still to come. Enter the time it happened.")
    return None


def _clock(moment: datetime, zone: tzinfo) -> str:
    return moment.astimezone(zone).strftime("%H:%M")


def before_arrival_error(at: datetime, check_in_at: datetime, zone: tzinfo, name: str | None = None) -> Decision | None:
    """Nothing is logged for a child before they arrived (`name` given: said of one child of a batch)."""
    if at >= check_in_at:
        return None
    if name is not None:
        return Decision(
            Mode.block, N_("{name} arrived at {time}: the time cannot be earlier. Check the time."),
            {"name": name, "time": _clock(check_in_at, zone)},
        )
    return Decision(
        Mode.block, N_("The child arrived at {time}: an entry cannot be earlier. Check the time."),
        {"time": _clock(check_in_at, zone)},
    )


def after_departure_error(at: datetime, check_out_at: datetime | None, zone: tzinfo) -> Decision | None:
    """Nor after they went home."""
    if check_out_at is None or at <= check_out_at:
        return None
    return Decision(
        Mode.block, N_("The child went home at {time}: an entry cannot be later. Check the time."),
        {"time": _clock(check_out_at, zone)},
    )


# An open nap runs on until it is ended: for overlaps it has no end yet.
_OPEN = datetime.max.replace(tzinfo=UTC)


def nap_overlap_error(
    start: datetime, end: datetime | None, other_naps: Iterable[tuple[datetime, datetime | None]], zone: tzinfo
) -> Decision | None:
    """A child sleeps one nap at a time: a nap may not overlap another of the same day (touching is fine)."""
    for other_start, other_end in sorted(other_naps):
        if overlaps(start, end or _OPEN, other_start, other_end or _OPEN):
            return Decision(
                Mode.block, N_("This nap overlaps the child's nap from {time}. Check the times."),
                {"time": _clock(other_start, zone)},
            )
    return None


def sleep_check_error(at: datetime, naps: Iterable[tuple[datetime, datetime | None]]) -> str | None:
    """A sleep check is made on a sleeping child: its time lies within one of the day's naps."""
    if any(start <= at and (end is None or at <= end) for start, end in naps):
        return None
    return N_("A sleep check must be during one of the child's naps. Check the time.")


def at_local_time(on: date, clock_time: time, zone: tzinfo) -> datetime:
    """The UTC moment of a wall-clock time on a local date (the time field on the tablet)."""
    return datetime.combine(on, clock_time, tzinfo=zone).astimezone(UTC)


def may_correct(entry_on: date, today: date, is_director: bool) -> bool:
    """The tablet corrects today's entries; older ones only the director (who answers for the record)."""
    return is_director or entry_on == today


# ---------------------------------------------------------------- outdoor time (户外活动)


def overlaps(start: datetime, end: datetime, other_start: datetime, other_end: datetime) -> bool:
    return start < other_end and other_start < end


def outdoor_total_minutes(periods: Iterable[tuple[datetime, datetime]]) -> int:
    """Minutes outdoors: the sum of the recorded periods (they never overlap: the service refuses that)."""
    return sum(int((end - start).total_seconds() // 60) for start, end in periods)


def outdoor_warning(minutes: int, has_reason: bool, policy: Policy) -> Decision | None:
    """WARN under `outdoor_minutes` (120 by default) unless a reason for staying in is recorded."""
    if minutes >= policy.outdoor_minutes or has_reason:
        return None
    return Decision(
        Mode.warn,
        N_("Outdoor time today is {minutes} min, under {required} min. Go out, or record why the room stayed in."),
        {"minutes": minutes, "required": policy.outdoor_minutes},
    )


# ---------------------------------------------------------------- one line per entry


SUMMARY_TEXT_CHARS = 60


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SUMMARY_TEXT_CHARS else text[: SUMMARY_TEXT_CHARS - 1] + "…"


def entry_summary(entry: LogEntry) -> tuple[str, dict]:
    """A short line for a tile or a list: (message id, params). Params that are message ids
    themselves (meal, amount...) end in `_label`: translate them before formatting, e.g.
    `_(message, **{k: _(v) if k.endswith("_label") else v for k, v in params.items()})`.
    Times are not included: show `entry.at` beside it in the viewer's time zone.
    """
    kind = entry.kind
    if kind is EntryKind.meal:
        return N_("{meal_label}: {amount_label}"), {
            "meal_label": MEAL_LABELS[entry.meal], "amount_label": AMOUNT_EATEN_LABELS[entry.amount],
        }
    if kind is EntryKind.bottle:
        return N_("Drank {ml} ml"), {"ml": entry.millilitres}
    if kind is EntryKind.nap:
        if entry.ended_at is None:
            return N_("Asleep"), {}
        minutes = int((entry.ended_at - entry.started_at).total_seconds() // 60)
        return N_("Slept {minutes} min"), {"minutes": minutes}
    if kind is EntryKind.sleep_check:
        return N_("Sleep check"), {}
    if kind is EntryKind.nappy:
        return N_("Nappy: {nappy_label}"), {"nappy_label": NAPPY_LABELS[entry.nappy]}
    if kind is EntryKind.mood:
        return N_("Mood: {mood_label}"), {"mood_label": MOOD_LABELS[entry.mood]}
    if kind is EntryKind.activity:
        return N_("Activity: {text}"), {"text": _short(entry.text)}
    if kind is EntryKind.note:
        return N_("Note: {text}"), {"text": _short(entry.text)}
    if entry.text:
        return N_("Photo: {text}"), {"text": _short(entry.text)}
    return N_("Photo"), {}


def summary_text(entry: LogEntry, gettext) -> str:
    """`entry_summary` in the reader's language (`gettext` is the template's `_`)."""
    message, params = entry_summary(entry)
    return gettext(message, **{key: gettext(value) if key.endswith("_label") else value for key, value in params.items()})
