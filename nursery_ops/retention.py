"""Retention (DOMAIN.md "Records and privacy"): nothing of a child is hard-deleted until `retention_years`
(default 3) after the child left; then `python -m nursery_ops purge` removes it (wired in cli.py).

When a child left
    On the last day of its last enrolment (`end_date`, the last day of care). A child with any enrolment that
    is not withdrawn — enrolled, also from a later start, or on the waitlist — has not left. A place withdrawn
    from the waitlist ends on its withdrawal date, so a child that only ever waited counts from there; a
    child never enrolled nor waitlisted counts from the day its record was created. The child is due when
    left + retention_years < today (the nursery's date): left exactly 3 years ago today is kept one more day.
    A 29 February counts to 28 February of a common year, as ages do (children.rules.date_at_months).

What goes — found from the schema (SQLModel.metadata), so a new table is covered without a change here
    Every row with a foreign key to the child, and every row that cannot exist without one of those (a NOT
    NULL foreign key into them: room moves and bookings of an enrolment, staff of an incident, doses of an
    authorisation, bill lines...); the child's photos (portrait, pick-up adults, day-log photos nobody else
    is tagged in) with their files; guardians linked to no remaining child, with their invitations and
    parent sign-ins (roles, sessions, failed sign-ins). A remaining row that pointed at a removed row through
    an optional reference loses only that reference — unless it is another child's record: then the purge
    of this child refuses (RetentionError) rather than cut into it.

What stays, and why
    Fee contracts with their charges, bills with their lines, payments and refunds are accounting records
    (会计档案, kept 30 years): they stay unchanged. Their NOT NULL foreign keys name the child and the
    enrolment, and a contract names the guardian who signed, so those rows stay as pseudonyms: the child
    "已清除 #<id>" with every personal field blank, the enrolment without its withdrawal reason, the guardian
    "已清除 #<id>" without a phone number. Repointing the accounts at one shared placeholder would lose
    which bills belong together; a schema change (nullable keys) would buy nothing the pseudonym does not.
    The child's row stays as such a tombstone even without accounting records: one shape for every purged
    child, and the audit trail's child id (and an outbreak alert's list of ids) keeps pointing at it —
    SQLite gives a deleted largest id to the next new row, which would otherwise inherit that trail.
    The tombstone keeps `sex` (NOT NULL; it identifies no one once the name and birth date are gone); the
    birth date (NOT NULL too) becomes PURGED_BIRTH_DATE.
    A guardian still named by a remaining row (a committee membership, a kept contract) stays as a pseudonym
    the same way; a person row referenced elsewhere (an audit actor, a recorder) stays deactivated and
    blank; a member of staff who was also a guardian keeps their account and loses only the parent link.
    A group photo stays for the other children tagged in it: the purged child's tag goes, and the purged
    child's log entry of it — through which families see the photo (photos.service.visible_photo) — moves
    to another child tagged in it.
    Audit entries about anything removed or pseudonymised keep who, when, which action on which record;
    their before/after snapshots and reason (personal data) become null. Then one `retention_purge` entry
    per child (no actor: the system), with counts only, in the same transaction as the deletes.

Photo files are removed after the commit (a purge that rolls back keeps them). Backups are not touched:
they age out by their own rotation.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Integer, Table, delete, func, literal, null, or_, select, update
from sqlmodel import Session, SQLModel

from nursery_ops import audit, schema  # noqa: F401  (schema: every table in the metadata)
from nursery_ops.auth.models import Role, STAFF_ROLES
from nursery_ops.children.models import Child, VaccinationStatus
from nursery_ops.children.rules import date_at_months
from nursery_ops.clock import local_date, utcnow
from nursery_ops.db import UtcDateTime
from nursery_ops.enrolment.models import Enrolment, EnrolmentStatus
from nursery_ops.errors import NotFound
from nursery_ops.photos.models import Photo
from nursery_ops.photos.service import photo_path
from nursery_ops.policy import Policy

# 会计档案: kept (30 years), never deleted here.
ACCOUNTING_TABLES = frozenset({"contract", "contract_charge", "bill", "bill_line", "payment", "refund"})
PSEUDONYM_PREFIX = "已清除 #"
PURGED_BIRTH_DATE = date(1900, 1, 1)
# Columns a pseudonymised row keeps as they were (every other column is in `blanked`; a test checks it).
KEPT_COLUMNS = {
    "child": frozenset({"id", "sex", "created_at"}),
    "guardian": frozenset({"id", "created_at"}),
    "person": frozenset({"id", "password_changed_at", "created_at"}),
    # The service a kept contract bills: its dates, room, care type and schedule are the contract's too.
    "enrolment": frozenset({
        "id", "child_id", "room_id", "status", "care_type", "schedule_days", "half_day_session", "applied_on",
        "start_date", "end_date", "agreement_signed_on", "created_by_id", "created_at",
    }),
}
# A removed guardian's and a removed parent sign-in's own rows: nobody else's record.
GUARDIAN_OWNED = ("parent_invitation",)
PERSON_OWNED = ("person_role", "login_session")
ACTION = "retention_purge"
# Bound parameters per IN (...): far below SQLite's limit, small enough for any plan.
CHUNK = 500

metadata = SQLModel.metadata


class NotDue(Exception):
    """The child is not past retention: it has not left, or left too recently."""

    def __init__(self, standing: "Standing"):
        super().__init__(standing.child_id)
        self.standing = standing


class RetentionError(Exception):
    """The records do not have the shape the purge relies on: nothing was changed."""


def pseudonym(row_id: int) -> str:
    return f"{PSEUDONYM_PREFIX}{row_id}"


def blanked(table: str, row_id: int, now: datetime) -> dict[str, Any]:
    """The values a pseudonymised row takes: its personal columns blank, its name a pseudonym."""
    if table == "child":
        return {
            "full_name": pseudonym(row_id), "birth_date": PURGED_BIRTH_DATE, "photo_id": None, "allergies": "",
            "special_needs": "", "feeding_needs": "", "feeding_statement_on": None,
            "vaccination_status": VaccinationStatus.missing, "vaccination_checked_on": None,
            "vaccination_due_on": None, "consent_on": None, "consent_guardian_id": None, "purged_at": now,
        }
    if table == "guardian":
        return {"full_name": pseudonym(row_id), "phone": ""}
    if table == "person":
        person = metadata.tables["person"]
        return {
            "full_name": pseudonym(row_id), "username": None, "password_hash": "", "phone": None, "locale": None,
            "active": False, "guardian_id": None,
            "deactivated_at": func.coalesce(person.c.deactivated_at, literal(now, UtcDateTime())),
        }
    if table == "enrolment":
        return {"withdrawal_reason": None}
    raise RetentionError(f"no pseudonym rule for {table} rows")


# ---------------------------------------------------------------- rules: when a child left, when it is due


@dataclass(frozen=True)
class Standing:
    """Where a child stands: `left_on` is None while it holds or waits for a place."""

    child_id: int
    left_on: date | None
    keep_until: date | None
    due: bool
    purged: bool = False


def left_on(enrolments: Iterable[tuple[EnrolmentStatus, date, date | None]], created_on: date) -> date | None:
    """The child's last day here (see the module docstring), or None while it has not left."""
    enrolments = list(enrolments)
    if any(status is not EnrolmentStatus.withdrawn for status, _start, _end in enrolments):
        return None
    # A withdrawal always sets end_date; the start is the sober fallback for a row that lacks one.
    return max((end or start for _status, start, end in enrolments), default=created_on)


