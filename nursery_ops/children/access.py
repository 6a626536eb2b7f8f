"""Which children a person may see, and whose health records a member of staff may read.

Staff see every child's record; a guardian only their own children. A parent asking
for any other child gets 404 (NotFound), never 403, so ids reveal nothing. Health
records (illness, medication, growth, exams, incidents) are narrower: the director and
the health officer read every child's, a caregiver those of their own rooms' children
(`cares_for_child`). These are the only functions that decide it.
"""

from sqlalchemy import Engine, or_
from sqlmodel import Session, col, select

from nursery_ops import audit
from nursery_ops.auth.models import Role
from nursery_ops.auth.service import CurrentPerson
from nursery_ops.children.models import Child, ChildGuardian
from nursery_ops.enrolment.models import Enrolment, EnrolmentStatus
from nursery_ops.errors import Forbidden, NotFound
from nursery_ops.rooms.models import RoomCaregiver


def guardian_children(guardian_id: int):
    """Children this guardian may see (active link, may_view), as a subquery (for set-based filters)."""
    return select(ChildGuardian.child_id).where(
        ChildGuardian.guardian_id == guardian_id, ChildGuardian.active.is_(True), ChildGuardian.may_view.is_(True)
    )


def guardian_child_ids(session: Session, guardian_id: int | None) -> set[int]:
    """Children this guardian may see (`guardian_children`)."""
    if guardian_id is None:
        return set()
    return set(session.exec(guardian_children(guardian_id)).all())


def may_see_child(session: Session, me: CurrentPerson, child_id: int) -> bool:
    return me.is_staff or child_id in guardian_child_ids(session, me.person.guardian_id)


def visible_child(session: Session, me: CurrentPerson, child_id: int) -> Child:
    """The child, if this person may see it; NotFound otherwise (also for unknown ids)."""
    child = session.get(Child, child_id)
    if child is None or not may_see_child(session, me, child_id):
        raise NotFound()
    return child


# ---------------------------------------------------------------- health records (staff)


def reads_every_health_record(me: CurrentPerson) -> bool:
    """The director and the health officer work with every child."""
    return me.has(Role.director, Role.health)


def own_room_ids(person_id: int):
    """The rooms a caregiver is assigned to, as a subquery (for set-based filters)."""
    return select(RoomCaregiver.room_id).where(RoomCaregiver.person_id == person_id)


def own_children(person_id: int):
    """The children enrolled now in a caregiver's rooms, as a subquery."""
    return select(Enrolment.child_id).where(
        Enrolment.status == EnrolmentStatus.enrolled, col(Enrolment.room_id).in_(own_room_ids(person_id))
    )


def cares_for_child(session: Session, me: CurrentPerson, child_id: int, room_id: int | None = None) -> bool:
    """Whose health records (illness, medication, growth, exams, incidents) a member of staff reads and records.

    The director and the health officer: every child's. A caregiver: the children enrolled
    now in their rooms, and records made in one of their rooms (`room_id`, where an
    illness or an incident happened). Children's health data is sensitive personal
    information (个人信息保护法): nobody else on the staff needs it.
    """
    if reads_every_health_record(me):
        return True
    if not me.has(Role.caregiver):
        return False
    current_room = select(Enrolment.room_id).where(
        Enrolment.child_id == child_id, Enrolment.status == EnrolmentStatus.enrolled
    )
    rooms = col(RoomCaregiver.room_id).in_(current_room)
    if room_id is not None:
        rooms = or_(rooms, RoomCaregiver.room_id == room_id)
    assigned = select(RoomCaregiver.id).where(RoomCaregiver.person_id == me.id, rooms)
    return session.exec(assigned).first() is not None


def open_health_record(
    engine: Engine, session: Session, me: CurrentPerson, child_id: int, entity: str, *, room_id: int | None = None
) -> Child:
    """The child whose health record a staff page shows, its read audited (DOMAIN.md "Records and privacy").

    NotFound for an unknown child, Forbidden outside `cares_for_child`. Every staff GET
    of a child's health data goes through here; `entity` names what was read.
    """
    child = visible_child(session, me, child_id)
    if not cares_for_child(session, me, child.id, room_id):
        raise Forbidden()
    audit.record_read(engine, me.id, entity, child.id)
    return child
