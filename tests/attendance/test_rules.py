"""The day's rules at their edges (DOMAIN.md "The day", ratios)."""

from datetime import UTC, date, datetime, time

import pytest

from nursery_ops.attendance.models import AbsenceReason
from nursery_ops.attendance.rules import (
    Collector,
    CollectorKind,
    after_cutoff,
    certificate_valid,
    children_per_caregiver,
    is_expected,
    missing_reasons,
    morning_check_decision,
    needs_family_call,
    not_counted_reason,
    parse_temperature,
    pickup_decision,
    ratio_decision,
    required_caregivers,
    sick_follow_up,
    temperature_error,
)
from nursery_ops.enrolment.models import CareType, EnrolmentStatus
from nursery_ops.policy import DEFAULT_POLICY
from nursery_ops.rooms.models import RoomType
from tests.factories import birth_for_months

ON = date(2026, 11, 25)  # a Wednesday
START = date(2026, 9, 1)


# ---------------------------------------------------------------- expected today


@pytest.mark.parametrize(
    ("status", "care_type", "days", "end", "on", "booked", "expected"),
    [
        (EnrolmentStatus.enrolled, CareType.full_day, "12345", None, ON, False, True),
        (EnrolmentStatus.enrolled, CareType.full_day, "12345", None, date(2026, 11, 28), False, False),  # Saturday
        (EnrolmentStatus.enrolled, CareType.half_day, "135", None, ON, False, True),
        (EnrolmentStatus.enrolled, CareType.hourly, "24", None, ON, False, False),
        (EnrolmentStatus.waitlisted, CareType.full_day, "12345", None, ON, False, False),
        (EnrolmentStatus.enrolled, CareType.full_day, "12345", None, date(2026, 8, 31), False, False),  # before start
        (EnrolmentStatus.enrolled, CareType.full_day, "12345", ON, ON, False, True),  # the last day
        (EnrolmentStatus.enrolled, CareType.full_day, "12345", date(2026, 11, 24), ON, False, False),
        (EnrolmentStatus.enrolled, CareType.temporary, "", None, ON, True, True),
        (EnrolmentStatus.enrolled, CareType.temporary, "12345", None, ON, False, False),  # only booked days
    ],
)
def test_is_expected(status, care_type, days, end, on, booked, expected):
    assert is_expected(status, care_type, days, START, end, on, booked) is expected


# ---------------------------------------------------------------- ratio


def births(*months):
    return [birth_for_months(m, ON) for m in months]


@pytest.mark.parametrize(
    ("months", "room_type", "ratio"),
    [
        ((8,), RoomType.infant, 3),
        ((11,), RoomType.infant, 3),
        ((12,), RoomType.toddler, 5),
        ((23,), RoomType.toddler, 5),
        ((24,), RoomType.older, 7),
        ((30, 26, 35), RoomType.older, 7),
        ((30, 26, 20), RoomType.mixed, 5),  # one 20-month child → 1:5 for the room
        ((30, 26, 24), RoomType.mixed, 7),
        ((), RoomType.mixed, 5),  # nobody in yet: a mixed room may take under-24s
        ((), RoomType.infant, 3),
        ((), RoomType.older, 7),
    ],
)
def test_children_per_caregiver_uses_the_youngest_child_present(months, room_type, ratio):
    assert children_per_caregiver(births(*months), room_type, ON, DEFAULT_POLICY) == ratio


@pytest.mark.parametrize(
    ("children", "per", "needed"),
    [(0, 5, 0), (1, 5, 1), (5, 5, 1), (6, 5, 2), (10, 5, 2), (11, 5, 3), (3, 3, 1), (4, 3, 2), (7, 7, 1), (8, 7, 2)],
)
def test_required_caregivers(children, per, needed):
    assert required_caregivers(children, per) == needed


def test_one_caregiver_takes_five_toddlers_not_six():
    assert ratio_decision(5, 1, 5) is None
    decision = ratio_decision(6, 1, 5)
    assert decision.blocks
    assert decision.params == {"children": 6, "needed": 2, "ratio": 5, "counted": 1}


def test_ratio_with_no_counted_caregiver_blocks_the_first_child():
    assert ratio_decision(1, 0, 7).blocks
    assert ratio_decision(0, 0, 7) is None


def test_mixed_room_with_one_twenty_month_child_is_held_to_one_in_five():
    per = children_per_caregiver(births(30, 30, 30, 30, 30, 20), RoomType.mixed, ON, DEFAULT_POLICY)
    assert per == 5
    assert ratio_decision(6, 1, per).blocks
    per_older = children_per_caregiver(births(30, 30, 30, 30, 30, 30), RoomType.mixed, ON, DEFAULT_POLICY)
    assert ratio_decision(6, 1, per_older) is None


# ---------------------------------------------------------------- temperature


