"""The demo nursery: loads once, and everything in it obeys the room and age rules."""

from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from nursery_ops.audit import AuditEntry
from nursery_ops.auth.models import Person, Role
from nursery_ops.auth.service import password_hasher, roles_of
from nursery_ops.children.access import guardian_child_ids
from nursery_ops.children.models import Child, ChildGuardian, TrustedAdult
from nursery_ops.children.rules import (
    AgeBand,
    age_band,
    completed_months,
    upcoming_band_change,
)
from nursery_ops.clock import local_today
from nursery_ops.dashboard.service import staff_alerts
from nursery_ops.dashboard.today import staff_today
from nursery_ops.demo import DEMO_PASSWORD, demo_loaded, load_demo
from nursery_ops.enrolment.models import (
    CareType,
    Enrolment,
    EnrolmentStatus,
    RoomTransfer,
)
from nursery_ops.enrolment.rules import (
    AdmissionFacts,
    admission_checklist,
    admission_complete,
)
from nursery_ops.health.models import HealthExam
from nursery_ops.policy import DEFAULT_POLICY as policy
from nursery_ops.rooms.models import Room, RoomCaregiver, RoomType
from nursery_ops.rooms.rules import age_fits_room, room_type_cap
from nursery_ops.staff.models import Job, StaffCertificate, StaffProfile, TabletPin

# Today, and days where month arithmetic is easy to get wrong.
DAYS = [local_today(), date(2024, 2, 29), date(2025, 1, 31), date(2025, 3, 31), date(2026, 3, 1)]


def enrolled_rows(session):
    return session.exec(
        select(Child, Enrolment, Room)
        .join(Enrolment, Enrolment.child_id == Child.id)
        .join(Room, Room.id == Enrolment.room_id)
        .where(Enrolment.status == EnrolmentStatus.enrolled)
    ).all()


@pytest.mark.parametrize("today", DAYS, ids=str)
def test_demo_children_fit_their_rooms_for_the_next_ten_days(session, today):
    load_demo(session, today)

    rooms = session.exec(select(Room)).all()
    assert sorted(room.room_type for room in rooms) == sorted(RoomType)
    assert all(room.capacity == room_type_cap(room.room_type, policy) for room in rooms)
    assert 40 <= session.exec(select(func.count()).select_from(Child)).one() <= 50

    rows = enrolled_rows(session)
    for child, enrolment, room in rows:
        for on in (today, today + timedelta(days=10), max(enrolment.start_date, today)):
            months = completed_months(child.birth_date, on)
            assert age_fits_room(months, room.room_type, policy) is None, (child.full_name, room.name, on, months)
        # On its start date the child fitted the room it started in (before any transfer).
        transfer = session.exec(select(RoomTransfer).where(RoomTransfer.enrolment_id == enrolment.id)).first()
        first_room = session.get(Room, transfer.from_room_id) if transfer else room
        started_at = completed_months(child.birth_date, enrolment.start_date)
        assert age_fits_room(started_at, first_room.room_type, policy) is None, (child.full_name, started_at)
    per_room = Counter(room.id for _child, _enrolment, room in rows)
    assert all(per_room[room.id] <= room.capacity for room in rooms)
    assert {age_band(completed_months(child.birth_date, today), policy) for child, _e, _r in rows} == {
        AgeBand.infant,
        AgeBand.toddler,
        AgeBand.older,
    }
    assert {enrolment.care_type for _c, enrolment, _r in rows} == set(CareType)

    warnings = [upcoming_band_change(child.birth_date, today, policy) for child, _e, _r in rows]
    soon = [change for change in warnings if change is not None]
    assert 2 <= len(soon) <= 3
    assert all(timedelta(days=20) <= change.on - today <= timedelta(days=50) for change in soon)


