"""Pages answered again without being built again, while nothing they read has changed.

Every commit that writes a table stamps it with a new random version (`table_version`, in the
same transaction, from an engine event: ORM flushes, Core statements, the command line and the
migrations alike). During a page view, every statement's tables are noted. A page route declared
with `kept_page` keeps its response under a key — the sign-in and who acts on its tablet, the
address, htmx's target, the language, the CSRF cookie and the browser's last-change cookie — together
with the minute it was built in and the versions of the tables it read. The next request with that
key in that minute gets the kept response while each of those tables still has the same version: the
sign-in's one statement (which reads the versions too) instead of the page's ten.

How far behind a kept page can be:
- never behind its own browser's changes: every answer to a POST carries a new last-change cookie
  (WROTE_COOKIE), so the pages that browser asks for next are built after its change;
- behind someone else's change by at most FRESH_FOR_S (a second) after the page's build: under a
  stream of changes (every tablet logging at 8:30) each page is built about once a second per key,
  not once per change, and a tablet's tap does not wait behind pages rebuilt for every other tap;
- while a page is being built anew, whoever else asks for it with its key gets the one before, if
  that one is under REBUILT_BEHIND_S old or differs only by the clock: nobody queues behind a build;
- a page is kept for the minute it was built in: one that counts minutes (a nap, a bottle) or changes
  at a time of day (an absence cut-off, the midday check) is built anew each minute;
- the versions and the page's rows are read in one read transaction (SQLite's snapshot); on
  PostgreSQL the versions are read first, so a page is never older than the versions it is kept under;
- a page whose view wrote anything, ran a statement whose tables cannot be known (plain SQL text)
  or carries a one-time form token (a double-tap guard) is never kept;
- versions are random, not counters: a restored backup brings back its own versions with its rows.

The sign-in and the access rules are checked on every request, before any kept page.

Sign-ins (`login_session`, last seen) and the audit log (audited reads) are written by page views
themselves and carry no version: a page that reads them is never kept, but for the sign-in check
every request makes anew before its page. A read that must be audited each time
(audit.record_read) is recorded again on every answer.
"""

import functools
import inspect
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from weakref import WeakKeyDictionary

from fastapi import Request
from fastapi.responses import Response
from starlette.datastructures import MutableHeaders
from starlette.concurrency import run_in_threadpool
from sqlalchemy import BigInteger, Engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import visitors
from sqlalchemy.sql.compiler import Compiled, DDLCompiler
from sqlalchemy.sql.expression import TableClause
from sqlmodel import Field, Session, SQLModel

from nursery_ops.auth import csrf
from nursery_ops.clock import utcnow
from nursery_ops.settings import get_settings
from nursery_ops.templating import is_htmx, translator_for

# Written by page views themselves: sign-ins (last seen) and the audit log (audited reads). Never stamped,
# so a page that reads them is never kept — but for what every request reads with its sign-in, checked anew
# before each page.
UNVERSIONED = frozenset({"login_session", "audit_entry", "table_version"})
READ_WITH_SIGN_IN = frozenset({"login_session", "table_version"})
UNKNOWN = "*"  # written by a statement whose tables are unknown: every kept page depends on it
VERSIONS_KEY = "table_versions"  # session.info: the versions read with the sign-in (auth.service.load_session)
_WRITTEN = "nursery_written_tables"  # connection.info: the tables this transaction wrote
# Transaction control and schema changes (migrations run with the app stopped: its kept pages go with it).
_NOT_DATA = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA", "SET ", "SHOW ", "CREATE", "ALTER", "DROP")
_READS = ("SELECT", "WITH", "VALUES", "EXPLAIN")
ONE_TIME_FORM = b'name="form_token"'
# A kept page whose tables changed since is answered to its key for this long after it was built: under a
# stream of changes each page is built about once a second, not once per change. Never to a browser
# that sent a change since: WROTE_COOKIE is part of the key.
FRESH_FOR_S = 1.0
REBUILT_BEHIND_S = 10.0  # while a page is built anew, the one before is answered to its key up to this old
WROTE_COOKIE = "nursery_wrote"


class TableVersion(SQLModel, table=True):
    """The random version each table got from the last commit that wrote it."""

    __tablename__ = "table_version"

    table_name: str = Field(primary_key=True, max_length=64)
    version: int = Field(sa_type=BigInteger)


# ---------------------------------------------------------------- what each statement touches


@dataclass
class PageReads:
    """What this request's statements read; `keepable` falls when one wrote or could not be read."""

    tables: set[str] = field(default_factory=set)
    keepable: bool = True
    replays: list[Callable[[], None]] = field(default_factory=list)
    paused: int = 0


_reads: ContextVar[PageReads | None] = ContextVar("page_reads", default=None)
_tables_of_compiled: "WeakKeyDictionary[Compiled, tuple[bool, frozenset[str]]]" = WeakKeyDictionary()
_tables_lock = threading.Lock()


