"""Health during the day over HTTP: midday check, observation, illness steps, a child's list, outbreak alerts."""

from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from nursery_ops.attendance.models import Absence, AbsenceReason, Attendance
from nursery_ops.audit import AuditEntry
from nursery_ops.clock import local_today, utcnow
from nursery_ops.enrolment.models import Enrolment
from nursery_ops.health.models import ReturnCertificate
from nursery_ops.illness.models import (
    Illness,
    IllnessOutcome,
    MiddayCheck,
    Observation,
    OutbreakAlert,
)
from nursery_ops.illness.service import health_day, open_outbreaks
from nursery_ops.staff.models import CertificateKind, StaffCertificate, StaffShift
from tests import factories as f


def fresh(session) -> None:
    session.rollback()
    session.expire_all()


def rows(session, model) -> int:
    fresh(session)
    return session.exec(select(func.count()).select_from(model)).one()


def actions(session) -> list[str]:
    fresh(session)
    return list(session.exec(select(AuditEntry.action).order_by(AuditEntry.id)).all())


def arrive(session, child, room, at=None):
    session.add(Attendance(child_id=child.id, room_id=room.id, on_date=local_today(),
                           check_in_at=at or utcnow() - timedelta(hours=3), brought_by="母亲", checked_in_by_id=1))
    session.flush()


@pytest.fixture
def day(session, world):
    """Room A in the afternoon: child X admitted, expected every day and present; caregiver A on duty."""
    enrolment = session.exec(select(Enrolment).where(Enrolment.child_id == world.child_x.id)).one()
    enrolment.schedule_days = "1234567"
    f.complete_admission(session, world.child_x, enrolment, world.guardian_x)
    today = local_today()
    session.add(StaffCertificate(person_id=world.caregiver_a.id, kind=CertificateKind.health, number="J-1",
                                 issued_on=today - timedelta(days=100), valid_until=today + timedelta(days=200)))
    session.add(StaffShift(room_id=world.room_a.id, person_id=world.caregiver_a.id, on_date=today,
                           clock_in_at=utcnow() - timedelta(hours=4)))
    arrive(session, world.child_x, world.room_a)
    session.commit()
    return world


def base(world) -> str:
    return f"/rooms/{world.room_a.id}/children/{world.child_x.id}"


def midday(client, world, **fields):
    data = {"temperature": "36.6", "spirits": "good", "skin": "normal", "outcome": "fine", "form_token": "t-1", **fields}
    return client.post(f"{base(world)}/midday-check", data)


def start(client, world, **fields):
    data = {"symptoms": "fever", "temperature": "38.4", "form_token": "s-1", **fields}
    return client.post(f"{base(world)}/illness", data)


def the_illness(session) -> Illness:
    fresh(session)
    return session.exec(select(Illness)).one()


def step(client, world, illness_id, name, **fields):
    return client.post(f"/rooms/{world.room_a.id}/illnesses/{illness_id}/{name}", fields)


def hhmm(minutes_ago=0) -> str:
    from nursery_ops.clock import to_local

    return to_local(utcnow() - timedelta(minutes=minutes_ago)).strftime("%H:%M")


# ---------------------------------------------------------------- who may act


TABLET = [
    ("get", "{child}/midday-check"), ("post", "{child}/midday-check"),
    ("get", "{child}/observation"), ("post", "{child}/observation"),
    ("get", "{child}/illness"), ("post", "{child}/illness"),
    ("post", "/illnesses/{illness}/isolate"), ("post", "/illnesses/{illness}/void"),
]


@pytest.fixture
def illness_id(session, day) -> int:
    row = Illness(child_id=day.child_x.id, room_id=day.room_a.id, on_date=local_today(), started_at=utcnow() - timedelta(minutes=30),
                  started_by_id=day.caregiver_a.id, symptoms="fever")
    session.add(row)
    session.commit()
    return row.id


