"""Two-step sign-in (两步验证) for staff: after the password, a one-time code from an app on the phone.

The codes are RFC 6238 TOTP (SHA-1, 6 digits, 30-second steps: what every authenticator app
reads from a QR code). A staff member turns it on from `/account/two-step` by confirming one
code; the secret is shown only while it is being set up, and kept encrypted (AES-GCM under a
key derived from the installation's secret key, which lives in a file outside the database),
so a copy of the database alone gives nobody the codes.

Sign-in then takes two requests: the password starts a `LoginChallenge` (the half-signed-in
state, server side, for `CHALLENGE_MINUTES`), the code ends it with a real session. Wrong codes
count as failed sign-ins of the account (auth.service.is_throttled); a code's time step is
stored when it is accepted, so the same code (or an older one) never signs anyone in again.

The director can require it of directors (policy item `directors_need_two_step`), and can
reset a staff member's second factor (a lost phone); every change is audited.
"""

import base64
import hmac
import secrets
from datetime import datetime, timedelta

import pyotp
import segno
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import delete, update
from sqlmodel import Session, select

from nursery_ops import audit
from nursery_ops.auth.models import LoginChallenge, Person, TotpCredential
from nursery_ops.auth.service import CurrentPerson, revoke_sessions, token_digest
from nursery_ops.clock import utcnow
from nursery_ops.forms import Refused
from nursery_ops.i18n import N_
from nursery_ops.settings import get_settings

CHALLENGE_MINUTES = 5
CHALLENGE_COOKIE = "nursery_two_step"
STEP_SECONDS = 30
DIGITS = 6
# A phone clock half a minute off still signs in: the step before and the step after are accepted.
DRIFT_STEPS = 1
ISSUER = "nursery_ops"
SECRET_FIELDS = {"secret_encrypted"}

WRONG_CODE = N_("This code is not right. Enter the 6 digits your authenticator app shows now.")
USED_CODE = N_("This code has been used already. Wait for the next code and enter that one.")


class SecretUnreadable(Exception):
    """The stored secret does not decrypt: the installation's secret key changed since it was set up."""


# ---------------------------------------------------------------- rules (no database)


def normalise_code(typed: str) -> str:
    """What was typed, read as a code: spaces and dashes do not matter ("123 456")."""
    return "".join(typed.split()).replace("-", "")


def looks_like_code(code: str) -> bool:
    return len(code) == DIGITS and code.isascii() and code.isdigit()


def time_step(moment: datetime) -> int:
    return int(moment.timestamp()) // STEP_SECONDS


def matching_step(secret: str, code: str, now: datetime, drift: int = DRIFT_STEPS) -> int | None:
    """The time step whose code this is (within `drift` steps of now), or None."""
    if not looks_like_code(code):
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    current = time_step(now)
    found = None
    for step in range(current - drift, current + drift + 1):
        # Compare every candidate in constant time; no early exit that timing could reveal.
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    return found


def is_fresh(step: int, last_step: int | None) -> bool:
    """A code is accepted once: only a step later than the last accepted one."""
    return last_step is None or step > last_step


def new_secret() -> str:
    return pyotp.random_base32()  # 160 bits, as RFC 4226 recommends


def grouped(secret: str) -> str:
    """The secret in groups of four, to type into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(name=username, issuer_name=ISSUER)


def qr_code(uri: str) -> str:
    """The otpauth:// URI as a QR code, an SVG data URI drawn here (no network, no script)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2, dark="#000", light="#fff")


# ---------------------------------------------------------------- the secret at rest


def _key() -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"nursery_ops two-step secret").derive(
        get_settings().secret_key.encode()
    )


def encrypt_secret(secret: str, person_id: int) -> str:
    """AES-GCM with a fresh nonce; bound to the person, so a row copied onto another account does not decrypt."""
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(_key()).encrypt(nonce, secret.encode(), f"totp:{person_id}".encode())
    return "v1:" + base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt_secret(stored: str, person_id: int) -> str:
    version, _, body = stored.partition(":")
    if version != "v1":
        raise SecretUnreadable()
    raw = base64.urlsafe_b64decode(body)
    try:
        return AESGCM(_key()).decrypt(raw[:12], raw[12:], f"totp:{person_id}".encode()).decode()
    except InvalidTag:
        raise SecretUnreadable() from None


