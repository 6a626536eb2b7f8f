"""Health during the day: midday check, observations and illness steps on the room tablet; illness and outbreak pages.

Room actions take `actor: RoomActing` (the person acting is recorded) and answer
through `after_action`; a refusal re-renders the form (400) — for htmx only its
`form` block, aimed at the child's tile action area. The illness page's step
forms post to the room's routes and come back to the illness page.
"""


from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from nursery_ops import audit
from nursery_ops.attendance.service import collecting_adults, room_child
from nursery_ops.auth.access import DbSession, HealthStaff, Staff
from nursery_ops.children.access import open_health_record
from nursery_ops.children.models import Child
from nursery_ops.clock import local_date, to_local, utcnow
from nursery_ops.errors import NotFound
from nursery_ops.forms import Refused, echo, parse_form
from nursery_ops.illness import outbreaks, service
from nursery_ops.illness.forms import (
    DISEASES,
    MIDDAY_OUTCOME_LABELS,
    OUTCOME_LABELS,
    REPORTED_TO_LABELS,
    RULE_LABELS,
    SKIN_LABELS,
    SPIRITS_LABELS,
    SYMPTOM_LABELS,
    IllnessStartForm,
    IsolateForm,
    MiddayCheckForm,
    NotifyForm,
    ObservationForm,
    OutcomeForm,
    PickupForm,
    ReportForm,
    SuspectForm,
    VoidForm,
    choices,
)
from nursery_ops.illness.models import MiddayOutcome, OutbreakAlert, Skin, Spirits
from nursery_ops.illness.rules import Step, next_step, report_deadline
from nursery_ops.policy import load_policy
from nursery_ops.rooms.day import action_form, after_action
from nursery_ops.rooms.tablet import RoomActing, RoomActor
from nursery_ops.templating import render

router = APIRouter()

LIST_FIELDS = ("symptoms",)
STEP_FORMS = {
    Step.isolate: IsolateForm,
    Step.notify: NotifyForm,
    Step.pickup: PickupForm,
    Step.suspect: SuspectForm,
    Step.outcome: OutcomeForm,
}
LABELS = {
    "symptoms": choices(SYMPTOM_LABELS),
    "spirits": choices(SPIRITS_LABELS),
    "skin": choices(SKIN_LABELS),
    "midday_outcomes": choices(MIDDAY_OUTCOME_LABELS),
    "outcomes": choices(OUTCOME_LABELS),
    "reported_to": choices(REPORTED_TO_LABELS),
    "symptom_labels": SYMPTOM_LABELS,
    "outcome_labels": OUTCOME_LABELS,
    "reported_to_labels": REPORTED_TO_LABELS,
    "rule_labels": RULE_LABELS,
    "spirits_labels": SPIRITS_LABELS,
    "skin_labels": SKIN_LABELS,
    "midday_outcome_labels": MIDDAY_OUTCOME_LABELS,
    "diseases": DISEASES,
}


def _now_hhmm() -> str:
    return to_local(utcnow()).strftime("%H:%M")


# ---------------------------------------------------------------- midday check (午检)


def _midday_page(request, actor: RoomActor, child: Child, form: dict, errors: dict, status_code: int = 200):
    context = {"room": actor.room, "child": child, "form": form, "errors": errors}
    return action_form(request, "illness/midday_check.html", {**LABELS, **context}, child_id=child.id, status_code=status_code)


@router.get("/rooms/{room_id}/children/{child_id}/midday-check")
def midday_check_page(request: Request, session: DbSession, actor: RoomActing, child_id: int):
    child, _enrolment = room_child(session, actor.room, child_id)
    form = {"spirits": Spirits.good.value, "skin": Skin.normal.value, "outcome": MiddayOutcome.fine.value}
    return _midday_page(request, actor, child, form, {})


@router.post("/rooms/{room_id}/children/{child_id}/midday-check")
async def midday_check(request: Request, session: DbSession, actor: RoomActing, child_id: int):
    child, _enrolment = room_child(session, actor.room, child_id)
    form = await request.form()
    data, errors = parse_form(MiddayCheckForm, form)
    if data is not None:
        try:
            service.record_midday_check(session, actor, child, data, load_policy(session), utcnow())
            return after_action(request, session, actor, child.id)
        except Refused as refused:
            session.rollback()
            errors = refused.errors
    return _midday_page(request, actor, child, echo(form, LIST_FIELDS), errors, 400)


