"""The database layer: SQLite pragmas, queued writers, aware timestamps."""

import asyncio
import fcntl
import os
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, text
from sqlmodel import select

from nursery_ops.auth.models import LoginFailure
from nursery_ops.db import WRITE_TURN, end_writes, open_session, write_turn


def test_sqlite_runs_in_wal_with_foreign_keys_and_full_sync(engine):
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def test_concurrent_read_then_write_transactions_queue_instead_of_failing(engine):
    """Each writer reads, then writes: with a deferred BEGIN two of them would deadlock
    and one would fail with "database is locked"; BEGIN IMMEDIATE makes them queue."""
    failures: list[BaseException] = []
    barrier = threading.Barrier(6)

    def writer(number: int):
        barrier.wait()
        for attempt in range(15):
            try:
                with open_session(engine, write=True) as session:
                    count = len(session.exec(select(LoginFailure)).all())
                    session.add(LoginFailure(username=f"w{number}-{attempt}-{count}", address="test"))
                    session.commit()
            except BaseException as error:  # collected and reported by the assertion below
                failures.append(error)

    threads = [threading.Thread(target=writer, args=(number,)) for number in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with open_session(engine, write=False) as session:
        assert len(session.exec(select(LoginFailure)).all()) == 90


def test_timestamps_come_back_aware_in_utc(session):
    at = datetime(2026, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=8)))
    session.add(LoginFailure(username="someone", address="x", at=at))
    session.commit()
    session.expire_all()
    stored = session.exec(select(LoginFailure)).one().at
    assert stored == at and stored.tzinfo is not None and stored.utcoffset() == timedelta(0)


def test_naive_timestamps_are_refused(session):
    session.add(LoginFailure(username="someone", address="x", at=datetime(2026, 3, 1, 9, 30)))
    with pytest.raises(Exception, match="naive datetime"):
        session.commit()


def test_foreign_keys_are_enforced(session):
    with pytest.raises(Exception, match="FOREIGN KEY"):
        session.execute(text("INSERT INTO person_role (person_id, role) VALUES (424242, 'director')"))
        session.commit()


# ---------------------------------------------------------------- the write turn ends with the commit


def _statements(engine) -> list[str]:
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda _c, _cu, statement, *_a: seen.append(statement))
    return seen


def _file_is_free(engine) -> bool:
    """Whether another worker could take the file's write turn now."""
    descriptor = os.open(f"{engine.url.database}.write-lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(descriptor)


async def _a_request_that_wrote(engine, *, commit: bool = True, end_in_thread: bool = False):
    """A write request's turn and session (as auth.access.get_session opens them) after it saved a row and
    called end_writes; then what another writer of the same loop and the files say."""
    async with write_turn(engine, True) as turn:
        session = open_session(engine, write=True)
        session.info[WRITE_TURN] = turn
        session.add(LoginFailure(username="tap", address="tablet"))
        if commit:
            session.commit()
        if end_in_thread:  # a sync route runs in a worker thread
            await asyncio.to_thread(end_writes, session)
        else:
            end_writes(session)
        file_free = _file_is_free(engine)
        try:
            async with asyncio.timeout(0.5):
                async with write_turn(engine, True):
                    next_writer_went = True
        except TimeoutError:
            next_writer_went = False
        seen = _statements(engine)
        session.exec(select(LoginFailure)).all()
        session.close()
        return turn.ended, file_free, next_writer_went, [s for s in seen if s.startswith("BEGIN")]


def _on_a_loop_of_its_own(coroutine):
    """Run `coroutine` on a new event loop in a thread of its own, as a worker's (the browser tests leave one
    running in this thread)."""
    answer: list = []
    thread = threading.Thread(target=lambda: answer.append(asyncio.run(coroutine)))
    thread.start()
    thread.join()
    return answer[0]


@pytest.mark.parametrize("end_in_thread", [False, True])
def test_a_request_ends_its_write_turn_once_committed_and_reads_on_in_a_read_transaction(engine, end_in_thread):
    request = _a_request_that_wrote(engine, end_in_thread=end_in_thread)
    ended, file_free, next_writer_went, begins = _on_a_loop_of_its_own(request)
    assert ended and file_free and next_writer_went
    assert begins == ["BEGIN"]  # not IMMEDIATE: no write lock to render the answer


def test_a_request_with_changes_still_to_commit_keeps_its_turn(engine):
    ended, file_free, next_writer_went, _begins = _on_a_loop_of_its_own(_a_request_that_wrote(engine, commit=False))
    assert not ended and not file_free and not next_writer_went
