"""Kept pages (nursery_ops.pagecache): every commit stamps what it wrote, and a kept page is answered
again only while every table it read still has the version it was built with."""

import threading
import time
from datetime import timedelta

import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient
from sqlalchemy import text, update
from sqlmodel import Session, func, select

from nursery_ops import pagecache
from nursery_ops.audit import AuditEntry
from nursery_ops.auth import csrf
from nursery_ops.auth.models import LoginSession, Person, Role
from nursery_ops.auth.service import CurrentPerson
from nursery_ops.children.models import Child
from nursery_ops.clock import utcnow
from nursery_ops.dailylog.models import LogEntry
from nursery_ops.pagecache import UNKNOWN, TableVersion
from nursery_ops.templating import LOCALE_COOKIE
from tests import factories as f


def versions(engine) -> dict[str, int]:
    with Session(engine) as session:
        return dict(session.exec(select(TableVersion.table_name, TableVersion.version)).all())


# ---------------------------------------------------------------- what a commit stamps


def test_a_commit_stamps_each_table_it_wrote_with_a_new_version(engine, world):
    before = versions(engine)
    assert {"child", "person", "room"} <= set(before)
    with Session(engine) as session:
        child = session.get(Child, world.child_x.id)
        child.allergies = "花生"
        session.add(AuditEntry(action="test", entity="child"))
        session.commit()
    after = versions(engine)
    assert after["child"] != before["child"]
    assert after["person"] == before["person"] and after["room"] == before["room"]
    assert "audit_entry" not in after  # read by no kept page: not stamped


@pytest.mark.parametrize("write", ["core update", "plain text"])
def test_statements_outside_the_orm_stamp_too(engine, world, write):
    before = versions(engine)
    with Session(engine) as session:
        if write == "core update":
            session.exec(update(Child).where(Child.id == world.child_x.id).values(allergies="牛奶"))
        else:
            session.exec(text("UPDATE child SET allergies = 'x'"))
        session.commit()
    after = versions(engine)
    if write == "core update":
        assert after["child"] != before["child"]
    else:  # which table plain SQL wrote is not known: the version every kept page depends on
        assert after[UNKNOWN] != before.get(UNKNOWN)


def test_a_rollback_or_a_read_stamps_nothing(engine, world):
    before = versions(engine)
    with Session(engine) as session:
        child = session.get(Child, world.child_x.id)
        child.allergies = "鸡蛋"
        session.flush()
        session.rollback()
        session.exec(select(Child)).all()
        session.commit()
    assert versions(engine) == before


def test_sign_in_times_carry_no_version(engine, world):
    with Session(engine) as session:
        session.exec(update(LoginSession).values(address="10.0.0.9"))
        session.commit()
    assert "login_session" not in versions(engine)


def test_the_stamp_is_one_statement_for_all_the_tables(engine, world, queries):
    with Session(engine) as session, queries:
        session.get(Child, world.child_x.id).allergies = "芝麻"
        session.get(Person, world.director.id).phone = "13900139000"
        session.commit()
    stamps = [statement for statement in queries.statements if "table_version" in statement]
    assert len(stamps) == 1


@pytest.mark.parametrize("sql, facts", [
    ("BEGIN", None),
    ("PRAGMA foreign_keys=ON", None),
    ("CREATE TABLE t (id INTEGER)", None),
    ("SELECT 1", (False, frozenset())),
    ("  select count(*) from child", (False, frozenset())),
    ("WITH x AS (SELECT 1) SELECT * FROM x", (False, frozenset())),
    ("UPDATE child SET allergies = ''", (True, frozenset())),
    ("DELETE FROM child", (True, frozenset())),
])
def test_plain_sql_is_read_or_written_with_unknown_tables(sql, facts):
    assert pagecache._statement_tables(None, sql) == facts


# ---------------------------------------------------------------- kept pages


@pytest.fixture
def director_page(client_for, world):
    return client_for(world.director)


