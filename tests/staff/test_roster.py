"""The duty roster (排班): who may be put on duty, each room against its expected children, copies and voids."""

from datetime import date, time, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from nursery_ops.attendance.rules import REQUIRED_TO_WORK
from nursery_ops.audit import AuditEntry
from nursery_ops.auth.models import Person, Role
from nursery_ops.clock import local_today, utcnow
from nursery_ops.staff.models import Job, RosterEntry, StaffCertificate, StaffProfile
from nursery_ops.staff.rules import RosterCandidate, roster_refusals, roster_short
from tests import factories as f

TODAY = local_today()
ROOM = 1


def candidate(**changes) -> RosterCandidate:
    values = {"name": "张老师", "job": Job.caregiver, "active": True, "barred": False,
              "certificates_missing": False, "assigned_rooms": frozenset({ROOM})}
    return RosterCandidate(**{**values, **changes})


def refused_fields(person=None, on=TODAY, room_id=ROOM, room_active=True, starts=time(8), ends=time(17), overlaps=False):
    refusals = roster_refusals(person or candidate(), on, TODAY, room_id, room_active, starts, ends, overlaps)
    return {field: decision.message for field, decision in refusals.items()}


@pytest.mark.parametrize(("arguments", "field", "message"), [
    ({}, None, None),
    ({"on": TODAY + timedelta(days=30)}, None, None),
    ({"on": TODAY - timedelta(days=1)}, "on", "The roster of a day gone by stays as it was."),
    ({"person": candidate(barred=True, active=False)}, "person_id", "{name} is barred from working with children and can never be put on the roster."),
    ({"person": candidate(active=False)}, "person_id", "{name}'s account is deactivated: reactivate it before putting them on the roster."),
    ({"person": candidate(certificates_missing=True)}, "person_id",
     "{name} cannot be put on the roster: a certificate needed to work with children is missing or expired on {date}."),
    ({"room_id": None}, "room_id", "Choose the room a caregiver is on duty in."),
    ({"room_active": False}, "room_id", "This room is closed."),
    ({"room_id": 2}, "room_id",
     "{name} is not one of this room's caregivers: assign them to the room first (they count toward its ratio only there)."),
    ({"person": candidate(job=Job.security, assigned_rooms=frozenset()), "room_id": None}, None, None),
    ({"person": candidate(job=Job.security, assigned_rooms=frozenset())}, "room_id",
     "{name} is not one of this room's caregivers: assign them to the room first (they count toward its ratio only there)."),
    ({"starts": time(8), "ends": time(8)}, "ends_at", "The duty must end after it starts."),
    ({"starts": time(8), "ends": time(7, 59)}, "ends_at", "The duty must end after it starts."),
    ({"starts": time(8), "ends": time(8, 1)}, None, None),
    ({"overlaps": True}, "starts_at", "{name} is already on the roster at that time that day."),
])
def test_who_can_be_put_on_the_roster(arguments, field, message):
    found = refused_fields(**arguments)
    assert found == ({} if field is None else {field: message})


@pytest.mark.parametrize(("expected", "per_caregiver", "rostered", "warns"), [
    (0, 5, 0, False), (1, 5, 0, True), (5, 5, 1, False), (6, 5, 1, True), (6, 5, 2, False),
    (3, 3, 1, False), (4, 3, 1, True), (14, 7, 2, False), (15, 7, 2, True),
])
def test_a_rooms_roster_is_short_when_its_expected_children_need_more_caregivers(expected, per_caregiver, rostered, warns):
    assert (roster_short(expected, per_caregiver, rostered) is not None) is warns


# ---------------------------------------------------------------- the page and its forms


def certify(session, person, valid_until: date | None = None) -> None:
    for kind in REQUIRED_TO_WORK:
        session.add(StaffCertificate(person_id=person.id, kind=kind, number=f"{kind.value}-{person.id}",
                                     issued_on=TODAY - timedelta(days=30),
                                     valid_until=valid_until or TODAY + timedelta(days=365)))


