"""The access matrix: every route of the app × every kind of visitor × their own records and another family's.

Routes are found by walking the app (as tests/test_access.py does). Each path parameter
is filled with a real record of side X (family X's child, room A) or side Y (family Y's
child, room B) — tests/security/world.py builds one of each kind per side and fails on a
parameter it does not know. A route with two records also gets a "mixed" address (its
first record from X, the others from Y), and an incident route gets X's suspected abuse.

What each visitor must get is declared once, below: the route's own access rule decides
first (read from the route: `me: Director`, `actor: RoomActing`...), then OBJECT_RULES,
the short list of rules about whose record it is. GET is sent with no body, any other
method with an empty form and a valid CSRF token. A refused visit must change nothing; an
allowed one with an empty form neither, except the buttons in ACTS_ON_AN_EMPTY_FORM. And a
page a parent or a caregiver may open must not show what `must_not_show` names: another
family's child, another room's children's health records, a suspected abuse.
"""

import re
from dataclasses import dataclass

import pytest

from tests.security.world import HOME, ROLES, is_room_route, object_params, record_kind, rule_of
from tests.test_access import ROUTES

ALLOWED = "allowed"  # anything but 403, 404 and the sign-in redirect (a 400 for an empty form is fine)
REFUSED = "403"
HIDDEN = "404"
SIGN_IN = "sign-in"  # 303 to /login?next=...

# ---------------------------------------------------------------- who is who

ROLE_HELD = {"director": "director", "caregiver_a": "caregiver", "caregiver_b": "caregiver", "health": "health",
             "parent_x": "parent", "parent_y": "parent"}
PARENTS = frozenset({"parent_x", "parent_y"})
CAREGIVERS = frozenset({"caregiver_a", "caregiver_b"})
EVERYONE = frozenset(ROLE_HELD)

# How a visit's records relate to the visitor.
OWN, OTHER, MIXED, ABUSE, ANY = "own", "other", "mixed", "abuse", "any"


def relation(role: str, side: str) -> str:
    """own / other (the address's first record is another family's or room's) / mixed / abuse."""
    home = HOME.get(role)
    if side == "abuse":
        return ABUSE
    if side == "mixed":
        return OTHER if home is not None and home != "X" else MIXED
    if home is None:
        return OWN  # the director and the health officer: every record is theirs to see
    return OWN if side == home else OTHER


# ---------------------------------------------------------------- the table

FAMILY_PAGES = r"^/family/children/\{child_id\}"
MONEY_PAGES = r"^/(contracts/\{contract_id\}(/print)?|bills/\{bill_id\}|payments/\{payment_id\}|refunds/\{refund_id\})$"
PHOTO = r"^/photos/\{photo_id\}$"
# Staff pages of a child's health record (illness, medication, growth, incidents): children/access.open_health_record.
HEALTH_RECORDS = r"^(/children/\{child_id\}/(growth|growth/chart/.*|medication|incidents|illness)|/health/illness/\{illness_id\})$"
INCIDENT = r"^/incidents/\{incident_id\}"
ROOM_ROUTES = "room"  # every `actor: RoomActing` route, read from the route's dependencies
EVERY_ROUTE = r""


@dataclass(frozen=True)
class ObjectRule:
    """After the route's role check: `who` asking for `routes` with records related as `when` get `outcome`."""

    routes: str  # a regular expression over the route's path, or ROOM_ROUTES
    who: frozenset
    when: str
    outcome: str
    why: str

    def covers(self, route, role: str, related: str) -> bool:
        path_matches = is_room_route(route) if self.routes == ROOM_ROUTES else re.search(self.routes, route.path)
        return bool(path_matches) and role in self.who and self.when in (ANY, related)


# First match wins; no match: allowed.
OBJECT_RULES = [
    ObjectRule(FAMILY_PAGES, PARENTS, OTHER, HIDDEN, "a parent's pages show their own children only (family/service.own_child)"),
    ObjectRule(MONEY_PAGES, PARENTS, OTHER, HIDDEN, "money pages: the director and the child's guardians (contract_for_view)"),
    ObjectRule(MONEY_PAGES, CAREGIVERS | {"health"}, ANY, REFUSED, "caregivers and the health officer have no business with fees"),
    ObjectRule(PHOTO, PARENTS, OTHER, HIDDEN, "a photo shows to the families of the children in it (visible_photo)"),
    ObjectRule(ROOM_ROUTES, CAREGIVERS, OTHER, REFUSED, "a caregiver acts in their own rooms only (rooms/tablet.room_actor)"),
    ObjectRule(HEALTH_RECORDS, CAREGIVERS, OTHER, REFUSED, "a caregiver reads their own rooms' children's health (cares_for_child)"),
    ObjectRule(INCIDENT, CAREGIVERS, OTHER, HIDDEN, "another room's incident is not there for a caregiver (readable_incident)"),
    ObjectRule(INCIDENT, CAREGIVERS, ABUSE, HIDDEN, "a suspected abuse: the director, the health officer and its reporter only"),
    ObjectRule(EVERY_ROUTE, EVERYONE, MIXED, HIDDEN, "one family's record under another's names nothing"),
]

# Buttons: an empty form is the whole request, so the allowed visitor's click changes data.
ACTS_ON_AN_EMPTY_FORM = {
    "/logout", "/language", "/account/two-step/start",
    "/rooms/{room_id}/activate", "/rooms/{room_id}/caregivers/{person_id}/remove",
    "/guardians/{guardian_id}/invitation", "/guardians/{guardian_id}/invitations/{invitation_id}/revoke",
    "/incidents/{incident_id}/sign-off",
    "/contracts/{contract_id}/discard",
    "/settings/contract-phrases/{phrase_id}/remove", "/settings/calendar/{day_id}/remove",
}