def test_a_kept_page_is_answered_with_one_statement_until_what_it_read_changes(
        director_page, engine, world, queries, monkeypatch):
    monkeypatch.setattr(pagecache, "FRESH_FOR_S", 0)
    first = director_page.get(f"/children/{world.child_x.id}")
    assert first.status_code == 200 and "王小明" in first.text
    with queries:
        again = director_page.get(f"/children/{world.child_x.id}")
    assert again.status_code == 200 and again.text == first.text
    # The sign-in's statement (which reads the versions too), and the audited read of the health record.
    assert queries.count == 2 and queries.statements[1].startswith("INSERT INTO audit_entry")
    assert again.headers["cache-control"] == "no-store" and "content-security-policy" in again.headers

    with Session(engine) as session:
        session.get(Child, world.child_x.id).full_name = "王小亮"
        session.commit()
    changed = director_page.get(f"/children/{world.child_x.id}")
    assert "王小亮" in changed.text and "王小明" not in changed.text


def test_a_write_to_a_table_the_page_never_read_keeps_it(director_page, engine, world, queries, monkeypatch):
    monkeypatch.setattr(pagecache, "FRESH_FOR_S", 0)
    director_page.get(f"/children/{world.child_x.id}")
    with Session(engine) as session:
        session.add(LogEntry(child_id=world.child_y.id, room_id=world.room_b.id, on_date=utcnow().date(),
                             kind="note", at=utcnow(), text="在玩", by_id=world.director.id))
        session.commit()
    with queries:
        director_page.get(f"/children/{world.child_x.id}")
    assert queries.count == 2  # the sign-in and the audited read


def test_each_sign_in_has_its_own_page(client_for, world, queries):
    client_for(world.director).get("/director")
    with queries:
        assert client_for(world.director).get("/director").status_code == 200
    assert queries.count > 1
    assert client_for(world.health).get("/director").status_code == 403  # the access check runs before any page


def test_each_language_has_its_own_page(director_page, world):
    english = director_page.get("/director").text
    director_page.http.cookies.set(LOCALE_COOKIE, "zh_CN", domain="testserver.local")
    chinese = director_page.get("/director").text
    assert chinese != english and '<html lang="zh-CN">' in chinese


def test_a_new_minute_builds_the_page_anew(director_page, world, queries, morning_clock):
    director_page.get("/director")
    morning_clock.shift(timedelta(minutes=1))
    with queries:
        director_page.get("/director")
    assert queries.count > 1


def test_an_audited_read_is_recorded_each_time_the_page_is_served(client_for, world, session):
    health = client_for(world.health)
    for _ in range(3):
        assert health.get("/health").status_code == 200
    reads = session.exec(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "health_record_read", AuditEntry.entity == "health_overview")).one()
    assert reads == 3


def test_the_room_view_shows_an_entry_right_after_it_is_saved(client_for, world, session):
    from tests.dailylog.test_routes import arrive

    arrive(session, world.room_a, world.child_x)
    session.commit()
    tablet = client_for(world.caregiver_a)
    assert "Milk time" not in tablet.get(f"/rooms/{world.room_a.id}").text
    saved = tablet.post(f"/rooms/{world.room_a.id}/children/{world.child_x.id}/log/note", {"text": "Milk time"})
    assert saved.status_code == 303
    assert "Milk time" in tablet.get(f"/rooms/{world.room_a.id}").text


def test_the_room_view_names_whoever_acts_on_the_tablet_now(client_for, world, session):
    from tests.rooms.test_tablet import give_pin

    second = f.make_person(session, "carer_a2", Role.caregiver, full_name="杨老师")
    f.assign(session, world.room_a, second)
    give_pin(session, second, "4321")
    tablet = client_for(world.caregiver_a)
    assert "Acting: 张老师" in tablet.get(f"/rooms/{world.room_a.id}").text
    unlocked = tablet.post(f"/rooms/{world.room_a.id}/unlock", {"person_id": second.id, "pin": "4321"})
    assert unlocked.status_code == 303
    assert "Acting: 杨老师" in tablet.get(f"/rooms/{world.room_a.id}").text