# ---------------------------------------------------------------- the staff member's own second factor


def _snapshot(credential: TotpCredential) -> dict:
    return audit.snapshot(credential, exclude=SECRET_FIELDS)


def live_credential(session: Session, person_id: int) -> TotpCredential | None:
    return session.exec(
        select(TotpCredential).where(
            TotpCredential.person_id == person_id,
            TotpCredential.confirmed_at.is_not(None),
            TotpCredential.revoked_at.is_(None),
        ).order_by(TotpCredential.id.desc())
    ).first()


def pending_credential(session: Session, person_id: int) -> TotpCredential | None:
    return session.exec(
        select(TotpCredential).where(
            TotpCredential.person_id == person_id,
            TotpCredential.confirmed_at.is_(None),
            TotpCredential.revoked_at.is_(None),
        ).order_by(TotpCredential.id.desc())
    ).first()


def _revoke(session: Session, actor_id: int | None, credential: TotpCredential, action: str, reason: str, now: datetime) -> None:
    before = _snapshot(credential)
    credential.revoked_at, credential.revoked_by_id, credential.revoke_reason = now, actor_id, reason
    session.add(credential)
    audit.record(session, actor_id, action, credential, before=before, after=_snapshot(credential), reason=reason)


def start_setup(session: Session, me: CurrentPerson) -> TotpCredential:
    """A new pending secret for the signed-in staff member (an earlier unconfirmed one ends); commits."""
    if live_credential(session, me.id) is not None:
        raise Refused({"__all__": N_("Two-step sign-in is already on for your account.")})
    now = utcnow()
    earlier = pending_credential(session, me.id)
    if earlier is not None:
        _revoke(session, me.id, earlier, "two_step_setup_replaced", "set-up started again", now)
    credential = TotpCredential(person_id=me.id, secret_encrypted=encrypt_secret(new_secret(), me.id), created_at=now)
    session.add(credential)
    session.flush()
    audit.record(session, me.id, "two_step_setup_started", credential, after=_snapshot(credential))
    session.commit()
    return credential


def setup_details(credential: TotpCredential, person: Person) -> dict | None:
    """What the set-up page shows while the secret is pending (never once it is confirmed);
    None when it no longer decrypts (the page offers to start again)."""
    try:
        secret = decrypt_secret(credential.secret_encrypted, person.id)
    except SecretUnreadable:
        return None
    uri = provisioning_uri(secret, person.username or str(person.id))
    return {"secret": grouped(secret), "uri": uri, "qr": qr_code(uri)}


def _accept(session: Session, credential: TotpCredential, typed: str, now: datetime) -> None:
    """Take the code for this credential, or raise Refused({"code": ...}).

    The step is claimed by a conditional update: of two requests with one code (a double tap,
    a thief racing the owner), only one gets it.
    """
    try:
        secret = decrypt_secret(credential.secret_encrypted, credential.person_id)
    except SecretUnreadable:
        raise Refused({"code": N_("Your two-step sign-in can no longer be checked. Ask the director to reset it.")}) from None
    step = matching_step(secret, normalise_code(typed), now)
    if step is None:
        raise Refused({"code": WRONG_CODE})
    if not is_fresh(step, credential.last_step):
        raise Refused({"code": USED_CODE})
    claimed = session.exec(
        update(TotpCredential)
        .where(TotpCredential.id == credential.id,
               (TotpCredential.last_step.is_(None)) | (TotpCredential.last_step < step))
        .values(last_step=step)
    )
    if claimed.rowcount != 1:
        raise Refused({"code": USED_CODE})
    credential.last_step = step


