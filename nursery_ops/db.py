"""Engine and sessions.

SQLite runs in WAL mode with foreign keys on, and every request that may write
opens its transaction with BEGIN IMMEDIATE so concurrent writers queue on the
busy timeout instead of failing half-way with "database is locked".
PostgreSQL needs none of this; the same code runs on both.

A writer waiting on the busy timeout blocks its thread, and `async def` routes
run their database work on the event loop's thread. So on SQLite, requests that
may write also take turns per event loop (`write_turn`): otherwise one request
waits on the loop for the lock while the request holding it waits for the loop,
until the busy timeout ends both in "database is locked".
"""

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from enum import Enum
from functools import lru_cache
from pathlib import Path
from weakref import WeakKeyDictionary

try:
    import fcntl
except ImportError:  # Windows has none: workers there wait on SQLite's busy timeout alone
    fcntl = None

from sqlalchemy import DateTime, Engine, MetaData, event
from sqlalchemy import Enum as SAEnum
from sqlalchemy.engine import make_url
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, SQLModel, create_engine

from nursery_ops.settings import get_settings

metadata: MetaData = SQLModel.metadata

WRITE = {"nursery_write": True}


def enum_type(enum_class: type[Enum]) -> SAEnum:
    """Store an enum as its value in a VARCHAR (no database enum types to migrate)."""
    return SAEnum(
        enum_class,
        native_enum=False,
        length=24,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class UtcDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp on every database (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store timezone-aware UTC timestamps only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


# Sync routes and dependencies run in anyio's worker threads (40 by default), each holding one
# connection for its request: a pool smaller than that makes a busy moment queue on the pool's
# 30-second timeout instead of on the threads. PostgreSQL keeps a quarter of them open and opens
# the rest when needed; a SQLite file's connections are cheap.
def _pool(connections: int) -> dict:
    kept = max(1, connections // 4)
    return {"pool_size": kept, "max_overflow": connections - kept}


def build_engine(url: str, *, stamp_writes: bool = True) -> Engine:
    """The engine for `url`, every commit stamping the tables it wrote (nursery_ops.pagecache).

    The migrations run without stamps: the app is stopped then, and the pages it kept went with it.
    """
    from nursery_ops import pagecache  # it reads the templates' helpers, which read the models

    engine = _engine(url)
    if stamp_writes:
        pagecache.install(engine)
    return engine


def _engine(url: str) -> Engine:
    if not is_sqlite(url):
        return create_engine(url, pool_pre_ping=True, **_pool(get_settings().database_connections))

    database = make_url(url).database
    pool = {}
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
        # As many again for the short writes some page views make beside their read (audit.record_read).
        pool = {"pool_size": get_settings().database_connections, "max_overflow": get_settings().database_connections}
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **pool)

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite would defer it).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=FULL")
        # 1 MiB of pages per connection, not SQLite's 2: a worker holds up to 2 × DATABASE_CONNECTIONS of
        # them, and the system's file cache holds the file once for all.
        cursor.execute("PRAGMA cache_size=-1024")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(connection):
        if connection.get_execution_options().get("nursery_write"):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")

    return engine


@lru_cache
def get_engine() -> Engine:
    return build_engine(get_settings().database_url)


def open_session(engine: Engine, *, write: bool) -> Session:
    """A session whose first statement opens a read or a write transaction."""
    bind = engine.execution_options(**WRITE) if write else engine
    return Session(bind=bind, expire_on_commit=False)


_write_turns: WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = WeakKeyDictionary()
WRITE_TURN = "nursery_write_turn"  # session.info: the request's WriteTurn (auth.access.get_session)


class WriteTurn:
    """A request's turn to write to a SQLite file (write_turn): its event loop's lock and the file's.

    It ends when the request ends, or as soon as its changes are committed (`end_writes`): a tablet's
    tap then holds the turn while it writes, not while its answer is rendered too.
    """

    def __init__(self, engine: Engine, loop: asyncio.AbstractEventLoop, lock: asyncio.Lock):
        self.engine, self.loop, self.lock = engine, loop, lock
        self.descriptor: int | None = None
        self.ended = False

    def end(self) -> None:
        if self.ended:
            return
        self.ended = True
        if self.descriptor is not None:
            os.close(self.descriptor)  # and with it the file's lock
        try:
            on_loop = asyncio.get_running_loop() is self.loop
        except RuntimeError:  # a sync route's worker thread
            on_loop = False
        if on_loop:
            self.lock.release()
        else:
            self.loop.call_soon_threadsafe(self.lock.release)


@asynccontextmanager
async def write_turn(engine: Engine, write: bool) -> AsyncIterator[WriteTurn | None]:
    """Hold a request that may write until no other one of this event loop writes to SQLite.

    The wait is awaited, so the loop goes on serving the writer ahead. The short write
    transactions of their own that page views open (audit reads in sync routes, the session's
    last-seen times after the read, auth.access) run in worker threads and never wait for the
    loop, so they need no turn (an `async def` page view must not open one on the loop). The workers
    (processes) on the same file then take turns on a lock file (`_take_file_turn`); PostgreSQL locks
    rows, not the file: no turn (None).
    """
    if not write or engine.dialect.name != "sqlite":
        yield None
        return
    loop = asyncio.get_running_loop()
    lock = _write_turns.get(loop)
    if lock is None:
        lock = _write_turns[loop] = asyncio.Lock()
    await lock.acquire()
    turn = WriteTurn(engine, loop, lock)
    try:
        turn.descriptor = await _take_file_turn(engine.url.database)
        yield turn
    finally:
        turn.end()


async def _take_file_turn(database: str | None) -> int | None:
    """The turn among the workers (processes) on one SQLite file: an exclusive lock on `<file>.write-lock`,
    held until the descriptor returned is closed (None: no file to lock).

    SQLite's own busy wait sleeps in steps of up to 100 ms, so a writer of another worker could sleep on
    long after the lock was free; this lock is tried each millisecond on the loop instead.
    """
    if fcntl is None or not database or database == ":memory:":
        return None
    descriptor = os.open(f"{database}.write-lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return descriptor
            except BlockingIOError:
                await asyncio.sleep(0.001)
    except BaseException:  # cancelled while waiting: the client went away
        os.close(descriptor)
        raise


def end_writes(session: Session) -> None:
    """The request's changes are committed: it reads on in read transactions, and the next writer takes
    its turn now (rooms.day.after_action, before the tablet's answer is rendered).

    Nothing happens while changes are still to be committed, nor on PostgreSQL (no turn).
    """
    turn = session.info.get(WRITE_TURN)
    if turn is None or turn.ended or session.new or session.dirty or session.deleted:
        return
    if session.in_transaction():
        session.commit()  # what was read since the commit, in a write transaction: nothing to write
    session.bind = turn.engine
    turn.end()


@contextmanager
def write_session(engine: Engine | None = None) -> Iterator[Session]:
    """One unit of work outside a request (CLI, demo loader): commit or roll back."""
    session = open_session(engine or get_engine(), write=True)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
