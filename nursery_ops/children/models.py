"""Children, their guardians, and the other adults trusted with them."""

from datetime import date, datetime
from enum import StrEnum

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
    # Past retention (nursery_ops.retention): only a pseudonymised row the accounting records point at is left.
    purged_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


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
