"""The guardian's side of a parent invitation: enter the code, choose a sign-in (`/invite`, no sign-in needed)."""

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import AfterValidator, Field

from nursery_ops.auth import invitations
from nursery_ops.auth.access import DbSession, Public
from nursery_ops.auth.routes import sign_in_response
from nursery_ops.db import open_session
from nursery_ops.forms import FormModel, Refused, form_values, parse_form, strong_enough
from nursery_ops.i18n import N_
from nursery_ops.settings import get_settings
from nursery_ops.staff.routes import username_rule
from nursery_ops.templating import locale_for, render

router = APIRouter()


class CodeForm(FormModel):
    code: str = Field(max_length=40)


class AcceptForm(FormModel):
    username: Annotated[str, AfterValidator(username_rule)]
    password: Annotated[str, Field(max_length=256), AfterValidator(strong_enough)]
    confirm_password: str = Field(max_length=256)


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _code_page(request: Request, code: str, error, status_code: int):
    return render(request, "auth/invite.html", {"form": {"code": code}, "errors": {"code": error}}, status_code=status_code)


def _checked(request: Request, session, code: str, *, record_failure):
    """(invitation, guardian, None) or (None, None, the page to show instead)."""
    settings = get_settings()
    if invitations.is_throttled(session, _address(request), settings):
        return None, None, _code_page(request, code, invitations.throttled_message(settings), 429)
    invitation, guardian, message = invitations.check_code(session, code)
    if message is None:
        return invitation, guardian, None
    if invitation is None:
        record_failure()
    return None, None, _code_page(request, code, message, 400)


@router.get("/invite")
def invite_page(request: Request, _: Public):
    return render(request, "auth/invite.html")


@router.post("/invite")
async def invite_code(request: Request, session: DbSession, _: Public):
    data, errors = parse_form(CodeForm, await request.form())
    if errors:
        return render(request, "auth/invite.html", {"errors": errors}, status_code=400)
    code = invitations.normalise_code(data.code)

    def record_failure():
        invitations.count_failure(session, _address(request))
        session.commit()

    _invitation, _guardian, refusal = _checked(request, session, code, record_failure=record_failure)
    return refusal or RedirectResponse(f"/invite/{code}", status_code=303)


@router.get("/invite/{code}")
def invite_accept_page(request: Request, code: str, session: DbSession, _: Public):
    code = invitations.normalise_code(code)

    def record_failure():
        # A page view reads in a read transaction: the failure is written in a short one of its own.
        with open_session(request.app.state.engine, write=True) as writer:
            invitations.count_failure(writer, _address(request))
            writer.commit()

    _invitation, guardian, refusal = _checked(request, session, code, record_failure=record_failure)
    return refusal or render(request, "auth/invite_accept.html", {"guardian": guardian, "code": code})


@router.post("/invite/{code}")
async def invite_accept(request: Request, code: str, session: DbSession, _: Public):
    code = invitations.normalise_code(code)

    def record_failure():
        invitations.count_failure(session, _address(request))
        session.commit()

    invitation, guardian, refusal = _checked(request, session, code, record_failure=record_failure)
    if refusal:
        return refusal
    form = await request.form()
    data, errors = parse_form(AcceptForm, form)
    if data is not None and data.password != data.confirm_password:
        errors["confirm_password"] = N_("The two passwords differ.")
    if not errors:
        try:
            person = invitations.accept(
                session, invitation, guardian, username=data.username, password=data.password, locale=locale_for(request)
            )
            return sign_in_response(request, session, person, _address(request), "/family")
        except Refused as refused:
            errors = refused.errors
    context = {"guardian": guardian, "code": code, "form": {"username": form_values(AcceptForm, form)["username"]},
               "errors": errors}
    return render(request, "auth/invite_accept.html", context, status_code=400)
