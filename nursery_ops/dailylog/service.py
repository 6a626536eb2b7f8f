"""The daily log on the tablet: entries per child, batch actions, corrections and voids, outdoor time.

Each change validates everything first (nothing half-saved), writes its audit entry
in the same transaction and commits. Refusals raise `Refused` (field → message id).
A repeated `form_token` (a double tap) answers with what the first tap saved.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from nursery_ops import audit
from nursery_ops.attendance.models import Attendance
from nursery_ops.attendance.service import attendance_on, present_attendance
from nursery_ops.auth.models import Person, Role
from nursery_ops.children.models import Child
from nursery_ops.clock import local_date
from nursery_ops.dailylog.forms import (
    ABSENT_FROM_MEAL,
    BatchMealForm,
    BatchNapEndForm,
    BatchNapForm,
    EntryForm,
    NapCorrection,
    NapEndForm,
    OutdoorForm,
    PhotoForm,
    ReasonField,
)
from nursery_ops.dailylog.models import (
    Amount,
    EntryKind,
    LogEntry,
    OutdoorShortfall,
    OutdoorTime,
    PhotoTag,
)
from nursery_ops.dailylog.rules import (
    after_departure_error,
    at_local_time,
    before_arrival_error,
    may_correct,
    nap_end_error,
    nap_overlap_error,
    outdoor_total_minutes,
    overlaps,
    sleep_check_error,
    time_error,
)
from nursery_ops.errors import NotFound
from nursery_ops.forms import Refused
from nursery_ops.i18n import N_
from nursery_ops.policy import Decision, Mode
from nursery_ops.photos.models import Photo
from nursery_ops.photos.service import PreparedPhoto, save_photo
from nursery_ops.rooms.models import Room
from nursery_ops.rooms.tablet import RoomActor
from nursery_ops.settings import get_settings

NOT_PRESENT = N_("This child is not in the room today: log only for children checked in here and not yet gone home.")
NOT_ASLEEP = N_("This child is not asleep: there is no nap to end or check. Start a nap first.")
ALREADY_ASLEEP = N_("This child is already asleep: end the nap before starting another.")
CHECK_BEFORE_NAP = N_("A sleep check cannot be before the nap started.")
TAG_NOT_PRESENT = N_("Tag only children who are in the room today.")
ALREADY_CHANGED = N_("This entry has already been corrected or voided: change its latest version.")
NOT_TODAY = N_("Only today's entries can be corrected on the tablet. Ask the director to correct older ones.")
END_REQUIRED = N_("Enter when the nap ended.")
CHOOSE_CHILDREN = N_("Choose at least one child.")
BATCH_NOT_PRESENT = N_("A child you chose is no longer in the room. Reload the page and try again.")
BATCH_ALREADY_ASLEEP = N_("A child you chose is already asleep. Reload the page and try again.")
BATCH_NAP_OVERLAP = N_("{name} already had a nap from {time}: a new nap cannot start before it ended. Check the time.")
OUTDOOR_END_BEFORE_START = N_("The end must be after the start.")
OUTDOOR_OVERLAP = N_("This overlaps outdoor time already recorded today.")
OUTDOOR_NOT_TODAY = N_("Only today's outdoor time can be voided on the tablet. Ask the director to void older periods.")


def is_director(actor: RoomActor) -> bool:
    """The director acting as themselves (not a caregiver who unlocked the director's tablet session)."""
    return actor.person_id == actor.me.id and actor.me.has(Role.director)


def moment(clock_time, on: date, now: datetime) -> datetime:
    """The time field of a form (a wall-clock time on `on`), or now when left empty."""
    if clock_time is None:
        return now
    return at_local_time(on, clock_time, get_settings().zone)


def _checked_time(clock_time, on: date, now: datetime, field: str = "time") -> datetime:
    at = moment(clock_time, on, now)
    if (message := time_error(at, now)) is not None:
        raise Refused({field: message})
    return at


def _within_stay(at: datetime, attendance: Attendance | None, field: str = "time") -> None:
    """Refuses a moment before the child's arrival (or after their departure) that day."""
    if attendance is None:
        return
    zone = get_settings().zone
    error = before_arrival_error(at, attendance.check_in_at, zone) or after_departure_error(
        at, attendance.check_out_at, zone
    )
    if error is not None:
        raise Refused({field: error})


# ---------------------------------------------------------------- who is in the room


def present_with_arrival(session: Session, room_id: int, on: date) -> list[tuple[Child, datetime]]:
    """Children checked in to this room today and not yet gone home, by name, with their arrival time."""
    return [
        (child, check_in_at)
        for child, check_in_at in session.exec(
            select(Child, Attendance.check_in_at)
            .join(Attendance, Attendance.child_id == Child.id)
            .where(Attendance.room_id == room_id, Attendance.on_date == on, col(Attendance.check_out_at).is_(None))
            .order_by(Child.full_name, Child.id)
        ).all()
    ]


def present_children(session: Session, room_id: int, on: date) -> list[Child]:
    return [child for child, _arrived in present_with_arrival(session, room_id, on)]


def _batch_after_arrivals(at: datetime, chosen: list[tuple[Child, datetime]], field: str) -> None:
    zone = get_settings().zone
    for child, check_in_at in chosen:
        if (error := before_arrival_error(at, check_in_at, zone, child.full_name)) is not None:
            raise Refused({field: error})


def _current():
    """Entries that count: not replaced by a correction, not voided."""
    return (col(LogEntry.replaced).is_(False), col(LogEntry.voided_at).is_(None))


def naps_of(session: Session, child_ids: list[int], on: date) -> list[LogEntry]:
    """The current naps of these children that day (one statement)."""
    return list(session.exec(
        select(LogEntry).where(
            col(LogEntry.child_id).in_(child_ids), LogEntry.on_date == on, LogEntry.kind == EntryKind.nap, *_current()
        )
    ).all())


def _no_overlap(session: Session, child_id: int, on: date, start: datetime, end: datetime | None,
                field: str = "time", exclude_id: int | None = None) -> None:
    others = [(nap.started_at, nap.ended_at) for nap in naps_of(session, [child_id], on) if nap.id != exclude_id]
    if (error := nap_overlap_error(start, end, others, get_settings().zone)) is not None:
        raise Refused({field: error})


def open_nap(session: Session, child_id: int, on: date) -> LogEntry | None:
    return session.exec(
        select(LogEntry).where(
            LogEntry.child_id == child_id,
            LogEntry.on_date == on,
            LogEntry.kind == EntryKind.nap,
            col(LogEntry.ended_at).is_(None),
            *_current(),
        )
    ).first()


@dataclass(frozen=True)
class Sleeping:
    """A child asleep now: the open nap and the last sleep check (None: not checked yet)."""

    nap: LogEntry
    last_check_at: datetime | None

    @property
    def checked_or_started_at(self) -> datetime:
        return self.last_check_at or self.nap.started_at


def sleeping_in_room(session: Session, room_id: int, on: date) -> dict[int, Sleeping]:
    """child id → Sleeping for the room's open naps today, in two statements whatever the number of children.

    A sleep check counts for the nap it follows (by time, so a corrected nap keeps its checks).
    """
    naps = session.exec(
        select(LogEntry).where(
            LogEntry.room_id == room_id,
            LogEntry.on_date == on,
            LogEntry.kind == EntryKind.nap,
            col(LogEntry.ended_at).is_(None),
            *_current(),
        )
    ).all()
    if not naps:
        return {}
    checks = session.exec(
        select(LogEntry).where(
            col(LogEntry.child_id).in_([nap.child_id for nap in naps]),
            LogEntry.on_date == on,
            LogEntry.kind == EntryKind.sleep_check,
            *_current(),
        )
    ).all()
    sleeping = {}
    for nap in naps:
        times = [check.at for check in checks if check.child_id == nap.child_id and check.at >= nap.started_at]
        sleeping[nap.child_id] = Sleeping(nap, max(times, default=None))
    return sleeping


def by_token(session: Session, token: str | None) -> LogEntry | None:
    if not token:
        return None
    return session.exec(select(LogEntry).where(LogEntry.form_token == token)).first()


def _batch_tokens_used(session: Session, token: str | None) -> bool:
    """One token per batch screen; each entry carries `<token>#<child id>` (the column is unique)."""
    if not token:
        return False
    used = select(LogEntry.id).where(col(LogEntry.form_token).startswith(f"{token}#", autoescape=True))
    return session.exec(used).first() is not None


def _save_new(session: Session, entry: LogEntry, actor: RoomActor, action: str, **audit_fields) -> LogEntry:
    """Add, audit and commit a new entry; a racing double tap (same token) answers with the first one."""
    session.add(entry)
    try:
        audit.record(session, actor.person_id, action, entry, child_id=entry.child_id,
                     after=audit.snapshot(entry), **audit_fields)
    except IntegrityError:
        session.rollback()
        if (first := by_token(session, entry.form_token)) is None:
            raise
        return first
    session.commit()
    return entry


# ---------------------------------------------------------------- entries per child


def _new_entry(actor: RoomActor, child: Child, kind: EntryKind, at: datetime, token: str | None, **fields) -> LogEntry:
    return LogEntry(
        child_id=child.id, room_id=actor.room.id, on_date=local_date(at), kind=kind, at=at,
        by_id=actor.person_id, form_token=token, **fields,
    )


def record_entry(session: Session, actor: RoomActor, child: Child, slug: str, data: EntryForm, now: datetime) -> LogEntry:
    """One entry for a child present in the room (everything but nap end and photos)."""
    if (first := by_token(session, data.form_token)) is not None:
        return first
    today = local_date(now)
    attendance = present_attendance(session, actor.room.id, child.id, today)
    if attendance is None:
        raise Refused({"__all__": NOT_PRESENT})
    at = _checked_time(data.time, today, now)
    _within_stay(at, attendance)
    fields: dict = {}
    if slug == "meal":
        fields = {"meal": data.meal, "amount": data.amount}
    elif slug == "bottle":
        fields = {"millilitres": data.millilitres}
    elif slug == "nap-start":
        if open_nap(session, child.id, today) is not None:
            raise Refused({"__all__": ALREADY_ASLEEP})
        _no_overlap(session, child.id, today, at, None)
        fields = {"started_at": at}
    elif slug == "sleep-check":
        nap = open_nap(session, child.id, today)
        if nap is None:
            raise Refused({"__all__": NOT_ASLEEP})
        if at < nap.started_at:
            raise Refused({"time": CHECK_BEFORE_NAP})
        fields = {"nap_id": nap.id}
    elif slug == "nappy":
        fields = {"nappy": data.nappy}
    elif slug == "mood":
        fields = {"mood": data.mood, "text": data.text}
    elif slug in ("activity", "note"):
        fields = {"text": data.text}
    else:
        raise ValueError(f"not an entry form: {slug}")
    kind = EntryKind.nap if slug == "nap-start" else EntryKind(slug.replace("-", "_"))
    entry = _new_entry(actor, child, kind, at, data.form_token, **fields)
    return _save_new(session, entry, actor, "log_entry_recorded")


def end_nap(session: Session, actor: RoomActor, child: Child, data: NapEndForm, now: datetime) -> LogEntry:
    """Ends the child's open nap; the same form sent again after the nap ended answers with that nap."""
    if data.nap_id is not None:
        given = session.get(LogEntry, data.nap_id)
        if (
            given is not None and given.child_id == child.id and given.kind is EntryKind.nap
            and given.ended_at is not None and not given.replaced and given.voided_at is None
        ):
            return given
    today = local_date(now)
    if present_attendance(session, actor.room.id, child.id, today) is None:
        raise Refused({"__all__": NOT_PRESENT})
    nap = open_nap(session, child.id, today)
    if nap is None:
        raise Refused({"__all__": NOT_ASLEEP})
    at = _checked_time(data.time, today, now)
    if (message := nap_end_error(nap.started_at, at)) is not None:
        raise Refused({"time": message})
    _end(session, actor, nap, at)
    session.commit()
    return nap


def _end(session: Session, actor: RoomActor, nap: LogEntry, at: datetime, action: str = "nap_ended") -> None:
    before = audit.snapshot(nap)
    nap.ended_at = at
    session.add(nap)
    audit.record(session, actor.person_id, action, nap, child_id=nap.child_id, before=before, after=audit.snapshot(nap))


def end_naps_at_departure(session: Session, actor: RoomActor, child_id: int, on: date, at: datetime) -> list[LogEntry]:
    """Checking out a sleeping child (carried out on one arm) ends the nap at the departure time.

    Audited as `nap_ended_at_check_out`, so the day's history says the nap was not ended by hand.
    The caller (attendance.service.check_out) commits.
    """
    naps = [nap for nap in naps_of(session, [child_id], on) if nap.ended_at is None]
    for nap in naps:
        _end(session, actor, nap, max(at, nap.started_at), "nap_ended_at_check_out")
    return naps


def photo_tags_valid(session: Session, actor: RoomActor, child: Child, also_tagged: list[int], on: date) -> list[int]:
    """The children tagged in a photo: the child, and others present in the room today (no one else)."""
    present = {other.id for other in present_children(session, actor.room.id, on)}
    if child.id not in present:
        raise Refused({"__all__": NOT_PRESENT})
    others = sorted(set(also_tagged) - {child.id})
    if not set(others) <= present:
        raise Refused({"also_tagged": TAG_NOT_PRESENT})
    return [child.id, *others]


def record_photo(
    session: Session, actor: RoomActor, child: Child, data: PhotoForm, prepared: PreparedPhoto, now: datetime
) -> LogEntry:
    """A photo from the tablet camera: the Photo, a photo entry for the child, and a tag per child shown."""
    if (first := by_token(session, data.form_token)) is not None:
        return first
    today = local_date(now)
    tagged = photo_tags_valid(session, actor, child, data.also_tagged, today)
    at = _checked_time(data.time, today, now)
    _within_stay(at, present_attendance(session, actor.room.id, child.id, today))
    entry = _new_entry(actor, child, EntryKind.photo, at, data.form_token, text=data.text)

    def attach(photo: Photo) -> None:
        entry.photo_id = photo.id
        session.add(entry)
        session.add_all(PhotoTag(photo_id=photo.id, child_id=child_id) for child_id in tagged)
        audit.record(session, actor.person_id, "log_entry_recorded", entry, child_id=child.id,
                     after={**audit.snapshot(entry), "tagged_child_ids": tagged})

    try:
        save_photo(session, actor.person_id, prepared, child.id, attach)
    except IntegrityError:
        # The same form a moment earlier (a double tap on a slow upload): its entry stands.
        session.rollback()
        if (first := by_token(session, data.form_token)) is None:
            raise
        return first
    return entry


# ---------------------------------------------------------------- batch actions


def batch_meal(
    session: Session, actor: RoomActor, data: BatchMealForm, choices: Mapping[int, str | None], now: datetime
) -> list[LogEntry]:
    """One meal for everyone present, with exceptions: `choices` maps each present child to an amount or "absent"."""
    if _batch_tokens_used(session, data.form_token):
        return []
    today = local_date(now)
    arrivals = present_with_arrival(session, actor.room.id, today)
    present = [child for child, _arrived in arrivals]
    errors = {}
    amounts = {}
    for child in present:
        choice = choices.get(child.id)
        if choice == ABSENT_FROM_MEAL:
            continue
        if choice not in Amount.__members__:
            errors[f"amount_{child.id}"] = N_("Choose one of the options.")
        else:
            amounts[child.id] = Amount(choice)
    if errors:
        raise Refused(errors)
    at = _checked_time(data.time, today, now)
    _batch_after_arrivals(at, [(child, arrived) for child, arrived in arrivals if child.id in amounts], "time")
    entries = [
        _new_entry(actor, child, EntryKind.meal, at, _child_token(data.form_token, child.id),
                   meal=data.meal, amount=amounts[child.id])
        for child in present
        if child.id in amounts
    ]
    return _save_batch(session, actor, entries, data.form_token)


def _child_token(token: str | None, child_id: int) -> str | None:
    return f"{token}#{child_id}" if token else None


def _save_batch(session: Session, actor: RoomActor, entries: list[LogEntry], token: str | None) -> list[LogEntry]:
    """All entries in one transaction; a racing second tap of the same batch saves nothing."""
    try:
        for entry in entries:
            session.add(entry)
            audit.record(session, actor.person_id, "log_entry_recorded", entry, child_id=entry.child_id,
                         after=audit.snapshot(entry))
    except IntegrityError:
        session.rollback()
        if not _batch_tokens_used(session, token):
            raise
        return []
    session.commit()
    return entries


def batch_nap_start(session: Session, actor: RoomActor, data: BatchNapForm, now: datetime) -> list[LogEntry]:
    if _batch_tokens_used(session, data.form_token):
        return []
    if not data.children:
        raise Refused({"children": CHOOSE_CHILDREN})
    today = local_date(now)
    arrivals = {child.id: (child, arrived) for child, arrived in present_with_arrival(session, actor.room.id, today)}
    present = {child_id: child for child_id, (child, _arrived) in arrivals.items()}
    chosen = sorted(set(data.children))
    if not set(chosen) <= set(present):
        raise Refused({"children": BATCH_NOT_PRESENT})
    if set(chosen) & set(sleeping_in_room(session, actor.room.id, today)):
        raise Refused({"children": BATCH_ALREADY_ASLEEP})
    at = _checked_time(data.time, today, now)
    _batch_after_arrivals(at, [arrivals[child_id] for child_id in chosen], "time")
    zone = get_settings().zone
    for nap in naps_of(session, chosen, today):
        if nap_overlap_error(at, None, [(nap.started_at, nap.ended_at)], zone) is not None:
            raise Refused({"time": Decision(Mode.block, BATCH_NAP_OVERLAP, {
                "name": present[nap.child_id].full_name, "time": nap.started_at.astimezone(zone).strftime("%H:%M"),
            })})
    entries = [
        _new_entry(actor, present[child_id], EntryKind.nap, at, _child_token(data.form_token, child_id), started_at=at)
        for child_id in chosen
    ]
    return _save_batch(session, actor, entries, data.form_token)


def batch_nap_end(session: Session, actor: RoomActor, data: BatchNapEndForm, now: datetime) -> list[LogEntry]:
    """Ends the chosen naps; naps already ended (the same form sent twice) are left as they are."""
    if not data.naps:
        raise Refused({"naps": CHOOSE_CHILDREN})
    today = local_date(now)
    naps = session.exec(
        select(LogEntry).where(
            col(LogEntry.id).in_(set(data.naps)),
            LogEntry.room_id == actor.room.id,
            LogEntry.kind == EntryKind.nap,
            LogEntry.on_date == today,
            *_current(),
        )
    ).all()
    if len(naps) != len(set(data.naps)):
        raise Refused({"naps": BATCH_NOT_PRESENT})
    still_open = [nap for nap in naps if nap.ended_at is None]
    if not still_open:
        return []
    at = _checked_time(data.time, today, now)
    for nap in still_open:
        if (message := nap_end_error(nap.started_at, at)) is not None:
            raise Refused({"time": message})
    for nap in still_open:
        _end(session, actor, nap, at)
    session.commit()
    return still_open


# ---------------------------------------------------------------- corrections and voids


def room_entry(session: Session, room: Room, entry_id: int) -> LogEntry:
    entry = session.get(LogEntry, entry_id)
    if entry is None or entry.room_id != room.id:
        raise NotFound()
    return entry


def _may_change(actor: RoomActor, entry: LogEntry, now: datetime) -> None:
    if entry.replaced or entry.voided_at is not None:
        raise Refused({"__all__": ALREADY_CHANGED})
    if not may_correct(entry.on_date, local_date(now), is_director(actor)):
        raise Refused({"__all__": NOT_TODAY})


CORRECTED_FIELDS = {
    EntryKind.meal: ("meal", "amount"),
    EntryKind.bottle: ("millilitres",),
    EntryKind.nappy: ("nappy",),
    EntryKind.mood: ("mood", "text"),
    EntryKind.activity: ("text",),
    EntryKind.note: ("text",),
    EntryKind.photo: ("text",),
    EntryKind.sleep_check: (),
    EntryKind.nap: (),
}


def correct_entry(
    session: Session, actor: RoomActor, entry: LogEntry, data: ReasonField, token: str | None, now: datetime
) -> LogEntry:
    """A new version of the entry with the reason; the old one stays, marked replaced."""
    if (first := by_token(session, token)) is not None:
        return first
    _may_change(actor, entry, now)
    at = _checked_time(data.time, entry.on_date, now)
    attendance = attendance_on(session, entry.child_id, entry.on_date)
    _within_stay(at, attendance)
    if entry.kind is EntryKind.sleep_check:
        naps = [(nap.started_at, nap.ended_at) for nap in naps_of(session, [entry.child_id], entry.on_date)]
        if (message := sleep_check_error(at, naps)) is not None:
            raise Refused({"time": message})
    new = LogEntry(
        **entry.model_dump(exclude={
            "id", "at", "by_id", "recorded_at", "form_token", "replaces_id", "replaced", "correction_reason",
            "voided_at", "voided_by_id", "void_reason",
        }),
        at=at, by_id=actor.person_id, recorded_at=now, form_token=token,
        replaces_id=entry.id, correction_reason=data.reason,
    )
    for name in CORRECTED_FIELDS[entry.kind]:
        setattr(new, name, getattr(data, name))
    if isinstance(data, NapCorrection):
        new.started_at = at
        new.ended_at = _nap_end(data, entry, at, now)
        if new.ended_at is not None:
            _within_stay(new.ended_at, attendance, "end_time")
        _no_overlap(session, entry.child_id, entry.on_date, at, new.ended_at, exclude_id=entry.id)
    before = audit.snapshot(entry)
    entry.replaced = True
    session.add(entry)
    session.add(new)
    try:
        audit.record(session, actor.person_id, "log_entry_corrected", new, child_id=entry.child_id,
                     before=before, after=audit.snapshot(new), reason=data.reason)
    except IntegrityError:
        session.rollback()
        if (first := by_token(session, token)) is None:
            raise
        return first
    session.commit()
    return new


def _nap_end(data: NapCorrection, entry: LogEntry, started_at: datetime, now: datetime) -> datetime | None:
    if data.end_time is None:
        if entry.ended_at is not None:
            raise Refused({"end_time": END_REQUIRED})
        return None
    ended_at = _checked_time(data.end_time, entry.on_date, now, "end_time")
    if (message := nap_end_error(started_at, ended_at)) is not None:
        raise Refused({"end_time": message})
    return ended_at


def void_entry(session: Session, actor: RoomActor, entry: LogEntry, reason: str, now: datetime) -> LogEntry:
    """Keeps the entry with who voided it, when and why; voiding it again changes nothing."""
    if entry.voided_at is not None:
        return entry
    _may_change(actor, entry, now)
    audit.void(session, actor.person_id, entry, "log_entry_voided", reason, now)
    session.commit()
    return entry


# ---------------------------------------------------------------- a child's day for staff


@dataclass(frozen=True)
class DayLine:
    entry: LogEntry
    by_name: str
    replaced_by: LogEntry | None  # the correction that replaced this version
    voided_by_name: str | None


def child_day(session: Session, child_id: int, on: date) -> list[DayLine]:
    """Every version of every entry of the child's day, in time order (staff see the whole history)."""
    entries = session.exec(
        select(LogEntry).where(LogEntry.child_id == child_id, LogEntry.on_date == on)
        .order_by(LogEntry.at, LogEntry.id)
    ).all()
    people = {entry.by_id for entry in entries} | {entry.voided_by_id for entry in entries if entry.voided_by_id}
    names = dict(session.exec(select(Person.id, Person.full_name).where(col(Person.id).in_(people))).all()) if people else {}
    replacements = {entry.replaces_id: entry for entry in entries if entry.replaces_id is not None}
    return [
        DayLine(
            entry, names.get(entry.by_id, ""), replacements.get(entry.id),
            names.get(entry.voided_by_id) if entry.voided_by_id else None,
        )
        for entry in entries
    ]


# ---------------------------------------------------------------- outdoor time (户外活动)


@dataclass(frozen=True)
class OutdoorDay:
    periods: list[OutdoorTime]
    shortfall: OutdoorShortfall | None

    @property
    def minutes(self) -> int:
        return outdoor_total_minutes((period.started_at, period.ended_at) for period in self.periods)


def outdoor_day(session: Session, room_id: int, on: date) -> OutdoorDay:
    periods = session.exec(
        select(OutdoorTime)
        .where(OutdoorTime.room_id == room_id, OutdoorTime.on_date == on, col(OutdoorTime.voided_at).is_(None))
        .order_by(OutdoorTime.started_at)
    ).all()
    shortfall = session.exec(
        select(OutdoorShortfall).where(OutdoorShortfall.room_id == room_id, OutdoorShortfall.on_date == on)
    ).first()
    return OutdoorDay(list(periods), shortfall)


def record_outdoor(session: Session, actor: RoomActor, data: OutdoorForm, now: datetime) -> OutdoorTime:
    """A period outdoors today; the same period sent twice is recorded once, an overlapping one is refused."""
    today = local_date(now)
    start = at_local_time(today, data.start, get_settings().zone)
    end = at_local_time(today, data.end, get_settings().zone)
    if end <= start:
        raise Refused({"end": OUTDOOR_END_BEFORE_START})
    if (message := time_error(end, now)) is not None:
        raise Refused({"end": message})
    for period in outdoor_day(session, actor.room.id, today).periods:
        if (period.started_at, period.ended_at) == (start, end):
            return period
        if overlaps(start, end, period.started_at, period.ended_at):
            raise Refused({"start": OUTDOOR_OVERLAP})
    period = OutdoorTime(room_id=actor.room.id, on_date=today, started_at=start, ended_at=end, by_id=actor.person_id)
    session.add(period)
    audit.record(session, actor.person_id, "outdoor_time_recorded", period, after=audit.snapshot(period))
    session.commit()
    return period


def room_outdoor(session: Session, room: Room, period_id: int) -> OutdoorTime:
    period = session.get(OutdoorTime, period_id)
    if period is None or period.room_id != room.id:
        raise NotFound()
    return period


def void_outdoor(session: Session, actor: RoomActor, period: OutdoorTime, reason: str, now: datetime) -> OutdoorTime:
    """A period recorded in error stays with who voided it, when and why; to correct one, void it and add it again."""
    if period.voided_at is not None:
        return period
    if not may_correct(period.on_date, local_date(now), is_director(actor)):
        raise Refused({"__all__": OUTDOOR_NOT_TODAY})
    audit.void(session, actor.person_id, period, "outdoor_time_voided", reason, now)
    session.commit()
    return period


def record_shortfall(session: Session, actor: RoomActor, reason: str, now: datetime) -> OutdoorShortfall:
    """Why the room stayed in today (one per room and day; a new reason replaces the old, audited)."""
    today = local_date(now)
    shortfall = outdoor_day(session, actor.room.id, today).shortfall
    before = audit.snapshot(shortfall)
    if shortfall is None:
        shortfall = OutdoorShortfall(room_id=actor.room.id, on_date=today, reason=reason, by_id=actor.person_id)
    elif shortfall.reason == reason:
        return shortfall
    else:
        shortfall.reason, shortfall.by_id, shortfall.recorded_at = reason, actor.person_id, now
    session.add(shortfall)
    audit.record(session, actor.person_id, "outdoor_shortfall_recorded", shortfall,
                 before=before, after=audit.snapshot(shortfall), reason=reason)
    session.commit()
    return shortfall
