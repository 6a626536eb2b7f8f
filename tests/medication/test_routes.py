"""Medication over HTTP: a child's record (audited reads), authorisations, cancellations, doses on the tablet."""

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from nursery_ops.attendance.models import Attendance
from nursery_ops.audit import AuditEntry
from nursery_ops.clock import local_date, local_today, utcnow
from nursery_ops.dailylog.rules import at_local_time
from nursery_ops.medication import service
from nursery_ops.medication.models import (
    DoseOutcome,
    MedicationAuthorisation,
    MedicationDose,
)
from nursery_ops.settings import get_settings
from tests import factories as f


def fresh(session) -> None:
    session.rollback()
    session.expire_all()


def count(session, model) -> int:
    fresh(session)
    return session.exec(select(func.count()).select_from(model)).one()


def audit_rows(session, action: str) -> list[AuditEntry]:
    fresh(session)
    return list(session.exec(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all())


def arrive(session, room, child) -> Attendance:
    at = utcnow() - timedelta(minutes=5)
    attendance = Attendance(
        child_id=child.id, room_id=room.id, on_date=local_date(at), check_in_at=at, brought_by="王妈妈 (母亲)",
        checked_in_by_id=1,
    )
    session.add(attendance)
    session.flush()
    return attendance


@pytest.fixture
def med(session, world, morning_clock):
    """Child X is in room A today with a signed authorisation: 2.5 ml at 08:30 and 12:00; it is 12:05."""
    zone = get_settings().zone
    morning_clock.move_to(datetime.combine(local_today(), time(12, 5), tzinfo=zone))
    arrive(session, world.room_a, world.child_x)
    world.authorisation = f.make_authorisation(session, world.child_x, world.guardian_x, world.health)
    session.commit()
    return world


def page(world, child=None) -> str:
    return f"/children/{(child or world.child_x).id}/medication"


def tablet(world, child=None) -> str:
    return f"/rooms/{world.room_a.id}/children/{(child or world.child_x).id}/medication"


def dose_data(world, **changes) -> dict:
    data = {
        "due": f"{world.authorisation.id}@12:00", "outcome": "given", "amount": "2.5",
        "checked_by_id": str(world.health.id),
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


# ---------------------------------------------------------------- a child's medication page


@pytest.mark.parametrize("who", ["director", "health", "caregiver_a"])
def test_staff_read_a_childs_medication_and_the_read_is_audited(client_for, med, session, who):
    person = getattr(med, who)
    response = client_for(person).get(page(med))
    assert response.status_code == 200
    assert "阿莫西林颗粒" in response.text and "08:30, 12:00" in response.text and "王妈妈" in response.text
    reads = audit_rows(session, "health_record_read")
    assert [(r.actor_id, r.entity, r.child_id) for r in reads] == [(person.id, "medication", med.child_x.id)]
    # Recording is for the health officer and the director only.
    assert ("Record a signed authorisation" in response.text) is (who in ("director", "health"))


def test_parents_are_refused_and_anonymous_people_sent_to_sign_in(client_for, anonymous, med, session):
    assert client_for(med.parent_x).get(page(med)).status_code == 403
    # A caregiver reads the medication of her own rooms' children only.
    assert client_for(med.caregiver_b).get(page(med)).status_code == 403
    response = anonymous.get(page(med))
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert audit_rows(session, "health_record_read") == []


def test_an_unknown_child_is_not_found(client_for, med):
    assert client_for(med.health).get("/children/9999/medication").status_code == 404


def test_the_page_shows_past_and_cancelled_authorisations_with_their_doses(client_for, med, session):
    old = f.make_authorisation(
        session, med.child_x, med.guardian_x, med.health, drug_name="布洛芬混悬液",
        start_date=local_today() - timedelta(days=20), end_date=local_today() - timedelta(days=18),
        signed_on=local_today() - timedelta(days=20),
    )
    session.add(MedicationDose(
        authorisation_id=old.id, child_id=med.child_x.id, on_date=old.start_date,
        slot=old.slots[0], outcome=DoseOutcome.refused, at=utcnow() - timedelta(days=20), given_by_id=med.caregiver_a.id,
        reason="孩子拒绝",
    ))
    session.commit()
    text = client_for(med.director).get(page(med)).text
    current, past = text.split("Past authorisations")
    assert "阿莫西林颗粒" in current and "布洛芬混悬液" in past and "孩子拒绝" in past and "张老师" in past


def test_the_page_issues_a_fixed_number_of_statements(client_for, med, session, queries):
    client = client_for(med.health)
    client.get(page(med))
    with queries:
        assert client.get(page(med)).status_code == 200
    few = queries.count
    for days_ago in (10, 30, 60):
        earlier = local_today() - timedelta(days=days_ago)
        extra = f.make_authorisation(
            session, med.child_x, med.guardian_x, med.director, drug_name=f"药{days_ago}", start_date=earlier,
            end_date=earlier + timedelta(days=2), signed_on=earlier,
        )
        for offset in range(3):
            session.add(MedicationDose(
                authorisation_id=extra.id, child_id=med.child_x.id, on_date=earlier + timedelta(days=offset),
                slot=extra.slots[0], outcome=DoseOutcome.given, amount_hundredths=250,
                at=utcnow() - timedelta(days=days_ago), given_by_id=med.caregiver_a.id, checked_by_id=med.health.id,
            ))
    session.commit()
    with queries:
        assert client.get(page(med)).status_code == 200
    assert queries.count == few


# ---------------------------------------------------------------- authorisations


def authorisation_data(world, **changes) -> dict:
    today = local_today()
    data = {
        "guardian_id": str(world.guardian_x.id), "drug_name": "小儿止咳糖浆", "dose": "5", "dose_unit": "ml",
        "route": "oral", "times": "09:00, 15:00", "start_date": today.isoformat(),
        "end_date": (today + timedelta(days=2)).isoformat(), "prescription_source": "packaging",
        "prescription_reference": "原包装 批号 20260115", "instructions": "饭后", "signed_on": today.isoformat(),
        "signed_how": "paper_at_desk", "signature_seen": "on",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


@pytest.mark.parametrize("who", ["health", "director"])
def test_the_health_officer_and_director_record_an_authorisation(client_for, med, session, who):
    client = client_for(getattr(med, who))
    assert client.get(page(med) + "/new").status_code == 200
    response = client.post(page(med) + "/new", authorisation_data(med))
    assert response.status_code == 303 and response.headers["location"] == page(med)
    fresh(session)
    saved = session.exec(select(MedicationAuthorisation).where(MedicationAuthorisation.drug_name == "小儿止咳糖浆")).one()
    assert (saved.dose_hundredths, saved.dose_unit, saved.times, saved.signed_by_guardian_id) == (
        500, "ml", "09:00,15:00", med.guardian_x.id
    )
    assert saved.recorded_by_id == getattr(med, who).id and saved.signed_how == "paper_at_desk"
    assert [row.entity_id for row in audit_rows(session, "medication_authorised")] == [saved.id]


@pytest.mark.parametrize("who", ["caregiver_a", "parent_x"])
def test_caregivers_and_parents_cannot_record_authorisations(client_for, med, session, who):
    client = client_for(getattr(med, who))
    assert client.get(page(med) + "/new").status_code == 403
    assert client.post(page(med) + "/new", authorisation_data(med)).status_code == 403
    assert count(session, MedicationAuthorisation) == 1


def test_anonymous_people_are_sent_to_sign_in_from_every_medication_route(anonymous, med):
    auth_id = med.authorisation.id
    for method, url in [
        ("get", page(med) + "/new"), ("post", page(med) + "/new"),
        ("get", f"{page(med)}/{auth_id}/cancel"), ("post", f"{page(med)}/{auth_id}/cancel"),
        ("get", page(med) + "/dose"), ("post", page(med) + "/dose"),
        ("get", page(med) + "/doses/1/void"), ("post", page(med) + "/doses/1/void"),
        ("get", tablet(med)), ("post", tablet(med)),
    ]:
        response = anonymous.get(url) if method == "get" else anonymous.post(url)
        assert response.status_code == 303 and response.headers["location"].startswith("/login"), url


@pytest.mark.parametrize(
    ("changes", "field", "text"),
    [
        ({"times": "as needed"}, "times", 'No "as needed" orders'),
        ({"times": "08:00, 必要时"}, "times", 'No "as needed" orders'),
        ({"drug_name": "退烧药 PRN"}, "drug_name", 'No "as needed" orders'),
        ({"instructions": "发烧时服用"}, "instructions", 'No "as needed" orders'),
        ({"times": "morning"}, "times", "Enter times of day as HH:MM"),
        ({"times": None}, "times", "This field is required."),
        ({"dose": "two"}, "dose", "Enter the dose as a number"),
        ({"dose": "0"}, "dose", "Enter a dose above 0"),
        ({"end_date": (local_today() - timedelta(days=1)).isoformat()}, "end_date", "cannot be before the first day"),
        ({"end_date": (local_today() + timedelta(days=14)).isoformat()}, "end_date", "at most 14 days"),
        ({"signed_on": (local_today() + timedelta(days=1)).isoformat()}, "signed_on", "cannot be in the future"),
        ({"signature_seen": None}, "signature_seen", "only when the guardian has signed"),
        ({"prescription_reference": ""}, "prescription_reference", "This field is required."),
        ({"route": "injection"}, "route", "Choose one of the options."),
        ({"guardian_id": "9999"}, "guardian_id", "Choose an active guardian of this child."),
        ({"drug_name": "阿莫西林颗粒"}, "drug_name", "is already authorised for some of these days"),
    ],
)
def test_a_bad_authorisation_is_refused_next_to_its_field(client_for, med, session, changes, field, text):
    response = client_for(med.health).post(page(med) + "/new", authorisation_data(med, **changes))
    assert response.status_code == 400
    error = response.text.split(f'id="{field}-error"', 1)[1].split("</p>", 1)[0]
    assert text in error.replace("&#34;", '"')
    assert count(session, MedicationAuthorisation) == 1
    assert audit_rows(session, "medication_authorised") == []


def test_a_guardian_of_another_child_cannot_sign(client_for, med, session):
    response = client_for(med.health).post(page(med) + "/new", authorisation_data(med, guardian_id=str(med.guardian_y.id)))
    assert response.status_code == 400 and "Choose an active guardian of this child." in response.text
    assert count(session, MedicationAuthorisation) == 1


# ---------------------------------------------------------------- cancelling early


def test_the_health_officer_cancels_an_authorisation_with_a_reason(client_for, med, session):
    url = f"{page(med)}/{med.authorisation.id}/cancel"
    client = client_for(med.health)
    assert client.get(url).status_code == 200
    response = client.post(url, {"reason": "家长说病好了"})
    assert response.status_code == 303
    fresh(session)
    cancelled = session.get(MedicationAuthorisation, med.authorisation.id)
    assert cancelled.cancelled_at is not None and cancelled.cancelled_by_id == med.health.id
    assert cancelled.cancel_reason == "家长说病好了"
    (entry,) = audit_rows(session, "medication_authorisation_cancelled")
    assert entry.reason == "家长说病好了" and entry.before["cancelled_at"] is None
    # Still on the record, under past authorisations; a second cancellation is refused.
    assert "家长说病好了" in client.get(page(med)).text.split("Past authorisations")[1]
    assert client.post(url, {"reason": "again"}).status_code == 400


def test_a_cancellation_needs_a_reason(client_for, med, session):
    response = client_for(med.health).post(f"{page(med)}/{med.authorisation.id}/cancel", {"reason": ""})
    assert response.status_code == 400 and 'id="reason-error"' in response.text
    fresh(session)
    assert session.get(MedicationAuthorisation, med.authorisation.id).cancelled_at is None


def test_cancelling_is_refused_to_caregivers_and_for_another_childs_authorisation(client_for, med, session):
    url = f"{page(med)}/{med.authorisation.id}/cancel"
    assert client_for(med.caregiver_a).post(url, {"reason": "x"}).status_code == 403
    assert client_for(med.parent_x).post(url, {"reason": "x"}).status_code == 403
    other = f"{page(med, med.child_y)}/{med.authorisation.id}/cancel"
    assert client_for(med.health).post(other, {"reason": "x"}).status_code == 404
    fresh(session)
    assert session.get(MedicationAuthorisation, med.authorisation.id).cancelled_at is None


# ---------------------------------------------------------------- doses on the tablet


def test_the_tablet_shows_todays_slots_and_records_a_checked_dose(client_for, med, session):
    client = client_for(med.caregiver_a)
    shown = client.get(tablet(med))
    assert shown.status_code == 200 and "08:30" in shown.text and "12:00" in shown.text and 'name="form_token"' in shown.text
    assert audit_rows(session, "health_record_read")[0].entity == "medication"
    response = client.post(tablet(med), dose_data(med, notes="喝完了"))
    assert response.status_code == 303 and response.headers["location"] == f"/rooms/{med.room_a.id}"
    fresh(session)
    (dose,) = session.exec(select(MedicationDose)).all()
    assert (dose.slot.strftime("%H:%M"), dose.outcome, dose.amount_hundredths) == ("12:00", "given", 250)
    assert (dose.given_by_id, dose.checked_by_id, dose.room_id, dose.notes) == (
        med.caregiver_a.id, med.health.id, med.room_a.id, "喝完了"
    )
    assert dose.on_date == local_today()
    assert [row.entity_id for row in audit_rows(session, "medication_dose_recorded")] == [dose.id]


def test_on_the_tablet_htmx_gets_the_tile_back(client_for, med):
    client = client_for(med.caregiver_a)
    form = client.htmx_get(tablet(med))
    assert "<html" not in form.text and f'hx-target="#child-{med.child_x.id}"' in form.text
    response = client.http.post(
        tablet(med), data={**dose_data(med), "csrf_token": client.token}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200 and f'id="child-{med.child_x.id}"' in response.text


def test_a_refusal_on_the_tablet_goes_back_into_the_tile(client_for, med):
    client = client_for(med.caregiver_a)
    response = client.http.post(
        tablet(med), data={**dose_data(med, amount="5"), "csrf_token": client.token}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 400 and response.headers["HX-Retarget"] == f"#child-{med.child_x.id}-action"
    assert "<html" not in response.text


@pytest.mark.parametrize("who", ["caregiver_b", "parent_x"])
def test_the_tablet_route_refuses_another_rooms_caregiver_and_parents(client_for, med, session, who):
    client = client_for(getattr(med, who))
    assert client.get(tablet(med)).status_code == 403
    assert client.post(tablet(med), dose_data(med)).status_code == 403
    assert count(session, MedicationDose) == 0


def test_a_child_of_another_room_is_not_found_on_this_tablet(client_for, med):
    assert client_for(med.caregiver_a).get(tablet(med, med.child_y)).status_code == 404


@pytest.mark.parametrize(
    ("changes", "field", "text"),
    [
        ({"amount": "5"}, "amount", "The signed dose is 2.5 ml"),
        ({"amount": "2.4"}, "amount", "The signed dose is 2.5 ml"),
        ({"amount": None}, "amount", "Enter the amount given."),
        ({"checked_by_id": None}, "checked_by_id", "A second member of staff must check"),
        ("giver", "checked_by_id", "must not be the person giving"),
        ({"checked_by_id": "parent"}, "checked_by_id", "Choose a member of staff."),
        ({"due": "AUTH@10:00"}, "due", "The guardian did not sign for this time of day."),
        ({"due": "9999@08:30"}, "due", "There is no valid signed authorisation"),
        ({"due": "nonsense"}, "due", "Choose one of the options."),
        ({"outcome": "refused", "amount": None, "reason": ""}, "reason", "Say why the dose was not given."),
        ({"time": "23:59"}, "time", "still to come"),
    ],
)
def test_a_dose_against_the_rules_is_blocked_next_to_its_field(client_for, med, session, changes, field, text):
    if changes == "giver":
        changes = {"checked_by_id": str(med.caregiver_a.id)}
    if changes.get("checked_by_id") == "parent":
        changes = {"checked_by_id": str(med.parent_x.id)}
    if "due" in changes:
        changes = {"due": changes["due"].replace("AUTH", str(med.authorisation.id))}
    response = client_for(med.caregiver_a).post(tablet(med), dose_data(med, **changes))
    assert response.status_code == 400
    error = response.text.split(f'id="{field}-error"', 1)[1].split("</p>", 1)[0]
    assert text in error
    assert count(session, MedicationDose) == 0 and audit_rows(session, "medication_dose_recorded") == []


def test_a_second_dose_for_the_same_slot_the_same_day_is_blocked(client_for, med, session):
    client = client_for(med.caregiver_a)
    assert client.post(tablet(med), dose_data(med)).status_code == 303
    response = client.post(tablet(med), dose_data(med))
    assert response.status_code == 400
    assert "The 12:00 dose has already been recorded today" in response.text
    assert count(session, MedicationDose) == 1
    # The other slot is still open, for a dose given at its time (entered afterwards).
    assert client.post(tablet(med), dose_data(med, due=f"{med.authorisation.id}@08:30", time="08:35")).status_code == 303
    assert count(session, MedicationDose) == 2


@pytest.mark.parametrize(("now", "slot", "saved"), [("08:05", "08:30", True), ("08:07", "12:00", False)])
def test_at_0805_only_the_0830_dose_can_be_given(client_for, med, session, morning_clock, now, slot, saved):
    hour, minute = map(int, now.split(":"))
    morning_clock.move_to(datetime.combine(local_today(), time(hour, minute), tzinfo=get_settings().zone))
    response = client_for(med.caregiver_a).post(tablet(med), dose_data(med, due=f"{med.authorisation.id}@{slot}"))
    assert response.status_code == (303 if saved else 400)
    if not saved:
        error = response.text.split('id="due-error"', 1)[1].split("</p>", 1)[0]
        assert "The 12:00 dose may be given only between 11:00 and 13:00" in error
    assert count(session, MedicationDose) == (1 if saved else 0)


def test_a_late_entry_with_the_time_given_is_accepted(client_for, med, session, morning_clock):
    morning_clock.move_to(datetime.combine(local_today(), time(15, 0), tzinfo=get_settings().zone))
    client = client_for(med.health)
    refused = client.post(page(med) + "/dose", dose_data(med, checked_by_id=str(med.caregiver_a.id)))
    assert refused.status_code == 400 and "enter the time it was given" in refused.text
    saved = client.post(page(med) + "/dose", dose_data(med, checked_by_id=str(med.caregiver_a.id), time="12:10"))
    assert saved.status_code == 303
    assert count(session, MedicationDose) == 1


def test_a_double_tap_records_one_dose(client_for, med, session):
    client = client_for(med.caregiver_a)
    data = dose_data(med, form_token="tap-tap-1")
    assert client.post(tablet(med), data).status_code == 303
    assert client.post(tablet(med), data).status_code == 303
    assert count(session, MedicationDose) == 1 and len(audit_rows(session, "medication_dose_recorded")) == 1


@pytest.mark.parametrize("state", ["starts tomorrow", "ended yesterday", "cancelled"])
def test_no_dose_outside_the_authorisation(client_for, med, session, state):
    authorisation = session.get(MedicationAuthorisation, med.authorisation.id)
    if state == "starts tomorrow":
        authorisation.start_date = local_today() + timedelta(days=1)
    elif state == "ended yesterday":
        authorisation.start_date = local_today() - timedelta(days=3)
        authorisation.end_date = local_today() - timedelta(days=1)
    else:
        authorisation.cancelled_at = utcnow() - timedelta(minutes=1)
    session.add(authorisation)
    session.commit()
    client = client_for(med.caregiver_a)
    assert "No dose is due for this child now" in client.get(tablet(med)).text
    response = client.post(tablet(med), dose_data(med))
    assert response.status_code == 400 and 'id="due-error"' in response.text
    assert count(session, MedicationDose) == 0


def test_no_dose_for_a_child_not_checked_in(client_for, med, session):
    attendance = session.exec(select(Attendance).where(Attendance.child_id == med.child_x.id)).one()
    attendance.check_out_at = utcnow()
    session.add(attendance)
    session.commit()
    response = client_for(med.caregiver_a).post(tablet(med), dose_data(med))
    assert response.status_code == 400 and "This child is not in today" in response.text
    assert count(session, MedicationDose) == 0


@pytest.mark.parametrize("outcome", ["refused", "vomited", "not_given"])
def test_a_dose_not_given_is_recorded_with_the_reason(client_for, med, session, outcome):
    data = dose_data(med, outcome=outcome, amount=None, checked_by_id=None, reason="孩子吐了出来")
    assert client_for(med.caregiver_a).post(tablet(med), data).status_code == 303
    fresh(session)
    (dose,) = session.exec(select(MedicationDose)).all()
    assert (dose.outcome, dose.reason, dose.amount_hundredths, dose.checked_by_id) == (outcome, "孩子吐了出来", None, None)
    # The slot is answered: it is not given again.
    assert client_for(med.caregiver_a).post(tablet(med), dose_data(med)).status_code == 400


def test_the_checker_list_puts_staff_on_duty_first_and_leaves_out_the_giver(client_for, med, session):
    from nursery_ops.staff.models import StaffShift

    other = f.make_person(session, "carer_c", f.Role.caregiver, full_name="周老师")
    f.assign(session, med.room_a, other)
    session.add(StaffShift(person_id=other.id, room_id=med.room_a.id, on_date=local_today(), clock_in_at=utcnow()))
    session.commit()
    options = service.checker_choices(session, med.room_a.id, local_today(), med.caregiver_a.id)
    assert options[0].person_id == other.id and options[0].on_duty
    assert med.caregiver_a.id not in [option.person_id for option in options]
    assert med.parent_x.id not in [option.person_id for option in options]
    assert {med.health.id, med.director.id} <= {option.person_id for option in options}


# ---------------------------------------------------------------- the health officer records from the child's page


def test_the_health_officer_records_a_dose_from_the_childs_page(client_for, med, session):
    client = client_for(med.health)
    assert client.get(page(med) + "/dose").status_code == 200
    response = client.post(page(med) + "/dose", dose_data(med, checked_by_id=str(med.caregiver_a.id)))
    assert response.status_code == 303 and response.headers["location"] == page(med)
    fresh(session)
    (dose,) = session.exec(select(MedicationDose)).all()
    assert (dose.given_by_id, dose.checked_by_id, dose.room_id) == (med.health.id, med.caregiver_a.id, None)


def test_the_health_officer_is_refused_checking_their_own_dose(client_for, med, session):
    response = client_for(med.health).post(page(med) + "/dose", dose_data(med))
    assert response.status_code == 400 and "must not be the person giving" in response.text
    assert count(session, MedicationDose) == 0


@pytest.mark.parametrize("who", ["caregiver_a", "parent_x"])
def test_recording_from_the_childs_page_is_the_health_officers(client_for, med, session, who):
    client = client_for(getattr(med, who))
    assert client.get(page(med) + "/dose").status_code == 403
    assert client.post(page(med) + "/dose", dose_data(med)).status_code == 403
    assert count(session, MedicationDose) == 0


# ---------------------------------------------------------------- voiding a dose recorded in error


def test_a_dose_recorded_in_error_is_voided_and_the_slot_opens_again(client_for, med, session):
    assert client_for(med.caregiver_a).post(tablet(med), dose_data(med)).status_code == 303
    fresh(session)
    dose = session.exec(select(MedicationDose)).one()
    url = f"{page(med)}/doses/{dose.id}/void"
    health = client_for(med.health)
    assert health.get(url).status_code == 200
    # The void form shows the dose: an audited read.
    assert [(row.actor_id, row.entity) for row in audit_rows(session, "health_record_read")][-1] == (med.health.id, "medication")
    assert health.post(url, {"reason": "点错了时间"}).status_code == 303
    fresh(session)
    voided = session.get(MedicationDose, dose.id)
    assert voided.voided_at is not None and voided.voided_by_id == med.health.id and voided.void_reason == "点错了时间"
    (entry,) = audit_rows(session, "medication_dose_voided")
    assert entry.reason == "点错了时间" and entry.entity_id == dose.id
    assert "点错了时间" in health.get(page(med)).text
    assert health.post(url, {"reason": "again"}).status_code == 400
    noon = [item for item in service.doses_due(session, local_today(), utcnow()) if item.slot.hour == 12]
    assert [item.recorded for item in noon] == [False]
    # The slot can be recorded again; the voided record stays.
    assert client_for(med.caregiver_a).post(tablet(med), dose_data(med)).status_code == 303
    assert count(session, MedicationDose) == 2


def test_voiding_needs_a_reason_and_the_health_officer(client_for, med, session):
    assert client_for(med.caregiver_a).post(tablet(med), dose_data(med)).status_code == 303
    fresh(session)
    dose = session.exec(select(MedicationDose)).one()
    url = f"{page(med)}/doses/{dose.id}/void"
    response = client_for(med.health).post(url, {"reason": ""})
    assert response.status_code == 400 and 'id="reason-error"' in response.text
    for who in (med.caregiver_a, med.parent_x):
        assert client_for(who).post(url, {"reason": "x"}).status_code == 403
    assert client_for(med.health).post(f"{page(med, med.child_y)}/doses/{dose.id}/void", {"reason": "x"}).status_code == 404
    fresh(session)
    assert session.get(MedicationDose, dose.id).voided_at is None


# ---------------------------------------------------------------- what is due today (for /health)


def test_doses_due_lists_every_slot_for_every_child_in_two_statements(session, med, queries):
    today = local_today()
    now = utcnow()
    arrive(session, med.room_b, med.child_y)
    other = f.make_authorisation(session, med.child_y, med.guardian_y, med.health, times="10:00")
    session.add(MedicationDose(
        authorisation_id=med.authorisation.id, child_id=med.child_x.id, on_date=today,
        slot=med.authorisation.slots[0], outcome=DoseOutcome.given, amount_hundredths=250, at=now,
        given_by_id=med.caregiver_a.id, checked_by_id=med.health.id,
    ))
    session.commit()
    fresh(session)
    with queries:
        due = service.doses_due(session, today, now)
    assert queries.count == 2
    assert [(item.child.id, item.slot.strftime("%H:%M"), item.given) for item in due] == [
        (med.child_x.id, "08:30", True), (med.child_y.id, "10:00", False), (med.child_x.id, "12:00", False),
    ]
    assert all(item.present for item in due) and {item.room_id for item in due} == {med.room_a.id, med.room_b.id}
    assert due[1].authorisation.id == other.id


def test_doses_due_drops_unrecorded_slots_of_a_cancelled_authorisation(session, med):
    today = local_today()
    now = utcnow()
    session.add(MedicationDose(
        authorisation_id=med.authorisation.id, child_id=med.child_x.id, on_date=today,
        slot=med.authorisation.slots[0], outcome=DoseOutcome.given, amount_hundredths=250, at=now,
        given_by_id=med.caregiver_a.id, checked_by_id=med.health.id,
    ))
    med.authorisation.cancelled_at = at_local_time(today, time(10, 0), get_settings().zone)
    session.add(med.authorisation)
    session.commit()
    due = service.doses_due(session, today, now)
    assert [(item.slot.strftime("%H:%M"), item.given) for item in due] == [("08:30", True)]
    # Cancelled at 12:30: the 12:00 dose was due before, and shows as not given.
    med.authorisation.cancelled_at = at_local_time(today, time(12, 30), get_settings().zone)
    session.add(med.authorisation)
    session.commit()
    due = service.doses_due(session, today, now)
    assert [(item.slot.strftime("%H:%M"), item.recorded) for item in due] == [("08:30", True), ("12:00", False)]
    assert service.doses_due(session, today + timedelta(days=1), now) == []


def test_the_health_page_partial_lists_the_days_doses(session, med):
    from nursery_ops.i18n import Translator
    from nursery_ops.templating import environment

    today = local_today()
    session.add(MedicationDose(
        authorisation_id=med.authorisation.id, child_id=med.child_x.id, on_date=today,
        slot=med.authorisation.slots[0], outcome=DoseOutcome.refused, at=utcnow(), given_by_id=med.caregiver_a.id,
        reason="不肯喝",
    ))
    session.commit()
    translator = Translator("en")
    rows = service.doses_due(session, today, utcnow())
    html = environment.get_template("medication/_health_doses.html").render(rows=rows, _=translator.gettext, t=translator)
    assert "08:30" in html and "不肯喝" in html and "阿莫西林颗粒 · 2.5 ml" in html
    assert f'href="/children/{med.child_x.id}/medication/dose"' in html  # the 12:00 dose is still open


def test_the_tablet_form_issues_a_fixed_number_of_statements(client_for, med, session, queries):
    client = client_for(med.caregiver_a)
    client.get(tablet(med))
    with queries:
        assert client.get(tablet(med)).status_code == 200
    few = queries.count
    for name in ("布洛芬混悬液", "氯雷他定糖浆", "蒙脱石散"):
        f.make_authorisation(session, med.child_x, med.guardian_x, med.health, drug_name=name, times="09:00,13:00,16:00")
    session.commit()
    with queries:
        response = client.get(tablet(med))
    assert response.status_code == 200 and "蒙脱石散" in response.text
    assert queries.count == few


def test_the_cancel_and_new_authorisation_forms_are_audited_reads(client_for, med, session):
    client = client_for(med.health)
    assert client.get(f"{page(med)}/{med.authorisation.id}/cancel").status_code == 200
    assert client.get(f"{page(med)}/new").status_code == 200
    reads = audit_rows(session, "health_record_read")
    assert [(r.actor_id, r.entity, r.child_id) for r in reads] == [(med.health.id, "medication", med.child_x.id)] * 2