def url(world, path, illness_id):
    return f"/rooms/{world.room_a.id}" + path.format(child=f"/children/{world.child_x.id}", illness=illness_id)


@pytest.mark.parametrize(("method", "path"), TABLET)
def test_caregiver_of_another_room_and_parents_are_refused_on_the_tablet(client_for, day, session, illness_id, method, path):
    target = url(day, path, illness_id)
    before = rows(session, AuditEntry)
    for person in (day.caregiver_b, day.parent_x):
        client = client_for(person)
        response = client.get(target) if method == "get" else client.post(target, {"time": hhmm(), "void_reason": "x"})
        assert response.status_code == 403, f"{person.username} {method} {target}"
    assert rows(session, AuditEntry) == before


@pytest.mark.parametrize(("method", "path"), TABLET)
def test_anonymous_is_sent_to_sign_in_from_the_tablet(anonymous, day, illness_id, method, path):
    target = url(day, path, illness_id)
    response = anonymous.get(target) if method == "get" else anonymous.post(target)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


@pytest.mark.parametrize("path", ["/health/illness/{illness}", "/children/{child}/illness"])
def test_health_record_pages_refuse_parents_other_rooms_and_anonymous(client_for, anonymous, day, illness_id, path):
    target = path.format(illness=illness_id, child=day.child_x.id)
    assert client_for(day.parent_x).get(target).status_code == 403
    assert client_for(day.caregiver_b).get(target).status_code == 403
    response = anonymous.get(target)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


@pytest.mark.parametrize(("method", "path"), [("get", "/health/outbreaks"), ("post", "/health/outbreaks/scan"),
                                              ("get", "/health/outbreaks/{alert}/report"), ("post", "/health/outbreaks/{alert}/report")])
def test_outbreak_pages_are_for_the_health_officer_and_the_director(client_for, anonymous, day, session, method, path):
    alert = OutbreakAlert(room_id=day.room_a.id, symptom="fever", rule="same_day", window_start=local_today(),
                          window_end=local_today(), case_count=3, child_ids="1 2 3", detected_at=utcnow())
    session.add(alert)
    session.commit()
    target = path.format(alert=alert.id)
    for person in (day.caregiver_a, day.parent_x):
        client = client_for(person)
        assert (client.get(target) if method == "get" else client.post(target)).status_code == 403
    response = anonymous.get(target) if method == "get" else anonymous.post(target)
    assert response.status_code == 303
    for person in (day.health, day.director):
        client = client_for(person)
        response = client.get(target) if method == "get" else client.post(target, {})
        assert response.status_code in (200, 303, 400), person.username


# ---------------------------------------------------------------- midday check


def test_caregiver_records_a_midday_check(client_for, day, session):
    client = client_for(day.caregiver_a)
    page = client.get(f"{base(day)}/midday-check")
    assert page.status_code == 200 and 'inputmode="decimal"' in page.text and 'name="form_token"' in page.text
    response = midday(client, day, temperature="36,9")
    assert response.status_code == 303 and response.headers["location"] == f"/rooms/{day.room_a.id}"
    assert midday(client, day, temperature="36,9").status_code == 303  # a double tap
    fresh(session)
    check = session.exec(select(MiddayCheck)).one()
    assert (check.temperature_tenths, check.by_id, check.outcome) == (369, day.caregiver_a.id, "fine")
    assert actions(session) == ["midday_check_recorded"]


def test_the_health_officer_records_a_midday_check_in_any_room(client_for, day, session):
    assert midday(client_for(day.health), day).status_code == 303
    assert rows(session, MiddayCheck) == 1


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"temperature": "43.5"}, "temperature", "between 34.0 and 43.0"),
        ({"temperature": ""}, "temperature", "required"),
        ({"spirits": "sleepy"}, "spirits", "Choose one of the options"),
        ({"temperature": "37.5"}, "outcome", "choose &#34;observe&#34; or &#34;ill&#34;"),
        ({"outcome": "ill", "temperature": "36.5"}, "symptoms", "Tick at least one symptom"),
    ],
)
def test_bad_midday_checks_are_refused_next_to_the_field(client_for, day, session, fields, field, message):
    response = midday(client_for(day.caregiver_a), day, **fields)
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.text and message in response.text
    assert rows(session, MiddayCheck) == 0 and rows(session, Illness) == 0


