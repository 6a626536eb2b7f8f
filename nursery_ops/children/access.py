"""Which children a person may see: staff see every child; a guardian only their own.

A parent asking for any other child gets 404 (NotFound), never 403, so ids
reveal nothing. These are the only functions that decide it.
"""

from sqlmodel import Session, select

from nursery_ops.auth.service import CurrentPerson
from nursery_ops.children.models import Child, ChildGuardian
from nursery_ops.errors import NotFound


def guardian_child_ids(session: Session, guardian_id: int | None) -> set[int]:
    """Children this guardian may see (active link, may_view)."""
    if guardian_id is None:
        return set()
    statement = select(ChildGuardian.child_id).where(
        ChildGuardian.guardian_id == guardian_id, ChildGuardian.active.is_(True), ChildGuardian.may_view.is_(True)
    )
    return set(session.exec(statement).all())


def may_see_child(session: Session, me: CurrentPerson, child_id: int) -> bool:
    return me.is_staff or child_id in guardian_child_ids(session, me.person.guardian_id)


def visible_child(session: Session, me: CurrentPerson, child_id: int) -> Child:
    """The child, if this person may see it; NotFound otherwise (also for unknown ids)."""
    child = session.get(Child, child_id)
    if child is None or not may_see_child(session, me, child_id):
        raise NotFound()
    return child
