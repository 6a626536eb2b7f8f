"""The shared room tablet: who may act in a room, who is acting now, and the idle lock.

Every room action takes `actor: RoomActing` instead of a role parameter:

    @router.post("/rooms/{room_id}/check-in")
    async def check_in(request: Request, session: DbSession, actor: RoomActing): ...

It admits staff allowed in that room (the director and the health officer in
any room, a caregiver only in rooms assigned to them; 403 otherwise), refuses a
tablet left without an action longer than `tablet_lock_minutes` (TabletLocked →
the PIN screen; a director's own session never locks while the director acts, but does
as soon as someone else acts on it through their PIN), and names the person acting —
the one who last unlocked the tablet with their PIN, else the person signed in.
Records carry `actor.person_id`.

Every request to a room's pages (the room view, a form opened in a tile, a form sent)
is an action of the person at the tablet and keeps it awake; static/tablet.js counts
from the same requests, so the page locks when the server would.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import case, func, update
from sqlmodel import Session, select

from nursery_ops.auth.access import UNSAFE, DbSession, Staff, mark_session_seen
from nursery_ops.auth.models import LoginSession, Person, Role
from nursery_ops.auth.service import CurrentPerson, password_hasher, roles_of
from nursery_ops.clock import utcnow
from nursery_ops.errors import Forbidden, NotFound, TabletLocked
from nursery_ops.policy import Policy, load_policy
from nursery_ops.rooms.models import Room, RoomCaregiver
from nursery_ops.settings import get_settings
from nursery_ops.staff.models import PinFailure, TabletPin


@dataclass
class RoomActor:
    """A room action's context: the room, the signed-in person, and who is acting."""

    room: Room
    me: CurrentPerson
    person_id: int
    person_name: str


# Roles that may act in every room; a caregiver only in the rooms assigned to them.
EVERY_ROOM = frozenset({Role.director, Role.health})
# The tablet's last action is written at most this often, so a page view seldom writes; the
# idle lock may come this much early, never late.
ACTION_PRECISION = timedelta(seconds=10)


def works_in_room(roles: frozenset[Role], assigned_rooms: Collection[int], room_id: int) -> bool:
    return bool(roles & EVERY_ROOM) or (Role.caregiver in roles and room_id in assigned_rooms)


def may_work_in_room(session: Session, person_id: int, roles: frozenset[Role], room_id: int) -> bool:
    """`works_in_room` for someone other than the signed-in person (their rooms are read here)."""
    assigned = []
    if Role.caregiver in roles and not roles & EVERY_ROOM:
        assigned = session.exec(select(RoomCaregiver.room_id).where(RoomCaregiver.person_id == person_id)).all()
    return works_in_room(roles, assigned, room_id)


def shared_tablet(me: CurrentPerson, acting_person_id: int) -> bool:
    """Whether the idle lock applies: always, except a director's own session while the director acts.

    Once a caregiver acts on a director's tablet through their PIN, it is a shared tablet
    like any other: left idle, it must not go on acting as that caregiver.
    """
    return Role.director not in me.roles or acting_person_id != me.id


def idle_locked(login: LoginSession, me: CurrentPerson, now: datetime, policy: Policy) -> bool:
    last_action = login.acting_seen_at or login.created_at
    return shared_tablet(me, login.acting_person_id or me.id) and now - last_action > timedelta(
        minutes=policy.tablet_lock_minutes
    )


def keep_awake(request: Request, session: Session, me: CurrentPerson, now: datetime) -> None:
    """Record the request as the tablet's latest action (a page view: at most every ACTION_PRECISION)."""
    last_action = me.login.acting_seen_at or me.login.created_at
    if request.method in UNSAFE or now - last_action >= ACTION_PRECISION:
        mark_session_seen(request, session, me, acting_seen_at=now)


async def room_actor(room_id: int, request: Request, session: DbSession, me: Staff) -> RoomActor:
    # On the event loop, no trip to a worker thread: the sign-in's statement has already opened the
    # request's transaction (a write's too), so these reads never wait for a lock or a connection.
    room = session.get(Room, room_id)
    if room is None or not room.active:
        raise NotFound()
    if not works_in_room(me.roles, me.room_ids, room_id):
        raise Forbidden()
    now = utcnow()
    if idle_locked(me.login, me, now, load_policy(session)):
        raise TabletLocked(room_id)
    person_id = me.login.acting_person_id or me.id
    acting = me.person if person_id == me.id else session.get(Person, person_id)
    if person_id != me.id and (
        acting is None or not acting.active or not may_work_in_room(session, person_id, roles_of(session, person_id), room_id)
    ):
        raise TabletLocked(room_id)
    keep_awake(request, session, me, now)
    return RoomActor(room=room, me=me, person_id=person_id, person_name=acting.full_name)


RoomActing = Annotated[RoomActor, Depends(room_actor)]


# ---------------------------------------------------------------- PINs


PIN_LENGTHS = range(4, 9)


def hash_pin(pin: str) -> str:
    return password_hasher.hash(pin)


def pin_throttled(session: Session, session_hash: str, person_id: int | None) -> bool:
    """Too many wrong PINs within the lockout window, on this sign-in or for this person's PIN.

    Counted per person too, so signing in again does not start a fresh count against
    someone's PIN (that person waits the window out as well: the price of a 4-digit PIN).
    """
    settings = get_settings()
    since = utcnow() - timedelta(minutes=settings.login_lockout_minutes)
    on_session, on_person = session.exec(
        select(
            func.coalesce(func.sum(case((PinFailure.session_hash == session_hash, 1), else_=0)), 0),
            func.coalesce(func.sum(case((PinFailure.person_id == person_id, 1), else_=0)), 0),
        ).where(PinFailure.at >= since)
    ).one()
    return max(on_session, on_person if person_id is not None else 0) >= settings.login_max_failures


def unlock(session: Session, me: CurrentPerson, room_id: int, person_id: int, pin: str) -> bool:
    """Make `person_id` the acting person on this tablet if their PIN is right (caller checks throttling)."""
    stored = session.get(TabletPin, person_id)
    person = session.get(Person, person_id)
    valid = (
        stored is not None
        and person is not None
        and person.active
        and password_hasher.verify(pin, stored.pin_hash)
        and may_work_in_room(session, person_id, roles_of(session, person_id), room_id)
    )
    if not valid:
        session.add(PinFailure(session_hash=me.session_token_hash, person_id=person.id if person else None))
        return False
    session.exec(
        update(LoginSession)
        .where(LoginSession.token_hash == me.session_token_hash)
        .values(acting_person_id=person_id, acting_seen_at=utcnow())
    )
    return True
