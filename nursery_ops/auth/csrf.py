"""CSRF protection: a signed double-submit token on every state-changing request.

The browser holds a random value in an HttpOnly cookie; pages carry
HMAC(secret, value) in forms (`csrf_token`) and in htmx's `X-CSRF-Token` header.
A cross-site page can neither read the cookie nor compute the token.
"""

import hashlib
import hmac
import secrets

from fastapi import HTTPException, Request

from nursery_ops.errors import CsrfFailed
from nursery_ops.settings import get_settings

COOKIE = "nursery_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _sign(value: str) -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, b"csrf:" + value.encode(), hashlib.sha256).hexdigest()


def cookie_value(request: Request) -> str:
    """This browser's CSRF cookie value, creating one to set on the response if missing."""
    value = getattr(request.state, "csrf_cookie", None) or request.cookies.get(COOKIE)
    if not value:
        value = secrets.token_urlsafe(24)
        request.state.csrf_cookie_new = True
    request.state.csrf_cookie = value
    return value


def rotate(request: Request) -> None:
    """A fresh cookie value (at sign-in and sign-out)."""
    request.state.csrf_cookie = secrets.token_urlsafe(24)
    request.state.csrf_cookie_new = True


def token_for(request: Request) -> str:
    return _sign(cookie_value(request))


async def verify_csrf(request: Request) -> None:
    """App-wide dependency: refuse unsafe requests without a valid token (403)."""
    if request.method in SAFE_METHODS:
        return
    refuse_oversized_body(request)
    cookie = request.cookies.get(COOKIE)
    sent = request.headers.get("x-csrf-token")
    if not sent:
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    if not cookie or not sent or not hmac.compare_digest(sent, _sign(cookie)):
        raise CsrfFailed()


# Room for the form fields around the largest photo a form may carry.
FORM_OVERHEAD_BYTES = 256 * 1024


def body_limit_bytes() -> int:
    """The largest request body accepted: the largest photo and the form around it."""
    return get_settings().photo_max_bytes + FORM_OVERHEAD_BYTES


def refuse_oversized_body(request: Request) -> None:
    """413 before the body is read: reading the form spools every upload to disk first.
    (A body without a Content-Length is counted as it is read: app.BodyLimit.)"""
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > body_limit_bytes():
        raise HTTPException(status_code=413)


def set_cookie_if_new(request: Request, response) -> None:
    if getattr(request.state, "csrf_cookie_new", False):
        response.set_cookie(
            COOKIE,
            request.state.csrf_cookie,
            httponly=True,
            samesite="lax",
            secure=get_settings().cookie_secure,
            path="/",
        )
