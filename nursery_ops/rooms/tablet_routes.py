"""Unlocking the shared room tablet with a personal PIN, and switching who acts."""

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import Field
from sqlmodel import select

from nursery_ops import audit
from nursery_ops.auth.access import DbSession, Staff
from nursery_ops.auth.models import Person, PersonRole, Role
from nursery_ops.clock import utcnow
from nursery_ops.errors import NotFound
from nursery_ops.forms import FormModel, parse_form
from nursery_ops.i18n import N_
from nursery_ops.policy import Decision, Mode, load_policy
from nursery_ops.rooms.models import Room, RoomCaregiver
from nursery_ops.rooms.tablet import RoomActing, idle_locked, pin_throttled, unlock
from nursery_ops.settings import get_settings
from nursery_ops.staff.models import TabletPin
from nursery_ops.templating import render

router = APIRouter()

PIN_THROTTLED = N_("Too many wrong PINs for this person or on this tablet. Wait {minutes} min and try again.")


class UnlockForm(FormModel):
    person_id: int
    pin: Annotated[str, Field(pattern=r"^\d{4,8}$")]


def people_for_room(session, room_id: int) -> list[tuple[int, str]]:
    """Who may unlock this room's tablet: its caregivers, directors and health officers with a PIN."""
    assigned = select(RoomCaregiver.person_id).where(RoomCaregiver.room_id == room_id)
    everywhere = select(PersonRole.person_id).where(PersonRole.role.in_([Role.director, Role.health]))
    rows = session.exec(
        select(Person.id, Person.full_name)
        .join(TabletPin, TabletPin.person_id == Person.id)
        .where(Person.active.is_(True), Person.id.in_(assigned.union(everywhere)))
        .order_by(Person.full_name)
    ).all()
    return [(person_id, name) for person_id, name in rows]


def unlock_page(request, session, room: Room, form: dict, errors: dict, status_code: int = 200, idle_minutes: int = 0):
    context = {
        "room": room, "people": people_for_room(session, room.id), "form": form, "errors": errors,
        "idle_minutes": idle_minutes,
    }
    return render(request, "rooms/unlock.html", context, status_code=status_code)


def active_room(session, room_id: int) -> Room:
    room = session.get(Room, room_id)
    if room is None or not room.active:
        raise NotFound()
    return room


@router.get("/rooms/{room_id}/unlock")
def unlock_form(request: Request, room_id: int, session: DbSession, me: Staff, idle: bool = False):
    """The PIN screen; after the idle lock (`?idle=1` from tablet.js, or the server's own clock) it says why."""
    policy = load_policy(session)
    locked = idle or idle_locked(me.login, me, utcnow(), policy)
    return unlock_page(
        request, session, active_room(session, room_id), {}, {}, idle_minutes=policy.tablet_lock_minutes if locked else 0
    )


@router.post("/rooms/{room_id}/unlock")
async def unlock_tablet(request: Request, room_id: int, session: DbSession, me: Staff):
    room = active_room(session, room_id)
    form = await request.form()
    shown = {"person_id": form.get("person_id")}
    data, errors = parse_form(UnlockForm, form)
    if pin_throttled(session, me.session_token_hash, data.person_id if data else None):
        minutes = get_settings().login_lockout_minutes
        errors = {"__all__": Decision(Mode.block, PIN_THROTTLED, {"minutes": minutes})}
        return unlock_page(request, session, room, shown, errors, 429)
    if errors:
        if "pin" in errors:
            errors["pin"] = N_("Enter your PIN: 4 to 8 digits.")
        return unlock_page(request, session, room, shown, errors, 400)
    if not unlock(session, me, room.id, data.person_id, data.pin):
        session.commit()  # keep the failure for throttling
        return unlock_page(request, session, room, shown, {"pin": N_("This PIN is not right for this person.")}, 400)
    person = session.get(Person, data.person_id)
    audit.record(session, person.id, "tablet_unlocked", room, after={"acting_person_id": person.id})
    session.commit()
    return RedirectResponse(f"/rooms/{room.id}", status_code=303)


@router.get("/rooms/{room_id}/awake")
def awake(actor: RoomActing):
    """tablet.js calls this while someone types into a form: typing is an action (RoomActing records it)."""
    return Response(status_code=204)
