"""Who may use each route — declared on the route, checked here, in one place.

Every route takes one of these as a parameter (or in `dependencies=`); a test
walks the app's routes and fails on any route without one.

    person: Director            # director only
    person: Staff               # director, caregiver or health officer
    person: SignedIn            # anyone signed in (parents too)
    _: Public                   # no sign-in needed (login page, /healthz)

A director whom the policy requires to use the two-step sign-in, and who has not set
it up, is sent to set it up from every route but those declared with
`while_two_step_due=True` (the set-up pages and signing out).
"""

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine, inspect, update
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from nursery_ops import pagecache
from nursery_ops.auth.models import STAFF_ROLES, LoginSession, Role
from nursery_ops.auth.service import CurrentPerson, load_session
from nursery_ops.clock import utcnow
from nursery_ops.db import WRITE_TURN, open_session, write_turn
from nursery_ops.errors import Forbidden, LoginRequired, TwoStepSetupDue
from nursery_ops.settings import get_settings

SESSION_COOKIE = "nursery_session"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One database session per request; requests that may write open a write transaction (in turn, see db.write_turn)."""
    write = request.method in UNSAFE
    pagecache.begin_request(reading=not write)
    async with write_turn(request.app.state.engine, write) as turn:
        session = open_session(request.app.state.engine, write=write)
        session.info[WRITE_TURN] = turn
        try:
            yield session
        finally:
            # close() ends an uncommitted transaction without expiring loaded rows, so an
            # error page can still show the signed-in person after the session is gone.
            try:
                # A rollback (a route's own, or a failed flush's) expires them: reload the person for that page.
                me = getattr(request.state, "me", None)
                if me is not None and inspect(me.person).expired:
                    session.rollback()
                    session.refresh(me.person)
            finally:
                session.close()
    seen = getattr(request.state, "session_seen", None)
    if seen:
        # After the read's connection went back to the pool (never two at once), and in a thread: the
        # write may wait on SQLite's lock, which must not hold up the event loop.
        await run_in_threadpool(_write_seen, request.app.state.engine, request.state.me.session_token_hash, seen)


def _write_seen(engine: Engine, token_hash: str, values: dict) -> None:
    with open_session(engine, write=True) as writer:
        writer.exec(update(LoginSession).where(LoginSession.token_hash == token_hash).values(**values))
        writer.commit()


def mark_session_seen(request: Request, session: Session, me: CurrentPerson, **values: datetime) -> None:
    """Write `values` (last_seen_at, the tablet's acting_seen_at) to the sign-in's row.

    A form post holds the write transaction already: written there. A page view reads, so the
    values wait for its end and go in one short write transaction of their own (get_session).
    """
    if request.method in UNSAFE:
        session.exec(update(LoginSession).where(LoginSession.token_hash == me.session_token_hash).values(**values))
    else:
        request.state.session_seen = {**getattr(request.state, "session_seen", {}), **values}


DbSession = Annotated[Session, Depends(get_session)]


def current_person(request: Request, session: DbSession) -> CurrentPerson | None:
    """The signed-in person, or None; remembered on request.state for templates."""
    if hasattr(request.state, "me"):
        return request.state.me
    me = load_session(session, request.cookies.get(SESSION_COOKIE), get_settings())
    request.state.me = me
    if me is not None and me.needs_touch:
        mark_session_seen(request, session, me, last_seen_at=utcnow())
    return me


def require(*roles: Role, while_two_step_due: bool = False):
    """A dependency admitting signed-in people holding any of `roles` (all signed-in if none)."""

    # async: no I/O here, so no trip to a worker thread either.
    async def dependency(me: Annotated[CurrentPerson | None, Depends(current_person)]) -> CurrentPerson:
        if me is None:
            raise LoginRequired()
        if me.two_step_due and not while_two_step_due:
            raise TwoStepSetupDue()
        if roles and not me.has(*roles):
            raise Forbidden()
        return me

    dependency.access_rule = ", ".join(sorted(roles)) or "signed-in"
    return dependency


async def public(me: Annotated[CurrentPerson | None, Depends(current_person)]) -> CurrentPerson | None:
    return me


public.access_rule = "public"

Director = Annotated[CurrentPerson, Depends(require(Role.director))]
Staff = Annotated[CurrentPerson, Depends(require(*STAFF_ROLES))]
RoomStaff = Annotated[CurrentPerson, Depends(require(Role.director, Role.caregiver))]
HealthStaff = Annotated[CurrentPerson, Depends(require(Role.director, Role.health))]
Parent = Annotated[CurrentPerson, Depends(require(Role.parent))]
SignedIn = Annotated[CurrentPerson, Depends(require())]
# Reachable by a director who still has to set up the two-step sign-in (see the module docstring).
SigningOut = Annotated[CurrentPerson, Depends(require(while_two_step_due=True))]
StaffSettingUpTwoStep = Annotated[CurrentPerson, Depends(require(*STAFF_ROLES, while_two_step_due=True))]
Public = Annotated[CurrentPerson | None, Depends(public)]
