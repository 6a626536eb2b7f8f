"""People, their roles, and their sign-in sessions."""

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel, UniqueConstraint

from nursery_ops.clock import utcnow
from nursery_ops.db import UtcDateTime, enum_type


class Role(StrEnum):
    """What a person may do in the app; one person may hold several."""

    director = "director"  # 园长 / 负责人
    caregiver = "caregiver"  # 保育人员
    health = "health"  # 保健人员
    parent = "parent"  # 家长 / 监护人


STAFF_ROLES = frozenset({Role.director, Role.caregiver, Role.health})


class Person(SQLModel, table=True):
    """Someone who signs in: a member of staff, a guardian, or both."""

    __tablename__ = "person"

    id: int | None = Field(default=None, primary_key=True)
    full_name: str = Field(max_length=100)
    # None for staff registered without a sign-in (保安, 炊事...): no username, no password.
    username: str | None = Field(default=None, max_length=64, unique=True, index=True)
    password_hash: str = Field(default="", max_length=255)
    phone: str | None = Field(default=None, max_length=32)
    locale: str | None = Field(default=None, max_length=8)
    active: bool = Field(default=True)
    guardian_id: int | None = Field(default=None, foreign_key="guardian.id", index=True)
    password_changed_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)
    deactivated_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class PersonRole(SQLModel, table=True):
    __tablename__ = "person_role"
    __table_args__ = (UniqueConstraint("person_id", "role"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    role: Role = Field(sa_type=enum_type(Role))


class LoginSession(SQLModel, table=True):
    """A server-side session: the cookie holds a random token, the table its SHA-256."""

    __tablename__ = "login_session"

    token_hash: str = Field(primary_key=True, max_length=64)
    person_id: int = Field(foreign_key="person.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)
    revoked_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    user_agent: str | None = Field(default=None, max_length=255)
    address: str | None = Field(default=None, max_length=64)
    # A shared room tablet: who is acting now (switched by PIN), and when they last acted.
    acting_person_id: int | None = Field(default=None, foreign_key="person.id")
    acting_seen_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class LoginFailure(SQLModel, table=True):
    """One failed sign-in, kept for throttling by account and by address."""

    __tablename__ = "login_failure"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, index=True)
    address: str = Field(max_length=64, index=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False, index=True)


class TotpCredential(SQLModel, table=True):
    """A staff member's second sign-in factor (两步验证): an RFC 6238 TOTP secret, encrypted at rest.

    A row is pending until its first code is confirmed, live while confirmed and not revoked;
    reset or turned off, it stays as history (revoked by whom, why). `last_step` is the time
    step of the last accepted code: a code is never accepted twice.
    """

    __tablename__ = "totp_credential"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    secret_encrypted: str = Field(max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)
    confirmed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    last_step: int | None = Field(default=None)
    revoked_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    revoked_by_id: int | None = Field(default=None, foreign_key="person.id")
    revoke_reason: str | None = Field(default=None, max_length=500)


class LoginChallenge(SQLModel, table=True):
    """The half-signed-in state between the password and the one-time code, held server side.

    The browser holds a random token in a cookie; the table its SHA-256. It expires after
    `CHALLENGE_MINUTES` and serves one sign-in.
    """

    __tablename__ = "login_challenge"

    token_hash: str = Field(primary_key=True, max_length=64)
    person_id: int = Field(foreign_key="person.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UtcDateTime, nullable=False)
    used_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    next_path: str | None = Field(default=None, max_length=500)
