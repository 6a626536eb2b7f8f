"""create_app(): routers, error pages, security headers, static files."""

import gc
import logging
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from nursery_ops import pagecache
from nursery_ops.auth.csrf import body_limit_bytes, verify_csrf
from nursery_ops.db import build_engine
from nursery_ops.errors import (
    CsrfFailed,
    Forbidden,
    LoginRequired,
    NotFound,
    TabletLocked,
    TwoStepSetupDue,
)
from nursery_ops.forms import address_in_range
from nursery_ops.i18n import N_
from nursery_ops.settings import PROJECT_ROOT, Settings, get_settings
from nursery_ops.templating import is_htmx, render

log = logging.getLogger(__name__)

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'"
)
TWO_STEP_SETUP = "/account/two-step"


def _error_page(request: Request, status_code: int, title: str, message: str, *, shown_by_htmx: bool = False) -> Response:
    """The error page; `shown_by_htmx`: an htmx request gets its content for the page's main area
    (base.html's htmx config swaps that status in), not a whole page inside a child's tile."""
    headers = {"HX-Retarget": "#main", "HX-Reswap": "innerHTML"} if shown_by_htmx and is_htmx(request) else None
    return render(
        request,
        "error.html",
        {"status_code": status_code, "title": title, "message": message},
        status_code=status_code,
        block="content" if shown_by_htmx else None,
        headers=headers,
    )


def install_error_pages(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _exc: LoginRequired):
        target = "/login?next=" + quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        if is_htmx(request):
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(TwoStepSetupDue)
    async def two_step_setup_due(request: Request, _exc: TwoStepSetupDue):
        if is_htmx(request):
            return Response(status_code=204, headers={"HX-Redirect": TWO_STEP_SETUP})
        return RedirectResponse(TWO_STEP_SETUP, status_code=303)

    @app.exception_handler(TabletLocked)
    async def tablet_locked(request: Request, exc: TabletLocked):
        target = f"/rooms/{exc.room_id}/unlock"
        if is_htmx(request):
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, _exc: Forbidden):
        return _error_page(request, 403, N_("Not allowed"), N_("Your account may not open this page."))

    @app.exception_handler(CsrfFailed)
    async def csrf_failed(request: Request, _exc: CsrfFailed):
        return _error_page(
            request, 403,
            N_("Form expired"),
            N_("This form was open too long or came from elsewhere. Go back, reload the page and try again."),
        )

    @app.exception_handler(NotFound)
    async def not_found(request: Request, _exc: NotFound):
        return _error_page(request, 404, N_("Not found"), N_("There is nothing here, or it is not yours to see."))

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, _exc: RequestValidationError):
        # Path and query parameters of the wrong shape (e.g. /children/abc) name nothing that exists.
        return _error_page(request, 404, N_("Not found"), N_("There is nothing here, or it is not yours to see."))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 404:
            return _error_page(request, 404, N_("Not found"), N_("There is nothing here, or it is not yours to see."))
        if exc.status_code == 405:
            return _error_page(request, 405, N_("Not allowed"), N_("This address does not accept that kind of request."))
        if exc.status_code == 413:
            # A tablet photo far over the cap, refused before it is read: say so where the caregiver looks.
            return _error_page(request, 413, N_("Too large"), N_("The file is larger than allowed."), shown_by_htmx=True)
        return _error_page(request, exc.status_code, N_("Error"), N_("The request could not be completed."))

    @app.exception_handler(ClientDisconnect)
    async def client_gone(request: Request, exc: ClientDisconnect):
        # The browser went away while its form was being read (a closed tab, a dropped connection): nobody
        # reads this answer, and nothing was saved.
        log.info("client went away during %s %s", request.method, request.url.path)
        return Response(status_code=400)

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        page = _error_page(request, 500, N_("Something went wrong"),
            N_("Nothing was saved. Please try again; if it happens again, tell the director."),)
        # Starlette sends this page from outside every middleware: the headers are added here.
        add_security_headers(request.url.path, page.headers)
        return page


def add_security_headers(path: str, headers: MutableHeaders) -> None:
    """The headers every response carries (a route may set a stricter or more specific one first)."""
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    if get_settings().cookie_secure:
        # Served over HTTPS (the same setting makes cookies Secure): browsers never fall back to HTTP.
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if not path.startswith("/static/"):
        # Pages carry children's data: never kept by the browser or a proxy.
        headers.setdefault("Cache-Control", "no-store")


