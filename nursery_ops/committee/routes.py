"""The parent committee (`/committee`): the director writes; staff and parents with a child in care read.

Every form re-renders with its errors (400) when refused; nothing is saved then.
"""

from collections.abc import Callable
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from nursery_ops.auth.access import DbSession, Director, SignedIn
from nursery_ops.auth.models import Role
from nursery_ops.clock import local_today
from nursery_ops.committee import service
from nursery_ops.committee.forms import (
    KIND_LABELS,
    LISTS,
    ROLE_LABELS,
    ActivityForm,
    MeetingForm,
    MemberForm,
    NewMemberForm,
    OpinionForm,
    ResponseForm,
    VoidForm,
)
from nursery_ops.committee.models import CommitteeMeeting, CommitteeMember, CommitteeOpinion, ParentActivity
from nursery_ops.forms import FormModel, Refused, echo, parse_form
from nursery_ops.policy import load_policy
from nursery_ops.templating import render, translator_for

router = APIRouter()


def choices(labels: dict, t) -> list[tuple[str, str]]:
    """(stored value, label in the reader's language) for a select."""
    return [(value.value, t.gettext(text)) for value, text in labels.items()]


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _values(row) -> dict:
    """A record's columns as the strings a form shows."""
    values = {}
    for key, value in row.model_dump().items():
        if isinstance(value, date):
            values[key] = value.isoformat()
        elif isinstance(value, list):
            values[key] = [str(item) for item in value]
        elif value is not None:
            values[key] = str(value)
    return values


async def _submit(request: Request, session, model: type[FormModel], save: Callable, page: Callable):
    """Parse, save, and go where `save` says; the same form again (400) with its errors when refused."""
    form = await request.form()
    data, errors = parse_form(model, form)
    if not errors:
        try:
            return _redirect(save(data))
        except Refused as refused:
            session.rollback()
            errors = refused.errors
    return page(echo(form, LISTS), errors)


async def _void(request: Request, session, me, kind: str, record_id: int, page: Callable):
    row = service.record_of(session, kind, record_id)
    form = await request.form()
    data, errors = parse_form(VoidForm, form)
    if not errors:
        try:
            service.void(session, me, kind, row, data.reason)
            return _redirect(f"/committee#{kind}")
        except Refused as refused:
            session.rollback()
            errors = refused.errors
    row = service.record_of(session, kind, record_id)
    return page(row, {**_values(row), "reason": form.get("reason", "")}, errors)


# ---------------------------------------------------------------- reading


@router.get("/committee")
def home(request: Request, session: DbSession, me: SignedIn):
    today = local_today()
    service.require_reader(session, me, today)
    director = me.has(Role.director)
    board = service.committee_board(session, today, load_policy(session), with_void=director)
    context = {"board": board, "may_edit": director, "role_labels": ROLE_LABELS, "kind_labels": KIND_LABELS,
               "show_children": me.is_staff}
    return render(request, "committee/home.html", context)


# ---------------------------------------------------------------- members


def _guardian_options(session, t) -> list[tuple[int, str]]:
    options = []
    for choice in service.guardian_choices(session, local_today()):
        children = ", ".join(t.gettext("{relation} of {child}", relation=relation, child=child)
                             for child, relation in choice.children)
        options.append((choice.guardian_id, f"{choice.name} ({children})"))
    return options


def _member_page(request, session, member: CommitteeMember | None, form: dict, errors: dict, status_code=400):
    t = translator_for(request)
    context = {
        "member": member, "form": form, "errors": errors, "roles": choices(ROLE_LABELS, t),
        "guardian": service.member_guardian(session, member) if member else None,
        "guardians": [] if member else _guardian_options(session, t),
    }
    return render(request, "committee/member_form.html", context, status_code=status_code)


@router.get("/committee/members/new")
def new_member(request: Request, session: DbSession, me: Director):
    return _member_page(request, session, None, {"role": "member", "from_date": local_today().isoformat()}, {}, 200)


@router.post("/committee/members/new")
async def add_member(request: Request, session: DbSession, me: Director):
    def save(data):
        service.add_member(session, me, data, local_today())
        return "/committee#members"

    return await _submit(request, session, NewMemberForm, save,
                         lambda form, errors: _member_page(request, session, None, form, errors))