@pytest.fixture
def certified(world, session):
    for person in (world.caregiver_a, world.caregiver_b, world.health):
        certify(session, person)
    session.commit()
    return world


def duty(person, on=TODAY, room=None, starts="08:00", ends="17:00") -> dict:
    return {"on": on.isoformat(), "person_id": str(person.id), "room_id": str(room.id) if room else "",
            "starts_at": starts, "ends_at": ends}


def duties(session) -> list[RosterEntry]:
    session.rollback()
    return list(session.exec(select(RosterEntry).order_by(RosterEntry.id)).all())


def test_the_director_puts_a_caregiver_on_duty_in_their_room(certified, client_for, session):
    world = certified
    director = client_for(world.director)
    response = director.post("/staff/roster", duty(world.caregiver_a, room=world.room_a))
    assert response.status_code == 303 and response.headers["location"] == f"/staff/roster?on={TODAY.isoformat()}"
    [entry] = duties(session)
    assert (entry.person_id, entry.room_id, entry.starts_at, entry.ends_at, entry.recorded_by_id) == (
        world.caregiver_a.id, world.room_a.id, time(8), time(17), world.director.id)
    assert session.exec(select(AuditEntry.action)).all() == ["roster_entry_added"]
    page = director.get("/staff/roster")
    assert page.status_code == 200
    section = page.text.split(f'id="room-{world.room_a.id}"')[1].split('class="roster-room"')[0]
    assert "张老师" in section and "08:00–17:00" in section
    assert "1 child expected" in section and "needs 1 at 1:5" in section and "1 caregiver on the roster" in section


def test_the_health_officer_is_put_on_duty_at_their_post_without_a_room(certified, client_for, session):
    world = certified
    assert client_for(world.director).post("/staff/roster", duty(world.health)).status_code == 303
    page = client_for(world.director).get("/staff/roster")
    posts = page.text.split('id="posts"')[1]
    assert "刘保健" in posts and "Health officer (保健人员)" in posts


def deactivated(session, world):
    person = session.get(Person, world.caregiver_b.id)
    person.active = False
    session.add(person)
    session.commit()
    return world.caregiver_b


def barred(session, world):
    session.add(StaffProfile(person_id=world.caregiver_b.id, job=Job.caregiver, barred_at=utcnow(),
                             barred_reason="伤害幼儿"))
    person = session.get(Person, world.caregiver_b.id)
    person.active = False
    session.add(person)
    session.commit()
    return world.caregiver_b


def expired_yesterday(session, world):
    session.rollback()
    for certificate in session.exec(select(StaffCertificate).where(StaffCertificate.person_id == world.caregiver_b.id)):
        if certificate.kind.value == "no_criminal_record":
            certificate.valid_until = TODAY - timedelta(days=1)
            session.add(certificate)
    session.commit()
    return world.caregiver_b


@pytest.mark.parametrize(("make", "field", "message"), [
    (deactivated, "person_id", "陈老师&#39;s account is deactivated"),
    (barred, "person_id", "陈老师 is barred from working with children and can never be put on the roster."),
    (expired_yesterday, "person_id", "a certificate needed to work with children is missing or expired on"),
])
def test_a_person_who_may_not_work_is_refused_next_to_the_field_and_nothing_is_saved(
    certified, client_for, session, make, field, message
):
    person = make(session, certified)
    response = client_for(certified.director).post("/staff/roster", duty(person, room=certified.room_b))
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.text and message in response.text
    assert duties(session) == []
    assert session.exec(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "roster_entry_added")).one() == 0


