"""Arrival and departure (入园 / 离园), the morning check (晨检), absences and bookings."""

from datetime import date, datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel, UniqueConstraint

from nursery_ops.clock import utcnow
from nursery_ops.db import UtcDateTime, enum_type


class CheckOutcome(StrEnum):
    admit = "admit"
    observe = "observe"  # admit and observe
    send_home = "send_home"


class MorningCheck(SQLModel, table=True):
    """晨检 — 一摸二看三问四查 at arrival. A later check the same day replaces the earlier for check-in."""

    __tablename__ = "morning_check"
    __table_args__ = (UniqueConstraint("form_token"),)

    id: int | None = Field(default=None, primary_key=True)
    child_id: int = Field(foreign_key="child.id", index=True)
    on_date: date = Field(index=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)
    # Tenths of a degree Celsius (373 = 37.3 °C): exact comparisons with the threshold.
    temperature_tenths: int
    feels_feverish: bool = False  # 一摸: feel for fever
    throat_red: bool = False  # 二看: throat
    rash: bool = False  # 二看: skin / rash
    low_spirits: bool = False  # 二看: spirits
    poor_sleep: bool = False  # 三问: sleep at home
    poor_appetite: bool = False  # 三问: food at home
    abnormal_stools: bool = False  # 三问: stools at home
    unsafe_items_found: bool = False  # 四查: unsafe items
    suspected_infection: bool = False
    outcome: CheckOutcome = Field(sa_type=enum_type(CheckOutcome))
    notes: str = Field(default="", max_length=500)
    by_id: int = Field(foreign_key="person.id")
    form_token: str | None = Field(default=None, max_length=64)  # one check per rendered form: a double tap saves once


class Attendance(SQLModel, table=True):
    """One child's day in a room: arrival and departure, who brought and who collected."""

    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("child_id", "on_date"),)

    id: int | None = Field(default=None, primary_key=True)
    child_id: int = Field(foreign_key="child.id", index=True)
    room_id: int = Field(foreign_key="room.id", index=True)
    on_date: date = Field(index=True)
    check_in_at: datetime = Field(sa_type=UtcDateTime, nullable=False)
    brought_by: str = Field(max_length=100)  # the adult's name and relation, as seen at the door
    checked_in_by_id: int = Field(foreign_key="person.id")
    morning_check_id: int | None = Field(default=None, foreign_key="morning_check.id")
    check_in_override_reason: str | None = Field(default=None, max_length=500)
    check_out_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # Exactly one of these names who collected the child.
    picked_up_by_guardian_id: int | None = Field(default=None, foreign_key="guardian.id")
    picked_up_by_adult_id: int | None = Field(default=None, foreign_key="trusted_adult.id")
    picked_up_by_delegate_id: int | None = Field(default=None, foreign_key="pickup_delegate.id")
    checked_out_by_id: int | None = Field(default=None, foreign_key="person.id")


class AbsenceReason(StrEnum):
    sick = "sick"
    leave = "leave"
    unknown = "unknown"


class Absence(SQLModel, table=True):
    """An expected child not in: the reason, and for "unknown" the call to the family."""

    __tablename__ = "absence"
    __table_args__ = (UniqueConstraint("child_id", "on_date"),)

    id: int | None = Field(default=None, primary_key=True)
    child_id: int = Field(foreign_key="child.id", index=True)
    room_id: int = Field(foreign_key="room.id", index=True)
    on_date: date = Field(index=True)
    reason: AbsenceReason = Field(sa_type=enum_type(AbsenceReason))
    symptoms: str = Field(default="", max_length=500)
    suspected_infection: bool = False
    family_called_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    family_called_by_id: int | None = Field(default=None, foreign_key="person.id")
    call_note: str = Field(default="", max_length=500)
    recorded_by_id: int = Field(foreign_key="person.id")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)
    # The child arrived after all: the absence stays for the history, but no call is due and it is not a sick day.
    superseded_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class PickupDelegate(SQLModel, table=True):
    """A one-off adult collecting a child on one day, approved by a guardian beforehand."""

    __tablename__ = "pickup_delegate"

    id: int | None = Field(default=None, primary_key=True)
    child_id: int = Field(foreign_key="child.id", index=True)
    on_date: date = Field(index=True)
    full_name: str = Field(max_length=50)
    phone: str = Field(max_length=20)
    identity_note: str = Field(default="", max_length=100)  # e.g. the ID card checked at the door
    approved_by_guardian_id: int = Field(foreign_key="guardian.id")
    approval_how: str = Field(max_length=100)  # phone call, message, in person
    recorded_by_id: int = Field(foreign_key="person.id")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)


class TemporaryBooking(SQLModel, table=True):
    """临时托 — a day booked for a child on temporary care (by the director)."""

    __tablename__ = "temporary_booking"
    __table_args__ = (UniqueConstraint("enrolment_id", "on_date"),)

    id: int | None = Field(default=None, primary_key=True)
    enrolment_id: int = Field(foreign_key="enrolment.id", index=True)
    on_date: date = Field(index=True)
    booked_by_id: int = Field(foreign_key="person.id")
    booked_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)
    cancelled_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
