"""The child record sends a fixed number of SQL statements, however long the child's history (issue 10)."""

import re
from datetime import timedelta

from sqlmodel import select

from nursery_ops.clock import local_today
from nursery_ops.contracts.models import ContractStatus
from nursery_ops.enrolment.models import Enrolment, EnrolmentStatus, RoomTransfer
from nursery_ops.health.models import ExamKind
from tests import factories as f

# The page's own statements (child with guardians, adults, exams, enrolments with transfers and contract, rooms,
# growth flags, the audited read) and the signed-in session's one.
RECORD_STATEMENTS = 8
SESSION_STATEMENTS = 1


def statements(queries, client, url: str) -> int:
    client.get(url)  # the first request signs the session in and sets the CSRF cookie
    with queries:
        response = client.get(url)
    assert response.status_code == 200
    return queries.count


def history(session, world, child, months: int) -> None:
    """`months` of a child's record: an exam, a growth measurement, a former enrolment with a signed contract and a
    room transfer, an adult added and one removed, a guardian who left, for each month."""
    today = local_today()
    for month in range(months):
        on = today - timedelta(days=30 * (month + 1))
        f.make_exam(session, child, on, kind=ExamKind.periodic if month else ExamKind.entry, haemoglobin_g_l=120)
        f.make_measurement(session, child, world.health, on, weight_g=10000 - month * 50, length_mm=800 - month * 5)
        former = f.enrol(session, child, world.room_b, status=EnrolmentStatus.withdrawn, start_date=on - timedelta(days=20),
                         end_date=on - timedelta(days=10), withdrawal_reason="搬家")
        f.make_contract(session, former, world.director, status=ContractStatus.ended, start_date=former.start_date,
                        end_date=former.end_date)
        session.add(RoomTransfer(enrolment_id=former.id, from_room_id=world.room_b.id, to_room_id=world.room_a.id,
                                 on_date=former.start_date + timedelta(days=1), reason="调班", by_id=world.director.id))
        f.make_trusted_adult(session, child, f"邻居{month}", relation="邻居", emergency_contact=True)
        f.make_trusted_adult(session, child, f"阿姨{month}", relation="阿姨", active=False)
        f.make_guardian(session, child, f"前监护人{month}", relation="其他", phone=f"1390000{month:04d}", active=False)
    session.commit()


def signed_contract(session, world, child) -> None:
    enrolment = session.exec(
        select(Enrolment).where(Enrolment.child_id == child.id, Enrolment.status == EnrolmentStatus.enrolled)
    ).one()
    f.make_contract(session, enrolment, world.director, status=ContractStatus.active, guardian_id=world.guardian_x.id,
                    guardian_signed_on=enrolment.start_date, director_signed_on=enrolment.start_date)
    session.commit()


def test_the_child_record_costs_the_same_for_1_or_24_months_of_history(world, client_for, session, queries, pages_built):
    signed_contract(session, world, world.child_x)
    history(session, world, world.child_x, 1)
    director = client_for(world.director)
    url = f"/children/{world.child_x.id}"
    short = statements(queries, director, url)
    history(session, world, world.child_x, 24)
    assert statements(queries, director, url) == short <= RECORD_STATEMENTS + SESSION_STATEMENTS


def test_the_child_record_reads_each_kind_of_row_once(world, client_for, session, queries, pages_built):
    signed_contract(session, world, world.child_x)
    history(session, world, world.child_x, 3)
    statements(queries, client_for(world.director), f"/children/{world.child_x.id}")
    page = [statement for statement in queries.statements if "login_session" not in statement]
    for table in ("child_guardian", "trusted_adult", "health_exam", "enrolment", "room", "contract", "growth_measurement"):
        reads = [statement for statement in page if re.search(rf"\b(FROM|JOIN) {table}\b", statement)]
        assert len(reads) == 1, table


def test_the_child_record_costs_the_same_when_a_band_change_is_coming(world, client_for, session, queries):
    director = client_for(world.director)
    settled = statements(queries, director, f"/children/{world.child_x.id}")
    # 23 months and a bit: leaves the 托小 band within the warning days, so the rooms' places are read too.
    near = f.make_child(session, "周小周", months=23)
    f.make_guardian(session, near, "周妈妈", phone="13600136001")
    f.enrol(session, near, world.room_a)
    f.make_room(session, "C 托大班", world.room_b.room_type)
    session.commit()
    response = director.get(f"/children/{near.id}")
    assert "Suggested room:" in response.text
    assert statements(queries, director, f"/children/{near.id}") == settled
