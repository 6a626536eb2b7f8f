"""Today in every room at once, for the director: the room view's figures without its per-room queries.

`rooms/day.load_room_day` reads one room in about twenty statements; the dashboard
shows every room, so this reads all of them in a fixed number (bookings, arrivals,
absences, naps and sleep checks, midday checks, three for staff on duty, outdoor
time and reasons) and builds the same `RoomDay` / `ChildDay` objects. The flags are
set with the same pure rules as the room view (attendance.rules, dailylog.rules),
so an alert here is exactly what the room page shows, and clears when it is dealt
with there. tests/dashboard/test_today.py holds the two side by side.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime

from sqlmodel import Session, col, select

from nursery_ops.attendance.models import Absence, Attendance, TemporaryBooking
from nursery_ops.attendance.rules import is_expected
from nursery_ops.attendance.service import on_duty_by_room
from nursery_ops.children.models import Child
from nursery_ops.children.rules import completed_months
from nursery_ops.dailylog.models import EntryKind, LogEntry, OutdoorShortfall, OutdoorTime
from nursery_ops.enrolment.models import Enrolment, EnrolmentStatus
from nursery_ops.illness.models import MiddayCheck
from nursery_ops.policy import Policy
from nursery_ops.rooms.day import ChildDay, RoomDay
from nursery_ops.rooms.models import Room


def rooms_today(
    session: Session,
    rooms: list[Room],
    enrolments: Iterable[tuple[Enrolment, Child]],
    today: date,
    now: datetime,
    policy: Policy,
) -> list[RoomDay]:
    """One `RoomDay` per room, in the rooms' order, in eleven statements whatever the rooms and children.

    `enrolments` are the rows the dashboard already holds (places held from today on);
    the ones in a room today are picked from them, as load_room_day's first query would.
    """
    room_ids = {room.id for room in rooms}
    booked = set(session.exec(
        select(TemporaryBooking.enrolment_id).where(
            TemporaryBooking.on_date == today, col(TemporaryBooking.cancelled_at).is_(None)
        )
    ).all())
    arrived = session.exec(
        select(Attendance, Child).join(Child, Child.id == Attendance.child_id).where(Attendance.on_date == today)
    ).all()
    # An absence superseded by a late arrival is history only (attendance.service._supersede_absence).
    absences = session.exec(
        select(Absence).where(Absence.on_date == today, col(Absence.superseded_at).is_(None))
    ).all()

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
    for attendance, child in arrived:
        key = (attendance.room_id, child.id)
        if attendance.room_id not in room_ids:
            continue
        day = days.get(key) or ChildDay(child, None, completed_months(child.birth_date, today), False)
        day.attendance = attendance
        days[key] = day
    for absence in absences:
        if (key := (absence.room_id, absence.child_id)) in days:
            days[key].absence = absence
    tiles = {key: day for key, day in days.items() if day.expected or day.attendance or day.absence}
    by_child: dict[int, list[ChildDay]] = defaultdict(list)
    for (_room_id, child_id), day in tiles.items():
        by_child[child_id].append(day)

    # Only naps and sleep checks decide whether a child sleeps unchecked; entries come in time order.
    for entry in session.exec(
        select(LogEntry)
        .where(
            LogEntry.on_date == today,
            col(LogEntry.kind).in_([EntryKind.nap, EntryKind.sleep_check]),
            col(LogEntry.voided_at).is_(None),
            col(LogEntry.replaced).is_(False),
        )
        .order_by(LogEntry.at, LogEntry.id)
    ).all():
        for day in by_child.get(entry.child_id, []):
            if entry.kind is EntryKind.nap:
                day.nap = entry if entry.ended_at is None else None
            else:
                day.last_sleep_check = entry
    midday_checked = set(session.exec(
        select(MiddayCheck.room_id, MiddayCheck.child_id).where(MiddayCheck.on_date == today)
    ).all())

    for (room_id, child_id), day in tiles.items():
        day.settle(now, policy, midday_checked=(room_id, child_id) in midday_checked)

    duty = on_duty_by_room(session, today)
    minutes = _outdoor_minutes_by_room(session, today)
    reasons = dict(session.exec(
        select(OutdoorShortfall.room_id, OutdoorShortfall.reason).where(OutdoorShortfall.on_date == today)
    ).all())
    children: dict[int, list[ChildDay]] = defaultdict(list)
    for (room_id, _child_id), day in tiles.items():
        children[room_id].append(day)
    return [
        RoomDay(
            room, today, now, policy,
            sorted(children[room.id], key=lambda day: (day.child.full_name, day.child.id)),
            duty.get(room.id, []), minutes.get(room.id, 0), reasons.get(room.id),
        )
        for room in rooms
    ]


def _outdoor_minutes_by_room(session: Session, today: date) -> dict[int, int]:
    minutes: dict[int, int] = defaultdict(int)
    for room_id, started, ended in session.exec(
        select(OutdoorTime.room_id, OutdoorTime.started_at, OutdoorTime.ended_at).where(
            OutdoorTime.on_date == today, col(OutdoorTime.voided_at).is_(None)
        )
    ).all():
        # Summed as the room view sums them (whole minutes per period).
        minutes[room_id] += max(0, int((ended - started).total_seconds() // 60))
    return minutes