def keep_until(left: date, years: int) -> date:
    """The last day the records must be kept."""
    return date_at_months(left, 12 * years)


def standing(child_id: int, created_on: date, enrolments, today: date, years: int, purged: bool = False) -> Standing:
    left = left_on(enrolments, created_on)
    until = keep_until(left, years) if left is not None else None
    return Standing(child_id, left, until, until is not None and until < today and not purged, purged)


# ---------------------------------------------------------------- who is due


def _is_purged():
    return Child.purged_at.is_not(None)


def standings(session: Session, today: date, policy: Policy, child_id: int | None = None) -> list[Standing]:
    """Every child's standing (or one child's), from one query."""
    statement = (
        select(Child.id, Child.created_at, _is_purged(), Enrolment.status, Enrolment.start_date, Enrolment.end_date)
        .outerjoin(Enrolment, Enrolment.child_id == Child.id)
        .order_by(Child.id)
    )
    if child_id is not None:
        statement = statement.where(Child.id == child_id)
    children: dict[int, tuple[datetime, bool]] = {}
    enrolments: dict[int, list] = defaultdict(list)
    for row_id, created_at, purged, status, start, end in session.exec(statement).all():
        children[row_id] = (created_at, bool(purged))
        if status is not None:
            enrolments[row_id].append((EnrolmentStatus(status), start, end))
    return [
        standing(row_id, local_date(created_at), enrolments[row_id], today, policy.retention_years, purged)
        for row_id, (created_at, purged) in children.items()
    ]


