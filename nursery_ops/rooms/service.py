"""Rooms (班): the overview with occupancy, one room's children, and the director's changes.

Each page loads in a fixed number of queries; rules come from rooms/rules.py.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import ColumnElement, and_, func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from nursery_ops import audit
from nursery_ops.auth.models import Person, PersonRole, Role
from nursery_ops.auth.service import CurrentPerson
from nursery_ops.children.models import Child
from nursery_ops.children.rules import AgeBand, age_band, completed_months
from nursery_ops.enrolment.models import Enrolment, EnrolmentStatus
from nursery_ops.errors import NotFound
from nursery_ops.i18n import N_
from nursery_ops.policy import Decision, Policy
from nursery_ops.rooms.models import Room, RoomCaregiver, RoomType
from nursery_ops.rooms.rules import (
    band_counts,
    capacity_holds_children,
    capacity_within_type,
    filed_capacity_check,
    room_may_close,
    room_type_cap,
    type_change_fits_children,
)


def holds_place_on(day: date) -> ColumnElement[bool]:
    """Enrolments whose child is in a room on a day (end_date is the last day of care)."""
    return and_(
        Enrolment.status != EnrolmentStatus.waitlisted,
        Enrolment.room_id.is_not(None),
        Enrolment.start_date <= day,
        or_(Enrolment.end_date.is_(None), Enrolment.end_date >= day),
    )


def holds_place_from(day: date) -> ColumnElement[bool]:
    """Enrolments holding a room place on a day or later (a booked later start included)."""
    return and_(
        Enrolment.status != EnrolmentStatus.waitlisted,
        Enrolment.room_id.is_not(None),
        or_(Enrolment.end_date.is_(None), Enrolment.end_date >= day),
    )


def places_taken(session: Session, room_id: int, on: date) -> int:
    """Places the room's enrolments hold from a date on (see rules.places_from)."""
    statement = select(func.count()).select_from(Enrolment).where(Enrolment.room_id == room_id, holds_place_from(on))
    return session.exec(statement).one()


def room_end_dates(session: Session, since: date) -> dict[int, list[date | None]]:
    """Per room, the end dates of enrolments holding a place on `since` or later (for rules.places_from)."""
    rows = session.exec(select(Enrolment.room_id, Enrolment.end_date).where(holds_place_from(since))).all()
    end_dates: dict[int, list[date | None]] = defaultdict(list)
    for room_id, end_date in rows:
        end_dates[room_id].append(end_date)
    return end_dates


def get_room(session: Session, room_id: int) -> Room:
    room = session.get(Room, room_id)
    if room is None:
        raise NotFound()
    return room


def active_rooms(session: Session) -> list[Room]:
    return list(session.exec(select(Room).where(Room.active.is_(True)).order_by(Room.name)).all())


# --- Overview ---------------------------------------------------------------


@dataclass
class RoomRow:
    room: Room
    type_cap: int
    caregivers: list[Person] = field(default_factory=list)
    enrolled: int = 0
    bands: dict[AgeBand, int] = field(default_factory=dict)
    mine: bool = False

    @property
    def full(self) -> bool:
        return self.enrolled >= self.room.capacity

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.enrolled / self.room.capacity)) if self.room.capacity else 100


@dataclass
class RoomsOverview:
    rows: list[RoomRow]
    total_enrolled: int
    total_capacity: int
    filed_capacity: int
    filed_warning: Decision | None


def rooms_overview(session: Session, today: date, policy: Policy, me: CurrentPerson | None = None) -> RoomsOverview:
    """Every room with its caregivers and today's children per band: two queries."""
    rows: dict[int, RoomRow] = {}
    room_people = session.exec(
        select(Room, Person)
        .outerjoin(RoomCaregiver, RoomCaregiver.room_id == Room.id)
        .outerjoin(Person, Person.id == RoomCaregiver.person_id)
        .order_by(Room.active.desc(), Room.name, Person.full_name)
    ).all()
    for room, person in room_people:
        row = rows.setdefault(room.id, RoomRow(room, room_type_cap(room.room_type, policy)))
        if person is not None:
            row.caregivers.append(person)
            if me is not None and person.id == me.id:
                row.mine = True

    birth_dates: dict[int, list[date]] = defaultdict(list)
    for room_id, birth_date in session.exec(
        select(Enrolment.room_id, Child.birth_date).join(Child, Child.id == Enrolment.child_id).where(holds_place_on(today))
    ).all():
        birth_dates[room_id].append(birth_date)
    for room_id, row in rows.items():
        row.enrolled = len(birth_dates[room_id])
        row.bands = band_counts(birth_dates[room_id], today, policy)

    # A caregiver's own rooms come first; otherwise active rooms by name.
    ordered = sorted(rows.values(), key=lambda row: (not row.mine, not row.room.active, row.room.name))
    total = sum(len(dates) for dates in birth_dates.values())
    return RoomsOverview(
        rows=ordered,
        total_enrolled=total,
        total_capacity=sum(row.room.capacity for row in ordered if row.room.active),
        filed_capacity=policy.filed_capacity,
        filed_warning=filed_capacity_check(total, policy),
    )


# --- One room ---------------------------------------------------------------


@dataclass
class RoomChild:
    child: Child
    enrolment: Enrolment
    months: int | None
    band: AgeBand | None


@dataclass
class RoomDetail:
    room: Room
    type_cap: int
    children: list[RoomChild]
    starting_later: list[RoomChild]
    caregivers: list[Person]
    assignable: list[Person]


