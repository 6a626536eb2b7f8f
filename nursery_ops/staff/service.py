"""Staff accounts and parent sign-ins: create, roles, deactivate, password reset.

Every change is audited in the same transaction; snapshots never carry the
password hash. A director cannot lock themselves out (deactivate themselves or
drop their own director role).
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from nursery_ops import audit
from nursery_ops.auth.models import LoginSession, Person, PersonRole, Role, STAFF_ROLES
from nursery_ops.auth.service import CurrentPerson, change_password, hash_password, revoke_sessions, roles_of, set_roles
from nursery_ops.children.models import Child, ChildGuardian, Guardian
from nursery_ops.clock import utcnow
from nursery_ops.errors import NotFound
from nursery_ops.forms import Refused
from nursery_ops.i18n import N_

STAFF_ROLE_ORDER = (Role.director, Role.caregiver, Role.health)
SECRET_FIELDS = {"password_hash"}


@dataclass
class Account:
    person: Person
    roles: frozenset[Role]
    last_sign_in: datetime | None = None

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & STAFF_ROLES)


def _snapshot(person: Person, roles: frozenset[Role] | set[Role]) -> dict:
    return {**audit.snapshot(person, exclude=SECRET_FIELDS), "roles": sorted(role.value for role in roles)}


def _roles_by_person(session: Session, person_ids: list[int]) -> dict[int, frozenset[Role]]:
    found: dict[int, set[Role]] = {person_id: set() for person_id in person_ids}
    for person_id, role in session.exec(select(PersonRole.person_id, PersonRole.role).where(PersonRole.person_id.in_(person_ids))):
        found[person_id].add(role)
    return {person_id: frozenset(roles) for person_id, roles in found.items()}


def _last_sign_ins():
    return (
        select(LoginSession.person_id, func.max(LoginSession.created_at).label("last_sign_in"))
        .group_by(LoginSession.person_id)
        .subquery()
    )


def staff_accounts(session: Session) -> list[Account]:
    """Everyone holding a staff role, active first, with roles and last sign-in."""
    last = _last_sign_ins()
    staff_ids = select(PersonRole.person_id).where(PersonRole.role.in_(STAFF_ROLES))
    rows = session.exec(
        select(Person, last.c.last_sign_in)
        .outerjoin(last, last.c.person_id == Person.id)
        .where(Person.id.in_(staff_ids))
        .order_by(Person.active.desc(), Person.full_name, Person.id)
    ).all()
    roles = _roles_by_person(session, [person.id for person, _last in rows])
    return [Account(person, roles[person.id], last_sign_in) for person, last_sign_in in rows]


def account(session: Session, person_id: int) -> Account:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound()
    last = session.exec(select(func.max(LoginSession.created_at)).where(LoginSession.person_id == person_id)).one()
    return Account(person, roles_of(session, person_id), last)


def staff_account(session: Session, person_id: int) -> Account:
    """A staff member's account; parents' accounts live on their guardian's page (404 here)."""
    found = account(session, person_id)
    if not found.is_staff:
        raise NotFound()
    return found


def account_url(found: Account) -> str:
    if not found.is_staff and found.person.guardian_id is not None:
        return f"/guardians/{found.person.guardian_id}/account"
    return f"/staff/{found.person.id}"


def _username_taken(session: Session, username: str) -> bool:
    return session.exec(select(Person.id).where(Person.username == username)).first() is not None


def create_staff(
    session: Session, actor: CurrentPerson, *, full_name: str, username: str, phone: str | None, roles: set[Role], password: str
) -> Person:
    if _username_taken(session, username):
        raise Refused({"username": N_("This username is taken; choose another.")})
    person = Person(full_name=full_name, username=username, phone=phone, password_hash=hash_password(password))
    session.add(person)
    session.flush()
    set_roles(session, person, roles)
    audit.record(session, actor.id, "staff_created", person, after=_snapshot(person, roles))
    session.commit()
    return person


