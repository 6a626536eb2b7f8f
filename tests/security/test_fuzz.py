"""Bad input at scale: every route of the app, fed hypothesis-made forms, nonsense ids and broken bodies.

For every response: never a 500 (nor a traceback in the page); a refusal (4xx) leaves the
database as it was. Path parameters name the real records of side X of the security world
(tests/security/world.py: family X's child in room A), or ids that cannot exist, which
must be 404. The director posts everywhere; room A's caregiver too on the room tablet
routes; parent X on the family pages. After any request that changed the database the
world's snapshot is put back, so every form meets the same nursery.

Deterministic (derandomized) and bounded: NURSERY_FUZZ_EXAMPLES (default 5) forms per route.
Run more by hand, and other forms than CI's with a seed:
    NURSERY_FUZZ_EXAMPLES=200 NURSERY_FUZZ_SEED=7 .venv/bin/pytest -q -p no:cacheprovider tests/security/test_fuzz.py
"""

import enum
import inspect
import logging
import os
import re
import types
import typing
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from starlette.datastructures import FormData

from nursery_ops.auth import csrf
from nursery_ops.clock import local_today
from nursery_ops.dailylog.routes import ENTRY_FORMS
from nursery_ops.forms import FormModel, parse_form
from nursery_ops.growth.who import Indicator
from nursery_ops.illness.rules import Step
from nursery_ops.policy import ITEMS_BY_KEY
from nursery_ops.settings import get_settings
from tests.security.world import CSRF_COOKIE_VALUE, is_room_route, params_of, rule_of
from tests.test_access import PUBLIC_ROUTES, ROUTES

EXAMPLES = int(os.environ.get("NURSERY_FUZZ_EXAMPLES", "5"))

POSTS = [route for method, route in ROUTES if method == "POST"]
GETS = [route for method, route in ROUTES if method == "GET"]
WITH_IDS = [(method, route) for method, route in ROUTES if params_of(route.path)]
GET_PATHS = {route.path for route in GETS}

# Tables a refused request may still write: counted failures (sign-in, PIN, invitation code:
# throttling must count refusals). DbWatch already leaves out the tablet's last action and audited reads.
REFUSAL_COUNTERS = {"login_failure", "pin_failure"}

# Path segments that name nothing: numbers no row has (zero, negative, beyond a 32-bit or a 64-bit
# integer column) and text where a number belongs. Each must be the 404 page. Each route's
# parameter gets one of each kind, in turn, so that the suite tries every one on many routes.
NONSENSE_NUMBERS = ("0", "-1", "2147483648", str(2**63), str(10**30))
NONSENSE_TEXT = ("abc", "1.5", "%E4%B8%AD", "%00", "1e3", "0001-01-01", "9999-12-31")

# Path parameters a person types rather than follows: a wrong one is the form again with its message.
TYPED = {"code"}  # the invitation code (/invite/{code})

# Path parameters that are words, not records: every value the app knows, drawn in turn.
WORDS = {
    "slug": list(ENTRY_FORMS),
    "step": [step.value for step in Step],
    "key": list(ITEMS_BY_KEY),
    "indicator": [indicator.value for indicator in Indicator] + [indicator.name for indicator in Indicator],
}


# ---------------------------------------------------------------- what each form asks for


def _sources(function, depth: int = 2) -> dict:
    """The function's source, and those of the helpers of its own module it calls (`read_filters(request)`)."""
    found = {function: inspect.getsource(function)}
    if depth:
        for name in set(re.findall(r"\b([a-z_][a-z0-9_]*)\(", found[function])):
            helper = function.__globals__.get(name)
            if inspect.isfunction(helper) and helper.__module__ == function.__module__ and helper not in found:
                found |= _sources(helper, depth - 1)
    return found


def _flatten(values):
    for value in values:
        yield from value if isinstance(value, tuple) else (value,)