def test_a_midday_check_needs_the_child_present(client_for, day, session):
    fresh(session)
    session.exec(select(Attendance)).one().check_out_at = utcnow()
    session.commit()
    response = midday(client_for(day.caregiver_a), day)
    assert response.status_code == 400 and "not in the room" in response.text
    assert rows(session, MiddayCheck) == 0


def test_an_ill_midday_check_starts_an_illness_with_the_fever(client_for, day, session):
    response = midday(client_for(day.caregiver_a), day, temperature="38.2", outcome="ill", symptoms="cough")
    assert response.status_code == 303
    illness = the_illness(session)
    assert illness.symptom_list == ["fever", "cough"] and illness.temperature_tenths == 382
    assert session.exec(select(MiddayCheck)).one().illness_id == illness.id
    assert actions(session) == ["illness_started", "midday_check_recorded"]


def test_htmx_midday_check_answers_with_the_tile(client_for, day):
    client = client_for(day.caregiver_a)
    response = client.http.post(f"{base(day)}/midday-check", headers={"HX-Request": "true"}, data={
        "csrf_token": client.token, "temperature": "36.6", "spirits": "good", "skin": "normal", "outcome": "fine"})
    assert response.status_code == 200 and f'id="child-{day.child_x.id}"' in response.text


# ---------------------------------------------------------------- observation


def test_an_observation_is_recorded_and_joins_the_open_illness(client_for, day, session, illness_id):
    client = client_for(day.caregiver_a)
    assert client.get(f"{base(day)}/observation").status_code == 200
    response = client.post(f"{base(day)}/observation", {"text": "精神差，嗜睡", "temperature": "38.0", "time": hhmm(5)})
    assert response.status_code == 303
    fresh(session)
    entry = session.exec(select(Observation)).one()
    assert (entry.illness_id, entry.temperature_tenths, entry.by_id) == (illness_id, 380, day.caregiver_a.id)


@pytest.mark.parametrize(("fields", "field"), [({"text": ""}, "text"), ({"text": "x", "time": "25:00"}, "time"),
                                               ({"text": "x", "temperature": "30"}, "temperature")])
def test_bad_observations_are_refused(client_for, day, session, fields, field):
    response = client_for(day.caregiver_a).post(f"{base(day)}/observation", fields)
    assert response.status_code == 400 and f'id="{field}-error"' in response.text
    assert rows(session, Observation) == 0


# ---------------------------------------------------------------- illness steps


def test_an_illness_from_start_to_pick_up_requires_a_return_certificate(client_for, day, session):
    client = client_for(day.caregiver_a)
    assert client.get(f"{base(day)}/illness").status_code == 200
    assert start(client, day, time=hhmm(30)).status_code == 303
    assert start(client, day, time=hhmm(30)).status_code == 303  # a double tap
    illness = the_illness(session)
    assert step(client, day, illness.id, "isolate", time=hhmm(25), isolation_place="保健室").status_code == 303
    # Picked up before the guardian was told: refused.
    response = step(client, day, illness.id, "pickup", time=hhmm(10), collector=f"guardian:{day.guardian_x.id}")
    assert response.status_code == 400 and "Notify the guardian first" in response.text
    response = step(client, day, illness.id, "notify", time="")
    assert response.status_code == 400 and 'id="time-error"' in response.text  # the time is required
    assert step(client, day, illness.id, "notify", time=hhmm(20), notified_whom="王妈妈 电话").status_code == 303
    response = step(client, day, illness.id, "pickup", time=hhmm(5), collector=f"guardian:{day.guardian_x.id}",
                    suspected_infectious="on", suspected_disease="手足口病")
    assert response.status_code == 303 and response.headers["location"] == f"/health/illness/{illness.id}"
    assert step(client, day, illness.id, "outcome", time=hhmm(4), outcome="went_home").status_code == 303

    illness = the_illness(session)
    assert illness.isolated_by_id == illness.notified_by_id == illness.picked_up_by_id == day.caregiver_a.id
    assert illness.collected_by.startswith("王妈妈") and illness.outcome is IllnessOutcome.went_home
    certificate = session.exec(select(ReturnCertificate)).one()
    assert illness.return_certificate_id == certificate.id and certificate.received_on is None
    assert session.exec(select(Attendance)).one().check_out_at == illness.picked_up_at  # the pick-up is the check-out
    assert actions(session) == [
        "illness_started", "illness_isolate", "illness_notify", "illness_pickup", "return_certificate_required",
        "checked_out", "illness_outcome",
    ]
    page = client.get(f"/health/illness/{illness.id}")
    assert page.status_code == 200 and "手足口病" in page.text and "Required before the next check-in" in page.text


