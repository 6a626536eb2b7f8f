"""Sign-in, sessions, sign-out, throttling, passwords and CSRF."""

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

from nursery_ops.audit import AuditEntry
from nursery_ops.auth.access import SESSION_COOKIE
from nursery_ops.auth.models import LoginSession, Person, Role
from nursery_ops.auth.service import token_digest
from nursery_ops.clock import utcnow
from tests import factories as f


@pytest.fixture
def director(session):
    person = f.make_person(session, "director", Role.director, full_name="李园长")
    session.commit()
    return person


def sign_in(client, username="director", password=f.PASSWORD, **extra):
    return client.post("/login", {"username": username, "password": password, **extra})


def live_sessions(session, person_id):
    session.expire_all()
    return session.exec(
        select(LoginSession).where(LoginSession.person_id == person_id, LoginSession.revoked_at.is_(None))
    ).all()


def test_sign_in_starts_a_server_side_session_and_goes_home(anonymous, director, session):
    response = sign_in(anonymous)
    assert response.status_code == 303
    assert response.headers["location"] == "/director"
    token = response.cookies[SESSION_COOKIE]
    cookie_header = response.headers["set-cookie"].lower()
    assert "httponly" in cookie_header and "samesite=lax" in cookie_header
    [login] = live_sessions(session, director.id)
    # Only the hash of the token is stored.
    assert login.token_hash == token_digest(token) and token not in login.token_hash
    assert anonymous.get("/account/password").status_code == 200


def test_sign_in_replaces_an_existing_session_id(anonymous, director, session):
    first = sign_in(anonymous).cookies[SESSION_COOKIE]
    second = sign_in(anonymous).cookies[SESSION_COOKIE]
    assert first != second
    assert [row.token_hash for row in live_sessions(session, director.id)] == [token_digest(second)]


def test_username_is_not_case_sensitive(anonymous, director):
    assert sign_in(anonymous, username="  Director ").status_code == 303


def test_sign_in_goes_back_to_the_page_asked_for_but_never_off_site(anonymous, director, client_for):
    assert sign_in(anonymous, next="/children").headers["location"] == "/children"
    assert sign_in(client_for(None), next="//evil.example/").headers["location"] == "/director"
    assert sign_in(client_for(None), next="https://evil.example/").headers["location"] == "/director"


@pytest.mark.parametrize(
    ("username", "password"),
    [("director", "wrong-password"), ("nobody", f.PASSWORD), ("director", "")],
)
def test_wrong_credentials_show_the_form_again(anonymous, director, session, username, password):
    response = sign_in(anonymous, username=username, password=password)
    assert response.status_code == 400
    assert SESSION_COOKIE not in response.cookies
    assert 'name="username"' in response.text
    assert live_sessions(session, director.id) == []


def test_a_deactivated_person_cannot_sign_in(anonymous, director, session):
    director.active = False
    session.add(director)
    session.commit()
    assert sign_in(anonymous).status_code == 400


def test_repeated_failures_are_throttled(anonymous, director):
    for _ in range(5):
        assert sign_in(anonymous, password="wrong-password").status_code == 400
    response = sign_in(anonymous)  # even the right password waits
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.text


def test_sign_out_revokes_the_session(client_for, director, session):
    client = client_for(director)
    assert client.get("/account/password").status_code == 200
    response = client.post("/logout")
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert live_sessions(session, director.id) == []
    # The old cookie no longer signs anyone in.
    client.http.cookies.set(SESSION_COOKIE, client.http.cookies.get(SESSION_COOKIE) or "")
    assert client.get("/account/password").status_code == 303


def test_a_revoked_session_cookie_is_refused(client_for, director, session):
    client = client_for(director)
    session.exec(update(LoginSession).values(revoked_at=utcnow()))
    session.commit()
    response = client.get("/account/password")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/account/password"


@pytest.mark.parametrize(
    ("idle", "age", "signed_in"),
    [
        (timedelta(minutes=119), timedelta(hours=1), True),
        (timedelta(minutes=121), timedelta(hours=3), False),
        (timedelta(minutes=5), timedelta(hours=11, minutes=59), True),
        (timedelta(minutes=5), timedelta(hours=12, minutes=1), False),
    ],
)
def test_sessions_time_out_when_idle_and_after_12_hours(client_for, director, session, idle, age, signed_in):
    client = client_for(director)
    now = utcnow()
    session.exec(update(LoginSession).values(last_seen_at=now - idle, created_at=now - age))
    session.commit()
    assert (client.get("/account/password").status_code == 200) is signed_in


def test_changing_the_password_signs_out_other_devices(client_for, director, session):
    here, elsewhere = client_for(director), client_for(director)
    response = here.post(
        "/account/password",
        {"current_password": f.PASSWORD, "new_password": "a-new-password-1", "confirm_password": "a-new-password-1"},
    )
    assert response.status_code == 200
    assert here.get("/account/password").status_code == 200
    assert elsewhere.get("/account/password").status_code == 303
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "password_changed")).first() is not None
    session.refresh(director)
    assert sign_in(client_for(None), password="a-new-password-1").status_code == 303


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"current_password": "wrong-one-xx", "new_password": "a-new-password-1", "confirm_password": "a-new-password-1"},
         "current_password", "This is not your current password."),
        ({"current_password": f.PASSWORD, "new_password": "short", "confirm_password": "short"},
         "new_password", "Use at least 10 characters."),
        ({"current_password": f.PASSWORD, "new_password": "a-new-password-1", "confirm_password": "a-new-password-2"},
         "confirm_password", "The two new passwords differ."),
    ],
)
def test_a_bad_password_change_says_why_and_changes_nothing(client_for, director, session, fields, field, message):
    before = director.password_hash
    response = client_for(director).post("/account/password", fields)
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.text and message in response.text
    session.expire_all()
    assert session.get(Person, director.id).password_hash == before


