"""Incident pages: the list, recording, the incident with its follow-up steps, and a child's incidents.

Any staff member records an incident (a caregiver for the children of their own
room) and reads those of their rooms' children — a suspected abuse only the director,
the health officer and its reporter read (404 for anyone else); the director signs off,
and any later change asks for the sign-off again; the health officer or the director
closes it once nothing is missing. There is no delete: incidents are kept (DOMAIN.md "Records and privacy").
"""

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from nursery_ops import audit
from nursery_ops.auth.access import DbSession, Director, HealthStaff, Staff
from nursery_ops.auth.service import CurrentPerson
from nursery_ops.children.access import open_health_record
from nursery_ops.clock import to_local, utcnow
from nursery_ops.errors import Forbidden
from nursery_ops.forms import Refused, form_values, parse_form
from nursery_ops.incidents import service
from nursery_ops.incidents.forms import (
    BODY_REGION_LABELS,
    BODY_REGIONS,
    CATEGORY_CHOICES,
    CATEGORY_LABELS,
    HISTORY_LABELS,
    IncidentDetailsForm,
    IncidentFilters,
    NewIncidentForm,
    NotificationForm,
    PoliceReportForm,
    SignOffForm,
)
from nursery_ops.incidents.models import Incident
from nursery_ops.incidents.rules import needs_police_report
from nursery_ops.rooms.tablet import RoomActing
from nursery_ops.templating import render

router = APIRouter()

LABELS = {
    "categories": CATEGORY_CHOICES,
    "category_labels": CATEGORY_LABELS,
    "body_labels": BODY_REGION_LABELS,
    "history_labels": HISTORY_LABELS,
    "regions": BODY_REGIONS,
}


def _now_fields(prefix: str) -> dict:
    """A date and time pair defaulting to now, at the nursery."""
    now = to_local(utcnow())
    return {f"{prefix}_on": now.date().isoformat(), f"{prefix}_time": now.strftime("%H:%M")}


def _to_incident(incident: Incident) -> RedirectResponse:
    return RedirectResponse(f"/incidents/{incident.id}", status_code=303)


# ---------------------------------------------------------------- the list


@router.get("/incidents")
def incident_list(request: Request, session: DbSession, me: Staff):
    filters, errors = parse_form(IncidentFilters, request.query_params)
    if errors:
        # A stale bookmark's filter is dropped, not an error page.
        filters = IncidentFilters()
    context = {"rows": service.list_incidents(session, filters, me), "form": filters.model_dump(mode="json"), **LABELS}
    # The list names children and what happened to them: one audited read for the page.
    audit.record_read(request.app.state.engine, me.id, "incidents", None)
    return render(request, "incidents/list.html", context, block="results")


# ---------------------------------------------------------------- recording


def _details_context(session, form: dict, errors: dict) -> dict:
    return {
        "form": form,
        "errors": errors,
        "staff": service.staff_options(session),
        **LABELS,
    }


def _new_page(
    request: Request, session, me: CurrentPerson, form: dict, errors: dict, status_code: int = 200, action: str = "/incidents/new"
) -> Response:
    context = {
        **_details_context(session, form, errors),
        "children": service.child_options(session, me),
        "form_token": form.get("form_token") or secrets.token_urlsafe(16),
        "action": action,
    }
    return render(request, "incidents/new.html", context, status_code=status_code)


async def _record_new(request: Request, session, me: CurrentPerson, action: str, acting_id: int | None = None) -> Response:
    form = await request.form()
    data, errors = parse_form(NewIncidentForm, form)
    if data is not None:
        try:
            return _to_incident(service.record_incident(session, me, data, utcnow(), acting_id))
        except Refused as refused:
            session.rollback()
            errors = refused.errors
    return _new_page(request, session, me, form_values(NewIncidentForm, form), errors, 400, action)


@router.get("/incidents/new")
def new_incident_page(request: Request, session: DbSession, me: Staff, child_id: int | None = None):
    form = {**_now_fields("occurred"), "child_id": child_id, "staff_present": [str(me.id)]}
    return _new_page(request, session, me, form, {})


@router.post("/incidents/new")
async def new_incident(request: Request, session: DbSession, me: Staff):
    return await _record_new(request, session, me, "/incidents/new")


# On the shared room tablet the incident is recorded by whoever unlocked it with their PIN.


@router.get("/rooms/{room_id}/incidents/new")
def new_room_incident_page(request: Request, session: DbSession, actor: RoomActing, child_id: int | None = None):
    form = {**_now_fields("occurred"), "child_id": child_id, "staff_present": [str(actor.person_id)]}
    return _new_page(request, session, actor.me, form, {}, action=f"/rooms/{actor.room.id}/incidents/new")


