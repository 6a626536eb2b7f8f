"""CSRF: every state-changing route refuses a request without a valid token (403), and nothing changes.

The routes are every non-GET route of the app (enumerated, not listed). Each is sent as
the director, whose roles pass every access rule, so the token is the only reason left
to refuse; the public forms (sign-in, language, invitation code) also anonymously. The
records in the address are side X's real ones (tests/security/world.py), so a request
that got through would find something to change. Three ways to get the token wrong:
none at all, a valid token of another browser's cookie, and a valid token with no
cookie to match (auth/csrf.py: the signed double-submit cookie).
"""

import pytest

from nursery_ops.auth import csrf
from tests.security.world import CSRF_COOKIE_VALUE, Visitor, expect_unchanged, object_params, rule_of
from tests.test_access import ROUTES

STATE_CHANGING = [(method, route) for method, route in ROUTES if method != "GET"]
FORM_EXPIRED = "Form expired"  # the CSRF page's title (app.py), not the 403 of an access rule


def wrong_tokens(visitor: Visitor) -> list[tuple[str, Visitor, str | None]]:
    """(what is wrong, the browser, the token it sends)."""
    without_cookie = Visitor(visitor.browser, {k: v for k, v in visitor.cookies.items() if k != csrf.COOKIE})
    return [
        ("no token", visitor, None),
        ("another browser's token", visitor, csrf._sign("another-browsers-cookie")),
        ("no cookie to match the token", without_cookie, csrf._sign(CSRF_COOKIE_VALUE)),
    ]


def test_the_walk_finds_the_state_changing_routes():
    paths = {route.path for _, route in STATE_CHANGING}
    assert {"/login", "/logout", "/children/new", "/rooms/{room_id}/children/{child_id}/check-in"} <= paths
    assert len(STATE_CHANGING) > 100


@pytest.mark.parametrize(("method", "route"), STATE_CHANGING, ids=[f"{m} {r.path}" for m, r in STATE_CHANGING])
def test_a_state_changing_request_without_a_valid_token_is_refused_and_changes_nothing(rich, method, route):
    url = rich.url(route.path, dict.fromkeys(object_params(route.path), "X"))
    visitors = ["director"] + (["anonymous"] if rule_of(route) == "public" else [])
    problems = []
    for role in visitors:
        for wrong, visitor, token in wrong_tokens(rich.visitors[role]):
            response = visitor.send(method, url, token=token)
            if response.status_code != 403 or FORM_EXPIRED not in response.text:
                problems.append(f"{role}, {wrong}: {method} {url} → {response.status_code}")
            problems += expect_unchanged(rich.watch, f"{role}, {wrong}: {method} {url}")
    assert not problems, "\n".join(problems)


def test_the_same_request_with_a_valid_token_gets_past_the_check(rich):
    """The refusals above are the token's: with it, the director's empty form reaches the form's own checks."""
    response = rich.visitors["director"].send("POST", "/children/new")
    assert response.status_code == 400
    assert expect_unchanged(rich.watch, "an empty new-child form") == []
