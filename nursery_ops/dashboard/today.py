"""Today in every room at once, for the director: the room view's figures without its per-room queries.

`rooms/day.load_room_day` reads one room in several statements; the dashboard
shows every room, so this reads all of them in three (the children in or absent
with their midday checks, naps and sleep checks; the shifts with the roster; outdoor
time with the reasons; the bookings come from the caller) and builds the same
`RoomDay` / `ChildDay` objects. The flags are set with the same pure rules as the room view (attendance.rules, dailylog.rules),
so an alert here is exactly what the room page shows, and clears when it is dealt
with there. tests/dashboard/test_today.py holds the two side by side.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

from sqlalchemy import Date, DateTime, String, bindparam, func, literal, union, union_all
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from nursery_ops.attendance.models import Absence, Attendance, TemporaryBooking
from nursery_ops.attendance.rules import is_expected
from nursery_ops.attendance.service import OnDuty, on_duty_from, shift_facts
from nursery_ops.auth.models import Person
from nursery_ops.children.models import Child
from nursery_ops.children.rules import completed_months
from nursery_ops.dailylog.models import EntryKind, LogEntry, OutdoorShortfall, OutdoorTime
from nursery_ops.enrolment.models import Enrolment, EnrolmentStatus
from nursery_ops.illness.models import MiddayCheck
from nursery_ops.policy import Policy
from nursery_ops.rooms.day import ChildDay, RoomDay
from nursery_ops.rooms.models import Room
from nursery_ops.staff.models import RosterEntry, StaffProfile, StaffShift
from nursery_ops.staff.roster import DutyCounts, duty_counts_of


@dataclass
class ChildToday:
    """A child with an arrival or an absence today, and what the tiles and alerts read with it."""

    child: Child
    attendance: Attendance | None
    absence: Absence | None  # not superseded by a late arrival
    midday_checked: bool  # a midday check in the room it arrived in
    nap: LogEntry | None  # the latest nap of the day (open or not)
    sleep_check: LogEntry | None  # the latest sleep check of the day


@dataclass
class StaffToday:
    """Who is clocked in to each room (the ratio) and today's roster counts (the posts the rules require)."""

    duty: dict[int, list[OnDuty]]
    roster: DutyCounts


def rooms_today(
    session: Session,
    rooms: list[Room],
    enrolments: Iterable[tuple[Enrolment, Child]],
    today: date,
    now: datetime,
    policy: Policy,
    *,
    children: list[ChildToday] | None = None,
    staff: StaffToday | None = None,
    booked: set[int] | None = None,
) -> list[RoomDay]:
    """One `RoomDay` per room, in the rooms' order, in a fixed number of statements whatever the rooms and children.

    `enrolments` are the rows the dashboard already holds (places held from today on);
    the ones in a room today are picked from them, as load_room_day's first query would.
    `children` (children_today), `staff` (staff_today) and `booked` (the ids of the enrolments with a
    temporary booking today, dashboard.service.places_held): read here unless the caller has them.
    """
    room_ids = {room.id for room in rooms}
    if booked is None:
        booked = set(session.exec(
            select(TemporaryBooking.enrolment_id).where(
                TemporaryBooking.on_date == today, col(TemporaryBooking.cancelled_at).is_(None)
            )
        ).all())
    if children is None:
        children = children_today(session, today)
    if staff is None:
        staff = staff_today(session, today)

    days: dict[tuple[int, int], ChildDay] = {}
    for enrolment, child in enrolments:
        in_room_today = (
            enrolment.status is EnrolmentStatus.enrolled
            and enrolment.room_id in room_ids
            and enrolment.start_date <= today
            and (enrolment.end_date is None or enrolment.end_date >= today)
        )
        if not in_room_today:
            continue
        expected = is_expected(
            enrolment.status, enrolment.care_type, enrolment.schedule_days, enrolment.start_date,
            enrolment.end_date, today, enrolment.id in booked,
        )
        days[enrolment.room_id, child.id] = ChildDay(child, enrolment, completed_months(child.birth_date, today), expected)
    # As on the room view: a child who came in today stays on that room's tiles even if not expected.
    for found in children:
        if (attendance := found.attendance) is None or attendance.room_id not in room_ids:
            continue
        key = (attendance.room_id, found.child.id)
        day = days.get(key) or ChildDay(found.child, None, completed_months(found.child.birth_date, today), False)
        day.attendance = attendance
        days[key] = day
    for found in children:
        if found.absence is not None and (key := (found.absence.room_id, found.child.id)) in days:
            days[key].absence = found.absence
    tiles = {key: day for key, day in days.items() if day.expected or day.attendance or day.absence}

    # Only naps and sleep checks decide whether a child sleeps unchecked: the open nap is the latest one,
    # if not ended (as the room view reads the entries in time order).
    by_child = {found.child.id: found for found in children}
    for (room_id, child_id), day in tiles.items():
        found = by_child.get(child_id)
        if found is not None:
            day.nap = found.nap if found.nap is not None and found.nap.ended_at is None else None
            day.last_sleep_check = found.sleep_check
        midday_checked = found is not None and found.midday_checked and found.attendance.room_id == room_id
        day.settle(now, policy, midday_checked=midday_checked)

    minutes, reasons = _outdoor_by_room(session, today, room_ids)
    in_rooms: dict[int, list[ChildDay]] = defaultdict(list)
    for (room_id, _child_id), day in tiles.items():
        in_rooms[room_id].append(day)
    return [
        RoomDay(
            room, today, now, policy,
            sorted(in_rooms[room.id], key=lambda day: (day.child.full_name, day.child.id)),
            staff.duty.get(room.id, []), minutes.get(room.id, 0), reasons.get(room.id),
        )
        for room in rooms
    ]


