"""The door on the tablet: clock in/out, morning check, check-in, pick-up, delegates, absences, bookings."""

from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from nursery_ops.attendance.models import (
    Absence,
    Attendance,
    MorningCheck,
    PickupDelegate,
    TemporaryBooking,
)
from nursery_ops.attendance.service import (
    counted_caregivers,
    on_duty,
    sick_to_follow_up,
    unknown_without_call,
)
from nursery_ops.audit import AuditEntry
from nursery_ops.auth.models import Role
from nursery_ops.clock import local_today, utcnow
from nursery_ops.enrolment.models import CareType, Enrolment
from nursery_ops.health.models import ReturnCertificate
from nursery_ops.staff.models import CertificateKind, StaffCertificate, StaffShift
from tests import factories as f


def fresh(session) -> None:
    session.rollback()
    session.expire_all()


def rows(session, model) -> int:
    fresh(session)
    return session.exec(select(func.count()).select_from(model)).one()


def actions(session, child_id=None) -> list[str]:
    fresh(session)
    query = select(AuditEntry.action).order_by(AuditEntry.id)
    if child_id is not None:
        query = query.where(AuditEntry.child_id == child_id)
    return list(session.exec(query).all())


def certify(session, person, valid_until=None, **fields):
    today = local_today()
    session.add(StaffCertificate(
        person_id=person.id, kind=fields.pop("kind", CertificateKind.health), number="J-1",
        issued_on=fields.pop("issued_on", today - timedelta(days=100)),
        valid_until=valid_until or today + timedelta(days=200), **fields,
    ))
    session.flush()


def certify_to_work(session, person, **health):
    """Every certificate clock-in asks for (DOMAIN.md "Staff"); `health` overrides the health certificate's fields."""
    certify(session, person, **health)
    certify(session, person, kind=CertificateKind.no_criminal_record)
    certify(session, person, kind=CertificateKind.background_check)


def clock(session, room, person):
    session.add(StaffShift(room_id=room.id, person_id=person.id, on_date=local_today(), clock_in_at=utcnow()))
    session.flush()


def enrolment_of(session, child) -> Enrolment:
    return session.exec(select(Enrolment).where(Enrolment.child_id == child.id)).one()


@pytest.fixture
def day(session, world):
    """Room A ready for the morning: child X admitted and expected every day, caregiver A on duty and certified."""
    enrolment = enrolment_of(session, world.child_x)
    enrolment.schedule_days = "1234567"
    f.complete_admission(session, world.child_x, enrolment, world.guardian_x)
    certify(session, world.caregiver_a)
    clock(session, world.room_a, world.caregiver_a)
    session.commit()
    return world


def base(world, child=None) -> str:
    return f"/rooms/{world.room_a.id}/children/{(child or world.child_x).id}"


def morning_check(client, world, temperature="36.8", outcome="admit", **extra):
    return client.post(f"{base(world)}/morning-check", {"temperature": temperature, "outcome": outcome, **extra})


def check_in(client, world, **extra):
    return client.post(f"{base(world)}/check-in", {"brought_by": f"guardian:{world.guardian_x.id}", **extra})


# ---------------------------------------------------------------- who may act


ROOM_ACTIONS = [
    ("post", "/clock-in"), ("post", "/clock-out"),
    ("get", "{child}/morning-check"), ("post", "{child}/morning-check"),
    ("get", "{child}/check-in"), ("post", "{child}/check-in"),
    ("get", "{child}/check-out"), ("post", "{child}/check-out"),
    ("get", "{child}/delegate"), ("post", "{child}/delegate"),
    ("get", "{child}/absence"), ("post", "{child}/absence"), ("post", "{child}/absence/call"),
]


def room_url(world, path):
    return f"/rooms/{world.room_a.id}" + path.format(child=f"/children/{world.child_x.id}")


@pytest.mark.parametrize(("method", "path"), ROOM_ACTIONS)
def test_caregiver_of_another_room_and_parents_are_refused(client_for, day, session, method, path):
    url = room_url(day, path)
    before = rows(session, AuditEntry)
    for person in (day.caregiver_b, day.parent_x):
        client = client_for(person)
        response = client.get(url) if method == "get" else client.post(url, {"temperature": "36.5", "outcome": "admit"})
        assert response.status_code == 403, f"{person.username} {method} {url}"
    assert rows(session, AuditEntry) == before


@pytest.mark.parametrize(("method", "path"), ROOM_ACTIONS)
def test_anonymous_is_sent_to_sign_in(anonymous, day, method, path):
    url = room_url(day, path)
    response = anonymous.get(url) if method == "get" else anonymous.post(url)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


def test_a_child_of_another_room_is_not_found_here(client_for, day):
    client = client_for(day.caregiver_a)
    assert client.get(f"{base(day, day.child_y)}/morning-check").status_code == 404


# ---------------------------------------------------------------- clock in / out


