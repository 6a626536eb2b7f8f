"""A child's day and records as the room and the office leave them, written straight to the database.

The family pages only read: these builders stand in for the tablet and the office,
so each test sets up exactly the records it reads back.
"""

import secrets
from datetime import UTC, date, datetime, time, timedelta
from io import BytesIO

from PIL import Image
from sqlmodel import Session

from nursery_ops.attendance.models import Absence, AbsenceReason, Attendance, CheckOutcome, MorningCheck
from nursery_ops.clock import local_today
from nursery_ops.dailylog.models import Amount, EntryKind, LogEntry, Meal, Mood, Nappy, PhotoTag
from nursery_ops.photos.models import Photo
from nursery_ops.photos.service import photo_path, prepare
from nursery_ops.settings import get_settings


def at(on: date, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time of a nursery day, as the UTC moment it is stored as."""
    return datetime.combine(on, time(hour, minute), tzinfo=get_settings().zone).astimezone(UTC)


def arrival(session: Session, child, room, by, on: date | None = None, *, arrived=(8, 5), left=None,
            temperature_tenths: int = 365, **check_items) -> Attendance:
    """A morning check and the arrival it let in (and the departure, when `left` is given)."""
    on = on or local_today()
    check = MorningCheck(child_id=child.id, on_date=on, at=at(on, *arrived), temperature_tenths=temperature_tenths,
                         outcome=check_items.pop("outcome", CheckOutcome.admit), by_id=by.id, **check_items)
    session.add(check)
    session.flush()
    attendance = Attendance(child_id=child.id, room_id=room.id, on_date=on, check_in_at=at(on, *arrived),
                            brought_by="王妈妈 (母亲)", checked_in_by_id=by.id, morning_check_id=check.id)
    if left is not None:
        attendance.check_out_at = at(on, *left)
        attendance.checked_out_by_id = by.id
    session.add(attendance)
    session.flush()
    return attendance


def absence(session: Session, child, room, by, on: date | None = None, reason=AbsenceReason.sick,
            symptoms: str = "发烧 38.5 °C") -> Absence:
    row = Absence(child_id=child.id, room_id=room.id, on_date=on or local_today(), reason=reason,
                  symptoms=symptoms if reason is AbsenceReason.sick else "", recorded_by_id=by.id)
    session.add(row)
    session.flush()
    return row


def entry(session: Session, child, room, by, kind: EntryKind, on: date | None = None, clock=(9, 0), **fields) -> LogEntry:
    on = on or local_today()
    row = LogEntry(child_id=child.id, room_id=room.id, on_date=on, kind=kind, at=at(on, *clock), by_id=by.id, **fields)
    session.add(row)
    session.flush()
    return row


def a_full_day(session: Session, child, room, by, on: date | None = None) -> list[LogEntry]:
    """One of each thing a caregiver logs: breakfast, a bottle, a nap, a nappy, a mood, an activity, a note."""
    on = on or local_today()
    return [
        entry(session, child, room, by, EntryKind.meal, on, (8, 40), meal=Meal.breakfast, amount=Amount.most),
        entry(session, child, room, by, EntryKind.bottle, on, (9, 30), millilitres=150),
        entry(session, child, room, by, EntryKind.nap, on, (12, 0), started_at=at(on, 12, 0), ended_at=at(on, 13, 30)),
        entry(session, child, room, by, EntryKind.nappy, on, (14, 0), nappy=Nappy.wet),
        entry(session, child, room, by, EntryKind.mood, on, (14, 30), mood=Mood.happy, text="和小朋友一起笑"),
        entry(session, child, room, by, EntryKind.activity, on, (10, 0), text="绘本时间：《好饿的毛毛虫》"),
        entry(session, child, room, by, EntryKind.note, on, (15, 0), text="今天自己用勺子吃饭了"),
    ]


def jpeg_bytes(colour=(200, 120, 40)) -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (32, 24), colour).save(buffer, "PNG")
    return prepare(buffer.getvalue()).jpeg


def photo(session: Session, child, room, by, tagged=(), on: date | None = None, clock=(10, 30), text: str = "") -> LogEntry:
    """A daily-log photo of `child` (also showing the `tagged` children), its file on disk, as the tablet saves it."""
    data = jpeg_bytes()
    picture = Photo(storage_name=f"{secrets.token_hex(16)}.jpg", content_type="image/jpeg",
                    width=32, height=24, byte_size=len(data), uploaded_by_id=by.id)
    session.add(picture)
    session.flush()
    path = photo_path(picture)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    row = entry(session, child, room, by, EntryKind.photo, on, clock, photo_id=picture.id, text=text)
    session.add_all(PhotoTag(photo_id=picture.id, child_id=shown.id) for shown in (child, *tagged))
    session.flush()
    return row


def days_ago(days: int) -> date:
    return local_today() - timedelta(days=days)
