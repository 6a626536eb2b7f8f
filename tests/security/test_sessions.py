"""Sessions and sign-in, attacked: revocation, fixation, time-outs, cookie flags, throttling by account and by address.

(tests/security/conftest.py freezes the clock at 10:30 for the module: time moves only where a test moves it.)
"""

from datetime import timedelta
from http.cookies import SimpleCookie

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import select

from nursery_ops.auth import csrf
from nursery_ops.auth.access import SESSION_COOKIE
from nursery_ops.auth.models import LoginFailure, LoginSession, Role
from nursery_ops.auth.service import token_digest
from nursery_ops.clock import utcnow
from nursery_ops.settings import get_settings
from nursery_ops.templating import LOCALE_COOKIE
from tests import factories as f

CSRF_VALUE = "sessions-csrf-cookie"
THROTTLED = "Too many failed sign-ins. Wait 15 minutes and try again."


class Browser:
    """A browser at one network address (sign-in throttling counts by address)."""

    def __init__(self, app, address: str = "203.0.113.7", base_url: str = "http://testserver"):
        self.http = TestClient(app, base_url=base_url, follow_redirects=False, client=(address, 50000))
        self.http.cookies.set(csrf.COOKIE, CSRF_VALUE, domain="testserver.local")
        self.http.cookies.set(LOCALE_COOKIE, "en", domain="testserver.local")

    def post(self, url: str, data: dict | None = None):
        token = csrf._sign(self.http.cookies.get(csrf.COOKIE))
        return self.http.post(url, data={"csrf_token": token, **(data or {})})

    def sign_in(self, username: str, password: str = f.PASSWORD):
        return self.post("/login", {"username": username, "password": password})

    def signed_in(self) -> bool:
        return self.http.get("/account/password").status_code == 200


def cookie_attributes(response, name: str) -> dict:
    """The attributes of the Set-Cookie header for `name` (lower-case keys; flags map to True)."""
    for header in response.headers.get_list("set-cookie"):
        parsed = SimpleCookie()
        parsed.load(header)
        if name in parsed:
            morsel = parsed[name]
            found = {key: morsel[key] for key in morsel.keys() if morsel[key]}
            # SimpleCookie keeps a flag as True only when present.
            found.update({flag: True for flag in ("httponly", "secure") if flag in header.lower().split("; ")})
            return {**found, "value": morsel.value}
    raise AssertionError(f"no Set-Cookie for {name}: {response.headers.get_list('set-cookie')}")


def live_sessions(session, person_id: int) -> list[LoginSession]:
    session.rollback()  # ends the read transaction: see what the app committed since
    return list(session.exec(
        select(LoginSession).where(LoginSession.person_id == person_id, LoginSession.revoked_at.is_(None))
    ).all())


@pytest.fixture
def people(session):
    director = f.make_person(session, "director", Role.director, full_name="李园长")
    caregiver = f.make_person(session, "carer", Role.caregiver, full_name="张老师")
    session.commit()
    return director, caregiver


# ---------------------------------------------------------------- revocation


def test_signing_out_ends_the_session_on_the_server_not_only_in_the_browser(app, people, session):
    director, _ = people
    browser = Browser(app)
    assert browser.sign_in("director").status_code == 303
    token = browser.http.cookies.get(SESSION_COOKIE)
    assert browser.post("/logout").status_code == 303
    assert live_sessions(session, director.id) == []
    # A copy of the cookie taken before signing out opens nothing.
    thief = Browser(app, "198.51.100.9")
    thief.http.cookies.set(SESSION_COOKIE, token, domain="testserver.local")
    assert thief.http.get("/director").headers["location"] == "/login?next=/director"


def test_changing_the_password_signs_out_every_other_device_and_keeps_this_one(app, people, session):
    director, _ = people
    here, office, phone = Browser(app), Browser(app, "198.51.100.2"), Browser(app, "198.51.100.3")
    for browser in (here, office, phone):
        assert browser.sign_in("director").status_code == 303
    response = here.post("/account/password", {"current_password": f.PASSWORD, "new_password": "another-pass-77",
                                               "confirm_password": "another-pass-77"})
    assert response.status_code == 200
    assert here.signed_in() and not office.signed_in() and not phone.signed_in()
    assert [row.token_hash for row in live_sessions(session, director.id)] == [
        token_digest(here.http.cookies.get(SESSION_COOKIE))]