def test_a_certificate_counts_on_its_last_day_and_not_the_day_after(certified, client_for, session):
    world = certified
    session.rollback()
    for certificate in session.exec(select(StaffCertificate).where(StaffCertificate.person_id == world.caregiver_a.id)):
        certificate.valid_until = TODAY + timedelta(days=3)
        session.add(certificate)
    session.commit()
    director = client_for(world.director)
    assert director.post("/staff/roster", duty(world.caregiver_a, TODAY + timedelta(days=3), world.room_a)).status_code == 303
    refused = director.post("/staff/roster", duty(world.caregiver_a, TODAY + timedelta(days=4), world.room_a))
    assert refused.status_code == 400 and "missing or expired on" in refused.text
    assert [entry.on_date for entry in duties(session)] == [TODAY + timedelta(days=3)]


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"starts_at": "17:00", "ends_at": "08:00"}, "ends_at", "The duty must end after it starts."),
    ({"starts_at": "8 点"}, "starts_at", "Enter a time as HH:MM."),
    ({"on": (TODAY - timedelta(days=1)).isoformat()}, "on", "The roster of a day gone by stays as it was."),
    ({"room_id": ""}, "room_id", "Choose the room a caregiver is on duty in."),
    ({"person_id": "999999"}, "person_id", "Choose a person on the staff register."),
    ({"room_id": "999999"}, "room_id", "Choose one of the rooms."),
])
def test_bad_duties_are_refused_next_to_the_field(certified, client_for, session, changes, field, message):
    form = {**duty(certified.caregiver_a, room=certified.room_a), **changes}
    response = client_for(certified.director).post("/staff/roster", form)
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.text and message in response.text
    assert duties(session) == []


def test_a_caregiver_is_put_on_duty_only_in_a_room_of_their_own(certified, client_for, session):
    response = client_for(certified.director).post("/staff/roster", duty(certified.caregiver_a, room=certified.room_b))
    assert response.status_code == 400 and "is not one of this room&#39;s caregivers" in response.text


def test_overlapping_duties_of_one_person_are_refused_but_a_split_day_is_allowed(certified, client_for, session):
    director = client_for(certified.director)
    person, room = certified.caregiver_a, certified.room_a
    assert director.post("/staff/roster", duty(person, room=room, starts="07:30", ends="12:00")).status_code == 303
    overlapping = director.post("/staff/roster", duty(person, room=room, starts="11:59", ends="16:00"))
    assert overlapping.status_code == 400 and "already on the roster at that time" in overlapping.text
    assert director.post("/staff/roster", duty(person, room=room, starts="12:00", ends="16:00")).status_code == 303
    assert len(duties(session)) == 2


def test_a_duty_is_voided_with_a_reason_and_kept(certified, client_for, session):
    director = client_for(certified.director)
    director.post("/staff/roster", duty(certified.caregiver_a, room=certified.room_a))
    [entry] = duties(session)
    blank = director.post(f"/staff/roster/{entry.id}/void", {"reason": " "})
    assert blank.status_code == 400 and 'id="void-%d-error"' % entry.id in blank.text
    assert director.post(f"/staff/roster/{entry.id}/void", {"reason": "病假"}).status_code == 303
    [kept] = duties(session)
    assert kept.voided_at is not None and kept.void_reason == "病假" and kept.voided_by_id == certified.director.id
    page = director.get("/staff/roster").text
    assert "1 child expected" in page and "0 caregivers on the roster" in page
    assert "病假" in page.split('id="voided"')[1]
    assert "roster_entry_voided" in session.exec(select(AuditEntry.action)).all()


def test_a_past_days_duty_cannot_be_voided(certified, client_for, session):
    yesterday = f.roster(session, certified.caregiver_a, TODAY - timedelta(days=1), certified.room_a)
    session.commit()
    response = client_for(certified.director).post(f"/staff/roster/{yesterday.id}/void", {"reason": "改"})
    assert response.status_code == 400 and "The roster of a day gone by stays as it was." in response.text
    assert duties(session)[0].voided_at is None