def test_a_signed_out_session_is_refused_though_its_page_was_kept(director_page, engine, world):
    assert director_page.get("/director").status_code == 200
    with Session(engine) as session:
        session.exec(update(LoginSession).values(revoked_at=utcnow()))
        session.commit()
    refused = director_page.get("/director")
    assert refused.status_code == 303 and refused.headers["location"].startswith("/login")


# ---------------------------------------------------------------- what is never kept


def _one_page_app(engine, body: str, *, write: bool = False, status: int = 200, seconds: float = 0
                  ) -> tuple[TestClient, list]:
    """A bare app with one kept page that counts its builds (the real app's sign-in is not needed here).
    `{build}` in `body` is the build's number."""
    from nursery_ops.auth.access import DbSession

    app = FastAPI()
    app.state.engine, app.state.page_cache = engine, pagecache.PageCache(1024 * 1024)
    pagecache.install(engine)
    builds = []

    def signed_in(request: Request, session: DbSession) -> None:
        """What auth.service.load_session leaves: the person, and the versions read with the sign-in."""
        request.state.me = CurrentPerson(person=session.exec(select(Person)).first(), roles=frozenset(),
                                         session_token_hash="h")
        session.info[pagecache.VERSIONS_KEY] = dict(
            session.exec(select(TableVersion.table_name, TableVersion.version)).all())

    @app.get("/page", dependencies=[Depends(signed_in)])
    @pagecache.kept_page
    def page(request: Request, session: DbSession):
        builds.append(1)
        number = len(builds)
        time.sleep(seconds)
        session.exec(select(Child)).all()
        if write:
            session.exec(update(Child).values(allergies=""))
        return HTMLResponse(body.format(build=number), status_code=status)

    client = TestClient(app)
    client.cookies.set(csrf.COOKIE, "cookie")
    return client, builds


@pytest.mark.parametrize("body, write, status, kept", [
    ("<p>plain</p>", False, 200, True),
    ('<input type="hidden" name="form_token" value="abc">', False, 200, False),  # a double-tap guard is one-time
    ("<p>plain</p>", True, 200, False),  # the view wrote
    ("<p>refused</p>", False, 400, False),
])
def test_only_a_plain_read_with_a_200_is_kept(engine, world, body, write, status, kept):
    client, builds = _one_page_app(engine, body, write=write, status=status)
    client.get("/page")
    client.get("/page")
    assert len(builds) == (1 if kept else 2)


def _two_at_once(client: TestClient, gap: float = 0.1) -> list[tuple[str, float]]:
    """Two requests for the page, the second `gap` s after the first (one event loop, as in a worker):
    each answer's text and seconds taken, in the order they were sent."""
    answers: list = [None, None]

    def ask(index: int) -> None:
        started = time.perf_counter()
        text = client.get("/page").text
        answers[index] = (text, time.perf_counter() - started)

    threads = [threading.Thread(target=ask, args=(index,)) for index in (0, 1)]
    for thread in threads:
        thread.start()
        time.sleep(gap)
    for thread in threads:
        thread.join()
    return answers


def test_requests_that_come_in_while_a_page_is_built_get_what_it_kept(engine, world):
    client, builds = _one_page_app(engine, "<p>{build}</p>", seconds=0.5)
    with client:
        answers = _two_at_once(client)
    assert [text for text, _ in answers] == ["<p>1</p>"] * 2 and len(builds) == 1


def test_while_the_page_is_built_in_a_new_minute_the_one_of_the_minute_before_is_answered(engine, world, morning_clock):
    client, builds = _one_page_app(engine, "<p>{build}</p>", seconds=0.5)
    with client:
        client.get("/page")
        morning_clock.shift(timedelta(minutes=1))
        (built, _), (meanwhile, waited) = _two_at_once(client)
        assert built == "<p>2</p>" and meanwhile == "<p>1</p>" and waited < 0.3
        assert client.get("/page").text == "<p>2</p>" and len(builds) == 2


def _change_a_child(engine, allergies: str = "花生") -> None:
    """A change someone else makes (another browser, another worker, the command line)."""
    with Session(engine) as session:
        session.exec(update(Child).values(allergies=allergies))
        session.commit()