def begin_request(reading: bool) -> None:
    """A request starts: note what its statements read when it is a page view (db sessions call this)."""
    _reads.set(PageReads() if reading else None)


def _statement_tables(compiled: Compiled | None, sql: str) -> tuple[bool, frozenset[str]] | None:
    """(writes, tables) of one statement; None for transaction control and schema. No tables: unknown."""
    if isinstance(compiled, DDLCompiler):
        return None
    if compiled is not None and compiled.statement is not None:
        with _tables_lock:
            known = _tables_of_compiled.get(compiled)
        if known is None:
            writes = bool(compiled.isinsert or compiled.isupdate or compiled.isdelete)
            target = getattr(compiled.statement, "table", None) if writes else None
            if isinstance(target, TableClause):
                tables = frozenset({target.name})
            else:
                tables = frozenset(
                    element.name for element in visitors.iterate(compiled.statement) if isinstance(element, TableClause)
                )
            if not tables:  # plain SQL text in a text() construct
                writes = not sql.lstrip().upper().startswith(_READS)
            known = (writes, tables)
            with _tables_lock:
                _tables_of_compiled[compiled] = known
        return known
    head = sql.lstrip().upper()
    if head.startswith(_NOT_DATA):
        return None
    return (not head.startswith(_READS), frozenset())


def _on_statement(connection, _cursor, sql, _parameters, context, _executemany) -> None:
    facts = _statement_tables(getattr(context, "compiled", None), sql)
    if facts is None:
        return
    writes, tables = facts
    if writes:
        written = (tables - UNVERSIONED) if tables else {UNKNOWN}
        if written:
            connection.info.setdefault(_WRITTEN, set()).update(written)
    reads = _reads.get()
    if reads is not None and not reads.paused:
        if writes or not tables or (tables & UNVERSIONED) - READ_WITH_SIGN_IN:
            reads.keepable = False
        else:
            reads.tables.update(tables - READ_WITH_SIGN_IN)


def _stamp(connection) -> None:
    """Before the commit: a new version for each table the transaction wrote (one statement)."""
    written = connection.info.pop(_WRITTEN, None)
    if not written:
        return
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(TableVersion).values(
        [{"table_name": name, "version": secrets.randbits(62)} for name in sorted(written)]
    )
    connection.execute(statement.on_conflict_do_update(
        index_elements=["table_name"], set_={"version": statement.excluded.version}
    ))


def _forget(connection) -> None:
    connection.info.pop(_WRITTEN, None)


def install(engine: Engine) -> None:
    """Stamp written tables and note page reads on every connection of `engine` (db.build_engine, create_app)."""
    if event.contains(engine, "commit", _stamp):
        return
    event.listen(engine, "before_cursor_execute", _on_statement)
    event.listen(engine, "commit", _stamp)
    event.listen(engine, "rollback", _forget)


@contextmanager
def on_every_answer(replay: Callable[[], None]) -> Iterator[None]:
    """Run a page view's own write (an audited read) unnoticed, and again whenever its page is served kept."""
    reads = _reads.get()
    if reads is None:
        yield
        return
    reads.replays.append(replay)
    reads.paused += 1
    try:
        yield
    finally:
        reads.paused -= 1


# ---------------------------------------------------------------- the kept pages


def versions_from_text(text: str | None) -> dict[str, int]:
    """"name=version,..." as auth.service.load_session reads it beside the sign-in."""
    return {name: int(version) for name, _, version in (item.partition("=") for item in (text or "").split(",")) if version}


@dataclass(frozen=True)
class KeptPage:
    minute: datetime  # when it was built, to the minute (UTC)
    read_at: float  # time.monotonic() when its request read the sign-in, with the versions (its rows' age)
    versions: tuple[tuple[str, int | None], ...]
    body: bytes
    headers: tuple[tuple[str, str], ...]
    replays: tuple[Callable[[], None], ...]

    def unchanged(self, versions: dict[str, int]) -> bool:
        """No table it read has been written since it was built."""
        return all(versions.get(name) == version for name, version in self.versions)

    def answers(self, versions: dict[str, int], rebuilding: bool = False) -> bool:
        """Whether it is answered: in its minute, while nothing it read has changed or for FRESH_FOR_S after
        its build; while it is being built anew, unless it is over REBUILT_BEHIND_S out of date."""
        age = time.monotonic() - self.read_at
        if rebuilding:
            return age < REBUILT_BEHIND_S or self.unchanged(versions)
        return self.minute == _this_minute() and (age < FRESH_FOR_S or self.unchanged(versions))

    def response(self) -> Response:
        return Response(self.body, headers=dict(self.headers))