def update_staff(
    session: Session, actor: CurrentPerson, found: Account, *, full_name: str, phone: str | None, roles: set[Role]
) -> None:
    person = found.person
    if person.id == actor.id and Role.director not in roles:
        raise Refused({"roles": N_("You cannot remove your own director role.")})
    # The staff form only speaks of staff roles: a parent role the person holds stays.
    new_roles = roles | (found.roles - STAFF_ROLES)
    before = _snapshot(person, found.roles)
    person.full_name, person.phone = full_name, phone
    session.add(person)
    set_roles(session, person, new_roles)
    after = _snapshot(person, new_roles)
    if after != before:
        audit.record(session, actor.id, "staff_updated", person, before=before, after=after)
    session.commit()


def set_active(session: Session, actor: CurrentPerson, found: Account, *, active: bool, reason: str) -> None:
    """Deactivate (signing the person out everywhere) or reactivate an account, with the reason."""
    person = found.person
    if not active and person.id == actor.id:
        raise Refused({"reason": N_("You cannot deactivate your own account.")})
    if person.active == active:
        return
    before = _snapshot(person, found.roles)
    person.active = active
    person.deactivated_at = None if active else utcnow()
    session.add(person)
    if not active:
        revoke_sessions(session, person.id)
    audit.record(
        session,
        actor.id,
        "account_reactivated" if active else "account_deactivated",
        person,
        before=before,
        after=_snapshot(person, found.roles),
        reason=reason,
    )
    session.commit()


def reset_password(session: Session, actor: CurrentPerson, found: Account, new_password: str) -> None:
    """A new password set by the director; the person's sessions end (audited as a password change)."""
    change_password(session, actor, found.person, new_password)
    session.commit()


# --- Parent sign-ins ------------------------------------------------------


@dataclass
class GuardianAccounts:
    guardian: Guardian
    children: list[tuple[Child, str]]  # child, relation
    accounts: list[Account]


def guardian_accounts(session: Session, guardian_id: int) -> GuardianAccounts:
    guardian = session.get(Guardian, guardian_id)
    if guardian is None:
        raise NotFound()
    children = session.exec(
        select(Child, ChildGuardian.relation)
        .join(ChildGuardian, ChildGuardian.child_id == Child.id)
        .where(ChildGuardian.guardian_id == guardian_id, ChildGuardian.active.is_(True))
        .order_by(Child.full_name)
    ).all()
    last = _last_sign_ins()
    rows = session.exec(
        select(Person, last.c.last_sign_in)
        .outerjoin(last, last.c.person_id == Person.id)
        .where(Person.guardian_id == guardian_id)
        .order_by(Person.id)
    ).all()
    roles = _roles_by_person(session, [person.id for person, _last in rows])
    return GuardianAccounts(guardian, list(children), [Account(p, roles[p.id], at) for p, at in rows])


def add_parent_person(session: Session, guardian: Guardian, *, username: str, password: str) -> Person:
    """The guardian's parent sign-in, added to the transaction (the caller audits and commits).

    Made by the director here, or by the guardian with an invitation code (auth.invitations).
    """
    if _username_taken(session, username):
        raise Refused({"username": N_("This username is taken; choose another.")})
    person = Person(
        full_name=guardian.full_name,
        username=username,
        phone=guardian.phone,
        guardian_id=guardian.id,
        password_hash=hash_password(password),
    )
    session.add(person)
    session.flush()
    set_roles(session, person, {Role.parent})
    return person


def parent_snapshot(person: Person) -> dict:
    return _snapshot(person, {Role.parent})


def create_parent_account(
    session: Session, actor: CurrentPerson, guardian: Guardian, *, username: str, password: str
) -> Person:
    """A parent sign-in for a guardian (家长账号): the family page shows that guardian's children."""
    person = add_parent_person(session, guardian, username=username, password=password)
    audit.record(session, actor.id, "parent_account_created", person, after=parent_snapshot(person))
    session.commit()
    return person
