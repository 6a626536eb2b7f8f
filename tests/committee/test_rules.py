"""Committee rules at their edges: terms and a child leaving, dates in order, the satisfaction rate, 6 months."""

from datetime import date

import pytest

from nursery_ops.committee import rules
from nursery_ops.committee.models import ActivityKind
from nursery_ops.committee.rules import Term, TermStatus, member_term, parent_contact_warning
from nursery_ops.policy import Mode

TODAY = date(2026, 7, 15)
YESTERDAY, TOMORROW = date(2026, 7, 14), date(2026, 7, 16)
FROM = date(2025, 9, 1)


# ---------------------------------------------------------------- a member's term


@pytest.mark.parametrize(
    ("to_date", "spans", "status", "ends", "child_left"),
    [
        # Open term, child in care with no end: active
        (None, [(date(2025, 3, 1), None)], TermStatus.active, None, False),
        # The term the director set ends yesterday / today / tomorrow
        (YESTERDAY, [(date(2025, 3, 1), None)], TermStatus.ended, YESTERDAY, False),
        (TODAY, [(date(2025, 3, 1), None)], TermStatus.active, TODAY, False),
        (TOMORROW, [(date(2025, 3, 1), None)], TermStatus.active, TOMORROW, False),
        # The only child's last day of care was yesterday: ended with that day, because the child left
        (None, [(date(2025, 3, 1), YESTERDAY)], TermStatus.ended, YESTERDAY, True),
        # ...is today: still a member today
        (None, [(date(2025, 3, 1), TODAY)], TermStatus.active, None, False),
        # One child left, a brother or sister is still in care
        (None, [(date(2024, 3, 1), date(2026, 6, 30)), (date(2025, 9, 1), None)], TermStatus.active, None, False),
        # Both children have left: the later last day ends the term
        (None, [(date(2024, 3, 1), date(2026, 6, 30)), (date(2025, 9, 1), date(2026, 7, 10))],
         TermStatus.ended, date(2026, 7, 10), True),
        # The term ran out before the child left: the director's date stands
        (date(2026, 6, 30), [(date(2025, 3, 1), date(2026, 7, 10))], TermStatus.ended, date(2026, 6, 30), False),
        # The child left before the term's own end
        (date(2026, 12, 31), [(date(2025, 3, 1), date(2026, 7, 10))], TermStatus.ended, date(2026, 7, 10), True),
        # No enrolment left at all (the guardian link ended): ended
        (None, [], TermStatus.ended, None, True),
    ],
)
def test_a_members_term_ends_on_its_date_or_when_the_last_child_leaves(to_date, spans, status, ends, child_left):
    term = member_term(FROM, to_date, spans, TODAY)
    assert term.status(TODAY) is status
    assert term.ends == ends
    assert term.child_left is child_left


def test_a_term_starting_tomorrow_is_upcoming_and_today_active():
    assert Term(TOMORROW, None).status(TODAY) is TermStatus.upcoming
    assert Term(TODAY, None).status(TODAY) is TermStatus.active


@pytest.mark.parametrize(
    ("term", "day", "covered"),
    [
        (Term(FROM, date(2026, 6, 30)), date(2025, 8, 31), False),
        (Term(FROM, date(2026, 6, 30)), FROM, True),
        (Term(FROM, date(2026, 6, 30)), date(2026, 6, 30), True),
        (Term(FROM, date(2026, 6, 30)), date(2026, 7, 1), False),
        (Term(FROM, date(2026, 6, 30), child_left=True), date(2026, 6, 30), True),
        (Term(FROM, None), date(2030, 1, 1), True),
        (Term(FROM, None, child_left=True), TODAY, False),
    ],
)
def test_a_term_covers_the_days_from_its_first_to_its_last(term, day, covered):
    assert term.covers(day) is covered


@pytest.mark.parametrize(
    ("to_date", "errors"),
    [(None, {}), (FROM, {}), (date(2025, 8, 31), {"to_date": rules.END_BEFORE_START})],
)
def test_a_term_cannot_end_before_it_starts(to_date, errors):
    assert rules.term_errors(FROM, to_date) == errors


# ---------------------------------------------------------------- opinions and responses


@pytest.mark.parametrize(("responded_on", "refused"), [(YESTERDAY, True), (TODAY, False), (TOMORROW, False)])
def test_a_response_is_not_dated_before_the_opinion(responded_on, refused):
    errors = rules.response_errors(TODAY, responded_on)
    assert bool(errors) is refused
    if refused:
        assert errors["responded_on"].message == rules.RESPONSE_BEFORE_OPINION
        assert errors["responded_on"].params == {"date": "2026-07-15"}


@pytest.mark.parametrize(
    ("given_on", "responded_on", "refused"),
    [(YESTERDAY, TODAY, False), (TODAY, TODAY, False), (TOMORROW, TODAY, True), (TOMORROW, None, False)],
)
def test_an_opinion_cannot_be_moved_after_its_response(given_on, responded_on, refused):
    assert bool(rules.opinion_date_errors(given_on, responded_on)) is refused