def test_a_password_reset_by_the_director_signs_the_person_out_everywhere(app, people, session):
    _, caregiver = people
    director_browser, tablet = Browser(app), Browser(app, "198.51.100.4")
    director_browser.sign_in("director")
    tablet.sign_in("carer")
    response = director_browser.post(f"/staff/{caregiver.id}/password", {"new_password": "reset-by-boss-1"})
    assert response.status_code == 303
    assert not tablet.signed_in() and live_sessions(session, caregiver.id) == []
    assert director_browser.signed_in()


@pytest.mark.parametrize(("action", "form"), [
    ("deactivate", {"reason": "离职"}),
    ("bar", {"bar_reason": "伤害儿童", "confirm": "on"}),
])
def test_deactivating_or_barring_an_account_signs_it_out_on_every_device(app, people, session, action, form):
    _, caregiver = people
    director_browser = Browser(app)
    director_browser.sign_in("director")
    tablets = [Browser(app, f"198.51.100.{n}") for n in (10, 11)]
    for tablet in tablets:
        assert tablet.sign_in("carer").status_code == 303
    assert director_browser.post(f"/staff/{caregiver.id}/{action}", form).status_code == 303
    assert [tablet.signed_in() for tablet in tablets] == [False, False]
    assert live_sessions(session, caregiver.id) == []
    # And the password no longer signs in.
    assert Browser(app, "198.51.100.12").sign_in("carer").status_code == 400


# ---------------------------------------------------------------- the session id


def test_signing_in_gives_a_new_session_id_and_ends_the_one_the_browser_had(app, people, session):
    director, _ = people
    browser = Browser(app)
    browser.sign_in("director")
    first = browser.http.cookies.get(SESSION_COOKIE)
    browser.sign_in("director")
    second = browser.http.cookies.get(SESSION_COOKIE)
    assert first != second
    assert [row.token_hash for row in live_sessions(session, director.id)] == [token_digest(second)]


def test_a_session_id_planted_before_sign_in_is_never_adopted(app, people, session):
    director, _ = people
    browser = Browser(app)
    browser.http.cookies.set(SESSION_COOKIE, "planted-by-someone-else", domain="testserver.local")
    csrf_before = browser.http.cookies.get(csrf.COOKIE)
    response = browser.sign_in("director")
    assert cookie_attributes(response, SESSION_COOKIE)["value"] != "planted-by-someone-else"
    # The CSRF value changes at sign-in too: a token read before it is worth nothing after.
    assert cookie_attributes(response, csrf.COOKIE)["value"] != csrf_before
    assert session.get(LoginSession, token_digest("planted-by-someone-else")) is None


def test_only_the_hash_of_the_session_id_is_stored(app, people, session):
    director, _ = people
    browser = Browser(app)
    browser.sign_in("director")
    token = browser.http.cookies.get(SESSION_COOKIE)
    [row] = live_sessions(session, director.id)
    assert row.token_hash == token_digest(token) != token


# ---------------------------------------------------------------- time-outs


@pytest.mark.parametrize(
    ("idle", "age", "signed_in"),
    [
        (timedelta(minutes=119, seconds=59), timedelta(hours=2), True),   # idle limit 120 min
        (timedelta(minutes=120, seconds=1), timedelta(hours=2), False),
        (timedelta(minutes=1), timedelta(hours=11, minutes=59), True),    # absolute limit 12 h
        (timedelta(minutes=1), timedelta(hours=12, seconds=1), False),
    ],
)
def test_a_session_ends_after_two_idle_hours_or_twelve_hours_in_all(app, people, session, idle, age, signed_in):
    director, _ = people
    browser = Browser(app)
    browser.sign_in("director")
    now = utcnow()
    session.exec(update(LoginSession).values(last_seen_at=now - idle, created_at=now - age))
    session.commit()
    assert browser.signed_in() is signed_in


def test_using_the_app_keeps_a_session_alive_but_not_past_twelve_hours(app, people, session):
    director, _ = people
    browser = Browser(app)
    browser.sign_in("director")
    now = utcnow()
    session.exec(update(LoginSession).values(last_seen_at=now - timedelta(minutes=100)))
    session.commit()
    assert browser.signed_in()
    [row] = live_sessions(session, director.id)
    assert row.last_seen_at == now  # the request counted as activity
    session.exec(update(LoginSession).values(created_at=now - timedelta(hours=12, minutes=1)))
    session.commit()
    assert not browser.signed_in()


# ---------------------------------------------------------------- cookie flags


