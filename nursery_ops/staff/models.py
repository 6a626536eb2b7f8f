"""Staff records the day depends on: certificates, training, the duty roster and room shifts."""

from datetime import date, datetime, time
from enum import StrEnum

from sqlmodel import Field, SQLModel

from nursery_ops.clock import utcnow
from nursery_ops.db import UtcDateTime, enum_type


class CertificateKind(StrEnum):
    health = "health"  # 健康证
    no_criminal_record = "no_criminal_record"  # 无犯罪记录证明
    background_check = "background_check"  # 背景审查
    qualification = "qualification"  # 保育人员资格 and the like


class StaffCertificate(SQLModel, table=True):
    """A certificate a person must hold to work with children, with its expiry."""

    __tablename__ = "staff_certificate"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    kind: CertificateKind = Field(sa_type=enum_type(CertificateKind))
    number: str = Field(default="", max_length=64)
    # What a qualification is (保育师, 育婴员, 教师资格证...); empty for the other kinds.
    name: str = Field(default="", max_length=100)
    issued_on: date
    valid_until: date
    recorded_by_id: int | None = Field(default=None, foreign_key="person.id")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)
    voided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    void_reason: str | None = Field(default=None, max_length=500)


class Job(StrEnum):
    """岗位 — the post a member of staff holds (DOMAIN.md "Staff")."""

    director = "director"  # 负责人
    caregiver = "caregiver"  # 保育人员
    health = "health"  # 保健人员
    security = "security"  # 保安
    kitchen = "kitchen"  # 炊事
    other = "other"


class Employment(StrEnum):
    full_time = "full_time"  # 专职
    part_time = "part_time"  # 兼职


class StaffProfile(SQLModel, table=True):
    """A person's place on the staff register: post, full/part time, and a bar (never lifted)."""

    __tablename__ = "staff_profile"

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    job: Job = Field(sa_type=enum_type(Job))
    employment: Employment = Field(default=Employment.full_time, sa_type=enum_type(Employment))
    barred_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    barred_by_id: int | None = Field(default=None, foreign_key="person.id")
    barred_reason: str | None = Field(default=None, max_length=500)


class TrainingKind(StrEnum):
    pre_service = "pre_service"  # 岗前培训
    ethics = "ethics"  # 师德培训
    other = "other"


class StaffTraining(SQLModel, table=True):
    """One training a member of staff attended, with its hours (voided, never deleted)."""

    __tablename__ = "staff_training"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    on_date: date
    hours_tenths: int  # tenths of an hour, so totals add up exactly
    kind: TrainingKind = Field(sa_type=enum_type(TrainingKind))
    provider: str = Field(default="", max_length=200)
    recorded_by_id: int | None = Field(default=None, foreign_key="person.id")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)
    voided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    void_reason: str | None = Field(default=None, max_length=500)


class StaffShift(SQLModel, table=True):
    """A caregiver on duty in a room: clocked in, and out again (open while on duty)."""

    __tablename__ = "staff_shift"

    id: int | None = Field(default=None, primary_key=True)
    room_id: int = Field(foreign_key="room.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    on_date: date = Field(index=True)
    clock_in_at: datetime = Field(sa_type=UtcDateTime, nullable=False)
    clock_out_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    recorded_by_id: int | None = Field(default=None, foreign_key="person.id")


class RosterEntry(SQLModel, table=True):
    """排班 — one person on duty on one day, from a time to a time: caregivers in a room, the others at their post.

    The plan the director makes ahead; `StaffShift` is what happened. Voided with a reason, never deleted.
    """

    __tablename__ = "roster_entry"

    id: int | None = Field(default=None, primary_key=True)
    on_date: date = Field(index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    room_id: int | None = Field(default=None, foreign_key="room.id")
    starts_at: time
    ends_at: time
    recorded_by_id: int | None = Field(default=None, foreign_key="person.id")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)
    voided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    voided_by_id: int | None = Field(default=None, foreign_key="person.id")
    void_reason: str | None = Field(default=None, max_length=500)


class TabletPin(SQLModel, table=True):
    """A staff member's personal PIN for the shared room tablet (hashed; set by the director)."""

    __tablename__ = "tablet_pin"

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    pin_hash: str = Field(max_length=255)
    set_by_id: int | None = Field(default=None, foreign_key="person.id")
    set_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)


class PinFailure(SQLModel, table=True):
    """A wrong PIN on a tablet, kept for throttling."""

    __tablename__ = "pin_failure"

    id: int | None = Field(default=None, primary_key=True)
    session_hash: str = Field(max_length=64, index=True)
    # Whose PIN was tried: counted per person too, so signing in again does not reset the count.
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False, index=True)
