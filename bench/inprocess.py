"""Pages and writes measured in this process (create_app + TestClient, no HTTP): SQL statements and times.

Every statement sent on the engine counts, by any connection (a page's own short write transactions too:
the audited health read, the tablet's clock), except BEGIN, COMMIT, ROLLBACK and PRAGMA — the rule of
tests/conftest.py's `queries` fixture. Each count is taken on a fresh sign-in, so the once-a-minute session
touch never falls in it. Pages are built on every request here (no kept pages: nursery_ops.pagecache).
"""

import statistics
import time

from sqlalchemy import Engine, event, func, select
from sqlmodel import Session

from bench import pages as P
from bench.generate import BENCH_TOKEN, RoomPlan, prepare_today

CSRF_COOKIE_VALUE = "bench-csrf"


class StatementCounter:
    def __init__(self, engine: Engine):
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, _conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(("BEGIN", "PRAGMA", "COMMIT", "ROLLBACK")):
            self.count += 1


def measure(engine: Engine, rooms: tuple[RoomPlan, ...], repeats: int) -> dict:
    """{request name: {status, statements, ms (median of `repeats`, None without), bytes}} after laying out today."""
    from fastapi.testclient import TestClient
    from sqlmodel import select as model_select

    from nursery_ops.app import create_app
    from nursery_ops.auth import csrf
    from nursery_ops.auth.access import SESSION_COOKIE
    from nursery_ops.auth.models import Person
    from nursery_ops.auth.service import start_session
    from nursery_ops.clock import local_today

    today = local_today()
    prepare_today(engine, today, rooms)
    targets = P.find_targets(engine, today)
    app = create_app(engine=engine)
    # Each page built on every request: its statements and time are the build's, not a kept page's (a kept
    # page costs the sign-in's statement; the servers keep pages as a nursery's would).
    app.state.page_cache = None
    clients: dict[str, TestClient] = {}
    header = {"X-CSRF-Token": csrf._sign(CSRF_COOKIE_VALUE)}

    def client(persona: str, fresh: bool = False) -> TestClient:
        """A browser of `persona` (signed in without the password: no argon2 here); `fresh` signs in anew."""
        if persona in clients and not fresh:
            return clients[persona]
        http = clients.get(persona) or TestClient(app, base_url="http://testserver", follow_redirects=False)
        http.cookies.set(csrf.COOKIE, CSRF_COOKIE_VALUE, domain="testserver.local")
        if persona:
            with Session(engine) as session:
                person = session.exec(model_select(Person).where(Person.username == persona)).one()
                token = start_session(session, person, "bench", "127.0.0.1")
                session.commit()
            http.cookies.set(SESSION_COOKIE, token, domain="testserver.local")
        clients[persona] = http
        return http

    def send(request: P.Request):
        headers = {**header, **({"HX-Request": "true"} if request.htmx else {})}
        return client(request.persona).request(request.method, request.path, data=request.form or None, headers=headers)

    counter = StatementCounter(engine)

    def take(name: str, persona: str, make, available: int) -> dict:
        send(make(0))  # warm: templates compiled, caches filled
        client(persona, fresh=True)
        counter.count = 0
        response = send(make(1))
        statements = counter.count
        times = []
        for number in range(2, min(repeats, available) + 2):
            started = time.perf_counter()
            send(make(number))
            times.append((time.perf_counter() - started) * 1000)
        return {"status": response.status_code, "statements": statements,
                "ms": round(statistics.median(times), 2) if times else None, "bytes": len(response.content)}

    requests = dict(P.pages(targets))
    if targets.small_room != targets.read_room:
        requests["room_view_small"] = P.room_view_of(targets, targets.small_room)
    out = {name: take(name, request.persona, lambda _number, request=request: request, repeats)
           for name, request in requests.items()}
    out["log_entry"] = take("log_entry", targets.caregivers[targets.write_room],
                            lambda number: P.log_entry(targets, number, BENCH_TOKEN + "inprocess-"), repeats)
    if len(targets.arrivals) >= 2:
        arrivals = iter(targets.arrivals)
        out["check_in"] = take("check_in", targets.caregivers[targets.arrivals[0][0]],
                               lambda _number: P.check_in(targets, next(arrivals)), len(targets.arrivals) - 2)
    out["_room_children"] = {"read_room": _room_size(engine, targets.read_room),
                             "small_room": _room_size(engine, targets.small_room)}
    event.remove(engine, "before_cursor_execute", counter._count)
    return out


def _room_size(engine: Engine, room_id: int) -> int:
    enrolment = P.tables["enrolment"]
    with engine.connect() as connection:
        return connection.execute(select(func.count()).where(enrolment.c.room_id == room_id,
                                                             enrolment.c.status == "enrolled")).scalar()
