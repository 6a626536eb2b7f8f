"""Rooms (班): overview for staff, the room tablet, the room's details and the director's room changes.

`/rooms/{id}` is the tablet's room view (rooms/day.py); the enrolment-side view of a
room (children, schedules, caregivers, deactivation) lives at `/rooms/{id}/manage`.
"""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import Field

from nursery_ops.auth.access import DbSession, Director, RoomStaff
from nursery_ops.auth.models import Role
from nursery_ops.clock import local_today
from nursery_ops.forms import FormModel, parse_form
from nursery_ops.labels import ROOM_TYPE_LABELS
from nursery_ops.pagecache import kept_page
from nursery_ops.policy import load_policy
from nursery_ops.rooms import service
from nursery_ops.rooms.day import room_view
from nursery_ops.rooms.models import RoomType
from nursery_ops.rooms.rules import OCCUPANCY_BANDS, room_type_cap
from nursery_ops.rooms.tablet import RoomActing
from nursery_ops.templating import render

router = APIRouter()


class RoomForm(FormModel):
    name: str = Field(min_length=1, max_length=50)
    room_type: RoomType
    # Blank means the type's cap (DOMAIN.md: 10 / 15 / 20 / 18).
    capacity: int | None = None


class CaregiverForm(FormModel):
    person_id: int


def _form_context(session, room=None, form=None, errors=None) -> dict:
    policy = load_policy(session)
    return {
        "room": room,
        "form": form or {},
        "errors": errors or {},
        "type_options": [(room_type.value, label) for room_type, label in ROOM_TYPE_LABELS.items()],
        "type_caps": {room_type.value: room_type_cap(room_type, policy) for room_type in RoomType},
    }


def _to_manage(room_id: int) -> RedirectResponse:
    return RedirectResponse(f"/rooms/{room_id}/manage", status_code=303)


@router.get("/rooms")
def rooms_list(request: Request, session: DbSession, me: RoomStaff):
    overview = service.rooms_overview(session, local_today(), load_policy(session), me)
    return render(request, "rooms/list.html", {
        "overview": overview, "bands": OCCUPANCY_BANDS,
    })


@router.get("/rooms/new")
def room_new(request: Request, session: DbSession, me: Director):
    return render(request, "rooms/form.html", _form_context(session))


@router.post("/rooms")
async def room_create(request: Request, session: DbSession, me: Director):
    form = await request.form()
    data, errors = parse_form(RoomForm, form)
    if data is not None:
        room, errors = service.create_room(session, me, data.name, data.room_type, data.capacity, load_policy(session))
    if errors:
        context = _form_context(session, form=dict(form), errors=errors)
        return render(request, "rooms/form.html", context, status_code=400)
    return _to_manage(room.id)


def _room_page(request: Request, session, me, room, errors: dict | None = None, status_code: int = 200):
    detail = service.room_detail(session, room, local_today(), load_policy(session), with_assignable=me.has(Role.director))
    return render(request, "rooms/detail.html", {
        "detail": detail,
        "caregiver_options": [(person.id, person.full_name) for person in detail.assignable],
        "errors": errors or {},
    }, status_code=status_code)


@router.get("/rooms/{room_id}")
@kept_page
def room_tablet(request: Request, session: DbSession, actor: RoomActing):
    return room_view(request, session, actor)


@router.get("/rooms/{room_id}/manage")
def room_page(request: Request, session: DbSession, me: RoomStaff, room_id: int):
    return _room_page(request, session, me, service.get_room(session, room_id))


@router.get("/rooms/{room_id}/edit")
def room_edit(request: Request, session: DbSession, me: Director, room_id: int):
    room = service.get_room(session, room_id)
    form = {"name": room.name, "room_type": room.room_type.value, "capacity": room.capacity}
    return render(request, "rooms/form.html", _form_context(session, room, form))


@router.post("/rooms/{room_id}/edit")
async def room_update(request: Request, session: DbSession, me: Director, room_id: int):
    room = service.get_room(session, room_id)
    form = await request.form()
    data, errors = parse_form(RoomForm, form)
    if data is not None:
        errors = service.update_room(
            session, me, room, data.name, data.room_type, data.capacity, local_today(), load_policy(session)
        )
    if errors:
        context = _form_context(session, room, dict(form), errors)
        return render(request, "rooms/form.html", context, status_code=400)
    return _to_manage(room.id)


@router.post("/rooms/{room_id}/caregivers")
async def caregiver_assign(request: Request, session: DbSession, me: Director, room_id: int):
    room = service.get_room(session, room_id)
    data, errors = parse_form(CaregiverForm, await request.form())
    if data is not None:
        errors = service.assign_caregiver(session, me, room, data.person_id)
    if errors:
        return _room_page(request, session, me, room, errors, status_code=400)
    return _to_manage(room.id)


@router.post("/rooms/{room_id}/caregivers/{person_id}/remove")
def caregiver_unassign(request: Request, session: DbSession, me: Director, room_id: int, person_id: int):
    room = service.get_room(session, room_id)
    service.unassign_caregiver(session, me, room, person_id)
    return _to_manage(room.id)


@router.post("/rooms/{room_id}/deactivate")
def room_deactivate(request: Request, session: DbSession, me: Director, room_id: int):
    room = service.get_room(session, room_id)
    if decision := service.set_room_active(session, me, room, False, local_today()):
        return _room_page(request, session, me, room, {"active": decision}, status_code=400)
    return _to_manage(room.id)


@router.post("/rooms/{room_id}/activate")
def room_activate(request: Request, session: DbSession, me: Director, room_id: int):
    room = service.get_room(session, room_id)
    service.set_room_active(session, me, room, True, local_today())
    return _to_manage(room.id)
