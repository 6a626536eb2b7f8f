"""Enrolment rules: the admission checklist (入托), waitlist order, placement BLOCKs, schedules."""

from datetime import UTC, date, datetime, timedelta

import pytest

from nursery_ops.children.models import Child, ChildGuardian, Sex, TrustedAdult, VaccinationStatus
from nursery_ops.enrolment.models import CareType, Enrolment, EnrolmentStatus, HalfDaySession
from nursery_ops.enrolment.rules import (
    AdmissionFacts,
    admission_age,
    admission_checklist,
    admission_complete,
    admission_needs_attention,
    override_decision,
    schedule_errors,
    schedule_text,
    waitlist_order,
)
from nursery_ops.health.models import ExamKind, HealthExam
from nursery_ops.policy import DEFAULT_POLICY
from nursery_ops.rooms.models import RoomType
from nursery_ops.rooms.rules import placement_decisions

START = date(2026, 9, 1)
MOTHER, FATHER = 1, 2


def complete_case():
    """A child whose admission is complete: every test below removes one thing."""
    child = Child(
        id=1, full_name="王小明", sex=Sex.male, birth_date=date(2025, 3, 1),
        vaccination_status=VaccinationStatus.sighted, vaccination_checked_on=START - timedelta(days=3),
        consent_on=START - timedelta(days=7), consent_guardian_id=MOTHER,
    )
    enrolment = Enrolment(
        id=1, child_id=1, room_id=1, status=EnrolmentStatus.enrolled, care_type=CareType.full_day,
        schedule_days="12345", applied_on=START - timedelta(days=30), start_date=START,
        agreement_signed_on=START - timedelta(days=7),
    )
    facts = AdmissionFacts(
        guardian_links=[ChildGuardian(child_id=1, guardian_id=MOTHER, relation="母亲", may_pick_up=True)],
        trusted_adults=[TrustedAdult(child_id=1, full_name="王奶奶", relation="奶奶", phone="13900139000",
                                     may_pick_up=True, emergency_contact=True)],
        entry_exams=[HealthExam(child_id=1, kind=ExamKind.entry, exam_date=START - timedelta(days=10),
                                institution="市妇幼保健院", passed=True)],
    )
    return child, enrolment, facts


def items_by_key(child, enrolment, facts, today=START):
    return {item.key: item for item in admission_checklist(child, enrolment, facts, today, DEFAULT_POLICY)}


def test_a_complete_admission_has_every_item_done():
    items = items_by_key(*complete_case())
    assert set(items) == {"agreement", "entry_exam", "vaccination", "guardians", "emergency_contact", "pickup", "needs", "consent"}
    assert all(item.done and not item.warn for item in items.values())
    assert admission_complete(items.values())


def _no_agreement(child, enrolment, facts):
    enrolment.agreement_signed_on = None


def _failed_exam(child, enrolment, facts):
    facts.entry_exams[0].passed = False


def _voided_exam(child, enrolment, facts):
    facts.entry_exams[0].voided_at = datetime(2026, 8, 30, tzinfo=UTC)


def _periodic_exam_only(child, enrolment, facts):
    facts.entry_exams[0].kind = ExamKind.periodic


def _vaccination_missing(child, enrolment, facts):
    child.vaccination_status = VaccinationStatus.missing


def _no_guardian(child, enrolment, facts):
    facts.guardian_links[0].active = False


def _no_emergency_contact(child, enrolment, facts):
    facts.trusted_adults[0].emergency_contact = False


def _inactive_trusted_adult_and_no_guardian_pick_up(child, enrolment, facts):
    facts.trusted_adults[0].active = False
    facts.guardian_links[0].may_pick_up = False


def _feeding_need_without_statement(child, enrolment, facts):
    child.feeding_needs = "无乳糖奶粉"


def _no_consent(child, enrolment, facts):
    child.consent_on = None


def _consent_by_an_ended_guardian(child, enrolment, facts):
    facts.guardian_links.append(ChildGuardian(child_id=1, guardian_id=FATHER, relation="父亲", active=False))
    child.consent_guardian_id = FATHER


@pytest.mark.parametrize(
    ("change", "missing"),
    [
        (_no_agreement, {"agreement"}),
        (_failed_exam, {"entry_exam"}),
        (_voided_exam, {"entry_exam"}),
        (_periodic_exam_only, {"entry_exam"}),
        (_vaccination_missing, {"vaccination"}),
        # Without an active guardian the consent cannot stand either.
        (_no_guardian, {"guardians", "consent"}),
        (_no_emergency_contact, {"emergency_contact"}),
        (_inactive_trusted_adult_and_no_guardian_pick_up, {"emergency_contact", "pickup"}),
        (_feeding_need_without_statement, {"needs"}),
        (_no_consent, {"consent"}),
        (_consent_by_an_ended_guardian, {"consent"}),
    ],
)
def test_each_missing_item_is_reported(change, missing):
    child, enrolment, facts = complete_case()
    change(child, enrolment, facts)
    items = items_by_key(child, enrolment, facts)
    assert {key for key, item in items.items() if not item.done} == missing
    assert not admission_complete(items.values())


def test_a_feeding_need_with_the_guardians_statement_is_done():
    child, enrolment, facts = complete_case()
    child.feeding_needs, child.feeding_statement_on = "无乳糖奶粉", START - timedelta(days=5)
    assert items_by_key(child, enrolment, facts)["needs"].done


def test_a_second_guardian_is_an_emergency_contact():
    child, enrolment, facts = complete_case()
    facts.trusted_adults.clear()
    facts.guardian_links.append(ChildGuardian(child_id=1, guardian_id=FATHER, relation="父亲", may_pick_up=True))
    items = items_by_key(child, enrolment, facts)
    assert items["emergency_contact"].done and items["pickup"].done


