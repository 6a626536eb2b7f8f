"""The database layer: SQLite pragmas, queued writers, aware timestamps."""

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlmodel import select

from nursery_ops.auth.models import LoginFailure
from nursery_ops.db import open_session


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
