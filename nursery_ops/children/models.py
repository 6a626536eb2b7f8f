"""Children, their guardians and trusted adults, and their enrolments."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel, UniqueConstraint

from nursery_ops.clock import utcnow
from nursery_ops.db import UtcDateTime, enum_type


class Sex(StrEnum):
    female = "female"
    male = "male"


class VaccinationStatus(StrEnum):
    """预防接种证查验 — the vaccination certificate check at admission."""

    missing = "missing"
    pending = "pending"  # promised, with a deadline
    sighted = "sighted"


class Child(SQLModel, table=True):
    __tablename__ = "child"

    id: int | None = Field(default=None, primary_key=True)
    full_name: str = Field(max_length=50, index=True)
    sex: Sex = Field(sa_type=enum_type(Sex))
    birth_date: date
    photo_id: int | None = Field(default=None, foreign_key="photo.id")
    allergies: str = Field(default="", max_length=500)
    special_needs: str = Field(default="", max_length=1000)
    feeding_needs: str = Field(default="", max_length=1000)
    # Special feeding needs are followed only on the guardian's written statement.
    feeding_statement_on: date | None = None
    vaccination_status: VaccinationStatus = Field(
        default=VaccinationStatus.missing, sa_type=enum_type(VaccinationStatus)
    )
    vaccination_checked_on: date | None = None
    vaccination_due_on: date | None = None
    # Children's data is sensitive personal information (个人信息保护法): consent first.
    consent_on: date | None = None
    consent_guardian_id: int | None = Field(default=None, foreign_key="guardian.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)


class Guardian(SQLModel, table=True):
    """监护人 — a parent or legal guardian; may have several children here."""

    __tablename__ = "guardian"

    id: int | None = Field(default=None, primary_key=True)
    full_name: str = Field(max_length=50)
    phone: str = Field(max_length=20)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)


class ChildGuardian(SQLModel, table=True):
    """How a guardian stands to one child, and what they may do for it."""

    __tablename__ = "child_guardian"
    __table_args__ = (UniqueConstraint("child_id", "guardian_id"),)

    id: int | None = Field(default=None, primary_key=True)
    child_id: int = Field(foreign_key="child.id", index=True)
    guardian_id: int = Field(foreign_key="guardian.id", index=True)
    relation: str = Field(max_length=20)
    may_pick_up: bool = Field(default=True)
    # False e.g. under a court order: the guardian then sees nothing of this child.
    may_view: bool = Field(default=True)
    active: bool = Field(default=True)
    ended_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    ended_reason: str | None = Field(default=None, max_length=500)


class TrustedAdult(SQLModel, table=True):
    """An adult who is not a guardian: on the pick-up list, an emergency contact, or both."""

    __tablename__ = "trusted_adult"

    id: int | None = Field(default=None, primary_key=True)
    child_id: int = Field(foreign_key="child.id", index=True)
    full_name: str = Field(max_length=50)
    relation: str = Field(max_length=20)
    phone: str = Field(max_length=20)
    photo_id: int | None = Field(default=None, foreign_key="photo.id")
    may_pick_up: bool = Field(default=True)
    emergency_contact: bool = Field(default=False)
    active: bool = Field(default=True)
    added_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)
    removed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    removed_reason: str | None = Field(default=None, max_length=500)


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
