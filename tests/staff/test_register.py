"""The staff register: posts (岗位), staff without a sign-in, qualifications, training and barring."""

from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from nursery_ops.audit import AuditEntry
from nursery_ops.auth.models import LoginSession, Person, Role
from nursery_ops.auth.service import roles_of, start_session
from nursery_ops.clock import local_today
from nursery_ops.staff.models import CertificateKind, Employment, Job, StaffCertificate, StaffProfile, StaffTraining

TODAY = local_today()
GUARD = {"full_name": "王保安", "job": "security", "employment": "full_time", "phone": "13900139000"}


def fresh(session) -> None:
    session.rollback()
    session.expire_all()


def count(session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def actions(session) -> list[str]:
    return session.exec(select(AuditEntry.action).order_by(AuditEntry.id)).all()


def register_guard(client, session) -> Person:
    assert client.post("/staff/new", GUARD).status_code == 303
    fresh(session)
    return session.exec(select(Person).where(Person.full_name == "王保安")).one()


# --- posts and staff without a sign-in --------------------------------------


def test_a_security_guard_is_registered_without_a_sign_in_and_audited(world, client_for, session):
    guard = register_guard(client_for(world.director), session)
    assert guard.username is None and guard.password_hash == ""
    assert roles_of(session, guard.id) == frozenset()
    assert session.get(StaffProfile, guard.id).job is Job.security
    assert actions(session)[-1] == "staff_created"


def test_a_person_without_a_sign_in_cannot_sign_in(world, client_for, anonymous, session):
    guard = register_guard(client_for(world.director), session)
    response = anonymous.post("/login", {"username": "", "password": ""})
    assert response.status_code in (200, 400)
    fresh(session)
    assert session.exec(select(LoginSession).where(LoginSession.person_id == guard.id)).all() == []


def test_a_caregiver_post_needs_a_sign_in(world, client_for, session):
    before = count(session, Person)
    response = client_for(world.director).post("/staff/new", {"full_name": "新老师", "job": "caregiver"})
    assert response.status_code == 400
    assert "This post uses the app: give a username and a password." in response.text
    fresh(session)
    assert count(session, Person) == before


def test_roles_without_a_sign_in_are_refused(world, client_for, session):
    response = client_for(world.director).post("/staff/new", {**GUARD, "roles": ["caregiver"]})
    assert response.status_code == 400
    assert "Roles come with a sign-in" in response.text
    fresh(session)
    assert count(session, StaffProfile) == 0


def test_the_register_lists_every_post_and_filters_by_one(world, client_for, session):
    director = client_for(world.director)
    register_guard(director, session)
    everyone = director.get("/staff").text
    assert "王保安" in everyone and "张老师" in everyone and "No sign-in" in everyone
    guards = director.get("/staff?job=security").text
    assert "王保安" in guards and "张老师" not in guards
    carers = director.get("/staff?job=caregiver").text
    assert "张老师" in carers and "王保安" not in carers


def test_the_director_changes_a_post_and_its_hours(world, client_for, session):
    response = client_for(world.director).post(f"/staff/{world.health.id}", {
        "full_name": "刘保健", "roles": ["health"], "job": "health", "employment": "part_time"})
    assert response.status_code == 303
    fresh(session)
    assert session.get(StaffProfile, world.health.id).employment is Employment.part_time
    assert actions(session)[-1] == "staff_updated"


# --- qualifications ---------------------------------------------------------


def certificate(number="BYS-001", kind="qualification", name="保育师", issued=-30, until=700):
    return {"kind": kind, "name": name, "number": number, "issued_on": (TODAY + timedelta(days=issued)).isoformat(),
            "valid_until": (TODAY + timedelta(days=until)).isoformat()}


def test_a_qualification_is_recorded_with_its_name_and_number(world, client_for, session):
    url = f"/staff/{world.caregiver_a.id}/certificates"
    assert client_for(world.director).post(url, certificate()).status_code == 303
    fresh(session)
    row = session.exec(select(StaffCertificate)).one()
    assert (row.kind, row.name, row.number) == (CertificateKind.qualification, "保育师", "BYS-001")
    assert "保育师" in client_for(world.director).get(f"/staff/{world.caregiver_a.id}").text


@pytest.mark.parametrize("form, field, message", [
    (certificate(issued=-30, until=-31), "valid_until", "The expiry date must be after the issue date."),
    (certificate(name=""), "name", "Name the qualification"),
])
def test_a_bad_certificate_is_refused_next_to_its_field(world, client_for, session, form, field, message):
    response = client_for(world.director).post(f"/staff/{world.caregiver_a.id}/certificates", form)
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.text and message in response.text
    fresh(session)
    assert count(session, StaffCertificate) == 0


def test_a_duplicate_number_of_the_same_kind_is_refused_next_to_the_number(world, client_for, session):
    director = client_for(world.director)
    assert director.post(f"/staff/{world.caregiver_a.id}/certificates", certificate()).status_code == 303
    response = director.post(f"/staff/{world.caregiver_b.id}/certificates", certificate())
    assert response.status_code == 400
    assert 'id="number-error"' in response.text and "already recorded" in response.text
    # The same number on another kind of certificate is another document.
    assert director.post(f"/staff/{world.caregiver_b.id}/certificates", certificate(kind="health", name="")).status_code == 303
    fresh(session)
    assert count(session, StaffCertificate) == 2


# --- training ---------------------------------------------------------------


def test_training_hours_add_up_against_the_policy(world, client_for, session):
    director = client_for(world.director)
    url = f"/staff/{world.caregiver_a.id}/training"
    for hours, kind in (("40", "pre_service"), ("32", "pre_service"), ("8", "ethics")):
        form = {"trained_on": (TODAY - timedelta(days=3)).isoformat(), "hours": hours, "training_kind": kind,
                "provider": "市妇幼保健院"}
        assert director.post(url, form).status_code == 303
    page = director.get(f"/staff/{world.caregiver_a.id}").text
    pre = page[page.index('id="training-total-pre_service"'):]
    assert pre.startswith('id="training-total-pre_service">72.0 of 72 hours') and "Done" in pre[:200]
    ethics = page[page.index('id="training-total-ethics"'):]
    assert ethics.startswith('id="training-total-ethics">8.0 of 40 hours') and "Short" in ethics[:200]
    fresh(session)
    assert actions(session)[-1] == "staff_training_recorded"


def test_a_voided_training_no_longer_counts(world, client_for, session):
    director = client_for(world.director)
    form = {"trained_on": TODAY.isoformat(), "hours": "6", "training_kind": "ethics"}
    director.post(f"/staff/{world.caregiver_a.id}/training", form)
    fresh(session)
    row = session.exec(select(StaffTraining)).one()
    refused = director.post(f"/staff/{world.caregiver_a.id}/training/{row.id}/void", {"reason": " "})
    assert refused.status_code == 400 and f'id="void-training-{row.id}-error"' in refused.text
    assert director.post(f"/staff/{world.caregiver_a.id}/training/{row.id}/void", {"reason": "录错了"}).status_code == 303
    assert 'id="training-total-ethics">0.0 of 40 hours' in director.get(f"/staff/{world.caregiver_a.id}").text


@pytest.mark.parametrize("form, field", [
    ({"trained_on": (TODAY + timedelta(days=1)).isoformat(), "hours": "2", "training_kind": "ethics"}, "trained_on"),
    ({"trained_on": TODAY.isoformat(), "hours": "300", "training_kind": "ethics"}, "hours"),
    ({"trained_on": TODAY.isoformat(), "hours": "1.25", "training_kind": "ethics"}, "hours"),
    ({"trained_on": TODAY.isoformat(), "hours": "2"}, "training_kind"),
])
def test_a_bad_training_is_refused_and_nothing_saved(world, client_for, session, form, field):
    response = client_for(world.director).post(f"/staff/{world.caregiver_a.id}/training", form)
    assert response.status_code == 400 and f'id="{field}-error"' in response.text
    fresh(session)
    assert count(session, StaffTraining) == 0


# --- barring ----------------------------------------------------------------

BAR = {"bar_reason": "伤害幼儿，已报警", "confirm": "on"}


def test_barring_deactivates_signs_out_and_is_audited(world, client_for, session):
    start_session(session, world.caregiver_a, "tablet", "10.0.0.2")
    session.commit()
    assert client_for(world.director).post(f"/staff/{world.caregiver_a.id}/bar", BAR).status_code == 303
    fresh(session)
    person = session.get(Person, world.caregiver_a.id)
    assert not person.active
    assert session.get(StaffProfile, person.id).barred_reason == "伤害幼儿，已报警"
    live = select(LoginSession).where(LoginSession.person_id == person.id, LoginSession.revoked_at.is_(None))
    assert session.exec(live).all() == []
    assert actions(session)[-1] == "staff_barred"


def test_barring_needs_the_confirm_box(world, client_for, session):
    response = client_for(world.director).post(f"/staff/{world.caregiver_a.id}/bar", {"bar_reason": "x"})
    assert response.status_code == 400 and "a bar can never be lifted" in response.text
    fresh(session)
    assert session.get(Person, world.caregiver_a.id).active


def test_a_barred_person_can_never_be_reactivated_by_any_path(world, client_for, session):
    director = client_for(world.director)
    url = f"/staff/{world.caregiver_a.id}"
    director.post(f"{url}/bar", BAR)
    refused = [
        director.post(f"{url}/reactivate", {"reason": "再给一次机会"}),
        director.post(url, {"full_name": "张老师", "roles": ["caregiver", "health"], "job": "caregiver"}),
        director.post(f"{url}/password", {"new_password": "a-brand-new-password"}),
    ]
    assert [response.status_code for response in refused] == [400, 400, 400]
    assert all("barred from working with children" in response.text for response in refused)
    page = director.get(url).text
    assert "can never be reactivated" in page and f'action="{url}/reactivate"' not in page
    fresh(session)
    person = session.get(Person, world.caregiver_a.id)
    assert not person.active and roles_of(session, person.id) == frozenset({Role.caregiver})
    assert "account_reactivated" not in actions(session)


def test_the_director_cannot_bar_themselves(world, client_for, session):
    response = client_for(world.director).post(f"/staff/{world.director.id}/bar", BAR)
    assert response.status_code == 400
    fresh(session)
    assert session.get(Person, world.director.id).active


@pytest.mark.parametrize("url", ["/staff/{carer}/bar", "/staff/{carer}/training"])
def test_barring_and_training_are_refused_to_other_roles(world, client_for, session, url):
    url = url.format(carer=world.caregiver_a.id)
    for person in (world.caregiver_b, world.health, world.parent_x):
        assert client_for(person).post(url, {**BAR, "trained_on": TODAY.isoformat(), "hours": "2",
                                             "training_kind": "ethics"}).status_code == 403
    fresh(session)
    assert session.get(Person, world.caregiver_a.id).active and count(session, StaffTraining) == 0


def test_saving_an_unchanged_account_made_before_posts_writes_no_audit_entry(world, client_for, session):
    before = actions(session)
    form = {"full_name": "张老师", "roles": ["caregiver"], "job": "caregiver", "employment": "full_time"}
    assert client_for(world.director).post(f"/staff/{world.caregiver_a.id}", form).status_code == 303
    fresh(session)
    assert actions(session) == before
    assert session.get(StaffProfile, world.caregiver_a.id).job is Job.caregiver


def test_the_same_number_on_two_different_qualifications_is_accepted(world, client_for, session):
    director = client_for(world.director)
    assert director.post(f"/staff/{world.caregiver_a.id}/certificates", certificate(name="保育师")).status_code == 303
    assert director.post(f"/staff/{world.caregiver_a.id}/certificates", certificate(name="育婴员")).status_code == 303
    fresh(session)
    assert count(session, StaffCertificate) == 2


def test_tenths_of_an_hour_add_up_exactly(world, client_for):
    director = client_for(world.director)
    for hours in ("39.7", "0.1", "0.2"):
        form = {"trained_on": TODAY.isoformat(), "hours": hours, "training_kind": "ethics"}
        assert director.post(f"/staff/{world.caregiver_a.id}/training", form).status_code == 303
    page = director.get(f"/staff/{world.caregiver_a.id}").text
    ethics = page[page.index('id="training-total-ethics"'):]
    assert ethics.startswith('id="training-total-ethics">40.0 of 40 hours') and "Done" in ethics[:200]
