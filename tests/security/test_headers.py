"""Security headers on every response, the OpenAPI docs behind the debug setting, and htmx's history cache off.

The walk visits every GET route of the app as the director, in the world of tests/security/world.py
(every record a route can name exists), and as an anonymous visitor for the public pages.
"""

import json
import re
from collections import Counter

import pytest
from fastapi import Depends
from fastapi.testclient import TestClient

from nursery_ops.app import CONTENT_SECURITY_POLICY, create_app
from nursery_ops.auth.access import Public
from nursery_ops.settings import PROJECT_ROOT, get_settings
from tests.security.world import params_of, rule_of

HTMX_META = re.compile(r"""<meta name="htmx-config" content='([^']*)'>""")


def csp_directives(policy: str) -> dict[str, list[str]]:
    found = {}
    for part in policy.split(";"):
        name, *values = part.split()
        found[name] = values
    return found


def header_problems(url: str, response) -> list[str]:
    """What is missing or wrong in one response's headers (empty: all well)."""
    headers = response.headers
    problems = []
    policy = csp_directives(headers.get("content-security-policy", ""))
    scripts = policy.get("script-src", policy.get("default-src", []))
    if not scripts or "'unsafe-inline'" in scripts or "'unsafe-eval'" in scripts:
        problems.append(f"script-src {scripts}")
    if policy.get("frame-ancestors") != ["'none'"]:
        problems.append(f"frame-ancestors {policy.get('frame-ancestors')}")
    if policy.get("object-src") != ["'none'"]:
        problems.append("object-src")
    if headers.get("x-content-type-options") != "nosniff":
        problems.append("nosniff")
    if headers.get("referrer-policy") not in ("same-origin", "no-referrer", "strict-origin-when-cross-origin"):
        problems.append(f"referrer-policy {headers.get('referrer-policy')}")
    cache = headers.get("cache-control", "")
    # A child's photo may stay briefly in the browser's own cache (private), never in a shared proxy.
    private_enough = "no-store" in cache or (url.startswith("/photos/") and "private" in cache)
    if not private_enough:
        problems.append(f"cache-control {cache!r}")
    return [f"{url} ({response.status_code}): {problem}" for problem in problems]


def htmx_config(html: str) -> dict | None:
    found = HTMX_META.search(html)
    return json.loads(found.group(1)) if found else None


def get_routes(rich):
    return [route for method, route in rich.routes if method == "GET"]


def visit(rich, who: str, route):
    url = rich.url(route.path, {param: "X" for param in params_of(route.path)})
    response = rich.visitors[who].send("GET", url)
    # An audited read or a tablet's touch must not leak into the next request.
    if rich.watch.changed_tables():
        rich.watch.restore()
    return url, response


def test_every_page_carries_the_security_headers_and_turns_off_htmx_history(rich):
    """Every GET route as the director (the family pages, which refuse the director, as family X's parent)."""
    problems, statuses, pages = [], Counter(), 0
    for route in get_routes(rich):
        url, response = visit(rich, "parent_x" if rule_of(route) == "parent" else "director", route)
        statuses[response.status_code] += 1
        problems += header_problems(url, response)
        if response.status_code == 200 and "<html" in response.text:
            pages += 1
            config = htmx_config(response.text.split("</head>", 1)[0])
            if config is None:
                problems.append(f"{url}: no htmx-config meta in the head")
            elif config.get("historyCacheSize") != 0 or config.get("refreshOnHistoryMiss") is not True:
                problems.append(f"{url}: htmx history cache on: {config}")
    assert problems == []
    assert statuses[500] == 0, statuses
    # The walk must really open pages, not bounce off sign-in or 404s.
    assert pages >= 0.8 * len(get_routes(rich)), statuses


def test_public_pages_and_sign_in_redirects_carry_the_headers_too(rich):
    problems = []
    for route in get_routes(rich):
        url, response = visit(rich, "anonymous", route)
        problems += header_problems(url, response)
        if rule_of(route) == "public" and response.status_code == 200 and "<html" in response.text:
            assert htmx_config(response.text)["historyCacheSize"] == 0, url
    assert problems == []


def test_the_meta_uses_the_config_names_of_the_vendored_htmx():
    [vendored] = (PROJECT_ROOT / "static").glob("htmx-*.min.js")
    source = vendored.read_text()
    base = (PROJECT_ROOT / "templates" / "base.html").read_text()
    config = htmx_config(base)
    for name in config:
        assert f"{name}:" in source, f"{vendored.name} has no config {name}"
    assert config["historyCacheSize"] == 0 and config["refreshOnHistoryMiss"] is True
    # htmx 2 drops the history cache entirely at size 0 (it would otherwise keep pages in sessionStorage).
    assert "historyCacheSize<=0" in source


def test_the_content_security_policy_allows_no_inline_script_and_no_framing():
    policy = csp_directives(CONTENT_SECURITY_POLICY)
    assert policy["script-src"] == ["'self'"] and policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"] and policy["form-action"] == ["'self'"]


@pytest.fixture
def crash_app(engine):
    app = create_app(engine=engine)

    def boom(_: Public):
        raise RuntimeError("a bug")

    app.add_api_route("/boom", boom, methods=["GET"], dependencies=[Depends(lambda: None)])
    return app


def test_error_pages_carry_the_headers_even_a_crash(crash_app):
    http = TestClient(crash_app, raise_server_exceptions=False, follow_redirects=False)
    for url, status in (("/boom", 500), ("/no-such-page", 404), ("/children/abc", 303)):
        response = http.get(url)
        assert response.status_code == status
        assert header_problems(url, response) == [], url
    wrong_method = http.put("/login")
    assert wrong_method.status_code == 405 and header_problems("/login", wrong_method) == []
    forged = http.post("/logout")
    assert forged.status_code == 403 and header_problems("/logout", forged) == []


def test_static_files_have_the_policy_and_nosniff_and_may_be_cached(anonymous):
    response = anonymous.get("/static/app.js")
    assert response.status_code == 200
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "no-store" not in response.headers.get("cache-control", "")


def test_https_installs_send_strict_transport_security_and_plain_http_ones_do_not(anonymous, monkeypatch):
    assert "strict-transport-security" not in anonymous.get("/login").headers
    monkeypatch.setattr(get_settings(), "cookie_secure", True)
    assert anonymous.get("/login").headers["strict-transport-security"] == "max-age=31536000"


@pytest.mark.parametrize("url", ["/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"])
def test_the_openapi_docs_are_off_by_default(anonymous, url):
    assert anonymous.get(url).status_code == 404


def test_the_openapi_docs_are_on_with_the_debug_setting(engine):
    settings = get_settings().model_copy(update={"debug": True})
    http = TestClient(create_app(settings, engine), follow_redirects=False)
    schema = http.get("/openapi.json")
    assert schema.status_code == 200 and "/login" in schema.json()["paths"]
    assert http.get("/docs").status_code == 200
    assert header_problems("/openapi.json", schema) == []
