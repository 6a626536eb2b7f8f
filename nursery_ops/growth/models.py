"""Growth measurements (生长发育监测): length/height, weight and head circumference, by whom and how.

Values are stored as measured, in whole units (mm, g): the z-scores are computed on
read (growth.who) from the child's sex and birth date. They are a pure function of
those and WHO's fixed tables, so storing them would only let them go stale when a
birth date is corrected; computing them is a few dictionary look-ups.
"""

from datetime import date, datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel, UniqueConstraint

from nursery_ops.clock import utcnow
from nursery_ops.db import UtcDateTime, enum_type


class Position(StrEnum):
    """How length/height was measured: WHO measures lying (身长) under 24 months, standing (身高) from 24."""

    lying = "lying"
    standing = "standing"


class Measurement(SQLModel, table=True):
    """One measuring session of a child; any of the three values may be missing (e.g. weight only)."""

    __tablename__ = "growth_measurement"
    __table_args__ = (UniqueConstraint("form_token"),)

    id: int | None = Field(default=None, primary_key=True)
    child_id: int = Field(foreign_key="child.id", index=True)
    on_date: date = Field(index=True)  # the nursery's local date of measuring
    length_mm: int | None = None  # as measured, before WHO's ±0.7 cm position correction
    position: Position | None = Field(default=None, sa_type=enum_type(Position))
    weight_g: int | None = None
    head_mm: int | None = None  # head circumference, measured under 24 months
    # An implausible value (|z| > 5, a drop in length) is kept only when measured again and confirmed.
    confirmed: bool = Field(default=False)
    notes: str = Field(default="", max_length=500)
    by_id: int = Field(foreign_key="person.id")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)
    # A double tap sends the same token twice: the second is refused by the unique index.
    form_token: str | None = Field(default=None, max_length=64)
    voided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    voided_by_id: int | None = Field(default=None, foreign_key="person.id")
    void_reason: str | None = Field(default=None, max_length=500)
