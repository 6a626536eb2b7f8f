"""The exam schedule's rules at their edges (DOMAIN.md "Health over time")."""

from datetime import date, timedelta

import pytest

from nursery_ops.children.rules import date_at_months
from nursery_ops.health.rules import (
    DueKind,
    DueState,
    due_state,
    is_anaemic,
    next_periodic_exam,
    next_screening,
    periodic_interval_months,
    schedule,
)
from nursery_ops.policy import DEFAULT_POLICY as POLICY

BIRTH = date(2024, 1, 15)
STARTED = date_at_months(BIRTH, 6)


def at(months: int, days: int = 0) -> date:
    return date_at_months(BIRTH, months) + timedelta(days=days)


@pytest.mark.parametrize(
    ("months", "interval"),
    [(6, 3), (11, 3), (12, 6), (13, 6), (24, 6), (35, 6)],
)
def test_the_interval_is_3_months_below_12_months_and_6_from_exactly_12(months, interval):
    assert periodic_interval_months(months, POLICY) == interval


@pytest.mark.parametrize(
    ("last_exam", "expected"),
    [
        (at(6), at(9)),  # 乳儿: every 3 months
        (at(11), at(14)),  # examined at 11 months: the infant interval still applies
        (date(2025, 1, 14), date(2025, 4, 14)),  # the day before 12 months is 11 completed months → 3 months
        (at(12), at(18)),  # exactly 12 months is 托小: every 6 months
        (at(13), at(19)),
        (at(24), at(30)),
        (at(29), at(35)),
        (at(30), None),  # due at 36 months: the child has left for kindergarten
        (at(35), None),
    ],
)
def test_next_periodic_exam_after_the_last_one(last_exam, expected):
    assert next_periodic_exam(BIRTH, STARTED, last_exam, POLICY) == expected


def test_month_ends_follow_the_age_rule():
    born = date(2024, 1, 31)
    # Examined on 30 Nov 2024 at 9 completed months → 3 months later is the last day of February.
    assert next_periodic_exam(born, born, date(2024, 11, 30), POLICY) == date(2025, 2, 28)


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (at(6), at(6)),  # starts at 6 months: the first exam is due then
        (at(20), at(20)),  # starts at 20 months with nothing recorded: due from the start, not since 6 months
        (at(4), at(6)),  # a start before 6 months (never admitted so, but safe): due at 6 months
    ],
)
def test_with_nothing_recorded_the_first_exam_is_due_from_the_start(start, expected):
    assert next_periodic_exam(BIRTH, start, None, POLICY) == expected


@pytest.mark.parametrize(
    ("last_at", "next_at"),
    [(None, 6), (6, 18), (12, 24), (23, 35), (24, None), (35, None)],
)
def test_haemoglobin_and_hearing_are_due_a_year_after_the_last(last_at, next_at):
    last = at(last_at) if last_at is not None else None
    expected = at(next_at) if next_at is not None else None
    assert next_screening(BIRTH, STARTED, last, POLICY) == expected


@pytest.mark.parametrize(
    ("days_before_due", "state"),
    [
        (31, DueState.later),
        (30, DueState.due_soon),  # WARN 30 days before (inclusive)
        (29, DueState.due_soon),
        (0, DueState.due_soon),  # the due day itself is not overdue yet
        (-1, DueState.overdue),
        (-200, DueState.overdue),
    ],
)
def test_warn_from_30_days_before_and_when_overdue(days_before_due, state):
    due_on = date(2026, 6, 30)
    assert due_state(due_on, due_on - timedelta(days=days_before_due), POLICY) is state


def test_the_warning_days_are_a_policy_setting():
    due_on = date(2026, 6, 30)
    assert due_state(due_on, due_on - timedelta(days=45), POLICY.with_values(exam_warning_days=60)) is DueState.due_soon


def test_the_intervals_are_policy_settings():
    policy = POLICY.with_values(exam_interval_infant_months=2, exam_interval_toddler_months=4)
    assert next_periodic_exam(BIRTH, STARTED, at(8), policy) == at(10)
    assert next_periodic_exam(BIRTH, STARTED, at(12), policy) == at(16)


def test_a_childs_schedule_lists_each_kind_with_its_state():
    today = at(17, 20)  # the last full exam at 12 months → due at 18 months, 10 days away
    found = schedule(
        BIRTH, STARTED, today, POLICY, last_exam_on=at(12), last_haemoglobin_on=at(12), last_hearing_on=None
    )
    by_kind = {due.kind: due for due in found}
    assert by_kind[DueKind.periodic].due_on == at(18) and by_kind[DueKind.periodic].state is DueState.due_soon
    assert by_kind[DueKind.haemoglobin].due_on == at(24) and not by_kind[DueKind.haemoglobin].warn
    assert by_kind[DueKind.hearing].due_on == STARTED and by_kind[DueKind.hearing].overdue
    assert by_kind[DueKind.hearing].last_on is None


def test_nothing_is_scheduled_once_the_child_leaves_the_age_of_care():
    assert schedule(BIRTH, STARTED, at(34), POLICY, last_exam_on=at(30), last_haemoglobin_on=at(25), last_hearing_on=at(24)) == []


@pytest.mark.parametrize(("value", "anaemic"), [(None, False), (109, True), (110, False), (135, False)])
def test_haemoglobin_below_110_g_l_is_flagged(value, anaemic):
    assert is_anaemic(value, POLICY) is anaemic
