"""Access control in one place: every route declares who may use it, and the rule holds.

The walk over the app's routes fails when someone adds a route without an
access parameter (`me: Director`, `me: Staff`, `_: Public`, ...).
"""

import re

import pytest
from fastapi.routing import APIRoute

from nursery_ops.app import create_app

# Routes anyone may use, signed in or not.
PUBLIC_ROUTES = {
    ("GET", "/login"), ("POST", "/login"), ("POST", "/language"), ("GET", "/healthz"),
    ("GET", "/ping"),  # the benchmark's baseline (bench/run.py): no database, no template
    ("GET", "/disclosure"),  # 信息公示: the public disclosure page
    # A guardian's invitation code (auth/invitation_routes.py): used before any sign-in exists.
    ("GET", "/invite"), ("POST", "/invite"), ("GET", "/invite/{code}"), ("POST", "/invite/{code}"),
    # The one-time code after the password (auth/two_step_routes.py): the half-signed-in state is its own cookie.
    ("GET", "/login/code"), ("POST", "/login/code"),
}


def api_routes(routes):
    """Every APIRoute of the app, through included routers."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from api_routes(route.original_router.routes)


def access_rules(dependant) -> list[str]:
    found = []
    for dependency in dependant.dependencies:
        rule = getattr(dependency.call, "access_rule", None)
        if rule is not None:
            found.append(rule)
        found.extend(access_rules(dependency))
    return found


def every_route():
    app = create_app()
    return [(method, route) for route in api_routes(app.routes) for method in sorted(route.methods)]


ROUTES = every_route()


def test_the_app_has_routes_to_check():
    paths = {route.path for _, route in ROUTES}
    assert {"/login", "/logout", "/", "/healthz", "/children/{child_id}", "/director", "/family"} <= paths


@pytest.mark.parametrize(("method", "route"), ROUTES, ids=[f"{m} {r.path}" for m, r in ROUTES])
def test_every_route_declares_exactly_one_access_rule(method, route):
    rules = access_rules(route.dependant)
    assert len(set(rules)) == 1, f"{method} {route.path} has access rules {rules}: declare exactly one"
    assert (rules[0] == "public") == ((method, route.path) in PUBLIC_ROUTES)


def concrete(path: str) -> str:
    """A real URL for a route path: every id is 1 (authorisation is checked before the id is looked up)."""
    return re.sub(r"\{[^}]+\}", "1", path)


NON_PUBLIC = [(m, r) for m, r in ROUTES if (m, r.path) not in PUBLIC_ROUTES]


@pytest.mark.parametrize(("method", "route"), NON_PUBLIC, ids=[f"{m} {r.path}" for m, r in NON_PUBLIC])
def test_anonymous_people_are_sent_to_sign_in(anonymous, method, route):
    url = concrete(route.path)
    response = anonymous.get(url) if method == "GET" else anonymous.post(url)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


STAFF_ONLY = [
    (m, r)
    for m, r in NON_PUBLIC
    if not set(access_rules(r.dependant)[0].split(", ")) & {"parent", "signed-in"}
]


@pytest.mark.parametrize(("method", "route"), STAFF_ONLY, ids=[f"{m} {r.path}" for m, r in STAFF_ONLY])
def test_parents_are_refused_every_staff_route(client_for, world, method, route):
    client = client_for(world.parent_x)
    url = concrete(route.path)
    response = client.get(url) if method == "GET" else client.post(url)
    assert response.status_code == 403


DIRECTOR_ONLY = [(m, r) for m, r in NON_PUBLIC if access_rules(r.dependant)[0] == "director"]


@pytest.mark.parametrize(("method", "route"), DIRECTOR_ONLY, ids=[f"{m} {r.path}" for m, r in DIRECTOR_ONLY])
def test_only_the_director_reaches_director_routes(client_for, world, method, route):
    url = concrete(route.path)
    for person in (world.caregiver_a, world.health):
        client = client_for(person)
        response = client.get(url) if method == "GET" else client.post(url)
        assert response.status_code == 403, f"{person.username} reached {method} {url}"


def test_wrong_method_is_405_not_a_crash(client_for, world):
    assert client_for(world.director).http.put("/logout").status_code == 405


def test_unknown_addresses_and_malformed_ids_are_404(client_for, world):
    client = client_for(world.director)
    assert client.get("/no-such-page").status_code == 404
    assert client.get("/children/not-a-number").status_code == 404
    assert client.get("/children/999999").status_code == 404
