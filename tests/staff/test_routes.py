"""Staff accounts and parent sign-ins: the director manages them; nobody else may."""

import pytest
from sqlalchemy import func
from sqlmodel import select

from nursery_ops.audit import AuditEntry
from nursery_ops.auth.models import LoginSession, Person, Role
from nursery_ops.auth.service import password_hasher, roles_of
from tests import factories as f

NEW_STAFF = {
    "full_name": "周老师",
    "username": "Zhou.Teacher",
    "phone": "139-1234-5678",
    "roles": ["caregiver", "health"],
    "password": "a-long-password",
}


def fresh(session) -> None:
    """See what the app committed: end this session's read snapshot and forget loaded rows."""
    session.rollback()
    session.expire_all()


def people_count(session) -> int:
    return session.exec(select(func.count()).select_from(Person)).one()


def audit_actions(session) -> list[str]:
    return session.exec(select(AuditEntry.action).order_by(AuditEntry.id)).all()


# --- who may use the pages -------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/staff", "/staff/new", "/staff/{director}", "/guardians/{guardian}/account"]
)
def test_staff_pages_are_for_the_director_only(world, client_for, anonymous, url):
    url = url.format(director=world.director.id, guardian=world.guardian_x.id)
    assert client_for(world.director).get(url).status_code == 200
    for person in (world.caregiver_a, world.health, world.parent_x):
        assert client_for(person).get(url).status_code == 403
    response = anonymous.get(url)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


@pytest.mark.parametrize(
    "url",
    ["/staff/new", "/staff/{carer}", "/staff/{carer}/deactivate", "/staff/{carer}/reactivate", "/staff/{carer}/password",
     "/guardians/{guardian}/account"],
)
def test_staff_changes_are_refused_to_other_roles(world, client_for, anonymous, session, url):
    url = url.format(carer=world.caregiver_a.id, guardian=world.guardian_y.id)
    data = {**NEW_STAFF, "reason": "x", "new_password": "another-long-one", "username": "someone"}
    for person in (world.caregiver_a, world.health, world.parent_x):
        assert client_for(person).post(url, data).status_code == 403
    assert anonymous.post(url, data).status_code in (303, 403)
    fresh(session)
    assert people_count(session) == 6
    assert session.get(Person, world.caregiver_a.id).active


def test_the_list_shows_staff_with_roles_and_not_parents(world, client_for):
    response = client_for(world.director).get("/staff")
    assert "张老师" in response.text and "carer_b" in response.text and "刘保健" in response.text
    assert "Health officer" in response.text
    assert "parent_x" not in response.text


def test_unknown_or_parent_person_is_not_found(world, client_for):
    director = client_for(world.director)
    assert director.get("/staff/9999").status_code == 404
    assert director.get(f"/staff/{world.parent_x.id}").status_code == 404
    assert director.get("/guardians/9999/account").status_code == 404


# --- create ----------------------------------------------------------------


def test_director_creates_a_staff_account(world, client_for, anonymous, session):
    response = client_for(world.director).post("/staff/new", NEW_STAFF)
    assert response.status_code == 303
    person = session.exec(select(Person).where(Person.username == "zhou.teacher")).one()
    assert response.headers["location"] == f"/staff/{person.id}?saved=created"
    assert person.full_name == "周老师" and person.phone == "13912345678"
    assert roles_of(session, person.id) == {Role.caregiver, Role.health}
    assert password_hasher.verify("a-long-password", person.password_hash)
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "staff_created")).one()
    assert entry.actor_id == world.director.id and "password_hash" not in entry.after
    assert entry.after["roles"] == ["caregiver", "health"]

    signed_in = anonymous.post("/login", {"username": "zhou.teacher", "password": "a-long-password"})
    assert signed_in.status_code == 303


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"username": "director"}, "username", "This username is taken"),
        ({"username": "a b"}, "username", "Use 3 to 64 letters"),
        ({"phone": "call me"}, "phone", "Enter a phone number of digits only"),
        ({"roles": []}, "roles", "Choose at least one role."),
        ({"roles": ["parent"]}, "roles", "Choose one of the options."),
        ({"roles": ["janitor"]}, "roles", "Choose one of the options."),
        ({"password": "short"}, "password", "Use at least 10 characters."),
        ({"full_name": ""}, "full_name", "This field is required."),
    ],
)
def test_bad_new_staff_input_is_shown_and_nothing_saved(world, client_for, session, change, field, message):
    before = people_count(session)
    response = client_for(world.director).post("/staff/new", {**NEW_STAFF, **change})
    assert response.status_code == 400
    assert message in response.text
    assert f'id="{field}-error"' in response.text
    assert "a-long-password" not in response.text
    assert people_count(session) == before
    assert "staff_created" not in audit_actions(session)