def test_a_form_without_the_csrf_token_is_refused(client_for, director, session):
    client = client_for(director)
    response = client.post("/logout", csrf_token=False)
    assert response.status_code == 403
    assert len(live_sessions(session, director.id)) == 1


def test_a_forged_csrf_token_is_refused(client_for, director):
    response = client_for(director).post("/logout", {"csrf_token": "0" * 64})
    assert response.status_code == 403


def test_htmx_sends_the_token_as_a_header(client_for, director, session):
    client = client_for(director)
    response = client.http.post("/logout", headers={"X-CSRF-Token": client.token, "HX-Request": "true"})
    assert response.status_code == 303
    assert live_sessions(session, director.id) == []


def test_the_sign_in_form_itself_needs_the_token(anonymous, director):
    assert anonymous.post("/login", {"username": "director", "password": f.PASSWORD}, csrf_token=False).status_code == 403


def test_anonymous_pages_redirect_to_sign_in_and_htmx_gets_a_redirect_header(anonymous):
    assert anonymous.get("/").headers["location"] == "/login?next=/"
    response = anonymous.htmx_get("/account/password")
    assert response.headers["HX-Redirect"] == "/login?next=/account/password"


def test_pages_carry_security_headers(anonymous):
    response = anonymous.get("/login")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"


def test_healthz_reports_the_database(anonymous, engine):
    assert anonymous.get("/healthz").json() == {"status": "ok"}
    engine.dispose()
    engine.pool._creator = lambda *a, **k: (_ for _ in ()).throw(OSError("database gone"))
    assert anonymous.get("/healthz").status_code == 503


def test_language_switch_is_remembered_for_the_person(client_for, director, session):
    client = client_for(director)
    response = client.post("/language", {"locale": "zh_CN", "next": "/account/password"})
    assert response.status_code == 303 and response.headers["location"] == "/account/password"
    session.refresh(director)
    assert director.locale == "zh_CN"
    assert "修改密码" in client.get("/account/password").text


# ---------------------------------------------------------------- what a request reads before its page


def test_the_signed_in_person_their_roles_rooms_and_the_rules_come_in_one_statement(engine, session, queries):
    from nursery_ops.auth.service import load_session, start_session
    from nursery_ops.db import open_session
    from nursery_ops.policy import PolicyOverride, load_policy
    from nursery_ops.settings import get_settings

    person = f.make_person(session, "wang", Role.caregiver, Role.health)
    rooms = [f.make_room(session, name) for name in ("小一班", "小二班", "大一班")]
    f.assign(session, rooms[0], person)
    f.assign(session, rooms[2], person)
    session.add(PolicyOverride(key="tablet_lock_minutes", value="7", reason="园所规定"))
    session.add(PolicyOverride(key="directors_need_two_step", value="yes", reason="信息安全"))
    token = start_session(session, person, "test", "127.0.0.1")
    session.commit()

    with open_session(engine, write=False) as reading, queries:
        me = load_session(reading, token, get_settings())
        policy = load_policy(reading)
    assert queries.count == 1
    assert me.roles == {Role.caregiver, Role.health}
    assert me.room_ids == {rooms[0].id, rooms[2].id}
    assert (policy.tablet_lock_minutes, policy.directors_need_two_step) == (7, True)
    assert me.login.token_hash == token_digest(token) and not me.two_step_required  # the rule asks it of directors


def test_a_person_without_roles_rooms_or_overrides_loads_with_the_defaults(engine, session):
    from nursery_ops.auth.service import load_session, start_session
    from nursery_ops.db import open_session
    from nursery_ops.policy import DEFAULT_POLICY, load_policy
    from nursery_ops.settings import get_settings

    person = f.make_person(session, "nobody")
    token = start_session(session, person, "test", "127.0.0.1")
    session.commit()
    with open_session(engine, write=False) as reading:
        me = load_session(reading, token, get_settings())
        assert (me.roles, me.room_ids) == (frozenset(), frozenset())
        assert load_policy(reading) is DEFAULT_POLICY


def test_a_rule_changed_within_the_session_is_seen_by_the_next_load(session):
    from nursery_ops.policy import PolicyOverride, load_policy

    assert load_policy(session).tablet_lock_minutes == 5
    session.add(PolicyOverride(key="tablet_lock_minutes", value="9", reason="园所规定"))
    assert load_policy(session).tablet_lock_minutes == 9  # added, not yet flushed
    session.commit()
    row = session.get(PolicyOverride, "tablet_lock_minutes")
    row.value = "11"
    assert load_policy(session).tablet_lock_minutes == 11  # changed
    session.commit()
    session.delete(row)
    assert load_policy(session).tablet_lock_minutes == 5  # deleted
    session.commit()
    assert load_policy(session).tablet_lock_minutes == 5