def test_clock_in_and_out(client_for, world, session):
    certify_to_work(session, world.caregiver_a)
    session.commit()
    client = client_for(world.caregiver_a)
    response = client.post(f"/rooms/{world.room_a.id}/clock-in")
    assert response.status_code == 303 and response.headers["location"] == f"/rooms/{world.room_a.id}"
    assert client.post(f"/rooms/{world.room_a.id}/clock-in").status_code == 303  # a double tap
    fresh(session)
    shifts = session.exec(select(StaffShift).where(StaffShift.person_id == world.caregiver_a.id)).all()
    assert len(shifts) == 1 and shifts[0].clock_out_at is None and shifts[0].recorded_by_id == world.caregiver_a.id
    assert client.post(f"/rooms/{world.room_a.id}/clock-out").status_code == 303
    fresh(session)
    assert session.get(StaffShift, shifts[0].id).clock_out_at is not None
    assert actions(session) == ["clocked_in", "clocked_out"]
    response = client.post(f"/rooms/{world.room_a.id}/clock-out")
    assert response.status_code == 400 and "not clocked in" in response.text


def test_one_open_shift_per_person(client_for, world, session):
    certify_to_work(session, world.caregiver_a)
    f.assign(session, world.room_b, world.caregiver_a)
    session.commit()
    client = client_for(world.caregiver_a)
    assert client.post(f"/rooms/{world.room_a.id}/clock-in").status_code == 303
    response = client.post(f"/rooms/{world.room_b.id}/clock-in")
    assert response.status_code == 400 and "clock out there first" in response.text
    assert rows(session, StaffShift) == 1


def test_only_certified_caregivers_on_shift_count(session, world):
    today = local_today()
    certify(session, world.caregiver_a)
    clock(session, world.room_a, world.caregiver_a)
    uncertified = f.make_person(session, "carer_c", Role.caregiver, full_name="孙老师")
    clock(session, world.room_a, uncertified)
    expired = f.make_person(session, "carer_d", Role.caregiver, full_name="钱老师")
    certify(session, expired, valid_until=today - timedelta(days=1))
    clock(session, world.room_a, expired)
    voided = f.make_person(session, "carer_e", Role.caregiver, full_name="吴老师")
    certify(session, voided, voided_at=utcnow(), void_reason="wrong number")
    clock(session, world.room_a, voided)
    certify(session, world.health)
    clock(session, world.room_a, world.health)  # health staff never count
    certify(session, world.caregiver_b)  # certified, but not on shift here
    session.commit()
    duty = on_duty(session, world.room_a.id, today)
    assert [(d.name, d.counted) for d in duty] == [
        ("张老师", True), ("孙老师", False), ("钱老师", False), ("吴老师", False), ("刘保健", False)
    ]
    assert counted_caregivers(session, world.room_a.id, today) == 1
    assert counted_caregivers(session, world.room_b.id, today) == 0


# ---------------------------------------------------------------- morning check


def test_morning_check_saved_with_the_acting_person(client_for, day, session):
    response = morning_check(client_for(day.caregiver_a), day, "37.2", "observe", throat_red="on", notes="咳嗽")
    assert response.status_code == 303
    fresh(session)
    check = session.exec(select(MorningCheck)).one()
    assert (check.temperature_tenths, check.outcome, check.throat_red, check.by_id) == (372, "observe", True, day.caregiver_a.id)
    assert actions(session, day.child_x.id) == ["morning_check_recorded"]


@pytest.mark.parametrize(
    ("temperature", "extra", "message"),
    [
        ("37.3", {}, "37.3 °C is at or above 37.3 °C"),
        ("37,5", {}, "37.5 °C is at or above"),
        ("36.6", {"rash": "on"}, "rash or a suspected infection"),
        ("36.6", {"suspected_infection": "on"}, "rash or a suspected infection"),
        ("33.9", {}, "between 34.0 and 43.0"),
        ("43.1", {}, "between 34.0 and 43.0"),
        ("hot", {}, "one decimal"),
    ],
)
def test_morning_check_refusals_save_nothing(client_for, day, session, temperature, extra, message):
    response = morning_check(client_for(day.caregiver_a), day, temperature, "admit", **extra)
    assert response.status_code == 400
    assert message in response.text
    assert rows(session, MorningCheck) == 0 and actions(session) == []


@pytest.mark.parametrize("temperature", ["34.0", "43.0", "37,3", "39.5"])
def test_send_home_is_always_possible(client_for, day, session, temperature):
    assert morning_check(client_for(day.caregiver_a), day, temperature, "send_home", rash="on").status_code == 303
    assert rows(session, MorningCheck) == 1


def test_a_double_tap_on_the_morning_check_saves_one_check(client_for, day, session):
    client = client_for(day.caregiver_a)
    for _ in range(2):
        assert morning_check(client, day, "36.8", "admit", form_token="tap-once").status_code == 303
    assert rows(session, MorningCheck) == 1 and actions(session, day.child_x.id) == ["morning_check_recorded"]


def test_health_officer_checks_in_any_room(client_for, day, session):
    assert morning_check(client_for(day.health), day).status_code == 303
    fresh(session)
    assert session.exec(select(MorningCheck)).one().by_id == day.health.id


def test_morning_check_form_has_a_decimal_keypad(client_for, day):
    response = client_for(day.caregiver_a).get(f"{base(day)}/morning-check")
    assert response.status_code == 200
    assert 'inputmode="decimal"' in response.text and "37.3" in response.text


