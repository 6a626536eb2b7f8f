"""Staff records the day depends on: certificates and room shifts."""

from datetime import date, datetime
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
    issued_on: date
    valid_until: date
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
