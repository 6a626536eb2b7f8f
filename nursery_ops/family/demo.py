"""The demo parent's day (README: `parent` / `nursery-demo`): something to read on /family.

The 周 family's two children are in two rooms, neither the room the demo's morning is in:
周子墨 in 小星星 乳儿班 and 周雨桐 in 小太阳 托大班. Both came on the last weekday before
today (a whole day: meals, a nap, nappies, mood, an activity, home at five with a
grandparent) and arrived this morning with their rooms' caregivers clocked in (morning
check, breakfast, a drink, an activity, a note). 周雨桐 has a photo this morning.
"""

import secrets
from collections.abc import Callable
from datetime import date, datetime, timedelta
from io import BytesIO

from PIL import Image, ImageDraw
from sqlmodel import Session, select

from nursery_ops.attendance.models import Attendance, CheckOutcome, MorningCheck
from nursery_ops.auth.models import Person
from nursery_ops.children.models import Child, TrustedAdult
from nursery_ops.dailylog.models import Amount, EntryKind, LogEntry, Meal, Mood, Nappy, PhotoTag
from nursery_ops.photos.models import Photo
from nursery_ops.photos.service import PreparedPhoto, photo_path, prepare
from nursery_ops.rooms.models import Room, RoomType
from nursery_ops.staff.models import StaffShift

# child, room, the caregiver on duty there today (demo.py STAFF), temperature of this morning's check (tenths)
FAMILY_DAY = (("周子墨", "小星星 乳儿班", "caregiver2", 366), ("周雨桐", "小太阳 托大班", "caregiver7", 364))
PHOTOGRAPHED = "周雨桐"
PHOTO_CAPTION = "搭积木：自己搭了一座高高的塔"


def demo_photo() -> PreparedPhoto:
    """A drawn picture (blocks stacked into a tower under a sun), re-encoded as every uploaded photo is."""
    picture = Image.new("RGB", (640, 480), (220, 236, 246))
    draw = ImageDraw.Draw(picture)
    draw.rectangle((0, 380, 640, 480), fill=(196, 170, 120))
    draw.ellipse((500, 40, 590, 130), fill=(250, 200, 60))
    for level, colour in enumerate(((214, 69, 65), (66, 133, 244), (52, 168, 83), (251, 188, 5), (171, 71, 188))):
        top = 380 - (level + 1) * 56
        draw.rectangle((260 - level * 4, top, 380 + level * 4, top + 52), fill=colour, outline=(60, 60, 60), width=3)
    buffer = BytesIO()
    picture.save(buffer, "PNG")
    return prepare(buffer.getvalue())


def last_weekday_before(today: date) -> date:
    day = today - timedelta(days=1)
    while day.isoweekday() > 5:
        day -= timedelta(days=1)
    return day


def add_demo_family_day(session: Session, today: date, at: Callable[[date, int, int], datetime]) -> None:
    """Add the two children's days to the session (no commit). `at(day, hour, minute)` is the demo's clock:
    today's times never lie in the future."""
    earlier = last_weekday_before(today)
    for name, room_name, username, tenths in FAMILY_DAY:
        child = session.exec(select(Child).where(Child.full_name == name)).one()
        room = session.exec(select(Room).where(Room.name == room_name)).one()
        carer = session.exec(select(Person).where(Person.username == username)).one()
        grandparent = session.exec(
            select(TrustedAdult).where(TrustedAdult.child_id == child.id, TrustedAdult.may_pick_up).order_by(TrustedAdult.id)
        ).first()
        infant = room.room_type is RoomType.infant
        session.add(StaffShift(room_id=room.id, person_id=carer.id, on_date=today, clock_in_at=at(today, 7, 45),
                               recorded_by_id=carer.id))

        def arrive(on: date, hour: int, minute: int, temperature: int, left: tuple[int, int] | None) -> None:
            check = MorningCheck(child_id=child.id, on_date=on, at=at(on, hour, minute), temperature_tenths=temperature,
                                 outcome=CheckOutcome.admit, by_id=carer.id)
            session.add(check)
            session.flush()
            attendance = Attendance(child_id=child.id, room_id=room.id, on_date=on, check_in_at=at(on, hour, minute),
                                    brought_by="母亲", checked_in_by_id=carer.id, morning_check_id=check.id)
            if left is not None:
                attendance.check_out_at = at(on, *left)
                attendance.checked_out_by_id = carer.id
                attendance.picked_up_by_adult_id = grandparent.id if grandparent else None
            session.add(attendance)

        def log(on: date, kind: EntryKind, hour: int, minute: int, **fields) -> LogEntry:
            entry = LogEntry(child_id=child.id, room_id=room.id, on_date=on, kind=kind, at=at(on, hour, minute),
                             by_id=carer.id, **fields)
            session.add(entry)
            return entry

        arrive(earlier, 8, 10, 365, (17, 5))
        log(earlier, EntryKind.meal, 8, 40, meal=Meal.breakfast, amount=Amount.all)
        log(earlier, EntryKind.activity, 9, 40, text="音乐游戏：跟着节奏拍手" if infant else "户外玩沙，用小铲子装满了三桶")
        log(earlier, EntryKind.nappy, 10, 30, nappy=Nappy.wet if infant else Nappy.potty)
        log(earlier, EntryKind.meal, 11, 30, meal=Meal.lunch, amount=Amount.most)
        log(earlier, EntryKind.nap, 12, 10, started_at=at(earlier, 12, 10), ended_at=at(earlier, 14, 20))
        log(earlier, EntryKind.mood, 15, 0, mood=Mood.happy, text="午睡后很开心")
        log(earlier, EntryKind.meal, 15, 20, meal=Meal.afternoon_snack, amount=Amount.all)

        arrive(today, 8, 0, tenths, None)
        log(today, EntryKind.meal, 8, 30, meal=Meal.breakfast, amount=Amount.most)
        if infant:
            log(today, EntryKind.bottle, 9, 15, millilitres=150)
        log(today, EntryKind.nappy, 9, 30, nappy=Nappy.wet if infant else Nappy.potty)
        log(today, EntryKind.activity, 9, 45, text="感官游戏：摸一摸不同的布" if infant else "搭积木：和小朋友一起搭高塔")
        log(today, EntryKind.mood, 10, 0, mood=Mood.calm)
        log(today, EntryKind.note, 10, 5, text="今天早上喝奶很顺利" if infant else "今天自己把外套挂好了")
        if name == PHOTOGRAPHED:
            prepared = demo_photo()
            photo = Photo(storage_name=f"{secrets.token_hex(16)}.jpg", content_type="image/jpeg", width=prepared.width,
                          height=prepared.height, byte_size=len(prepared.jpeg), uploaded_by_id=carer.id)
            session.add(photo)
            session.flush()
            # Written before the caller commits, as photos.service.save_photo does: a failed load leaves a stray file.
            path = photo_path(photo)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(prepared.jpeg)
            log(today, EntryKind.photo, 10, 15, photo_id=photo.id, text=PHOTO_CAPTION)
            session.add(PhotoTag(photo_id=photo.id, child_id=child.id))
    session.flush()
