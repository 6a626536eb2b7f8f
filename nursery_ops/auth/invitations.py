"""Parent invitations (家长邀请码): a one-time code with which a guardian makes their own sign-in.

The director invites a guardian from the guardian's account page; the app shows a
code once (to give on paper or by phone) and keeps only its keyed digest. The guardian
opens `/invite` (or the link `/invite/{code}`), chooses a username and password,
and is signed in to the family page. A code serves one guardian, once, until it
expires (policy `invitation_valid_hours`); a new invitation revokes the old one.
Wrong codes are throttled per address (an IPv6 client per /64), like sign-ins.

Why this is enough: a code carries 31^10 ≈ 8·10^14 possibilities (≈ 49 bits); with a few dozen
codes pending and 5 wrong tries per address per 15 minutes, guessing one online is hopeless. Offline
it would not be: a plain SHA-256 of 49 bits is searched in about a day on one GPU, within a code's
validity, so the stored digest is an HMAC keyed with the installation's secret key (kept in a file
outside the database): a copy of the database alone reveals nothing. The code is found by an
indexed equality on that digest; a timing difference there tells nothing about a code's letters.
"""

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, select

from nursery_ops import audit
from nursery_ops.auth.models import LoginFailure, Person
from nursery_ops.auth.service import CurrentPerson, throttle_key
from nursery_ops.children.models import Guardian
from nursery_ops.clock import utcnow
from nursery_ops.db import UtcDateTime
from nursery_ops.errors import NotFound
from nursery_ops.forms import Refused
from nursery_ops.i18n import N_
from nursery_ops.policy import Decision, Mode, load_policy
from nursery_ops.settings import Settings, get_settings
from nursery_ops.staff.service import add_parent_person, parent_snapshot

# Easy to read aloud and to type on a phone: no 0/O, 1/I/L.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10
# Failed codes share the sign-in failure table; no username can start with "#".
FAILURE_MARK = "#invite"


class ParentInvitation(SQLModel, table=True):
    """One invitation of one guardian; the code itself is never stored, only its keyed digest (`code_digest`)."""

    __tablename__ = "parent_invitation"

    id: int | None = Field(default=None, primary_key=True)
    guardian_id: int = Field(foreign_key="guardian.id", index=True)
    code_hash: str = Field(max_length=64, unique=True)
    created_by_id: int = Field(foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UtcDateTime, nullable=False)
    used_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    used_by_id: int | None = Field(default=None, foreign_key="person.id")
    revoked_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    revoked_by_id: int | None = Field(default=None, foreign_key="person.id")
    revoke_reason: str | None = Field(default=None, max_length=500)


# ---------------------------------------------------------------- rules


class InvitationState(StrEnum):
    pending = "pending"
    used = "used"
    revoked = "revoked"
    expired = "expired"


STATE_LABELS = {
    InvitationState.pending: N_("Waiting to be used"),
    InvitationState.used: N_("Used"),
    InvitationState.revoked: N_("Revoked"),
    InvitationState.expired: N_("Expired"),
}

# What the person holding the code is told (never a 4xx page without the form).
CODE_MESSAGES = {
    None: N_("This code is not known. Check it letter by letter, or ask the nursery for a new one."),
    InvitationState.used: N_("This code has already been used. Sign in with your username and password."),
    InvitationState.revoked: N_("This code was withdrawn by the nursery. Ask the nursery for a new one."),
    InvitationState.expired: N_("This code has expired. Ask the nursery for a new one."),
}


USERNAME_TAKEN = N_("This username is taken; choose another.")


def state_of(invitation: "ParentInvitation", now: datetime) -> InvitationState:
    """Used and revoked are final; a pending code expires at `expires_at` exactly."""
    if invitation.used_at is not None:
        return InvitationState.used
    if invitation.revoked_at is not None:
        return InvitationState.revoked
    if now >= invitation.expires_at:
        return InvitationState.expired
    return InvitationState.pending


def code_digest(code: str) -> str:
    """HMAC-SHA256 of the code under the installation's secret key (see the module docstring for why keyed)."""
    key = get_settings().secret_key.encode()
    return hmac.new(key, b"invitation:" + code.encode(), hashlib.sha256).hexdigest()


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(typed: str) -> str:
    """What was typed, read as a code: case, spaces and dashes do not matter."""
    return "".join(typed.split()).replace("-", "").upper()


def display_code(code: str) -> str:
    """Two groups of five, to read out on the phone."""
    return f"{code[:5]}-{code[5:]}"


def looks_like_code(code: str) -> bool:
    return len(code) == CODE_LENGTH and all(char in CODE_ALPHABET for char in code)


# ---------------------------------------------------------------- the director's side


def _snapshot(invitation: ParentInvitation) -> dict:
    return audit.snapshot(invitation, exclude={"code_hash"})


def invitations_of(session: Session, guardian_id: int) -> list[ParentInvitation]:
    """The guardian's invitations, newest first (one query)."""
    return list(
        session.exec(
            select(ParentInvitation)
            .where(ParentInvitation.guardian_id == guardian_id)
            .order_by(ParentInvitation.created_at.desc(), ParentInvitation.id.desc())
        ).all()
    )


def _has_account(session: Session, guardian_id: int) -> bool:
    return session.exec(select(Person.id).where(Person.guardian_id == guardian_id)).first() is not None


