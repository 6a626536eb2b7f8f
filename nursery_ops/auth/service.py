"""Sign-in, sessions, passwords and throttling."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from pwdlib import PasswordHash
from sqlalchemy import delete, func, update
from sqlmodel import Session, select

from nursery_ops import audit
from nursery_ops.auth.models import LoginFailure, LoginSession, Person, PersonRole, Role, STAFF_ROLES
from nursery_ops.clock import utcnow
from nursery_ops.settings import Settings

password_hasher = PasswordHash.recommended()  # argon2id
# Hashing a password for unknown usernames too keeps sign-in time from revealing accounts.
_DUMMY_HASH = password_hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return password_hasher.hash(password)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class CurrentPerson:
    """The signed-in person for one request, with roles loaded."""

    person: Person
    roles: frozenset[Role]
    session_token_hash: str
    needs_touch: bool = False

    @property
    def id(self) -> int:
        return self.person.id

    def has(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & STAFF_ROLES)


def roles_of(session: Session, person_id: int) -> frozenset[Role]:
    return frozenset(session.exec(select(PersonRole.role).where(PersonRole.person_id == person_id)).all())


def set_roles(session: Session, person: Person, roles: set[Role]) -> None:
    session.exec(delete(PersonRole).where(PersonRole.person_id == person.id))
    for role in sorted(roles):
        session.add(PersonRole(person_id=person.id, role=role))


class Throttled(Exception):
    pass


def is_throttled(session: Session, username: str, address: str, settings: Settings) -> bool:
    since = utcnow() - timedelta(minutes=settings.login_lockout_minutes)
    by_account = session.exec(
        select(func.count()).select_from(LoginFailure).where(LoginFailure.username == username, LoginFailure.at >= since)
    ).one()
    # A shared nursery Wi-Fi puts everyone behind one address: allow it more tries.
    by_address = session.exec(
        select(func.count()).select_from(LoginFailure).where(LoginFailure.address == address, LoginFailure.at >= since)
    ).one()
    return by_account >= settings.login_max_failures or by_address >= settings.login_max_failures * 4


def authenticate(
    session: Session, username: str, password: str, address: str, settings: Settings
) -> Person | None:
    """The active person with these credentials, or None (and the failure is counted).

    Raises Throttled when this account or address has failed too often lately.
    """
    username = username.strip().lower()
    if is_throttled(session, username, address, settings):
        raise Throttled()
    person = session.exec(select(Person).where(Person.username == username)).first()
    if person is None:
        password_hasher.verify(password, _DUMMY_HASH)
    elif person.active and password_hasher.verify(password, person.password_hash):
        session.exec(delete(LoginFailure).where(LoginFailure.username == username))
        return person
    session.add(LoginFailure(username=username[:64], address=address[:64]))
    return None


def start_session(session: Session, person: Person, user_agent: str | None, address: str | None) -> str:
    """A new session for the person; returns the cookie token (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    session.add(
        LoginSession(
            token_hash=token_digest(token),
            person_id=person.id,
            user_agent=(user_agent or "")[:255],
            address=(address or "")[:64],
        )
    )
    return token


def load_session(session: Session, token: str | None, settings: Settings) -> CurrentPerson | None:
    """The person behind a cookie token, if the session is live.

    `needs_touch` says last_seen is over a minute old: the caller refreshes it in
    a short write transaction of its own, so reading pages stays read-only.
    """
    if not token:
        return None
    digest = token_digest(token)
    row = session.exec(
        select(LoginSession, Person)
        .join(Person, Person.id == LoginSession.person_id)
        .where(LoginSession.token_hash == digest, LoginSession.revoked_at.is_(None), Person.active.is_(True))
    ).first()
    if row is None:
        return None
    login, person = row
    now = utcnow()
    if now - login.last_seen_at > timedelta(minutes=settings.session_idle_minutes) or now - login.created_at > timedelta(
        hours=settings.session_absolute_hours
    ):
        return None
    return CurrentPerson(
        person=person,
        roles=roles_of(session, person.id),
        session_token_hash=digest,
        needs_touch=now - login.last_seen_at > timedelta(minutes=1),
    )


def touch_session(session: Session, token_hash: str) -> None:
    session.exec(update(LoginSession).where(LoginSession.token_hash == token_hash).values(last_seen_at=utcnow()))


def end_session(session: Session, token_hash: str) -> None:
    session.exec(update(LoginSession).where(LoginSession.token_hash == token_hash).values(revoked_at=utcnow()))


def revoke_sessions(session: Session, person_id: int, *, except_hash: str | None = None) -> None:
    """Sign a person out everywhere (password change, deactivation)."""
    statement = update(LoginSession).where(LoginSession.person_id == person_id, LoginSession.revoked_at.is_(None))
    if except_hash:
        statement = statement.where(LoginSession.token_hash != except_hash)
    session.exec(statement.values(revoked_at=utcnow()))


def change_password(session: Session, actor: CurrentPerson | None, person: Person, new_password: str) -> None:
    person.password_hash = hash_password(new_password)
    person.password_changed_at = utcnow()
    session.add(person)
    revoke_sessions(session, person.id, except_hash=actor.session_token_hash if actor and actor.id == person.id else None)
    audit.record(session, actor.id if actor else None, "password_changed", person)