def child_standing(session: Session, child_id: int, today: date, policy: Policy) -> Standing:
    found = standings(session, today, policy, child_id)
    if not found:
        raise NotFound()
    return found[0]


# ---------------------------------------------------------------- the plan


@dataclass
class PurgePlan:
    """What purging one child does, as primary keys per table (nothing is changed by making one)."""

    standing: Standing
    deleted: dict[str, set] = field(default_factory=lambda: defaultdict(set))
    pseudonymised: dict[str, set] = field(default_factory=lambda: defaultdict(set))
    kept: dict[str, set] = field(default_factory=lambda: defaultdict(set))  # accounting rows, unchanged
    unlinked: dict[tuple[str, str], set] = field(default_factory=lambda: defaultdict(set))  # (table, column)
    moved_entries: dict[int, int] = field(default_factory=dict)  # group-photo log entry id -> the child it moves to
    audit_cleared: set[int] = field(default_factory=set)
    photo_files: list[Path] = field(default_factory=list)

    @property
    def child_id(self) -> int:
        return self.standing.child_id

    def counts(self) -> dict[str, Any]:
        """Numbers only (the audit entry's `after`): no id, no name, no date of the child."""
        def per_table(rows: dict) -> dict[str, int]:
            return {name: len(keys) for name, keys in sorted(rows.items()) if keys}

        return {
            "deleted": per_table(self.deleted),
            "pseudonymised": per_table(self.pseudonymised),
            "kept": per_table(self.kept),
            "unlinked": {f"{table}.{column}": len(keys) for (table, column), keys in sorted(self.unlinked.items()) if keys},
            "moved_to_another_child": {"log_entry": len(self.moved_entries)} if self.moved_entries else {},
            "audit_entries_cleared": len(self.audit_cleared),
            "photo_files": len(self.photo_files),
        }


def _key(table: Table) -> Column:
    (column,) = table.primary_key.columns
    return column


def _chunks(values: Iterable) -> Iterator[list]:
    ordered = sorted(values)
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start:start + CHUNK]


def _referrers(target: Table) -> list[tuple[Table, Column]]:
    """Every (table, column) with a foreign key into `target`, in the metadata's order."""
    return _foreign_keys_into().get(target.name, [])


@cache
def _foreign_keys_into() -> dict[str, list[tuple[Table, Column]]]:
    into: dict[str, list[tuple[Table, Column]]] = defaultdict(list)
    for table in _tables_in_order():
        for key in sorted(table.foreign_keys, key=lambda key: key.parent.name):
            into[key.column.table.name].append((table, key.parent))
    return dict(into)


@cache
def _tables_in_order() -> tuple[Table, ...]:
    """Referenced tables before the tables that refer to them (computed once: the metadata is fixed)."""
    return tuple(metadata.sorted_tables)


def _child_columns(table: Table) -> list[Column]:
    return [key.parent for key in table.foreign_keys if key.column.table.name == "child"]


def _referring(session: Session, column: Column, ids: Iterable, *extra: Column) -> list[tuple]:
    """(key, value, *extra) of the rows whose `column` holds one of `ids`."""
    found = []
    for chunk in _chunks(set(ids) - {None}):
        found += session.exec(select(_key(column.table), column, *extra).where(column.in_(chunk))).all()
    return found


def _values(session: Session, column: Column, keys: Iterable) -> set:
    """The non-null values of `column` in the rows with these keys."""
    table, found = column.table, set()
    for chunk in _chunks(keys):
        found |= set(session.exec(select(column).where(_key(table).in_(chunk), column.is_not(None))).scalars().all())
    return found


