"""The day's log per child (meals, bottles, naps, nappies, mood, activities, notes, photos) and room outdoor time.

Entries are never edited in place: a correction is a new entry that replaces the
old one (`replaces_id`, with a reason), and a void keeps the entry with who/when/why.
"""

from datetime import date, datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel, UniqueConstraint

from nursery_ops.clock import utcnow
from nursery_ops.db import UtcDateTime, enum_type


class EntryKind(StrEnum):
    meal = "meal"
    bottle = "bottle"  # bottles and drinks, ml
    nap = "nap"  # started_at .. ended_at (open while asleep)
    sleep_check = "sleep_check"
    nappy = "nappy"
    mood = "mood"
    activity = "activity"
    note = "note"
    photo = "photo"


class Meal(StrEnum):
    breakfast = "breakfast"
    morning_snack = "morning_snack"
    lunch = "lunch"
    afternoon_snack = "afternoon_snack"
    dinner = "dinner"


class Amount(StrEnum):
    all = "all"
    most = "most"
    some = "some"
    none = "none"


class Nappy(StrEnum):
    wet = "wet"
    dirty = "dirty"
    wet_and_dirty = "wet_and_dirty"
    potty = "potty"
    dry = "dry"


class Mood(StrEnum):
    happy = "happy"
    calm = "calm"
    tired = "tired"
    upset = "upset"
    unwell = "unwell"


class LogEntry(SQLModel, table=True):
    """One thing in a child's day, by the caregiver who acted."""

    __tablename__ = "log_entry"
    __table_args__ = (UniqueConstraint("form_token"),)

    id: int | None = Field(default=None, primary_key=True)
    child_id: int = Field(foreign_key="child.id", index=True)
    room_id: int = Field(foreign_key="room.id", index=True)
    on_date: date = Field(index=True)  # the nursery's local date of `at`
    kind: EntryKind = Field(sa_type=enum_type(EntryKind))
    at: datetime = Field(sa_type=UtcDateTime, nullable=False)
    meal: Meal | None = Field(default=None, sa_type=enum_type(Meal))
    amount: Amount | None = Field(default=None, sa_type=enum_type(Amount))
    millilitres: int | None = None
    started_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    nap_id: int | None = Field(default=None, foreign_key="log_entry.id")  # a sleep check's nap
    nappy: Nappy | None = Field(default=None, sa_type=enum_type(Nappy))
    mood: Mood | None = Field(default=None, sa_type=enum_type(Mood))
    text: str = Field(default="", max_length=1000)
    photo_id: int | None = Field(default=None, foreign_key="photo.id")
    by_id: int = Field(foreign_key="person.id")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)
    # A double tap sends the same token twice: the second is refused by the unique index.
    form_token: str | None = Field(default=None, max_length=64)
    replaces_id: int | None = Field(default=None, foreign_key="log_entry.id")
    replaced: bool = Field(default=False)  # a newer version exists
    correction_reason: str | None = Field(default=None, max_length=500)
    voided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    voided_by_id: int | None = Field(default=None, foreign_key="person.id")
    void_reason: str | None = Field(default=None, max_length=500)


class PhotoTag(SQLModel, table=True):
    """A child shown in a daily-log photo: that child's guardians may see it."""

    __tablename__ = "photo_tag"
    __table_args__ = (UniqueConstraint("photo_id", "child_id"),)

    id: int | None = Field(default=None, primary_key=True)
    photo_id: int = Field(foreign_key="photo.id", index=True)
    child_id: int = Field(foreign_key="child.id", index=True)


class OutdoorTime(SQLModel, table=True):
    """Outdoor time of a room (户外活动), at least 120 min a day unless a reason is recorded."""

    __tablename__ = "outdoor_time"

    id: int | None = Field(default=None, primary_key=True)
    room_id: int = Field(foreign_key="room.id", index=True)
    on_date: date = Field(index=True)
    started_at: datetime = Field(sa_type=UtcDateTime, nullable=False)
    ended_at: datetime = Field(sa_type=UtcDateTime, nullable=False)
    by_id: int = Field(foreign_key="person.id")
    voided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    voided_by_id: int | None = Field(default=None, foreign_key="person.id")
    void_reason: str | None = Field(default=None, max_length=500)


class OutdoorShortfall(SQLModel, table=True):
    """Why a room stayed in on a day (rain, haze, heat...): silences the under-120-minutes warning."""

    __tablename__ = "outdoor_shortfall"
    __table_args__ = (UniqueConstraint("room_id", "on_date"),)

    id: int | None = Field(default=None, primary_key=True)
    room_id: int = Field(foreign_key="room.id", index=True)
    on_date: date
    reason: str = Field(max_length=500)
    by_id: int = Field(foreign_key="person.id")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)
