"""The daily log on the tablet: an entry per child, batch meal and naps, corrections, outdoor time; a child's day for staff.

Room actions take `actor: RoomActing` and answer through `after_action` on success (an entry changes
nothing in the room header, so htmx gets the child's tile alone);
a refusal re-renders the form (400) — for htmx only its `form` block, aimed at the
child's tile action area.
"""

import secrets
from datetime import date

from fastapi import APIRouter, Request

from nursery_ops.attendance.service import attendance_on, room_child, times_corrections
from nursery_ops.auth.access import DbSession, Staff
from nursery_ops.auth.models import Role
from nursery_ops.children.access import visible_child
from nursery_ops.clock import local_date, local_today, utcnow
from nursery_ops.dailylog import service
from nursery_ops.dailylog.forms import (
    AMOUNT_CHOICES,
    BATCH_AMOUNT_CHOICES,
    CORRECTION_FORMS,
    ENTRY_FORMS,
    ENTRY_TITLES,
    MEAL_CHOICES,
    MOOD_CHOICES,
    NAPPY_CHOICES,
    BatchMealForm,
    BatchNapEndForm,
    BatchNapForm,
    OutdoorForm,
    ShortfallForm,
    VoidForm,
)
from nursery_ops.dailylog.models import Amount, EntryKind, LogEntry
from nursery_ops.dailylog.rules import outdoor_warning
from nursery_ops.errors import NotFound
from nursery_ops.forms import Refused, echo, parse_form
from nursery_ops.i18n import N_
from nursery_ops.photos.service import PhotoRefused, form_status, read_photo
from nursery_ops.policy import load_policy
from nursery_ops.rooms.day import action_form, after_action
from nursery_ops.rooms.tablet import RoomActing, RoomActor
from nursery_ops.settings import get_settings
from nursery_ops.templating import render

router = APIRouter()

LIST_FIELDS = ("also_tagged", "children", "naps")


# ---------------------------------------------------------------- an entry per child


def _slug(slug: str) -> str:
    if slug not in ENTRY_FORMS:
        raise NotFound()
    return slug


def _entry_page(request, session, actor: RoomActor, child, slug: str, form: dict, errors: dict, status_code: int = 200):
    today = local_today()
    nap = service.open_nap(session, child.id, today) if slug in ("nap-end", "sleep-check") else None
    others = (
        [other for other in service.present_children(session, actor.room.id, today) if other.id != child.id]
        if slug == "photo" else []
    )
    context = {
        "room": actor.room, "child": child, "slug": slug, "title": ENTRY_TITLES[slug], "form": form, "errors": errors,
        "nap": nap, "others": others, "meals": MEAL_CHOICES, "amounts": AMOUNT_CHOICES, "nappies": NAPPY_CHOICES,
        "moods": MOOD_CHOICES, "max_mb": get_settings().photo_max_bytes // (1024 * 1024),
    }
    return action_form(request, "dailylog/entry.html", context, child_id=child.id, status_code=status_code)


@router.get("/rooms/{room_id}/children/{child_id}/log/{slug}")
def entry_page(request: Request, session: DbSession, actor: RoomActing, child_id: int, slug: str):
    child, _enrolment = room_child(session, actor.room, child_id)
    if slug == "nap":
        # The tile's one nap button: start when awake, end when asleep.
        slug = "nap-end" if service.open_nap(session, child.id, local_today()) else "nap-start"
    slug = _slug(slug)
    form = {"amount": Amount.all.value} if slug == "meal" else {}
    return _entry_page(request, session, actor, child, slug, form, {})


@router.post("/rooms/{room_id}/children/{child_id}/log/{slug}")
async def save_entry(request: Request, session: DbSession, actor: RoomActing, child_id: int, slug: str):
    slug = _slug(slug)
    child, _enrolment = room_child(session, actor.room, child_id)
    form = await request.form()
    _kind, model = ENTRY_FORMS[slug]
    data, errors = parse_form(model, form)
    if data is not None:
        now = utcnow()
        try:
            if slug == "photo":
                if service.by_token(session, data.form_token) is None:
                    prepared = await read_photo(form.get("photo"))
                    service.record_photo(session, actor, child, data, prepared, now)
            elif slug == "nap-end":
                service.end_nap(session, actor, child, data, now)
            else:
                service.record_entry(session, actor, child, slug, data, now)
            return after_action(request, session, actor, child.id, header=False)
        except PhotoRefused as refused:
            session.rollback()
            errors = {"photo": refused.message}
        except Refused as refused:
            session.rollback()
            errors = refused.errors
    return _entry_page(request, session, actor, child, slug, echo(form, LIST_FIELDS), errors, form_status(errors))