TODAY = bindparam("today", type_=Date)  # the day a statement built once is bound to by each request


def children_today(session: Session, today: date) -> list[ChildToday]:
    """The children who came in or are recorded absent today, by name: one statement (the tiles, and the
    unknown absences whose family is still to call).

    Each with whether it had its midday check, and its latest nap and sleep check of the day. An absence
    superseded by a late arrival is history only (attendance.service._supersede_absence).
    """
    rows = session.exec(_children_today_statement(), params={"today": today}).all()
    return [ChildToday(child, attendance, absence, bool(checked), last_nap, last_check)
            for child, attendance, absence, checked, last_nap, last_check in rows]


@cache
def _children_today_statement():
    """children_today's statement for `today`, built once (a request only binds the day)."""
    # Every table here is read by its on_date index, so past days cost nothing.
    current_absence = (Absence.on_date == TODAY) & col(Absence.superseded_at).is_(None)
    # A child has at most one arrival and one absence a day (their unique keys).
    in_today = union(
        select(Attendance.child_id).where(Attendance.on_date == TODAY),
        select(Absence.child_id).where(current_absence),
    ).subquery()
    # Today's naps and sleep checks, the latest of each kind per child first (the room view reads them in time order).
    ranked = (
        select(
            LogEntry.id, LogEntry.child_id, LogEntry.kind,
            func.row_number().over(
                partition_by=(LogEntry.child_id, LogEntry.kind), order_by=(col(LogEntry.at).desc(), col(LogEntry.id).desc())
            ).label("rank"),
        )
        .where(
            LogEntry.on_date == TODAY, col(LogEntry.kind).in_([EntryKind.nap, EntryKind.sleep_check]),
            col(LogEntry.voided_at).is_(None), col(LogEntry.replaced).is_(False),
        )
        .cte("ranked_entry")
    )
    latest_nap, latest_check = ranked.alias("latest_nap"), ranked.alias("latest_check")
    nap, check = aliased(LogEntry), aliased(LogEntry)
    # Only a child present is due a midday check: whether it had one comes with its arrival (in that room).
    checked = (
        select(MiddayCheck.child_id, MiddayCheck.room_id).where(MiddayCheck.on_date == TODAY)
        .group_by(MiddayCheck.child_id, MiddayCheck.room_id).subquery()
    )
    return (
        select(Child, Attendance, Absence, checked.c.child_id.is_not(None), nap, check)
        .select_from(in_today)
        .join(Child, Child.id == in_today.c.child_id)
        .outerjoin(Attendance, (Attendance.child_id == Child.id) & (Attendance.on_date == TODAY))
        .outerjoin(Absence, (Absence.child_id == Child.id) & current_absence)
        .outerjoin(checked, (checked.c.child_id == Attendance.child_id) & (checked.c.room_id == Attendance.room_id))
        .outerjoin(latest_nap, (latest_nap.c.child_id == Child.id) & (latest_nap.c.kind == EntryKind.nap)
                   & (latest_nap.c.rank == 1))
        .outerjoin(nap, nap.id == latest_nap.c.id)
        .outerjoin(latest_check, (latest_check.c.child_id == Child.id) & (latest_check.c.kind == EntryKind.sleep_check)
                   & (latest_check.c.rank == 1))
        .outerjoin(check, check.id == latest_check.c.id)
        .order_by(Child.full_name, Child.id)
    )