def test_the_session_cookie_is_http_only_same_site_lax_for_the_whole_site_and_not_secure_over_plain_http(app, people):
    response = Browser(app).sign_in("director")
    cookie = cookie_attributes(response, SESSION_COOKIE)
    assert cookie["httponly"] is True and cookie["samesite"].lower() == "lax" and cookie["path"] == "/"
    assert "secure" not in cookie  # COOKIE_SECURE is off: a plain-HTTP install would otherwise lose every sign-in
    assert int(cookie["max-age"]) == get_settings().session_absolute_hours * 3600
    csrf_cookie = cookie_attributes(response, csrf.COOKIE)
    assert csrf_cookie["httponly"] is True and csrf_cookie["samesite"].lower() == "lax" and csrf_cookie["path"] == "/"


def test_behind_https_every_sign_in_cookie_is_secure_and_browsers_are_told_to_stay_on_https(app, people, monkeypatch):
    monkeypatch.setattr(get_settings(), "cookie_secure", True)
    browser = Browser(app, base_url="https://testserver")
    response = browser.sign_in("director")
    for name in (SESSION_COOKIE, csrf.COOKIE):
        assert cookie_attributes(response, name)["secure"] is True, name
    assert response.headers["strict-transport-security"].startswith("max-age=")
    signed_out = browser.post("/logout")
    assert cookie_attributes(signed_out, SESSION_COOKIE)["secure"] is True


def test_signing_out_clears_the_session_cookie(app, people):
    browser = Browser(app)
    browser.sign_in("director")
    response = browser.post("/logout")
    cleared = cookie_attributes(response, SESSION_COOKIE)
    assert cleared["value"] == "" and int(cleared["max-age"]) == 0 and cleared["path"] == "/"


# ---------------------------------------------------------------- throttling


@pytest.fixture
def few_tries(monkeypatch):
    """Two failures per account (so eight per address): each wrong password costs an argon2 hash."""
    monkeypatch.setattr(get_settings(), "login_max_failures", 2)


def test_many_usernames_tried_from_one_address_are_throttled_for_that_address(app, people, session, few_tries):
    limit = get_settings().login_max_failures * 4  # a shared nursery Wi-Fi gets 4 accounts' worth
    attacker = Browser(app, "203.0.113.66")
    for n in range(limit):
        assert attacker.sign_in(f"guess{n}", "wrong-password").status_code == 400
    response = attacker.sign_in("director")  # even a right password, from this address
    assert response.status_code == 429 and THROTTLED in response.text
    assert 'name="username"' in response.text  # the form again, not a bare error
    assert SESSION_COOKIE not in response.cookies
    # The account itself is not locked: from another address the director signs in.
    assert Browser(app, "198.51.100.20").sign_in("director").status_code == 303


def test_one_username_tried_from_many_addresses_is_throttled_for_that_account(app, people, session, few_tries):
    limit = get_settings().login_max_failures
    for n in range(limit):
        assert Browser(app, f"192.0.2.{n + 1}").sign_in("director", "wrong-password").status_code == 400
    response = Browser(app, "192.0.2.200").sign_in("director")
    assert response.status_code == 429 and THROTTLED in response.text
    # Other accounts from the same addresses are not affected.
    assert Browser(app, "192.0.2.1").sign_in("carer").status_code == 303


def test_one_ipv6_line_counts_as_one_address_however_many_addresses_it_steps_through(app, people, session, few_tries):
    limit = get_settings().login_max_failures * 4
    for n in range(limit):
        Browser(app, f"2001:db8:1:2::{n + 1:x}").sign_in(f"guess{n}", "wrong-password")
    assert Browser(app, "2001:db8:1:2:ffff::1").sign_in("director").status_code == 429
    assert Browser(app, "2001:db8:1:3::1").sign_in("director").status_code == 303  # another /64


def test_the_pause_ends_after_the_lockout_window(app, people, session, few_tries):
    browser = Browser(app)
    for _ in range(get_settings().login_max_failures):
        browser.sign_in("director", "wrong-password")
    assert browser.sign_in("director").status_code == 429
    window = timedelta(minutes=get_settings().login_lockout_minutes)
    session.exec(update(LoginFailure).values(at=utcnow() - window - timedelta(seconds=1)))
    session.commit()
    assert browser.sign_in("director").status_code == 303


def test_a_successful_sign_in_forgives_the_accounts_earlier_failures(app, people, session, few_tries):
    browser = Browser(app)
    for _ in range(get_settings().login_max_failures - 1):
        browser.sign_in("director", "wrong-password")
    assert browser.sign_in("director").status_code == 303
    assert session.exec(select(LoginFailure).where(LoginFailure.username == "director")).all() == []