# ---------------------------------------------------------------- batch: a meal for everyone, naps for several


def _batch_page(request, session, actor: RoomActor, form: dict, errors: dict, status_code: int = 200):
    today = local_today()
    present = service.present_children(session, actor.room.id, today)
    sleeping = service.sleeping_in_room(session, actor.room.id, today)
    context = {
        "room": actor.room, "form": form, "errors": errors, "present": present,
        "awake": [child for child in present if child.id not in sleeping],
        "asleep": [(child, sleeping[child.id].nap) for child in present if child.id in sleeping],
        "meals": MEAL_CHOICES, "amounts": BATCH_AMOUNT_CHOICES,
        # One token per batch form on the page: a double tap sends the same one twice.
        "tokens": {name: secrets.token_urlsafe(16) for name in ("meal", "nap_start", "nap_end")},
    }
    return action_form(request, "dailylog/batch.html", context, status_code=status_code)


@router.get("/rooms/{room_id}/log/batch")
def batch_page(request: Request, session: DbSession, actor: RoomActing):
    return _batch_page(request, session, actor, {"meal": "lunch"}, {})


@router.post("/rooms/{room_id}/log/batch")
async def save_batch(request: Request, session: DbSession, actor: RoomActing):
    form = await request.form()
    batch = form.get("batch")
    now = utcnow()
    models = {"meal": BatchMealForm, "nap_start": BatchNapForm, "nap_end": BatchNapEndForm}
    if batch not in models:
        errors = {"__all__": N_("Choose one of the options.")}
        return _batch_page(request, session, actor, echo(form, LIST_FIELDS), errors, 400)
    data, errors = parse_form(models[batch], form)
    if data is not None:
        try:
            if batch == "meal":
                present = service.present_children(session, actor.room.id, local_date(now))
                choices = {child.id: form.get(f"amount_{child.id}") for child in present}
                service.batch_meal(session, actor, data, choices, now)
            elif batch == "nap_start":
                service.batch_nap_start(session, actor, data, now)
            else:
                service.batch_nap_end(session, actor, data, now)
            return after_action(request, session, actor, None)
        except Refused as refused:
            session.rollback()
            errors = refused.errors
    return _batch_page(request, session, actor, echo(form, LIST_FIELDS), {**errors, "batch": batch}, 400)


# ---------------------------------------------------------------- corrections and voids


def _correction_form(entry: LogEntry) -> dict:
    """The entry's values as the correction form shows them (local wall-clock times)."""
    zone = get_settings().zone
    values = {
        "time": entry.at.astimezone(zone).strftime("%H:%M"),
        "meal": entry.meal.value if entry.meal else None,
        "amount": entry.amount.value if entry.amount else None,
        "millilitres": entry.millilitres,
        "nappy": entry.nappy.value if entry.nappy else None,
        "mood": entry.mood.value if entry.mood else None,
        "text": entry.text,
    }
    if entry.kind is EntryKind.nap and entry.ended_at is not None:
        values["end_time"] = entry.ended_at.astimezone(zone).strftime("%H:%M")
    return values


def _change_page(request, actor: RoomActor, entry: LogEntry, template: str, form: dict, errors: dict, status_code=200):
    context = {
        "room": actor.room, "entry": entry, "form": form, "errors": errors,
        "meals": MEAL_CHOICES, "amounts": AMOUNT_CHOICES, "nappies": NAPPY_CHOICES, "moods": MOOD_CHOICES,
    }
    return action_form(request, template, context, child_id=entry.child_id, status_code=status_code)


@router.get("/rooms/{room_id}/log/{entry_id}/correct")
def correct_page(request: Request, session: DbSession, actor: RoomActing, entry_id: int):
    entry = service.room_entry(session, actor.room, entry_id)
    return _change_page(request, actor, entry, "dailylog/correct.html", _correction_form(entry), {})


@router.post("/rooms/{room_id}/log/{entry_id}/correct")
async def correct(request: Request, session: DbSession, actor: RoomActing, entry_id: int):
    entry = service.room_entry(session, actor.room, entry_id)
    form = await request.form()
    data, errors = parse_form(CORRECTION_FORMS[entry.kind], form)
    if data is not None:
        try:
            service.correct_entry(session, actor, entry, data, data.form_token, utcnow())
            return after_action(request, session, actor, entry.child_id, header=False)
        except Refused as refused:
            session.rollback()
            errors = refused.errors
    return _change_page(request, actor, entry, "dailylog/correct.html", echo(form, LIST_FIELDS), errors, 400)