def test_htmx_refusal_renders_only_the_form(client_for, day):
    client = client_for(day.caregiver_a)
    response = client.http.post(
        f"{base(day)}/morning-check", data={"temperature": "38.0", "outcome": "admit", "csrf_token": client.token},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 400
    assert "<html" not in response.text and "at or above" in response.text
    assert response.headers["HX-Retarget"] == f"#child-{day.child_x.id}-action"


# ---------------------------------------------------------------- check-in


def test_check_in_records_who_brought_and_who_checked(client_for, day, session):
    client = client_for(day.caregiver_a)
    assert morning_check(client, day).status_code == 303
    response = check_in(client, day)
    assert response.status_code == 303
    assert check_in(client, day).status_code == 303  # a repeat answers with the current state
    fresh(session)
    attendance = session.exec(select(Attendance)).one()
    assert attendance.brought_by == "王妈妈 (母亲)"
    assert attendance.checked_in_by_id == day.caregiver_a.id and attendance.room_id == day.room_a.id
    assert attendance.morning_check_id is not None and attendance.check_in_at is not None
    assert actions(session, day.child_x.id) == ["morning_check_recorded", "checked_in"]


def test_check_in_form_lists_the_adults(client_for, day):
    page = client_for(day.caregiver_a).get(f"{base(day)}/check-in")
    assert page.status_code == 200
    assert f"guardian:{day.guardian_x.id}" in page.text and "王奶奶" in page.text


def test_check_in_with_a_typed_name(client_for, day, session):
    client = client_for(day.caregiver_a)
    morning_check(client, day)
    assert client.post(f"{base(day)}/check-in", {"brought_by_name": "王叔叔 (舅舅)"}).status_code == 303
    fresh(session)
    assert session.exec(select(Attendance)).one().brought_by == "王叔叔 (舅舅)"


def test_check_in_needs_the_adult(client_for, day, session):
    client = client_for(day.caregiver_a)
    morning_check(client, day)
    response = client.post(f"{base(day)}/check-in", {})
    assert response.status_code == 400 and "Choose who brought the child" in response.text
    assert rows(session, Attendance) == 0


def test_no_morning_check_blocks(client_for, day, session):
    response = check_in(client_for(day.caregiver_a), day)
    assert response.status_code == 400 and "No morning check today" in response.text
    assert rows(session, Attendance) == 0


def test_sent_home_blocks(client_for, day, session):
    client = client_for(day.caregiver_a)
    morning_check(client, day, "38.2", "send_home")
    response = check_in(client, day)
    assert response.status_code == 400 and "sent the child home" in response.text
    assert rows(session, Attendance) == 0


def test_incomplete_admission_blocks(client_for, world, session):
    enrolment_of(session, world.child_x).schedule_days = "1234567"
    certify(session, world.caregiver_a)
    clock(session, world.room_a, world.caregiver_a)
    session.commit()
    client = client_for(world.caregiver_a)
    morning_check(client, world)
    response = check_in(client, world)
    assert response.status_code == 400 and "admission checklist is incomplete" in response.text
    assert rows(session, Attendance) == 0


def test_awaited_return_certificate_blocks(client_for, day, session):
    session.add(ReturnCertificate(child_id=day.child_x.id, required_since=local_today() - timedelta(days=3), reason="手足口病"))
    session.commit()
    client = client_for(day.caregiver_a)
    morning_check(client, day)
    response = check_in(client, day)
    assert response.status_code == 400 and "return certificate" in response.text
    assert rows(session, Attendance) == 0


def test_below_ratio_blocks(client_for, day, session):
    session.exec(select(StaffShift)).one().clock_out_at = utcnow()
    session.commit()
    client = client_for(day.caregiver_a)
    morning_check(client, day)
    response = check_in(client, day)
    assert response.status_code == 400 and "below ratio" in response.text
    assert rows(session, Attendance) == 0


def test_sixth_toddler_needs_a_second_caregiver(client_for, day, session):
    for number in range(5):
        child = f.make_child(session, f"在园{number}", months=18)
        f.enrol(session, child, day.room_a, schedule_days="1234567")
        session.add(Attendance(child_id=child.id, room_id=day.room_a.id, on_date=local_today(), check_in_at=utcnow(),
                               brought_by="x", checked_in_by_id=day.caregiver_a.id))
    session.commit()
    client = client_for(day.caregiver_a)
    morning_check(client, day)
    response = check_in(client, day)
    assert response.status_code == 400 and "6 children need 2 caregivers" in response.text
    second = f.make_person(session, "carer_f", Role.caregiver)
    f.assign(session, day.room_a, second)
    certify(session, second)
    clock(session, day.room_a, second)
    session.commit()
    assert check_in(client, day).status_code == 303


def test_director_overrides_a_block_with_a_reason(client_for, day, session):
    client = client_for(day.director)
    response = check_in(client, day)
    assert response.status_code == 400 and "Override: the written reason" in response.text
    assert rows(session, Attendance) == 0
    response = check_in(client, day, override_reason="晨检由保健医在门口完成，稍后补录")
    assert response.status_code == 303
    fresh(session)
    assert session.exec(select(Attendance)).one().check_in_override_reason.startswith("晨检")
    assert actions(session, day.child_x.id) == ["checked_in", "override"]
    override = session.exec(select(AuditEntry).where(AuditEntry.action == "override")).one()
    assert override.actor_id == day.director.id and override.reason.startswith("晨检")


def test_a_caregiver_cannot_override(client_for, day, session):
    response = check_in(client_for(day.caregiver_a), day, override_reason="please")
    assert response.status_code == 400 and "Override: the written reason" not in response.text
    assert rows(session, Attendance) == 0


def test_a_child_not_expected_today_is_refused_even_for_the_director(client_for, day, session):
    enrolment = enrolment_of(session, day.child_x)
    enrolment.care_type = CareType.temporary
    session.commit()
    client = client_for(day.director)
    response = morning_check(client, day)
    assert response.status_code == 400 and "not expected in this room today" in response.text
    response = check_in(client, day, override_reason="anyway")
    assert response.status_code == 400 and "not expected in this room today" in response.text
    response = client.post(f"{base(day)}/absence", {"reason": "leave"})
    assert response.status_code == 400 and "not expected in this room today" in response.text
    assert rows(session, Attendance) == 0 and rows(session, MorningCheck) == 0 and rows(session, Absence) == 0
    session.add(TemporaryBooking(enrolment_id=enrolment.id, on_date=local_today(), booked_by_id=day.director.id))
    session.commit()
    assert morning_check(client, day).status_code == 303
    assert check_in(client, day).status_code == 303


# ---------------------------------------------------------------- pick-up and delegates


@pytest.fixture
def arrived(client_for, day, session):
    client = client_for(day.caregiver_a)
    assert morning_check(client, day).status_code == 303
    assert check_in(client, day).status_code == 303
    return client


def test_check_out_without_check_in_is_refused(client_for, day, session):
    response = client_for(day.caregiver_a).post(f"{base(day)}/check-out", {"collector": f"guardian:{day.guardian_x.id}"})
    assert response.status_code == 400 and "has not been checked in today" in response.text


def test_pick_up_by_a_guardian(arrived, day, session):
    assert arrived.get(f"{base(day)}/check-out").status_code == 200
    response = arrived.post(f"{base(day)}/check-out", {"collector": f"guardian:{day.guardian_x.id}"})
    assert response.status_code == 303
    assert arrived.post(f"{base(day)}/check-out", {"collector": f"guardian:{day.guardian_x.id}"}).status_code == 303
    fresh(session)
    attendance = session.exec(select(Attendance)).one()
    assert attendance.check_out_at is not None and attendance.picked_up_by_guardian_id == day.guardian_x.id
    assert attendance.checked_out_by_id == day.caregiver_a.id
    assert actions(session, day.child_x.id)[-1] == "checked_out"
    assert actions(session).count("checked_out") == 1


def test_pick_up_by_a_trusted_adult_on_the_list(arrived, day, session):
    fresh(session)
    adult = session.exec(select(f.TrustedAdult).where(f.TrustedAdult.child_id == day.child_x.id)).one()
    page = arrived.get(f"{base(day)}/check-out")
    assert f"adult:{adult.id}" in page.text and "王奶奶" in page.text
    assert arrived.post(f"{base(day)}/check-out", {"collector": f"adult:{adult.id}"}).status_code == 303
    fresh(session)
    assert session.exec(select(Attendance)).one().picked_up_by_adult_id == adult.id


@pytest.mark.parametrize("who", ["other", "adult:9999", "guardian:y", "guardian_no_pickup", "adult_other_child", "removed_adult"])
def test_pick_up_by_anyone_else_is_refused(arrived, day, session, who):
    if who == "guardian:y":
        who = f"guardian:{day.guardian_y.id}"
    elif who == "guardian_no_pickup":
        uncle = f.make_guardian(session, day.child_x, "王爸爸", relation="父亲", may_pick_up=False)
        who = f"guardian:{uncle.id}"
    elif who == "adult_other_child":
        who = f"adult:{f.make_trusted_adult(session, day.child_y, '赵奶奶').id}"
    elif who == "removed_adult":
        who = f"adult:{f.make_trusted_adult(session, day.child_x, '前保姆', active=False).id}"
    session.commit()
    response = arrived.post(f"{base(day)}/check-out", {"collector": who})
    assert response.status_code == 400 and "may not collect the child" in response.text
    fresh(session)
    assert session.exec(select(Attendance)).one().check_out_at is None


def test_delegate_flow(arrived, day, session):
    stranger = arrived.post(f"{base(day)}/check-out", {"collector": "other"})
    assert stranger.status_code == 400
    delegate = {
        "full_name": "李阿姨", "phone": "139 0000 1111", "identity_note": "身份证尾号 1234",
        "approved_by_guardian_id": str(day.guardian_x.id), "approval_how": "电话",
    }
    assert arrived.get(f"{base(day)}/delegate").status_code == 200
    assert arrived.post(f"{base(day)}/delegate", delegate).status_code == 303
    assert arrived.post(f"{base(day)}/delegate", delegate).status_code == 303  # a double tap
    fresh(session)
    row = session.exec(select(PickupDelegate)).one()
    assert (row.phone, row.on_date, row.recorded_by_id) == ("13900001111", local_today(), day.caregiver_a.id)
    assert "李阿姨" in arrived.get(f"{base(day)}/check-out").text
    assert arrived.post(f"{base(day)}/check-out", {"collector": f"delegate:{row.id}"}).status_code == 303
    fresh(session)
    assert session.exec(select(Attendance)).one().picked_up_by_delegate_id == row.id
    assert "pickup_delegate_recorded" in actions(session, day.child_x.id)


@pytest.mark.parametrize(
    ("change", "field"),
    [({"approved_by_guardian_id": "y"}, "Choose an active guardian"), ({"phone": "12ab"}, "phone number"), ({"full_name": ""}, "required")],
)
def test_delegate_bad_input(client_for, day, session, change, field):
    data = {"full_name": "李阿姨", "phone": "13900001111", "approved_by_guardian_id": str(day.guardian_x.id), "approval_how": "电话", **change}
    if data["approved_by_guardian_id"] == "y":
        data["approved_by_guardian_id"] = str(day.guardian_y.id)
    response = client_for(day.caregiver_a).post(f"{base(day)}/delegate", data)
    assert response.status_code == 400 and field in response.text
    assert rows(session, PickupDelegate) == 0


def test_yesterdays_delegate_may_not_collect(arrived, day, session):
    old = PickupDelegate(child_id=day.child_x.id, on_date=local_today() - timedelta(days=1), full_name="李阿姨", phone="13900001111",
                         approved_by_guardian_id=day.guardian_x.id, approval_how="电话", recorded_by_id=day.caregiver_a.id)
    session.add(old)
    session.commit()
    assert arrived.post(f"{base(day)}/check-out", {"collector": f"delegate:{old.id}"}).status_code == 400


# ---------------------------------------------------------------- absences


def test_unknown_absence_then_the_call(client_for, day, session):
    client = client_for(day.caregiver_a)
    assert client.post(f"{base(day)}/absence", {"reason": "unknown"}).status_code == 303
    fresh(session)
    absence = session.exec(select(Absence)).one()
    assert absence.reason == "unknown" and absence.family_called_at is None and absence.recorded_by_id == day.caregiver_a.id
    response = client.post(f"{base(day)}/absence/call", {"call_note": ""})
    assert response.status_code == 400
    assert client.post(f"{base(day)}/absence/call", {"call_note": "妈妈说发烧了"}).status_code == 303
    fresh(session)
    absence = session.get(Absence, absence.id)
    assert absence.family_called_at is not None and absence.call_note == "妈妈说发烧了"
    assert actions(session, day.child_x.id) == ["absence_recorded", "family_called"]
    # The family's answer turns "unknown" into "sick": the same row, audited.
    assert client.post(f"{base(day)}/absence", {"reason": "sick", "symptoms": "发烧"}).status_code == 303
    assert rows(session, Absence) == 1
    assert actions(session, day.child_x.id)[-1] == "absence_changed"


def test_absence_page_and_follow_ups(client_for, day, session):
    client = client_for(day.caregiver_a)
    assert client.get(f"{base(day)}/absence").status_code == 200
    client.post(f"{base(day)}/absence", {"reason": "unknown"})
    page = client.get(f"{base(day)}/absence")
    assert "Record the call" in page.text
    today = local_today()
    fresh(session)
    assert [child.id for _absence, child in unknown_without_call(session, today, day.room_a.id)] == [day.child_x.id]
    assert unknown_without_call(session, today, day.room_b.id) == []
    client.post(f"{base(day)}/absence", {"reason": "sick", "symptoms": "咳嗽"})
    fresh(session)
    assert unknown_without_call(session, today) == []
    assert sick_to_follow_up(session, today, day.room_a.id) == {day.child_x.id}
    # Still followed up tomorrow; no longer once the child is back.
    tomorrow = today + timedelta(days=1)
    assert sick_to_follow_up(session, tomorrow) == {day.child_x.id}
    session.add(Attendance(child_id=day.child_x.id, room_id=day.room_a.id, on_date=tomorrow, check_in_at=utcnow(),
                           brought_by="x", checked_in_by_id=day.caregiver_a.id))
    session.commit()
    assert sick_to_follow_up(session, tomorrow) == set()


def test_the_third_sick_absence_with_the_same_symptom_raises_an_outbreak_alert(client_for, day, session):
    from nursery_ops.illness.models import OutbreakAlert

    others = []
    for name in ("发烧二", "发烧三"):
        child = f.make_child(session, name, months=20)
        f.enrol(session, child, day.room_a, schedule_days="1234567")
        others.append(child)
    session.commit()
    client = client_for(day.caregiver_a)
    for index, child in enumerate([day.child_x, *others]):
        assert rows(session, OutbreakAlert) == 0, index
        assert client.post(f"{base(day, child)}/absence", {"reason": "sick", "symptoms": "发烧 38.5"}).status_code == 303
    fresh(session)
    alert = session.exec(select(OutbreakAlert)).one()
    assert (alert.room_id, alert.symptom) == (day.room_a.id, "fever")
    assert "Outbreak alert" in client_for(day.director).get("/director").text


def test_call_without_an_absence_is_refused(client_for, day, session):
    response = client_for(day.caregiver_a).post(f"{base(day)}/absence/call", {"call_note": "x"})
    assert response.status_code == 400 and "Record the absence first" in response.text


def test_sick_needs_symptoms(client_for, day, session):
    response = client_for(day.caregiver_a).post(f"{base(day)}/absence", {"reason": "sick"})
    assert response.status_code == 400 and "symptoms" in response.text
    assert rows(session, Absence) == 0


def test_bad_reason_is_refused(client_for, day, session):
    assert client_for(day.caregiver_a).post(f"{base(day)}/absence", {"reason": "holiday"}).status_code == 400
    assert rows(session, Absence) == 0


def test_absence_of_a_child_already_in_is_refused(arrived, day, session):
    response = arrived.post(f"{base(day)}/absence", {"reason": "leave"})
    assert response.status_code == 400 and "already checked in" in response.text
    assert rows(session, Absence) == 0


def test_suspected_infection_requires_a_return_certificate_until_received(client_for, day, session):
    client = client_for(day.caregiver_a)
    data = {"reason": "sick", "symptoms": "皮疹、发热", "suspected_infection": "on"}
    assert client.post(f"{base(day)}/absence", data).status_code == 303
    fresh(session)
    certificate = session.exec(select(ReturnCertificate)).one()
    assert certificate.received_on is None and certificate.reason == "皮疹、发热"
    assert actions(session, day.child_x.id) == ["absence_recorded", "return_certificate_required"]
    # Next day, in tests simulated by dropping today's absence row directly.
    session.delete(session.exec(select(Absence)).one())
    session.commit()
    morning_check(client, day)
    assert check_in(client, day).status_code == 400
    # Caregivers do not record certificates; the health officer does.
    url = f"/children/{day.child_x.id}/return-certificate"
    assert client.post(url, {"received_on": local_today().isoformat(), "issued_by": "x"}).status_code == 403
    health = client_for(day.health)
    assert health.get(url).status_code == 200
    bad = health.post(url, {"received_on": (local_today() + timedelta(days=1)).isoformat(), "issued_by": "市儿童医院"})
    assert bad.status_code == 400
    assert health.post(url, {"received_on": local_today().isoformat(), "issued_by": "市儿童医院"}).status_code == 303
    fresh(session)
    assert session.get(ReturnCertificate, certificate.id).issued_by == "市儿童医院"
    assert check_in(client, day).status_code == 303


def test_return_certificate_when_none_is_awaited(client_for, day):
    response = client_for(day.health).post(
        f"/children/{day.child_x.id}/return-certificate", {"received_on": local_today().isoformat(), "issued_by": "x"}
    )
    assert response.status_code == 400 and "No return certificate is awaited" in response.text


def test_return_certificate_access(client_for, anonymous, day):
    url = f"/children/{day.child_x.id}/return-certificate"
    assert anonymous.post(url).status_code == 303
    assert client_for(day.parent_x).post(url).status_code == 403


# ---------------------------------------------------------------- temporary bookings


@pytest.fixture
def temporary(session, world):
    enrolment = enrolment_of(session, world.child_x)
    enrolment.care_type = CareType.temporary
    enrolment.schedule_days = ""
    session.commit()
    return enrolment


def test_director_books_and_cancels_days(client_for, world, temporary, session):
    client = client_for(world.director)
    url = f"/children/{world.child_x.id}/bookings"
    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    assert client.get(url).status_code == 200
    assert client.post(url, {"on_date": tomorrow}).status_code == 303
    assert client.post(url, {"on_date": tomorrow}).status_code == 303  # a double tap
    assert rows(session, TemporaryBooking) == 1
    assert tomorrow in client.get(url).text
    assert client.post(url, {"on_date": tomorrow, "action": "cancel"}).status_code == 303
    fresh(session)
    assert session.exec(select(TemporaryBooking)).one().cancelled_at is not None
    assert client.post(url, {"on_date": tomorrow}).status_code == 303  # booked again
    fresh(session)
    assert session.exec(select(TemporaryBooking)).one().cancelled_at is None
    assert actions(session, world.child_x.id) == ["booking_made", "booking_cancelled", "booking_made"]


def test_bookings_refused(client_for, world, temporary, session):
    client = client_for(world.director)
    url = f"/children/{world.child_x.id}/bookings"
    yesterday = (local_today() - timedelta(days=1)).isoformat()
    assert client.post(url, {"on_date": yesterday}).status_code == 400
    assert client.post(url, {"on_date": "not a date"}).status_code == 400
    full_day = f"/children/{world.child_y.id}/bookings"
    response = client.post(full_day, {"on_date": local_today().isoformat()})
    assert response.status_code == 400 and "temporary-care" in response.text
    assert rows(session, TemporaryBooking) == 0


def test_bookings_are_the_directors(client_for, anonymous, world, temporary):
    url = f"/children/{world.child_x.id}/bookings"
    for person in (world.caregiver_a, world.health, world.parent_x):
        assert client_for(person).post(url, {"on_date": local_today().isoformat()}).status_code == 403
    assert anonymous.get(url).status_code == 303


# ---------------------------------------------------------------- clock-in needs the certificates to work with children


def test_clock_in_is_refused_naming_each_missing_certificate(client_for, world, session):
    certify(session, world.caregiver_a)  # the health certificate only
    session.commit()
    response = client_for(world.caregiver_a).post(f"/rooms/{world.room_a.id}/clock-in")
    assert response.status_code == 400 and "张老师 cannot clock in" in response.text
    listed = response.text[response.text.index('id="missing-certificates"'):]
    assert "No-criminal-record certificate (无犯罪记录证明)" in listed and "Background check (背景审查)" in listed
    assert "Health certificate (健康证)" not in listed
    assert rows(session, StaffShift) == 0 and actions(session) == []


@pytest.mark.parametrize(
    ("health", "allowed"),
    [
        ({"valid_until": local_today()}, True),  # valid through today
        ({"valid_until": local_today() - timedelta(days=1)}, False),  # expired yesterday
        ({"voided_at": utcnow(), "void_reason": "wrong number"}, False),
        ({"issued_on": local_today() + timedelta(days=1)}, False),  # not issued yet
    ],
)
def test_clock_in_with_an_expired_or_voided_health_certificate_is_refused(client_for, world, session, health, allowed):
    certify_to_work(session, world.caregiver_a, **health)
    session.commit()
    response = client_for(world.caregiver_a).post(f"/rooms/{world.room_a.id}/clock-in")
    assert (response.status_code == 303) is allowed
    if not allowed:
        assert response.status_code == 400 and "Health certificate (健康证)" in response.text
    assert rows(session, StaffShift) == (1 if allowed else 0)


def test_a_caregiver_who_is_also_the_health_officer_counts_only_in_their_own_room(client_for, world, session):
    both = f.make_person(session, "carer_health", Role.caregiver, Role.health, full_name="周保健")
    f.assign(session, world.room_b, both)
    certify_to_work(session, both)
    session.commit()
    client = client_for(both)
    # The health duty lets them act in room A too, but they are not room A's caregiver.
    assert client.post(f"/rooms/{world.room_a.id}/clock-in").status_code == 303
    [duty] = on_duty(session, world.room_a.id, local_today())
    assert not duty.counted and duty.why_not == "Not a caregiver of this room: does not count toward the ratio"
    assert client.post(f"/rooms/{world.room_a.id}/clock-out").status_code == 303
    assert client.post(f"/rooms/{world.room_b.id}/clock-in").status_code == 303
    fresh(session)
    assert counted_caregivers(session, world.room_b.id, local_today()) == 1


# ---------------------------------------------------------------- an absent child who arrives after all


def test_a_late_arrival_closes_the_absence_and_the_call_is_no_longer_due(client_for, day, session):
    client = client_for(day.caregiver_a)
    assert client.post(f"{base(day)}/absence", {"reason": "unknown"}).status_code == 303
    page = client.get(f"/rooms/{day.room_a.id}").text
    assert "Call the family: 1 absence" in page
    assert morning_check(client, day).status_code == 303
    assert check_in(client, day).status_code == 303
    fresh(session)
    absence = session.exec(select(Absence)).one()  # kept for the history, not deleted
    assert absence.superseded_at is not None and absence.reason == "unknown"
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "absence_superseded_by_arrival")).one()
    assert entry.before["superseded_at"] is None and entry.after["superseded_at"] is not None
    assert entry.actor_id == day.caregiver_a.id and entry.child_id == day.child_x.id
    assert unknown_without_call(session, local_today()) == []
    page = client.get(f"/rooms/{day.room_a.id}").text
    assert "Call the family" not in page and "Arrived" in page