def plan_purge(session: Session, item: Standing) -> PurgePlan:
    """Work out, from the schema, everything purging this child removes, pseudonymises or keeps."""
    tables = metadata.tables
    child_id, plan = item.child_id, PurgePlan(item)
    rows = _child_rows(session, child_id)

    # Accounting rows stay, and so does every row of the child's they refer to (the enrolment, the child).
    for name in ACCOUNTING_TABLES & rows.keys():
        plan.kept[name] = set(rows[name])
    needed = _referred_by(session, plan.kept, rows)
    plan.pseudonymised["child"] = {child_id}
    for name, keys in needed.items():
        if name not in KEPT_COLUMNS:
            raise RetentionError(f"accounting records refer to {name} rows, which have no pseudonym rule")
        plan.pseudonymised[name] |= keys
    for name, keys in rows.items():
        rest = keys - plan.kept.get(name, set()) - plan.pseudonymised.get(name, set())
        if rest:
            plan.deleted[name] = rest

    _plan_photos(session, plan, rows)
    people = _plan_guardians(session, plan, rows)
    _plan_people(session, plan, people)
    _plan_unlinks(session, plan, rows)

    entries = audit.AuditEntry.__table__
    plan.audit_cleared = set(session.exec(select(entries.c.id).where(entries.c.child_id == child_id)).scalars().all())
    for group in (plan.deleted, plan.pseudonymised):
        for name, keys in group.items():
            if isinstance(_key(tables[name]).type, Integer):  # not the sessions' token keys
                for chunk in _chunks(keys):
                    plan.audit_cleared |= set(session.exec(
                        select(entries.c.id).where(entries.c.entity == name, entries.c.entity_id.in_(chunk))
                    ).scalars().all())
    return plan


def _child_rows(session: Session, child_id: int) -> dict[str, set]:
    """The child's rows: a foreign key to the child, or a NOT NULL one into such a row (repeatedly)."""
    child = metadata.tables["child"]
    rows: dict[str, set] = defaultdict(set)
    rows["child"] = {child_id}
    for table, column in _referrers(child):
        rows[table.name] |= {key for key, _value in _referring(session, column, {child_id})}
    through: dict[str, set] = defaultdict(set)  # found only through another row: checked below
    frontier = {name for name, keys in rows.items() if keys and name != "child"}
    while frontier:
        reached = set()
        for name in frontier:
            for table, column in _referrers(metadata.tables[name]):
                if column.nullable:
                    continue
                new = {key for key, _value in _referring(session, column, rows[name])} - rows[table.name]
                if new:
                    rows[table.name] |= new
                    through[table.name] |= new
                    reached.add(table.name)
        frontier = reached
    for name, keys in through.items():
        columns = _child_columns(metadata.tables[name])
        if columns and keys - _keys_of_child(session, metadata.tables[name], columns, keys, child_id):
            raise RetentionError(f"{name} rows of another child depend on child {child_id}'s rows")
    return {name: keys for name, keys in rows.items() if keys}


def _keys_of_child(session: Session, table: Table, columns: list[Column], keys: set, child_id: int) -> set:
    found = set()
    for chunk in _chunks(keys):
        found |= set(session.exec(
            select(_key(table)).where(_key(table).in_(chunk), or_(*(column == child_id for column in columns)))
        ).scalars().all())
    return found


def _referred_by(session: Session, kept: dict[str, set], rows: dict[str, set]) -> dict[str, set]:
    """The child's non-accounting rows that kept rows refer to (repeatedly): they must stay too."""
    needed: dict[str, set] = defaultdict(set)
    frontier = {name: keys for name, keys in kept.items()}
    while frontier:
        reached: dict[str, set] = defaultdict(set)
        for name, keys in frontier.items():
            for key in metadata.tables[name].foreign_keys:
                target = key.column.table.name
                if target in ACCOUNTING_TABLES or target not in rows:
                    continue
                new = _values(session, key.parent, keys) & rows[target] - needed[target]
                if new:
                    needed[target] |= new
                    reached[target] |= new
        frontier = reached
    needed.pop("child", None)  # the child is always pseudonymised
    return {name: keys for name, keys in needed.items() if keys}


