"""The tablet at the door: clock in/out, morning check, check-in, pick-up, delegates, absences.

Room actions take `actor: RoomActing` and answer through `after_action` on success;
a refusal re-renders the form (400) — for htmx only its `form` block, aimed at the
child's tile action area. Bookings and return certificates are office pages.
"""


from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from nursery_ops.attendance import service
from nursery_ops.attendance.forms import (
    ABSENCE_CHOICES,
    CHECK_ITEMS,
    OUTCOME_CHOICES,
    AbsenceForm,
    BookingForm,
    CallForm,
    CheckInForm,
    CheckOutForm,
    DelegateForm,
    MorningCheckForm,
    ReturnCertificateForm,
    TimesForm,
)
from nursery_ops.attendance.models import CheckOutcome
from nursery_ops.auth.access import DbSession, Director, HealthStaff
from nursery_ops.children.models import Child
from nursery_ops.clock import local_date, local_today, to_local, utcnow
from nursery_ops.errors import NotFound
from nursery_ops.forms import Refused, echo, parse_form
from nursery_ops.policy import load_policy
from nursery_ops.rooms.day import action_form, after_action
from nursery_ops.rooms.tablet import RoomActing, RoomActor
from nursery_ops.templating import is_htmx, render

router = APIRouter()


# ---------------------------------------------------------------- clock in / out


async def _shift(request: Request, session, actor: RoomActor, action) -> Response:
    try:
        action(session, actor, utcnow())
    except Refused as refused:
        session.rollback()
        context = {"room": actor.room, "actor": actor, "errors": refused.errors}
        return action_form(request, "attendance/shift.html", context, status_code=400)
    return after_action(request, session, actor, None)


@router.post("/rooms/{room_id}/clock-in")
async def clock_in(request: Request, session: DbSession, actor: RoomActing):
    return await _shift(request, session, actor, service.clock_in)


@router.post("/rooms/{room_id}/clock-out")
async def clock_out(request: Request, session: DbSession, actor: RoomActing):
    return await _shift(request, session, actor, service.clock_out)


# ---------------------------------------------------------------- morning check


def _check_page(request, actor: RoomActor, child: Child, form: dict, errors: dict, status_code: int = 200) -> Response:
    context = {
        "room": actor.room, "child": child, "form": form, "errors": errors,
        "check_items": CHECK_ITEMS, "outcomes": OUTCOME_CHOICES,
    }
    return action_form(request, "attendance/morning_check.html", context, child_id=child.id, status_code=status_code)


@router.get("/rooms/{room_id}/children/{child_id}/morning-check")
def morning_check_page(request: Request, session: DbSession, actor: RoomActing, child_id: int):
    child, _enrolment = service.room_child(session, actor.room, child_id)
    return _check_page(request, actor, child, {"outcome": CheckOutcome.admit.value}, {})


@router.post("/rooms/{room_id}/children/{child_id}/morning-check")
async def morning_check(request: Request, session: DbSession, actor: RoomActing, child_id: int):
    child, enrolment = service.room_child(session, actor.room, child_id)
    form = await request.form()
    data, errors = parse_form(MorningCheckForm, form)
    if data is not None:
        try:
            service.record_morning_check(session, actor, child, enrolment, data, load_policy(session), utcnow())
            return after_action(request, session, actor, child.id)
        except Refused as refused:
            session.rollback()
            errors = refused.errors
    return _check_page(request, actor, child, echo(form), errors, 400)


# ---------------------------------------------------------------- check-in


def _check_in_page(
    request, session, actor: RoomActor, child: Child, form: dict, errors: dict, blocks=(), status_code: int = 200
) -> Response:
    context = {
        "room": actor.room, "child": child, "form": form, "errors": errors, "blocks": list(blocks),
        "adults": service.bringing_adults(session, child.id), "may_override": service.may_override(actor),
    }
    return action_form(request, "attendance/check_in.html", context, child_id=child.id, status_code=status_code)


@router.get("/rooms/{room_id}/children/{child_id}/check-in")
def check_in_page(request: Request, session: DbSession, actor: RoomActing, child_id: int):
    child, _enrolment = service.room_child(session, actor.room, child_id)
    return _check_in_page(request, session, actor, child, {}, {})


@router.post("/rooms/{room_id}/children/{child_id}/check-in")
async def check_in(request: Request, session: DbSession, actor: RoomActing, child_id: int):
    child, enrolment = service.room_child(session, actor.room, child_id)
    form = await request.form()
    data, errors = parse_form(CheckInForm, form)
    blocks = []
    if data is not None:
        try:
            service.check_in(session, actor, child, enrolment, data, load_policy(session), utcnow())
            return after_action(request, session, actor, child.id)
        except service.Blocked as blocked:
            session.rollback()
            errors, blocks = blocked.errors, blocked.blocks
        except Refused as refused:
            session.rollback()
            errors = refused.errors
    return _check_in_page(request, session, actor, child, echo(form), errors, blocks, 400)


