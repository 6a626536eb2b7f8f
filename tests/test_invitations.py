"""Parent invitations: the director makes a one-time code, the guardian makes their own sign-in with it."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import func, select

from nursery_ops.audit import AuditEntry
from nursery_ops.auth.access import SESSION_COOKIE
from nursery_ops.auth.invitations import (
    CODE_ALPHABET,
    CODE_MESSAGES,
    CODE_LENGTH,
    InvitationState,
    ParentInvitation,
    accept as accept_invitation,
    check_code,
    code_digest,
    invite,
    new_code,
    normalise_code,
    state_of,
    throttle_key,
)
from nursery_ops.auth.models import LoginSession, Person, Role
from nursery_ops.auth.service import CurrentPerson, token_digest
from nursery_ops.children.models import ChildGuardian
from nursery_ops.forms import Refused
from nursery_ops.policy import PolicyOverride
from nursery_ops.settings import get_settings
from tests import factories as f

PASSWORD = "family-secret-1"
NOON = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)


# ---------------------------------------------------------------- rules


def invitation_at(expires_at=NOON, **fields) -> ParentInvitation:
    return ParentInvitation(guardian_id=1, code_hash="x", created_by_id=1, expires_at=expires_at, **fields)


@pytest.mark.parametrize(
    ("fields", "now", "state"),
    [
        ({}, NOON - timedelta(seconds=1), InvitationState.pending),
        ({}, NOON, InvitationState.expired),
        ({}, NOON + timedelta(days=1), InvitationState.expired),
        ({"used_at": NOON - timedelta(hours=1)}, NOON - timedelta(minutes=1), InvitationState.used),
        ({"used_at": NOON - timedelta(hours=1)}, NOON + timedelta(days=1), InvitationState.used),
        ({"revoked_at": NOON - timedelta(hours=1)}, NOON - timedelta(minutes=1), InvitationState.revoked),
    ],
)
def test_an_invitation_is_pending_until_the_second_it_expires_unless_used_or_revoked(fields, now, state):
    assert state_of(invitation_at(**fields), now) is state


@pytest.mark.parametrize(
    ("typed", "code"),
    [("K7PMQ-4XR2T", "K7PMQ4XR2T"), (" k7pmq 4xr2t ", "K7PMQ4XR2T"), ("k7pmq4xr2t", "K7PMQ4XR2T")],
)
def test_a_typed_code_ignores_case_spaces_and_dashes(typed, code):
    assert normalise_code(typed) == code


def test_codes_are_ten_characters_that_cannot_be_misread():
    codes = {new_code() for _ in range(50)}
    assert len(codes) == 50
    assert all(len(code) == CODE_LENGTH and set(code) <= set(CODE_ALPHABET) for code in codes)
    assert not set("01ILO") & set(CODE_ALPHABET)


# ---------------------------------------------------------------- helpers


def acting(person: Person, *roles: Role) -> CurrentPerson:
    return CurrentPerson(person=person, roles=frozenset(roles), session_token_hash="")


@pytest.fixture
def new_guardian(session, world):
    """王爸爸, the second guardian of child X, without a sign-in yet."""
    guardian = f.make_guardian(session, world.child_x, "王爸爸", relation="父亲", phone="13611112222")
    session.commit()
    return guardian


def make_code(session, world, guardian) -> str:
    _invitation, code = invite(session, acting(world.director, Role.director), guardian)
    return code


def accept(client, code, username="wang.dad", password=PASSWORD, confirm=None):
    return client.post(f"/invite/{code}", {"username": username, "password": password,
                                           "confirm_password": password if confirm is None else confirm})


def fresh(session):
    """End the test's read transaction: the app's commits since are seen."""
    session.rollback()
    session.expire_all()


def count(session, model, *where) -> int:
    fresh(session)
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


# ---------------------------------------------------------------- the director's side


def test_director_invites_a_guardian_and_sees_the_code_once(world, client_for, session, new_guardian):
    director = client_for(world.director)
    page = director.get(f"/guardians/{new_guardian.id}/account")
    assert page.status_code == 200 and "Make an invitation code" in page.text

    response = director.post(f"/guardians/{new_guardian.id}/invitation")
    assert response.status_code == 200
    shown = re.search(r"<strong>([A-Z0-9]{5})-([A-Z0-9]{5})</strong>", response.text)
    code = shown.group(1) + shown.group(2)
    assert f"/invite/{code}" in response.text

    fresh(session)
    [invitation] = session.exec(select(ParentInvitation)).all()
    assert invitation.guardian_id == new_guardian.id and invitation.code_hash == code_digest(code)
    assert invitation.expires_at - invitation.created_at == timedelta(hours=72)
    # Shown once: the page afterwards lists the invitation, not its code.
    again = director.get(f"/guardians/{new_guardian.id}/account").text
    assert code not in again and shown.group(1) not in again and "Waiting to be used" in again
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "parent_invitation_created")).one()
    assert entry.actor_id == world.director.id and "code_hash" not in entry.after


def test_the_code_stays_valid_for_the_hours_the_policy_says(world, session, new_guardian):
    session.add(PolicyOverride(key="invitation_valid_hours", value="24", reason="local rule"))
    session.commit()
    invitation, _code = invite(session, acting(world.director, Role.director), new_guardian)
    assert invitation.expires_at - invitation.created_at == timedelta(hours=24)


def test_a_new_invitation_revokes_the_previous_code(world, client_for, anonymous, session, new_guardian):
    first = make_code(session, world, new_guardian)
    second = make_code(session, world, new_guardian)
    old = anonymous.get(f"/invite/{first}")
    assert old.status_code == 400 and "withdrawn by the nursery" in old.text
    assert anonymous.get(f"/invite/{second}").status_code == 200
    assert count(session, AuditEntry, AuditEntry.action == "parent_invitation_revoked") == 1


def test_the_director_withdraws_a_code(world, client_for, anonymous, session, new_guardian):
    code = make_code(session, world, new_guardian)
    invitation = session.exec(select(ParentInvitation)).one()
    response = client_for(world.director).post(f"/guardians/{new_guardian.id}/invitations/{invitation.id}/revoke")
    assert response.status_code == 303
    assert response.headers["location"] == f"/guardians/{new_guardian.id}/account?saved=revoked"
    refused = accept(anonymous, code)
    assert refused.status_code == 400 and "withdrawn by the nursery" in refused.text
    assert count(session, Person, Person.guardian_id == new_guardian.id) == 0
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "parent_invitation_revoked")).one()
    assert entry.actor_id == world.director.id and entry.before["revoked_at"] is None and entry.after["revoked_at"]


def test_another_guardians_invitation_cannot_be_withdrawn_through_this_guardian(world, client_for, session, new_guardian):
    make_code(session, world, new_guardian)
    invitation = session.exec(select(ParentInvitation)).one()
    response = client_for(world.director).post(f"/guardians/{world.guardian_y.id}/invitations/{invitation.id}/revoke")
    assert response.status_code == 404
    fresh(session)
    assert session.get(ParentInvitation, invitation.id).revoked_at is None


def test_a_guardian_who_has_a_sign_in_is_not_invited_again(world, client_for, session):
    response = client_for(world.director).post(f"/guardians/{world.guardian_x.id}/invitation")
    assert response.status_code == 400
    assert "already has a sign-in" in response.text and "Reset its password" in response.text
    assert count(session, ParentInvitation) == 0


@pytest.mark.parametrize("who", ["caregiver_a", "health", "parent_x"])
def test_only_the_director_invites_or_withdraws(world, client_for, session, new_guardian, who):
    make_code(session, world, new_guardian)
    invitation = session.exec(select(ParentInvitation)).one()
    client = client_for(getattr(world, who))
    assert client.post(f"/guardians/{new_guardian.id}/invitation").status_code == 403
    assert client.post(f"/guardians/{new_guardian.id}/invitations/{invitation.id}/revoke").status_code == 403
    assert count(session, ParentInvitation) == 1
    assert session.get(ParentInvitation, invitation.id).revoked_at is None


def test_inviting_needs_the_form_token(world, client_for, session, new_guardian):
    response = client_for(world.director).post(f"/guardians/{new_guardian.id}/invitation", csrf_token=False)
    assert response.status_code == 403
    assert count(session, ParentInvitation) == 0


# ---------------------------------------------------------------- the guardian's side


def test_the_invitation_page_works_without_signing_in_and_carries_the_form_token(anonymous):
    page = anonymous.get("/invite")
    assert page.status_code == 200
    assert 'name="code"' in page.text and 'name="csrf_token"' in page.text


def test_the_guardian_makes_a_sign_in_with_the_code_and_lands_on_the_family_page(
    world, client_for, anonymous, session, new_guardian
):
    code = make_code(session, world, new_guardian)
    typed = anonymous.post("/invite", {"code": f"{code[:5].lower()}-{code[5:]}"})
    assert typed.status_code == 303 and typed.headers["location"] == f"/invite/{code}"
    form = anonymous.get(f"/invite/{code}")
    assert form.status_code == 200 and "Welcome, 王爸爸" in form.text and 'name="csrf_token"' in form.text
    # The page names the guardian only: nothing of the child before the sign-in exists.
    assert "王小明" not in form.text

    response = accept(anonymous, code, username="Wang.Dad")
    assert response.status_code == 303 and response.headers["location"] == "/family"
    token = response.cookies[SESSION_COOKIE]

    fresh(session)
    person = session.exec(select(Person).where(Person.guardian_id == new_guardian.id)).one()
    assert (person.username, person.full_name, person.phone, person.locale) == ("wang.dad", "王爸爸", "13611112222", "en")
    assert session.exec(select(LoginSession).where(LoginSession.person_id == person.id)).one().token_hash == token_digest(token)
    invitation = session.exec(select(ParentInvitation)).one()
    assert invitation.used_at is not None and invitation.used_by_id == person.id

    family = anonymous.get("/family")
    assert family.status_code == 200 and "王小明" in family.text
    actions = set(session.exec(select(AuditEntry.action).where(AuditEntry.actor_id == person.id)).all())
    assert actions == {"parent_invitation_used", "parent_account_created", "signed_in"}
    # The new password signs in later.
    assert client_for(None).post("/login", {"username": "wang.dad", "password": PASSWORD}).status_code == 303


def test_accepting_rotates_an_existing_session(world, client_for, session, new_guardian):
    code = make_code(session, world, new_guardian)
    browser = client_for(world.parent_x)  # another family member's phone, still signed in
    old_token = browser.http.cookies.get(SESSION_COOKIE)
    response = accept(browser, code)
    assert response.status_code == 303 and response.cookies[SESSION_COOKIE] != old_token
    fresh(session)
    old = session.exec(select(LoginSession).where(LoginSession.token_hash == token_digest(old_token))).one()
    assert old.revoked_at is not None


def test_a_used_code_cannot_be_used_again(world, client_for, anonymous, session, new_guardian):
    code = make_code(session, world, new_guardian)
    assert accept(anonymous, code).status_code == 303
    again = accept(client_for(None), code, username="someone.else")
    assert again.status_code == 400 and "already been used" in again.text
    assert client_for(None).get(f"/invite/{code}").status_code == 400
    assert count(session, Person, Person.guardian_id == new_guardian.id) == 1


def test_the_code_works_until_its_expiry_and_not_at_it(world, client_for, session, new_guardian, morning_clock):
    code = make_code(session, world, new_guardian)
    invitation = session.exec(select(ParentInvitation)).one()
    morning_clock.move_to(invitation.expires_at - timedelta(seconds=2), tick=False)
    assert client_for(None).get(f"/invite/{code}").status_code == 200
    morning_clock.move_to(invitation.expires_at, tick=False)
    expired = accept(client_for(None), code)
    assert expired.status_code == 400 and "has expired" in expired.text
    assert count(session, Person, Person.guardian_id == new_guardian.id) == 0


def test_a_code_made_after_a_direct_sign_in_is_refused_kindly(world, client_for, anonymous, session, new_guardian):
    code = make_code(session, world, new_guardian)
    f.make_person(session, "wang.dad", Role.parent, guardian_id=new_guardian.id)
    session.commit()
    response = accept(anonymous, code, username="wang.dad2")
    assert response.status_code == 400 and "already has a sign-in" in response.text


@pytest.mark.parametrize(
    ("username", "password", "confirm", "field", "message"),
    [
        ("wang dad", PASSWORD, None, "username", "Use 3 to 64 letters"),
        ("wang.dad", "short", None, "password", "Use at least 10 characters."),
        ("wang.dad", PASSWORD, "family-secret-2", "confirm_password", "The two passwords differ."),
        ("parent_x", PASSWORD, None, "username", "This username is taken"),
    ],
)
def test_a_bad_sign_in_is_refused_next_to_its_field_and_the_code_still_works(
    world, anonymous, session, new_guardian, username, password, confirm, field, message
):
    code = make_code(session, world, new_guardian)
    response = accept(anonymous, code, username=username, password=password, confirm=confirm)
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.text and message in response.text
    assert count(session, Person, Person.guardian_id == new_guardian.id) == 0
    assert session.exec(select(ParentInvitation)).one().used_at is None
    assert accept(anonymous, code).status_code == 303


@pytest.mark.parametrize("code", ["K7PMQ4XR2T", "not-a-code", "0000000000"])
def test_an_unknown_code_gets_a_clear_message(anonymous, code):
    for response in (anonymous.post("/invite", {"code": code}), anonymous.get(f"/invite/{code}"), accept(anonymous, code)):
        assert response.status_code == 400
        assert "This code is not known" in response.text and 'name="code"' in response.text


def test_an_empty_code_is_asked_for_again(anonymous):
    response = anonymous.post("/invite", {"code": ""})
    assert response.status_code == 400 and "This field is required." in response.text


def test_wrong_codes_are_throttled_per_address(world, anonymous, client_for, session, new_guardian):
    code = make_code(session, world, new_guardian)
    for attempt in range(5):
        assert anonymous.post("/invite", {"code": f"AAAAAAAAA{CODE_ALPHABET[attempt]}"}).status_code == 400
    # Even the right code waits now, from this address, until the window passes.
    throttled = accept(client_for(None), code)
    assert throttled.status_code == 429 and "Too many wrong codes. Wait 15 minutes" in throttled.text
    assert client_for(None).get(f"/invite/{code}").status_code == 429
    assert count(session, Person, Person.guardian_id == new_guardian.id) == 0


def test_the_invitation_pages_speak_chinese_without_a_crash(world, client_for, session, new_guardian):
    chinese = client_for(None, locale="zh_CN")
    assert chinese.get("/invite").status_code == 200
    assert chinese.post("/invite", {"code": "K7PMQ4XR2T"}).status_code == 400


def test_a_guardian_who_may_not_view_the_child_is_invited_but_sees_nothing_of_it(
    world, client_for, anonymous, session
):
    guardian = f.make_guardian(session, world.child_x, "王爸爸", relation="父亲", phone="13611112222", may_view=False)
    session.commit()
    code = make_code(session, world, guardian)
    assert accept(anonymous, code).status_code == 303
    family = anonymous.get("/family")
    assert family.status_code == 200 and "王小明" not in family.text
    assert anonymous.get(f"/family/children/{world.child_x.id}/export").status_code == 404
    link = session.exec(select(ChildGuardian).where(ChildGuardian.guardian_id == guardian.id)).one()
    assert link.may_view is False


# ---------------------------------------------------------------- hardening


def test_the_stored_digest_is_keyed_so_a_copy_of_the_database_alone_cannot_be_searched(
    world, session, new_guardian, monkeypatch
):
    code = make_code(session, world, new_guardian)
    stored = session.exec(select(ParentInvitation)).one().code_hash
    assert stored != token_digest(code)  # not the plain SHA-256 a GPU searches in a day
    assert check_code(session, code)[2] is None
    # Under another installation's key the same code is simply not known.
    monkeypatch.setattr(get_settings(), "secret_key", "another-key")
    assert check_code(session, code)[0] is None


def test_two_submissions_of_one_code_make_exactly_one_account(world, engine, session, new_guardian):
    """Both were checked while the code was still unused (a double tap, two tabs); only the first counts."""
    from sqlmodel import Session

    code = make_code(session, world, new_guardian)
    with Session(engine) as first, Session(engine) as second:
        invitation, guardian, _ = check_code(first, code)
        stale_invitation, stale_guardian, message = check_code(second, code)
        assert message is None
        second.expunge_all()  # keep what it read: it was checked before the first one committed
        second.rollback()
        accept_invitation(first, invitation, guardian, username="wang.dad", password=PASSWORD, locale=None)
        first.commit()
        with pytest.raises(Refused) as refused:
            accept_invitation(second, stale_invitation, stale_guardian, username="wang.dad2", password=PASSWORD,
                              locale=None)
        assert refused.value.errors == {"__all__": CODE_MESSAGES[InvitationState.used]}
    assert count(session, Person, Person.guardian_id == new_guardian.id) == 1
    assert count(session, Person, Person.username == "wang.dad2") == 0


def test_a_username_taken_in_the_same_instant_is_refused_next_to_the_field_and_the_code_kept(
    world, engine, session, new_guardian, monkeypatch
):
    from sqlmodel import Session

    from nursery_ops.staff import service as staff_service

    code = make_code(session, world, new_guardian)
    # The other guardian's account appears between the check and the insert: the unique index refuses it.
    monkeypatch.setattr(staff_service, "_username_taken", lambda _session, _username: False)
    with Session(engine) as writer:
        invitation, guardian, _ = check_code(writer, code)
        with pytest.raises(Refused) as refused:
            accept_invitation(writer, invitation, guardian, username="parent_x", password=PASSWORD, locale=None)
    assert refused.value.errors == {"username": "This username is taken; choose another."}
    fresh(session)
    assert session.exec(select(ParentInvitation)).one().used_at is None


@pytest.mark.parametrize("step", ["code", "sign-in"])
def test_the_public_invitation_forms_refuse_a_post_without_the_form_token(world, anonymous, session, new_guardian, step):
    code = make_code(session, world, new_guardian)
    if step == "code":
        response = anonymous.post("/invite", {"code": code}, csrf_token=False)
    else:
        response = anonymous.post(f"/invite/{code}", {"username": "wang.dad", "password": PASSWORD,
                                                     "confirm_password": PASSWORD}, csrf_token=False)
    assert response.status_code == 403
    assert count(session, Person, Person.guardian_id == new_guardian.id) == 0
    assert session.exec(select(ParentInvitation)).one().used_at is None


def test_a_code_serves_only_the_guardian_it_was_made_for(world, anonymous, session, new_guardian):
    code = make_code(session, world, new_guardian)
    assert accept(anonymous, code).status_code == 303
    fresh(session)
    person = session.exec(select(Person).where(Person.username == "wang.dad")).one()
    assert person.guardian_id == new_guardian.id and person.full_name == "王爸爸"


def test_wrong_codes_from_one_address_do_not_hold_up_another(world, client_for, session, new_guardian, monkeypatch):
    from nursery_ops.auth import invitation_routes

    code = make_code(session, world, new_guardian)
    monkeypatch.setattr(invitation_routes, "_address", lambda _request: "203.0.113.7")
    guesser = client_for(None)
    for attempt in range(5):
        guesser.post("/invite", {"code": f"AAAAAAAAA{CODE_ALPHABET[attempt]}"})
    assert guesser.post("/invite", {"code": code}).status_code == 429
    monkeypatch.setattr(invitation_routes, "_address", lambda _request: "198.51.100.9")
    assert accept(client_for(None), code).status_code == 303


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("unknown", "unknown"),
    ],
)
def test_wrong_codes_are_counted_per_ipv4_address_and_per_ipv6_64_block(address, key):
    assert throttle_key(address) == key


def test_stepping_to_another_address_in_the_same_ipv6_block_does_not_escape_the_throttle(
    world, client_for, session, new_guardian, monkeypatch
):
    from nursery_ops.auth import invitation_routes

    code = make_code(session, world, new_guardian)
    for attempt in range(5):
        monkeypatch.setattr(invitation_routes, "_address", lambda _request, n=attempt: f"2001:db8:1:2::{n + 1}")
        client_for(None).post("/invite", {"code": f"AAAAAAAAA{CODE_ALPHABET[attempt]}"})
    monkeypatch.setattr(invitation_routes, "_address", lambda _request: "2001:db8:1:2::99")
    assert accept(client_for(None), code).status_code == 429


def test_the_sign_in_page_shows_a_parent_with_a_code_where_to_type_it(anonymous):
    page = anonymous.get("/login").text
    assert 'href="/invite"' in page and "invitation code" in page
