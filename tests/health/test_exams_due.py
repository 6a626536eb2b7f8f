"""health.service.exams_due and sick_follow_ups: what the health officer must act on, for all enrolled children."""

from datetime import timedelta

import pytest

from nursery_ops.attendance.models import Absence, AbsenceReason, Attendance
from nursery_ops.children.models import VaccinationStatus
from nursery_ops.children.rules import date_at_months
from nursery_ops.clock import local_today, utcnow
from nursery_ops.enrolment.models import EnrolmentStatus
from nursery_ops.health.models import ExamKind, HearingResult
from nursery_ops.health.rules import DueKind
from nursery_ops.health.service import child_exam_schedule, exams_due, sick_follow_ups
from nursery_ops.policy import DEFAULT_POLICY as POLICY
from tests import factories as f


def screened(session, child, on, **fields):
    """A full periodic exam with both screenings, and the vaccination certificate seen: nothing else due for a while."""
    child.vaccination_status, child.vaccination_checked_on = VaccinationStatus.sighted, on
    session.add(child)
    return f.make_exam(session, child, on, haemoglobin_g_l=120, hearing=HearingResult.passed, **fields)


def due_for(items, child):
    return {item.kind: item for item in items if item.child.id == child.id}


def test_a_periodic_exam_shows_from_30_days_before_and_when_overdue(world, session):
    today = local_today()
    born = world.child_x.birth_date
    screened(session, world.child_x, date_at_months(born, 12))  # due at 18 months: already past → overdue
    screened(session, world.child_y, today - timedelta(days=10))  # due in ~6 months: not listed
    session.commit()
    found = exams_due(session, today, POLICY)
    x = due_for(found, world.child_x)
    assert set(x) == {DueKind.periodic}
    assert x[DueKind.periodic].overdue and x[DueKind.periodic].due_on == date_at_months(born, 18)
    assert x[DueKind.periodic].last_on == date_at_months(born, 12)
    assert x[DueKind.periodic].room.id == world.room_a.id
    assert due_for(found, world.child_y) == {}


@pytest.mark.parametrize(("days_to_due", "listed"), [(31, False), (30, True), (29, True), (0, True), (-1, True)])
def test_the_warning_window_edges(world, session, days_to_due, listed):
    # The 15th of this month: due dates then never fall on a month's end, where −6 and +6 months
    # need not come back to the same day.
    today = local_today().replace(day=15)
    # A 6-month interval for child_y (30 months): examined so that it falls due in `days_to_due` days.
    due_on = today + timedelta(days=days_to_due)
    last = date_at_months(due_on, -6)
    assert date_at_months(last, 6) == due_on
    screened(session, world.child_y, last)
    screened(session, world.child_x, today)
    session.commit()
    found = due_for(exams_due(session, today, POLICY), world.child_y)
    assert (DueKind.periodic in found) is listed
    if listed:
        assert found[DueKind.periodic].overdue is (days_to_due < 0)


def test_voided_exams_do_not_count(world, session):
    today = local_today()
    screened(session, world.child_x, today)
    screened(session, world.child_y, today, voided_at=utcnow(), void_reason="wrong child")
    session.commit()
    found = exams_due(session, today, POLICY)
    assert due_for(found, world.child_x) == {}
    assert set(due_for(found, world.child_y)) == {DueKind.periodic, DueKind.haemoglobin, DueKind.hearing}


def test_screenings_count_from_any_exam_that_recorded_them(world, session):
    today = local_today()
    screened(session, world.child_y, today)
    world.child_x.vaccination_status = VaccinationStatus.sighted
    f.make_exam(session, world.child_x, today - timedelta(days=20), kind=ExamKind.entry)
    f.make_exam(session, world.child_x, today - timedelta(days=300), haemoglobin_g_l=118)  # due in ~65 days
    f.make_exam(session, world.child_x, today - timedelta(days=350), hearing=HearingResult.refer)  # due in ~15 days
    session.commit()
    x = due_for(exams_due(session, today, POLICY), world.child_x)
    assert set(x) == {DueKind.hearing}
    assert not x[DueKind.hearing].overdue