def _plan_photos(session: Session, plan: PurgePlan, rows: dict[str, set]) -> None:
    """The child's photos go, unless another child is tagged in one: then its log entry moves to that child."""
    photo, tag, entry = (metadata.tables[name] for name in ("photo", "photo_tag", "log_entry"))
    candidates = set()
    for table, column in _referrers(photo):
        if table.name in rows:
            candidates |= _values(session, column, rows[table.name])
    if not candidates:
        return
    others: dict[int, set] = defaultdict(set)
    for chunk in _chunks(candidates):
        for key, photo_id, child_id in session.exec(
            select(tag.c.id, tag.c.photo_id, tag.c.child_id).where(tag.c.photo_id.in_(chunk))
        ).all():
            if key not in plan.deleted["photo_tag"]:
                others[photo_id].add(child_id)
    for entry_id, photo_id in _referring(session, entry.c.photo_id, others.keys()):
        if entry_id in plan.deleted["log_entry"]:
            plan.moved_entries[entry_id] = min(others[photo_id])
    plan.deleted["log_entry"] -= plan.moved_entries.keys()
    still_used = set()
    for table, column in _referrers(photo):
        for key, photo_id in _referring(session, column, candidates):
            if key not in plan.deleted[table.name] and not (table.name == "child" and key == plan.child_id):
                still_used.add(photo_id)
    gone = candidates - still_used
    if gone:
        plan.deleted["photo"] |= gone
        for chunk in _chunks(gone):
            plan.photo_files += [photo_path(row) for row in session.exec(select(Photo).where(Photo.id.in_(chunk))).scalars()]


def _plan_guardians(session: Session, plan: PurgePlan, rows: dict[str, set]) -> set[int]:
    """Guardians named only by this child's rows go (or stay as a pseudonym); returns their sign-ins."""
    guardian, person = metadata.tables["guardian"], metadata.tables["person"]
    candidates = set()
    for key in (key for name in rows for key in metadata.tables[name].foreign_keys):
        if key.column.table is guardian:
            candidates |= _values(session, key.parent, rows[key.parent.table.name])
    # Linked: named by a row of another child that is not purged (a purged child's kept contract only names them).
    naming: list[tuple[int, set]] = []
    for table, column in _referrers(guardian):
        child_columns = [_key(table)] if table.name == "child" else _child_columns(table)
        if child_columns:
            naming += [(value, set(children) - {None}) for key, value, *children
                       in _referring(session, column, candidates, *child_columns)
                       if key not in rows.get(table.name, set())]
    purged = _purged_children(session, {child for _value, children in naming for child in children})
    gone = candidates - {value for value, children in naming if children - purged}
    if not gone:
        return set()
    for name in GUARDIAN_OWNED:
        plan.deleted[name] |= {key for key, _value in _referring(session, metadata.tables[name].c.guardian_id, gone)}
    people = {key for key, _value in _referring(session, person.c.guardian_id, gone)}
    named = set()
    for table, column in _referrers(guardian):
        for key, value in _referring(session, column, gone):
            cleared = (table.name == "person" and key in people) or (table.name == "child" and key == plan.child_id)
            if key not in plan.deleted[table.name] and not cleared:
                named.add(value)
    plan.pseudonymised["guardian"] |= gone & named
    plan.deleted["guardian"] |= gone - named
    return people


def _purged_children(session: Session, child_ids: set[int]) -> set[int]:
    found = set()
    for chunk in _chunks(child_ids):
        found |= set(session.exec(select(Child.id).where(Child.id.in_(chunk), _is_purged())).scalars())
    return found