# --- edit ------------------------------------------------------------------


def test_director_edits_name_phone_and_roles(world, client_for, session):
    response = client_for(world.director).post(
        f"/staff/{world.caregiver_a.id}", {"full_name": "张静老师", "phone": "13512345678", "roles": ["caregiver", "health"]}
    )
    assert response.status_code == 303
    fresh(session)
    person = session.get(Person, world.caregiver_a.id)
    assert (person.full_name, person.phone) == ("张静老师", "13512345678")
    assert roles_of(session, person.id) == {Role.caregiver, Role.health}
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "staff_updated")).one()
    assert entry.before["roles"] == ["caregiver"] and entry.after["roles"] == ["caregiver", "health"]
    assert "password_hash" not in entry.before


def test_editing_roles_keeps_a_parent_role(world, client_for, session):
    f.make_person(session, "carer_parent", Role.caregiver, Role.parent, guardian_id=world.guardian_y.id)
    session.commit()
    person = session.exec(select(Person).where(Person.username == "carer_parent")).one()
    client_for(world.director).post(f"/staff/{person.id}", {"full_name": "Both", "roles": ["health"]})
    fresh(session)
    assert roles_of(session, person.id) == {Role.health, Role.parent}


def test_a_director_cannot_remove_their_own_director_role(world, client_for, session):
    response = client_for(world.director).post(f"/staff/{world.director.id}", {"full_name": "李园长", "roles": ["caregiver"]})
    assert response.status_code == 400
    assert "You cannot remove your own director role." in response.text
    assert roles_of(session, world.director.id) == {Role.director}


def test_bad_edit_is_shown_and_nothing_saved(world, client_for, session):
    response = client_for(world.director).post(f"/staff/{world.caregiver_a.id}", {"full_name": "", "phone": "abc", "roles": []})
    assert response.status_code == 400
    assert "Enter a phone number of digits only" in response.text
    fresh(session)
    assert session.get(Person, world.caregiver_a.id).full_name == "张老师"
    assert roles_of(session, world.caregiver_a.id) == {Role.caregiver}


# --- deactivate, reactivate, password ------------------------------------------


def test_deactivation_signs_the_person_out_and_blocks_sign_in(world, client_for, anonymous, session):
    carer = client_for(world.caregiver_a)
    assert carer.get("/account/password").status_code == 200

    response = client_for(world.director).post(f"/staff/{world.caregiver_a.id}/deactivate", {"reason": "合同到期离职"})
    assert response.status_code == 303
    fresh(session)
    person = session.get(Person, world.caregiver_a.id)
    assert not person.active and person.deactivated_at is not None
    live = session.exec(
        select(func.count()).select_from(LoginSession).where(LoginSession.person_id == person.id, LoginSession.revoked_at.is_(None))
    ).one()
    assert live == 0
    assert carer.get("/account/password").status_code == 303
    assert anonymous.post("/login", {"username": "carer_a", "password": f.PASSWORD}).status_code == 400
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "account_deactivated")).one()
    assert entry.reason == "合同到期离职" and entry.before["active"] is True and entry.after["active"] is False


def test_reactivation_needs_a_reason_and_restores_sign_in(world, client_for, anonymous, session):
    director = client_for(world.director)
    director.post(f"/staff/{world.caregiver_a.id}/deactivate", {"reason": "产假"})
    assert director.post(f"/staff/{world.caregiver_a.id}/reactivate", {"reason": ""}).status_code == 400
    fresh(session)
    assert not session.get(Person, world.caregiver_a.id).active

    assert director.post(f"/staff/{world.caregiver_a.id}/reactivate", {"reason": "产假结束"}).status_code == 303
    fresh(session)
    assert session.get(Person, world.caregiver_a.id).active
    assert anonymous.post("/login", {"username": "carer_a", "password": f.PASSWORD}).status_code == 303


def test_deactivation_without_a_reason_is_refused(world, client_for, session):
    response = client_for(world.director).post(f"/staff/{world.caregiver_a.id}/deactivate", {"reason": " "})
    assert response.status_code == 400
    assert 'id="reason-error"' in response.text
    fresh(session)
    assert session.get(Person, world.caregiver_a.id).active


