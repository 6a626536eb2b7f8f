"""/health: the admission health items of enrolled children, for the health officer and the director."""

from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlmodel import select

from nursery_ops.children.models import VaccinationStatus
from nursery_ops.clock import local_today
from nursery_ops.enrolment.models import Enrolment, EnrolmentStatus
from nursery_ops.health.models import ExamKind, HealthExam
from tests import factories as f


def section(html: str, anchor: str) -> str:
    """The text of one list on the page (from its id to the next section)."""
    start = html.index(f'id="{anchor}"')
    end = html.find("<section", start)
    return html[start : end if end != -1 else None]


@pytest.fixture
def health_world(world, session):
    """child_x: nothing done; child_y: admission complete; others each missing one thing."""
    today = local_today()
    enrolment_y = session.exec(select(Enrolment).where(Enrolment.child_id == world.child_y.id)).one()
    f.complete_admission(session, world.child_y, enrolment_y, world.guardian_y)

    expired = f.make_child(session, "钱过期", months=20)
    enrolment = f.enrol(session, expired, world.room_a, start_date=today - timedelta(days=10))
    f.complete_admission(session, expired, enrolment, f.make_guardian(session, expired, "钱妈妈"))
    session.exec(select(HealthExam).where(HealthExam.child_id == expired.id)).one().exam_date = today - timedelta(days=60)

    overdue = f.make_child(session, "孙逾期", months=20)
    enrolment = f.enrol(session, overdue, world.room_a, start_date=today - timedelta(days=45))
    f.complete_admission(session, overdue, enrolment, f.make_guardian(session, overdue, "孙妈妈"))
    overdue.vaccination_status = VaccinationStatus.pending
    overdue.vaccination_due_on = today - timedelta(days=15)

    pending = f.make_child(session, "周待交", months=28)
    enrolment = f.enrol(session, pending, world.room_b, start_date=today - timedelta(days=5))
    f.complete_admission(session, pending, enrolment, f.make_guardian(session, pending, "周妈妈"))
    pending.vaccination_status = VaccinationStatus.pending
    pending.vaccination_due_on = today + timedelta(days=25)

    feeding = f.make_child(session, "吴饮食", months=28, feeding_needs="不喝牛奶")
    enrolment = f.enrol(session, feeding, world.room_b)
    f.complete_admission(session, feeding, enrolment, f.make_guardian(session, feeding, "吴妈妈"))
    stated = f.make_child(session, "郑声明", months=28, feeding_needs="无麸质", feeding_statement_on=today)
    enrolment = f.enrol(session, stated, world.room_b)
    f.complete_admission(session, stated, enrolment, f.make_guardian(session, stated, "郑妈妈"))

    waiting = f.make_child(session, "冯候补", months=20, feeding_needs="素食")
    f.enrol(session, waiting, None, status=EnrolmentStatus.waitlisted)
    gone = f.make_child(session, "陈退托", months=20)
    f.enrol(session, gone, world.room_a, status=EnrolmentStatus.withdrawn, withdrawal_reason="搬家")
    session.commit()
    return world


@pytest.mark.parametrize("who", ["director", "health"])
def test_health_page_is_for_the_health_officer_and_director(world, client_for, who):
    response = client_for(getattr(world, who)).get("/health")
    assert response.status_code == 200
    assert "Admission health items" in response.text


@pytest.mark.parametrize("who", ["caregiver_a", "parent_x"])
def test_health_page_is_refused_to_caregivers_and_parents(world, client_for, who):
    assert client_for(getattr(world, who)).get("/health").status_code == 403


def test_health_page_sends_anonymous_to_sign_in(anonymous):
    response = anonymous.get("/health")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/health"


def test_entry_exam_list_has_missing_and_expired_exams_only(health_world, client_for):
    html = client_for(health_world.health).get("/health").text
    exams = section(html, "entry-exams")
    assert "王小明" in exams and "钱过期" in exams and "Expired" in exams
    for name in ("赵小红", "孙逾期", "冯候补", "陈退托"):
        assert name not in exams


def test_vaccination_list_shows_overdue_pending_and_missing(health_world, client_for):
    html = client_for(health_world.health).get("/health").text
    vaccinations = section(html, "vaccinations")
    assert "孙逾期" in vaccinations and "Overdue" in vaccinations
    assert "周待交" in vaccinations and "Pending" in vaccinations
    assert "王小明" in vaccinations and "Missing" in vaccinations
    assert vaccinations.index("孙逾期") < vaccinations.index("王小明") < vaccinations.index("周待交")
    for name in ("赵小红", "钱过期", "冯候补", "陈退托"):
        assert name not in vaccinations


def test_feeding_list_has_needs_without_a_statement(health_world, client_for):
    html = client_for(health_world.director).get("/health").text
    feeding = section(html, "feeding")
    assert "吴饮食" in feeding and "不喝牛奶" in feeding
    assert "郑声明" not in feeding and "冯候补" not in feeding


def test_counts_at_the_top(health_world, client_for):
    html = client_for(health_world.health).get("/health").text
    assert "<strong>7</strong> children enrolled" in html
    assert "<strong>2</strong> entry exams missing or expired" in html
    assert "<strong>1</strong> vaccination certificates overdue" in html
    assert "<strong>1</strong> feeding needs without" in html


def test_the_page_reads_the_same_number_of_queries_for_more_children(world, client_for, session, engine):
    health = client_for(world.health)

    def queries() -> int:
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert health.get("/health").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(statements)

    few = queries()
    for index in range(5):
        child = f.make_child(session, f"多{index}", months=20)
        f.enrol(session, child, world.room_a)
        session.add(HealthExam(child_id=child.id, kind=ExamKind.entry, exam_date=local_today(), institution="x", passed=True))
    session.commit()
    assert queries() == few
