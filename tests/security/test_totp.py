"""Two-step sign-in (TOTP, RFC 6238): set-up by one code, the second step after the password, replay, throttling,
the director's requirement and reset.

(tests/security/conftest.py freezes the clock for the module, so a code computed here is the server's code too.)
"""

import base64
import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import update
from sqlmodel import select

from nursery_ops.audit import AuditEntry
from nursery_ops.auth import two_step
from nursery_ops.auth.access import SESSION_COOKIE
from nursery_ops.auth.models import LoginChallenge, LoginFailure, Role, TotpCredential
from nursery_ops.clock import utcnow
from nursery_ops.settings import get_settings
from tests import factories as f
from tests.security.test_sessions import Browser, cookie_attributes, live_sessions

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def code(secret: str = SECRET, steps: int = 0) -> str:
    """The code of the current time step (`steps` later or earlier)."""
    return pyotp.TOTP(secret).generate_otp(two_step.time_step(utcnow()) + steps)


def enable(session, person, secret: str = SECRET) -> TotpCredential:
    credential = TotpCredential(person_id=person.id, secret_encrypted=two_step.encrypt_secret(secret, person.id),
                                confirmed_at=utcnow())
    session.add(credential)
    session.commit()
    return credential


def actions(session) -> list[str]:
    session.rollback()  # ends the read transaction: see what the app committed since
    return list(session.exec(select(AuditEntry.action).order_by(AuditEntry.id)).all())


@pytest.fixture
def people(session):
    director = f.make_person(session, "director", Role.director, full_name="李园长")
    caregiver = f.make_person(session, "carer", Role.caregiver, full_name="张老师")
    parent = f.make_person(session, "parent", Role.parent, full_name="王妈妈")
    session.commit()
    return director, caregiver, parent


def sign_in_with_code(app, username: str, typed: str, address: str = "203.0.113.7"):
    browser = Browser(app, address)
    first = browser.sign_in(username)
    assert first.status_code == 303 and first.headers["location"] == "/login/code", first.text
    return browser, browser.post("/login/code", {"code": typed})


# ---------------------------------------------------------------- the rules (RFC 6238)


# RFC 6238 appendix B, SHA-1: the 8-digit codes' last 6 digits are the 6-digit codes.
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()


@pytest.mark.parametrize(("unix_time", "typed", "step"), [
    (59, "287082", 1),
    (1111111109, "081804", 37037036),
    (1234567890, "005924", 41152263),
    (20000000000, "353130", 666666666),
])
def test_codes_are_rfc_6238_codes(unix_time, typed, step):
    assert two_step.matching_step(RFC_SECRET, typed, datetime.fromtimestamp(unix_time, UTC)) == step


@pytest.mark.parametrize(("offset", "accepted"), [(-2, False), (-1, True), (0, True), (1, True), (2, False)])
def test_a_code_is_accepted_one_step_either_side_of_now_and_no_further(offset, accepted):
    now = utcnow()
    typed = pyotp.TOTP(SECRET).generate_otp(two_step.time_step(now) + offset)
    found = two_step.matching_step(SECRET, typed, now)
    assert (found == two_step.time_step(now) + offset) if accepted else found is None


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "12345a", "١٢٣٤٥٦", "000000 "])
def test_anything_but_six_ascii_digits_is_no_code(typed):
    assert not two_step.looks_like_code(typed)


@pytest.mark.parametrize(("typed", "normalised"), [("123 456", "123456"), (" 123-456 ", "123456"), ("123456", "123456")])
def test_spaces_and_dashes_in_a_typed_code_do_not_matter(typed, normalised):
    assert two_step.normalise_code(typed) == normalised


@pytest.mark.parametrize(("step", "last_step", "fresh"), [(10, None, True), (10, 9, True), (10, 10, False), (10, 11, False)])
def test_only_a_step_later_than_the_last_accepted_one_is_fresh(step, last_step, fresh):
    assert two_step.is_fresh(step, last_step) is fresh


def test_the_secret_is_shown_in_groups_of_four():
    assert two_step.grouped("JBSWY3DPEHPK3PXP") == "JBSW Y3DP EHPK 3PXP"


def test_the_stored_secret_is_encrypted_and_bound_to_its_person(monkeypatch):
    stored = two_step.encrypt_secret(SECRET, 7)
    assert SECRET not in stored and two_step.encrypt_secret(SECRET, 7) != stored  # a fresh nonce each time
    assert two_step.decrypt_secret(stored, 7) == SECRET
    with pytest.raises(two_step.SecretUnreadable):
        two_step.decrypt_secret(stored, 8)  # copied onto another account
    monkeypatch.setattr(get_settings(), "secret_key", "another-installation")
    with pytest.raises(two_step.SecretUnreadable):
        two_step.decrypt_secret(stored, 7)