@router.get("/committee/members/{member_id}/edit")
def edit_member(request: Request, session: DbSession, me: Director, member_id: int):
    member = service.record_of(session, "members", member_id)
    return _member_page(request, session, member, _values(member), {}, 200)


@router.post("/committee/members/{member_id}/edit")
async def change_member(request: Request, session: DbSession, me: Director, member_id: int):
    member = service.record_of(session, "members", member_id)

    def save(data):
        service.change_member(session, me, member, data, local_today())
        return "/committee#members"

    return await _submit(request, session, MemberForm, save, lambda form, errors: _member_page(
        request, session, service.record_of(session, "members", member_id), form, errors))


@router.post("/committee/members/{member_id}/void")
async def void_member(request: Request, session: DbSession, me: Director, member_id: int):
    return await _void(request, session, me, "members", member_id,
                       lambda row, form, errors: _member_page(request, session, row, form, errors))


# ---------------------------------------------------------------- meetings


def _meeting_page(request, session, meeting: CommitteeMeeting | None, form: dict, errors: dict, status_code=400):
    t = translator_for(request)
    rows = service.member_rows(session, local_today())
    members = [(row.member.id, f"{row.guardian.full_name} · {t.gettext(ROLE_LABELS[row.member.role])}") for row in rows]
    context = {"meeting": meeting, "form": form, "errors": errors, "members": members}
    return render(request, "committee/meeting_form.html", context, status_code=status_code)


@router.get("/committee/meetings/new")
def new_meeting(request: Request, session: DbSession, me: Director):
    return _meeting_page(request, session, None, {"held_on": local_today().isoformat()}, {}, 200)


@router.post("/committee/meetings/new")
async def add_meeting(request: Request, session: DbSession, me: Director):
    def save(data):
        return f"/committee/meetings/{service.add_meeting(session, me, data, local_today()).id}"

    return await _submit(request, session, MeetingForm, save,
                         lambda form, errors: _meeting_page(request, session, None, form, errors))


# Declared after /committee/meetings/new, which it would otherwise swallow.
@router.get("/committee/meetings/{meeting_id}")
def meeting(request: Request, session: DbSession, me: SignedIn, meeting_id: int):
    service.require_reader(session, me, local_today())
    director = me.has(Role.director)
    found = service.meeting_for_view(session, meeting_id, with_void=director)
    context = {"meeting": found, "attendees": service.attendees(session, found, with_void=director), "may_edit": director,
               "role_labels": ROLE_LABELS}
    return render(request, "committee/meeting.html", context)


@router.get("/committee/meetings/{meeting_id}/edit")
def edit_meeting(request: Request, session: DbSession, me: Director, meeting_id: int):
    found = service.record_of(session, "meetings", meeting_id)
    return _meeting_page(request, session, found, {**_values(found), "attendee_ids": _values(found)["attendee_member_ids"]},
                         {}, 200)


@router.post("/committee/meetings/{meeting_id}/edit")
async def change_meeting(request: Request, session: DbSession, me: Director, meeting_id: int):
    found = service.record_of(session, "meetings", meeting_id)

    def save(data):
        service.change_meeting(session, me, found, data, local_today())
        return f"/committee/meetings/{meeting_id}"

    return await _submit(request, session, MeetingForm, save, lambda form, errors: _meeting_page(
        request, session, service.record_of(session, "meetings", meeting_id), form, errors))


@router.post("/committee/meetings/{meeting_id}/void")
async def void_meeting(request: Request, session: DbSession, me: Director, meeting_id: int):
    return await _void(request, session, me, "meetings", meeting_id, lambda row, form, errors: _meeting_page(
        request, session, row, {**form, "attendee_ids": form.get("attendee_member_ids", [])}, errors))


# ---------------------------------------------------------------- opinions and the nursery's responses


def _opinion_page(request, opinion: CommitteeOpinion | None, form: dict, errors: dict, status_code=400):
    return render(request, "committee/opinion_form.html", {"opinion": opinion, "form": form, "errors": errors},
                  status_code=status_code)


@router.get("/committee/opinions/new")
def new_opinion(request: Request, session: DbSession, me: Director):
    return _opinion_page(request, None, {"given_on": local_today().isoformat()}, {}, 200)