def test_demo_has_families_waitlist_and_unfinished_admissions(session):
    today = local_today()
    load_demo(session, today)

    waitlisted = session.exec(select(Enrolment).where(Enrolment.status == EnrolmentStatus.waitlisted)).all()
    assert len(waitlisted) >= 2
    assert all(enrolment.room_id is None for enrolment in waitlisted)
    assert len({enrolment.applied_on for enrolment in waitlisted}) == len(waitlisted)
    withdrawn = session.exec(select(Enrolment).where(Enrolment.status == EnrolmentStatus.withdrawn)).one()
    assert withdrawn.withdrawal_reason and withdrawn.end_date < today

    children = session.exec(select(Child)).all()
    links = Counter(link.child_id for link in session.exec(select(ChildGuardian)).all())
    assert all(links[child.id] >= 2 for child in children)
    assert session.exec(select(func.count()).select_from(TrustedAdult)).one() >= len(children)
    assert any("花生" in child.allergies for child in children)
    assert any(child.feeding_needs and child.feeding_statement_on for child in children)
    assert any(child.feeding_needs and not child.feeding_statement_on for child in children)

    incomplete, overdue = [], []
    for child, enrolment, _room in enrolled_rows(session):
        facts = AdmissionFacts(
            guardian_links=session.exec(select(ChildGuardian).where(ChildGuardian.child_id == child.id)).all(),
            trusted_adults=session.exec(select(TrustedAdult).where(TrustedAdult.child_id == child.id)).all(),
            entry_exams=session.exec(select(HealthExam).where(HealthExam.child_id == child.id)).all(),
        )
        items = admission_checklist(child, enrolment, facts, today, policy)
        if not admission_complete(items):
            incomplete.append(child.full_name)
        if any(item.warn for item in items):
            overdue.append(child.full_name)
    # Most admissions are complete; a few are not, so the checklists and /health have something to show.
    assert 2 <= len(incomplete) <= 4, incomplete
    assert overdue


def test_demo_sign_ins_have_their_roles(session):
    load_demo(session, local_today())
    people = {p.username: p for p in session.exec(select(Person)).all()}

    assert roles_of(session, people["director"].id) == {Role.director}
    assert roles_of(session, people["caregiver"].id) == {Role.caregiver}
    assert roles_of(session, people["health"].id) == {Role.health}
    assert roles_of(session, people["parent"].id) == {Role.parent}
    assert password_hasher.verify(DEMO_PASSWORD, people["parent"].password_hash)

    caregiver_rooms = session.exec(
        select(Room.room_type).join(RoomCaregiver, RoomCaregiver.room_id == Room.id)
        .where(RoomCaregiver.person_id == people["caregiver"].id)
    ).all()
    assert caregiver_rooms == [RoomType.toddler]
    assert {room.room_type for room in session.exec(select(Room).join(RoomCaregiver, RoomCaregiver.room_id == Room.id))} == set(
        RoomType
    )

    children = guardian_child_ids(session, people["parent"].guardian_id)
    assert len(children) == 2
    parent_rooms = session.exec(
        select(Enrolment.room_id).where(Enrolment.child_id.in_(children), Enrolment.status == EnrolmentStatus.enrolled)
    ).all()
    assert len(set(parent_rooms)) == 2


def test_demo_loads_only_once(session):
    assert not demo_loaded(session)
    load_demo(session, local_today())
    session.commit()
    assert demo_loaded(session)
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "demo_loaded")).one()

    count = session.exec(select(func.count()).select_from(Child)).one()
    load_demo(session, local_today())
    assert session.exec(select(func.count()).select_from(Child)).one() == count


def test_demo_staff_unlock_tablets_with_their_pins_and_one_certificate_has_run_out(session):
    load_demo(session, local_today())
    people = {person.username: person for person in session.exec(select(Person)).all()}
    for username, pin in (("caregiver", "1111"), ("health", "3333"), ("director", "9999"), ("caregiver2", "0202")):
        stored = session.get(TabletPin, people[username].id)
        assert password_hasher.verify(pin, stored.pin_hash), username
    expired = [
        certificate.person_id
        for certificate in session.exec(select(StaffCertificate)).all()
        if certificate.valid_until < local_today()
    ]
    assert expired == [people["caregiver6"].id]