def test_vaccination_certificates_pending_or_missing_are_due(world, session):
    today = local_today()
    screened(session, world.child_x, today)
    screened(session, world.child_y, today)
    world.child_x.vaccination_status = VaccinationStatus.pending
    world.child_x.vaccination_due_on = today + timedelta(days=10)
    world.child_y.vaccination_status = VaccinationStatus.missing  # was due at the start, 30 days ago
    session.commit()
    found = exams_due(session, today, POLICY)
    assert due_for(found, world.child_x)[DueKind.vaccination].due_on == today + timedelta(days=10)
    assert due_for(found, world.child_y)[DueKind.vaccination].overdue
    assert found[0].child.id == world.child_y.id  # overdue first


def test_only_enrolled_children_are_listed(world, session):
    waiting = f.make_child(session, "冯候补", months=20)
    f.enrol(session, waiting, None, status=EnrolmentStatus.waitlisted)
    gone = f.make_child(session, "陈退托", months=20)
    f.enrol(session, gone, world.room_a, status=EnrolmentStatus.withdrawn, withdrawal_reason="搬家")
    session.commit()
    names = {item.child.full_name for item in exams_due(session, local_today(), POLICY)}
    assert names == {"王小明", "赵小红"}  # nothing recorded for them: due from their start


@pytest.mark.parametrize("more", [5, 20])
def test_exams_due_is_one_query_for_any_number_of_children(world, session, queries, more):
    today = local_today()
    for index in range(more):
        child = f.make_child(session, f"多{index}", months=8 + index)
        f.enrol(session, child, world.room_a)
        f.make_exam(session, child, today - timedelta(days=100), haemoglobin_g_l=115)
    session.commit()
    with queries:
        found = exams_due(session, today, POLICY)
    assert queries.count == 1  # the enrolled children, their exams outer-joined
    assert len({item.child.id for item in found}) == more + 2


def test_a_childs_schedule_includes_what_is_not_due_yet(world, session):
    today = local_today()
    screened(session, world.child_x, today - timedelta(days=10))  # at 18 months: next at 24, screenings at 30
    session.commit()
    found = child_exam_schedule(session, world.child_x, today, POLICY)
    assert [due.kind for due in found] == [DueKind.periodic, DueKind.haemoglobin, DueKind.hearing]
    assert not any(due.warn for due in found)


def test_nothing_is_scheduled_after_36_months(world, session):
    today = local_today()
    screened(session, world.child_y, date_at_months(world.child_y.birth_date, 30))  # the next would be at 36
    session.commit()
    assert child_exam_schedule(session, world.child_y, today, POLICY) == []


def test_a_child_not_enrolled_has_no_schedule(world, session):
    child = f.make_child(session, "新来", months=10)
    session.commit()
    assert child_exam_schedule(session, child, local_today(), POLICY) == []


# ---------------------------------------------------------------- sick follow-up


def sick(session, world, child, room, on, symptoms="发烧", reason=AbsenceReason.sick):
    session.add(Absence(child_id=child.id, room_id=room.id, on_date=on, reason=reason, symptoms=symptoms, recorded_by_id=world.health.id))


def test_sick_children_not_back_are_followed_up_not_yet_asked_first(world, session):
    today = local_today()
    sick(session, world, world.child_x, world.room_a, today - timedelta(days=2), "咳嗽")
    sick(session, world, world.child_x, world.room_a, today - timedelta(days=1), "咳嗽, 发烧")
    sick(session, world, world.child_y, world.room_b, today, "腹泻")
    session.commit()
    found = sick_follow_ups(session, today)
    assert [item.child.full_name for item in found] == ["王小明", "赵小红"]
    assert found[0].last_sick_on == today - timedelta(days=1) and found[0].symptoms == "咳嗽, 发烧"
    assert not found[0].followed_up_on(today) and found[1].followed_up_on(today)