def test_a_child_reported_sick_who_arrives_is_not_followed_up_as_sick(client_for, day, session):
    client = client_for(day.caregiver_a)
    client.post(f"{base(day)}/absence", {"reason": "sick", "symptoms": "咳嗽"})
    morning_check(client, day)
    assert check_in(client, day).status_code == 303
    fresh(session)
    assert sick_to_follow_up(session, local_today()) == set()
    assert sick_to_follow_up(session, local_today() + timedelta(days=1)) == set()


def test_a_sick_day_the_child_attended_is_not_refunded_as_sick_leave(session, world):
    from datetime import date

    from nursery_ops.billing.models import LineKind, RefundKind
    from nursery_ops.contracts.models import ContractStatus
    from nursery_ops.refunds import service as refunds
    from nursery_ops.refunds.forms import RefundForm

    enrolment = enrolment_of(session, world.child_x)
    contract = f.make_contract(
        session, enrolment, world.director, status=ContractStatus.active, start_date=date(2026, 3, 1),
        end_date=date(2027, 2, 28), guardian_id=world.guardian_x.id, guardian_signed_on=date(2026, 2, 20),
        director_signed_by_id=world.director.id, director_signed_on=date(2026, 2, 20),
    )
    f.make_refund_bill(session, contract, world.director, date(2026, 3, 1), date(2026, 3, 31), [(LineKind.care_fee, 280000)])
    f.make_refund_payment(session, contract, world.director, 280000, date(2026, 3, 1))
    days = [date(2026, 3, 5), date(2026, 3, 6), date(2026, 3, 9), date(2026, 3, 10), date(2026, 3, 11)]
    for day_ in days:
        session.add(Absence(child_id=world.child_x.id, room_id=world.room_a.id, on_date=day_, reason="sick",
                            recorded_by_id=world.caregiver_a.id,
                            superseded_at=utcnow() if day_ == days[-1] else None))  # came in on the 11th after all
    session.commit()
    data = RefundForm(requested_on=date(2026, 5, 1), period_start=date(2026, 3, 1), period_end=date(2026, 3, 31),
                      doctor_note="市妇幼保健院 诊断证明", doctor_note_seen=True)
    proposal = refunds.calculate(session, contract, RefundKind.sick_leave, data, date(2026, 6, 1))
    # Four sick days are under the five that earn a refund (five would give 31818 fen: tests/refunds).
    assert proposal.calculation.amount_fen == 0


