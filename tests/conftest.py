"""Shared test set-up: a fresh database per test, the app, signed-in clients, and the people.

The people (healthchecks-style): a director, a caregiver of room A and one of
room B, a health officer, and parents of two families (X in room A, Y in room B).
"""

import os
import shutil
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "test-secret-key")

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from sqlmodel import Session, SQLModel

from nursery_ops import schema  # noqa: F401  (all tables)
from nursery_ops.app import create_app
from nursery_ops.auth import csrf
from nursery_ops.auth.access import SESSION_COOKIE
from nursery_ops.auth.models import Person, Role
from nursery_ops.auth.service import start_session
from nursery_ops.db import build_engine
from nursery_ops.settings import get_settings
from nursery_ops.templating import LOCALE_COOKIE
from tests import factories as f

REQUIRED = os.environ.get("NURSERY_REQUIRE_ALL") == "1"


def pytest_collection_modifyitems(config, items):
    """In CI (.ci/run) a skipped PostgreSQL or browser test is a failure, not a skip."""
    if not REQUIRED:
        return
    for item in items:
        item.add_marker(pytest.mark.nursery_required)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if REQUIRED and report.skipped and call.excinfo is not None:
        report.outcome = "failed"
        report.longrepr = f"skipped, but NURSERY_REQUIRE_ALL=1 makes it mandatory: {call.excinfo.value}"


@pytest.fixture(autouse=True)
def morning_clock(request):
    """Each test (but the browser ones, whose server runs in its own process) starts at 10:30 local
    time today, the clock ticking on: a run at midnight or before dawn sees the same day as a run at
    noon. A test that needs another time travels there with `morning_clock.move_to(...)`."""
    if request.node.get_closest_marker("browser"):
        yield None
        return
    zone = get_settings().zone
    morning = datetime.combine(datetime.now(zone).date(), time(10, 30), tzinfo=zone)
    with time_machine.travel(morning, tick=True) as traveller:
        yield traveller


@pytest.fixture(scope="session")
def template_db(tmp_path_factory) -> Path:
    """An empty schema built once; each test copies the file (tests never migrate: see test_migrations)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = build_engine(f"sqlite:///{path}")
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    return path


@pytest.fixture
def engine(template_db, tmp_path) -> Engine:
    path = tmp_path / "nursery.db"
    shutil.copy(template_db, path)
    engine = build_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch) -> Path:
    directory = tmp_path / "data"
    monkeypatch.setattr(get_settings(), "data_dir", directory)
    return directory


@pytest.fixture
def session(engine) -> Session:
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def app(engine):
    return create_app(engine=engine)


class Client:
    """A browser stand-in: keeps cookies, sends the CSRF token with every form."""

    def __init__(self, app, person: Person | None = None, engine: Engine | None = None, locale: str | None = "en"):
        self.http = TestClient(app, base_url="http://testserver", follow_redirects=False)
        # Tests read English text; tests/test_i18n.py checks the Chinese pages.
        if locale:
            self.http.cookies.set(LOCALE_COOKIE, locale, domain="testserver.local")
        self.http.cookies.set(csrf.COOKIE, "test-csrf-cookie", domain="testserver.local")
        self.person = person
        if person is not None:
            with Session(engine) as session:
                token = start_session(session, person, "pytest", "testclient")
                session.commit()
            self.http.cookies.set(SESSION_COOKIE, token, domain="testserver.local")

    @property
    def token(self) -> str:
        """The form token for the CSRF cookie this browser holds now (it changes at sign-in)."""
        return csrf._sign(self.http.cookies.get(csrf.COOKIE))

    def get(self, url: str, **kwargs):
        return self.http.get(url, **kwargs)

    def post(self, url: str, data: dict | None = None, *, csrf_token: bool = True, **kwargs):
        data = dict(data or {})
        if csrf_token:
            data.setdefault("csrf_token", self.token)
        return self.http.post(url, data=data, **kwargs)

    def htmx_get(self, url: str, **kwargs):
        return self.http.get(url, headers={"HX-Request": "true"}, **kwargs)


@dataclass
class World:
    director: Person
    caregiver_a: Person
    caregiver_b: Person
    health: Person
    parent_x: Person
    parent_y: Person
    room_a: object
    room_b: object
    child_x: object
    child_y: object
    guardian_x: object
    guardian_y: object


@pytest.fixture
def world(session) -> World:
    from nursery_ops.rooms.models import RoomType

    room_a = f.make_room(session, "A 托小班", RoomType.toddler)
    room_b = f.make_room(session, "B 托大班", RoomType.older)
    director = f.make_person(session, "director", Role.director, full_name="李园长")
    caregiver_a = f.make_person(session, "carer_a", Role.caregiver, full_name="张老师")
    caregiver_b = f.make_person(session, "carer_b", Role.caregiver, full_name="陈老师")
    f.assign(session, room_a, caregiver_a)
    f.assign(session, room_b, caregiver_b)
    health = f.make_person(session, "health", Role.health, full_name="刘保健")
    child_x = f.make_child(session, "王小明", months=18)
    child_y = f.make_child(session, "赵小红", months=30)
    guardian_x = f.make_guardian(session, child_x, "王妈妈")
    guardian_y = f.make_guardian(session, child_y, "赵爸爸", relation="父亲", phone="13700137000")
    parent_x = f.make_person(session, "parent_x", Role.parent, full_name="王妈妈", guardian_id=guardian_x.id)
    parent_y = f.make_person(session, "parent_y", Role.parent, full_name="赵爸爸", guardian_id=guardian_y.id)
    f.enrol(session, child_x, room_a)
    f.enrol(session, child_y, room_b)
    session.commit()
    return World(
        director, caregiver_a, caregiver_b, health, parent_x, parent_y, room_a, room_b, child_x, child_y, guardian_x, guardian_y
    )


@pytest.fixture
def pages_built(app) -> None:
    """Every page built on each request: for the tests that count a page's own statements (a kept page
    costs only the sign-in's; tests/test_pagecache.py)."""
    app.state.page_cache = None


@pytest.fixture
def client_for(app, engine):
    """client_for(person) → a Client signed in as that person; client_for(None) → anonymous."""

    def make(person: Person | None = None, locale: str | None = "en") -> Client:
        return Client(app, person, engine, locale)

    return make


@pytest.fixture
def anonymous(client_for) -> Client:
    return client_for(None)


class QueryCounter:
    """Counts SQL statements the app sends (no N+1: a page's count must not grow with its rows)."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.statements: list[str] = []

    def _count(self, _conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(("BEGIN", "PRAGMA", "COMMIT", "ROLLBACK")):
            self.statements.append(statement)

    def __enter__(self) -> "QueryCounter":
        self.statements = []
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._count)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def queries(engine) -> QueryCounter:
    return QueryCounter(engine)
