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


def test_the_page_reads_the_same_number_of_queries_for_more_children(world, client_for, session, engine, pages_built):
    health = client_for(world.health)

    def queries() -> int:
        statements = []
        listener = lambda *args: statements.append(args[2])
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


# ---------------------------------------------------------------- the health officer's day


def test_exams_due_list_links_to_the_exam_form(world, client_for, session):
    today = local_today()
    f.make_exam(session, world.child_x, today - timedelta(days=200))  # 6-month interval: overdue
    world.child_y.vaccination_status = VaccinationStatus.pending
    world.child_y.vaccination_due_on = today + timedelta(days=5)
    session.commit()
    html = client_for(world.health).get("/health").text
    due = section(html, "exams-due")
    assert "王小明" in due and "Periodic exam" in due and "Overdue" in due
    assert f"/children/{world.child_x.id}/exams/new?kind=periodic" in due
    assert "赵小红" in due and "Vaccination certificate" in due and f"/children/{world.child_y.id}/vaccination" in due


def test_screening_results_to_follow_up_are_listed(world, client_for, session):
    from nursery_ops.health.models import HearingResult

    f.make_exam(session, world.child_x, local_today() - timedelta(days=20), haemoglobin_g_l=98, hearing=HearingResult.refer)
    session.commit()
    findings = section(client_for(world.health).get("/health").text, "screening-findings")
    assert "王小明" in findings and "98 g/L" in findings and "Refer" in findings
    assert f"/children/{world.child_x.id}/exams" in findings


def test_sick_follow_up_list_links_to_the_absence_form(world, client_for, session):
    from nursery_ops.attendance.models import Absence, AbsenceReason

    session.add(
        Absence(
            child_id=world.child_x.id, room_id=world.room_a.id, on_date=local_today() - timedelta(days=1),
            reason=AbsenceReason.sick, symptoms="发烧 38.5", recorded_by_id=world.caregiver_a.id,
        )
    )
    session.commit()
    html = client_for(world.health).get("/health").text
    follow_up = section(html, "sick-follow-up")
    assert "王小明" in follow_up and "发烧 38.5" in follow_up
    assert f"/rooms/{world.room_a.id}/children/{world.child_x.id}/absence" in follow_up
    assert "赵小红" not in follow_up


def test_the_day_sections_show_medication_and_open_incidents(world, client_for, session):
    f.make_authorisation(session, world.child_x, world.guardian_x, world.health)
    incident = f.make_incident(session, world.child_x, world.caregiver_a, place="滑梯")
    session.commit()
    html = client_for(world.health).get("/health").text
    assert 'id="outbreak-banner"' not in html  # the banner shows only for open alerts
    assert "08:30" in section(html, "medication") and "12:00" in section(html, "medication")
    assert f'href="/incidents/{incident.id}"' in section(html, "incidents") and "滑梯" in section(html, "incidents")
    assert "No outbreak alert." in section(html, "outbreaks")


@pytest.mark.parametrize("more", [5, 20])
def test_the_page_is_a_fixed_number_of_queries_with_exams_and_sick_children(
        world, client_for, session, queries, pages_built, more):
    from nursery_ops.attendance.models import Absence, AbsenceReason

    health = client_for(world.health)
    today = local_today()

    def count() -> int:
        with queries:
            assert health.get("/health").status_code == 200
        return queries.count

    def add_children(number: int, prefix: str) -> None:
        for index in range(number):
            child = f.make_child(session, f"{prefix}{index}", months=7 + index % 28)
            f.enrol(session, child, world.room_a)
            f.make_exam(session, child, today - timedelta(days=170), haemoglobin_g_l=100, hearing="refer")
            session.add(
                Absence(child_id=child.id, room_id=world.room_a.id, on_date=today, reason=AbsenceReason.sick, recorded_by_id=world.health.id)
            )
        session.commit()

    add_children(1, "少")
    few = count()
    add_children(more, "多")
    assert count() == few


def test_growth_beyond_two_sd_is_listed_with_a_link_to_the_chart(world, client_for, session):
    # 8 kg at world.child_x's age is far below −2 SD weight-for-age.
    f.make_measurement(session, world.child_x, world.health, on_date=local_today() - timedelta(days=3),
                       weight_g=8000, length_mm=820)
    session.commit()
    html = section(client_for(world.health).get("/health").text, "growth-warnings")
    assert f'href="/children/{world.child_x.id}/growth"' in html and "Weight-for-age below −2 SD" in html


# ---------------------------------------------------------------- open incidents, return certificates, the audited read


def test_open_incidents_name_the_child(world, client_for, session):
    incident = f.make_incident(session, world.child_y, world.caregiver_b, room_id=world.room_b.id, place="楼梯")
    session.commit()
    html = section(client_for(world.health).get("/health").text, "incidents")
    assert f'href="/incidents/{incident.id}"' in html and world.child_y.full_name in html and world.room_b.name in html