@router.get("/rooms/{room_id}/log/{entry_id}/void")
def void_page(request: Request, session: DbSession, actor: RoomActing, entry_id: int):
    entry = service.room_entry(session, actor.room, entry_id)
    return _change_page(request, actor, entry, "dailylog/void.html", {}, {})


@router.post("/rooms/{room_id}/log/{entry_id}/void")
async def void(request: Request, session: DbSession, actor: RoomActing, entry_id: int):
    entry = service.room_entry(session, actor.room, entry_id)
    form = await request.form()
    data, errors = parse_form(VoidForm, form)
    if data is not None:
        try:
            service.void_entry(session, actor, entry, data.reason, utcnow())
            return after_action(request, session, actor, entry.child_id, header=False)
        except Refused as refused:
            session.rollback()
            errors = refused.errors
    return _change_page(request, actor, entry, "dailylog/void.html", echo(form, LIST_FIELDS), errors, 400)


# ---------------------------------------------------------------- a child's day (staff)


@router.get("/children/{child_id}/log")
def child_log(request: Request, session: DbSession, me: Staff, child_id: int, date: date | None = None):
    child = visible_child(session, me, child_id)
    on = date or local_today()
    attendance = attendance_on(session, child.id, on)
    context = {
        "child": child, "on": on, "lines": service.child_day(session, child.id, on),
        "today_local": local_today(),
        # Correct/void links: the tablet route decides; these are shown only where they can succeed.
        "may_change": me.has(Role.director) or (on == local_today() and me.has(Role.caregiver)),
        "attendance": attendance,
        "corrections": times_corrections(session, attendance.id) if attendance else [],
    }
    return render(request, "dailylog/child_day.html", context)


# ---------------------------------------------------------------- outdoor time (户外活动)


def _outdoor_page(request, session, actor: RoomActor, form: dict, errors: dict, status_code: int = 200):
    day = service.outdoor_day(session, actor.room.id, local_today())
    warning = outdoor_warning(day.minutes, day.shortfall is not None, load_policy(session))
    context = {"room": actor.room, "day": day, "warning": warning, "form": form, "errors": errors}
    return action_form(request, "dailylog/outdoor.html", context, status_code=status_code)


@router.get("/rooms/{room_id}/outdoor")
def outdoor_page(request: Request, session: DbSession, actor: RoomActing):
    return _outdoor_page(request, session, actor, {}, {})


@router.post("/rooms/{room_id}/outdoor")
async def record_outdoor(request: Request, session: DbSession, actor: RoomActing):
    form = await request.form()
    data, errors = parse_form(OutdoorForm, form)
    if data is not None:
        try:
            service.record_outdoor(session, actor, data, utcnow())
            return after_action(request, session, actor, None)
        except Refused as refused:
            session.rollback()
            errors = refused.errors
    return _outdoor_page(request, session, actor, echo(form, LIST_FIELDS), errors, 400)


def _outdoor_void_page(request, actor: RoomActor, period, form: dict, errors: dict, status_code: int = 200):
    context = {"room": actor.room, "period": period, "form": form, "errors": errors}
    return action_form(request, "dailylog/outdoor_void.html", context, status_code=status_code)


@router.get("/rooms/{room_id}/outdoor/{period_id}/void")
def outdoor_void_page(request: Request, session: DbSession, actor: RoomActing, period_id: int):
    return _outdoor_void_page(request, actor, service.room_outdoor(session, actor.room, period_id), {}, {})


@router.post("/rooms/{room_id}/outdoor/{period_id}/void")
async def void_outdoor(request: Request, session: DbSession, actor: RoomActing, period_id: int):
    period = service.room_outdoor(session, actor.room, period_id)
    form = await request.form()
    data, errors = parse_form(VoidForm, form)
    if data is not None:
        try:
            service.void_outdoor(session, actor, period, data.reason, utcnow())
            return after_action(request, session, actor, None)
        except Refused as refused:
            session.rollback()
            errors = refused.errors
    return _outdoor_void_page(request, actor, period, echo(form, LIST_FIELDS), errors, 400)


@router.post("/rooms/{room_id}/outdoor/reason")
async def record_shortfall(request: Request, session: DbSession, actor: RoomActing):
    form = await request.form()
    data, errors = parse_form(ShortfallForm, form)
    if data is not None:
        service.record_shortfall(session, actor, data.reason, utcnow())
        return after_action(request, session, actor, None)
    return _outdoor_page(request, session, actor, echo(form, LIST_FIELDS), errors, 400)
