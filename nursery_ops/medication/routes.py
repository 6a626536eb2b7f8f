"""Medication (家长委托喂药): a child's record and authorisations (office), doses (room tablet and health officer).

Every staff view of a child's medication is an audited read. Room actions take
`actor: RoomActing` and answer through `after_action`; a refusal re-renders the
form (400) — for htmx only its `form` block, aimed at the child's tile action area.
"""


from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from nursery_ops import audit
from nursery_ops.attendance.service import room_child
from nursery_ops.auth.access import DbSession, HealthStaff, Staff
from nursery_ops.auth.models import Role
from nursery_ops.children.access import open_health_record, visible_child
from nursery_ops.children.models import Child
from nursery_ops.clock import local_today, utcnow
from nursery_ops.errors import NotFound
from nursery_ops.forms import ReasonForm, Refused, echo, parse_form
from nursery_ops.medication import service
from nursery_ops.medication.forms import (
    LABELS,
    OUTCOME_LABELS,
    ROUTE_LABELS,
    SIGNED_HOW_LABELS,
    SOURCE_LABELS,
    UNIT_LABELS,
    AuthorisationForm,
    DoseForm,
    choices,
)
from nursery_ops.medication.models import DoseOutcome, PrescriptionSource, SignedHow
from nursery_ops.medication.rules import MAX_AUTHORISATION_DAYS, dose_text
from nursery_ops.policy import load_policy
from nursery_ops.rooms.day import action_form, after_action
from nursery_ops.rooms.tablet import RoomActing
from nursery_ops.templating import render

router = APIRouter()

READ = "medication"


def _shown() -> dict:
    """What every medication template reads to show stored values."""
    return {"labels": LABELS, "dose_text": dose_text}


# ---------------------------------------------------------------- a child's medication (staff)


@router.get("/children/{child_id}/medication")
def child_page(request: Request, session: DbSession, me: Staff, child_id: int):
    child = open_health_record(request.app.state.engine, session, me, child_id, READ)
    today = local_today()
    context = {
        "child": child,
        "record": service.child_medication(session, child.id, today),
        "due": service.doses_due(session, today, utcnow(), child_ids=[child.id]),
        "may_record": me.has(Role.director, Role.health),
        **_shown(),
    }
    return render(request, "medication/child.html", context)


# ---------------------------------------------------------------- authorisations (health officer, director)


def _authorisation_page(request, session, child: Child, form: dict, errors: dict, status_code: int = 200):
    context = {
        "child": child, "form": form, "errors": errors,
        "guardians": service.guardian_choices(session, child.id),
        "units": choices(UNIT_LABELS), "routes": choices(ROUTE_LABELS), "sources": choices(SOURCE_LABELS),
        "signed_hows": choices(SIGNED_HOW_LABELS), "max_days": MAX_AUTHORISATION_DAYS,
    }
    return render(request, "medication/authorisation.html", context, status_code=status_code, block="form")


@router.get("/children/{child_id}/medication/new")
def authorisation_page(request: Request, session: DbSession, me: HealthStaff, child_id: int):
    child = open_health_record(request.app.state.engine, session, me, child_id, READ)
    today = local_today().isoformat()
    guardians = service.guardian_choices(session, child.id)
    form = {
        "start_date": today, "signed_on": today, "signed_how": SignedHow.paper_at_desk.value,
        "prescription_source": PrescriptionSource.prescription.value,
        "guardian_id": str(guardians[0][0]) if len(guardians) == 1 else "",
    }
    return _authorisation_page(request, session, child, form, {})


@router.post("/children/{child_id}/medication/new")
async def authorise(request: Request, session: DbSession, me: HealthStaff, child_id: int):
    child = visible_child(session, me, child_id)
    form = await request.form()
    data, errors = parse_form(AuthorisationForm, form)
    if data is not None:
        try:
            service.authorise(session, me, child, data, utcnow())
            return RedirectResponse(f"/children/{child.id}/medication", status_code=303)
        except Refused as refused:
            session.rollback()
            errors = refused.errors
    return _authorisation_page(request, session, child, echo(form), errors, 400)


def _authorisation(session, child: Child, authorisation_id: int):
    authorisation = service.child_authorisation(session, child.id, authorisation_id)
    if authorisation is None:
        raise NotFound()
    return authorisation


def _cancel_page(request, child: Child, authorisation, form: dict, errors: dict, status_code: int = 200):
    context = {"child": child, "authorisation": authorisation, "form": form, "errors": errors, **_shown()}
    return render(request, "medication/cancel.html", context, status_code=status_code, block="form")


@router.get("/children/{child_id}/medication/{authorisation_id}/cancel")
def cancel_page(request: Request, session: DbSession, me: HealthStaff, child_id: int, authorisation_id: int):
    child = open_health_record(request.app.state.engine, session, me, child_id, READ)
    return _cancel_page(request, child, _authorisation(session, child, authorisation_id), {}, {})


@router.post("/children/{child_id}/medication/{authorisation_id}/cancel")
async def cancel(request: Request, session: DbSession, me: HealthStaff, child_id: int, authorisation_id: int):
    child = visible_child(session, me, child_id)
    authorisation = _authorisation(session, child, authorisation_id)
    form = await request.form()
    data, errors = parse_form(ReasonForm, form)
    if data is not None:
        try:
            service.cancel(session, me, authorisation, data.reason, utcnow())
            return RedirectResponse(f"/children/{child.id}/medication", status_code=303)
        except Refused as refused:
            session.rollback()
            errors = refused.errors
    return _cancel_page(request, child, authorisation, echo(form), errors, 400)