# ---------------------------------------------------------------- satisfaction


@pytest.mark.parametrize(
    ("percent", "satisfied", "surveyed", "expected", "errors"),
    [
        (92, None, None, 92, {}),
        (0, None, None, 0, {}),
        (100, None, None, 100, {}),
        (None, 45, 50, 90, {}),
        # 2 of 3 = 66.67 → 67; 1 of 8 = 12.5 → 13 (halves up); 1 of 3 = 33.3 → 33
        (None, 2, 3, 67, {}),
        (None, 1, 8, 13, {}),
        (None, 1, 3, 33, {}),
        (None, 0, 5, 0, {}),
        (None, 5, 5, 100, {}),
        # Both given and agreeing
        (90, 45, 50, 90, {}),
        (None, None, None, None, {"satisfaction_percent": rules.RATE_OR_COUNTS}),
        (None, 45, None, None, {"surveyed_count": rules.REQUIRED}),
        (None, None, 50, None, {"satisfied_count": rules.REQUIRED}),
        (None, 0, 0, None, {"surveyed_count": rules.NOBODY_SURVEYED}),
        (None, 51, 50, None, {"satisfied_count": rules.MORE_SATISFIED_THAN_SURVEYED}),
    ],
)
def test_a_surveys_rate_comes_from_the_percent_or_the_counts(percent, satisfied, surveyed, expected, errors):
    assert rules.satisfaction_rate(ActivityKind.survey, percent, satisfied, surveyed) == (expected, errors)


def test_a_rate_that_disagrees_with_the_counts_is_refused_naming_what_the_counts_give():
    rate, errors = rules.satisfaction_rate(ActivityKind.survey, 80, 45, 50)
    assert rate is None
    assert errors["satisfaction_percent"].message == rules.RATE_MISMATCH
    assert errors["satisfaction_percent"].params == {"percent": "90%"}


def test_an_activity_has_no_satisfaction_rate():
    assert rules.satisfaction_rate(ActivityKind.activity, None, None, None) == (None, {})
    _rate, errors = rules.satisfaction_rate(ActivityKind.activity, 90, None, 10)
    assert errors == {"satisfaction_percent": rules.ONLY_SURVEYS, "surveyed_count": rules.ONLY_SURVEYS}


# ---------------------------------------------------------------- a parent activity and a survey every 6 months


@pytest.mark.parametrize(
    ("last", "today", "overdue"),
    [
        (date(2026, 1, 15), date(2026, 7, 14), False),  # the day before 6 months
        (date(2026, 1, 15), date(2026, 7, 15), False),  # the day of: still within the last 6 months
        (date(2026, 1, 15), date(2026, 7, 16), True),  # the day after
        # Month ends: 31 August + 6 months is 28 February
        (date(2025, 8, 31), date(2026, 2, 27), False),
        (date(2025, 8, 31), date(2026, 2, 28), False),
        (date(2025, 8, 31), date(2026, 3, 1), True),
        # Leap year: 31 August 2027 + 6 months is 29 February 2028
        (date(2027, 8, 31), date(2028, 2, 29), False),
        (date(2027, 8, 31), date(2028, 3, 1), True),
        (None, date(2026, 7, 15), True),  # never held
    ],
)
def test_parent_contact_is_overdue_from_the_day_after_six_months(last, today, overdue):
    assert rules.is_overdue(last, today, 6) is overdue


@pytest.mark.parametrize(
    ("last_activity", "last_survey", "message"),
    [
        (date(2026, 3, 1), date(2026, 2, 1), None),
        (date(2026, 1, 14), date(2026, 2, 1), rules.NO_ACTIVITY),
        (date(2026, 3, 1), date(2026, 1, 14), rules.NO_SURVEY),
        (None, None, rules.NO_ACTIVITY_NOR_SURVEY),
        (date(2026, 1, 15), date(2026, 1, 15), None),
        (date(2026, 1, 14), date(2026, 1, 14), rules.NO_ACTIVITY_NOR_SURVEY),
    ],
)
def test_the_warning_names_what_is_overdue(last_activity, last_survey, message):
    decision = parent_contact_warning(last_activity, last_survey, TODAY, 6)
    if message is None:
        assert decision is None
    else:
        assert decision.mode is Mode.warn and decision.message == message and decision.params == {"months": 6}


def test_a_stricter_interval_from_the_policy_is_followed():
    assert parent_contact_warning(date(2026, 3, 15), date(2026, 3, 15), TODAY, 6) is None
    assert parent_contact_warning(date(2026, 3, 15), date(2026, 3, 15), TODAY, 3).params == {"months": 3}


def test_next_due_is_six_months_after_the_last():
    assert rules.next_due(date(2026, 1, 15), 6) == date(2026, 7, 15)
    assert rules.next_due(None, 6) is None
