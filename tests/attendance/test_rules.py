"""The day's rules at their edges (DOMAIN.md "The day", ratios)."""

from datetime import UTC, date, datetime, time

import pytest

from nursery_ops.attendance.models import AbsenceReason
from nursery_ops.attendance.rules import (
    REQUIRED_TO_WORK,
    Collector,
    CollectorKind,
    absence_cutoff,
    attendance_times_errors,
    certificate_valid,
    children_per_caregiver,
    is_expected,
    may_correct_times,
    missing_certificates,
    morning_check_decision,
    needs_family_call,
    not_counted_reason,
    parse_temperature,
    pickup_decision,
    ratio_decision,
    reason_needed,
    required_caregivers,
    sick_follow_up,
    temperature_error,
)
from nursery_ops.enrolment.models import CareType, EnrolmentStatus, HalfDaySession
from nursery_ops.policy import DEFAULT_POLICY
from nursery_ops.rooms.models import RoomType
from nursery_ops.staff.models import CertificateKind
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
        # approved by a guardian who may not collect the child themself
        (Collector(CollectorKind.delegate, 1, active=True, may_pick_up=False, on_date=ON), False),
        (None, False),  # a stranger
    ],
)
def test_pickup_decision(collector, allowed):
    decision = pickup_decision(collector, 1, ON)
    assert (decision is None) is allowed
    if not allowed:
        assert decision.blocks and "may not collect" in decision.message


# ---------------------------------------------------------------- absences


MORNING, AFTERNOON = HalfDaySession.morning, HalfDaySession.afternoon


@pytest.mark.parametrize(
    ("care_type", "session", "cutoff"),
    [
        (CareType.full_day, None, time(9, 30)),
        (CareType.half_day, MORNING, time(9, 30)),
        (CareType.half_day, AFTERNOON, time(14, 30)),
        (CareType.temporary, None, time(9, 30)),  # a booked day comes like a full day
        (CareType.hourly, None, time(17, 30)),  # varied hours: only once the nursery closes
    ],
)
def test_absence_cutoff_follows_the_care_type_and_half_day_session(care_type, session, cutoff):
    assert absence_cutoff(care_type, session, DEFAULT_POLICY) == cutoff


def test_the_afternoon_cutoff_is_a_setting():
    later = DEFAULT_POLICY.with_values(afternoon_absence_cutoff=time(15, 0))
    assert absence_cutoff(CareType.half_day, AFTERNOON, later) == time(15, 0)


@pytest.mark.parametrize(
    ("care_type", "session", "now", "needed"),
    [
        (CareType.full_day, None, time(9, 29), False),
        (CareType.full_day, None, time(9, 30), True),
        (CareType.half_day, AFTERNOON, time(9, 30), False),  # the audit's bug: flagged at the morning cut-off
        (CareType.half_day, AFTERNOON, time(14, 29), False),
        (CareType.half_day, AFTERNOON, time(14, 30), True),
        (CareType.half_day, MORNING, time(9, 30), True),
        (CareType.hourly, None, time(9, 30), False),
        (CareType.hourly, None, time(17, 29), False),
        (CareType.hourly, None, time(17, 30), True),
    ],
)
def test_a_reason_is_needed_from_the_childs_own_cutoff(care_type, session, now, needed):
    cutoff = absence_cutoff(care_type, session, DEFAULT_POLICY)
    assert reason_needed(True, False, False, cutoff, now) is needed


@pytest.mark.parametrize(
    ("expected", "arrived", "absence", "needed"),
    [(True, False, False, True), (False, False, False, False), (True, True, False, False), (True, False, True, False)],
)
def test_no_reason_is_needed_for_a_child_not_expected_in_or_explained(expected, arrived, absence, needed):
    assert reason_needed(expected, arrived, absence, time(9, 30), time(10, 0)) is needed