@pytest.mark.parametrize("wait, answer, builds", [
    (0.0, "<p>1</p>", 1),  # within FRESH_FOR_S of its build: the page kept
    (0.25, "<p>2</p>", 2),  # past it: built anew
])
def test_a_page_changed_by_someone_else_is_answered_for_a_moment_after_its_build(
        engine, world, monkeypatch, wait, answer, builds):
    monkeypatch.setattr(pagecache, "FRESH_FOR_S", 0.2)
    client, built = _one_page_app(engine, "<p>{build}</p>")
    client.get("/page")
    _change_a_child(engine)
    time.sleep(wait)
    assert client.get("/page").text == answer and len(built) == builds


def test_while_a_changed_page_is_built_anew_the_one_before_is_answered(engine, world, monkeypatch):
    monkeypatch.setattr(pagecache, "FRESH_FOR_S", 0)
    client, builds = _one_page_app(engine, "<p>{build}</p>", seconds=0.5)
    with client:
        client.get("/page")
        _change_a_child(engine)
        (built, _), (meanwhile, waited) = _two_at_once(client)
        assert built == "<p>2</p>" and meanwhile == "<p>1</p>" and waited < 0.3
        assert client.get("/page").text == "<p>2</p>" and len(builds) == 2


def test_a_page_long_out_of_date_is_not_answered_while_it_is_built_anew(engine, world, monkeypatch):
    monkeypatch.setattr(pagecache, "FRESH_FOR_S", 0)
    monkeypatch.setattr(pagecache, "REBUILT_BEHIND_S", 0)
    client, builds = _one_page_app(engine, "<p>{build}</p>", seconds=0.5)
    with client:
        client.get("/page")
        _change_a_child(engine)
        answers = _two_at_once(client)
    assert [text for text, _ in answers] == ["<p>2</p>"] * 2 and len(builds) == 2


def test_a_browser_that_sent_a_change_is_answered_pages_built_after_it(client_for, world, session):
    from tests.dailylog.test_routes import arrive

    arrive(session, world.room_a, world.child_x)
    session.commit()
    tablet, director = client_for(world.caregiver_a), client_for(world.director)
    room = f"/rooms/{world.room_a.id}"
    assert "Milk time" not in tablet.get(room).text and "Milk time" not in director.get(room).text
    assert pagecache.WROTE_COOKIE not in tablet.http.cookies

    saved = tablet.post(f"{room}/children/{world.child_x.id}/log/note", {"text": "Milk time"})
    assert saved.status_code == 303
    cookie = saved.headers["set-cookie"]
    assert cookie.startswith(f"{pagecache.WROTE_COOKIE}=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Milk time" in tablet.get(room).text
    # Someone else's page kept a moment ago is answered for FRESH_FOR_S after its build.
    assert "Milk time" not in director.get(room).text


def test_only_a_request_that_may_change_something_renews_the_cookie(client_for, world):
    director = client_for(world.director)
    assert "set-cookie" not in director.get("/director").headers
    refused = director.post("/rooms/999999/children/1/log/note", {"text": "x"})
    assert refused.headers["set-cookie"].startswith(f"{pagecache.WROTE_COOKIE}=")


def test_a_browser_without_its_csrf_cookie_gets_a_fresh_page(engine, world):
    client, builds = _one_page_app(engine, "<p>plain</p>")
    client.cookies.clear()
    client.get("/page")
    client.get("/page")
    assert len(builds) == 2


def test_the_cache_drops_the_least_recently_used_past_its_size():
    cache = pagecache.PageCache(max_bytes=100)
    page = lambda size: pagecache.KeptPage(utcnow(), time.monotonic(), (), b"x" * size, (), ())  # noqa: E731
    cache.put("a", page(20))
    cache.put("b", page(20))
    cache.get("a")
    for key in "cdef":
        cache.put(key, page(20))
    assert cache.get("a") is not None and cache.get("b") is None
    cache.put("huge", page(60))  # over a quarter of the cache: never kept
    assert cache.get("huge") is None
    assert sum(len(kept.body) for kept in cache._pages.values()) <= 100
