"""The staff register and parent sign-ins: create, post and roles, deactivate, bar, password reset.

Every change is audited in the same transaction; snapshots never carry the
password hash. A director cannot lock themselves out (deactivate themselves or
drop their own director role). Staff whose post does not use the app (保安, 炊事...)
are registered without a sign-in: no username, no password, no role. A person
barred for harming a child stays deactivated for good (DOMAIN.md "Staff").
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from nursery_ops import audit
from nursery_ops.auth.models import LoginSession, Person, PersonRole, Role, STAFF_ROLES
from nursery_ops.auth.service import CurrentPerson, change_password, hash_password, revoke_sessions, roles_of, set_roles
from nursery_ops.children.models import Child, ChildGuardian, Guardian
from nursery_ops.clock import local_date, utcnow
from nursery_ops.errors import NotFound
from nursery_ops.forms import Refused
from nursery_ops.i18n import N_
from nursery_ops.policy import Policy
from nursery_ops.attendance.rules import certificate_valid, missing_certificates
from nursery_ops.staff.models import CertificateKind, Employment, Job, RosterEntry, StaffCertificate, StaffProfile
from nursery_ops.staff.rules import job_for, sign_in_problem

STAFF_ROLE_ORDER = (Role.director, Role.caregiver, Role.health)
SECRET_FIELDS = {"password_hash"}


@dataclass
class Account:
    person: Person
    roles: frozenset[Role]
    last_sign_in: datetime | None = None
    profile: StaffProfile | None = None

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & STAFF_ROLES) or self.profile is not None

    @property
    def job(self) -> Job:
        return self.profile.job if self.profile is not None else job_for(self.roles)

    @property
    def employment(self) -> Employment:
        return self.profile.employment if self.profile is not None else Employment.full_time

    @property
    def barred(self) -> bool:
        return self.profile is not None and self.profile.barred_at is not None

    @property
    def signs_in(self) -> bool:
        return self.person.username is not None


def _snapshot(person: Person, roles: frozenset[Role] | set[Role], profile: StaffProfile | None = None) -> dict:
    found = {**audit.snapshot(person, exclude=SECRET_FIELDS), "roles": sorted(role.value for role in roles)}
    if profile is not None:
        found["profile"] = audit.snapshot(profile)
    return found


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


def staff_accounts(session: Session, job: Job | None = None) -> list[Account]:
    """The staff register: everyone holding a staff role or a post, active first (optionally one post)."""
    last = _last_sign_ins()
    staff_ids = select(PersonRole.person_id).where(PersonRole.role.in_(STAFF_ROLES))
    rows = session.exec(
        select(Person, last.c.last_sign_in, StaffProfile)
        .outerjoin(last, last.c.person_id == Person.id)
        .outerjoin(StaffProfile, StaffProfile.person_id == Person.id)
        .where(Person.id.in_(staff_ids) | StaffProfile.person_id.is_not(None))
        .order_by(Person.active.desc(), Person.full_name, Person.id)
    ).all()
    roles = _roles_by_person(session, [person.id for person, _last, _profile in rows])
    accounts = [Account(person, roles[person.id], last_sign_in, profile) for person, last_sign_in, profile in rows]
    # The post of an account made before posts were recorded comes from its roles, so the filter is here;
    # the register is one nursery's staff, a few dozen rows.
    return [found for found in accounts if job is None or found.job is job]


def account(session: Session, person_id: int) -> Account:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound()
    last = session.exec(select(func.max(LoginSession.created_at)).where(LoginSession.person_id == person_id)).one()
    return Account(person, roles_of(session, person_id), last, session.get(StaffProfile, person_id))


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
    session: Session, actor: CurrentPerson, *, full_name: str, phone: str | None, job: Job | None,
    employment: Employment, username: str | None, password: str | None, roles: set[Role],
) -> Person:
    """A new member of staff, with a sign-in when a username is given (then a password and a role too)."""
    errors = {}
    job = job or job_for(roles)
    if problem := sign_in_problem(job, username is not None):
        errors["username"] = problem
    if username is not None:
        if not password:
            errors["password"] = N_("Give an initial password for the sign-in.")
        if not roles:
            errors["roles"] = N_("Choose at least one role.")
        if _username_taken(session, username):
            errors["username"] = N_("This username is taken; choose another.")
    elif roles:
        errors["roles"] = N_("Roles come with a sign-in: give a username and a password, or clear the roles.")
    if errors:
        raise Refused(errors)
    person = Person(full_name=full_name, username=username, phone=phone,
                    password_hash=hash_password(password) if username is not None else "")
    session.add(person)
    session.flush()
    set_roles(session, person, roles)
    profile = StaffProfile(person_id=person.id, job=job, employment=employment)
    session.add(profile)
    audit.record(session, actor.id, "staff_created", person, after=_snapshot(person, roles, profile))
    session.commit()
    return person


def _refuse_if_barred(found: Account, field: str) -> None:
    if found.barred:
        raise Refused({field: N_("This person is barred from working with children: the account stays deactivated for good.")})


def update_staff(
    session: Session, actor: CurrentPerson, found: Account, *, full_name: str, phone: str | None, roles: set[Role],
    job: Job | None = None, employment: Employment | None = None,
) -> None:
    person = found.person
    if person.id == actor.id and Role.director not in roles:
        raise Refused({"roles": N_("You cannot remove your own director role.")})
    if not found.signs_in and roles:
        raise Refused({"roles": N_("This person has no sign-in, so holds no role in the app.")})
    if found.signs_in and not roles:
        raise Refused({"roles": N_("Choose at least one role.")})
    if roles != (found.roles & STAFF_ROLES):
        _refuse_if_barred(found, "roles")
    # The staff form only speaks of staff roles: a parent role the person holds stays.
    new_roles = roles | (found.roles - STAFF_ROLES)
    # An account made before posts were recorded gets its profile now, from its roles: not a change by itself.
    profile = found.profile or StaffProfile(person_id=person.id, job=found.job, employment=found.employment)
    before = _snapshot(person, found.roles, profile)
    person.full_name, person.phone = full_name, phone
    profile.job = job or profile.job
    profile.employment = employment or profile.employment
    session.add(person)
    session.add(profile)
    set_roles(session, person, new_roles)
    after = _snapshot(person, new_roles, profile)
    if after != before:
        audit.record(session, actor.id, "staff_updated", person, before=before, after=after)
    session.commit()


def set_active(session: Session, actor: CurrentPerson, found: Account, *, active: bool, reason: str) -> None:
    """Deactivate (signing the person out everywhere) or reactivate an account, with the reason."""
    person = found.person
    if not active and person.id == actor.id:
        raise Refused({"reason": N_("You cannot deactivate your own account.")})
    if active:
        _refuse_if_barred(found, "__all__")
    if person.active == active:
        return
    before = _snapshot(person, found.roles)
    person.active = active
    person.deactivated_at = None if active else utcnow()
    session.add(person)
    if not active:
        revoke_sessions(session, person.id)
        void_duties_from(session, actor.id, person.id, local_date(person.deactivated_at), reason)
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


def void_duties_from(session: Session, actor_id: int, person_id: int, day: date, reason: str) -> None:
    """A person who may no longer work comes off the roster from `day` on (each duty voided and audited)."""
    now = utcnow()
    for entry in session.exec(select(RosterEntry).where(
        RosterEntry.person_id == person_id, RosterEntry.on_date >= day, RosterEntry.voided_at.is_(None)
    )).all():
        audit.void(session, actor_id, entry, "roster_entry_voided", reason, now)


def bar(session: Session, actor: CurrentPerson, found: Account, *, reason: str) -> None:
    """Bar a person for harming a child: deactivated, signed out everywhere, never to be reactivated."""
    person = found.person
    if person.id == actor.id:
        raise Refused({"bar_reason": N_("You cannot bar yourself.")})
    if found.barred:
        return
    profile = found.profile or StaffProfile(person_id=person.id, job=found.job)
    before = _snapshot(person, found.roles, found.profile)
    profile.barred_at, profile.barred_by_id, profile.barred_reason = utcnow(), actor.id, reason
    person.active = False
    person.deactivated_at = person.deactivated_at or profile.barred_at
    session.add(profile)
    session.add(person)
    revoke_sessions(session, person.id)
    void_duties_from(session, actor.id, person.id, local_date(profile.barred_at), reason)
    audit.record(session, actor.id, "staff_barred", person, before=before,
                 after=_snapshot(person, found.roles, profile), reason=reason)
    session.commit()


def reset_password(session: Session, actor: CurrentPerson, found: Account, new_password: str) -> None:
    """A new password set by the director; the person's sessions end (audited as a password change)."""
    _refuse_if_barred(found, "__all__")
    if not found.signs_in:
        raise Refused({"new_password": N_("This person has no sign-in.")})
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