# ---------------------------------------------------------------- check-out and delegates


def _check_out_page(request, session, actor: RoomActor, child: Child, form: dict, errors: dict, status_code: int = 200):
    today = local_date(utcnow())
    context = {
        "room": actor.room, "child": child, "form": form, "errors": errors,
        "adults": service.collecting_adults(session, child.id, today),
        "attendance": service.attendance_on(session, child.id, today),
    }
    return action_form(request, "attendance/check_out.html", context, child_id=child.id, status_code=status_code)


@router.get("/rooms/{room_id}/children/{child_id}/check-out")
def check_out_page(request: Request, session: DbSession, actor: RoomActing, child_id: int):
    child, _enrolment = service.room_child(session, actor.room, child_id)
    return _check_out_page(request, session, actor, child, {}, {})


@router.post("/rooms/{room_id}/children/{child_id}/check-out")
async def check_out(request: Request, session: DbSession, actor: RoomActing, child_id: int):
    child, _enrolment = service.room_child(session, actor.room, child_id)
    form = await request.form()
    data, errors = parse_form(CheckOutForm, form)
    if data is not None:
        try:
            service.check_out(session, actor, child, data, utcnow())
            return after_action(request, session, actor, child.id)
        except Refused as refused:
            session.rollback()
            errors = refused.errors
    return _check_out_page(request, session, actor, child, echo(form), errors, 400)


def _delegate_page(request, session, actor: RoomActor, child: Child, form: dict, errors: dict, status_code: int = 200):
    context = {
        "room": actor.room, "child": child, "form": form, "errors": errors,
        "guardians": service.guardian_options(session, child.id),
    }
    return action_form(request, "attendance/delegate.html", context, child_id=child.id, status_code=status_code)


@router.get("/rooms/{room_id}/children/{child_id}/delegate")
def delegate_page(request: Request, session: DbSession, actor: RoomActing, child_id: int):
    child, _enrolment = service.room_child(session, actor.room, child_id)
    return _delegate_page(request, session, actor, child, {}, {})


@router.post("/rooms/{room_id}/children/{child_id}/delegate")
async def add_delegate(request: Request, session: DbSession, actor: RoomActing, child_id: int):
    child, _enrolment = service.room_child(session, actor.room, child_id)
    form = await request.form()
    data, errors = parse_form(DelegateForm, form)
    if data is not None:
        try:
            service.add_delegate(session, actor, child, data, utcnow())
            return after_action(request, session, actor, child.id)
        except Refused as refused:
            session.rollback()
            errors = refused.errors
    return _delegate_page(request, session, actor, child, echo(form), errors, 400)


# ---------------------------------------------------------------- absences


def _absence_page(request, session, actor: RoomActor, child: Child, form: dict, errors: dict, status_code: int = 200):
    context = {
        "room": actor.room, "child": child, "form": form, "errors": errors,
        "reasons": ABSENCE_CHOICES,
        "absence": service.absence_on(session, child.id, local_date(utcnow())),
    }
    return action_form(request, "attendance/absence.html", context, child_id=child.id, status_code=status_code)


@router.get("/rooms/{room_id}/children/{child_id}/absence")
def absence_page(request: Request, session: DbSession, actor: RoomActing, child_id: int):
    child, _enrolment = service.room_child(session, actor.room, child_id)
    absence = service.absence_on(session, child.id, local_date(utcnow()))
    form = {"reason": absence.reason.value, "symptoms": absence.symptoms, "suspected_infection": absence.suspected_infection} if absence else {}
    return _absence_page(request, session, actor, child, form, {})


@router.post("/rooms/{room_id}/children/{child_id}/absence")
async def record_absence(request: Request, session: DbSession, actor: RoomActing, child_id: int):
    child, enrolment = service.room_child(session, actor.room, child_id)
    form = await request.form()
    data, errors = parse_form(AbsenceForm, form)
    if data is not None:
        try:
            service.record_absence(session, actor, child, enrolment, data, utcnow())
            return after_action(request, session, actor, child.id)
        except Refused as refused:
            session.rollback()
            errors = refused.errors
    return _absence_page(request, session, actor, child, echo(form), errors, 400)