@pytest.mark.parametrize(("days_before_start", "valid"), [(0, True), (30, True), (31, False)])
def test_entry_exam_counts_within_30_days_before_the_start(days_before_start, valid):
    child, enrolment, facts = complete_case()
    facts.entry_exams[0].exam_date = START - timedelta(days=days_before_start)
    assert items_by_key(child, enrolment, facts)["entry_exam"].done is valid


@pytest.mark.parametrize(
    ("today", "warn"),
    [
        (START + timedelta(days=29), False),  # the day before the deadline
        (START + timedelta(days=30), False),  # the deadline itself
        (START + timedelta(days=31), True),  # the day after
    ],
)
def test_pending_vaccination_warns_after_start_plus_30_days(today, warn):
    child, enrolment, facts = complete_case()
    child.vaccination_status, child.vaccination_checked_on = VaccinationStatus.pending, None
    item = items_by_key(child, enrolment, facts, today=today)["vaccination"]
    assert item.done  # pending with a deadline does not hold up admission
    assert item.warn is warn
    assert item.params["date"] == START + timedelta(days=30)


def test_a_recorded_vaccination_deadline_replaces_the_default():
    child, enrolment, facts = complete_case()
    child.vaccination_status, child.vaccination_due_on = VaccinationStatus.pending, START + timedelta(days=10)
    assert items_by_key(child, enrolment, facts, today=START + timedelta(days=11))["vaccination"].warn


@pytest.mark.parametrize(("days_to_start", "flagged"), [(14, True), (15, False), (-20, True)])
def test_incomplete_admission_is_flagged_from_14_days_before_the_start(days_to_start, flagged):
    child, enrolment, facts = complete_case()
    enrolment.agreement_signed_on = None
    items = admission_checklist(child, enrolment, facts, START, DEFAULT_POLICY)
    assert admission_needs_attention(enrolment, items, START - timedelta(days=days_to_start)) is flagged


def test_complete_admission_is_never_flagged():
    child, enrolment, facts = complete_case()
    items = admission_checklist(child, enrolment, facts, START, DEFAULT_POLICY)
    assert not admission_needs_attention(enrolment, items, START)


def _waiting(id_, applied_on):
    return Enrolment(id=id_, child_id=id_, status=EnrolmentStatus.waitlisted, care_type=CareType.full_day,
                     schedule_days="12345", applied_on=applied_on, start_date=START)


def test_waitlist_is_in_order_of_application_then_entry():
    late = _waiting(1, date(2026, 5, 3))
    early_second = _waiting(3, date(2026, 5, 1))
    early_first = _waiting(2, date(2026, 5, 1))
    assert waitlist_order([late, early_second, early_first]) == [early_first, early_second, late]


BIRTH = date(2025, 1, 15)


@pytest.mark.parametrize(
    ("on", "room_type", "taken", "capacity", "messages"),
    [
        (date(2026, 7, 15), RoomType.mixed, 0, 18, []),  # 18 months on the start date: a mixed room takes them
        (date(2026, 7, 14), RoomType.mixed, 0, 18, ["This room takes children"]),  # 17 months
        (date(2026, 7, 14), RoomType.toddler, 14, 15, []),
        (date(2026, 7, 14), RoomType.toddler, 15, 15, ["This room is full"]),
        (date(2026, 7, 14), RoomType.older, 15, 15, ["This room takes children", "This room is full"]),
        (date(2025, 7, 14), RoomType.infant, 0, 10, ["Children under"]),  # 5 months
        (date(2028, 1, 15), RoomType.mixed, 0, 18, ["At {months} months"]),  # 36 months
    ],
)
def test_placement_blocks_age_then_cap(on, room_type, taken, capacity, messages):
    decisions = placement_decisions(BIRTH, on, room_type, taken, capacity, DEFAULT_POLICY)
    assert len(decisions) == len(messages)
    for decision, start in zip(decisions, messages):
        assert decision.blocks and decision.message.startswith(start)


def test_a_start_before_birth_is_blocked_as_too_young():
    assert placement_decisions(BIRTH, BIRTH - timedelta(days=1), RoomType.infant, 0, 10, DEFAULT_POLICY)


@pytest.mark.parametrize(
    ("on", "blocked"),
    [(date(2025, 7, 14), True), (date(2025, 7, 15), False), (date(2028, 1, 14), False), (date(2028, 1, 15), True)],
)
def test_waitlist_places_need_an_admissible_age_at_the_wished_start(on, blocked):
    assert (admission_age(BIRTH, on, DEFAULT_POLICY) is not None) is blocked


@pytest.mark.parametrize(
    ("care_type", "days", "session", "fields"),
    [
        (CareType.full_day, [1, 2, 3, 4, 5], None, set()),
        (CareType.full_day, [], None, {"schedule_days"}),
        (CareType.full_day, [0, 8], None, {"schedule_days"}),
        (CareType.half_day, [1], None, {"half_day_session"}),
        (CareType.half_day, [1], HalfDaySession.morning, set()),
        (CareType.temporary, [6], None, set()),
    ],
)
def test_schedule_needs_a_day_and_half_day_a_session(care_type, days, session, fields):
    assert set(schedule_errors(care_type, days, session)) == fields


def test_schedule_is_stored_as_sorted_iso_weekdays():
    assert schedule_text([5, 1, 3, 1]) == "135"


def test_an_override_needs_a_written_reason_only_when_something_blocks():
    block = placement_decisions(BIRTH, date(2026, 7, 14), RoomType.mixed, 0, 18, DEFAULT_POLICY)
    assert override_decision(block, "  ") == {"override_reason": override_decision(block, None)["override_reason"]}
    assert override_decision(block, "园长批准：双胞胎同班") == {}
    assert override_decision([], None) == {}