# --- The register as the dashboard reads it -------------------------------


@dataclass(frozen=True)
class CertificateWarning:
    person: Person
    kind: CertificateKind
    name: str
    valid_until: date


@dataclass
class Staffing:
    """Who works today and what their certificates say (DOMAIN.md "Staff"), in one statement."""

    working: list[Account]
    expiring: list[CertificateWarning]  # the newest certificate of a kind, expiring within the warning days
    missing: list[tuple[Person, list[CertificateKind]]]  # caregivers and health officers without a valid one

    @property
    def security(self) -> int:
        return sum(1 for found in self.working if found.job is Job.security)

    @property
    def health_officers(self) -> list[Employment]:
        return [found.employment for found in self.working if Role.health in found.roles or found.job is Job.health]


def staffing(session: Session, today: date, policy: Policy) -> Staffing:
    """The register in one statement: each person with their profile, their roles (aggregated) and the
    newest certificate of each kind and name not voided (outer-joined: a row per kind, a few per person,
    however many renewals the years have brought)."""
    roles_of_person = (
        select(func.aggregate_strings(PersonRole.role, ",")).where(PersonRole.person_id == Person.id).scalar_subquery()
    )
    newest_certificates = (
        select(StaffCertificate.person_id, StaffCertificate.kind, StaffCertificate.name,
               func.max(StaffCertificate.valid_until).label("valid_until"))
        .where(StaffCertificate.voided_at.is_(None))
        .group_by(StaffCertificate.person_id, StaffCertificate.kind, StaffCertificate.name)
        .subquery()
    )
    rows = session.exec(
        select(Person, StaffProfile, roles_of_person, newest_certificates.c.kind, newest_certificates.c.name,
               newest_certificates.c.valid_until)
        .outerjoin(StaffProfile, StaffProfile.person_id == Person.id)
        .outerjoin(newest_certificates, newest_certificates.c.person_id == Person.id)
        .where(
            Person.active.is_(True),
            StaffProfile.barred_at.is_(None),
            Person.id.in_(select(PersonRole.person_id).where(PersonRole.role.in_(STAFF_ROLES)))
            | StaffProfile.person_id.is_not(None),
        )
        .order_by(Person.full_name, Person.id)
    ).all()
    accounts: dict[int, Account] = {}
    newest: dict[tuple[int, CertificateKind, str], date] = {}  # the latest valid_until of each kind and name
    for person, profile, roles, kind, name, valid_until in rows:
        if person.id not in accounts:
            found = frozenset(Role(role) for role in roles.split(",")) if roles else frozenset()
            accounts[person.id] = Account(person, found, None, profile)
        if kind is not None:
            newest[(person.id, kind, name)] = valid_until
    working = list(accounts.values())
    people = {found.person.id: found.person for found in working}
    warn_until = today + timedelta(days=policy.certificate_warning_days)
    expiring = sorted(
        (CertificateWarning(people[person_id], kind, name, valid_until)
         for (person_id, kind, name), valid_until in newest.items() if today <= valid_until <= warn_until),
        key=lambda warning: (warning.valid_until, warning.person.full_name),
    )
    valid: dict[int, set[CertificateKind]] = {}
    for (person_id, kind, _name), valid_until in newest.items():
        if certificate_valid(False, valid_until, today):
            valid.setdefault(person_id, set()).add(kind)
    missing = [
        (found.person, lacking) for found in working
        if found.roles & {Role.caregiver, Role.health}
        and (lacking := missing_certificates(valid.get(found.person.id, set())))
    ]
    return Staffing(working, expiring, missing)