def form_models(endpoint) -> list[type[FormModel]]:
    """The FormModel classes a route reads: `parse_form(ChildDetailsForm, form)`, `STEP_FORMS[chosen]`."""
    found = []
    for function, source in _sources(endpoint).items():
        for name in re.findall(r"\b([A-Z][A-Za-z0-9_]+)\b", source):
            value = function.__globals__.get(name)
            # A dict of forms by step or by entry kind: `STEP_FORMS[chosen]`, `_kind, model = ENTRY_FORMS[slug]`.
            for candidate in _flatten(value.values() if isinstance(value, dict) else [value]):
                if isinstance(candidate, type) and issubclass(candidate, FormModel) and candidate not in found:
                    found.append(candidate)
    return found


RAW_READ = re.compile(r"""(?:form|query_params)\.get(?:list)?\(\s*["'](\w+)["']""")


class PageForms(HTMLParser):
    """The names a page's forms send, and the values offered for them (options, hidden and ticked values)."""

    def __init__(self, html: str = ""):
        super().__init__()
        self.values: dict[str, list[str]] = {}
        self._select: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        name = attributes.get("name")
        if tag in ("input", "select", "textarea") and name:
            offered = self.values.setdefault(name, [])
            if tag == "input" and attributes.get("value") and attributes.get("type") != "text":
                offered.append(attributes["value"])
        if tag == "select":
            self._select = name
        elif tag == "option" and self._select and attributes.get("value") is not None:
            self.values[self._select].append(attributes["value"])

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def form_fields(route, page: PageForms | None = None) -> dict[str, object]:
    """Field name → its annotation; None when only the page's inputs or a raw `form.get("…")` name it."""
    fields: dict[str, object] = {}
    for model in form_models(route.endpoint):
        for name, info in model.model_fields.items():
            fields.setdefault(name, info.annotation)
    raw = [name for source in _sources(route.endpoint).values() for name in RAW_READ.findall(source)]
    for name in raw + list(page.values if page else ()):
        fields.setdefault(name, None)
    fields.pop("csrf_token", None)
    return fields


def query_fields(route) -> dict[str, object]:
    """What a page reads from its query string: its query parameters, and a filter form read from `query_params`."""
    fields = {param.alias: param.field_info.annotation for param in route.dependant.query_params}
    if any("query_params" in source for source in _sources(route.endpoint).values()):
        fields |= {name: annotation for name, annotation in form_fields(route).items() if name not in fields}
    return fields


def test_the_fuzz_knows_the_forms_of_the_app():
    edit_child = next(route for route in POSTS if route.path == "/children/{child_id}/edit")
    log_entry = next(route for route in POSTS if route.path == "/rooms/{room_id}/children/{child_id}/log/{slug}")
    assert {"full_name", "birth_date", "sex"} <= set(form_fields(edit_child))
    assert {"meal", "amount", "millilitres"} <= set(form_fields(log_entry))


# ---------------------------------------------------------------- values: hostile and valid-looking

HOSTILE = [
    "", " ", "\t\n ", "\x00", "a\x00b", "\x01\x02\x1b[31m\x7f", "\u202eevil\u202c", "مرحبا بالعالم", "שלום",
    "王小明", "👶🍼🧸", "e\u0301\u0301\u0301", "\ufeff", "<script>alert(1)</script>", "' OR 1=1 --", "../../etc/passwd",
    "{{ 7*7 }}", "%s%n", "null", "None", "[]", "{}", "on", "true", "长" * 3000, "x" * 20000,
    "0", "-1", "1", "-0", "1e309", "-1e309", "nan", "inf", "1.5", "0.001", "1_000", "٣", "１２",
    str(2**31), str(2**63), str(-(2**63) - 1), str(10**30),
    "2026-02-30", "2026-13-01", "0000-00-00", "0001-01-01", "9999-12-31", "2026-1-1", "20260101",
    "25:61", "24:00", "-1:00", "12:60", "7", "07:30:99", "T", "2026-03-01T25:00",
    "9999-12", "0000-01", "0001-01", "2026-00", "2026-13", "10000", "9999-autumn", "0-spring", "1-spring",
    "²", "١٢", "guardian:²", "adult:99999999999999999999", str(-(2**31) - 1),
]
hostile = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=40))
# Numbers no record has, put where a real one was: too small, beyond 32 and 64 bits, digits int() cannot read.
BAD_NUMBERS = ("0", "-1", str(2**31), str(2**63), str(10**30), "²", "١٢")