# ---------------------------------------------------------------- observation (全日观察)


def _observation_page(request, actor: RoomActor, child: Child, form: dict, errors: dict, status_code: int = 200):
    context = {"room": actor.room, "child": child, "form": form, "errors": errors}
    return action_form(request, "illness/observation.html", {**LABELS, **context}, child_id=child.id, status_code=status_code)


@router.get("/rooms/{room_id}/children/{child_id}/observation")
def observation_page(request: Request, session: DbSession, actor: RoomActing, child_id: int):
    child, _enrolment = room_child(session, actor.room, child_id)
    return _observation_page(request, actor, child, {"time": _now_hhmm()}, {})


@router.post("/rooms/{room_id}/children/{child_id}/observation")
async def record_observation(request: Request, session: DbSession, actor: RoomActing, child_id: int):
    child, _enrolment = room_child(session, actor.room, child_id)
    form = await request.form()
    data, errors = parse_form(ObservationForm, form)
    if data is not None:
        try:
            service.record_observation(session, actor, child, data, utcnow())
            return after_action(request, session, actor, child.id)
        except Refused as refused:
            session.rollback()
            errors = refused.errors
    return _observation_page(request, actor, child, echo(form, LIST_FIELDS), errors, 400)


# ---------------------------------------------------------------- illness: start and steps


def _start_page(request, actor: RoomActor, child: Child, form: dict, errors: dict, status_code: int = 200):
    context = {"room": actor.room, "child": child, "form": form, "errors": errors}
    return action_form(request, "illness/start.html", {**LABELS, **context}, child_id=child.id, status_code=status_code)


@router.get("/rooms/{room_id}/children/{child_id}/illness")
def start_page(request: Request, session: DbSession, actor: RoomActing, child_id: int):
    child, _enrolment = room_child(session, actor.room, child_id)
    return _start_page(request, actor, child, {"time": _now_hhmm()}, {})


@router.post("/rooms/{room_id}/children/{child_id}/illness")
async def start_illness(request: Request, session: DbSession, actor: RoomActing, child_id: int):
    child, _enrolment = room_child(session, actor.room, child_id)
    form = await request.form()
    data, errors = parse_form(IllnessStartForm, form)
    if data is not None:
        try:
            service.start_illness(session, actor, child, data, load_policy(session), utcnow())
            return after_action(request, session, actor, child.id)
        except Refused as refused:
            session.rollback()
            errors = refused.errors
    return _start_page(request, actor, child, echo(form, LIST_FIELDS), errors, 400)


def _illness_page(request, session, illness_id: int, *, step: str | None = None, form: dict | None = None,
                  errors: dict | None = None, status_code: int = 200) -> Response:
    view = service.illness_view(session, illness_id)
    if view is None:
        raise NotFound()
    illness = view.illness
    adults = collecting_adults(session, illness.child_id, illness.on_date) if illness.picked_up_at is None else []
    defaults = {"time": _now_hhmm()}
    context = {
        **LABELS, "view": view, "illness": illness, "child": view.child, "room": view.room, "adults": adults,
        "next_step": next_step(illness), "failed_step": step, "form": form or defaults, "errors": errors or {},
        "defaults": defaults,
    }
    return render(request, "illness/detail.html", context, status_code=status_code)


@router.get("/health/illness/{illness_id}")
def illness_page(request: Request, session: DbSession, me: Staff, illness_id: int):
    view = service.illness_view(session, illness_id)
    if view is None:
        raise NotFound()
    open_health_record(request.app.state.engine, session, me, view.child.id, "illness", room_id=view.illness.room_id)
    return _illness_page(request, session, illness_id)


