"""The audit viewer's reads: a filtered page of entries, the BLOCK overrides, the CSV — each in a fixed
number of statements (one for the entries, one for the names they mention)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from nursery_ops.audit import AuditEntry
from nursery_ops.auditlog import rules
from nursery_ops.auth.models import STAFF_ROLES, Person, PersonRole
from nursery_ops.children.models import Child
from nursery_ops.clock import to_local
from nursery_ops.forms import FormModel
from nursery_ops.i18n import N_
from nursery_ops.settings import get_settings
from nursery_ops.spreadsheet import cell


class AuditFilter(FormModel):
    person_id: int | None = None
    child_id: int | None = None
    entity: str | None = None
    action: str | None = None
    date_from: date | None = None
    date_to: date | None = None


@dataclass
class Choices:
    """The filter's select lists: staff (who acts) and children (whom entries are about)."""

    people: list[tuple[int, str]]
    children: list[tuple[int, str]]


@dataclass
class Row:
    entry: AuditEntry
    person: str
    child: str
    url: str | None
    changes: list[rules.Change] = field(default_factory=list)


def choices(session: Session) -> Choices:
    staff = session.exec(
        select(Person.id, Person.full_name)
        .where(col(Person.id).in_(select(PersonRole.person_id).where(col(PersonRole.role).in_(list(STAFF_ROLES)))))
        .order_by(Person.full_name, Person.id)
    ).all()
    children = session.exec(select(Child.id, Child.full_name).order_by(Child.full_name, Child.id)).all()
    return Choices([(row[0], row[1]) for row in staff], [(row[0], row[1]) for row in children])


def filter_errors(session: Session, data: AuditFilter, known: Choices) -> dict[str, str]:
    """Ids that name nobody on the lists, and reversed dates (the form parser already checked the shapes)."""
    errors = {}
    if data.person_id is not None and data.person_id not in dict(known.people):
        # An actor need not be staff (a parent accepting an invitation): any person may be asked about.
        if session.get(Person, data.person_id) is None:
            errors["person_id"] = rules.NOT_A_PERSON
    if data.child_id is not None and data.child_id not in dict(known.children):
        errors["child_id"] = rules.NOT_A_CHILD
    if data.date_from and data.date_to and data.date_to < data.date_from:
        errors["date_to"] = rules.DATES_REVERSED
    return errors


def _conditions(data: AuditFilter) -> list:
    start, end = rules.utc_range(data.date_from, data.date_to, get_settings().zone)
    conditions = []
    if data.person_id is not None:
        conditions.append(AuditEntry.actor_id == data.person_id)
    if data.child_id is not None:
        conditions.append(AuditEntry.child_id == data.child_id)
    if data.entity:
        conditions.append(AuditEntry.entity == data.entity)
    if data.action:
        conditions.append(AuditEntry.action == data.action)
    if start is not None:
        conditions.append(col(AuditEntry.at) >= start)
    if end is not None:
        conditions.append(col(AuditEntry.at) < end)
    return conditions


def _newest_first(statement):
    return statement.order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())


def _rows(session: Session, entries: list[AuditEntry], children: dict[int, str]) -> list[Row]:
    actor_ids = {entry.actor_id for entry in entries if entry.actor_id is not None}
    names = dict(session.exec(select(Person.id, Person.full_name).where(col(Person.id).in_(actor_ids))).all())
    return [
        Row(entry, names.get(entry.actor_id, ""), children.get(entry.child_id, ""),
            rules.record_url(entry.entity, entry.entity_id, entry.child_id), rules.changes(entry.before, entry.after))
        for entry in entries
    ]


@dataclass
class Page:
    rows: list[Row]
    number: int
    has_next: bool


def entries_page(session: Session, data: AuditFilter, number: int, known: Choices) -> Page:
    """One page, newest first; one row more than shown tells whether an older page exists."""
    statement = _newest_first(select(AuditEntry).where(*_conditions(data)))
    found = list(session.exec(statement.offset((number - 1) * rules.PAGE_SIZE).limit(rules.PAGE_SIZE + 1)).all())
    rows = _rows(session, found[: rules.PAGE_SIZE], dict(known.children))
    return Page(rows, number, len(found) > rules.PAGE_SIZE)


def overrides(session: Session) -> list[Row]:
    """Every BLOCK override, newest first (see rules.is_override for what counts)."""
    statement = _newest_first(select(AuditEntry).where(or_(
        AuditEntry.action == "override",
        and_(col(AuditEntry.action).in_(list(rules.PREPAY_OVERRIDE_ACTIONS)), col(AuditEntry.reason).is_not(None),
             AuditEntry.reason != ""),
    )))
    entries = list(session.exec(statement).all())
    children = dict(session.exec(select(Child.id, Child.full_name).where(
        col(Child.id).in_({entry.child_id for entry in entries if entry.child_id is not None}))).all())
    return _rows(session, entries, children)


def csv_rows(session: Session, data: AuditFilter, known: Choices, gettext: Callable[..., str]) -> list[list[str]]:
    """Every entry the filter finds, as rows for a spreadsheet (a heading row first)."""
    entries = list(session.exec(_newest_first(select(AuditEntry).where(*_conditions(data)))).all())
    rows = [[gettext(heading) for heading in (
        N_("Time"), N_("Person"), N_("Action"), N_("Kind of record"), N_("Record number"), N_("Child"),
        N_("Reason"), N_("Changes"), N_("Before"), N_("After"))]]
    for row in _rows(session, entries, dict(known.children)):
        entry = row.entry
        rows.append([
            to_local(entry.at).strftime("%Y-%m-%d %H:%M:%S"), cell(row.person), gettext(rules.action_label(entry.action)),
            gettext(rules.entity_label(entry.entity)), "" if entry.entity_id is None else str(entry.entity_id),
            cell(row.child), cell(entry.reason or ""),
            cell("; ".join(f"{change.field}: {change.before} → {change.after}" for change in row.changes)),
            cell(rules.shown_value(entry.before)), cell(rules.shown_value(entry.after)),
        ])
    return rows
