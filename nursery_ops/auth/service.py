"""Sign-in, sessions, passwords and throttling."""

import hashlib
import ipaddress
import secrets
from dataclasses import dataclass
from datetime import timedelta

from pwdlib import PasswordHash
from functools import cache

from sqlalchemy import String, and_, bindparam, cast, delete, func, update
from sqlmodel import Session, select

from nursery_ops import audit
from nursery_ops.auth.models import LoginFailure, LoginSession, Person, PersonRole, Role, STAFF_ROLES, TotpCredential
from nursery_ops.clock import utcnow
from nursery_ops.pagecache import VERSIONS_KEY, TableVersion, versions_from_text
from nursery_ops.policy import OVERRIDES_SEPARATOR, PolicyOverride, overrides_from_text, remember_policy
from nursery_ops.rooms.models import RoomCaregiver
from nursery_ops.settings import Settings

password_hasher = PasswordHash.recommended()  # argon2id


@cache
def _dummy_hash() -> str:
    """Hashing a password for unknown usernames too keeps sign-in time from revealing accounts."""
    return password_hasher.hash("not-a-real-password")


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
    # The rooms a caregiver is assigned to (the tablet's access check) and the session row itself.
    room_ids: frozenset[int] = frozenset()
    login: LoginSession | None = None
    # Two-step sign-in (auth.two_step): whether the person has a live second factor, and whether
    # the director's policy demands one of them.
    has_two_step: bool = False
    two_step_required: bool = False

    @property
    def id(self) -> int:
        return self.person.id

    def has(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & STAFF_ROLES)

    @property
    def two_step_due(self) -> bool:
        """A director who must set up the two-step sign-in before doing anything else."""
        return self.two_step_required and not self.has_two_step


def roles_of(session: Session, person_id: int) -> frozenset[Role]:
    return frozenset(session.exec(select(PersonRole.role).where(PersonRole.person_id == person_id)).all())


def set_roles(session: Session, person: Person, roles: set[Role]) -> None:
    session.exec(delete(PersonRole).where(PersonRole.person_id == person.id))
    for role in sorted(roles):
        session.add(PersonRole(person_id=person.id, role=role))


class Throttled(Exception):
    pass


# A shared nursery Wi-Fi puts everyone behind one address: it gets this many times an account's tries.
ADDRESS_ALLOWANCE = 4


def throttle_key(address: str) -> str:
    """The address failures are counted under: an IPv6 client is one /64 (one home or phone line holds a whole
    /64 and could otherwise step to a fresh address after every few guesses)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False))


def is_throttled(session: Session, username: str, address: str, settings: Settings) -> bool:
    """Too many failed sign-ins lately for this account (from anywhere) or from this address (any account).

    Wrong passwords and wrong one-time codes (auth.two_step) count alike.
    """
    since = utcnow() - timedelta(minutes=settings.login_lockout_minutes)
    by_account = session.exec(
        select(func.count()).select_from(LoginFailure).where(LoginFailure.username == username, LoginFailure.at >= since)
    ).one()
    by_address = session.exec(
        select(func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.address == throttle_key(address), LoginFailure.at >= since)
    ).one()
    return by_account >= settings.login_max_failures or by_address >= settings.login_max_failures * ADDRESS_ALLOWANCE


def count_failure(session: Session, username: str, address: str) -> None:
    session.add(LoginFailure(username=username[:64], address=throttle_key(address)))


def clear_failures(session: Session, username: str | None) -> None:
    """A complete sign-in forgives the account's failures (not the address's)."""
    if username:
        session.exec(delete(LoginFailure).where(LoginFailure.username == username))


def authenticate(
    session: Session, username: str, password: str, address: str, settings: Settings
) -> Person | None:
    """The active person with these credentials, or None (and the failure is counted).

    Raises Throttled when this account or address has failed too often lately. The failures
    are forgiven only when the sign-in completes (`clear_failures`): re-typing a known password
    must not reset the count of wrong one-time codes.
    """
    username = username.strip().lower()
    if is_throttled(session, username, address, settings):
        raise Throttled()
    person = session.exec(select(Person).where(Person.username == username)).first()
    if person is None:
        password_hasher.verify(password, _dummy_hash())
    elif person.active and password_hasher.verify(password, person.password_hash):
        return person
    count_failure(session, username, address)
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


@cache
def _session_statement():
    """load_session's one statement (bound to `token_hash`), built once."""
    roles = select(func.aggregate_strings(PersonRole.role, ",")).where(PersonRole.person_id == Person.id)
    rooms = select(func.aggregate_strings(cast(RoomCaregiver.room_id, String), ",")).where(
        RoomCaregiver.person_id == Person.id
    )
    overrides = select(
        func.aggregate_strings(PolicyOverride.key + "=" + PolicyOverride.value, OVERRIDES_SEPARATOR)
    )
    versions = select(func.aggregate_strings(TableVersion.table_name + "=" + cast(TableVersion.version, String), ","))
    return (
        select(LoginSession, Person, TotpCredential.id, roles.scalar_subquery(), rooms.scalar_subquery(),
               overrides.scalar_subquery(), versions.scalar_subquery())
        .join(Person, Person.id == LoginSession.person_id)
        .outerjoin(TotpCredential, and_(
            TotpCredential.person_id == Person.id,
            TotpCredential.confirmed_at.is_not(None),
            TotpCredential.revoked_at.is_(None),
        ))
        .where(LoginSession.token_hash == bindparam("token_hash"), LoginSession.revoked_at.is_(None),
               Person.active.is_(True))
    )


def load_session(session: Session, token: str | None, settings: Settings) -> CurrentPerson | None:
    """The person behind a cookie token, if the session is live.

    One statement for everything a request needs before its page: the session row, the
    person, their roles and rooms, whether they have a second factor, the nursery's
    rule overrides (kept on the database session, so `load_policy` costs no query more)
    and the tables' versions (for a page kept in nursery_ops.pagecache).
    `needs_touch` says last_seen is over a minute old: the caller refreshes it in
    a short write transaction of its own, so reading pages stays read-only.
    """
    if not token:
        return None
    digest = token_digest(token)
    row = session.exec(_session_statement(), params={"token_hash": digest}).first()
    if row is None:
        return None
    login, person, credential_id, role_text, room_text, override_text, version_text = row
    now = utcnow()
    if now - login.last_seen_at > timedelta(minutes=settings.session_idle_minutes) or now - login.created_at > timedelta(
        hours=settings.session_absolute_hours
    ):
        return None
    policy = remember_policy(session, overrides_from_text(override_text))
    session.info[VERSIONS_KEY] = versions_from_text(version_text)
    roles = frozenset(Role(value) for value in (role_text or "").split(",") if value)
    return CurrentPerson(
        person=person,
        roles=roles,
        session_token_hash=digest,
        needs_touch=now - login.last_seen_at > timedelta(minutes=1),
        has_two_step=credential_id is not None,
        two_step_required=Role.director in roles and policy.directors_need_two_step,
        room_ids=frozenset(int(value) for value in (room_text or "").split(",") if value),
        login=login,
    )


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
