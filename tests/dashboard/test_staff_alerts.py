"""Staff alerts on /director: certificates missing or expiring, no security guard, health staff short; each clears."""

from datetime import timedelta

from sqlalchemy import event
from sqlmodel import select

from nursery_ops.auth.models import Person
from nursery_ops.clock import local_today
from nursery_ops.dashboard.service import staff_alerts
from nursery_ops.dashboard.today import staff_today
from nursery_ops.policy import DEFAULT_POLICY, PolicyOverride
from nursery_ops.staff.models import CertificateKind, Employment, Job, StaffCertificate, StaffProfile
from nursery_ops.auth.models import Role
from tests import factories as f
from tests.dashboard.conftest import EVERY_DAY, admitted, certify
from tests.dashboard.test_alerts import alert_of, director_page

TODAY = local_today()


def test_the_quiet_world_has_no_staff_alert(quiet_world, client_for):
    page = director_page(client_for, quiet_world)
    assert "No alerts." in page


def test_a_caregiver_without_a_valid_certificate_is_an_alert_until_one_is_recorded(quiet_world, client_for, session):
    world = quiet_world
    health = session.exec(select(StaffCertificate).where(
        StaffCertificate.person_id == world.caregiver_a.id, StaffCertificate.kind == CertificateKind.health)).one()
    health.valid_until = TODAY - timedelta(days=1)
    session.add(health)
    session.commit()
    alert = alert_of(director_page(client_for, world), "certificate_missing")
    assert alert is not None and f'href="/staff/{world.caregiver_a.id}#certificates"' in alert
    assert "张老师 · Health certificate (健康证)" in alert

    form = {"kind": "health", "number": "JKZ-2", "issued_on": TODAY.isoformat(),
            "valid_until": (TODAY + timedelta(days=365)).isoformat()}
    assert client_for(world.director).post(f"/staff/{world.caregiver_a.id}/certificates", form).status_code == 303
    assert alert_of(director_page(client_for, world), "certificate_missing") is None


def test_a_certificate_expiring_within_45_days_is_an_alert_until_renewed(quiet_world, client_for, session):
    world = quiet_world
    certify(session, world.caregiver_b, valid_until=TODAY + timedelta(days=45), kinds=[CertificateKind.no_criminal_record])
    session.commit()
    # The newer one-year certificate of the fixture is the one that counts: record an expiring one alone.
    for row in session.exec(select(StaffCertificate).where(
            StaffCertificate.person_id == world.caregiver_b.id, StaffCertificate.kind == CertificateKind.no_criminal_record,
            StaffCertificate.valid_until > TODAY + timedelta(days=45))):
        row.voided_at = row.recorded_at
        session.add(row)
    session.commit()
    alert = alert_of(director_page(client_for, world), "certificate_expiring")
    assert alert is not None and "陈老师" in alert and f'/staff/{world.caregiver_b.id}#certificates' in alert

    certify(session, world.caregiver_b, valid_until=TODAY + timedelta(days=46), kinds=[CertificateKind.no_criminal_record])
    session.commit()
    assert alert_of(director_page(client_for, world), "certificate_expiring") is None


def test_no_security_guard_is_an_alert_until_one_is_registered_and_on_the_roster(quiet_world, client_for, session):
    world = quiet_world
    director = client_for(world.director)
    assert director.post(f"/staff/{world.security.id}/deactivate", {"reason": "离职"}).status_code == 303
    alert = alert_of(director_page(client_for, world), "security_short")
    assert alert is not None and 'href="/staff?job=security"' in alert and "registered" in alert

    form = {"full_name": "新保安", "job": "security", "employment": "full_time"}
    assert director.post("/staff/new", form).status_code == 303
    alert = alert_of(director_page(client_for, world), "security_short")
    assert alert is not None and 'href="/staff/roster#posts"' in alert and "duty roster" in alert

    session.rollback()
    guard = session.exec(select(Person).where(Person.full_name == "新保安")).one()
    certify(session, guard)
    session.commit()
    duty = {"on": TODAY.isoformat(), "person_id": guard.id, "starts_at": "07:00", "ends_at": "18:00"}
    assert director.post("/staff/roster", duty).status_code == 303
    assert alert_of(director_page(client_for, world), "security_short") is None