def test_a_stranger_cannot_collect_the_ill_child(client_for, day, session, illness_id):
    client = client_for(day.caregiver_a)
    step(client, day, illness_id, "notify", time=hhmm(), notified_whom="王妈妈")
    response = step(client, day, illness_id, "pickup", time=hhmm(), collector="guardian:9999")
    assert response.status_code == 400 and "may not collect" in response.text
    assert the_illness(session).picked_up_at is None
    assert session.exec(select(Attendance)).one().check_out_at is None


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"symptoms": ""}, "symptoms"), ({"symptoms": "other"}, "symptom_note"),
     ({"suspected_infectious": "on"}, "suspected_disease"), ({"temperature": "50"}, "temperature")],
)
def test_bad_illness_starts_are_refused(client_for, day, session, fields, field):
    response = start(client_for(day.caregiver_a), day, **fields)
    assert response.status_code == 400 and f'id="{field}-error"' in response.text
    assert rows(session, Illness) == 0


def test_a_step_time_in_the_future_or_before_the_last_step_is_refused(client_for, day, session, illness_id):
    client = client_for(day.caregiver_a)
    response = step(client, day, illness_id, "isolate", time=hhmm(-30))
    assert response.status_code == 400 and "in the future" in response.text
    response = step(client, day, illness_id, "isolate", time=hhmm(60))
    assert response.status_code == 400 and "before the previous step" in response.text
    assert the_illness(session).isolated_at is None


def test_suspecting_an_infection_later_requires_the_certificate(client_for, day, session, illness_id):
    client = client_for(day.health)
    assert step(client, day, illness_id, "suspect", suspected_disease="水痘").status_code == 303
    assert rows(session, ReturnCertificate) == 1
    # A second suspected illness does not ask for a second certificate.
    assert step(client, day, illness_id, "outcome", time=hhmm(), outcome="recovered").status_code == 303
    assert rows(session, ReturnCertificate) == 1


def test_voiding_needs_a_reason_and_keeps_the_record(client_for, day, session, illness_id):
    client = client_for(day.caregiver_a)
    response = step(client, day, illness_id, "void", void_reason="")
    assert response.status_code == 400 and 'id="void_reason-error"' in response.text
    assert step(client, day, illness_id, "void", void_reason="wrong child").status_code == 303
    illness = the_illness(session)
    assert illness.voided_at is not None and illness.voided_by_id == day.caregiver_a.id
    assert step(client, day, illness_id, "isolate", time=hhmm()).status_code == 400


def test_unknown_steps_and_other_rooms_illnesses_are_not_found(client_for, day, session, illness_id):
    client = client_for(day.director)
    assert step(client, day, illness_id, "dance", time=hhmm()).status_code == 404
    assert client.post(f"/rooms/{day.room_b.id}/illnesses/{illness_id}/isolate", {"time": hhmm()}).status_code == 404


