"""The room's day as the tablet shows it: one tile per child, and the room header.

`load_room_day(...)` reads the whole day in a fixed number of queries (a tablet
with 20 children must not issue 20× the statements); the template only reads
what it returns, so nothing loads lazily while rendering.

`after_action(request, session, actor, child_id)` is what every room action returns:
an htmx request gets the re-rendered tile of that child (and the room header, out of
band); a plain form post is sent back to the room with 303.
"""

import secrets
from functools import cache
from dataclasses import dataclass, field
from datetime import date, datetime, time

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Date, and_, bindparam, func, union
from sqlmodel import Session, col, select

from nursery_ops.attendance.models import (
    Absence,
    AbsenceReason,
    Attendance,
    MorningCheck,
)
from nursery_ops.attendance.rules import (
    absence_cutoff,
    children_per_caregiver,
    is_expected,
    needs_family_call,
    reason_needed,
    required_caregivers,
    sick_follow_up,
)
from nursery_ops.attendance.service import OnDuty, booking_exists_on, on_duty
from nursery_ops.children.models import Child
from nursery_ops.children.rules import completed_months
from nursery_ops.clock import to_local, utcnow
from nursery_ops.dailylog.models import (
    EntryKind,
    LogEntry,
    OutdoorShortfall,
    OutdoorTime,
)
from nursery_ops.dailylog.rules import sleep_check_overdue
from nursery_ops.db import end_writes
from nursery_ops.enrolment.models import CareType, Enrolment, EnrolmentStatus
from nursery_ops.illness.models import Illness, MiddayCheck
from nursery_ops.illness.service import TileHealth
from nursery_ops.medication.service import DoseDue, doses_due_joined
from nursery_ops.policy import Policy, load_policy
from nursery_ops.rooms.models import Room
from nursery_ops.rooms.service import holds_place_on
from nursery_ops.rooms.tablet import RoomActor, shared_tablet
from nursery_ops.templating import is_htmx, render

LATEST_ENTRIES = 3