def absences_of(children: list[ChildToday]) -> list[tuple[Absence, Child]]:
    """Today's absences with their children, by name."""
    return [(found.absence, found.child) for found in children if found.absence is not None]


def staff_today(session: Session, today: date) -> StaffToday:
    """Open shifts and the roster's duties today, as rows of one shape: one statement.

    A shift row says whether its person is a caregiver, assigned to the room, and how long their health
    certificate runs (attendance.service.on_duty_by_room); a duty row the person's post
    (staff.roster.duty_counts).
    """
    shifts = (
        select(
            literal(True).label("on_shift"), StaffShift.room_id, StaffShift.person_id, Person.full_name,
            *shift_facts(today),
            literal(None, StaffProfile.__table__.c.job.type).label("job"),
            StaffShift.clock_in_at.label("since"), StaffShift.id.label("row_id"),
        )
        .join(Person, Person.id == StaffShift.person_id)
        .where(StaffShift.on_date == today, col(StaffShift.clock_out_at).is_(None))
    )
    duties = (
        select(
            literal(False), RosterEntry.room_id, RosterEntry.person_id, Person.full_name, literal(False),
            literal(False), literal(None, Date), StaffProfile.job, literal(None, DateTime), RosterEntry.id,
        )
        .join(Person, Person.id == RosterEntry.person_id)
        .outerjoin(StaffProfile, StaffProfile.person_id == RosterEntry.person_id)
        .where(RosterEntry.on_date == today, col(RosterEntry.voided_at).is_(None), Person.active.is_(True))
    )
    rows = session.exec(union_all(shifts, duties)).all()
    # The shifts in clock-in order, as attendance.service.on_duty_by_room lists them.
    shifts_in_order = sorted((row for row in rows if row.on_shift), key=lambda row: (row.since, row.row_id))
    duty = on_duty_from(((row.room_id, row.person_id, row.full_name, row.caregiver, row.assigned, row.valid_until)
                         for row in shifts_in_order), today)
    roster = duty_counts_of((row.person_id, row.room_id, row.job) for row in rows if not row.on_shift)
    return StaffToday(duty, roster)


def _outdoor_by_room(session: Session, today: date, room_ids: set[int]) -> tuple[dict[int, int], dict[int, str]]:
    """Per room, today's outdoor minutes and the reason recorded for a shortfall: one statement, the
    periods and the reasons as rows of one shape (a reason row has no times, a period no reason)."""
    periods = select(
        OutdoorTime.room_id, OutdoorTime.started_at, OutdoorTime.ended_at, literal(None, String).label("reason")
    ).where(OutdoorTime.on_date == today, col(OutdoorTime.voided_at).is_(None))
    shortfalls = select(
        OutdoorShortfall.room_id, literal(None, DateTime).label("started_at"), literal(None, DateTime).label("ended_at"),
        OutdoorShortfall.reason,
    ).where(col(OutdoorShortfall.room_id).in_(room_ids), OutdoorShortfall.on_date == today)  # by its (room, day) key
    minutes: dict[int, int] = defaultdict(int)
    reasons: dict[int, str] = {}
    for room_id, started, ended, reason in session.exec(union_all(periods, shortfalls)).all():
        if reason is not None:
            reasons[room_id] = reason
        else:
            # Summed as the room view sums them (whole minutes per period).
            minutes[room_id] += max(0, int((ended - started).total_seconds() // 60))
    return minutes, reasons