# ---------------------------------------------------------------- reading records (audited)


def test_reading_a_childs_illnesses_is_audited(client_for, day, session, illness_id):
    response = client_for(day.caregiver_a).get(f"/children/{day.child_x.id}/illness")
    assert response.status_code == 200 and f"/health/illness/{illness_id}" in response.text
    assert client_for(day.health).get(f"/health/illness/{illness_id}").status_code == 200
    fresh(session)
    reads = session.exec(select(AuditEntry).where(AuditEntry.action == "health_record_read")).all()
    assert [(entry.entity, entry.child_id) for entry in reads] == [("illness", day.child_x.id)] * 2


def test_staff_read_the_midday_checks_with_their_notes(client_for, day):
    assert midday(client_for(day.caregiver_a), day, notes="午睡后有点蔫").status_code == 303
    page = client_for(day.health).get(f"/children/{day.child_x.id}/illness").text
    checks = page[page.index('id="midday-checks"'):]
    assert "36.6 °C" in checks and "午睡后有点蔫" in checks


# ---------------------------------------------------------------- outbreaks


def three_ill(session, world, room=None):
    """Three children of room A ill with a fever today (child X and two more)."""
    room = room or world.room_a
    children = [world.child_x]
    for name in ("甲", "乙"):
        child = f.make_child(session, name, months=18)
        f.enrol(session, child, room)
        arrive(session, child, room)
        children.append(child)
    for child in children:
        session.add(Illness(child_id=child.id, room_id=room.id, on_date=local_today(), started_at=utcnow(),
                            started_by_id=world.caregiver_a.id, symptoms="fever"))
    session.commit()
    return children


def test_the_third_fever_started_on_the_tablet_raises_the_alert(client_for, day, session):
    others = []
    for name in ("甲", "乙"):
        child = f.make_child(session, name, months=18)
        f.enrol(session, child, day.room_a)
        arrive(session, child, day.room_a)
        session.add(Illness(child_id=child.id, room_id=day.room_a.id, on_date=local_today(), started_at=utcnow(),
                            started_by_id=day.caregiver_a.id, symptoms="fever cough"))
        others.append(child)
    session.commit()
    assert start(client_for(day.caregiver_a), day).status_code == 303
    fresh(session)
    alert = session.exec(select(OutbreakAlert)).one()
    assert (alert.symptom, alert.rule, alert.case_count) == ("fever", "same_day", 3)
    assert "outbreak_detected" in actions(session)


def test_sick_absences_count_and_the_scan_records_the_alert(client_for, day, session):
    for name in ("甲", "乙", "丙"):
        child = f.make_child(session, name, months=18)
        f.enrol(session, child, day.room_a)
        session.add(Absence(child_id=child.id, room_id=day.room_a.id, on_date=local_today(), reason=AbsenceReason.sick,
                            symptoms="呕吐，拉肚子", recorded_by_id=day.caregiver_a.id))
    session.commit()
    client = client_for(day.health)
    page = client.get("/health/outbreaks")
    assert page.status_code == 200 and "Vomiting" in page.text and "Diarrhoea" in page.text
    assert rows(session, OutbreakAlert) == 0  # reading records nothing
    assert client.post("/health/outbreaks/scan").status_code == 303
    assert rows(session, OutbreakAlert) == 2
    assert client.post("/health/outbreaks/scan").status_code == 303
    assert rows(session, OutbreakAlert) == 2  # nothing twice