# ---------------------------------------------------------------- turning it on


def test_a_staff_member_turns_it_on_by_confirming_one_code_and_the_key_is_never_shown_again(app, client_for, people, session):
    _, caregiver, _ = people
    client, elsewhere = client_for(caregiver), client_for(caregiver)
    assert "Set up two-step sign-in" in client.get("/account/two-step").text
    assert client.post("/account/two-step/start").status_code == 303
    page = client.get("/account/two-step").text
    secret = re.search(r'id="two-step-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    assert f"otpauth://totp/{two_step.ISSUER}:carer?secret={secret}" in page
    assert 'src="data:image/svg+xml' in page  # the QR code, drawn on the server

    wrong = client.post("/account/two-step/confirm", {"code": "000000" if code(secret) != "000000" else "111111"})
    assert wrong.status_code == 400 and 'id="code-error"' in wrong.text and "This code is not right" in wrong.text
    assert two_step.live_credential(session, caregiver.id) is None

    assert client.post("/account/two-step/confirm", {"code": code(secret)}).status_code == 303
    after = client.get("/account/two-step").text
    assert "On since" in after and secret not in after and two_step.grouped(secret) not in after
    session.rollback()
    [credential] = session.exec(select(TotpCredential)).all()
    assert credential.confirmed_at is not None and secret not in credential.secret_encrypted
    assert actions(session)[-2:] == ["two_step_setup_started", "two_step_enabled"]
    audited = session.exec(select(AuditEntry).where(AuditEntry.action == "two_step_enabled")).one()
    assert "secret_encrypted" not in audited.after
    # Sessions opened with the password alone end; this one stays.
    assert client.get("/account/two-step").status_code == 200 and elsewhere.get("/account/two-step").status_code == 303


def test_starting_the_set_up_again_replaces_the_unconfirmed_key(client_for, people, session):
    _, caregiver, _ = people
    client = client_for(caregiver)
    client.post("/account/two-step/start")
    client.post("/account/two-step/start")
    session.rollback()
    rows = session.exec(select(TotpCredential).order_by(TotpCredential.id)).all()
    assert [row.revoked_at is not None for row in rows] == [True, False]


def test_parents_have_no_second_factor_to_set_up(client_for, people):
    _, _, parent = people
    assert client_for(parent).get("/account/two-step").status_code == 403
    assert client_for(parent).post("/account/two-step/start").status_code == 403


# ---------------------------------------------------------------- signing in


def test_sign_in_asks_for_the_code_after_the_password_and_only_then_signs_in(app, people, session):
    _, caregiver, _ = people
    enable(session, caregiver)
    browser = Browser(app)
    response = browser.sign_in("carer")
    assert response.status_code == 303 and response.headers["location"] == "/login/code"
    assert SESSION_COOKIE not in response.cookies and live_sessions(session, caregiver.id) == []
    challenge = cookie_attributes(response, two_step.CHALLENGE_COOKIE)
    assert challenge["httponly"] is True and challenge["path"] == "/login" and int(challenge["max-age"]) == 300
    assert not browser.signed_in()  # half signed in is not signed in
    assert 'autocomplete="one-time-code"' in browser.http.get("/login/code").text

    done = browser.post("/login/code", {"code": code()})
    assert done.status_code == 303 and done.headers["location"] == "/rooms"
    assert browser.signed_in() and len(live_sessions(session, caregiver.id)) == 1
    assert cookie_attributes(done, two_step.CHALLENGE_COOKIE)["value"] == ""  # the challenge cookie is cleared
    assert actions(session)[-1] == "signed_in"


def test_the_half_signed_in_state_is_kept_on_the_server_for_five_minutes(app, people, session):
    _, caregiver, _ = people
    enable(session, caregiver)
    browser = Browser(app)
    browser.sign_in("carer")
    [challenge] = session.exec(select(LoginChallenge)).all()
    assert challenge.expires_at - challenge.created_at == timedelta(minutes=5)
    assert challenge.token_hash != browser.http.cookies.get(two_step.CHALLENGE_COOKIE)  # only its hash is stored
    session.exec(update(LoginChallenge).values(expires_at=utcnow() - timedelta(seconds=1)))
    session.commit()
    response = browser.post("/login/code", {"code": code()})
    assert response.status_code == 400 and "took too long" in response.text and 'name="password"' in response.text
    assert live_sessions(session, caregiver.id) == []
    assert browser.http.get("/login/code").headers["location"] == "/login"


def test_the_code_step_without_a_password_first_signs_nobody_in(app, people, session):
    _, caregiver, _ = people
    enable(session, caregiver)
    browser = Browser(app)
    browser.http.cookies.set(two_step.CHALLENGE_COOKIE, "made-up", domain="testserver.local")
    response = browser.post("/login/code", {"code": code()})
    assert response.status_code == 400 and live_sessions(session, caregiver.id) == []


def test_a_code_is_never_accepted_twice(app, people, session):
    _, caregiver, _ = people
    enable(session, caregiver)
    now_code = code()
    _, first = sign_in_with_code(app, "carer", now_code)
    assert first.status_code == 303
    # Someone who watched it being typed tries it at once, on another device.
    _, again = sign_in_with_code(app, "carer", now_code, "198.51.100.5")
    assert again.status_code == 400 and "used already" in again.text
    _, older = sign_in_with_code(app, "carer", code(steps=-1), "198.51.100.6")
    assert older.status_code == 400
    _, following = sign_in_with_code(app, "carer", code(steps=1), "198.51.100.7")
    assert following.status_code == 303
    assert len(live_sessions(session, caregiver.id)) == 2


def test_a_challenge_serves_one_sign_in(app, people, session):
    _, caregiver, _ = people
    enable(session, caregiver)
    browser = Browser(app)
    browser.sign_in("carer")
    token = browser.http.cookies.get(two_step.CHALLENGE_COOKIE)
    assert browser.post("/login/code", {"code": code()}).status_code == 303
    replay = Browser(app, "198.51.100.8")
    replay.http.cookies.set(two_step.CHALLENGE_COOKIE, token, domain="testserver.local")
    assert replay.post("/login/code", {"code": code(steps=1)}).status_code == 400
    assert len(live_sessions(session, caregiver.id)) == 1


def test_wrong_codes_are_throttled_like_wrong_passwords_and_retyping_the_password_does_not_reset_them(app, people, session):
    _, caregiver, _ = people
    enable(session, caregiver)
    wrong = "000000" if code() != "000000" else "111111"
    browser = Browser(app)
    browser.sign_in("carer")
    for _ in range(get_settings().login_max_failures - 1):
        response = browser.post("/login/code", {"code": wrong})
        assert response.status_code == 400 and 'id="code-error"' in response.text
    # The right password again starts a fresh challenge, but the wrong codes still count.
    assert browser.sign_in("carer").headers["location"] == "/login/code"
    assert browser.post("/login/code", {"code": wrong}).status_code == 400
    throttled = browser.post("/login/code", {"code": code()})  # even the right code now waits
    assert throttled.status_code == 429 and "Too many failed sign-ins" in throttled.text
    assert Browser(app, "198.51.100.30").sign_in("carer").status_code == 429
    assert len(session.exec(select(LoginFailure).where(LoginFailure.username == "carer")).all()) == 5
    assert live_sessions(session, caregiver.id) == []


def test_a_person_deactivated_between_password_and_code_is_not_signed_in(app, people, session):
    _, caregiver, _ = people
    enable(session, caregiver)
    browser = Browser(app)
    browser.sign_in("carer")
    caregiver.active = False
    session.add(caregiver)
    session.commit()
    assert browser.post("/login/code", {"code": code()}).status_code == 400
    assert live_sessions(session, caregiver.id) == []


def test_a_person_without_a_second_factor_signs_in_with_the_password_alone(app, people):
    response = Browser(app).sign_in("carer")
    assert response.status_code == 303 and response.headers["location"] == "/rooms"


# ---------------------------------------------------------------- turning it off, the director's reset


def test_turning_it_off_needs_a_current_code(client_for, people, session):
    _, caregiver, _ = people
    enable(session, caregiver)
    client = client_for(caregiver)
    assert client.post("/account/two-step/off", {"code": "12345"}).status_code == 400
    assert two_step.live_credential(session, caregiver.id) is not None
    assert client.post("/account/two-step/off", {"code": code()}).status_code == 303
    session.rollback()
    assert two_step.live_credential(session, caregiver.id) is None
    assert actions(session)[-1] == "two_step_disabled"


def test_the_director_resets_a_lost_phone_with_a_reason_and_the_person_is_signed_out(app, client_for, people, session):
    director, caregiver, _ = people
    enable(session, caregiver)
    tablet = client_for(caregiver)
    office = client_for(director)
    page = office.get(f"/staff/{caregiver.id}/two-step")
    assert page.status_code == 200 and "On since" in page.text
    assert f'href="/staff/{caregiver.id}/two-step"' in office.get(f"/staff/{caregiver.id}").text

    refused = office.post(f"/staff/{caregiver.id}/two-step/reset", {"reason": "  "})
    assert refused.status_code == 400 and 'id="reason-error"' in refused.text
    assert two_step.live_credential(session, caregiver.id) is not None

    assert office.post(f"/staff/{caregiver.id}/two-step/reset", {"reason": "手机丢了"}).status_code == 303
    session.rollback()
    credential = session.exec(select(TotpCredential)).one()
    assert (credential.revoked_by_id, credential.revoke_reason) == (director.id, "手机丢了")
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "two_step_reset")).one()
    assert entry.actor_id == director.id and entry.reason == "手机丢了"
    assert tablet.get("/rooms").status_code == 303  # signed out
    assert Browser(app).sign_in("carer").headers["location"] == "/rooms"  # the password alone again


