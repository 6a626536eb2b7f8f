"""Incident pages, healthchecks-style: who may do what, what is saved, and what is refused with nothing saved."""

from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from nursery_ops.audit import AuditEntry
from nursery_ops.clock import to_local, utcnow
from nursery_ops.incidents.models import Incident, IncidentCategory, IncidentStaff
from nursery_ops.incidents.service import open_incidents
from tests import factories as f


def fresh(session) -> None:
    session.rollback()
    session.expire_all()


def count(session, model) -> int:
    fresh(session)
    return session.exec(select(func.count()).select_from(model)).one()


def audit_actions(session, **where) -> list[str]:
    fresh(session)
    query = select(AuditEntry.action).order_by(AuditEntry.id)
    for key, value in where.items():
        query = query.where(getattr(AuditEntry, key) == value)
    return list(session.exec(query).all())


def local_fields(prefix: str, moment) -> dict:
    local = to_local(moment)
    return {f"{prefix}_on": local.date().isoformat(), f"{prefix}_time": local.strftime("%H:%M")}


def incident_form(child, **changes) -> dict:
    form = {
        "child_id": child.id,
        "category": "fall",
        **local_fields("occurred", utcnow() - timedelta(minutes=30)),
        "place": "院子里的滑梯",
        "body_parts": ["face", "left_hand"],
        "description": "Slipped at the bottom of the slide and grazed the chin.",
        "first_aid": "Cleaned and cooled the graze.",
        "cause": "",
        "corrective_action": "",
    }
    form.update(changes)
    return {key: value for key, value in form.items() if value is not None}


@pytest.fixture
def incident(session, world):
    row = f.make_incident(session, world.child_x, world.caregiver_a, room_id=world.room_a.id)
    session.commit()
    return row


def complete(session, incident, **fields):
    """Every step but the one a test leaves out."""
    values = {
        "guardian_notified_at": utcnow() - timedelta(minutes=5),
        "guardian_notified_how": "phone",
        "cause": "Wet slide",
        "corrective_action": "Dry the slide after rain",
        "signed_off_at": utcnow(),
        "signed_off_by_id": None,
        **fields,
    }
    for key, value in values.items():
        setattr(incident, key, value)
    session.add(incident)
    session.commit()


# ---------------------------------------------------------------- access to every route


ROUTES = [
    ("GET", "/incidents"),
    ("GET", "/incidents/new"),
    ("POST", "/incidents/new"),
    ("GET", "/incidents/{id}"),
    ("GET", "/incidents/{id}/edit"),
    ("POST", "/incidents/{id}/edit"),
    ("POST", "/incidents/{id}/notification"),
    ("POST", "/incidents/{id}/police-report"),
    ("POST", "/incidents/{id}/sign-off"),
    ("POST", "/incidents/{id}/close"),
    ("GET", "/children/{child}/incidents"),
]


def url(path, incident, world):
    return path.format(id=incident.id, child=world.child_x.id)


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_anonymous_is_sent_to_sign_in(anonymous, world, incident, method, path):
    response = anonymous.get(url(path, incident, world)) if method == "GET" else anonymous.post(url(path, incident, world))
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_parents_are_refused(client_for, world, incident, session, method, path):
    client = client_for(world.parent_x)
    before = count(session, AuditEntry)
    response = client.get(url(path, incident, world)) if method == "GET" else client.post(url(path, incident, world), incident_form(world.child_x))
    assert response.status_code == 403
    assert count(session, Incident) == 1 and count(session, AuditEntry) == before


@pytest.mark.parametrize("person", ["caregiver_a", "health", "director"])
def test_the_childs_caregiver_the_health_officer_and_the_director_read_the_incident(client_for, world, incident, person):
    client = client_for(getattr(world, person))
    assert f'href="/incidents/{incident.id}"' in client.get("/incidents").text
    assert client.get(f"/incidents/{incident.id}").status_code == 200
    assert client.get(f"/children/{world.child_x.id}/incidents").status_code == 200


