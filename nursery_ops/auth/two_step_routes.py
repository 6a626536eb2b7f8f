"""Two-step sign-in pages: the code after the password, the staff member's own set-up, the director's reset."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import Field

from nursery_ops.auth import two_step
from nursery_ops.auth.access import DbSession, Director, Public, StaffSettingUpTwoStep
from nursery_ops.auth.routes import client_address, sign_in_response, throttled_message
from nursery_ops.auth.service import count_failure, is_throttled
from nursery_ops.errors import NotFound
from nursery_ops.forms import FormModel, ReasonForm, Refused, parse_form
from nursery_ops.i18n import N_
from nursery_ops.settings import get_settings
from nursery_ops.staff import service as staff
from nursery_ops.templating import render

router = APIRouter()

EXPIRED = N_("Your sign-in took too long or was interrupted. Enter your password again.")


class CodeForm(FormModel):
    code: str = Field(max_length=20)


def _forget_challenge(response):
    response.delete_cookie(two_step.CHALLENGE_COOKIE, path="/login")
    return response


def _start_again(request: Request):
    page = render(request, "auth/login.html", {"errors": {"__all__": EXPIRED}}, status_code=400)
    return _forget_challenge(page)


@router.get("/login/code")
def code_page(request: Request, session: DbSession, _: Public):
    if two_step.open_challenge(session, request.cookies.get(two_step.CHALLENGE_COOKIE)) is None:
        return _forget_challenge(RedirectResponse("/login", status_code=303))
    return render(request, "auth/login_code.html")


@router.post("/login/code")
async def code_answer(request: Request, session: DbSession, _: Public):
    found = two_step.open_challenge(session, request.cookies.get(two_step.CHALLENGE_COOKIE))
    if found is None:
        return _start_again(request)
    challenge, person = found
    address = client_address(request)
    if is_throttled(session, person.username, address, get_settings()):
        return render(request, "auth/login_code.html", {"errors": {"__all__": throttled_message()}}, status_code=429)
    data, errors = parse_form(CodeForm, await request.form())
    if not errors:
        try:
            two_step.answer_challenge(session, challenge, data.code)
            return _forget_challenge(sign_in_response(request, session, person, address, challenge.next_path))
        except Refused as refused:
            if "__all__" in refused.errors:
                session.rollback()
                return _start_again(request)
            errors = refused.errors
            count_failure(session, person.username, address)
            session.commit()  # keep the failure count (and a code spent meanwhile stays spent)
    return render(request, "auth/login_code.html", {"errors": errors}, status_code=400)


# ---------------------------------------------------------------- the staff member's own account


def _account_page(request: Request, session, me, *, errors=None, status_code: int = 200, saved: str | None = None):
    live = two_step.live_credential(session, me.id)
    pending = None if live else two_step.pending_credential(session, me.id)
    context = {
        "live": live,
        "setup": two_step.setup_details(pending, me.person) if pending else None,
        "required": me.two_step_required,
        "saved": saved or request.query_params.get("saved"),
        "errors": errors or {},
    }
    return render(request, "auth/two_step.html", context, status_code=status_code)


@router.get("/account/two-step")
def account_two_step(request: Request, session: DbSession, me: StaffSettingUpTwoStep):
    return _account_page(request, session, me)


@router.post("/account/two-step/start")
def account_two_step_start(request: Request, session: DbSession, me: StaffSettingUpTwoStep):
    try:
        two_step.start_setup(session, me)
    except Refused as refused:
        return _account_page(request, session, me, errors=refused.errors, status_code=400)
    return RedirectResponse("/account/two-step", status_code=303)


@router.post("/account/two-step/confirm")
async def account_two_step_confirm(request: Request, session: DbSession, me: StaffSettingUpTwoStep):
    return await _with_code(request, session, me, two_step.confirm_setup, saved="on")


@router.post("/account/two-step/off")
async def account_two_step_off(request: Request, session: DbSession, me: StaffSettingUpTwoStep):
    return await _with_code(request, session, me, two_step.turn_off, saved="off")


async def _with_code(request: Request, session, me, change, *, saved: str):
    """Turning the two-step sign-in on or off, each proven with a code from the phone."""
    data, errors = parse_form(CodeForm, await request.form())
    if not errors:
        try:
            change(session, me, data.code)
            return RedirectResponse(f"/account/two-step?saved={saved}", status_code=303)
        except Refused as refused:
            session.rollback()
            errors = refused.errors
    return _account_page(request, session, me, errors=errors, status_code=400)


# ---------------------------------------------------------------- the director's reset


def _staff_with_sign_in(session, person_id: int):
    found = staff.staff_account(session, person_id)
    if not found.signs_in:
        raise NotFound()
    return found


def _staff_page(request: Request, session, found, *, errors=None, status_code: int = 200):
    context = {
        "account": found,
        "live": two_step.live_credential(session, found.person.id),
        "pending": two_step.pending_credential(session, found.person.id),
        "saved": request.query_params.get("saved"),
        "errors": errors or {},
    }
    return render(request, "staff/two_step.html", context, status_code=status_code)


@router.get("/staff/{person_id}/two-step")
def staff_two_step(request: Request, person_id: int, session: DbSession, me: Director):
    return _staff_page(request, session, _staff_with_sign_in(session, person_id))


@router.post("/staff/{person_id}/two-step/reset")
async def staff_two_step_reset(request: Request, person_id: int, session: DbSession, me: Director):
    found = _staff_with_sign_in(session, person_id)
    data, errors = parse_form(ReasonForm, await request.form())
    if errors:
        return _staff_page(request, session, found, errors=errors, status_code=400)
    two_step.reset(session, me, found.person, data.reason)
    return RedirectResponse(f"/staff/{person_id}/two-step?saved=reset", status_code=303)
