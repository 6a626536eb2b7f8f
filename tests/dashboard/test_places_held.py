"""The board's one read of the places held: the admission checklist and the exams as the child record reads them."""

from datetime import timedelta

from sqlmodel import select

from nursery_ops.children.models import ChildGuardian, TrustedAdult
from nursery_ops.clock import local_today
from nursery_ops.dashboard.service import places_held
from nursery_ops.enrolment.rules import admission_checklist
from nursery_ops.enrolment.service import admission_facts_for
from nursery_ops.health.service import exams_by_child
from nursery_ops.policy import DEFAULT_POLICY as policy
from tests import factories as f
from tests.dashboard.conftest import admitted

# Besides a complete admission whose guardian and emergency contact have left since (their rows stay):
# guardians as (may pick up, active), trusted adults as (emergency contact, may pick up, active), and
# whether the consent stays with the guardian who left.
CONTACTS = [
    ([], [], True),
    ([(False, True)], [], False),
    ([(True, False)], [(False, True, True)], False),
    ([(False, True), (False, True)], [(False, False, True)], False),
    ([(False, True)], [(True, True, False)], False),
    ([(True, True)], [(True, False, True), (False, True, True)], True),
    ([(True, True), (False, False)], [(True, False, True)], False),
]


def _read(exam) -> tuple:
    return exam.id, exam.kind, exam.exam_date, exam.passed, exam.haemoglobin_g_l, exam.hearing, exam.voided_at


def test_the_checklist_from_the_boards_read_is_the_child_records(world, session):
    today = local_today()
    children = []
    for index, (guardians, adults, consent_left) in enumerate(CONTACTS):
        child = f.make_child(session, f"联系人{index}", months=20)
        admitted(session, child, world.room_a, guardian_name=f"家长{index}")
        for row in [*session.exec(select(ChildGuardian).where(ChildGuardian.child_id == child.id)),
                    *session.exec(select(TrustedAdult).where(TrustedAdult.child_id == child.id))]:
            row.active = False
            session.add(row)
        for number, (may_pick_up, active) in enumerate(guardians):
            guardian = f.make_guardian(session, child, f"监护人{index}-{number}", may_pick_up=may_pick_up, active=active)
            if number == 0 and not consent_left:
                child.consent_guardian_id = guardian.id
        for emergency, may_pick_up, active in adults:
            f.make_trusted_adult(session, child, emergency_contact=emergency, may_pick_up=may_pick_up, active=active)
        f.make_exam(session, child, today - timedelta(days=5), haemoglobin_g_l=110)
        session.add(child)
        children.append(child)
    session.commit()

    held = places_held(session, today)
    records = admission_facts_for(session, {child.id for _enrolment, child in held.rows})
    exams = exams_by_child(session, [child.id for _enrolment, child in held.rows])
    done = {}
    for enrolment, child in held.rows:
        board = admission_checklist(child, enrolment, held.facts[child.id], today, policy)
        record = admission_checklist(child, enrolment, records[child.id], today, policy)
        assert [(item.key, item.done) for item in board] == [(item.key, item.done) for item in record], child.full_name
        # What the exam schedule and the entry-exam check read, exam by exam (the board reads them as columns).
        assert [_read(exam) for exam in held.exams[child.id]] == [_read(exam) for exam in exams[child.id]]
        if child in children:
            done[child.id] = {item.key: item.done for item in board}
    # The table reaches every branch: no guardian, no emergency contact, nobody to pick up, consent lost.
    assert {key for facts in done.values() for key, ok in facts.items() if not ok} == {
        "guardians", "emergency_contact", "pickup", "consent"}
    assert len(done) == len(CONTACTS) and any(all(facts.values()) for facts in done.values())
