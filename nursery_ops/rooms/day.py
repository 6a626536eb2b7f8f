"""The room's day as the tablet shows it: one tile per child, and the room header.

`load_room_day(...)` reads the whole day in a fixed number of queries (a tablet
with 20 children must not issue 20× the statements); the template only reads
what it returns, so nothing loads lazily while rendering.

`after_action(request, session, actor, child_id)` is what every room action returns:
an htmx request gets the re-rendered tile of that child (and the room header, out of
band); a plain form post is sent back to the room with 303.
"""

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, col, select

from nursery_ops.attendance.models import (
    Absence,
    Attendance,
    MorningCheck,
    TemporaryBooking,
)
from nursery_ops.attendance.rules import (
    absence_cutoff,
    children_per_caregiver,
    is_expected,
    needs_family_call,
    reason_needed,
    required_caregivers,
)
from nursery_ops.attendance.service import OnDuty, on_duty, sick_to_follow_up
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
from nursery_ops.enrolment.models import CareType, Enrolment, EnrolmentStatus
from nursery_ops.illness.service import TileHealth, room_health
from nursery_ops.medication.service import DoseDue, doses_due
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
        if self.enrolment is not None:
            self.reason_due_at = absence_cutoff(self.enrolment.care_type, self.enrolment.half_day_session, policy)
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


def load_room_day(session: Session, room: Room, today: date, policy: Policy, now: datetime) -> RoomDay:
    """Everything the room view shows, in a fixed number of queries whatever the children and entries."""
    enrolled = session.exec(
        select(Enrolment, Child)
        .join(Child, Child.id == Enrolment.child_id)
        .where(Enrolment.room_id == room.id, Enrolment.status == EnrolmentStatus.enrolled, holds_place_on(today))
        .order_by(Child.full_name, Child.id)
    ).all()
    booked = set(
        session.exec(
            select(TemporaryBooking.enrolment_id)
            .join(Enrolment, Enrolment.id == TemporaryBooking.enrolment_id)
            .where(
                Enrolment.room_id == room.id,
                TemporaryBooking.on_date == today,
                col(TemporaryBooking.cancelled_at).is_(None),
            )
        ).all()
    )
    # A child who came in today stays on the room's tiles even if not expected (or moved since).
    arrived = session.exec(
        select(Attendance, Child)
        .join(Child, Child.id == Attendance.child_id)
        .where(Attendance.room_id == room.id, Attendance.on_date == today)
    ).all()
    absences = {
        absence.child_id: absence
        for absence in session.exec(
            select(Absence).where(
                Absence.room_id == room.id, Absence.on_date == today, col(Absence.superseded_at).is_(None)
            )
        ).all()
    }

    days: dict[int, ChildDay] = {}
    for enrolment, child in enrolled:
        expected = is_expected(
            enrolment.status, enrolment.care_type, enrolment.schedule_days, enrolment.start_date,
            enrolment.end_date, today, enrolment.id in booked,
        )
        days[child.id] = ChildDay(child, enrolment, completed_months(child.birth_date, today), expected)
    for attendance, child in arrived:
        day = days.get(child.id) or ChildDay(child, None, completed_months(child.birth_date, today), False)
        day.attendance = attendance
        days[child.id] = day
    for child_id, absence in absences.items():
        if child_id in days:
            days[child_id].absence = absence
    # Not expected and not in: no tile (a temporary-care child on an unbooked day, a Saturday).
    tiles = {child_id: day for child_id, day in days.items() if day.expected or day.attendance or day.absence}
    child_ids = list(tiles)

    checks = session.exec(
        select(MorningCheck)
        .where(MorningCheck.on_date == today, col(MorningCheck.child_id).in_(child_ids))
        .order_by(MorningCheck.at, MorningCheck.id)
    ).all()
    for check in checks:
        tiles[check.child_id].morning_check = check  # the latest wins

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

    off_sick = sick_to_follow_up(session, today, room.id)
    for item in doses_due(session, today, now, child_ids=child_ids):
        tiles[item.child.id].medication.append(item)
    health = room_health(session, room.id, today)
    for day in tiles.values():
        day.off_sick = day.child.id in off_sick and day.attendance is None
        day.health = health.get(day.child.id)
        day.settle(now, policy, midday_checked=bool(day.health and day.health.midday_check))

    outdoor = session.exec(
        select(OutdoorTime.started_at, OutdoorTime.ended_at).where(
            OutdoorTime.room_id == room.id, OutdoorTime.on_date == today, col(OutdoorTime.voided_at).is_(None)
        )
    ).all()
    minutes = sum(max(0, int((ended - started).total_seconds() // 60)) for started, ended in outdoor)
    reason = session.exec(
        select(OutdoorShortfall.reason).where(OutdoorShortfall.room_id == room.id, OutdoorShortfall.on_date == today)
    ).first()

    ordered = sorted(tiles.values(), key=lambda day: (day.child.full_name, day.child.id))
    return RoomDay(room, today, now, policy, ordered, on_duty(session, room.id, today), minutes, reason)


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


def after_action(request: Request, session: Session, actor: RoomActor, child_id: int | None = None) -> Response:
    if not is_htmx(request):
        return RedirectResponse(f"/rooms/{actor.room.id}", status_code=303)
    context = room_context(session, actor)
    if child_id is None:
        return render(request, "rooms/day.html", context, block="room")
    # The tile (absent when the child no longer belongs on the room view) and the header, out of band.
    return render(request, "rooms/_after_action.html", {**context, "cd": context["day"].child(child_id)})