# ---------------------------------------------------------------- voiding a dose recorded in error


def _dose(session, child: Child, dose_id: int):
    dose = service.child_dose(session, child.id, dose_id)
    if dose is None:
        raise NotFound()
    return dose


def _void_page(request, session, child: Child, dose, form: dict, errors: dict, status_code: int = 200):
    authorisation = service.child_authorisation(session, child.id, dose.authorisation_id)
    context = {"child": child, "dose": dose, "authorisation": authorisation, "form": form, "errors": errors, **_shown()}
    return render(request, "medication/void.html", context, status_code=status_code, block="form")


@router.get("/children/{child_id}/medication/doses/{dose_id}/void")
def void_page(request: Request, session: DbSession, me: HealthStaff, child_id: int, dose_id: int):
    child = open_health_record(request.app.state.engine, session, me, child_id, READ)
    return _void_page(request, session, child, _dose(session, child, dose_id), {}, {})


@router.post("/children/{child_id}/medication/doses/{dose_id}/void")
async def void_dose(request: Request, session: DbSession, me: HealthStaff, child_id: int, dose_id: int):
    child = visible_child(session, me, child_id)
    dose = _dose(session, child, dose_id)
    form = await request.form()
    data, errors = parse_form(ReasonForm, form)
    if data is not None:
        try:
            service.void_dose(session, me, dose, data.reason, utcnow())
            return RedirectResponse(f"/children/{child.id}/medication", status_code=303)
        except Refused as refused:
            session.rollback()
            errors = refused.errors
    return _void_page(request, session, child, dose, echo(form), errors, 400)


# ---------------------------------------------------------------- doses


def _dose_page(
    request, session, *, child: Child, room, giver_id: int, giver_name: str, form: dict, errors: dict,
    status_code: int = 200,
) -> Response:
    """The dose form: today's authorised slots for the child, and who gives and checks."""
    today = local_today()
    now = utcnow()
    due = service.doses_due(session, today, now, child_ids=[child.id])
    open_slots = [item for item in due if item.open]
    if not form.get("due") and open_slots:
        # The slot closest to now is the one about to be given.
        form = {**form, "due": min(open_slots, key=lambda item: abs(item.due_at - now)).key}
    room_id = room.id if room is not None else next((item.room_id for item in due if item.room_id), None)
    checkers = service.checker_choices(session, room_id, today, giver_id)
    action = (
        f"/rooms/{room.id}/children/{child.id}/medication" if room is not None else f"/children/{child.id}/medication/dose"
    )
    context = {
        "child": child, "room": room, "due": due, "open_slots": open_slots, "checkers": checkers, "action": action,
        "form": form, "errors": errors, "giver_name": giver_name, "outcomes": choices(OUTCOME_LABELS),
        "window_minutes": load_policy(session).medication_window_minutes, **_shown(),
    }
    # On the tablet the form opens in the child's tile; from the child's page it is a page of its own.
    tile_child = child.id if room is not None else None
    return action_form(request, "medication/dose.html", context, child_id=tile_child, status_code=status_code)


async def _record_dose(request: Request, session, *, child: Child, room, giver_id: int, giver_name: str):
    """Parse, record and answer; None when saved (the caller answers), else the refused form."""
    form = await request.form()
    data, errors = parse_form(DoseForm, form)
    if data is not None:
        try:
            service.record_dose(
                session, child=child, giver_id=giver_id, room_id=room.id if room is not None else None,
                data=data, now=utcnow(),
            )
            return None
        except Refused as refused:
            session.rollback()
            errors = refused.errors
    return _dose_page(
        request, session, child=child, room=room, giver_id=giver_id, giver_name=giver_name, form=echo(form),
        errors=errors, status_code=400,
    )


@router.get("/rooms/{room_id}/children/{child_id}/medication")
def tablet_dose_page(request: Request, session: DbSession, actor: RoomActing, child_id: int):
    child, _enrolment = room_child(session, actor.room, child_id)
    audit.record_read(request.app.state.engine, actor.person_id, READ, child.id)
    return _dose_page(
        request, session, child=child, room=actor.room, giver_id=actor.person_id, giver_name=actor.person_name,
        form={"outcome": DoseOutcome.given.value}, errors={},
    )


@router.post("/rooms/{room_id}/children/{child_id}/medication")
async def tablet_record_dose(request: Request, session: DbSession, actor: RoomActing, child_id: int):
    child, _enrolment = room_child(session, actor.room, child_id)
    refused = await _record_dose(
        request, session, child=child, room=actor.room, giver_id=actor.person_id, giver_name=actor.person_name
    )
    return refused or after_action(request, session, actor, child.id)


@router.get("/children/{child_id}/medication/dose")
def dose_page(request: Request, session: DbSession, me: HealthStaff, child_id: int):
    child = open_health_record(request.app.state.engine, session, me, child_id, READ)
    return _dose_page(
        request, session, child=child, room=None, giver_id=me.person.id, giver_name=me.person.full_name,
        form={"outcome": DoseOutcome.given.value}, errors={},
    )


@router.post("/children/{child_id}/medication/dose")
async def record_dose(request: Request, session: DbSession, me: HealthStaff, child_id: int):
    child = visible_child(session, me, child_id)
    refused = await _record_dose(
        request, session, child=child, room=None, giver_id=me.person.id, giver_name=me.person.full_name
    )
    return refused or RedirectResponse(f"/children/{child.id}/medication", status_code=303)