def test_the_report_is_recorded_with_whom_when_and_reference(client_for, day, session):
    three_ill(session, day)
    client = client_for(day.health)
    client.post("/health/outbreaks/scan")
    fresh(session)
    alert = session.exec(select(OutbreakAlert)).one()
    target = f"/health/outbreaks/{alert.id}/report"
    assert client.get(target).status_code == 200
    response = client.post(target, {"reported_to": "cdc", "reported_on": local_today().isoformat(), "time": hhmm(), "report_reference": ""})
    assert response.status_code == 400 and 'id="report_reference-error"' in response.text
    response = client.post(target, {"reported_to": "moon", "reported_on": local_today().isoformat(), "time": hhmm(), "report_reference": "R1"})
    assert response.status_code == 400 and 'id="reported_to-error"' in response.text
    fresh(session)
    assert session.get(OutbreakAlert, alert.id).reported_at is None
    response = client.post(target, {"reported_to": "cdc", "reported_on": local_today().isoformat(), "time": hhmm(),
                                    "report_reference": "区疾控 2026-117"})
    assert response.status_code == 303
    fresh(session)
    alert = session.get(OutbreakAlert, alert.id)
    assert (alert.reported_to, alert.report_reference, alert.reported_by_id) == ("cdc", "区疾控 2026-117", day.health.id)
    assert open_outbreaks(session, utcnow()) == []


# ---------------------------------------------------------------- the contract: health_day and open_outbreaks


def test_health_day_lists_the_days_health_work(session, day):
    three_ill(session, day)
    now = utcnow()
    health = health_day(session, local_today(), now)
    assert [item.status for item in health.morning_checks if item.child.id == day.child_x.id] == ["missing"]
    assert {item.child.id for item in health.midday_due} >= {day.child_x.id}
    assert len(health.open_illnesses) == 3
    [outbreak] = health.outbreaks
    assert outbreak.alert is None and outbreak.case_count == 3 and not outbreak.overdue
    assert outbreak.deadline - outbreak.detected_at == timedelta(hours=24)
    assert [item.room.id for item in open_outbreaks(session, now + timedelta(hours=25)) if item.overdue] == [day.room_a.id]


def test_health_day_issues_a_fixed_number_of_queries(session, day, queries):
    def count() -> int:
        session.expire_all()
        with queries:
            health_day(session, local_today(), utcnow())
        return queries.count

    count()  # warm-up: the policy is read once per database session
    few = count()
    for index in range(6):
        child = f.make_child(session, f"童{index}", months=18)
        f.enrol(session, child, day.room_a)
        arrive(session, child, day.room_a)
        session.add(Illness(child_id=child.id, room_id=day.room_a.id, on_date=local_today(), started_at=utcnow(),
                            started_by_id=day.caregiver_a.id, symptoms="rash"))
    session.commit()
    assert count() == few


# ---------------------------------------------------------------- the /health partials (rows from health_day)


@pytest.mark.parametrize(
    ("partial", "section"),
    [
        ("illness/_health_morning_checks.html", "morning_checks"),
        ("illness/_health_midday.html", "midday_due"),
        ("illness/_health_illnesses.html", "open_illnesses"),
        ("illness/_health_outbreaks.html", "outbreaks"),
    ],
)
def test_the_health_page_partials_render_the_rows(session, day, partial, section):
    from nursery_ops.i18n import Translator
    from nursery_ops.policy import DEFAULT_POLICY
    from nursery_ops.templating import environment

    three_ill(session, day)
    health = health_day(session, local_today(), utcnow())
    rows = getattr(health, section)
    assert rows
    translator = Translator("en")

    class Me:
        def has(self, *roles):
            return True

    html = environment.get_template(partial).render(
        rows=rows, health_day=health, policy=DEFAULT_POLICY, _=translator.gettext, t=translator, me=Me(),
        csrf_token="x", today=local_today(),
    )
    assert day.child_x.full_name in html or day.room_a.name in html


@pytest.mark.parametrize("path", ["midday-check", "observation", "illness"])
def test_htmx_opens_the_tablet_forms_inside_the_tile(client_for, day, path):
    response = client_for(day.caregiver_a).htmx_get(f"{base(day)}/{path}")
    assert response.status_code == 200 and "<html" not in response.text
    assert f'hx-target="#child-{day.child_x.id}"' in response.text and 'name="form_token"' in response.text
    page = client_for(day.caregiver_a).get(f"{base(day)}/{path}")
    assert "<html" in page.text and "hx-post" not in page.text  # on its own page a plain post works without the tile