def _plan_people(session: Session, plan: PurgePlan, people: set[int]) -> None:
    """A removed guardian's sign-ins: staff keep their account; a parent's goes, or stays blank when referenced."""
    person, role, failure = (metadata.tables[name] for name in ("person", "person_role", "login_failure"))
    if not people:
        return
    roles = _referring(session, role.c.person_id, people, role.c.role)
    staff = {person_id for _key, person_id, name in roles if Role(name) in STAFF_ROLES}
    plan.unlinked[("person", "guardian_id")] |= staff
    plan.deleted["person_role"] |= {key for key, person_id, name in roles
                                    if person_id not in staff or Role(name) is Role.parent}
    parents = people - staff
    if not parents:
        return
    for name in PERSON_OWNED:
        plan.deleted[name] |= {key for key, _value in _referring(session, metadata.tables[name].c.person_id, parents)}
    referenced = set()
    for table, column in _referrers(person):
        referenced |= {value for key, value in _referring(session, column, parents) if key not in plan.deleted[table.name]}
    plan.pseudonymised["person"] |= parents & referenced
    plan.deleted["person"] |= parents - referenced
    usernames = _values(session, person.c.username, parents)
    for chunk in _chunks(usernames):
        plan.deleted["login_failure"] |= set(session.exec(select(failure.c.id).where(failure.c.username.in_(chunk))).scalars())


def _plan_unlinks(session: Session, plan: PurgePlan, rows: dict[str, set]) -> None:
    """A remaining row that points at a removed one loses that reference; another child's record may not."""
    now = utcnow()
    for name, keys in list(plan.deleted.items()):
        if not keys:
            continue
        for table, column in _referrers(metadata.tables[name]):
            for key, value in _referring(session, column, keys):
                if key in plan.deleted[table.name] or key in plan.unlinked[(table.name, column.name)]:
                    continue
                if key in plan.pseudonymised[table.name] and blanked(table.name, key, now).get(column.name, 0) is None:
                    continue  # the pseudonym clears it
                moved = table.name == "log_entry" and key in plan.moved_entries
                if not column.nullable or (_child_columns(table) and key not in rows.get(table.name, set()) and not moved):
                    raise RetentionError(f"{table.name} {key} refers to the {name} row {value}, which the purge removes")
                plan.unlinked[(table.name, column.name)].add(key)


# ---------------------------------------------------------------- the purge


def purge_child(session: Session, child_id: int, today: date, policy: Policy) -> PurgePlan:
    """Remove what is past retention of one child, in one transaction with its audit entry; NotDue when not yet.

    The child row is locked first (PostgreSQL: FOR UPDATE also holds off a new row pointing at the child, such
    as a new enrolment), and its standing is read again inside the transaction.
    """
    child = session.exec(select(Child).where(Child.id == child_id).with_for_update()).scalars().first()
    if child is None:
        raise NotFound()
    item = child_standing(session, child_id, today, policy)
    if not item.due:
        raise NotDue(item)
    plan = plan_purge(session, item)
    _apply(session, plan, utcnow())
    audit.record(session, None, ACTION, child, after=plan.counts(), child_id=child_id,
                 reason=f"past retention: kept {policy.retention_years} years after leaving")
    session.commit()
    for path in plan.photo_files:
        path.unlink(missing_ok=True)
    return plan


def _apply(session: Session, plan: PurgePlan, now: datetime) -> None:
    tables = metadata.tables
    entry = tables["log_entry"]
    for target in set(plan.moved_entries.values()):
        moving = [key for key, child_id in plan.moved_entries.items() if child_id == target]
        for chunk in _chunks(moving):
            session.exec(update(entry).where(entry.c.id.in_(chunk)).values(child_id=target))
    for (name, column), keys in plan.unlinked.items():
        for chunk in _chunks(keys):
            session.exec(update(tables[name]).where(_key(tables[name]).in_(chunk)).values({column: None}))
    for name, keys in plan.pseudonymised.items():
        for key in sorted(keys):
            session.exec(update(tables[name]).where(_key(tables[name]) == key).values(blanked(name, key, now)))
    entries = audit.AuditEntry.__table__
    for chunk in _chunks(plan.audit_cleared):
        session.exec(update(entries).where(entries.c.id.in_(chunk)).values(before=null(), after=null(), reason=None))
    for table in reversed(_tables_in_order()):
        keys = plan.deleted.get(table.name)
        if not keys:
            continue
        # Versions of one log entry point at each other: cut those links first, so any chunk can go first.
        for key in table.foreign_keys:
            if key.column.table is table and key.parent.nullable:
                for chunk in _chunks(keys):
                    session.exec(update(table).where(_key(table).in_(chunk)).values({key.parent.name: None}))
        for chunk in _chunks(keys):
            session.exec(delete(table).where(_key(table).in_(chunk)))