def test_a_caregiver_of_another_room_does_not_read_the_incident(client_for, world, incident, session):
    client = client_for(world.caregiver_b)
    listed = client.get("/incidents")
    assert listed.status_code == 200 and f'href="/incidents/{incident.id}"' not in listed.text
    # 404, not 403: the refusal does not say that the incident exists.
    assert client.get(f"/incidents/{incident.id}").status_code == 404
    assert client.get(f"/incidents/{incident.id}/edit").status_code == 404
    assert client.get(f"/children/{world.child_x.id}/incidents").status_code == 403
    assert audit_actions(session, child_id=world.child_x.id) == []


@pytest.fixture
def abuse(session, world):
    """A suspected abuse of child X (room A), reported by the health officer, police report and all."""
    row = f.make_incident(
        session, world.child_x, world.health, room_id=world.room_a.id, category=IncidentCategory.suspected_abuse,
        place="Abuse place", police_reported_at=utcnow(), police_station="金水路派出所", police_reference="JS-0042",
    )
    session.commit()
    return row


@pytest.mark.parametrize("person", ["health", "director"])
def test_the_health_officer_and_the_director_read_a_suspected_abuse(client_for, world, abuse, person):
    client = client_for(getattr(world, person))
    assert "Abuse place" in client.get("/incidents").text
    assert client.get(f"/incidents/{abuse.id}").status_code == 200
    assert "Abuse place" in client.get(f"/children/{world.child_x.id}/incidents").text


@pytest.mark.parametrize("person", ["caregiver_a", "caregiver_b"])
def test_caregivers_do_not_read_a_suspected_abuse_they_did_not_report(client_for, world, abuse, session, person):
    client = client_for(getattr(world, person))
    assert "Abuse place" not in client.get("/incidents").text
    assert "Abuse place" not in client.get("/incidents?category=suspected_abuse").text
    assert client.get(f"/incidents/{abuse.id}").status_code == 404
    assert client.get(f"/incidents/{abuse.id}/edit").status_code == 404
    form = {**local_fields("notified", utcnow()), "how": "phone"}
    assert client.post(f"/incidents/{abuse.id}/notification", form).status_code == 404
    if person == "caregiver_a":  # her room's child: the child's page, without the abuse
        page = client.get(f"/children/{world.child_x.id}/incidents")
        assert page.status_code == 200 and "Abuse place" not in page.text
    fresh(session)
    assert session.get(Incident, abuse.id).guardian_notified_at is None


def test_the_caregiver_who_reported_a_suspected_abuse_reads_it(client_for, world, session):
    reported = f.make_incident(
        session, world.child_x, world.caregiver_a, room_id=world.room_a.id, category=IncidentCategory.suspected_abuse,
        place="Reported place",
    )
    session.commit()
    client = client_for(world.caregiver_a)
    assert "Reported place" in client.get("/incidents").text
    assert client.get(f"/incidents/{reported.id}").status_code == 200
    assert client_for(world.caregiver_b).get(f"/incidents/{reported.id}").status_code == 404


def test_there_is_no_delete(client_for, world, incident, app):
    client = client_for(world.director)
    assert client.http.delete(f"/incidents/{incident.id}").status_code == 405
    assert client.post(f"/incidents/{incident.id}/delete").status_code in (404, 405)
    assert not [route for route in app.routes if "incident" in getattr(route, "path", "") and "DELETE" in getattr(route, "methods", set())]
    assert not [route for route in app.routes if "incident" in getattr(route, "path", "") and "delete" in getattr(route, "path", "")]


def test_unknown_incident_is_404(client_for, world):
    client = client_for(world.director)
    assert client.get("/incidents/999999").status_code == 404
    assert client.post("/incidents/999999/close").status_code == 404
    assert client.get("/children/999999/incidents").status_code == 404


# ---------------------------------------------------------------- recording


