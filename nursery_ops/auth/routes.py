"""Sign in and out, home redirect, language, password, liveness."""

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse
from pydantic import AfterValidator, Field
from sqlalchemy import text

from nursery_ops import audit
from nursery_ops.auth import csrf, two_step
from nursery_ops.auth.access import SESSION_COOKIE, DbSession, Public, SignedIn, SigningOut
from nursery_ops.auth.models import Role
from nursery_ops.auth.service import (
    Throttled,
    authenticate,
    change_password,
    clear_failures,
    end_session,
    password_hasher,
    roles_of,
    start_session,
    token_digest,
)
from nursery_ops.forms import FormModel, parse_form, strong_enough
from nursery_ops.i18n import N_, SUPPORTED
from nursery_ops.policy import Decision, Mode
from nursery_ops.settings import get_settings
from nursery_ops.templating import LOCALE_COOKIE, render

router = APIRouter()


class LoginForm(FormModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=256)
    next: str | None = None


def home_for(roles: frozenset[Role]) -> str:
    """Where each person starts: the director's dashboard, the room tablet, the health page, the family page."""
    if Role.director in roles:
        return "/director"
    if Role.caregiver in roles:
        return "/rooms"
    if Role.health in roles:
        return "/health"
    return "/family"


def safe_next(target: str | None) -> str | None:
    # Only paths on this site: never an open redirect.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@router.get("/login")
def login_page(request: Request, me: Public, next: str | None = None):
    if me is not None:
        return RedirectResponse(safe_next(next) or home_for(me.roles), status_code=303)
    return render(request, "auth/login.html", {"form": {"next": next or ""}})


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def throttled_message() -> Decision:
    return Decision(Mode.block, N_("Too many failed sign-ins. Wait {minutes} minutes and try again."),
                    {"minutes": get_settings().login_lockout_minutes})


@router.post("/login")
async def login(request: Request, session: DbSession, _: Public):
    form = await request.form()
    data, errors = parse_form(LoginForm, form)
    values = {"username": form.get("username", ""), "next": form.get("next", "")}
    if errors:
        return render(request, "auth/login.html", {"form": values, "errors": errors}, status_code=400)
    address = client_address(request)
    try:
        person = authenticate(session, data.username, data.password, address, get_settings())
    except Throttled:
        return render(request, "auth/login.html", {"form": values, "errors": {"__all__": throttled_message()}}, status_code=429)
    if person is None:
        session.commit()  # keep the failure count
        return render(
            request,
            "auth/login.html",
            {"form": values, "errors": {"__all__": N_("The username or password is not right.")}},
            status_code=400,
        )
    if two_step.live_credential(session, person.id) is not None:
        return second_step_response(session, person, safe_next(data.next))
    return sign_in_response(request, session, person, address, safe_next(data.next))


def set_private_cookie(response, name: str, value: str, *, max_age: int, path: str = "/") -> None:
    """A cookie scripts cannot read, sent to this site only (and only over HTTPS when the site is)."""
    response.set_cookie(name, value, httponly=True, samesite="lax", secure=get_settings().cookie_secure,
                        max_age=max_age, path=path)


def second_step_response(session, person, target: str | None) -> RedirectResponse:
    """The password was right and the person has a second factor: on to the code (auth.two_step)."""
    token = two_step.start_challenge(session, person, target)
    session.commit()
    response = RedirectResponse("/login/code", status_code=303)
    set_private_cookie(response, two_step.CHALLENGE_COOKIE, token, max_age=two_step.CHALLENGE_MINUTES * 60, path="/login")
    return response


def sign_in_response(request: Request, session, person, address: str, target: str | None = None) -> RedirectResponse:
    """Sign the person in: a fresh session id and CSRF value (the old ones end), audited and committed."""
    old_token = request.cookies.get(SESSION_COOKIE)
    if old_token:
        end_session(session, token_digest(old_token))
    token = start_session(session, person, request.headers.get("user-agent"), address)
    clear_failures(session, person.username)
    audit.record(session, person.id, "signed_in", person)
    session.commit()
    response = RedirectResponse(target or home_for(roles_of(session, person.id)), status_code=303)
    set_private_cookie(response, SESSION_COOKIE, token, max_age=get_settings().session_absolute_hours * 3600)
    csrf.rotate(request)
    csrf.set_cookie_if_new(request, response)
    return response


@router.post("/logout")
def logout(request: Request, session: DbSession, me: SigningOut):
    end_session(session, me.session_token_hash)
    session.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", secure=get_settings().cookie_secure, httponly=True, samesite="lax")
    csrf.rotate(request)
    csrf.set_cookie_if_new(request, response)
    return response


@router.get("/")
def home(me: SignedIn):
    return RedirectResponse(home_for(me.roles), status_code=303)


@router.post("/language")
async def choose_language(request: Request, session: DbSession, me: Public):
    form = await request.form()
    locale = form.get("locale")
    if locale not in SUPPORTED:
        locale = get_settings().default_locale
    if me is not None:
        me.person.locale = locale
        session.add(me.person)
        session.commit()
    target = safe_next(form.get("next")) or "/"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(LOCALE_COOKIE, locale, max_age=365 * 24 * 3600, samesite="lax", path="/")
    return response


class PasswordForm(FormModel):
    current_password: str
    new_password: Annotated[str, AfterValidator(strong_enough)]
    confirm_password: str


@router.get("/account/password")
def password_page(request: Request, me: SignedIn):
    return render(request, "auth/password.html")


@router.post("/account/password")
async def password_change(request: Request, session: DbSession, me: SignedIn):
    data, errors = parse_form(PasswordForm, await request.form())
    if data is not None:
        if not password_hasher.verify(data.current_password, me.person.password_hash):
            errors["current_password"] = N_("This is not your current password.")
        elif data.new_password != data.confirm_password:
            errors["confirm_password"] = N_("The two new passwords differ.")
    if errors:
        return render(request, "auth/password.html", {"errors": errors}, status_code=400)
    change_password(session, me, me.person, data.new_password)
    session.commit()
    return render(request, "auth/password.html", {"saved": True})


@router.get("/healthz")
def healthz(request: Request, _: Public):
    try:
        with request.app.state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:  # any database failure means "not ready"; the body says so
        return JSONResponse({"status": "unavailable"}, status_code=503)
    return JSONResponse({"status": "ok"})


@router.get("/ping")
def ping(_: Public):
    """The benchmark's baseline (bench/run.py): the app's middleware, routing and dependencies, no database, no template."""
    return PlainTextResponse("ok")