def test_a_child_back_since_is_not_followed_up(world, session):
    today = local_today()
    sick(session, world, world.child_x, world.room_a, today - timedelta(days=2))
    session.add(
        Attendance(
            child_id=world.child_x.id, room_id=world.room_a.id, on_date=today - timedelta(days=1),
            check_in_at=utcnow(), brought_by="王妈妈", checked_in_by_id=world.caregiver_a.id,
        )
    )
    session.commit()
    assert sick_follow_ups(session, today) == []


def test_sick_follow_up_is_one_query_whatever_the_children_and_their_history(world, session, queries):
    today = local_today()

    def count() -> int:
        with queries:
            sick_follow_ups(session, today)
        return queries.count

    none = count()
    sick(session, world, world.child_x, world.room_a, today)
    session.commit()
    few = count()
    for index in range(20):
        child = f.make_child(session, f"病{index}", months=20)
        f.enrol(session, child, world.room_a)
        for back in range(2, 40, 3):  # sick and back again, for weeks
            sick(session, world, child, world.room_a, today - timedelta(days=back + 1))
            session.add(Attendance(child_id=child.id, room_id=world.room_a.id, on_date=today - timedelta(days=back),
                                   check_in_at=utcnow(), brought_by="妈妈", checked_in_by_id=world.caregiver_a.id))
        sick(session, world, child, world.room_a, today - timedelta(days=1))
    session.commit()
    assert count() == few == none == 1
    assert len(sick_follow_ups(session, today)) == 21


# ---------------------------------------------------------------- screening results to follow up


def test_low_haemoglobin_and_hearing_refer_are_followed_up_until_a_later_normal_result(world, session):
    from nursery_ops.health.service import screening_findings

    today = local_today()
    f.make_exam(session, world.child_x, today - timedelta(days=90), haemoglobin_g_l=104, hearing=HearingResult.refer)
    f.make_exam(session, world.child_x, today - timedelta(days=10), hearing=HearingResult.passed)  # hearing cleared
    f.make_exam(session, world.child_y, today - timedelta(days=30), haemoglobin_g_l=100)
    f.make_exam(session, world.child_y, today - timedelta(days=5), haemoglobin_g_l=112)  # anaemia cleared
    f.make_exam(session, world.child_y, today - timedelta(days=3), hearing=HearingResult.refer)
    f.make_exam(session, world.child_y, today - timedelta(days=1), haemoglobin_g_l=90, voided_at=utcnow(), void_reason="错录")
    session.commit()
    found = {(item.child.full_name, item.kind): item for item in screening_findings(session, POLICY)}
    assert set(found) == {("王小明", DueKind.haemoglobin), ("赵小红", DueKind.hearing)}
    assert found[("王小明", DueKind.haemoglobin)].haemoglobin_g_l == 104


@pytest.mark.parametrize(("value", "listed"), [(109, True), (110, False)])
def test_anaemia_is_below_110_g_l(world, session, value, listed):
    from nursery_ops.health.service import screening_findings

    f.make_exam(session, world.child_x, local_today(), haemoglobin_g_l=value)
    session.commit()
    assert bool(screening_findings(session, POLICY)) is listed


@pytest.mark.parametrize("more", [5, 20])
def test_screening_findings_are_one_query(world, session, queries, more):
    from nursery_ops.health.service import screening_findings

    for index in range(more):
        child = f.make_child(session, f"筛{index}", months=20)
        f.enrol(session, child, world.room_a)
        f.make_exam(session, child, local_today(), haemoglobin_g_l=95, hearing=HearingResult.refer)
    session.commit()
    with queries:
        found = screening_findings(session, POLICY)
    assert queries.count == 1 and len(found) == 2 * more
