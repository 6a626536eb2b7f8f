"""Daily-log rules at their edges: sleep checks, bottles, naps, times, outdoor time, summaries."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from nursery_ops.dailylog.models import Amount, EntryKind, LogEntry, Meal, Nappy
from nursery_ops.dailylog.rules import (
    after_departure_error,
    at_local_time,
    before_arrival_error,
    bottle_error,
    entry_summary,
    may_correct,
    nap_end_error,
    nap_overlap_error,
    outdoor_total_minutes,
    outdoor_warning,
    sleep_check_due_at,
    sleep_check_error,
    sleep_check_overdue,
    summary_text,
    time_error,
)
from nursery_ops.policy import DEFAULT_POLICY, Mode

START = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai


@pytest.mark.parametrize(("minutes", "overdue"), [(14, False), (15, False), (16, True)])
def test_sleep_check_overdue_after_15_minutes_since_the_nap_started(minutes, overdue):
    assert sleep_check_overdue(START, None, START + timedelta(minutes=minutes), DEFAULT_POLICY) is overdue


@pytest.mark.parametrize(("minutes", "overdue"), [(14, False), (15, False), (16, True)])
def test_sleep_check_overdue_counts_from_the_last_check(minutes, overdue):
    checked = START + timedelta(minutes=40)
    assert sleep_check_overdue(START, checked, checked + timedelta(minutes=minutes), DEFAULT_POLICY) is overdue


def test_sleep_check_due_at():
    assert sleep_check_due_at(START, None, DEFAULT_POLICY) == START + timedelta(minutes=15)
    assert sleep_check_due_at(START, START + timedelta(minutes=10), DEFAULT_POLICY) == START + timedelta(minutes=25)


@pytest.mark.parametrize(("ml", "ok"), [(0, False), (1, True), (180, True), (500, True), (501, False), (5000, False)])
def test_bottle_limits(ml, ok):
    assert (bottle_error(ml) is None) is ok


def test_over_500_ml_says_so():
    assert "Over 500 ml" in bottle_error(501)


@pytest.mark.parametrize(("minutes", "ok"), [(-1, False), (0, False), (1, True), (90, True)])
def test_a_nap_ends_after_it_starts(minutes, ok):
    assert (nap_end_error(START, START + timedelta(minutes=minutes)) is None) is ok


def test_times_cannot_be_in_the_future():
    assert time_error(START, START) is None
    assert time_error(START - timedelta(minutes=1), START) is None
    assert time_error(START + timedelta(minutes=1), START) is not None


def test_a_wall_clock_time_is_on_the_local_date():
    shanghai = ZoneInfo("Asia/Shanghai")
    assert at_local_time(date(2026, 3, 2), time(7, 30), shanghai) == datetime(2026, 3, 1, 23, 30, tzinfo=UTC)


def test_only_the_director_corrects_earlier_days():
    today = date(2026, 3, 2)
    assert may_correct(today, today, False)
    assert not may_correct(today - timedelta(days=1), today, False)
    assert may_correct(today - timedelta(days=1), today, True)


@pytest.mark.parametrize(("minutes", "reason", "warns"), [(119, False, True), (120, False, False), (0, True, False), (119, True, False)])
def test_outdoor_warning_under_120_minutes_unless_a_reason(minutes, reason, warns):
    decision = outdoor_warning(minutes, reason, DEFAULT_POLICY)
    assert (decision is not None) is warns
    if warns:
        assert decision.mode is Mode.warn and decision.params == {"minutes": 119, "required": 120}


def test_outdoor_minutes_are_the_sum_of_the_periods():
    periods = [(START, START + timedelta(minutes=50)), (START + timedelta(hours=3), START + timedelta(hours=3, minutes=69))]
    assert outdoor_total_minutes(periods) == 119


def entry(kind, **fields) -> LogEntry:
    return LogEntry(child_id=1, room_id=1, on_date=date(2026, 3, 2), kind=kind, at=START, by_id=1, **fields)


def test_entry_summaries():
    assert entry_summary(entry(EntryKind.meal, meal=Meal.lunch, amount=Amount.most)) == (
        "{meal_label}: {amount_label}", {"meal_label": "Lunch", "amount_label": "ate most"}
    )
    assert entry_summary(entry(EntryKind.bottle, millilitres=180)) == ("Drank {ml} ml", {"ml": 180})
    assert entry_summary(entry(EntryKind.nap, started_at=START)) == ("Asleep", {})
    assert entry_summary(entry(EntryKind.nap, started_at=START, ended_at=START + timedelta(minutes=95))) == (
        "Slept {minutes} min", {"minutes": 95}
    )
    assert entry_summary(entry(EntryKind.note, text="x" * 100))[1]["text"].endswith("…")
    assert entry_summary(entry(EntryKind.photo)) == ("Photo", {})


def test_summary_text_translates_labels_first():
    def gettext(message, **params):
        return message.format(**params).upper()

    assert summary_text(entry(EntryKind.nappy, nappy=Nappy.wet), gettext) == "NAPPY: WET"


# ---------------------------------------------------------------- moments the child was not there


def minutes(n: int) -> datetime:
    return START + timedelta(minutes=n)


@pytest.mark.parametrize(("at", "ok"), [(-1, False), (0, True), (30, True)])
def test_nothing_is_logged_before_the_child_arrived(at, ok):
    error = before_arrival_error(minutes(at), START, UTC)
    assert (error is None) is ok
    if not ok:
        assert error.params == {"time": "04:00"} and "arrived at" in error.message


def test_a_batch_refusal_names_the_child_who_arrived_later():
    error = before_arrival_error(minutes(-5), START, ZoneInfo("Asia/Shanghai"), "王小明")
    assert error.params == {"name": "王小明", "time": "12:00"}


@pytest.mark.parametrize(("at", "check_out", "ok"), [(10, None, True), (10, 10, True), (11, 10, False)])
def test_nor_after_they_went_home(at, check_out, ok):
    gone = minutes(check_out) if check_out is not None else None
    assert (after_departure_error(minutes(at), gone, UTC) is None) is ok


# ---------------------------------------------------------------- one nap at a time


EARLIER_NAP = (minutes(0), minutes(60))


@pytest.mark.parametrize(
    ("start", "end", "others", "ok"),
    [
        (60, None, [EARLIER_NAP], True),  # starts as the last one ended
        (59, None, [EARLIER_NAP], False),
        (-30, 0, [EARLIER_NAP], True),  # ends as the other starts
        (-30, 1, [EARLIER_NAP], False),
        (10, 20, [EARLIER_NAP], False),  # inside
        (-10, 70, [EARLIER_NAP], False),  # around
        (-30, None, [EARLIER_NAP], False),  # an open nap started earlier runs over the other
        (90, 120, [(minutes(0), None)], False),  # the other is still open
        (90, 120, [], True),
    ],
)
def test_naps_do_not_overlap(start, end, others, ok):
    error = nap_overlap_error(minutes(start), minutes(end) if end is not None else None, others, UTC)
    assert (error is None) is ok
    if not ok:
        assert error.params == {"time": "04:00"}


@pytest.mark.parametrize(("at", "ok"), [(-1, False), (0, True), (30, True), (60, True), (61, False), (125, True)])
def test_a_sleep_check_lies_within_a_nap(at, ok):
    naps = [EARLIER_NAP, (minutes(120), None)]
    assert (sleep_check_error(minutes(at), naps) is None) is ok