def test_a_director_cannot_deactivate_themselves(world, client_for, session):
    response = client_for(world.director).post(f"/staff/{world.director.id}/deactivate", {"reason": "oops"})
    assert response.status_code == 400
    assert "You cannot deactivate your own account." in response.text
    fresh(session)
    assert session.get(Person, world.director.id).active


def test_password_reset_revokes_sessions(world, client_for, anonymous, session):
    carer = client_for(world.caregiver_a)
    response = client_for(world.director).post(f"/staff/{world.caregiver_a.id}/password", {"new_password": "brand-new-secret"})
    assert response.status_code == 303
    assert carer.get("/account/password").status_code == 303
    assert anonymous.post("/login", {"username": "carer_a", "password": "brand-new-secret"}).status_code == 303
    assert "password_changed" in audit_actions(session)


def test_a_short_reset_password_is_refused(world, client_for, session):
    old_hash = world.caregiver_a.password_hash
    response = client_for(world.director).post(f"/staff/{world.caregiver_a.id}/password", {"new_password": "short"})
    assert response.status_code == 400
    assert "Use at least 10 characters." in response.text
    fresh(session)
    assert session.get(Person, world.caregiver_a.id).password_hash == old_hash


# --- parent sign-ins -----------------------------------------------------------


def test_director_creates_a_parent_sign_in_for_a_guardian(world, client_for, anonymous, session):
    guardian = f.make_guardian(session, world.child_x, "王爸爸", relation="父亲", phone="13611112222")
    session.commit()
    director = client_for(world.director)
    page = director.get(f"/guardians/{guardian.id}/account")
    assert "Create a parent sign-in" in page.text and "王小明" in page.text

    response = director.post(f"/guardians/{guardian.id}/account", {"username": "wang.dad", "password": "family-secret-1"})
    assert response.status_code == 303
    person = session.exec(select(Person).where(Person.username == "wang.dad")).one()
    assert person.guardian_id == guardian.id and person.full_name == "王爸爸"
    assert roles_of(session, person.id) == {Role.parent}
    assert "parent_account_created" in audit_actions(session)

    assert "wang.dad" in director.get(f"/guardians/{guardian.id}/account").text
    again = director.post(f"/guardians/{guardian.id}/account", {"username": "wang.dad2", "password": "family-secret-1"})
    assert again.status_code == 303
    assert session.exec(select(func.count()).select_from(Person).where(Person.guardian_id == guardian.id)).one() == 1

    signed_in = anonymous.post("/login", {"username": "wang.dad", "password": "family-secret-1"})
    assert signed_in.headers["location"] == "/family"


def test_the_existing_parent_sign_in_is_shown(world, client_for):
    page = client_for(world.director).get(f"/guardians/{world.guardian_x.id}/account")
    assert "parent_x" in page.text
    assert "Create a parent sign-in" not in page.text


@pytest.mark.parametrize(
    "data, message",
    [
        ({"username": "parent_y", "password": "family-secret-1"}, "This username is taken"),
        ({"username": "ok.name", "password": "short"}, "Use at least 10 characters."),
        ({"username": "", "password": "family-secret-1"}, "This field is required."),
    ],
)
def test_bad_parent_sign_in_is_refused(world, client_for, session, data, message):
    guardian = f.make_guardian(session, world.child_x, "王爸爸", relation="父亲")
    session.commit()
    response = client_for(world.director).post(f"/guardians/{guardian.id}/account", data)
    assert response.status_code == 400
    assert message in response.text
    assert session.exec(select(func.count()).select_from(Person).where(Person.guardian_id == guardian.id)).one() == 0


def test_a_parent_sign_in_can_be_deactivated_from_the_guardian_page(world, client_for, session):
    response = client_for(world.director).post(f"/staff/{world.parent_x.id}/deactivate", {"reason": "监护权变更"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/guardians/{world.guardian_x.id}/account?saved=deactivated"
    fresh(session)
    assert not session.get(Person, world.parent_x.id).active
    assert client_for(world.parent_x).get("/family").status_code == 303


@pytest.mark.parametrize("url", ["/staff/{carer}/deactivate", "/staff/{carer}/reactivate", "/staff/{carer}/password"])
def test_account_actions_refuse_get(world, client_for, url):
    assert client_for(world.director).get(url.format(carer=world.caregiver_a.id)).status_code == 405