def test_the_health_officer_reads_a_child_without_a_room(client_for, world, session):
    waiting = f.make_child(session, "候补", months=14)
    session.commit()
    assert client_for(world.health).get(f"/children/{waiting.id}/illness").status_code == 200
    assert client_for(world.caregiver_a).get(f"/children/{waiting.id}/illness").status_code == 403


def test_the_tile_of_an_ill_child_leads_to_the_illness_instead_of_the_midday_check(client_for, day, illness_id):
    page = client_for(day.caregiver_a).get(f"/rooms/{day.room_a.id}").text
    start = page.index(f'id="child-{day.child_x.id}"')
    tile = page[start:page.find("<article", start) if "<article" in page[start:] else len(page)]
    assert f"/health/illness/{illness_id}" in tile and "Ill during the day: follow the steps" in tile
    assert "/midday-check" not in tile and "/illness" in page


# ---------------------------------------------------------------- isolation, certificates, observation (audit fixes)


def test_a_child_with_a_suspected_infection_is_isolated_before_the_pick_up(client_for, day, session):
    client = client_for(day.caregiver_a)
    assert start(client, day, time=hhmm(30), suspected_infectious="on", suspected_disease="手足口病").status_code == 303
    illness = the_illness(session)
    assert step(client, day, illness.id, "notify", time=hhmm(20), notified_whom="王妈妈 电话").status_code == 303
    page = client.get(f"/health/illness/{illness.id}").text
    assert f'action="/rooms/{day.room_a.id}/illnesses/{illness.id}/isolate"' in page  # offered first
    response = step(client, day, illness.id, "pickup", time=hhmm(5), collector=f"guardian:{day.guardian_x.id}")
    assert response.status_code == 400 and "isolate the child first" in response.text
    assert the_illness(session).picked_up_at is None
    assert session.exec(select(Attendance)).one().check_out_at is None
    assert step(client, day, illness.id, "isolate", time=hhmm(15), isolation_place="保健室").status_code == 303
    assert step(client, day, illness.id, "pickup", time=hhmm(5), collector=f"guardian:{day.guardian_x.id}").status_code == 303


def test_ticking_a_suspected_infection_at_the_pick_up_also_needs_the_isolation(client_for, day, session, illness_id):
    client = client_for(day.caregiver_a)
    assert step(client, day, illness_id, "notify", time=hhmm(), notified_whom="王妈妈").status_code == 303
    response = step(client, day, illness_id, "pickup", time=hhmm(), collector=f"guardian:{day.guardian_x.id}",
                    suspected_infectious="on", suspected_disease="水痘")
    assert response.status_code == 400 and "isolate the child first" in response.text
    illness = the_illness(session)
    assert illness.picked_up_at is None and not illness.suspected_infectious
    assert rows(session, ReturnCertificate) == 0


def test_voiding_an_illness_voids_the_return_certificate_it_required(client_for, day, session):
    from nursery_ops.attendance.service import awaited_return_certificates

    client = client_for(day.caregiver_a)
    assert start(client, day, time=hhmm(10), suspected_infectious="on", suspected_disease="水痘").status_code == 303
    illness = the_illness(session)
    assert len(awaited_return_certificates(session, day.child_x.id)) == 1
    assert step(client, day, illness.id, "void", void_reason="wrong child").status_code == 303
    fresh(session)
    certificate = session.exec(select(ReturnCertificate)).one()
    assert certificate.voided_at is not None and certificate.voided_by_id == day.caregiver_a.id
    assert certificate.void_reason == "wrong child" and certificate.received_on is None
    assert awaited_return_certificates(session, day.child_x.id) == []  # the next check-in is not blocked
    assert actions(session)[-2:] == ["illness_voided", "return_certificate_voided"]
    page = client.get(f"/health/illness/{illness.id}").text
    assert "No longer required: voided with the illness" in page


