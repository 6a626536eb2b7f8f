"""Enrolment pages (director): enrol, waitlist and placing, transfer, withdrawal, editing."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData

from nursery_ops.auth.access import DbSession, Director
from nursery_ops.clock import local_today
from nursery_ops.enrolment import service
from nursery_ops.enrolment.forms import WAITLIST, EditForm, EnrolForm, PlaceForm, TransferForm, WithdrawForm
from nursery_ops.enrolment.models import CareType, Enrolment
from nursery_ops.enrolment.rules import schedule_days
from nursery_ops.labels import CARE_TYPE_LABELS, HALF_DAY_LABELS, ROOM_TYPE_LABELS, WEEKDAY_LABELS
from nursery_ops.forms import parse_form
from nursery_ops.policy import load_policy
from nursery_ops.rooms.service import active_rooms
from nursery_ops.templating import render, translator_for

router = APIRouter()


def _values(form: FormData) -> dict:
    """The submitted values to show again (the weekday checkboxes are a list)."""
    values = {key: form.get(key) for key in form.keys()}
    values["schedule_days"] = form.getlist("schedule_days")
    return values


def _room_options(request: Request, session, with_waitlist: bool = False) -> list[tuple[str, str]]:
    gettext = translator_for(request).gettext
    options = [(str(room.id), f"{room.name} · {gettext(ROOM_TYPE_LABELS[room.room_type])}") for room in active_rooms(session)]
    if with_waitlist:
        options.append((WAITLIST, gettext("Waitlist (no room yet)")))
    return options


def _schedule_options(request: Request) -> dict:
    gettext = translator_for(request).gettext
    return {
        "care_type_options": [(value.value, gettext(label)) for value, label in CARE_TYPE_LABELS.items()],
        "half_day_options": [(value.value, gettext(label)) for value, label in HALF_DAY_LABELS.items()],
        "weekday_options": [(str(day), gettext(label)) for day, label in WEEKDAY_LABELS.items()],
    }


def _page(request: Request, session, template: str, context: dict, status_code: int = 200):
    return render(request, template, {**_schedule_options(request), **context}, status_code=status_code)


def _refused(request, session, template, context, form, outcome):
    """The form again with its errors and any BLOCKs that stand (nothing was saved)."""
    errors = dict(outcome.errors)
    if "override_reason" not in form:
        # The BLOCKs are news to the director: ask for a reason, do not call its absence an error yet.
        errors.pop("override_reason", None)
    return _page(request, session, template, {
        **context, "form": _values(form), "errors": errors, "blocks": outcome.blocks,
    }, status_code=400)


def _back_to_child(enrolment: Enrolment) -> RedirectResponse:
    return RedirectResponse(f"/children/{enrolment.child_id}#enrolment-panel", status_code=303)


# --- Enrol ---------------------------------------------------------------


def _enrol_context(request, session, child) -> dict:
    return {"child": child, "room_options": _room_options(request, session, with_waitlist=True), "blocks": []}


@router.get("/children/{child_id}/enrol")
def enrol_page(request: Request, session: DbSession, me: Director, child_id: int):
    child = service.get_child(session, child_id)
    form = {"care_type": CareType.full_day.value, "schedule_days": ["1", "2", "3", "4", "5"],
            "applied_on": local_today().isoformat()}
    existing = service.open_enrolment(session, child.id)
    errors = {"__all__": service.DUPLICATE} if existing else {}
    return _page(request, session, "enrolment/enrol.html", {**_enrol_context(request, session, child), "form": form, "errors": errors})


@router.post("/children/{child_id}/enrol")
async def enrol(request: Request, session: DbSession, me: Director, child_id: int):
    child = service.get_child(session, child_id)
    form = await request.form()
    data, errors = parse_form(EnrolForm, form)
    outcome = service.Outcome(errors=errors)
    if data is not None:
        outcome = service.enrol_child(session, me, child, data, local_today(), load_policy(session))
    if not outcome.saved:
        return _refused(request, session, "enrolment/enrol.html", _enrol_context(request, session, child), form, outcome)
    return _back_to_child(outcome.enrolment)


# --- Edit ---------------------------------------------------------------


def _open(session, enrolment_id: int):
    enrolment = service.get_enrolment(session, enrolment_id)
    return enrolment, service.get_child(session, enrolment.child_id)


@router.get("/enrolments/{enrolment_id}/edit")
def edit_page(request: Request, session: DbSession, me: Director, enrolment_id: int):
    enrolment, child = _open(session, enrolment_id)
    form = {
        "care_type": enrolment.care_type.value,
        "schedule_days": [str(day) for day in schedule_days(enrolment.schedule_days)],
        "half_day_session": enrolment.half_day_session.value if enrolment.half_day_session else "",
        "agreement_signed_on": enrolment.agreement_signed_on.isoformat() if enrolment.agreement_signed_on else "",
    }
    return _page(request, session, "enrolment/edit.html", {"enrolment": enrolment, "child": child, "form": form})


@router.post("/enrolments/{enrolment_id}/edit")
async def edit(request: Request, session: DbSession, me: Director, enrolment_id: int):
    enrolment, child = _open(session, enrolment_id)
    form = await request.form()
    data, errors = parse_form(EditForm, form)
    if data is not None:
        errors = service.update_enrolment(session, me, enrolment, data)
    if errors:
        return _refused(request, session, "enrolment/edit.html", {"enrolment": enrolment, "child": child}, form,
                        service.Outcome(errors=errors))
    return _back_to_child(enrolment)


# --- Waitlist and placing ---------------------------------------------------------------


@router.get("/waitlist")
def waitlist_page(request: Request, session: DbSession, me: Director):
    rows = service.waitlist(session, local_today(), load_policy(session))
    return _page(request, session, "enrolment/waitlist.html", {"rows": rows})


def _place_context(request, session, enrolment, child) -> dict:
    return {"enrolment": enrolment, "child": child, "room_options": _room_options(request, session), "blocks": []}


@router.get("/enrolments/{enrolment_id}/place")
def place_page(request: Request, session: DbSession, me: Director, enrolment_id: int, room_id: int | None = None):
    enrolment, child = _open(session, enrolment_id)
    form = {"room_id": room_id or "", "start_date": max(enrolment.start_date, local_today()).isoformat()}
    return _page(request, session, "enrolment/place.html", {**_place_context(request, session, enrolment, child), "form": form})


@router.post("/enrolments/{enrolment_id}/place")
async def place(request: Request, session: DbSession, me: Director, enrolment_id: int):
    enrolment, child = _open(session, enrolment_id)
    form = await request.form()
    data, errors = parse_form(PlaceForm, form)
    outcome = service.Outcome(errors=errors)
    if data is not None:
        outcome = service.place_from_waitlist(
            session, me, enrolment, data.room_id, data.start_date, data.override_reason, load_policy(session)
        )
    if not outcome.saved:
        return _refused(request, session, "enrolment/place.html", _place_context(request, session, enrolment, child), form, outcome)
    return _back_to_child(enrolment)


# --- Transfer and withdrawal ---------------------------------------------------------------


def _transfer_context(request, session, enrolment, child) -> dict:
    return {"enrolment": enrolment, "child": child, "room_options": _room_options(request, session), "blocks": []}


@router.get("/enrolments/{enrolment_id}/transfer")
def transfer_page(request: Request, session: DbSession, me: Director, enrolment_id: int):
    enrolment, child = _open(session, enrolment_id)
    context = _transfer_context(request, session, enrolment, child)
    return _page(request, session, "enrolment/transfer.html", {**context, "form": {"on_date": local_today().isoformat()}})


@router.post("/enrolments/{enrolment_id}/transfer")
async def transfer(request: Request, session: DbSession, me: Director, enrolment_id: int):
    enrolment, child = _open(session, enrolment_id)
    form = await request.form()
    data, errors = parse_form(TransferForm, form)
    outcome = service.Outcome(errors=errors)
    if data is not None:
        outcome = service.transfer(
            session, me, enrolment, data.room_id, data.on_date, data.reason, data.override_reason, local_today(),
            load_policy(session),
        )
    if not outcome.saved:
        context = _transfer_context(request, session, enrolment, child)
        return _refused(request, session, "enrolment/transfer.html", context, form, outcome)
    return _back_to_child(enrolment)


@router.get("/enrolments/{enrolment_id}/withdraw")
def withdraw_page(request: Request, session: DbSession, me: Director, enrolment_id: int):
    enrolment, child = _open(session, enrolment_id)
    form = {"end_date": local_today().isoformat()}
    return _page(request, session, "enrolment/withdraw.html", {"enrolment": enrolment, "child": child, "form": form})


@router.post("/enrolments/{enrolment_id}/withdraw")
async def withdraw(request: Request, session: DbSession, me: Director, enrolment_id: int):
    enrolment, child = _open(session, enrolment_id)
    form = await request.form()
    data, errors = parse_form(WithdrawForm, form)
    outcome = service.Outcome(errors=errors)
    if data is not None:
        outcome = service.withdraw(session, me, enrolment, data.end_date, data.reason)
    if not outcome.saved:
        return _refused(request, session, "enrolment/withdraw.html", {"enrolment": enrolment, "child": child}, form, outcome)
    return _back_to_child(enrolment)