def test_a_caregiver_records_an_incident_in_her_room(client_for, world, session):
    client = client_for(world.caregiver_a)
    page = client.get("/incidents/new")
    assert page.status_code == 200
    assert world.child_x.full_name in page.text and world.child_y.full_name not in page.text
    assert 'id="bp-face"' in page.text and 'for="bp-face"' in page.text  # the list, and the outline's label
    response = client.post("/incidents/new", incident_form(world.child_x, staff_present=[world.caregiver_a.id, world.health.id]))
    assert response.status_code == 303
    fresh(session)
    incident = session.exec(select(Incident)).one()
    assert response.headers["location"] == f"/incidents/{incident.id}"
    assert incident.child_id == world.child_x.id and incident.room_id == world.room_a.id
    assert incident.category is IncidentCategory.fall
    assert incident.body_parts == ["face", "left_hand"]
    assert incident.recorded_by_id == world.caregiver_a.id
    assert sorted(session.exec(select(IncidentStaff.person_id)).all()) == sorted([world.caregiver_a.id, world.health.id])
    assert audit_actions(session, child_id=world.child_x.id) == ["incident_recorded"]


def test_a_caregiver_cannot_record_for_a_child_of_another_room(client_for, world, session):
    response = client_for(world.caregiver_b).post("/incidents/new", incident_form(world.child_x))
    assert response.status_code == 403
    assert count(session, Incident) == 0


def test_on_the_room_tablet_the_person_who_unlocked_it_records_the_incident(client_for, world, session):
    from tests.rooms.test_tablet import give_pin

    give_pin(session, world.health, "3333")
    tablet = client_for(world.caregiver_a)
    assert tablet.post(f"/rooms/{world.room_a.id}/unlock", {"person_id": world.health.id, "pin": "3333"}).status_code == 303
    page = tablet.get(f"/rooms/{world.room_a.id}/incidents/new?child_id={world.child_x.id}")
    assert f'action="/rooms/{world.room_a.id}/incidents/new"' in page.text
    response = tablet.post(f"/rooms/{world.room_a.id}/incidents/new", incident_form(world.child_x))
    assert response.status_code == 303
    fresh(session)
    assert session.exec(select(Incident.recorded_by_id)).one() == world.health.id
    assert client_for(world.caregiver_b).get(f"/rooms/{world.room_a.id}/incidents/new").status_code == 403


@pytest.mark.parametrize("person", ["health", "director"])
def test_health_officer_and_director_record_for_any_child(client_for, world, session, person):
    client = client_for(getattr(world, person))
    page = client.get("/incidents/new")
    assert world.child_x.full_name in page.text and world.child_y.full_name in page.text
    assert client.post("/incidents/new", incident_form(world.child_y)).status_code == 303
    assert count(session, Incident) == 1


def test_the_childs_page_preselects_the_child(client_for, world):
    page = client_for(world.caregiver_a).get(f"/incidents/new?child_id={world.child_x.id}")
    assert f'<option value="{world.child_x.id}" selected' in page.text


def test_a_double_submit_records_once(client_for, world, session):
    client = client_for(world.caregiver_a)
    form = incident_form(world.child_x, form_token="tap-once")
    first, second = client.post("/incidents/new", form), client.post("/incidents/new", form)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert count(session, Incident) == 1


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"category": None}, "category", "This field is required."),
        ({"category": "earthquake"}, "category", "Choose one of the options."),
        ({"place": ""}, "place", "This field is required."),
        ({"description": "  "}, "description", "This field is required."),
        ({"occurred_time": "25:99"}, "occurred_time", "Enter a time as HH:MM."),
        ({"occurred_on": "yesterday"}, "occurred_on", "Enter a date as YYYY-MM-DD."),
        ({"body_parts": ["tail"]}, "body_parts", "Choose one of the options."),
        ({"hospital_referral": "on", "hospital": ""}, "hospital", "Say where the child was taken."),
        ({"staff_present": ["999999"]}, "staff_present", "Choose one of the options."),
        ({"child_id": "999999"}, "child_id", "Choose one of the options."),
        ({"child_id": None}, "child_id", "This field is required."),
        ({"place": "x" * 201}, "place", "This is too long."),
    ],
)
def test_bad_input_is_refused_next_to_the_field_and_nothing_saved(client_for, world, session, change, field, message):
    response = client_for(world.health).post("/incidents/new", incident_form(world.child_x, **change))
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.text and message in response.text
    assert count(session, Incident) == 0 and count(session, AuditEntry) == 0