@router.post("/rooms/{room_id}/illnesses/{illness_id}/void")
async def void_illness(request: Request, session: DbSession, actor: RoomActing, illness_id: int):
    illness = service.room_illness(session, actor.room, illness_id)
    form = await request.form()
    data, errors = parse_form(VoidForm, form)
    if data is not None:
        service.void_illness(session, actor, illness, data, utcnow())
        return RedirectResponse(f"/health/illness/{illness.id}", status_code=303)
    return _illness_page(request, session, illness.id, step="void", form=echo(form, LIST_FIELDS), errors=errors, status_code=400)


@router.post("/rooms/{room_id}/illnesses/{illness_id}/{step}")
async def illness_step(request: Request, session: DbSession, actor: RoomActing, illness_id: int, step: str):
    try:
        chosen = Step(step)
    except ValueError:
        raise NotFound() from None
    illness = service.room_illness(session, actor.room, illness_id)
    form = await request.form()
    data, errors = parse_form(STEP_FORMS[chosen], form)
    if data is not None:
        try:
            service.take_step(session, actor, illness, chosen, data, utcnow())
            return RedirectResponse(f"/health/illness/{illness.id}", status_code=303)
        except Refused as refused:
            session.rollback()
            errors = refused.errors
    return _illness_page(request, session, illness_id, step=chosen.value, form=echo(form, LIST_FIELDS), errors=errors, status_code=400)


# ---------------------------------------------------------------- a child's illnesses and checks


@router.get("/children/{child_id}/illness")
def child_illness(request: Request, session: DbSession, me: Staff, child_id: int):
    child = open_health_record(request.app.state.engine, session, me, child_id, "illness")
    record = service.child_health_days(session, child.id)
    return render(request, "illness/child.html", {**LABELS, "child": child, "record": record})


# ---------------------------------------------------------------- outbreaks (聚集性疫情)


def _outbreaks_page(request, session, status_code: int = 200):
    now = utcnow()
    context = {
        **LABELS, "items": outbreaks.open_outbreaks(session, now), "reported": outbreaks.reported_outbreaks(session),
        "now": now, "policy": load_policy(session),
    }
    return render(request, "illness/outbreaks.html", context, status_code=status_code)


@router.get("/health/outbreaks")
def outbreaks_page(request: Request, session: DbSession, me: HealthStaff):
    # The alerts name children and their symptoms: one audited read for the page (many children).
    audit.record_read(request.app.state.engine, me.id, "outbreaks", None)
    return _outbreaks_page(request, session)


@router.post("/health/outbreaks/scan")
def scan_outbreaks(request: Request, session: DbSession, me: HealthStaff):
    outbreaks.scan_outbreaks(session, me, load_policy(session), utcnow())
    return RedirectResponse("/health/outbreaks", status_code=303)


def _report_page(request, session, alert_id: int, form: dict, errors: dict, status_code: int = 200):
    found = outbreaks.outbreak_alert(session, alert_id)
    if found is None:
        raise NotFound()
    alert, room, children = found
    context = {**LABELS, "alert": alert, "room": room, "children": children, "form": form, "errors": errors,
               "now": utcnow(), "deadline": report_deadline(alert.detected_at)}
    return render(request, "illness/report.html", context, status_code=status_code)


@router.get("/health/outbreaks/{alert_id}/report")
def report_page(request: Request, session: DbSession, me: HealthStaff, alert_id: int):
    now = utcnow()
    page = _report_page(request, session, alert_id, {"reported_on": local_date(now).isoformat(), "time": _now_hhmm()}, {})
    # The report names the alert's children and their symptom: one audited read for the page.
    audit.record_read(request.app.state.engine, me.id, "outbreak_report", None)
    return page


@router.post("/health/outbreaks/{alert_id}/report")
async def record_report(request: Request, session: DbSession, me: HealthStaff, alert_id: int):
    alert = session.get(OutbreakAlert, alert_id)
    if alert is None:
        raise NotFound()
    form = await request.form()
    data, errors = parse_form(ReportForm, form)
    if data is not None:
        try:
            outbreaks.record_report(session, me, alert, data, utcnow())
            return RedirectResponse("/health/outbreaks", status_code=303)
        except Refused as refused:
            session.rollback()
            errors = refused.errors
    return _report_page(request, session, alert_id, echo(form, LIST_FIELDS), errors, 400)