def room_detail(session: Session, room: Room, today: date, policy: Policy, with_assignable: bool = False) -> RoomDetail:
    """The room's children today (and those booked to start later), and its caregivers."""
    rows = session.exec(
        select(Enrolment, Child)
        .join(Child, Child.id == Enrolment.child_id)
        .where(Enrolment.room_id == room.id, holds_place_from(today))
        .order_by(Child.full_name, Child.id)
    ).all()
    children, later = [], []
    for enrolment, child in rows:
        if enrolment.start_date > today:
            later.append(RoomChild(child, enrolment, None, None))
            continue
        months = completed_months(child.birth_date, today)
        children.append(RoomChild(child, enrolment, months, age_band(months, policy)))
    caregivers = list(
        session.exec(
            select(Person).join(RoomCaregiver, RoomCaregiver.person_id == Person.id)
            .where(RoomCaregiver.room_id == room.id).order_by(Person.full_name)
        ).all()
    )
    assignable = []
    if with_assignable:
        assigned = {person.id for person in caregivers}
        assignable = [person for person in caregiver_people(session) if person.id not in assigned]
    return RoomDetail(room, room_type_cap(room.room_type, policy), children, later, caregivers, assignable)


def caregiver_people(session: Session) -> list[Person]:
    """Active people holding the caregiver role (保育人员)."""
    return list(
        session.exec(
            select(Person).join(PersonRole, PersonRole.person_id == Person.id)
            .where(PersonRole.role == Role.caregiver, Person.active.is_(True))
            .order_by(Person.full_name)
        ).all()
    )


# --- Director's changes ---------------------------------------------------------------

NAME_TAKEN = N_("Another room already has this name.")


def _name_taken(session: Session, name: str, room_id: int | None) -> bool:
    statement = select(Room.id).where(func.lower(Room.name) == name.lower())
    if room_id is not None:
        statement = statement.where(Room.id != room_id)
    return session.exec(statement).first() is not None


def create_room(
    session: Session, me: CurrentPerson, name: str, room_type: RoomType, capacity: int | None, policy: Policy
) -> tuple[Room | None, dict[str, str | Decision]]:
    capacity = room_type_cap(room_type, policy) if capacity is None else capacity
    errors: dict[str, str | Decision] = {}
    if _name_taken(session, name, None):
        errors["name"] = NAME_TAKEN
    if decision := capacity_within_type(capacity, room_type, policy):
        errors["capacity"] = decision
    if errors:
        return None, errors
    room = Room(name=name, room_type=room_type, capacity=capacity)
    session.add(room)
    try:
        audit.record(session, me.id, "room_created", room, after=audit.snapshot(room))
    except IntegrityError:
        session.rollback()
        return None, {"name": NAME_TAKEN}
    session.commit()
    return room, {}


def update_room(
    session: Session,
    me: CurrentPerson,
    room: Room,
    name: str,
    room_type: RoomType,
    capacity: int | None,
    today: date,
    policy: Policy,
) -> dict[str, str | Decision]:
    capacity = room_type_cap(room_type, policy) if capacity is None else capacity
    errors: dict[str, str | Decision] = {}
    if _name_taken(session, name, room.id):
        errors["name"] = NAME_TAKEN
    taken = places_taken(session, room.id, today)
    if decision := capacity_within_type(capacity, room_type, policy) or capacity_holds_children(capacity, taken):
        errors["capacity"] = decision
    if room_type != room.room_type:
        birth_dates = session.exec(
            select(Child.birth_date).join(Enrolment, Enrolment.child_id == Child.id)
            .where(Enrolment.room_id == room.id, holds_place_on(today))
        ).all()
        if decision := type_change_fits_children(room_type, list(birth_dates), today, policy):
            errors["room_type"] = decision
    if errors:
        return errors
    before = audit.snapshot(room)
    room.name, room.room_type, room.capacity = name, room_type, capacity
    session.add(room)
    try:
        audit.record(session, me.id, "room_updated", room, before=before, after=audit.snapshot(room))
    except IntegrityError:
        session.rollback()
        return {"name": NAME_TAKEN}
    session.commit()
    return {}


def assign_caregiver(session: Session, me: CurrentPerson, room: Room, person_id: int | None) -> dict[str, str]:
    allowed = {person.id: person for person in caregiver_people(session)}
    if person_id not in allowed:
        return {"person_id": N_("Choose an active caregiver.")}
    exists = session.exec(
        select(RoomCaregiver).where(RoomCaregiver.room_id == room.id, RoomCaregiver.person_id == person_id)
    ).first()
    if exists is None:
        link = RoomCaregiver(room_id=room.id, person_id=person_id)
        session.add(link)
        audit.record(session, me.id, "caregiver_assigned", link, after=audit.snapshot(link))
        session.commit()
    return {}


def unassign_caregiver(session: Session, me: CurrentPerson, room: Room, person_id: int) -> None:
    link = session.exec(
        select(RoomCaregiver).where(RoomCaregiver.room_id == room.id, RoomCaregiver.person_id == person_id)
    ).first()
    if link is None:
        raise NotFound()
    before = audit.snapshot(link)
    session.delete(link)
    # An assignment is not child data: removing the row is the change, the audit entry keeps it.
    audit.record(session, me.id, "caregiver_unassigned", link, before=before)
    session.commit()


def set_room_active(session: Session, me: CurrentPerson, room: Room, active: bool, today: date) -> Decision | None:
    """Deactivate only an empty room; reactivating is always possible."""
    if not active and (decision := room_may_close(places_taken(session, room.id, today))):
        return decision
    before = audit.snapshot(room)
    room.active = active
    session.add(room)
    audit.record(session, me.id, "room_activated" if active else "room_deactivated", room,
                 before=before, after=audit.snapshot(room))
    session.commit()
    return None