def test_an_incident_in_the_future_is_refused(client_for, world, session):
    form = incident_form(world.child_x, **local_fields("occurred", utcnow() + timedelta(hours=2)))
    response = client_for(world.health).post("/incidents/new", form)
    assert response.status_code == 400 and "This time is in the future." in response.text
    assert count(session, Incident) == 0


def test_a_refused_form_keeps_what_was_typed(client_for, world):
    response = client_for(world.health).post("/incidents/new", incident_form(world.child_x, place="", body_parts=["chest"]))
    assert 'value="chest" checked' in response.text
    assert "Slipped at the bottom of the slide" in response.text


# ---------------------------------------------------------------- the incident page and its steps


def test_the_incident_page_lists_the_missing_steps_and_audits_the_read(client_for, world, incident, session):
    response = client_for(world.health).get(f"/incidents/{incident.id}")
    assert response.status_code == 200
    for step in ("The guardian has not been notified yet", "The cause is not recorded", "The corrective action is not recorded",
                 "The director has not signed off"):
        assert step in response.text
    assert "police report is not recorded" not in response.text
    fresh(session)
    read = session.exec(select(AuditEntry).where(AuditEntry.action == "health_record_read")).one()
    assert (read.actor_id, read.entity, read.child_id) == (world.health.id, "incident", world.child_x.id)


def test_recording_the_guardian_notification(client_for, world, incident, session):
    client = client_for(world.caregiver_a)
    when = local_fields("notified", utcnow() - timedelta(minutes=10))
    response = client.post(f"/incidents/{incident.id}/notification", {**when, "how": "Phone call to the mother"})
    assert response.status_code == 303
    fresh(session)
    saved = session.get(Incident, incident.id)
    assert saved.guardian_notified_how == "Phone call to the mother" and saved.guardian_notified_at is not None
    assert saved.guardian_notified_by_id == world.caregiver_a.id
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "incident_guardian_notified")).one()
    assert entry.before["guardian_notified_at"] is None and entry.after["guardian_notified_how"] == "Phone call to the mother"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"how": ""}, "how", "This field is required."),
        ({"notified_time": ""}, "notified_time", "This field is required."),
        ({"future": True}, "notified_time", "This time is in the future."),
        ({"before": True}, "notified_time", "This time is before the incident happened."),
    ],
)
def test_a_bad_notification_is_refused(client_for, world, incident, session, fields, field, message):
    moment = utcnow() - timedelta(minutes=10)
    if fields.pop("future", False):
        moment = utcnow() + timedelta(hours=1)
    if fields.pop("before", False):
        moment = incident.occurred_at - timedelta(hours=1)
    form = {**local_fields("notified", moment), "how": "phone", **fields}
    response = client_for(world.caregiver_a).post(f"/incidents/{incident.id}/notification", form)
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.text and message in response.text
    fresh(session)
    assert session.get(Incident, incident.id).guardian_notified_at is None


def test_a_caregiver_of_another_room_cannot_change_the_incident(client_for, world, incident, session):
    client = client_for(world.caregiver_b)
    form = {**local_fields("notified", utcnow()), "how": "phone"}
    assert client.post(f"/incidents/{incident.id}/notification", form).status_code == 404
    assert client.get(f"/incidents/{incident.id}/edit").status_code == 404
    assert client.post(f"/incidents/{incident.id}/edit", incident_form(world.child_x)).status_code == 404
    fresh(session)
    assert session.get(Incident, incident.id).guardian_notified_at is None


def test_only_the_director_signs_off(client_for, world, incident, session):
    for person in (world.caregiver_a, world.health):
        assert client_for(person).post(f"/incidents/{incident.id}/sign-off", {"remarks": "ok"}).status_code == 403
    fresh(session)
    assert session.get(Incident, incident.id).signed_off_at is None
    response = client_for(world.director).post(f"/incidents/{incident.id}/sign-off", {"remarks": "Talked with the family."})
    assert response.status_code == 303
    fresh(session)
    saved = session.get(Incident, incident.id)
    assert saved.signed_off_by_id == world.director.id and saved.sign_off_remarks == "Talked with the family."
    again = client_for(world.director).post(f"/incidents/{incident.id}/sign-off", {"remarks": "twice"})
    assert again.status_code == 400 and "already signed off" in again.text


