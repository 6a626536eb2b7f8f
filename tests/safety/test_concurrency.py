"""Sixteen members of staff writing at once to one database: no "database is locked", no lost write.

The real server (`python -m nursery_ops serve`, one uvicorn worker) runs in its own process on a
migrated SQLite file — and on PostgreSQL when TEST_POSTGRES_URL is set. Sixteen signed-in
clients (twelve caregivers at four room tablets, four director sessions) post daily-log entries
and incidents as fast as the server answers, for WRITE_SECONDS. Every post carries a form token
of its own; every post the app accepted must be a row afterwards, and none may fail.
"""

import os
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from itertools import cycle

import httpx

from tests.safety.uvicorn_process import (
    LOCK_ERROR,
    Server,
    Tablet,
    accepted,
    build_nursery,
    log_note,
    morning_clock,  # noqa: F401  (fixture: the wall clock)
    new_token,
    record_incident,
    stored_tokens,
)
from tests.test_migrations import database_url  # noqa: F401  (fixture: a SQLite file or a PostgreSQL schema)

WRITERS = 16
DIRECTOR_SESSIONS = 4  # the other writers are caregivers, three to each of four rooms
# A few seconds in `make test`; NURSERY_SOAK=1 runs the ten.
WRITE_SECONDS = 10.0 if os.environ.get("NURSERY_SOAK") == "1" else 3.0
LOG_KINDS = ("note", "activity", "mood", "bottle")


def write_until(deadline: float, start: threading.Barrier, post) -> list[tuple[str, int | str]]:
    """`post(token)` with fresh tokens until the deadline: (token, "saved", the status, or the transport error)."""
    results = []
    start.wait()
    while time.monotonic() < deadline:
        token = new_token()
        try:
            response = post(token)
        except httpx.TransportError as error:
            results.append((token, type(error).__name__))
            continue
        results.append((token, "saved" if accepted(response) else response.status_code))
    return results


def caregiver_posts(tablet: Tablet, room):
    """Entries for the room's children in turn, one kind after another."""
    kinds, children = cycle(LOG_KINDS), cycle(room.child_ids)
    return lambda token: log_note(tablet, room, next(children), token, next(kinds))


def director_posts(tablet: Tablet, rooms, start: int):
    """An incident, then entries, for every child of every room in turn (each session from its own child)."""
    places = [(room, child_id) for room in rooms for child_id in room.child_ids]
    children, kinds = cycle(places[start:] + places[:start]), cycle(("incident", *LOG_KINDS))

    def post(token):
        (room, child_id), kind = next(children), next(kinds)
        if kind == "incident":
            return record_incident(tablet, child_id, token)
        return log_note(tablet, room, child_id, token, kind)

    return post


def test_sixteen_writers_get_no_lock_errors_and_every_saved_write_is_in_the_database(database_url, tmp_path):
    nursery = build_nursery(database_url, rooms=4, caregivers_per_room=3, children_per_room=4)
    server = Server(database_url, tmp_path).start()
    try:
        people = [(username, room) for room in nursery.rooms for username in room.caregivers]
        people += [(nursery.director, None)] * DIRECTOR_SESSIONS
        assert len(people) == WRITERS
        with ThreadPoolExecutor(WRITERS) as pool:
            tablets = list(pool.map(lambda person: Tablet(server.base_url, person[0]), people))
            posts = [
                caregiver_posts(tablet, room) if room is not None else director_posts(tablet, nursery.rooms, 3 * index)
                for index, (tablet, (_username, room)) in enumerate(zip(tablets, people, strict=True))
            ]
            start = threading.Barrier(WRITERS)
            deadline = time.monotonic() + WRITE_SECONDS
            results = [r for rs in pool.map(lambda post: write_until(deadline, start, post), posts) for r in rs]
        for tablet in tablets:
            tablet.close()
    finally:
        server.stop()

    outcomes = Counter(outcome for _token, outcome in results)
    print(f"{WRITERS} writers, {WRITE_SECONDS:g} s on {database_url.split(':')[0]}: {dict(outcomes)}")  # pytest -s
    log = server.log()
    assert log.count(LOCK_ERROR) == 0, f"{log.count(LOCK_ERROR)} lock errors; outcomes {dict(outcomes)}\n{log[-3000:]}"
    assert set(outcomes) == {"saved"}, f"outcomes {dict(outcomes)}\n{log[-3000:]}"
    assert outcomes["saved"] >= WRITERS * 2, f"too few writes to prove anything: {dict(outcomes)}"
    saved = {token for token, outcome in results if outcome == "saved"}
    assert saved - stored_tokens(database_url) == set(), "writes answered as saved are missing"