@router.post("/committee/opinions/new")
async def add_opinion(request: Request, session: DbSession, me: Director):
    def save(data):
        return f"/committee#opinion-{service.add_opinion(session, me, data).id}"

    return await _submit(request, session, OpinionForm, save,
                         lambda form, errors: _opinion_page(request, None, form, errors))


@router.get("/committee/opinions/{opinion_id}/edit")
def edit_opinion(request: Request, session: DbSession, me: Director, opinion_id: int):
    opinion = service.record_of(session, "opinions", opinion_id)
    return _opinion_page(request, opinion, _values(opinion), {}, 200)


@router.post("/committee/opinions/{opinion_id}/edit")
async def change_opinion(request: Request, session: DbSession, me: Director, opinion_id: int):
    opinion = service.record_of(session, "opinions", opinion_id)

    def save(data):
        service.change_opinion(session, me, opinion, data)
        return f"/committee#opinion-{opinion_id}"

    return await _submit(request, session, OpinionForm, save, lambda form, errors: _opinion_page(
        request, service.record_of(session, "opinions", opinion_id), form, errors))


def _response_page(request, opinion: CommitteeOpinion, form: dict, errors: dict, status_code=400):
    return render(request, "committee/response_form.html", {"opinion": opinion, "form": form, "errors": errors},
                  status_code=status_code)


@router.get("/committee/opinions/{opinion_id}/response")
def response_form(request: Request, session: DbSession, me: Director, opinion_id: int):
    opinion = service.record_of(session, "opinions", opinion_id)
    form = {"responded_on": (opinion.responded_on or local_today()).isoformat(), "response": opinion.response or ""}
    return _response_page(request, opinion, form, {}, 200)


@router.post("/committee/opinions/{opinion_id}/response")
async def respond(request: Request, session: DbSession, me: Director, opinion_id: int):
    opinion = service.record_of(session, "opinions", opinion_id)

    def save(data):
        service.respond(session, me, opinion, data)
        return f"/committee#opinion-{opinion_id}"

    return await _submit(request, session, ResponseForm, save, lambda form, errors: _response_page(
        request, service.record_of(session, "opinions", opinion_id), form, errors))


@router.post("/committee/opinions/{opinion_id}/void")
async def void_opinion(request: Request, session: DbSession, me: Director, opinion_id: int):
    return await _void(request, session, me, "opinions", opinion_id,
                       lambda row, form, errors: _opinion_page(request, row, form, errors))


# ---------------------------------------------------------------- parent activities and surveys


def _activity_page(request, activity: ParentActivity | None, form: dict, errors: dict, status_code=400):
    context = {"activity": activity, "form": form, "errors": errors, "kinds": choices(KIND_LABELS, translator_for(request))}
    return render(request, "committee/activity_form.html", context, status_code=status_code)


@router.get("/committee/activities/new")
def new_activity(request: Request, session: DbSession, me: Director, kind: str = "activity"):
    form = {"held_on": local_today().isoformat(), "kind": kind if kind in KIND_LABELS else "activity"}
    return _activity_page(request, None, form, {}, 200)


@router.post("/committee/activities/new")
async def add_activity(request: Request, session: DbSession, me: Director):
    def save(data):
        service.add_activity(session, me, data)
        return "/committee#activities"

    return await _submit(request, session, ActivityForm, save,
                         lambda form, errors: _activity_page(request, None, form, errors))


@router.get("/committee/activities/{activity_id}/edit")
def edit_activity(request: Request, session: DbSession, me: Director, activity_id: int):
    activity = service.record_of(session, "activities", activity_id)
    return _activity_page(request, activity, _values(activity), {}, 200)


@router.post("/committee/activities/{activity_id}/edit")
async def change_activity(request: Request, session: DbSession, me: Director, activity_id: int):
    activity = service.record_of(session, "activities", activity_id)

    def save(data):
        service.change_activity(session, me, activity, data)
        return "/committee#activities"

    return await _submit(request, session, ActivityForm, save, lambda form, errors: _activity_page(
        request, service.record_of(session, "activities", activity_id), form, errors))


@router.post("/committee/activities/{activity_id}/void")
async def void_activity(request: Request, session: DbSession, me: Director, activity_id: int):
    return await _void(request, session, me, "activities", activity_id,
                       lambda row, form, errors: _activity_page(request, row, form, errors))
