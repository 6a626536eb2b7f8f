"""The family page's rules at their edges: check findings, the day's totals, which days may be shown."""

from datetime import UTC, date, datetime, timedelta

import pytest

from nursery_ops.attendance.forms import CHECK_ITEMS
from nursery_ops.attendance.models import CheckOutcome, MorningCheck
from nursery_ops.dailylog.models import EntryKind, LogEntry, Nappy
from nursery_ops.family import labels
from nursery_ops.family.rules import TIMELINE_KINDS, DayTotals, check_findings, day_totals, may_show_day

NOON = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)


def check(**items) -> MorningCheck:
    return MorningCheck(child_id=1, on_date=NOON.date(), temperature_tenths=365, outcome=CheckOutcome.admit, by_id=1, **items)


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ({}, []),
        ({"throat_red": True}, ["二看 Throat red"]),
        ({"unsafe_items_found": True, "feels_feverish": True}, ["一摸 Feels feverish", "四查 Unsafe items found"]),
        ({"suspected_infection": True, "rash": True}, ["二看 Rash on the skin", "Suspected infection"]),
    ],
)
def test_check_findings_are_the_ticked_items_in_the_order_checked(items, expected):
    assert check_findings(check(**items), CHECK_ITEMS) == expected


def test_the_parents_wording_covers_every_morning_check_item_in_the_same_order():
    assert [name for name, _text in labels.CHECK_ITEMS] == [name for name, _text in CHECK_ITEMS]


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ({}, []),
        ({"feels_feverish": True}, ["Felt warm to the touch"]),
        ({"unsafe_items_found": True, "abnormal_stools": True}, ["Unusual stools", "Something unsafe found in pockets or clothes"]),
    ],
)
def test_a_parent_reads_the_findings_in_plain_words(items, expected):
    assert check_findings(check(**items), labels.CHECK_ITEMS) == expected


def test_every_morning_check_outcome_has_a_parents_wording():
    assert set(labels.MORNING_OUTCOME_LABELS) == set(CheckOutcome)


def entry(kind: EntryKind, **fields) -> LogEntry:
    return LogEntry(child_id=1, room_id=1, on_date=NOON.date(), kind=kind, at=NOON, by_id=1, **fields)


def nap(minutes: int | None) -> LogEntry:
    return entry(EntryKind.nap, started_at=NOON, ended_at=NOON + timedelta(minutes=minutes) if minutes is not None else None)


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        ([], DayTotals(0, 0, 0)),
        ([nap(90), nap(30)], DayTotals(120, 0, 0)),
        ([nap(None)], DayTotals(0, 0, 0)),  # still asleep: counted once it ends
        ([entry(EntryKind.bottle, millilitres=150), entry(EntryKind.bottle, millilitres=90)], DayTotals(0, 240, 0)),
        ([entry(EntryKind.nappy, nappy=Nappy.wet), entry(EntryKind.nappy, nappy=Nappy.potty)], DayTotals(0, 0, 2)),
        ([entry(EntryKind.nappy, nappy=Nappy.dry)], DayTotals(0, 0, 0)),  # checked and dry: nothing changed
        ([entry(EntryKind.meal), entry(EntryKind.note, text="好")], DayTotals(0, 0, 0)),
    ],
)
def test_day_totals_add_up_ended_naps_drinks_and_changed_nappies(entries, expected):
    assert day_totals(entries) == expected


def test_empty_totals_say_so():
    assert DayTotals().empty and not DayTotals(nappies=1).empty


def test_the_timeline_leaves_out_sleep_checks_and_photos():
    assert EntryKind.sleep_check not in TIMELINE_KINDS and EntryKind.photo not in TIMELINE_KINDS
    assert {EntryKind.meal, EntryKind.bottle, EntryKind.nap, EntryKind.nappy, EntryKind.mood, EntryKind.activity,
            EntryKind.note} == TIMELINE_KINDS


BIRTH, TODAY = date(2025, 1, 31), date(2026, 3, 2)


@pytest.mark.parametrize(
    ("on", "shown"),
    [
        (BIRTH - timedelta(days=1), False),
        (BIRTH, True),
        (TODAY, True),
        (TODAY + timedelta(days=1), False),
    ],
)
def test_days_from_birth_to_today_may_be_shown(on, shown):
    assert may_show_day(on, BIRTH, TODAY) is shown