class PageCache:
    """Kept pages of this worker, the least recently used dropped past `max_bytes`."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._pages: OrderedDict[tuple, KeptPage] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple) -> KeptPage | None:
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
            return page

    def put(self, key: tuple, page: KeptPage) -> None:
        if len(page.body) > self.max_bytes // 4:
            return
        with self._lock:
            old = self._pages.pop(key, None)
            if old is not None:
                self._bytes -= len(old.body)
            self._pages[key] = page
            self._bytes += len(page.body)
            while self._bytes > self.max_bytes:
                _key, dropped = self._pages.popitem(last=False)
                self._bytes -= len(dropped.body)


class NewKeyAfterChanges:
    """Every answer to a request that may change something carries a new WROTE_COOKIE: as part of the
    kept pages' key, it makes the next pages of that browser be built after its change (plain ASGI, as
    app.SecurityHeaders)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] in csrf.SAFE_METHODS:  # what the CSRF check lets by
            await self.app(scope, receive, send)
            return

        async def send_with_cookie(message):
            if message["type"] == "http.response.start":
                secure = "; Secure" if get_settings().cookie_secure else ""
                MutableHeaders(scope=message).append(
                    "set-cookie", f"{WROTE_COOKIE}={secrets.token_hex(8)}; HttpOnly; Path=/; SameSite=lax{secure}"
                )
            await send(message)

        await self.app(scope, receive, send_with_cookie)


# One page built at a time per worker: a tablet's tap (a write) shares the interpreter with one build
# at most, instead of with every page being rebuilt after the last change.
_building = threading.Lock()
_rebuilding: set[tuple] = set()  # keys being built anew: their page before is answered meanwhile (KeptPage.answers)


def _key(request: Request, session: Session) -> tuple | None:
    """The request's key, or None: never kept. No statement: the versions came with the sign-in."""
    me = getattr(request.state, "me", None)
    csrf_cookie = request.cookies.get(csrf.COOKIE)
    if (getattr(request.app.state, "page_cache", None) is None or _reads.get() is None or me is None
            or not csrf_cookie or session.info.get(VERSIONS_KEY) is None):
        return None
    return (
        # The sign-in and who acts on its tablet (rooms.tablet: a PIN switches them within one sign-in).
        me.session_token_hash, me.login.acting_person_id if me.login else None,
        request.url.path, request.url.query, is_htmx(request), request.headers.get("hx-target"),
        translator_for(request).locale, csrf_cookie, request.cookies.get(WROTE_COOKIE),
    )


def _this_minute() -> datetime:
    return utcnow().replace(second=0, microsecond=0)


def _build(request: Request, session: Session, key: tuple | None, build: Callable[[], Response], read_at: float
           ) -> Response | KeptPage:
    """Build the page (in a worker thread) and keep it when it only read versioned tables; or the page
    kept while this request waited for its turn."""
    with _building:
        # Requests for one page that came in while it was being built waited here: the first built it,
        # the rest are answered with what it kept.
        kept = request.app.state.page_cache.get(key) if key is not None else None
        if kept is not None and kept.answers(session.info[VERSIONS_KEY]):
            return kept
        minute = _this_minute()
        response = build()
        reads = _reads.get()
        if key is not None and reads.keepable and response.status_code == 200 and ONE_TIME_FORM not in response.body:
            versions = session.info[VERSIONS_KEY]
            headers = tuple((name, value) for name, value in response.headers.items()
                            if name not in ("content-length", "set-cookie"))
            request.app.state.page_cache.put(key, KeptPage(
                minute, read_at, tuple((name, versions.get(name)) for name in sorted(reads.tables | {UNKNOWN})),
                bytes(response.body), headers, tuple(reads.replays),
            ))
        return response


async def _answer_kept(kept: KeptPage) -> Response:
    for replay in kept.replays:
        await run_in_threadpool(replay)
    return kept.response()


def kept_page(route: Callable[..., Response]) -> Callable[..., Awaitable[Response]]:
    """A page route (a plain def taking `request` and `session`), answered again while unchanged.

    Declare it under @router.get. A kept page is answered on the event loop, with no trip to a worker
    thread (its audited reads are recorded in one); the route itself runs in a worker thread as before.
    """
    if inspect.iscoroutinefunction(route):
        raise TypeError("a kept page is a plain def: its statements run in a worker thread")

    @functools.wraps(route)
    async def page(*args, **kwargs) -> Response:
        request, session = kwargs["request"], kwargs["session"]
        read_at = time.monotonic()  # the sign-in, read just before, began the page's read transaction
        key = _key(request, session)
        if key is None:
            return await run_in_threadpool(_build, request, session, None, lambda: route(*args, **kwargs), read_at)
        kept = request.app.state.page_cache.get(key)
        if kept is not None and kept.answers(session.info[VERSIONS_KEY], rebuilding=key in _rebuilding):
            return await _answer_kept(kept)
        # The first to build a kept page anew marks it, and whoever else asks meanwhile gets the page before.
        rebuilding = kept is not None and key not in _rebuilding
        if rebuilding:
            _rebuilding.add(key)
        try:
            answer = await run_in_threadpool(_build, request, session, key, lambda: route(*args, **kwargs), read_at)
        finally:
            if rebuilding:
                _rebuilding.discard(key)
        # The audited reads of a page kept meanwhile are written after the turn: no build waits on them.
        return await _answer_kept(answer) if isinstance(answer, KeptPage) else answer

    return page
