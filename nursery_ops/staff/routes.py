"""The staff register (director only): posts, sign-ins, barring; and parent sign-ins for guardians."""

import re
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import AfterValidator, Field

from nursery_ops.auth import invitations
from nursery_ops.auth.access import DbSession, Director
from nursery_ops.auth.models import STAFF_ROLES, Role
from nursery_ops.clock import local_today, utcnow
from nursery_ops.errors import NotFound
from nursery_ops.forms import (
    FieldError,
    FormModel,
    ReasonForm,
    Refused,
    form_values,
    parse_form,
    phone_number,
    strong_enough,
)
from nursery_ops.i18n import N_
from nursery_ops.labels import ROLE_LABELS
from nursery_ops.policy import load_policy
from nursery_ops.staff import service, training
from nursery_ops.staff.certificates import certificates_section
from nursery_ops.staff.models import Employment, Job, StaffTraining
from nursery_ops.staff.rules import EMPLOYMENT_LABELS, JOB_LABELS
from nursery_ops.staff.service import STAFF_ROLE_ORDER
from nursery_ops.staff.training import TrainingForm, training_section
from nursery_ops.templating import render

router = APIRouter()

USERNAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{2,63}")


def username_rule(value: str) -> str:
    # Sign-in lower-cases what is typed, so usernames are stored lower-case.
    value = value.lower()
    if not USERNAME_PATTERN.fullmatch(value):
        raise FieldError(N_("Use 3 to 64 letters, digits, dots, dashes or underscores."))
    return value


def staff_roles_rule(roles: list[Role]) -> list[Role]:
    # Whether a role is needed depends on the sign-in (service.create_staff / update_staff).
    if any(role not in STAFF_ROLES for role in roles):
        raise FieldError(N_("Choose one of the options."))
    return roles


class StaffForm(FormModel):
    full_name: str = Field(min_length=1, max_length=100)
    phone: Annotated[str, AfterValidator(phone_number)] | None = None
    roles: Annotated[list[Role], AfterValidator(staff_roles_rule)] = []
    # Not given: the post follows the first staff role (service.create_staff).
    job: Job | None = None
    employment: Employment = Employment.full_time


class NewStaffForm(StaffForm):
    # Both left empty: registered without a sign-in (a post that does not use the app).
    username: Annotated[str, AfterValidator(username_rule)] | None = None
    password: Annotated[str, Field(max_length=256), AfterValidator(strong_enough)] | None = None


class BarForm(FormModel):
    bar_reason: str = Field(min_length=1, max_length=500)
    confirm: bool = False


class PasswordResetForm(FormModel):
    new_password: Annotated[str, Field(max_length=256), AfterValidator(strong_enough)]


class ParentAccountForm(FormModel):
    username: Annotated[str, AfterValidator(username_rule)]
    password: Annotated[str, Field(max_length=256), AfterValidator(strong_enough)]


def _echo(model: type[FormModel], form, *secret: str) -> dict:
    """The typed values to show again (never a password)."""
    return {key: value for key, value in form_values(model, form).items() if key not in secret}


def _role_options() -> list[tuple[str, str]]:
    return [(role.value, ROLE_LABELS[role]) for role in STAFF_ROLE_ORDER]


def _post_options() -> dict:
    return {
        "role_options": _role_options(),
        "job_options": [(job.value, text) for job, text in JOB_LABELS.items()],
        "employment_options": [(value.value, text) for value, text in EMPLOYMENT_LABELS.items()],
        "job_labels": JOB_LABELS,
        "employment_labels": EMPLOYMENT_LABELS,
    }


@router.get("/staff")
def staff_list(request: Request, session: DbSession, me: Director, job: str | None = None):
    chosen = Job(job) if job in {value.value for value in Job} else None
    context = {"accounts": service.staff_accounts(session, chosen), "job": chosen, **_post_options()}
    return render(request, "staff/list.html", context)


@router.get("/staff/new")
def staff_new_page(request: Request, me: Director):
    return render(request, "staff/new.html", {**_post_options(), "form": {"employment": Employment.full_time.value}})