@pytest.mark.parametrize(
    ("text", "tenths"),
    [("37.3", 373), ("37,3", 373), ("37", 370), (" 36.8 ", 368), ("37.25", None), ("abc", None), ("", None), ("3.7", None)],
)
def test_parse_temperature(text, tenths):
    assert parse_temperature(text) == tenths


@pytest.mark.parametrize(
    ("tenths", "ok"), [(339, False), (340, True), (430, True), (431, False), (None, False), (372, True)]
)
def test_temperature_sanity_is_a_form_error(tenths, ok):
    assert (temperature_error(tenths) is None) is ok


@pytest.mark.parametrize(
    ("tenths", "rash", "infection", "admitting", "blocked"),
    [
        (372, False, False, True, False),
        (373, False, False, True, True),
        (375, False, False, True, True),
        (373, False, False, False, False),  # send home is always possible
        (365, True, False, True, True),
        (365, False, True, True, True),
        (390, True, True, False, False),
    ],
)
def test_morning_check_decision(tenths, rash, infection, admitting, blocked):
    decision = morning_check_decision(admitting, tenths, rash, infection, DEFAULT_POLICY)
    assert (decision is not None and decision.blocks) is blocked


def test_fever_threshold_follows_the_policy():
    stricter = DEFAULT_POLICY.with_values(fever_celsius=37.0)
    assert morning_check_decision(True, 370, False, False, stricter).blocks
    assert morning_check_decision(True, 369, False, False, stricter) is None


# ---------------------------------------------------------------- pick-up


@pytest.mark.parametrize(
    ("collector", "allowed"),
    [
        (Collector(CollectorKind.guardian, 1, active=True, may_pick_up=True), True),
        (Collector(CollectorKind.guardian, 1, active=True, may_pick_up=False), False),
        (Collector(CollectorKind.guardian, 1, active=False, may_pick_up=True), False),
        (Collector(CollectorKind.adult, 1, active=True, may_pick_up=True), True),
        (Collector(CollectorKind.adult, 1, active=False, may_pick_up=True), False),
        (Collector(CollectorKind.adult, 1, active=True, may_pick_up=False), False),
        (Collector(CollectorKind.adult, 2, active=True, may_pick_up=True), False),  # another child's adult
        (Collector(CollectorKind.delegate, 1, active=True, on_date=ON), True),
        (Collector(CollectorKind.delegate, 1, active=True, on_date=date(2026, 11, 24)), False),  # yesterday's
        (Collector(CollectorKind.delegate, 1, active=False, on_date=ON), False),  # approving guardian ended
        (None, False),  # a stranger
    ],
)
def test_pickup_decision(collector, allowed):
    decision = pickup_decision(collector, 1, ON)
    assert (decision is None) is allowed
    if not allowed:
        assert decision.blocks and "may not collect" in decision.message


# ---------------------------------------------------------------- absences


@pytest.mark.parametrize(("now", "after"), [(time(9, 29), False), (time(9, 30), True), (time(14, 0), True)])
def test_after_cutoff(now, after):
    assert after_cutoff(now, DEFAULT_POLICY) is after


def test_missing_reasons_only_after_the_cutoff():
    assert missing_reasons([1, 2, 3, 4], arrived=[1], absent=[3], local_now=time(9, 29), policy=DEFAULT_POLICY) == []
    assert missing_reasons([1, 2, 3, 4], arrived=[1], absent=[3], local_now=time(9, 30), policy=DEFAULT_POLICY) == [2, 4]


def test_unknown_absence_needs_a_call_until_recorded():
    called = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    assert needs_family_call(AbsenceReason.unknown, None)
    assert not needs_family_call(AbsenceReason.unknown, called)
    assert not needs_family_call(AbsenceReason.sick, None)
    assert not needs_family_call(AbsenceReason.leave, None)


def test_sick_children_are_followed_up_until_they_return():
    sick = {1: date(2026, 11, 23), 2: date(2026, 11, 23), 3: date(2026, 11, 24)}
    arrivals = {1: date(2026, 11, 25), 3: date(2026, 11, 20)}
    assert sick_follow_up(sick, arrivals) == {2, 3}


# ---------------------------------------------------------------- staff on duty


@pytest.mark.parametrize(
    ("voided", "until", "valid"), [(False, ON, True), (False, date(2026, 11, 24), False), (True, date(2027, 1, 1), False)]
)
def test_certificate_valid(voided, until, valid):
    assert certificate_valid(voided, until, ON) is valid


@pytest.mark.parametrize(
    ("on_shift", "certificate", "caregiver", "counted"),
    [(True, True, True, True), (False, True, True, False), (True, False, True, False), (True, True, False, False)],
)
def test_who_counts_toward_the_ratio(on_shift, certificate, caregiver, counted):
    assert (not_counted_reason(on_shift, certificate, caregiver) is None) is counted