class SecurityHeaders:
    """`add_security_headers` on every response, as plain ASGI: the body passes through untouched
    (an `@app.middleware("http")` would stream every page through a task of its own)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                add_security_headers(scope["path"], MutableHeaders(scope=message))
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """Refuse (413) a request body that grows past the upload limit while it is read.

    verify_csrf refuses a declared Content-Length that is too large before reading; a chunked
    body declares none, and the form parser would spool all of it to disk. The refusal is raised
    from `receive`, i.e. inside the route reading the form, where the 413 page is rendered.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, seen = body_limit_bytes(), 0

        async def limited_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise StarletteHTTPException(status_code=413)
            return message

        await self.app(scope, limited_receive, send)


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    from nursery_ops.attendance.routes import router as attendance_router
    from nursery_ops.auditlog.routes import router as auditlog_router
    from nursery_ops.auth.invitation_routes import router as invitation_router
    from nursery_ops.auth.routes import router as auth_router
    from nursery_ops.auth.two_step_routes import router as two_step_router
    from nursery_ops.children.routes import router as children_router
    from nursery_ops.committee.routes import router as committee_router
    from nursery_ops.dailylog.routes import router as dailylog_router
    from nursery_ops.dashboard.routes import router as dashboard_router
    from nursery_ops.disclosure.routes import router as disclosure_router
    from nursery_ops.enrolment.routes import router as enrolment_router
    from nursery_ops.family.export_routes import router as family_export_router
    from nursery_ops.family.routes import router as family_router
    from nursery_ops.growth.routes import router as growth_router
    from nursery_ops.health.routes import router as health_router
    from nursery_ops.illness.routes import router as illness_router
    from nursery_ops.contracts.routes import router as contracts_router
    from nursery_ops.billing.routes import router as billing_router
    from nursery_ops.refunds.routes import router as refunds_router
    from nursery_ops.reports.routes import router as reports_router
    from nursery_ops.incidents.routes import router as incidents_router
    from nursery_ops.medication.routes import router as medication_router
    from nursery_ops.photos.routes import router as photos_router
    from nursery_ops.policy.routes import router as policy_router
    from nursery_ops.rooms.routes import router as rooms_router
    from nursery_ops.rooms.tablet_routes import router as tablet_router
    from nursery_ops.staff.certificates import router as certificates_router
    from nursery_ops.staff.pins import router as pins_router
    from nursery_ops.staff.roster import router as roster_router
    from nursery_ops.staff.routes import router as staff_router

    settings = settings or get_settings()
    app = FastAPI(
        title="nursery_ops",
        docs_url="/docs" if settings.debug else None,
        redoc_url=None,
        openapi_url="/openapi.json" if settings.debug else None,
        dependencies=[Depends(verify_csrf), Depends(address_in_range)],
    )
    app.state.settings = settings
    app.state.engine = engine or build_engine(settings.database_url)
    pagecache.install(app.state.engine)  # an engine made elsewhere (a test's) stamps its writes too
    app.state.page_cache = pagecache.PageCache(settings.page_cache_mb * 1024 * 1024) if settings.page_cache_mb else None
    install_error_pages(app)
    # Inside the headers middleware, so the 413 page BodyLimit leads to carries the headers too.
    app.add_middleware(BodyLimit)
    app.add_middleware(pagecache.NewKeyAfterChanges)
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=PROJECT_ROOT / "static"), name="static")
    for router in (
        auth_router,
        two_step_router,
        invitation_router,
        dashboard_router,
        rooms_router,
        children_router,
        roster_router,  # before staff_router: /staff/roster is not /staff/{person_id}
        staff_router,
        health_router,
        family_router,
        family_export_router,
        enrolment_router,
        photos_router,
        policy_router,
        attendance_router,
        dailylog_router,
        tablet_router,
        certificates_router,
        pins_router,
        growth_router,
        medication_router,
        incidents_router,
        illness_router,
        contracts_router,
        billing_router,
        refunds_router,
        committee_router,
        disclosure_router,
        auditlog_router,
        reports_router,
    ):
        app.include_router(router)
    return app


def served_app() -> FastAPI:
    """The app as `serve` runs it in each worker: create_app, then what start-up loaded left out of the
    cyclic garbage collector's passes (gc.freeze). Modules, routes, tables and templates live as long
    as the worker; without this, every full collection walks them again, about a fifth of a
    dashboard's build (issue 10)."""
    app = create_app()
    gc.collect()
    gc.freeze()
    return app