@router.post("/staff/new")
async def staff_create(request: Request, session: DbSession, me: Director):
    form = await request.form()
    data, errors = parse_form(NewStaffForm, form)
    if data is not None:
        try:
            person = service.create_staff(
                session, me, full_name=data.full_name, username=data.username, phone=data.phone,
                roles=set(data.roles), password=data.password, job=data.job, employment=data.employment,
            )
            return RedirectResponse(f"/staff/{person.id}?saved=created", status_code=303)
        except Refused as refused:
            errors = refused.errors
    context = {**_post_options(), "form": _echo(NewStaffForm, form, "password"), "errors": errors}
    return render(request, "staff/new.html", context, status_code=400)


def _render_account(request: Request, session, found, *, form: dict | None = None, errors=None, status_code=200, extra=None):
    """The account's page: a staff member's edit page, or the guardian page for a parent sign-in."""
    if not found.is_staff and found.person.guardian_id is not None:
        context = _guardian_context(session, found.person.guardian_id)
        return render(request, "staff/guardian_account.html", {**context, "errors": errors or {}}, status_code=status_code)
    values = {**(form or {
        "full_name": found.person.full_name,
        "phone": found.person.phone or "",
        "roles": [role.value for role in found.roles if role in STAFF_ROLES],
        "job": found.job.value,
        "employment": found.employment.value,
    }), **(extra or {})}
    policy = load_policy(session)
    context = {
        "account": found,
        **_post_options(),
        **training_section(session, found.person.id, policy),
        "saved": request.query_params.get("saved"),
        "form": values,
        "errors": errors or {},
        **certificates_section(session, found.person.id, local_today(), policy),
    }
    return render(request, "staff/detail.html", context, status_code=status_code)


@router.get("/staff/{person_id}")
def staff_detail(request: Request, person_id: int, session: DbSession, me: Director):
    return _render_account(request, session, service.staff_account(session, person_id))


@router.post("/staff/{person_id}")
async def staff_update(request: Request, person_id: int, session: DbSession, me: Director):
    found = service.staff_account(session, person_id)
    form = await request.form()
    data, errors = parse_form(StaffForm, form)
    if data is not None:
        try:
            service.update_staff(session, me, found, full_name=data.full_name, phone=data.phone, roles=set(data.roles),
                                 job=data.job, employment=data.employment)
            return RedirectResponse(f"/staff/{person_id}?saved=updated", status_code=303)
        except Refused as refused:
            errors = refused.errors
    return _render_account(request, session, found, form=_echo(StaffForm, form), errors=errors, status_code=400)


async def _change_active(request: Request, person_id: int, session, me, *, active: bool):
    found = service.account(session, person_id)
    data, errors = parse_form(ReasonForm, await request.form())
    if data is not None:
        try:
            service.set_active(session, me, found, active=active, reason=data.reason)
            return RedirectResponse(service.account_url(found) + "?saved=" + ("reactivated" if active else "deactivated"), status_code=303)
        except Refused as refused:
            errors = refused.errors
    return _render_account(request, session, found, errors=errors, status_code=400)


@router.post("/staff/{person_id}/deactivate")
async def account_deactivate(request: Request, person_id: int, session: DbSession, me: Director):
    return await _change_active(request, person_id, session, me, active=False)


@router.post("/staff/{person_id}/reactivate")
async def account_reactivate(request: Request, person_id: int, session: DbSession, me: Director):
    return await _change_active(request, person_id, session, me, active=True)


@router.post("/staff/{person_id}/bar")
async def staff_bar(request: Request, person_id: int, session: DbSession, me: Director):
    """禁止从业 — barred for harming a child: deactivated for good (the confirm box must be ticked)."""
    found = service.staff_account(session, person_id)
    data, errors = parse_form(BarForm, await request.form())
    if data is not None and not data.confirm:
        errors = {"confirm": N_("Tick the box to confirm: a bar can never be lifted.")}
    if not errors:
        try:
            service.bar(session, me, found, reason=data.bar_reason)
            return RedirectResponse(f"/staff/{person_id}?saved=barred", status_code=303)
        except Refused as refused:
            errors = refused.errors
    return _render_account(request, session, found, errors=errors, status_code=400)


