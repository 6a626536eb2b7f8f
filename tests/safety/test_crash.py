"""The server killed in the middle of the day's writes: the database is whole, and nothing it confirmed is lost.

The real server (`python -m nursery_ops serve`) runs on a SQLite file while three caregivers'
tablets post daily-log entries as fast as it answers; after STREAM_SECONDS it gets SIGKILL
(no shutdown, no checkpoint: the WAL holds the latest commits). Then it is started again on the
same file. Every entry it answered as saved must be there, each with its audit entry (one
transaction: a crash leaves both or neither), and SQLite's own checks must find nothing wrong.
A power cut (lost OS buffers) is not simulated: that is what `synchronous=FULL` is for.
"""

import sqlite3
import threading
import time

import httpx
from sqlmodel import func, select

from nursery_ops.audit import AuditEntry
from nursery_ops.dailylog.models import LogEntry
from nursery_ops.db import build_engine, open_session
from tests.safety.uvicorn_process import (
    Server,
    Tablet,
    accepted,
    build_nursery,
    log_note,
    morning_clock,  # noqa: F401  (fixture: the wall clock)
    new_token,
    stored_tokens,
)

TABLETS = 3
STREAM_SECONDS = 1.5
KINDS = ("note", "bottle", "activity", "mood")


def stream(tablet: Tablet, room, kinds: tuple[str, ...], results: list, stop: threading.Event) -> None:
    """Post entries until the server is gone; (token, answered as saved) for each one sent."""
    n = 0
    while not stop.is_set():
        token = new_token()
        try:
            response = log_note(tablet, room, room.child_ids[n % len(room.child_ids)], token, kinds[n % len(kinds)])
        except httpx.TransportError:
            results.append((token, False))  # in flight at the kill: saved or not, either is right
            return
        results.append((token, accepted(response)))
        n += 1


def sqlite_checks(path) -> tuple[str, list]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute("PRAGMA integrity_check").fetchone()[0], connection.execute(
            "PRAGMA foreign_key_check"
        ).fetchall()
    finally:
        connection.close()


def entries_without_their_audit(url: str) -> int:
    engine = build_engine(url)
    try:
        with open_session(engine, write=False) as session:
            audited = select(AuditEntry.entity_id).where(AuditEntry.entity == "log_entry",
                                                         AuditEntry.action == "log_entry_recorded")
            return session.exec(select(func.count()).select_from(LogEntry).where(LogEntry.id.not_in(audited))).one()
    finally:
        engine.dispose()


def test_a_server_killed_mid_stream_restarts_on_a_whole_database_with_every_confirmed_write(tmp_path):
    path = tmp_path / "nursery.db"
    url = f"sqlite:///{path}"
    nursery = build_nursery(url, rooms=1, caregivers_per_room=TABLETS, children_per_room=4)
    room = nursery.rooms[0]
    server = Server(url, tmp_path).start()
    results: list[tuple[str, bool]] = []
    stop = threading.Event()
    try:
        tablets = [Tablet(server.base_url, username) for username in room.caregivers]
        threads = [threading.Thread(target=stream, args=(tablet, room, KINDS, results, stop)) for tablet in tablets]
        for thread in threads:
            thread.start()
        time.sleep(STREAM_SECONDS)
        assert (tmp_path / "nursery.db-wal").exists(), "no write-ahead log to recover: the kill would prove little"
        server.kill()
        for thread in threads:
            thread.join(timeout=30)
        for tablet in tablets:
            tablet.close()

        confirmed = {token for token, saved in results if saved}
        print(f"killed after {len(confirmed)} confirmed writes of {len(results)} sent")  # pytest -s
        assert len(confirmed) >= TABLETS, f"too few writes before the kill to prove anything: {len(results)} sent"

        # Restarted on the file as the kill left it (the write-ahead log not checkpointed) ...
        server.start()
        assert sqlite_checks(path) == ("ok", [])
        assert confirmed <= stored_tokens(url), "writes confirmed before the kill are missing"
        after = Tablet(server.base_url, room.caregivers[0])
        token = new_token()
        assert accepted(log_note(after, room, room.child_ids[0], token, "note")), "the restarted server cannot write"
        after.close()
    finally:
        stop.set()
        server.stop()

    # ... and after it wrote to it and stopped.
    assert sqlite_checks(path) == ("ok", [])
    assert confirmed | {token} <= stored_tokens(url), "writes confirmed before the kill are missing"
    assert entries_without_their_audit(url) == 0