def test_a_correction_after_the_sign_off_clears_it_and_the_director_signs_again(client_for, world, incident, session):
    director = client_for(world.director)
    assert director.post(f"/incidents/{incident.id}/sign-off", {"remarks": "Seen."}).status_code == 303
    caregiver = client_for(world.caregiver_a)
    assert 'id="sign-off-warning"' in caregiver.get(f"/incidents/{incident.id}/edit").text
    form = incident_form(world.child_x, place="Room A washroom")
    assert caregiver.post(f"/incidents/{incident.id}/edit", form).status_code == 303
    fresh(session)
    saved = session.get(Incident, incident.id)
    assert saved.place == "Room A washroom"
    assert (saved.signed_off_at, saved.signed_off_by_id, saved.sign_off_remarks) == (None, None, "")
    cleared = session.exec(select(AuditEntry).where(AuditEntry.action == "incident_sign_off_cleared")).one()
    assert cleared.actor_id == world.caregiver_a.id and cleared.before["sign_off_remarks"] == "Seen."
    page = director.get(f"/incidents/{incident.id}")
    assert 'id="sign-off-cleared"' in page.text and f'action="/incidents/{incident.id}/sign-off"' in page.text
    assert "Sign-off cleared by a correction" in page.text
    assert director.post(f"/incidents/{incident.id}/sign-off", {"remarks": "Seen again."}).status_code == 303
    assert 'id="sign-off-cleared"' not in director.get(f"/incidents/{incident.id}").text


def test_correcting_the_notification_after_the_sign_off_clears_it_too(client_for, world, incident, session):
    complete(session, incident, signed_off_by_id=world.director.id)  # notified already: this is a correction
    form = {**local_fields("notified", utcnow()), "how": "in person at pick-up"}
    assert client_for(world.caregiver_a).post(f"/incidents/{incident.id}/notification", form).status_code == 303
    fresh(session)
    assert session.get(Incident, incident.id).signed_off_at is None
    assert audit_actions(session)[-2:] == ["incident_guardian_notified", "incident_sign_off_cleared"]
    refused = client_for(world.health).post(f"/incidents/{incident.id}/close")
    assert refused.status_code == 400 and "cannot be closed yet" in refused.text


def test_a_refused_correction_leaves_the_sign_off(client_for, world, incident, session):
    complete(session, incident, signed_off_by_id=world.director.id)
    response = client_for(world.caregiver_a).post(f"/incidents/{incident.id}/edit", incident_form(world.child_x, description=""))
    assert response.status_code == 400
    fresh(session)
    assert session.get(Incident, incident.id).signed_off_at is not None


@pytest.mark.parametrize("person", ["caregiver_a", "caregiver_b"])
def test_a_caregiver_cannot_close_an_incident(client_for, world, incident, session, person):
    complete(session, incident)
    assert client_for(getattr(world, person)).post(f"/incidents/{incident.id}/close").status_code == 403
    fresh(session)
    assert session.get(Incident, incident.id).closed_at is None
    assert "incident_closed" not in audit_actions(session)


def test_caregivers_see_no_sign_off_or_close_buttons(client_for, world, incident):
    page = client_for(world.caregiver_a).get(f"/incidents/{incident.id}")
    assert f'action="/incidents/{incident.id}/sign-off"' not in page.text
    assert f'action="/incidents/{incident.id}/close"' not in page.text
    page = client_for(world.director).get(f"/incidents/{incident.id}")
    assert f'action="/incidents/{incident.id}/sign-off"' in page.text


@pytest.mark.parametrize(
    "left_out",
    ["guardian_notified_at", "cause", "corrective_action", "signed_off_at"],
)
def test_closing_is_refused_while_a_step_is_missing(client_for, world, incident, session, left_out):
    complete(session, incident, **{left_out: None if left_out.endswith("_at") else ""})
    response = client_for(world.health).post(f"/incidents/{incident.id}/close")
    assert response.status_code == 400
    assert "cannot be closed yet" in response.text
    fresh(session)
    assert session.get(Incident, incident.id).closed_at is None
    assert "incident_closed" not in audit_actions(session)