def test_only_the_director_resets_and_only_staff_with_a_sign_in(client_for, people, session):
    director, caregiver, parent = people
    assert client_for(caregiver).post(f"/staff/{director.id}/two-step/reset", {"reason": "x"}).status_code == 403
    assert client_for(director).get(f"/staff/{parent.id}/two-step").status_code == 404


# ---------------------------------------------------------------- required of directors


def require_for_directors(client) -> None:
    response = client.post("/settings/rules/directors_need_two_step", {"value": "yes", "reason": "园所信息安全制度"})
    assert response.status_code == 303


def test_the_requirement_is_a_rule_the_director_changes_with_an_audited_reason(client_for, people, session):
    director, _, _ = people
    client = client_for(director)
    refused = client.post("/settings/rules/directors_need_two_step", {"value": "maybe", "reason": "x"})
    assert refused.status_code == 400 and "Choose yes or no." in refused.text
    require_for_directors(client)
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "rule_changed")).one()
    assert entry.after == {"key": "directors_need_two_step", "value": "True"} and entry.reason == "园所信息安全制度"


def set_up_on_the_page(client) -> str:
    """Start the set-up, read the key off the page, confirm a code; returns the secret."""
    assert client.post("/account/two-step/start").status_code == 303
    page = client.get("/account/two-step").text
    secret = re.search(r'id="two-step-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    assert client.post("/account/two-step/confirm", {"code": code(secret)}).status_code == 303
    return secret


def test_a_director_without_it_is_sent_to_set_it_up_before_anything_else(client_for, people, session):
    director, caregiver, _ = people
    client = client_for(director)
    require_for_directors(client)
    for url in ("/director", "/children", "/settings/rules", "/", "/account/password"):
        response = client.get(url)
        assert response.status_code == 303 and response.headers["location"] == "/account/two-step", url
    assert client.htmx_get("/director").headers["HX-Redirect"] == "/account/two-step"
    # Not even the rule that demands it can be switched off first.
    escape = client.post("/settings/rules/directors_need_two_step", {"value": "no", "reason": "不想用"})
    assert escape.headers["location"] == "/account/two-step"
    page = client.get("/account/two-step")
    assert page.status_code == 200 and 'id="two-step-due"' in page.text
    assert client_for(caregiver).get("/rooms").status_code == 200  # the rule is for directors only

    set_up_on_the_page(client)
    assert client.get("/director").status_code == 200
    off = client.post("/account/two-step/off", {"code": code(steps=1)})
    assert off.status_code == 400 and "cannot be turned off" in off.text
    assert two_step.live_credential(session, director.id) is not None


def test_a_director_who_must_set_it_up_may_still_sign_out(client_for, people, session):
    director, _, _ = people
    client = client_for(director)
    require_for_directors(client)
    assert client.post("/logout").headers["location"] == "/login"
    assert live_sessions(session, director.id) == []


def test_a_director_with_it_signs_in_with_password_and_code_when_it_is_required(app, client_for, people, session):
    director, _, _ = people
    require_for_directors(client_for(director))
    enable(session, director)
    browser, response = sign_in_with_code(app, "director", code())
    assert response.headers["location"] == "/director"
    assert browser.http.get("/director").status_code == 200


def test_the_only_director_who_lost_the_phone_is_let_back_in_from_the_command_line(engine, people, session, monkeypatch, capsys):
    from nursery_ops import cli

    director, _, _ = people
    enable(session, director)
    monkeypatch.setattr(get_settings(), "database_url", engine.url.render_as_string(hide_password=False))
    assert cli.main(["reset-two-step", "Director", "--reason", "手机丢了"]) == 0
    assert "is reset" in capsys.readouterr().out
    session.rollback()
    assert two_step.live_credential(session, director.id) is None
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "two_step_reset")).one()
    assert entry.actor_id is None and entry.reason.startswith("手机丢了")
    assert cli.main(["reset-two-step", "nobody", "--reason", "x"]) == 2
    assert cli.main(["reset-two-step", "director", "--reason", "  "]) == 2