def test_children_awaiting_a_return_certificate_are_listed_with_where_to_record_it(world, client_for, session):
    from nursery_ops.health.models import ReturnCertificate

    today = local_today()
    session.add(ReturnCertificate(child_id=world.child_x.id, required_since=today - timedelta(days=2), reason="水痘"))
    session.add(ReturnCertificate(child_id=world.child_y.id, required_since=today - timedelta(days=9), reason="手足口病",
                                  received_on=today - timedelta(days=1), issued_by="社区医院"))
    session.commit()
    html = client_for(world.health).get("/health").text
    listed = section(html, "return-certificates")
    assert world.child_x.full_name in listed and "水痘" in listed
    assert f'href="/children/{world.child_x.id}/return-certificate"' in listed
    assert world.child_y.full_name not in listed  # received already
    assert "1</strong> return certificates awaited" in html


def test_a_voided_requirement_is_not_awaited(world, client_for, session):
    from nursery_ops.clock import utcnow
    from nursery_ops.health.models import ReturnCertificate
    from nursery_ops.health.service import awaiting_return_certificates

    session.add(ReturnCertificate(child_id=world.child_x.id, required_since=local_today(), reason="水痘",
                                  voided_at=utcnow(), void_reason="illness recorded in error"))
    session.commit()
    assert awaiting_return_certificates(session) == []
    assert "No return certificate is awaited." in section(client_for(world.health).get("/health").text, "return-certificates")


def test_the_page_stays_a_fixed_number_of_queries_with_incidents_and_certificates(
        world, client_for, session, queries, pages_built):
    from nursery_ops.health.models import ReturnCertificate

    health = client_for(world.health)

    def count() -> int:
        with queries:
            assert health.get("/health").status_code == 200
        return queries.count

    def add(number: int, prefix: str) -> None:
        for index in range(number):
            child = f.make_child(session, f"{prefix}{index}", months=20)
            f.enrol(session, child, world.room_a)
            f.make_incident(session, child, world.caregiver_a, room_id=world.room_a.id)
            session.add(ReturnCertificate(child_id=child.id, required_since=local_today(), reason="水痘"))
        session.commit()

    add(1, "少")
    few = count()
    add(8, "多")
    assert count() == few


def test_the_page_is_one_audited_read(world, client_for, session):
    from nursery_ops.audit import AuditEntry

    client_for(world.health).get("/health")
    reads = session.exec(select(AuditEntry).where(AuditEntry.action == "health_record_read")).all()
    assert [(entry.actor_id, entry.entity, entry.child_id) for entry in reads] == [(world.health.id, "health_overview", None)]


def test_the_page_sends_the_same_few_statements_with_more_children_and_months_of_history(
        world, client_for, session, queries, pages_built):
    """Issue 10: the page's statements do not grow with the children nor with their history (sick days and
    returns, exams, measurements, closed illnesses), and stay few."""
    from nursery_ops.attendance.models import Absence, AbsenceReason, Attendance
    from nursery_ops.clock import utcnow
    from nursery_ops.illness.models import Illness, IllnessOutcome

    health = client_for(world.health)
    today = local_today()

    def count() -> int:
        with queries:
            assert health.get("/health").status_code == 200
        return queries.count

    def add_children(number: int, prefix: str, history_days: int) -> None:
        for index in range(number):
            child = f.make_child(session, f"{prefix}{index}", months=12 + index % 20)
            f.enrol(session, child, world.room_a, start_date=today - timedelta(days=history_days + 1))
            for back in range(1, history_days):
                on = today - timedelta(days=back)
                if back % 9 == 0:
                    session.add(Absence(child_id=child.id, room_id=world.room_a.id, on_date=on, reason=AbsenceReason.sick,
                                        symptoms="发烧", recorded_by_id=world.health.id))
                    session.add(Illness(child_id=child.id, room_id=world.room_a.id, on_date=on, started_at=utcnow(),
                                        started_by_id=world.health.id, symptoms="fever", outcome=IllnessOutcome.went_home))
                else:
                    session.add(Attendance(child_id=child.id, room_id=world.room_a.id, on_date=on, check_in_at=utcnow(),
                                           brought_by="妈妈", checked_in_by_id=world.caregiver_a.id))
                if back % 30 == 0:
                    f.make_measurement(session, child, world.health, on, weight_g=9000 + back, length_mm=800)
                    f.make_exam(session, child, on, haemoglobin_g_l=105 + index % 10)
        session.commit()

    add_children(2, "少", 31)
    few = count()
    add_children(12, "多", 95)
    assert count() == few
    assert few <= 10  # sign-in, then the page's own: see tests/bench/test_statements.py for the bench's count