def refused_by_role(route, role: str) -> tuple[str, str] | None:
    """(outcome, why) when the route's access rule alone refuses the visitor, before any record is read."""
    rule = rule_of(route)
    if rule == "public":
        return None
    if role in ("anonymous", "deactivated"):
        return SIGN_IN, "not signed in (a deactivated account's session no longer counts)"
    if rule != "signed-in" and ROLE_HELD[role] not in rule.split(", "):
        return REFUSED, f"the route admits {rule}"
    return None


def must_not_show(rich, role: str) -> list[tuple[str, str]]:
    """(text, why) a page this visitor may open must not contain, whichever records it is about."""
    home = HOME.get(role)
    other = rich.markers[{"X": "Y", "Y": "X"}[home]] if home else None
    banned = []
    if role in PARENTS:
        banned += [(other["child"], "a parent sees nothing of another family's child")]
        banned += [(text, "a parent sees nothing of another family's child") for text in other["health"]]
    if role in CAREGIVERS:
        banned += [(text, "a caregiver reads the health records of their own rooms' children only") for text in other["health"]]
    if role in PARENTS | CAREGIVERS:
        banned += [(rich.markers["abuse"], "a suspected abuse: the director, the health officer and its reporter only")]
    return banned


def page_text(response) -> str:
    kind = response.headers.get("content-type", "")
    return response.text if kind.startswith(("text/", "image/svg")) else ""


def expected(route, role: str, side: str) -> tuple[str, str]:
    """(outcome, why) for one cell of the matrix."""
    rule = rule_of(route)
    if rule == "public":
        return ALLOWED, "a public page"
    if refusal := refused_by_role(route, role):
        return refusal
    related = relation(role, side)
    for object_rule in OBJECT_RULES:
        if object_rule.covers(route, role, related):
            return object_rule.outcome, object_rule.why
    return ALLOWED, f"the route admits {rule}"


# ---------------------------------------------------------------- running it


def sides_of(route, role: str) -> list[str]:
    """The addresses a visitor tries: their own records and another family's or room's (mixed, abuse where they apply).

    The director and the health officer have no "own": every record is theirs, so X's stand for
    both sides. A visitor the route's access rule refuses is sent once, with their own records:
    that refusal comes from the rule's dependency before any record is read, whichever they are.
    """
    params = object_params(route.path)
    if not params:
        return ["X"]
    if refused_by_role(route, role):
        return [HOME.get(role, "X")]
    extra = (["mixed"] if len(params) > 1 else []) + (["abuse"] if "incident_id" in params else [])
    return (["X", "Y"] if role in HOME else ["X"]) + extra


def owners(path: str, side: str) -> dict[str, str]:
    params = object_params(path)
    if side == "mixed":
        return {param: "X" if index == 0 else "Y" for index, param in enumerate(params)}
    return dict.fromkeys(params, side)


def outcome_of(response) -> str:
    if response.status_code == 303 and response.headers.get("location", "").startswith("/login?next="):
        return SIGN_IN
    if response.status_code in (403, 404):
        return str(response.status_code)
    if response.status_code >= 500:
        return f"error {response.status_code}"
    return ALLOWED


def describe(response) -> str:
    where = response.headers.get("location")
    return f"{response.status_code}" + (f" → {where}" if where else "")


@pytest.mark.parametrize(("method", "route"), ROUTES, ids=[f"{m} {r.path}" for m, r in ROUTES])
def test_every_visitor_gets_what_the_table_says_and_a_refusal_changes_nothing(rich, method, route):
    problems = []
    for role in ROLES:
        for side in sides_of(route, role):
            url = rich.url(route.path, owners(route.path, side))
            response = rich.visitors[role].send(method, url)
            want, why = expected(route, role, side)
            got = outcome_of(response)
            cell = f"{role:<12} {side:<6} {method} {url}"
            if got != want:
                problems.append(f"{cell}: expected {want} ({why}), got {describe(response)}")
            if got == ALLOWED and method == "GET":
                text = page_text(response)
                problems += [f"{cell}: shows {shown!r} — {reason}" for shown, reason in must_not_show(rich, role) if shown in text]
            changed = rich.watch.changed_tables()
            if changed:
                rich.watch.restore()
                button = got == ALLOWED and method != "GET" and route.path in ACTS_ON_AN_EMPTY_FORM
                if not button:
                    problems.append(f"{cell}: changed {', '.join(changed)} ({describe(response)})")
    assert not problems, "\n".join(problems)


def test_every_path_parameter_names_a_record_the_world_has_on_each_side(rich):
    """A new parameter name fails here first (record_kind says where to describe it)."""
    for _method, route in ROUTES:
        for param in object_params(route.path):
            kind = record_kind(route.path, param)
            assert all(rich.ids[side].get(kind) is not None for side in ("X", "Y")), f"{route.path}: no {kind} in the world"


def test_the_table_knows_every_route_with_an_object_rule():
    """Each object rule still matches a route: a renamed path cannot silently drop a rule."""
    for object_rule in OBJECT_RULES:
        if object_rule.routes in (ROOM_ROUTES, EVERY_ROUTE):
            continue
        assert any(re.search(object_rule.routes, route.path) for _, route in ROUTES), object_rule.routes


def test_every_button_is_still_a_route():
    assert ACTS_ON_AN_EMPTY_FORM <= {route.path for method, route in ROUTES if method != "GET"}