def _revoke_pending(session: Session, actor_id: int, guardian_id: int, reason: str, now: datetime) -> None:
    pending = session.exec(
        select(ParentInvitation).where(
            ParentInvitation.guardian_id == guardian_id,
            ParentInvitation.used_at.is_(None),
            ParentInvitation.revoked_at.is_(None),
            ParentInvitation.expires_at > now,
        )
    ).all()
    for invitation in pending:
        before = _snapshot(invitation)
        invitation.revoked_at, invitation.revoked_by_id, invitation.revoke_reason = now, actor_id, reason
        session.add(invitation)
        audit.record(session, actor_id, "parent_invitation_revoked", invitation, before=before,
                     after=_snapshot(invitation), reason=reason)


def invite(session: Session, actor: CurrentPerson, guardian: Guardian) -> tuple[ParentInvitation, str]:
    """A new code for the guardian (the previous one stops working); returns the row and the code, shown once."""
    if _has_account(session, guardian.id):
        raise Refused({"invitation": N_("This guardian already has a sign-in. Reset its password instead of inviting again.")})
    now = utcnow()
    _revoke_pending(session, actor.id, guardian.id, "replaced by a new invitation", now)
    code = new_code()
    hours = load_policy(session).invitation_valid_hours
    invitation = ParentInvitation(
        guardian_id=guardian.id,
        code_hash=code_digest(code),
        created_by_id=actor.id,
        created_at=now,
        expires_at=now + timedelta(hours=hours),
    )
    session.add(invitation)
    session.flush()
    audit.record(session, actor.id, "parent_invitation_created", invitation, after=_snapshot(invitation))
    session.commit()
    return invitation, code


def revoke(session: Session, actor: CurrentPerson, guardian_id: int, invitation_id: int) -> None:
    invitation = session.get(ParentInvitation, invitation_id)
    if invitation is None or invitation.guardian_id != guardian_id:
        raise NotFound()
    now = utcnow()
    if state_of(invitation, now) is not InvitationState.pending:
        return  # nothing left to withdraw
    before = _snapshot(invitation)
    invitation.revoked_at, invitation.revoked_by_id, invitation.revoke_reason = now, actor.id, "revoked by the director"
    session.add(invitation)
    audit.record(session, actor.id, "parent_invitation_revoked", invitation, before=before, after=_snapshot(invitation))
    session.commit()


# ---------------------------------------------------------------- the guardian's side


def is_throttled(session: Session, address: str, settings: Settings) -> bool:
    since = utcnow() - timedelta(minutes=settings.login_lockout_minutes)
    failures = session.exec(
        select(func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.username == FAILURE_MARK, LoginFailure.address == throttle_key(address),
               LoginFailure.at >= since)
    ).one()
    return failures >= settings.login_max_failures


def throttled_message(settings: Settings) -> Decision:
    return Decision(Mode.block, N_("Too many wrong codes. Wait {minutes} minutes and try again."),
                    {"minutes": settings.login_lockout_minutes})


def count_failure(session: Session, address: str) -> None:
    session.add(LoginFailure(username=FAILURE_MARK, address=throttle_key(address)))


def find(session: Session, code: str) -> tuple[ParentInvitation, Guardian] | None:
    if not looks_like_code(code):
        return None
    row = session.exec(
        select(ParentInvitation, Guardian)
        .join(Guardian, Guardian.id == ParentInvitation.guardian_id)
        .where(ParentInvitation.code_hash == code_digest(code))
    ).first()
    return tuple(row) if row else None


def check_code(session: Session, code: str) -> tuple[ParentInvitation | None, Guardian | None, str | None]:
    """(invitation, guardian, None) for a usable code, else the message id for the person (the row if known)."""
    found = find(session, code)
    if found is None:
        return None, None, CODE_MESSAGES[None]
    invitation, guardian = found
    state = state_of(invitation, utcnow())
    if state is not InvitationState.pending:
        return invitation, guardian, CODE_MESSAGES[state]
    if _has_account(session, guardian.id):
        return invitation, guardian, N_("This guardian already has a sign-in. Sign in, or ask the nursery to reset its password.")
    return invitation, guardian, None


def accept(
    session: Session, invitation: ParentInvitation, guardian: Guardian, *, username: str, password: str, locale: str | None
) -> Person:
    """The guardian's own parent sign-in; the code is spent in the same transaction (the caller signs in and commits).

    The code is claimed first, by a conditional update: of two submissions of one code (a double tap,
    two tabs), the second waits on the first's row lock and then finds nothing to claim, so it never
    gets as far as making a second account (nor trips over the first one's username).
    """
    now = utcnow()
    claimed = session.exec(
        update(ParentInvitation)
        .where(ParentInvitation.id == invitation.id, ParentInvitation.used_at.is_(None),
               ParentInvitation.revoked_at.is_(None), ParentInvitation.expires_at > now)
        .values(used_at=now)
    )
    if claimed.rowcount != 1:
        session.rollback()
        # Used meanwhile, as a rule; withdrawn or expired in that instant say so instead.
        current = session.get(ParentInvitation, invitation.id)
        state = state_of(current, now) if current else InvitationState.used
        raise Refused({"__all__": CODE_MESSAGES[state if state is not InvitationState.pending else InvitationState.used]})
    try:
        person = add_parent_person(session, guardian, username=username, password=password)
    except Refused:
        session.rollback()  # the code stays unused: the guardian corrects the form and tries again
        raise
    except IntegrityError:
        # Another guardian took the same username in the same instant.
        session.rollback()
        raise Refused({"username": USERNAME_TAKEN}) from None
    person.locale = locale
    session.add(person)
    session.exec(update(ParentInvitation).where(ParentInvitation.id == invitation.id).values(used_by_id=person.id))
    session.refresh(invitation)
    audit.record(session, person.id, "parent_invitation_used", invitation, after=_snapshot(invitation))
    audit.record(session, person.id, "parent_account_created", person,
                 after={**parent_snapshot(person), "invitation_id": invitation.id})
    return person