def test_demo_today_has_a_morning_in_the_toddler_room(session):
    from datetime import timedelta

    from nursery_ops.clock import utcnow
    from nursery_ops.rooms.day import load_room_day

    load_demo(session, local_today())
    session.flush()
    room = session.exec(select(Room).where(Room.name == "小月亮 托小班")).one()
    day = load_room_day(session, room, local_today(), policy, utcnow() + timedelta(minutes=1))
    by_name = {tile.child.full_name: tile for tile in day.children}
    assert sorted(tile.child.full_name for tile in day.present) == ["孙一然", "孙一诺", "郑雨萱", "高子睿"]
    assert all(by_name[name].morning_check.temperature_tenths < 373 for name in ("孙一诺", "高子睿"))
    assert by_name["梁欣怡"].status == "absent" and not by_name["梁欣怡"].call_family
    assert by_name["谢嘉懿"].call_family
    # Two on duty; the one whose health certificate ran out is not counted, and one is enough for 4 toddlers.
    assert [(person.name, person.counted) for person in day.duty] == [("张老师", True), ("杨老师", False)]
    assert day.required == 1 and not day.below_ratio
    assert [entry.kind for entry in by_name["高子睿"].entries] == ["meal"]


def test_demo_has_health_records_to_work_with(session):
    from nursery_ops.clock import utcnow
    from nursery_ops.growth.models import Measurement
    from nursery_ops.health.models import ReturnCertificate
    from nursery_ops.illness.service import health_day
    from nursery_ops.incidents.service import open_incidents
    from nursery_ops.medication.service import doses_due

    today = local_today()
    load_demo(session, today)
    session.commit()
    assert len(session.exec(select(Measurement)).all()) > 100
    doses = doses_due(session, today, utcnow())
    assert [(item.child.full_name, item.slot.strftime("%H:%M")) for item in doses] == [("孙一然", "10:00"), ("孙一然", "15:00")]
    assert [row.incident.place for row in open_incidents(session)] == ["户外滑梯"]
    awaited = session.exec(select(ReturnCertificate).where(ReturnCertificate.received_on.is_(None))).all()
    assert len(awaited) == 1
    assert len(health_day(session, today, utcnow()).morning_checks) > 0


def test_demo_register_has_a_security_guard_and_kitchen_staff_who_cannot_sign_in(session):
    today = local_today()
    load_demo(session, today)
    session.commit()
    jobs = session.exec(select(StaffProfile.job, Person.username).join(Person, Person.id == StaffProfile.person_id)).all()
    assert (Job.security, None) in jobs and (Job.kitchen, None) in jobs
    kinds = {alert.kind for alert in staff_alerts(session, [], staff_today(session, today), today, policy, enrolled=40)}
    assert "security_short" not in kinds  # registered, and on the roster of every weekday


def test_demo_roster_puts_everyone_certified_on_duty_on_weekdays(session):
    from datetime import timedelta

    from nursery_ops.policy import DEFAULT_POLICY
    from nursery_ops.staff.roster import roster_day

    today = local_today()
    load_demo(session, today)
    session.commit()
    days = (today + timedelta(days=offset) for offset in range(1, 9))
    weekday = next(day for day in days if day.isoweekday() <= 5 and (day.month, day.day) != (1, 1))  # 元旦 is closed
    day = roster_day(session, weekday, DEFAULT_POLICY)
    names = {duty.name for plan in day.rooms for duty in plan.duties}
    assert "张老师" in names and "杨老师" not in names  # her health certificate has run out
    assert {duty.job for duty in day.posts} == {Job.health, Job.security, Job.kitchen}
    assert day.security is None