@router.post("/rooms/{room_id}/children/{child_id}/absence/call")
async def record_call(request: Request, session: DbSession, actor: RoomActing, child_id: int):
    child, _enrolment = service.room_child(session, actor.room, child_id)
    form = await request.form()
    data, errors = parse_form(CallForm, form)
    if data is not None:
        try:
            service.record_family_call(session, actor, child, data, utcnow())
            return after_action(request, session, actor, child.id)
        except Refused as refused:
            session.rollback()
            errors = refused.errors
    return _absence_page(request, session, actor, child, echo(form), errors, 400)


# ---------------------------------------------------------------- correcting arrival and departure times


def _times_page(request, session, actor: RoomActor, attendance, child: Child, form: dict, errors: dict, status_code=200):
    context = {
        "room": actor.room, "child": child, "attendance": attendance, "form": form, "errors": errors,
        "corrections": service.times_corrections(session, attendance.id),
        "may_correct": service.may_correct_attendance(session, actor, attendance, local_today()),
    }
    return action_form(request, "attendance/times.html", context, child_id=child.id, status_code=status_code)


@router.get("/rooms/{room_id}/attendance/{attendance_id}/times")
def times_page(request: Request, session: DbSession, actor: RoomActing, attendance_id: int):
    attendance, child = service.room_attendance(session, actor.room, attendance_id)
    form = {"check_in": to_local(attendance.check_in_at).strftime("%H:%M")}
    if attendance.check_out_at is not None:
        form["check_out"] = to_local(attendance.check_out_at).strftime("%H:%M")
    return _times_page(request, session, actor, attendance, child, form, {})


@router.post("/rooms/{room_id}/attendance/{attendance_id}/times")
async def correct_times(request: Request, session: DbSession, actor: RoomActing, attendance_id: int):
    attendance, child = service.room_attendance(session, actor.room, attendance_id)
    form = await request.form()
    data, errors = parse_form(TimesForm, form)
    if data is not None:
        try:
            service.correct_times(session, actor, attendance, data, utcnow())
            if is_htmx(request):
                return after_action(request, session, actor, child.id)
            # Opened from the child's day page (any day, for the director): back to that day.
            return RedirectResponse(f"/children/{child.id}/log?date={attendance.on_date.isoformat()}", status_code=303)
        except Refused as refused:
            session.rollback()
            errors = refused.errors
    return _times_page(request, session, actor, attendance, child, echo(form), errors, 400)


# ---------------------------------------------------------------- temporary bookings (director)


def _child(session, child_id: int) -> Child:
    child = session.get(Child, child_id)
    if child is None:
        raise NotFound()
    return child


def _bookings_page(request, session, child: Child, form: dict, errors: dict, status_code: int = 200):
    today = local_today()
    enrolment = service.temporary_enrolment(session, child.id)
    context = {
        "child": child, "form": form, "errors": errors, "enrolment": enrolment,
        "bookings": service.bookings(session, enrolment, today),
    }
    return render(request, "attendance/bookings.html", context, status_code=status_code, block="form")


@router.get("/children/{child_id}/bookings")
def bookings_page(request: Request, session: DbSession, me: Director, child_id: int):
    return _bookings_page(request, session, _child(session, child_id), {}, {})


@router.post("/children/{child_id}/bookings")
async def change_booking(request: Request, session: DbSession, me: Director, child_id: int):
    child = _child(session, child_id)
    form = await request.form()
    data, errors = parse_form(BookingForm, form)
    if data is not None:
        try:
            service.change_booking(session, me, child, data, local_today(), utcnow())
            return RedirectResponse(f"/children/{child.id}/bookings", status_code=303)
        except Refused as refused:
            session.rollback()
            errors = refused.errors
    return _bookings_page(request, session, child, echo(form), errors, 400)


# ---------------------------------------------------------------- return certificate (health officer)


def _return_page(request, session, child: Child, form: dict, errors: dict, status_code: int = 200):
    context = {
        "child": child, "form": form, "errors": errors,
        "awaited": service.awaited_return_certificates(session, child.id),
    }
    return render(request, "attendance/return_certificate.html", context, status_code=status_code, block="form")


@router.get("/children/{child_id}/return-certificate")
def return_certificate_page(request: Request, session: DbSession, me: HealthStaff, child_id: int):
    return _return_page(request, session, _child(session, child_id), {}, {})


@router.post("/children/{child_id}/return-certificate")
async def receive_return_certificate(request: Request, session: DbSession, me: HealthStaff, child_id: int):
    child = _child(session, child_id)
    form = await request.form()
    data, errors = parse_form(ReturnCertificateForm, form)
    if data is not None:
        try:
            service.receive_return_certificate(session, me, child, data)
            return RedirectResponse(f"/children/{child.id}", status_code=303)
        except Refused as refused:
            session.rollback()
            errors = refused.errors
    return _return_page(request, session, child, echo(form), errors, 400)