def test_unknown_absence_needs_a_call_until_recorded_or_the_child_arrives():
    called = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    assert needs_family_call(AbsenceReason.unknown, None, arrived=False)
    assert not needs_family_call(AbsenceReason.unknown, None, arrived=True)
    assert not needs_family_call(AbsenceReason.unknown, called, arrived=False)
    assert not needs_family_call(AbsenceReason.sick, None, arrived=False)
    assert not needs_family_call(AbsenceReason.leave, None, arrived=False)


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
    ("on_shift", "certificate", "caregiver", "assigned", "counted"),
    [
        (True, True, True, True, True),
        (False, True, True, True, False),
        (True, False, True, True, False),
        (True, True, False, True, False),
        # a caregiver who is also the health officer, clocked in to a room not theirs
        (True, True, True, False, False),
    ],
)
def test_who_counts_toward_the_ratio(on_shift, certificate, caregiver, assigned, counted):
    assert (not_counted_reason(on_shift, certificate, caregiver, assigned) is None) is counted


def test_a_caregiver_of_another_room_is_told_why_they_do_not_count():
    assert not_counted_reason(True, True, True, False) == "Not a caregiver of this room: does not count toward the ratio"


HEALTH, RECORD, BACKGROUND = CertificateKind.health, CertificateKind.no_criminal_record, CertificateKind.background_check


@pytest.mark.parametrize(
    ("held", "missing"),
    [
        ({HEALTH, RECORD, BACKGROUND}, []),
        ({HEALTH, RECORD, BACKGROUND, CertificateKind.qualification}, []),
        ({RECORD, BACKGROUND}, [HEALTH]),
        ({HEALTH}, [RECORD, BACKGROUND]),
        (set(), [HEALTH, RECORD, BACKGROUND]),
        ({CertificateKind.qualification}, [HEALTH, RECORD, BACKGROUND]),  # a qualification is not enough
    ],
)
def test_missing_certificates_to_work_with_children(held, missing):
    assert missing_certificates(held) == missing
    assert set(REQUIRED_TO_WORK) == {HEALTH, RECORD, BACKGROUND}


# ---------------------------------------------------------------- correcting arrival and departure times


TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("director", "caregiver", "on", "allowed"),
    [
        (False, True, TODAY, True),
        (False, True, date(2026, 11, 24), False),  # yesterday: the director's
        (True, False, date(2026, 11, 24), True),
        (True, False, TODAY, True),
        (False, False, TODAY, False),  # a health officer of another room, say
    ],
)
def test_who_may_correct_arrival_and_departure(director, caregiver, on, allowed):
    assert may_correct_times(director, caregiver, on, TODAY) is allowed


def at(hour, minute=0):
    """A moment of 25 Nov 2026 in UTC (the zone passed to the rule is UTC too)."""
    return datetime(2026, 11, 25, hour, minute, tzinfo=UTC)


NOW = at(12)


@pytest.mark.parametrize(
    ("check_in", "check_out", "logged", "fields"),
    [
        (at(8), None, None, set()),
        (at(8), at(11), None, set()),
        (at(12), None, None, set()),  # now is not the future
        (at(12, 1), None, None, {"check_in"}),
        (at(8), at(12, 1), None, {"check_out"}),
        (at(8), at(8), None, {"check_out"}),  # departure not after the arrival
        (at(9), at(8), None, {"check_out"}),
        (at(8), at(11), (at(8), at(11)), set()),  # the log may touch both ends
        (at(8, 1), at(11), (at(8), at(10)), {"check_in"}),
        (at(8), at(10, 59), (at(8, 30), at(11)), {"check_out"}),
    ],
)
def test_impossible_arrival_and_departure_times(check_in, check_out, logged, fields):
    assert set(attendance_times_errors(check_in, check_out, NOW, logged, UTC)) == fields


def test_a_log_entry_before_the_corrected_arrival_is_named_with_its_time():
    error = attendance_times_errors(at(9), None, NOW, (at(8, 40), at(8, 40)), UTC)["check_in"]
    assert error.params == {"time": "08:40"} and "correct that entry first" in error.message