def test_a_complete_incident_closes_and_then_no_longer_changes(client_for, world, incident, session):
    health = client_for(world.health)
    assert f'action="/incidents/{incident.id}/close"' not in health.get(f"/incidents/{incident.id}").text
    complete(session, incident)
    assert f'action="/incidents/{incident.id}/close"' in health.get(f"/incidents/{incident.id}").text
    assert client_for(world.caregiver_a).post(f"/incidents/{incident.id}/close").status_code == 403
    response = client_for(world.health).post(f"/incidents/{incident.id}/close")
    assert response.status_code == 303
    fresh(session)
    assert session.get(Incident, incident.id).closed_by_id == world.health.id
    assert open_incidents(session) == []
    edit = client_for(world.caregiver_a).post(f"/incidents/{incident.id}/edit", incident_form(world.child_x, cause="changed"))
    assert edit.status_code == 400 and "This incident is closed" in edit.text
    fresh(session)
    assert session.get(Incident, incident.id).cause == "Wet slide"


def test_suspected_abuse_closes_only_with_a_police_report(client_for, world, session):
    incident = f.make_incident(session, world.child_x, world.health, category=IncidentCategory.suspected_abuse)
    session.commit()
    complete(session, incident)
    director = client_for(world.director)
    page = director.get(f"/incidents/{incident.id}")
    assert "police report is not recorded" in page.text
    refused = director.post(f"/incidents/{incident.id}/close")
    assert refused.status_code == 400
    fresh(session)
    assert session.get(Incident, incident.id).closed_at is None

    bad = director.post(f"/incidents/{incident.id}/police-report", {**local_fields("reported", utcnow()), "station": "", "reference": ""})
    assert bad.status_code == 400 and 'id="station-error"' in bad.text and 'id="reference-error"' in bad.text
    report = {**local_fields("reported", utcnow()), "station": "金水路派出所", "reference": "JS-2026-0042"}
    assert director.post(f"/incidents/{incident.id}/police-report", report).status_code == 303
    assert director.post(f"/incidents/{incident.id}/close").status_code == 303
    fresh(session)
    saved = session.get(Incident, incident.id)
    assert saved.police_station == "金水路派出所" and saved.police_reference == "JS-2026-0042" and saved.closed_at is not None


# ---------------------------------------------------------------- corrections keep the history


def test_a_correction_keeps_the_record_before_and_after(client_for, world, incident, session):
    client = client_for(world.caregiver_a)
    page = client.get(f"/incidents/{incident.id}/edit")
    assert page.status_code == 200 and incident.place in page.text
    form = incident_form(world.child_x, place="Room A washroom", cause="Wet floor", corrective_action="Mats in the washroom")
    response = client.post(f"/incidents/{incident.id}/edit", form)
    assert response.status_code == 303
    fresh(session)
    saved = session.get(Incident, incident.id)
    assert saved.place == "Room A washroom" and saved.cause == "Wet floor"
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "incident_updated")).one()
    assert entry.before["place"] == "滑梯" and entry.after["place"] == "Room A washroom"
    assert entry.child_id == world.child_x.id
    history = client.get(f"/incidents/{incident.id}")
    assert "Corrected" in history.text


def test_a_bad_correction_saves_nothing(client_for, world, incident, session):
    response = client_for(world.caregiver_a).post(f"/incidents/{incident.id}/edit", incident_form(world.child_x, description=""))
    assert response.status_code == 400 and 'id="description-error"' in response.text
    fresh(session)
    assert session.get(Incident, incident.id).description == "Slipped on the slide"
    assert audit_actions(session) == []


# ---------------------------------------------------------------- lists