# ---------------------------------------------------------------- double taps on absences and calls


def test_a_repeated_call_changes_nothing_and_the_caller_is_kept_on_the_absence(client_for, day, session):
    client = client_for(day.caregiver_a)
    client.post(f"{base(day)}/absence", {"reason": "unknown"})
    assert client.post(f"{base(day)}/absence/call", {"call_note": "妈妈说发烧了"}).status_code == 303
    fresh(session)
    first = session.exec(select(Absence)).one()
    called_at = first.family_called_at
    assert first.family_called_by_id == day.caregiver_a.id
    assert client_for(day.director).post(f"{base(day)}/absence/call", {"call_note": "又打了一次"}).status_code == 303
    fresh(session)
    again = session.exec(select(Absence)).one()
    assert (again.family_called_at, again.call_note, again.family_called_by_id) == (called_at, "妈妈说发烧了", day.caregiver_a.id)
    assert actions(session, day.child_x.id) == ["absence_recorded", "family_called"]


def test_the_same_absence_sent_twice_is_audited_once(client_for, day, session):
    client = client_for(day.caregiver_a)
    sick = {"reason": "sick", "symptoms": "发烧", "suspected_infection": "on"}
    assert client.post(f"{base(day)}/absence", sick).status_code == 303
    assert client.post(f"{base(day)}/absence", sick).status_code == 303
    assert actions(session, day.child_x.id) == ["absence_recorded", "return_certificate_required"]
    assert client.post(f"{base(day)}/absence", {**sick, "symptoms": "发烧、咳嗽"}).status_code == 303
    assert actions(session, day.child_x.id)[-1] == "absence_changed"
    assert rows(session, ReturnCertificate) == 1