def test_copying_last_weeks_roster_leaves_out_who_may_no_longer_work(certified, client_for, session):
    world = certified
    last_week = TODAY - timedelta(days=7)
    f.roster(session, world.caregiver_a, last_week, world.room_a)
    f.roster(session, world.caregiver_b, last_week, world.room_b, time(9), time(18))
    f.roster(session, world.caregiver_a, last_week - timedelta(days=1), world.room_a)  # another day: not copied
    session.commit()
    expired_yesterday(session, world)
    director = client_for(world.director)
    response = director.post("/staff/roster/copy", {"on": TODAY.isoformat(), "from_on": last_week.isoformat()})
    assert response.status_code == 200
    result = response.text.split('id="copy-result"')[1].split("</div>")[0]
    assert "1 duty was copied." in result and "陈老师" in result and "missing or expired" in result
    copied = [entry for entry in duties(session) if entry.on_date == TODAY]
    assert [(entry.person_id, entry.room_id, entry.starts_at) for entry in copied] == [
        (world.caregiver_a.id, world.room_a.id, time(7, 30))]
    # Copying again adds nothing: the duty that was copied now overlaps itself.
    again = director.post("/staff/roster/copy", {"on": TODAY.isoformat(), "from_on": last_week.isoformat()})
    assert "0 duties were copied." in again.text
    assert len([entry for entry in duties(session) if entry.on_date == TODAY]) == 1


def test_copying_onto_a_day_gone_by_or_the_same_day_is_refused(certified, client_for, session):
    director = client_for(certified.director)
    past = director.post("/staff/roster/copy", {"on": (TODAY - timedelta(days=1)).isoformat(), "from_on": TODAY.isoformat()})
    same = director.post("/staff/roster/copy", {"on": TODAY.isoformat(), "from_on": TODAY.isoformat()})
    assert past.status_code == 400 and same.status_code == 400
    assert "Choose another day to copy from." in same.text


def test_deactivating_or_barring_takes_the_person_off_the_roster_from_today(certified, client_for, session):
    world = certified
    for offset in (-1, 0, 3):
        f.roster(session, world.caregiver_a, TODAY + timedelta(days=offset), world.room_a)
        f.roster(session, world.caregiver_b, TODAY + timedelta(days=offset), world.room_b)
    session.commit()
    director = client_for(world.director)
    assert director.post(f"/staff/{world.caregiver_a.id}/deactivate", {"reason": "离职"}).status_code == 303
    assert director.post(f"/staff/{world.caregiver_b.id}/bar", {"bar_reason": "伤害幼儿", "confirm": "on"}).status_code == 303
    standing = {(entry.person_id, entry.on_date) for entry in duties(session) if entry.voided_at is None}
    assert standing == {(world.caregiver_a.id, TODAY - timedelta(days=1)), (world.caregiver_b.id, TODAY - timedelta(days=1))}
    reasons = {entry.void_reason for entry in duties(session) if entry.voided_at is not None}
    assert reasons == {"离职", "伤害幼儿"}


def test_a_closed_day_expects_no_children(certified, client_for, session):
    from nursery_ops.contracts.models import CalendarDay, CalendarDayKind

    session.add(CalendarDay(on_date=TODAY, kind=CalendarDayKind.closed, name="设备检修", caused_by_nursery=True,
                            recorded_by_id=certified.director.id))
    session.commit()
    page = client_for(certified.director).get("/staff/roster").text
    assert "The nursery is closed this day" in page and "0 children expected" in page


def test_a_bad_day_in_the_address_is_refused_next_to_the_field(certified, client_for):
    response = client_for(certified.director).get("/staff/roster?on=2026-13-01")
    assert response.status_code == 400 and 'id="on-error"' in response.text


def test_the_roster_page_takes_the_same_statements_whatever_the_staff_and_children(certified, client_for, session, queries):
    world = certified
    director = client_for(world.director)
    director.get("/staff/roster")
    with queries:
        director.get("/staff/roster")
    small = queries.count
    for index in range(6):
        carer = f.make_person(session, f"carer_x{index}", Role.caregiver, full_name=f"老师{index}")
        f.assign(session, world.room_a, carer)
        f.roster(session, carer, TODAY, world.room_a)
        f.enrol(session, f.make_child(session, f"孩子{index}", months=20), world.room_a)
    session.commit()
    with queries:
        page = director.get("/staff/roster")
    assert page.text.count("老师") >= 6
    assert queries.count == small, (small, queries.count)