@router.post("/staff/{person_id}/training")
async def training_record(request: Request, person_id: int, session: DbSession, me: Director):
    found = service.staff_account(session, person_id)
    form = await request.form()
    data, errors = parse_form(TrainingForm, form)
    if data is None:
        return _render_account(request, session, found, errors=errors, status_code=400, extra=_echo(TrainingForm, form))
    training.add_training(session, me, person_id, data)
    return RedirectResponse(f"/staff/{person_id}?saved=training#training", status_code=303)


@router.post("/staff/{person_id}/training/{training_id}/void")
async def training_void(request: Request, person_id: int, training_id: int, session: DbSession, me: Director):
    found = service.staff_account(session, person_id)
    row = session.get(StaffTraining, training_id)
    if row is None or row.person_id != person_id:
        raise NotFound()
    data, errors = parse_form(ReasonForm, await request.form())
    if data is None:
        return _render_account(request, session, found, errors={"training_void_id": training_id, "training_void_reason": errors.get("reason")}, status_code=400)
    training.void_training(session, me, row, data.reason)
    return RedirectResponse(f"/staff/{person_id}#training", status_code=303)


@router.post("/staff/{person_id}/password")
async def account_password_reset(request: Request, person_id: int, session: DbSession, me: Director):
    found = service.account(session, person_id)
    data, errors = parse_form(PasswordResetForm, await request.form())
    if not errors:
        try:
            service.reset_password(session, me, found, data.new_password)
            return RedirectResponse(service.account_url(found) + "?saved=password", status_code=303)
        except Refused as refused:
            errors = refused.errors
    return _render_account(request, session, found, errors=errors, status_code=400)


def _guardian_context(session, guardian_id: int) -> dict:
    """The guardian's sign-ins and invitations (with their state now), for staff/guardian_account.html."""
    page = service.guardian_accounts(session, guardian_id)
    now = utcnow()
    rows = [(invitation, invitations.state_of(invitation, now)) for invitation in invitations.invitations_of(session, guardian_id)]
    return {"page": page, "invitations": rows, "state_labels": invitations.STATE_LABELS}


@router.get("/guardians/{guardian_id}/account")
def guardian_account_page(request: Request, guardian_id: int, session: DbSession, me: Director):
    context = _guardian_context(session, guardian_id)
    return render(request, "staff/guardian_account.html", {**context, "saved": request.query_params.get("saved")})


@router.post("/guardians/{guardian_id}/invitation")
def guardian_invite(request: Request, guardian_id: int, session: DbSession, me: Director):
    """A new one-time code, shown on this response only (the database keeps its hash)."""
    page = service.guardian_accounts(session, guardian_id)
    try:
        invitation, code = invitations.invite(session, me, page.guardian)
    except Refused as refused:
        context = _guardian_context(session, guardian_id)
        return render(request, "staff/guardian_account.html", {**context, "errors": refused.errors}, status_code=400)
    new_code = {"code": invitations.display_code(code), "link": f"{request.base_url}invite/{code}", "invitation": invitation}
    return render(request, "staff/guardian_account.html", {**_guardian_context(session, guardian_id), "new_code": new_code})


@router.post("/guardians/{guardian_id}/invitations/{invitation_id}/revoke")
def guardian_invitation_revoke(request: Request, guardian_id: int, invitation_id: int, session: DbSession, me: Director):
    invitations.revoke(session, me, guardian_id, invitation_id)
    return RedirectResponse(f"/guardians/{guardian_id}/account?saved=revoked", status_code=303)


@router.post("/guardians/{guardian_id}/account")
async def guardian_account_create(request: Request, guardian_id: int, session: DbSession, me: Director):
    page = service.guardian_accounts(session, guardian_id)
    if page.accounts:
        # One sign-in per guardian: show the existing one instead of making a second.
        return RedirectResponse(f"/guardians/{guardian_id}/account", status_code=303)
    form = await request.form()
    data, errors = parse_form(ParentAccountForm, form)
    if data is not None:
        try:
            service.create_parent_account(session, me, page.guardian, username=data.username, password=data.password)
            return RedirectResponse(f"/guardians/{guardian_id}/account?saved=created", status_code=303)
        except Refused as refused:
            errors = refused.errors
    context = {**_guardian_context(session, guardian_id), "form": _echo(ParentAccountForm, form, "password"), "errors": errors}
    return render(request, "staff/guardian_account.html", context, status_code=400)