# ---------------------------------------------------------------- who may approve a one-off delegate


DELEGATE = {"full_name": "李阿姨", "phone": "13900001111", "approval_how": "电话"}


def test_a_guardian_not_allowed_to_pick_up_cannot_approve_a_delegate(client_for, day, session):
    barred = f.make_guardian(session, day.child_x, "王爸爸", relation="父亲", may_pick_up=False)
    session.commit()
    client = client_for(day.caregiver_a)
    assert "王爸爸" not in client.get(f"{base(day)}/delegate").text
    response = client.post(f"{base(day)}/delegate", {**DELEGATE, "approved_by_guardian_id": str(barred.id)})
    assert response.status_code == 400 and "who is allowed to pick up" in response.text
    assert rows(session, PickupDelegate) == 0


def test_a_delegate_cannot_collect_once_the_approving_guardian_may_not(arrived, day, session):
    assert arrived.post(f"{base(day)}/delegate", {**DELEGATE, "approved_by_guardian_id": str(day.guardian_x.id)}).status_code == 303
    fresh(session)
    delegate = session.exec(select(PickupDelegate)).one()
    link = session.exec(select(f.ChildGuardian).where(f.ChildGuardian.guardian_id == day.guardian_x.id)).one()
    link.may_pick_up = False  # a court order, say, recorded after the approval
    session.add(link)
    session.commit()
    assert f"delegate:{delegate.id}" not in arrived.get(f"{base(day)}/check-out").text
    response = arrived.post(f"{base(day)}/check-out", {"collector": f"delegate:{delegate.id}"})
    assert response.status_code == 400 and "may not collect the child" in response.text
    fresh(session)
    assert session.exec(select(Attendance)).one().check_out_at is None


# ---------------------------------------------------------------- checking out a sleeping child


def test_checking_out_a_sleeping_child_ends_the_nap_at_the_departure(arrived, day, session):
    from nursery_ops.dailylog.models import EntryKind, LogEntry

    assert arrived.post(f"{base(day)}/log/nap-start", {}).status_code == 303
    assert arrived.post(f"{base(day)}/check-out", {"collector": f"guardian:{day.guardian_x.id}"}).status_code == 303
    fresh(session)
    nap = session.exec(select(LogEntry).where(LogEntry.kind == EntryKind.nap)).one()
    attendance = session.exec(select(Attendance)).one()
    assert nap.ended_at == attendance.check_out_at
    assert actions(session, day.child_x.id)[-2:] == ["checked_out", "nap_ended_at_check_out"]
