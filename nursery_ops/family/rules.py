"""What a parent is shown of a day, as plain functions: no database, no HTTP.

The family page is read-only and shows only what concerns the family's own child;
these functions decide the wording-free parts: which check items were found, the
day's totals, which recorded days lie either side of a day.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from nursery_ops.dailylog.models import EntryKind, LogEntry, Nappy

# Log entries a parent reads in the day's timeline. Sleep checks are the room's safety
# record (every 15 min while asleep), not news; photos are shown apart, only where the
# child is tagged.
TIMELINE_KINDS = frozenset({
    EntryKind.meal, EntryKind.bottle, EntryKind.nap, EntryKind.nappy, EntryKind.mood, EntryKind.activity, EntryKind.note,
})


def check_findings(check, items: Sequence[tuple[str, str]]) -> list[str]:
    """The message ids of the morning-check items (一摸二看三问四查) found on this check, in the order checked."""
    return [text for name, text in items if getattr(check, name, False)]


@dataclass(frozen=True)
class DayTotals:
    """The day at a glance: minutes asleep (ended naps), millilitres drunk, nappies changed (a dry check is not one)."""

    nap_minutes: int = 0
    millilitres: int = 0
    nappies: int = 0

    @property
    def empty(self) -> bool:
        return not (self.nap_minutes or self.millilitres or self.nappies)


def day_totals(entries: Iterable[LogEntry]) -> DayTotals:
    nap_minutes = millilitres = nappies = 0
    for entry in entries:
        if entry.kind is EntryKind.nap and entry.started_at and entry.ended_at:
            nap_minutes += max(int((entry.ended_at - entry.started_at).total_seconds() // 60), 0)
        elif entry.kind is EntryKind.bottle and entry.millilitres:
            millilitres += entry.millilitres
        elif entry.kind is EntryKind.nappy and entry.nappy is not Nappy.dry:
            nappies += 1
    return DayTotals(nap_minutes, millilitres, nappies)


def hours_minutes(minutes: int) -> tuple[int, int]:
    return divmod(minutes, 60)


def may_show_day(on: date, birth_date: date, today: date) -> bool:
    """A day the family page can show: from the child's birth up to today (never a day to come)."""
    return birth_date <= on <= today