def confirm_setup(session: Session, me: CurrentPerson, code: str) -> None:
    """The first code from the app turns the second factor on; the person's other devices are signed out."""
    credential = pending_credential(session, me.id)
    if credential is None:
        raise Refused({"__all__": N_("Start the set-up again: no set-up is waiting.")})
    now = utcnow()
    before = _snapshot(credential)
    _accept(session, credential, code, now)
    credential.confirmed_at = now
    session.add(credential)
    # Whoever else held a session of this account got it with the password alone.
    revoke_sessions(session, me.id, except_hash=me.session_token_hash)
    audit.record(session, me.id, "two_step_enabled", credential, before=before, after=_snapshot(credential))
    session.commit()


def turn_off(session: Session, me: CurrentPerson, code: str) -> None:
    """The staff member turns their second factor off with a current code (not a director it is required of)."""
    if me.two_step_required:
        raise Refused({"__all__": N_("The nursery requires directors to use two-step sign-in: it cannot be turned off.")})
    credential = live_credential(session, me.id)
    if credential is None:
        return
    now = utcnow()
    _accept(session, credential, code, now)
    _revoke(session, me.id, credential, "two_step_disabled", "turned off by its owner", now)
    session.commit()


def reset(session: Session, actor: CurrentPerson | None, person: Person, reason: str) -> int:
    """The director (or, with no actor, the command line) ends a staff member's second factor (a lost phone):
    they sign in with the password and may set it up again; they are signed out everywhere meanwhile.
    Returns how many credentials ended; commits."""
    now = utcnow()
    actor_id = actor.id if actor else None
    credentials = session.exec(
        select(TotpCredential).where(TotpCredential.person_id == person.id, TotpCredential.revoked_at.is_(None))
    ).all()
    for credential in credentials:
        _revoke(session, actor_id, credential, "two_step_reset", reason, now)
    revoke_sessions(session, person.id, except_hash=actor.session_token_hash if actor and actor.id == person.id else None)
    session.commit()
    return len(credentials)


# ---------------------------------------------------------------- the second step of signing in


def start_challenge(session: Session, person: Person, next_path: str | None) -> str:
    """The half-signed-in state after a right password; returns the cookie token (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    # Spent and expired challenges serve nothing (they are not records anyone relies on): keep the table small.
    session.exec(delete(LoginChallenge).where(LoginChallenge.expires_at < now - timedelta(days=1)))
    session.add(LoginChallenge(
        token_hash=token_digest(token), person_id=person.id, created_at=now,
        expires_at=now + timedelta(minutes=CHALLENGE_MINUTES), next_path=next_path,
    ))
    return token


def open_challenge(session: Session, token: str | None) -> tuple[LoginChallenge, Person] | None:
    """The challenge behind a cookie token, while it is unused, unexpired and its person active."""
    if not token:
        return None
    row = session.exec(
        select(LoginChallenge, Person)
        .join(Person, Person.id == LoginChallenge.person_id)
        .where(LoginChallenge.token_hash == token_digest(token), LoginChallenge.used_at.is_(None),
               LoginChallenge.expires_at > utcnow(), Person.active.is_(True))
    ).first()
    return tuple(row) if row else None


def answer_challenge(session: Session, challenge: LoginChallenge, code: str) -> None:
    """Check the code for the challenge's person and spend the challenge; Refused({"code"|"__all__": ...}) if not.

    The caller counts a refusal as a failed sign-in, and on success signs the person in and commits.
    """
    now = utcnow()
    credential = live_credential(session, challenge.person_id)
    if credential is None:
        # Reset by the director meanwhile: the password alone will do on the next try.
        raise Refused({"__all__": N_("Your sign-in took too long or was interrupted. Enter your password again.")})
    _accept(session, credential, code, now)
    spent = session.exec(
        update(LoginChallenge)
        .where(LoginChallenge.token_hash == challenge.token_hash, LoginChallenge.used_at.is_(None))
        .values(used_at=now)
    )
    if spent.rowcount != 1:
        raise Refused({"__all__": N_("Your sign-in took too long or was interrupted. Enter your password again.")})