def test_voiding_keeps_the_certificate_another_cause_still_requires(client_for, day, session):
    from nursery_ops.attendance.service import awaited_return_certificates

    client = client_for(day.caregiver_a)
    assert start(client, day, time=hhmm(10), suspected_infectious="on", suspected_disease="水痘").status_code == 303
    illness = the_illness(session)
    # The family also reported a suspected infection for today (the absence shares the awaited certificate).
    session.add(Absence(child_id=day.child_x.id, room_id=day.room_a.id, on_date=local_today(), reason=AbsenceReason.sick,
                        symptoms="出水痘", suspected_infection=True, recorded_by_id=day.caregiver_a.id))
    session.commit()
    assert step(client, day, illness.id, "void", void_reason="recorded twice").status_code == 303
    fresh(session)
    assert session.exec(select(ReturnCertificate)).one().voided_at is None
    assert len(awaited_return_certificates(session, day.child_x.id)) == 1
    assert "return_certificate_voided" not in actions(session)


def test_a_certificate_dated_before_the_illness_does_not_clear_the_child(client_for, day, session):
    client = client_for(day.caregiver_a)
    assert start(client, day, time=hhmm(10), suspected_infectious="on", suspected_disease="水痘").status_code == 303
    health = client_for(day.health)
    url = f"/children/{day.child_x.id}/return-certificate"
    yesterday = (local_today() - timedelta(days=1)).isoformat()
    response = health.post(url, {"received_on": yesterday, "issued_by": "社区医院"})
    assert response.status_code == 400
    error = response.text.split('id="received_on-error"', 1)[1].split("</p>", 1)[0]
    assert "cannot be dated before" in error and local_today().isoformat() in error
    fresh(session)
    assert session.exec(select(ReturnCertificate)).one().received_on is None
    assert "return_certificate_received" not in actions(session)
    assert health.post(url, {"received_on": local_today().isoformat(), "issued_by": "社区医院"}).status_code == 303
    fresh(session)
    assert session.exec(select(ReturnCertificate)).one().received_on == local_today()


def test_an_observation_entry_puts_the_child_under_observation(client_for, day, session):
    assert day.child_x.id not in [item.child.id for item in health_day(session, local_today(), utcnow()).under_observation]
    client = client_for(day.caregiver_a)
    assert client.post(f"{base(day)}/observation", {"time": hhmm(1), "text": "精神差，一直揉眼睛", "form_token": "o-1"}).status_code == 303
    fresh(session)
    [item] = [item for item in health_day(session, local_today(), utcnow()).under_observation if item.child.id == day.child_x.id]
    assert item.reason == "Observation"
    page = client_for(day.health).get("/health").text
    section = page.split('id="observation"', 1)[1].split("</section>", 1)[0]
    assert day.child_x.full_name in section
    # A midday check finding the child fine afterwards ends the observation.
    assert midday(client, day).status_code == 303
    fresh(session)
    assert day.child_x.id not in [item.child.id for item in health_day(session, local_today(), utcnow()).under_observation]


def test_the_outbreak_pages_are_audited_reads(client_for, day, session):
    three_ill(session, day)
    client = client_for(day.health)
    client.post("/health/outbreaks/scan")
    fresh(session)
    alert = session.exec(select(OutbreakAlert)).one()
    assert client.get("/health/outbreaks").status_code == 200
    assert client.get(f"/health/outbreaks/{alert.id}/report").status_code == 200
    assert client.get("/health/outbreaks/99999/report").status_code == 404
    fresh(session)
    reads = session.exec(select(AuditEntry).where(AuditEntry.action == "health_record_read").order_by(AuditEntry.id)).all()
    assert [(entry.actor_id, entry.entity) for entry in reads] == [(day.health.id, "outbreaks"), (day.health.id, "outbreak_report")]
