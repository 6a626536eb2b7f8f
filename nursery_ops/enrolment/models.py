"""Enrolment (入托): care type, weekly schedule, room, waitlist, transfers, withdrawal."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from nursery_ops.clock import utcnow
from nursery_ops.db import UtcDateTime, enum_type


class CareType(StrEnum):
    full_day = "full_day"  # 全日托
    half_day = "half_day"  # 半日托
    hourly = "hourly"  # 计时托
    temporary = "temporary"  # 临时托


class HalfDaySession(StrEnum):
    morning = "morning"
    afternoon = "afternoon"


class EnrolmentStatus(StrEnum):
    waitlisted = "waitlisted"
    enrolled = "enrolled"
    withdrawn = "withdrawn"


class Enrolment(SQLModel, table=True):
    """入托 — one child's place: care type, weekly schedule, room, from start to leaving.

    A waitlisted enrolment has no room yet; its place in the queue is `applied_on`
    then `id`. A child has at most one open (waitlisted or enrolled) enrolment.
    """

    __tablename__ = "enrolment"
    __table_args__ = (
        Index(
            "uq_enrolment_open_child",
            "child_id",
            unique=True,
            sqlite_where=text("status != 'withdrawn'"),
            postgresql_where=text("status != 'withdrawn'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    child_id: int = Field(foreign_key="child.id", index=True)
    room_id: int | None = Field(default=None, foreign_key="room.id", index=True)
    status: EnrolmentStatus = Field(sa_type=enum_type(EnrolmentStatus), index=True)
    care_type: CareType = Field(sa_type=enum_type(CareType))
    # ISO weekdays the child comes, e.g. "12345" for Monday to Friday.
    schedule_days: str = Field(max_length=7)
    half_day_session: HalfDaySession | None = Field(default=None, sa_type=enum_type(HalfDaySession))
    applied_on: date
    start_date: date
    end_date: date | None = None
    withdrawal_reason: str | None = Field(default=None, max_length=500)
    # The signed service agreement; the fee contract replaces this date when it exists.
    agreement_signed_on: date | None = None
    created_by_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)


class RoomTransfer(SQLModel, table=True):
    """A move of an enrolled child from one room to another."""

    __tablename__ = "room_transfer"

    id: int | None = Field(default=None, primary_key=True)
    enrolment_id: int = Field(foreign_key="enrolment.id", index=True)
    from_room_id: int = Field(foreign_key="room.id")
    to_room_id: int = Field(foreign_key="room.id")
    on_date: date
    reason: str = Field(max_length=500)
    by_id: int | None = Field(default=None, foreign_key="person.id")
    at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)