def test_the_list_shows_open_incidents_first_and_filters(client_for, world, session):
    closed = f.make_incident(session, world.child_y, world.director, place="Closed place", occurred_at=utcnow() - timedelta(minutes=5))
    closed.closed_at = utcnow()
    f.make_incident(session, world.child_x, world.director, place="Open place", occurred_at=utcnow() - timedelta(days=3))
    f.make_incident(session, world.child_x, world.director, place="Burn place", category=IncidentCategory.burn)
    session.commit()
    client = client_for(world.health)
    text = client.get("/incidents").text
    assert text.index("Open place") < text.index("Closed place") and text.index("Burn place") < text.index("Closed place")
    only_open = client.get("/incidents?status=open").text
    assert "Open place" in only_open and "Closed place" not in only_open
    only_closed = client.get("/incidents?status=closed").text
    assert "Closed place" in only_closed and "Open place" not in only_closed
    burns = client.get("/incidents?category=burn").text
    assert "Burn place" in burns and "Open place" not in burns
    assert client.get("/incidents?status=whatever").status_code == 200  # a stale filter is dropped
    fragment = client.htmx_get("/incidents?status=open")
    assert 'id="incident-results"' in fragment.text and "<html" not in fragment.text


def test_open_incidents_are_newest_first(session, world):
    older = f.make_incident(session, world.child_x, world.director, occurred_at=utcnow() - timedelta(days=2))
    newer = f.make_incident(session, world.child_y, world.director, occurred_at=utcnow() - timedelta(hours=1))
    closed = f.make_incident(session, world.child_y, world.director, closed_at=utcnow())
    session.commit()
    assert [row.incident.id for row in open_incidents(session)] == [newer.id, older.id]
    assert closed.id not in [row.incident.id for row in open_incidents(session)]
    assert [row.child_name for row in open_incidents(session)] == [world.child_y.full_name, world.child_x.full_name]


def test_the_list_runs_a_fixed_number_of_queries(client_for, world, session, queries):
    client = client_for(world.director)
    client.get("/incidents")  # sign-in touches happen on the first request

    def page_queries():
        with queries:
            assert client.get("/incidents").status_code == 200
        return queries.count

    f.make_incident(session, world.child_x, world.director)
    session.commit()
    few = page_queries()
    for number in range(8):
        child = f.make_child(session, f"孩子{number}")
        f.enrol(session, child, world.room_a)
        f.make_incident(session, child, world.director, room_id=world.room_a.id)
    session.commit()
    assert page_queries() == few


def test_the_childs_incidents_are_audited_reads(client_for, world, incident, session):
    f.make_incident(session, world.child_y, world.director, place="Other child's place")
    session.commit()
    response = client_for(world.caregiver_a).get(f"/children/{world.child_x.id}/incidents")
    assert response.status_code == 200
    assert "滑梯" in response.text and "Other child's place" not in response.text
    fresh(session)
    read = session.exec(select(AuditEntry).where(AuditEntry.action == "health_record_read")).one()
    assert (read.actor_id, read.entity, read.child_id) == (world.caregiver_a.id, "incidents", world.child_x.id)


def test_the_list_and_the_edit_form_are_audited_reads(client_for, world, incident, session):
    client = client_for(world.caregiver_a)
    assert client.get("/incidents").status_code == 200
    assert client.get(f"/incidents/{incident.id}/edit").status_code == 200
    fresh(session)
    reads = session.exec(select(AuditEntry).where(AuditEntry.action == "health_record_read").order_by(AuditEntry.id)).all()
    assert [(r.actor_id, r.entity, r.child_id) for r in reads] == [
        (world.caregiver_a.id, "incidents", None), (world.caregiver_a.id, "incident", world.child_x.id),
    ]


# ---------------------------------------------------------------- the family's view (for the family page)


def test_the_familys_incidents_leave_out_suspected_abuse_and_the_police_report(session, world, incident, abuse):
    from nursery_ops.incidents.service import family_incidents

    found = family_incidents(session, world.child_x.id)
    assert [row.id for row in found] == [incident.id]
    assert found[0].place == "滑梯" and found[0].closed is False
    assert not [name for name in vars(found[0]) if name.startswith("police") or "by_id" in name]
    assert family_incidents(session, world.child_y.id) == []


def test_a_post_without_the_csrf_token_is_refused(client_for, world, session):
    response = client_for(world.health).post("/incidents/new", incident_form(world.child_x), csrf_token=False)
    assert response.status_code == 403
    assert count(session, Incident) == 0