@router.post("/rooms/{room_id}/incidents/new")
async def new_room_incident(request: Request, session: DbSession, actor: RoomActing):
    return await _record_new(request, session, actor.me, f"/rooms/{actor.room.id}/incidents/new", actor.person_id)


# ---------------------------------------------------------------- one incident


def _detail_page(request: Request, session, me: CurrentPerson, incident: Incident, form: dict, errors: dict, status_code: int = 200):
    view = service.incident_view(session, incident)
    context = {
        "view": view,
        "incident": incident,
        "form": {**_now_fields("notified"), **_now_fields("reported"), **form},
        "errors": errors,
        "may_change": service.may_record_for(session, me, incident.child_id, incident.room_id),
        "needs_police": needs_police_report(incident.category),
        **LABELS,
    }
    return render(request, "incidents/detail.html", context, status_code=status_code)


@router.get("/incidents/{incident_id}")
def incident_page(request: Request, session: DbSession, me: Staff, incident_id: int):
    incident = service.readable_incident(session, me, incident_id)
    audit.record_read(request.app.state.engine, me.id, "incident", incident.child_id)
    return _detail_page(request, session, me, incident, {}, {})


async def _follow_up(request: Request, session, me: CurrentPerson, incident_id: int, form_model, action) -> Response:
    """A step on the incident page: saved → back to the incident; refused → the page with the message (400)."""
    incident = service.readable_incident(session, me, incident_id)
    form = await request.form()
    data, errors = parse_form(form_model, form)
    if data is not None:
        try:
            action(session, me, incident, data, utcnow())
            return _to_incident(incident)
        except Refused as refused:
            session.rollback()
            errors = refused.errors
    return _detail_page(request, session, me, incident, form_values(form_model, form), errors, 400)


@router.post("/incidents/{incident_id}/notification")
async def record_notification(request: Request, session: DbSession, me: Staff, incident_id: int):
    return await _follow_up(request, session, me, incident_id, NotificationForm, service.record_notification)


@router.post("/incidents/{incident_id}/police-report")
async def record_police_report(request: Request, session: DbSession, me: Staff, incident_id: int):
    return await _follow_up(request, session, me, incident_id, PoliceReportForm, service.record_police_report)


@router.post("/incidents/{incident_id}/sign-off")
async def sign_off(request: Request, session: DbSession, me: Director, incident_id: int):
    return await _follow_up(request, session, me, incident_id, SignOffForm, service.sign_off)


@router.post("/incidents/{incident_id}/close")
def close_incident(request: Request, session: DbSession, me: HealthStaff, incident_id: int):
    incident = service.readable_incident(session, me, incident_id)
    try:
        service.close_incident(session, me, incident, utcnow())
    except Refused as refused:
        session.rollback()
        return _detail_page(request, session, me, incident, {}, refused.errors, 400)
    return _to_incident(incident)


# ---------------------------------------------------------------- corrections


def _edit_page(request: Request, session, me: CurrentPerson, view, form: dict, errors: dict, status_code: int = 200):
    context = {**_details_context(session, form, errors), "view": view, "incident": view.incident}
    return render(request, "incidents/edit.html", context, status_code=status_code)


@router.get("/incidents/{incident_id}/edit")
def edit_incident_page(request: Request, session: DbSession, me: Staff, incident_id: int):
    incident = service.readable_incident(session, me, incident_id)
    if not service.may_record_for(session, me, incident.child_id, incident.room_id):
        raise Forbidden()
    audit.record_read(request.app.state.engine, me.id, "incident", incident.child_id)
    view = service.incident_view(session, incident)
    return _edit_page(request, session, me, view, service.details_form_values(view), {})


@router.post("/incidents/{incident_id}/edit")
async def edit_incident(request: Request, session: DbSession, me: Staff, incident_id: int):
    incident = service.readable_incident(session, me, incident_id)
    form = await request.form()
    data, errors = parse_form(IncidentDetailsForm, form)
    if data is not None:
        try:
            service.update_incident(session, me, incident, data, utcnow())
            return _to_incident(incident)
        except Refused as refused:
            session.rollback()
            errors = refused.errors
    view = service.incident_view(session, incident)
    return _edit_page(request, session, me, view, form_values(IncidentDetailsForm, form), errors, 400)


# ---------------------------------------------------------------- a child's incidents


@router.get("/children/{child_id}/incidents")
def child_incidents_page(request: Request, session: DbSession, me: Staff, child_id: int):
    child = open_health_record(request.app.state.engine, session, me, child_id, "incidents")
    context = {
        "child": child,
        "incidents": service.child_incidents(session, child.id, me),
        "may_record": service.may_record_for(session, me, child.id),
        **LABELS,
    }
    return render(request, "incidents/child.html", context)