def test_a_room_short_of_caregivers_on_the_roster_is_an_alert_until_another_is_added(quiet_world, client_for, session):
    world = quiet_world
    # Six toddlers in room A need two caregivers at 1:5; only 张老师 is on its roster.
    for index in range(5):
        admitted(session, f.make_child(session, f"托小{index}", months=18), world.room_a, schedule_days=EVERY_DAY)
    helper = f.make_person(session, "carer_c", Role.caregiver, full_name="周老师")
    f.assign(session, world.room_a, helper)
    certify(session, helper)
    session.commit()
    alert = alert_of(director_page(client_for, world), "roster_short")
    assert alert is not None and f'href="/staff/roster#room-{world.room_a.id}"' in alert
    assert "6 children are expected: they need 2 caregivers (1:5), 1 on the roster." in alert

    duty = {"on": TODAY.isoformat(), "person_id": helper.id, "room_id": world.room_a.id,
            "starts_at": "08:00", "ends_at": "17:00"}
    assert client_for(world.director).post("/staff/roster", duty).status_code == 303
    assert alert_of(director_page(client_for, world), "roster_short") is None


def test_no_health_officer_is_an_alert_until_one_is_active(quiet_world, client_for, session):
    world = quiet_world
    director = client_for(world.director)
    director.post(f"/staff/{world.health.id}/deactivate", {"reason": "休假"})
    alert = alert_of(director_page(client_for, world), "health_staff_short")
    assert alert is not None and "No active health officer" in alert and 'href="/staff?job=health"' in alert
    director.post(f"/staff/{world.health.id}/reactivate", {"reason": "回来了"})
    assert alert_of(director_page(client_for, world), "health_staff_short") is None


def test_a_part_time_health_officer_is_short_from_50_children(quiet_world, client_for, session):
    world = quiet_world
    session.add(StaffProfile(person_id=world.health.id, job=Job.health, employment=Employment.part_time))
    # Two children enrolled: a threshold of 2 stands for the 50 of the rule.
    session.add(PolicyOverride(key="health_staff_full_time_from", value="2", reason="test", changed_by_id=world.director.id))
    session.commit()
    alert = alert_of(director_page(client_for, world), "health_staff_short")
    assert alert is not None and "a full-time health officer is needed" in alert

    form = {"full_name": "刘保健", "roles": ["health"], "job": "health", "employment": "full_time"}
    assert client_for(world.director).post(f"/staff/{world.health.id}", form).status_code == 303
    assert alert_of(director_page(client_for, world), "health_staff_short") is None


def test_a_barred_caregiver_is_not_working_staff(quiet_world, client_for, session):
    world = quiet_world
    health = session.exec(select(StaffCertificate).where(StaffCertificate.person_id == world.caregiver_a.id)).first()
    health.valid_until = TODAY - timedelta(days=1)
    session.add(health)
    session.commit()
    assert alert_of(director_page(client_for, world), "certificate_missing") is not None
    client_for(world.director).post(f"/staff/{world.caregiver_a.id}/bar", {"bar_reason": "伤害幼儿", "confirm": "on"})
    assert alert_of(director_page(client_for, world), "certificate_missing") is None


def test_staff_alerts_take_the_same_statements_whatever_the_staff(quiet_world, session, engine):
    def selects_with(extra: int) -> int:
        for index in range(extra):
            cook = Person(full_name=f"厨师{extra}-{index}")
            session.add(cook)
            session.flush()
            session.add(StaffProfile(person_id=cook.id, job=Job.kitchen))
            certify(session, cook, valid_until=TODAY + timedelta(days=10))
        session.commit()
        statements = []

        def count(_connection, _cursor, statement, *_args):
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        alerts = staff_alerts(session, [], staff_today(session, local_today()), local_today(), DEFAULT_POLICY, 2)
        event.remove(engine, "before_cursor_execute", count)
        assert [alert.kind for alert in alerts] == ["certificate_expiring"]
        return len(statements)

    # BEGIN, the register with its roles and certificates, and today's shifts with the roster.
    assert selects_with(2) == selects_with(5) == 3