def field_value(annotation, name: str, ids: tuple[str, ...], offered: list[str]) -> st.SearchStrategy:
    """A valid-looking value: one the page offers (a <select>'s option), else one of the field's type;
    now and then with its numbers swapped for ones no row has ("guardian:3" → "guardian:9223372036854775808")."""
    typed = valid_value(annotation, name, ids)
    valid = st.one_of(st.sampled_from(offered), typed) if offered else typed
    return st.one_of(valid, valid, st.tuples(valid, st.sampled_from(BAD_NUMBERS)).map(_swap_numbers))


def _swap_numbers(pair) -> object:
    value, number = pair
    if isinstance(value, list):
        return [re.sub(r"[0-9]+", number, str(item)) for item in value]
    return re.sub(r"[0-9]+", number, str(value))


def valid_value(annotation, name: str, ids: tuple[str, ...]) -> st.SearchStrategy:
    """What the form would accept, or nearly: a real id, a date near today, an option of an enum."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return valid_value(typing.get_args(annotation)[0], name, ids)
    if origin in (typing.Union, types.UnionType):
        arms = [arm for arm in typing.get_args(annotation) if arm is not type(None)]
        return st.one_of([valid_value(arm, name, ids) for arm in arms])
    if origin in (list, set, frozenset):
        (item,) = typing.get_args(annotation) or (str,)
        return st.lists(valid_value(item, name, ids), min_size=1, max_size=3)
    if origin is typing.Literal:
        return st.sampled_from([str(arg) for arg in typing.get_args(annotation)])
    if origin is tuple:
        return st.sampled_from(["1 08:30", "1,08:30", "08:30"])
    if annotation is bool:
        return st.sampled_from(["on", "1", "off"])
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return st.sampled_from([str(member.value) for member in annotation])
    if annotation is int and name.endswith(("_id", "_ids")):
        return st.one_of(st.sampled_from(ids), st.sampled_from(ids), st.sampled_from(BAD_NUMBERS))
    if annotation is int:
        return st.one_of(st.integers(-1, 400).map(str), st.sampled_from(BAD_NUMBERS))
    if annotation in (Decimal, float):
        return st.one_of(st.sampled_from(["36.5", "37.3", "0", "2.5", "-0.5", "1e309"]),
                         st.decimals(allow_nan=False, places=2, min_value=-1000, max_value=100000).map(str))
    if annotation is date:
        today = local_today()
        return st.one_of(st.integers(-400, 400).map(lambda days: (today + timedelta(days=days)).isoformat()),
                         st.sampled_from(["0001-01-01", "9999-12-31"]), st.dates().map(date.isoformat))
    if annotation is time:
        return st.one_of(st.times().map(lambda moment: moment.strftime("%H:%M")),
                         st.sampled_from(["08:30", "12:00", "00:00", "23:59"]))
    if annotation is datetime:
        return st.datetimes().map(lambda moment: moment.strftime("%Y-%m-%dT%H:%M"))
    if annotation is str and "phone" in name:
        return st.sampled_from(["13800138000", "010-12345678", "+86 139 0013 9000"])
    if annotation is str:
        return st.one_of(st.sampled_from(["王小明", "母亲", "发烧 38.5 °C", "Note", "A1"]),
                         st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=30))
    # Named only by the page or a raw read: an id, a tick, a date, a time or some text.
    return st.sampled_from([*ids[:3], "on", local_today().isoformat(), "08:30", "王小明"])


@st.composite
def form_posts(draw, fields: dict[str, object], ids: tuple[str, ...], page: PageForms | None = None) -> dict:
    """A form as someone might send it: valid-looking but for one or two fields, or anything at all."""
    names = sorted(fields)
    offered = page.values if page else {}
    valid = {name: field_value(fields[name], name, ids, offered.get(name, [])) for name in names}
    data: dict = {}
    if names and draw(st.booleans()):
        spoiled = draw(st.sets(st.sampled_from(names), max_size=2))
        left_out = draw(st.sets(st.sampled_from(names), max_size=1))
        data = {name: draw(hostile if name in spoiled else valid[name]) for name in names if name not in left_out}
    else:
        for name in names:
            how = draw(st.sampled_from(["hostile", "valid", "missing", "list"]))
            if how == "hostile":
                data[name] = draw(hostile)
            elif how == "valid":
                data[name] = draw(valid[name])
            elif how == "list":  # several values where the form expects one
                data[name] = draw(st.lists(st.one_of(hostile, valid[name].map(str)), min_size=2, max_size=3))
    if draw(st.booleans()):
        data[draw(st.sampled_from(["unknown_field", "id", "actor_id", "voided_at", "__class__"]))] = draw(hostile)
    return data


# NURSERY_FUZZ_SEED=<n> (by hand) draws other forms than CI's fixed ones.
SEED = os.environ.get("NURSERY_FUZZ_SEED")
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=SEED is None,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


def fuzz(test):
    """FUZZ's settings, and NURSERY_FUZZ_SEED's seed when given."""
    return FUZZ(seed(int(SEED))(test) if SEED else test)


# ---------------------------------------------------------------- sending, and what every answer must be


def visitors_for(rich, route) -> list:
    """The director (and room A's caregiver on the tablet routes), parent X on the family pages, anyone on public ones."""
    method = "POST" if "POST" in route.methods else "GET"
    if (method, route.path) in PUBLIC_ROUTES:
        return [rich.visitors["anonymous"]]
    roles = set(rule_of(route).split(", "))
    if roles == {"parent"}:
        return [rich.visitors["parent_x"]]
    if is_room_route(route):
        return [rich.visitors["director"], rich.visitors["caregiver_a"]]
    return [rich.visitors["director"]]


def url_of(rich, route, words: dict[str, str] | None = None) -> str:
    """The route's address with side X's records, and `words` (or the first known word) for word parameters."""
    words = {name: (words or {}).get(name) or WORDS[name][0] for name in params_of(route.path) if name in WORDS}
    path = re.sub(r"\{(\w+)\}", lambda match: words.get(match[1], match[0]), route.path)
    return rich.url(path, {name: "X" for name in params_of(path)})


def word_choices(route) -> st.SearchStrategy:
    return st.fixed_dictionaries({name: st.sampled_from(WORDS[name]) for name in params_of(route.path) if name in WORDS})


def record_ids(rich) -> tuple[str, ...]:
    return tuple(sorted({str(value) for value in rich.ids["X"].values() if isinstance(value, int)}, key=int))


def post(rich, visitor, url: str, form: dict):
    return rich.browser.send("POST", url, visitor.cookies, {**form, "csrf_token": csrf._sign(CSRF_COOKIE_VALUE)})


def post_raw(rich, visitor, url: str, headers: dict, body: bytes):
    """A body no form sends, with the CSRF token in its header so it reaches the route itself."""
    browser = rich.browser
    browser.client.cookies.clear()
    cookies = "; ".join(f"{name}={value}" for name, value in visitor.cookies.items())
    sent = {**headers, "Cookie": cookies, "X-CSRF-Token": csrf._sign(CSRF_COOKIE_VALUE)}
    return browser.run(browser.client.request("POST", url, headers=sent, content=body))


def assert_no_crash(response, caplog, what: str) -> None:
    crashes = [record for record in caplog.records if record.levelno >= logging.ERROR and record.exc_text]
    detail = crashes[-1].exc_text[-3000:] if crashes else ""
    assert response.status_code < 500, f"{what} → {response.status_code}\n{detail}"
    assert "Traceback (most recent call last)" not in response.text, f"{what} shows a traceback"


def assert_refusal_changed_nothing(rich, response, what: str) -> None:
    """A 4xx must leave the database alone (refusals counted for throttling aside); any change is then undone."""
    changed = rich.watch.changed_tables()
    if changed:
        rich.watch.restore()
    if 400 <= response.status_code < 500:
        assert not set(changed) - REFUSAL_COUNTERS, f"{what} was refused ({response.status_code}) but changed {changed}"


# ---------------------------------------------------------------- the tests


@pytest.mark.parametrize("route", POSTS, ids=lambda route: route.path)
def test_fuzzed_forms_never_crash_and_refused_ones_change_nothing(rich, caplog, route):
    visitors = visitors_for(rich, route)
    page = None
    if route.path in GET_PATHS:  # the form's page: the names it sends and the options it offers
        response = rich.browser.send("GET", url_of(rich, route), visitors[-1].cookies)
        page = PageForms(response.text if response.status_code == 200 else "")
    fields = form_fields(route, page)

    @fuzz
    @given(visitor=st.sampled_from(visitors), words=word_choices(route), form=form_posts(fields, record_ids(rich), page))
    def send(visitor, words, form):
        url = url_of(rich, route, words)
        response = post(rich, visitor, url, form)
        assert_no_crash(response, caplog, f"POST {url} {form!r}")
        assert_refusal_changed_nothing(rich, response, f"POST {url} {form!r}")

    send()


@pytest.mark.parametrize("route", GETS, ids=lambda route: route.path)
def test_every_page_opens_with_real_ids_and_fuzzed_queries_without_a_crash(rich, caplog, route):
    visitors = visitors_for(rich, route)
    for visitor in visitors:
        url = url_of(rich, route)
        assert_no_crash(rich.browser.send("GET", url, visitor.cookies), caplog, f"GET {url}")
    fields = query_fields(route)
    if not fields:
        return
    ids = record_ids(rich)
    values = {name: st.one_of(hostile, field_value(fields[name], name, ids, [])) for name in sorted(fields)}

    @fuzz
    @given(visitor=st.sampled_from(visitors), words=word_choices(route), query=st.fixed_dictionaries({}, optional=values))
    def send(visitor, words, query):
        url = f"{url_of(rich, route, words)}?{urlencode(query, doseq=True)}"
        response = rich.browser.send("GET", url, visitor.cookies)
        assert_no_crash(response, caplog, f"GET {url}")
        if rich.watch.changed_tables():  # a page's own writes (an export's audit entry): start clean again
            rich.watch.restore()

    send()


@pytest.mark.parametrize(("method", "route"), WITH_IDS, ids=[f"{method} {route.path}" for method, route in WITH_IDS])
def test_ids_that_cannot_exist_are_not_found(rich, caplog, method, route):
    visitor = visitors_for(rich, route)[0]
    turn = WITH_IDS.index((method, route))
    for param in params_of(route.path):
        for nonsense in (NONSENSE_NUMBERS[turn % len(NONSENSE_NUMBERS)], NONSENSE_TEXT[turn % len(NONSENSE_TEXT)]):
            url = _with_segment(rich, route, param, nonsense)
            response = rich.browser.send("GET", url, visitor.cookies) if method == "GET" else post(rich, visitor, url, {})
            assert_no_crash(response, caplog, f"{method} {url}")
            assert_refusal_changed_nothing(rich, response, f"{method} {url}")
            expected = (400,) if param in TYPED else (404,)
            assert response.status_code in expected, f"{method} {url} → {response.status_code}, not {expected}"


def _with_segment(rich, route, param: str, segment: str) -> str:
    """The route's real address but for `param`, which is `segment`."""
    template, real = route.path.split("/"), url_of(rich, route).split("/")
    position = next(index for index, part in enumerate(template) if "{" + param + "}" in part)
    real[position] = template[position].replace("{" + param + "}", segment)
    return "/".join(real)


def garbage_bodies() -> dict[str, tuple[dict, bytes]]:
    boundary = "fuzzboundary"
    part = f'--{boundary}\r\nContent-Disposition: form-data; name="f{{n}}"\r\n\r\nx\r\n'
    multipart = {"content-type": f"multipart/form-data; boundary={boundary}"}
    cap = get_settings().photo_max_bytes + csrf.FORM_OVERHEAD_BYTES
    return {
        "a JSON body": ({"content-type": "application/json"}, b'{"full_name": "x", "amount_fen": 1e309, "ids": [1, 2]}'),
        "plain text": ({"content-type": "text/plain"}, "王小明\x00\r\n".encode()),
        "no content type": ({}, b"\x89PNG\r\n\x1a\n\x00\x00"),
        "broken url-encoding": ({"content-type": "application/x-www-form-urlencoded"}, b"%zz=%ff&&=&a=%E4%B8&\xff\xfe=\x00"),
        "multipart without a boundary": ({"content-type": "multipart/form-data"}, b"--x\r\n\r\n"),
        "truncated multipart": (multipart, f'--{boundary}\r\nContent-Disposition: form-data; name="full_name"\r\n\r\n王'.encode()),
        "multipart of 1200 fields": (multipart, ("".join(part.format(n=n) for n in range(1200)) + f"--{boundary}--\r\n").encode()),
        "a body over the size cap": ({"content-type": "application/x-www-form-urlencoded"}, b"a=" + b"x" * (cap + 1)),
    }


GARBAGE = garbage_bodies()
GARBAGE_NAMES = sorted(GARBAGE)


@pytest.mark.parametrize("route", POSTS, ids=lambda route: route.path)
def test_garbage_bodies_are_refused_without_a_crash_or_a_change(rich, caplog, route):
    visitor = visitors_for(rich, route)[0]
    url = url_of(rich, route)
    needs_input = any(field.is_required() for model in form_models(route.endpoint) for field in model.model_fields.values())
    # Three bodies per route, in turn: each kind of garbage reaches a third of the routes.
    turn = POSTS.index(route)
    for name in [GARBAGE_NAMES[(3 * turn + step) % len(GARBAGE_NAMES)] for step in range(3)]:
        headers, body = GARBAGE[name]
        response = post_raw(rich, visitor, url, headers, body)
        assert_no_crash(response, caplog, f"POST {url} with {name}")
        assert_refusal_changed_nothing(rich, response, f"POST {url} with {name}")
        if name == "a body over the size cap":
            assert response.status_code == 413, f"POST {url} with {name} → {response.status_code}"
        elif needs_input:  # nothing readable arrived, so what the form requires is missing
            assert 400 <= response.status_code < 500, f"POST {url} with {name} → {response.status_code}"


# ---------------------------------------------------------------- what the fuzz found (each was a 500)

HUGE = str(2**63)  # one past SQLite's largest integer: its driver raised OverflowError
TODAY = local_today().isoformat()
FOUND = [
    # Numbers beyond an INTEGER column, in a form field, a <select>'s value, a filter, a page link.
    ("POST", "/children/{child_id}/consent", {"consent_on": TODAY, "guardian_id": HUGE}, 400),
    ("POST", "/rooms/{room_id}/children/{child_id}/check-out", {"collector": f"guardian:{HUGE}"}, 400),
    ("POST", "/rooms/{room_id}/children/{child_id}/check-out", {"collector": "adult:²"}, 400),
    ("POST", "/children/{child_id}/enrol",
     {"start_date": TODAY, "room": "²", "care_type": "full_day", "schedule_days": ["1", "2", "3", "4", "5"]}, 400),
    ("POST", "/children/{child_id}/enrol",
     {"start_date": TODAY, "room": HUGE, "care_type": "full_day", "schedule_days": ["1", "2", "3", "4", "5"]}, 400),
    ("GET", f"/children?room={HUGE}", None, 200),
    ("GET", f"/audit?page={HUGE}", None, 200),
    ("GET", "/audit?page=²", None, 200),
    # Days at the calendar's ends, where the pages' day-before and week-before links overflowed.
    ("GET", "/staff/roster?on=0001-01-01", None, 400),
    ("POST", "/staff/roster", {"on": "9999-12-31", "starts_at": "07:30", "ends_at": "17:30", "person_id": "1"}, 400),
    ("POST", "/staff/roster/copy", {"on": "0001-01-01", "from_on": TODAY}, 400),
    ("GET", "/reports/staff?on=9999-12-31", None, 400),
    ("GET", "/reports/staff.csv?on=9999-12-31", None, 400),
    ("GET", "/reports/money?month=9999-12", None, 400),
    ("GET", "/reports/enrolment?month=9999-12", None, 400),
    ("GET", "/reports/enrolment.csv?month=0001-01", None, 400),
    # In the address: a query day off the calendar, a path id beyond any row (RoomActing's room_id too).
    ("GET", "/children/{child_id}/log?date=9999-12-31", None, 404),
    ("GET", f"/rooms/{HUGE}", None, 404),
    ("POST", f"/rooms/{HUGE}/children/{{child_id}}/check-in", {}, 404),
    ("GET", f"/settings/calendar?year={HUGE}", None, 404),
    # An entry that does not exist is 404 before its form is read (it was 400, a form about nothing).
    ("POST", "/reports/meals/spending/999999/void", {}, 404),
]


@pytest.mark.parametrize(("method", "path", "form", "status"), FOUND, ids=[f"{m} {p} {f or ''}" for m, p, f, _ in FOUND])
def test_input_beyond_any_record_is_refused_not_a_crash(rich, caplog, method, path, form, status):
    url = rich.url(path, {name: "X" for name in params_of(path)})
    director = rich.visitors["director"]
    response = rich.browser.send("GET", url, director.cookies) if method == "GET" else post(rich, director, url, form)
    assert_no_crash(response, caplog, f"{method} {url}")
    assert_refusal_changed_nothing(rich, response, f"{method} {url}")
    assert response.status_code == status


def test_an_error_page_after_a_rolled_back_refusal_still_shows_who_is_signed_in(rich, caplog):
    """A second void of a spending entry is refused and rolled back; its form then names a semester that
    does not exist (404). The page needs the signed-in person, whom the rollback had expired: it was a 500."""
    director = rich.visitors["director"]
    url = rich.url("/reports/meals/spending/{spending_id}/void", {"spending_id": "X"})
    try:
        assert post(rich, director, url, {"reason": "录错了"}).status_code == 303
        response = post(rich, director, url, {"reason": "又点了一次", "semester": "no-such-semester"})
    finally:
        rich.watch.restore()
    assert_no_crash(response, caplog, f"POST {url}")
    assert response.status_code == 404
    assert "李园长" in response.text


def test_a_write_that_fails_half_way_unlocks_the_database_and_its_page_names_the_person(rich, caplog, monkeypatch):
    """A flush that fails (here: a bill number already taken) expires the signed-in person. Reloading them
    for the 500 page once raised again before the session was closed: the write lock stayed held and every
    later write waited out the busy timeout, then failed."""
    from nursery_ops.billing import service as billing

    monkeypatch.setattr(billing, "next_number", lambda session, series, year: 1)  # side X's bill has number 1
    director = rich.visitors["director"]
    month = (local_today().replace(day=1) + timedelta(days=32)).strftime("%Y-%m")
    try:
        failed = post(rich, director, rich.url("/contracts/{contract_id}/bills/new", {"contract_id": "X"}), {"month": month})
        monkeypatch.undo()
        later = post(rich, director, "/language", {"locale": "en", "next": "/director"})  # saves the choice
    finally:
        rich.watch.restore()
    assert failed.status_code == 500 and "李园长" in failed.text
    assert later.status_code == 303


class Bounded(FormModel):
    count: int | None = None
    ids: list[int] = []
    on: date | None = None


OUT_OF_RANGE = "Enter a date between the years 1900 and 2999."


@pytest.mark.parametrize(("field", "values", "message"), [
    ("count", ["2147483647"], None), ("count", ["2147483648"], "This number is too large."),
    ("count", [HUGE], "This number is too large."), ("count", ["-2147483648"], None),
    ("count", ["-2147483649"], "This number is too small."), ("ids", ["1", HUGE], "This number is too large."),
    ("on", ["1900-01-01"], None), ("on", ["2999-12-31"], None),
    ("on", ["1899-12-31"], OUT_OF_RANGE), ("on", ["9999-12-31"], OUT_OF_RANGE), ("on", ["0001-01-01"], OUT_OF_RANGE),
], ids=str)
def test_every_form_refuses_numbers_and_dates_no_record_can_hold(field, values, message):
    _data, errors = parse_form(Bounded, FormData([(field, value) for value in values]))
    assert errors.get(field) == message