@dataclass
class ChildDay:
    """One tile: the child, where their day stands, and what is due."""

    child: Child
    enrolment: Enrolment | None
    months: int
    expected: bool
    attendance: Attendance | None = None
    absence: Absence | None = None
    morning_check: MorningCheck | None = None
    entries: list[LogEntry] = field(default_factory=list)  # today's current entries, oldest first
    nap: LogEntry | None = None  # the open nap: the child is asleep
    last_sleep_check: LogEntry | None = None
    last_bottle: LogEntry | None = None
    reason_needed: bool = False
    reason_due_at: time | None = None  # the child's absence cut-off (by care type and half-day session)
    call_family: bool = False
    off_sick: bool = False  # off sick and not back since: followed up each day until return
    medication: list[DoseDue] = field(default_factory=list)  # today's authorised doses, in time order
    health: TileHealth | None = None  # the midday check and an open illness
    midday_due: bool = False  # present after the midday-check time without one (WARN)
    sleep_overdue: bool = False
    own_cutoff: bool = False  # the absence cut-off is not the room's usual one: the tile says when
    minutes_since_sleep_check: int = 0  # shown (and then counted on by tablet.js) while asleep
    minutes_since_bottle: int = 0

    @property
    def status(self) -> str:
        if self.attendance is not None:
            return "gone_home" if self.attendance.check_out_at else "arrived"
        if self.absence is not None:
            return "absent"
        return "expected"

    @property
    def present(self) -> bool:
        return self.status == "arrived"

    @property
    def latest(self) -> list[LogEntry]:
        return list(reversed(self.entries[-LATEST_ENTRIES:]))

    @property
    def sleep_since(self) -> datetime | None:
        """Where the sleep-check timer counts from: the last check of this nap, else its start."""
        if self.nap is None:
            return None
        return self.last_sleep_check.at if self.last_sleep_check else self.nap.started_at

    @property
    def hourly(self) -> bool:
        """Hourly and temporary care are billed to the minute: the tile shows times with care."""
        return self.enrolment is not None and self.enrolment.care_type in (CareType.hourly, CareType.temporary)

    def settle(self, now: datetime, policy: Policy, *, midday_checked: bool) -> None:
        """Work out what is due once the day's rows are in: the room view and the dashboard both call this."""
        local_now = to_local(now).time()
        self.midday_due = self.present and local_now >= policy.midday_check_due and not midday_checked
        # A check counts for the nap it follows by time, so a corrected nap keeps its checks.
        if self.nap is None or (self.last_sleep_check and self.last_sleep_check.at < self.nap.started_at):
            self.last_sleep_check = None
        if self.nap is not None:
            last_check = self.last_sleep_check.at if self.last_sleep_check else None
            self.sleep_overdue = self.present and sleep_check_overdue(self.nap.started_at, last_check, now, policy)
            self.minutes_since_sleep_check = int((now - self.sleep_since).total_seconds() // 60)
        if self.last_bottle is not None:
            self.minutes_since_bottle = int((now - self.last_bottle.at).total_seconds() // 60)
        if self.enrolment is not None:
            self.reason_due_at = absence_cutoff(self.enrolment.care_type, self.enrolment.half_day_session, policy)
            self.own_cutoff = self.reason_due_at != policy.absence_cutoff
            self.reason_needed = reason_needed(
                self.expected, self.attendance is not None, self.absence is not None, self.reason_due_at, local_now
            )
        self.call_family = self.absence is not None and needs_family_call(
            self.absence.reason, self.absence.family_called_at, self.attendance is not None
        )


@dataclass
class RoomDay:
    room: Room
    today: date
    now: datetime
    policy: Policy
    children: list[ChildDay]
    duty: list[OnDuty]
    outdoor_minutes: int
    outdoor_reason: str | None

    @property
    def present(self) -> list[ChildDay]:
        return [day for day in self.children if day.present]

    @property
    def expected_count(self) -> int:
        return sum(1 for day in self.children if day.expected)

    @property
    def counted(self) -> int:
        return sum(1 for person in self.duty if person.counted)

    @property
    def per_caregiver(self) -> int:
        births = [day.child.birth_date for day in self.present]
        return children_per_caregiver(births, self.room.room_type, self.today, self.policy)

    @property
    def required(self) -> int:
        return required_caregivers(len(self.present), self.per_caregiver)

    @property
    def below_ratio(self) -> bool:
        return self.counted < self.required

    @property
    def outdoor_warn(self) -> bool:
        # The warning waits for the afternoon (`outdoor_warn_from`): in the morning the day is not over.
        return (
            to_local(self.now).time() >= self.policy.outdoor_warn_from
            and self.outdoor_minutes < self.policy.outdoor_minutes
            and not self.outdoor_reason
        )

    @property
    def reasons_needed(self) -> int:
        return sum(1 for day in self.children if day.reason_needed)

    @property
    def calls_needed(self) -> int:
        return sum(1 for day in self.children if day.call_family)

    def child(self, child_id: int) -> ChildDay | None:
        return next((day for day in self.children if day.child.id == child_id), None)


def _latest_of_day(model, *where, order):
    """The id of each child's latest `model` row matching `where` (today's rows, through the on_date index),
    without reading the child's history: join on the child and rank 1."""
    return (
        select(model.id, model.child_id, func.row_number().over(partition_by=model.child_id, order_by=order).label("rank"))
        .where(*where)
        .subquery()
    )


ROOM, TODAY, CHILD = bindparam("room_id"), bindparam("today", type_=Date), bindparam("child_id")


@cache
def _tiles_statement(one_child: bool = False):
    """The room's children today (`room_id`, `today`; `child_id` too for one child's tile), one row each with
    their one-to-one facts of the day: one statement, built once (a request only binds its values).

    A child is on the room view when enrolled here today, or when they came in here today (even if not
    expected, or moved since). Beside the child: the enrolment here, whether a temporary-care day is
    booked, today's arrival and absence here, the latest morning check, the latest midday check and the
    open illness here, and the last sick day here and the last arrival (the off-sick follow-up).
    """
    enrolled_here = and_(Enrolment.room_id == ROOM, Enrolment.status == EnrolmentStatus.enrolled, holds_place_on(TODAY))
    here = union(
        select(Enrolment.child_id.label("child_id")).where(enrolled_here),
        select(Attendance.child_id.label("child_id")).where(Attendance.room_id == ROOM, Attendance.on_date == TODAY),
    ).subquery()
    booked = booking_exists_on(TODAY)
    # Both through the (child_id, on_date) unique indexes, bounded by today.
    last_sick = (
        select(func.max(Absence.on_date))
        .where(
            Absence.child_id == Child.id, Absence.on_date <= TODAY, Absence.reason == AbsenceReason.sick,
            Absence.room_id == ROOM, col(Absence.superseded_at).is_(None),
        )
        .correlate(Child)
        .scalar_subquery()
    )
    last_arrival = (
        select(func.max(Attendance.on_date))
        .where(Attendance.child_id == Child.id, Attendance.on_date <= TODAY)
        .correlate(Child)
        .scalar_subquery()
    )
    checks = _latest_of_day(
        MorningCheck, MorningCheck.on_date == TODAY, order=(col(MorningCheck.at).desc(), col(MorningCheck.id).desc())
    )
    middays = _latest_of_day(
        MiddayCheck, MiddayCheck.on_date == TODAY, MiddayCheck.room_id == ROOM,
        order=(col(MiddayCheck.at).desc(), col(MiddayCheck.id).desc()),
    )
    illnesses = _latest_of_day(
        Illness, Illness.on_date == TODAY, Illness.room_id == ROOM, col(Illness.outcome).is_(None),
        col(Illness.voided_at).is_(None), order=col(Illness.id).desc(),
    )
    statement = (
        select(Child, Enrolment, Attendance, Absence, MorningCheck, MiddayCheck, Illness, booked, last_sick, last_arrival)
        .select_from(here)
        .join(Child, Child.id == here.c.child_id)
        .outerjoin(Enrolment, and_(Enrolment.child_id == Child.id, enrolled_here))
        .outerjoin(Attendance, and_(
            Attendance.child_id == Child.id, Attendance.room_id == ROOM, Attendance.on_date == TODAY
        ))
        .outerjoin(Absence, and_(
            Absence.child_id == Child.id, Absence.room_id == ROOM, Absence.on_date == TODAY,
            col(Absence.superseded_at).is_(None),
        ))
        .outerjoin(checks, and_(checks.c.child_id == Child.id, checks.c.rank == 1))
        .outerjoin(MorningCheck, MorningCheck.id == checks.c.id)
        .outerjoin(middays, and_(middays.c.child_id == Child.id, middays.c.rank == 1))
        .outerjoin(MiddayCheck, MiddayCheck.id == middays.c.id)
        .outerjoin(illnesses, and_(illnesses.c.child_id == Child.id, illnesses.c.rank == 1))
        .outerjoin(Illness, Illness.id == illnesses.c.id)
        .order_by(Child.full_name, Child.id)
    )
    return statement.where(Child.id == CHILD) if one_child else statement


def _load_tiles(
    session: Session, room_id: int, today: date, policy: Policy, now: datetime, child_id: int | None = None
) -> dict[int, ChildDay]:
    """The tiles of the room's children (or of one child), settled: three statements whatever the children."""
    tiles: dict[int, ChildDay] = {}
    for (
        child, enrolment, attendance, absence, morning_check, midday_check, illness, booked, last_sick, last_arrival,
    ) in session.exec(
        _tiles_statement(child_id is not None),
        params={"room_id": room_id, "today": today, **({"child_id": child_id} if child_id is not None else {})},
    ).all():
        if child.id in tiles:
            continue  # a second enrolment holding a place here the same day: one tile
        expected = enrolment is not None and is_expected(
            enrolment.status, enrolment.care_type, enrolment.schedule_days, enrolment.start_date,
            enrolment.end_date, today, bool(booked),
        )
        # Not expected and not in: no tile (a temporary-care child on an unbooked day, a Saturday).
        if not (expected or attendance or absence):
            continue
        day = ChildDay(
            child, enrolment, completed_months(child.birth_date, today), expected,
            attendance=attendance, absence=absence, morning_check=morning_check,
        )
        last = {child.id: last_sick} if last_sick is not None else {}
        arrived = {child.id: last_arrival} if last_arrival is not None else {}
        day.off_sick = attendance is None and child.id in sick_follow_up(last, arrived)
        if midday_check is not None or illness is not None:
            day.health = TileHealth(midday_check, illness)
        tiles[child.id] = day
    child_ids = list(tiles)

    if child_ids:
        entries = session.exec(
            select(LogEntry)
            .where(
                LogEntry.on_date == today,
                col(LogEntry.child_id).in_(child_ids),
                col(LogEntry.voided_at).is_(None),
                col(LogEntry.replaced).is_(False),
            )
            .order_by(LogEntry.at, LogEntry.id)
        ).all()
        for entry in entries:
            day = tiles[entry.child_id]
            day.entries.append(entry)
            if entry.kind is EntryKind.nap:
                # Entries come in time order: the latest nap decides whether the child sleeps now.
                day.nap = entry if entry.ended_at is None else None
            elif entry.kind is EntryKind.sleep_check:
                day.last_sleep_check = entry
            elif entry.kind is EntryKind.bottle:
                day.last_bottle = entry
        for item in doses_due_joined(session, today, now, child_ids=child_ids):
            tiles[item.child.id].medication.append(item)
    for day in tiles.values():
        day.settle(now, policy, midday_checked=bool(day.health and day.health.midday_check))
    return tiles


def load_room_day(session: Session, room: Room, today: date, policy: Policy, now: datetime) -> RoomDay:
    """Everything the room view shows in five statements whatever the children, entries and history:
    the children with their day, today's log entries, medicine due, outdoor time, and staff on duty."""
    tiles = _load_tiles(session, room.id, today, policy, now)
    minutes, reason = _outdoor(session, room.id, today)
    ordered = sorted(tiles.values(), key=lambda day: (day.child.full_name, day.child.id))
    return RoomDay(room, today, now, policy, ordered, on_duty(session, room.id, today), minutes, reason)


def load_child_day(session: Session, room: Room, child_id: int, today: date, policy: Policy, now: datetime) -> ChildDay | None:
    """One child's tile as load_room_day builds it (None when the child is no longer on the room view)."""
    return _load_tiles(session, room.id, today, policy, now, child_id).get(child_id)


def _outdoor(session: Session, room_id: int, today: date) -> tuple[int, str | None]:
    """The room's outdoor minutes today and the reason recorded for a short day (one statement)."""
    rows = session.exec(
        select(OutdoorShortfall.reason, OutdoorTime.started_at, OutdoorTime.ended_at)
        .select_from(Room)
        .outerjoin(OutdoorShortfall, and_(OutdoorShortfall.room_id == Room.id, OutdoorShortfall.on_date == today))
        .outerjoin(OutdoorTime, and_(
            OutdoorTime.room_id == Room.id, OutdoorTime.on_date == today, col(OutdoorTime.voided_at).is_(None)
        ))
        .where(Room.id == room_id)
    ).all()
    minutes = sum(
        max(0, int((ended - started).total_seconds() // 60)) for _reason, started, ended in rows if started is not None
    )
    return minutes, rows[0][0] if rows else None


def room_context(session: Session, actor: RoomActor, now: datetime | None = None) -> dict:
    """What day.html and its partials read."""
    now = now or utcnow()
    policy = load_policy(session)
    day = load_room_day(session, actor.room, to_local(now).date(), policy, now)
    # The director's own sessions never lock (rooms.tablet); the page shows no idle countdown then.
    lock_minutes = policy.tablet_lock_minutes if shared_tablet(actor.me, actor.person_id) else 0
    acting_on_duty = any(person.person_id == actor.person_id for person in day.duty)
    return {
        "room": actor.room, "day": day, "actor": actor, "lock_minutes": lock_minutes,
        "acting_on_duty": acting_on_duty,
    }


def room_view(request: Request, session: Session, actor: RoomActor) -> Response:
    return render(request, "rooms/day.html", room_context(session, actor), block="room")


def action_form(
    request: Request, template: str, context: dict, *, child_id: int | None = None, status_code: int = 200
) -> Response:
    """A room action's form; htmx gets only its `form` block, and a refusal lands in the tile's action area.

    Each rendering carries a fresh `form_token`: the record keeps it, so a double tap saves once.
    """
    headers = None
    if status_code >= 400 and is_htmx(request) and child_id is not None:
        headers = {"HX-Retarget": f"#child-{child_id}-action", "HX-Reswap": "innerHTML"}
    context = {"form_token": secrets.token_urlsafe(16), "in_tile": is_htmx(request), **context}
    return render(request, template, context, status_code=status_code, block="form", headers=headers)


def after_action(
    request: Request, session: Session, actor: RoomActor, child_id: int | None = None, *, header: bool = True
) -> Response:
    """`header=False` for an action that changes nothing the room header shows (a log entry): the tile alone.

    Called once the action is committed: the next tablet's write goes ahead while this answer is built.
    """
    end_writes(session)
    if not is_htmx(request):
        return RedirectResponse(f"/rooms/{actor.room.id}", status_code=303)
    if child_id is not None and not header:
        now = utcnow()
        cd = load_child_day(session, actor.room, child_id, to_local(now).date(), load_policy(session), now)
        # No tile: the child no longer belongs on the room view, and the swap removes it.
        return render(request, "rooms/_tile.html", {"room": actor.room, "cd": cd}) if cd else Response("")
    context = room_context(session, actor)
    if child_id is None:
        return render(request, "rooms/day.html", context, block="room")
    # The tile (absent when the child no longer belongs on the room view) and the header, out of band.
    return render(request, "rooms/_after_action.html", {**context, "cd": context["day"].child(child_id)})
