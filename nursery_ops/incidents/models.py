"""Incidents and injuries (意外伤害): what happened to a child, who helped, who was told, and the follow-up.

An incident is never deleted. Changes after it was recorded go through the
service, which writes the row's before/after to the audit log; a closed
incident no longer changes.
"""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel, UniqueConstraint

from nursery_ops.clock import utcnow
from nursery_ops.db import UtcDateTime, enum_type


class IncidentCategory(StrEnum):
    """The categories of 托育机构婴幼儿伤害预防指南（试行）, plus suspected abuse."""

    choking = "choking"  # 窒息: choking / suffocation
    fall = "fall"  # 跌落 / 摔伤
    burn = "burn"  # 烧烫伤: burn / scald
    drowning = "drowning"  # 溺水
    poisoning = "poisoning"  # 中毒
    foreign_body = "foreign_body"  # 异物
    traffic = "traffic"  # 交通伤害
    other = "other"
    # 疑似虐待 / 家庭暴力: must be reported to the police (未成年人保护法 第11条).
    suspected_abuse = "suspected_abuse"


class Incident(SQLModel, table=True):
    """One incident or injury of one child, from the first report to the director's close."""

    __tablename__ = "incident"
    __table_args__ = (UniqueConstraint("form_token"),)

    id: int | None = Field(default=None, primary_key=True)
    child_id: int = Field(foreign_key="child.id", index=True)
    # The child's room when it happened (None for a child without a room then).
    room_id: int | None = Field(default=None, foreign_key="room.id", index=True)
    category: IncidentCategory = Field(sa_type=enum_type(IncidentCategory))
    occurred_at: datetime = Field(sa_type=UtcDateTime, nullable=False)
    on_date: date = Field(index=True)  # the nursery's local date of occurred_at
    place: str = Field(max_length=200)
    # Region codes of the body outline (incidents.forms.BODY_REGIONS).
    body_parts: list[str] = Field(default_factory=list, sa_type=JSON)
    description: str = Field(max_length=2000)
    first_aid: str = Field(default="", max_length=2000)
    hospital_referral: bool = Field(default=False)
    hospital: str = Field(default="", max_length=200)  # where the child was taken
    cause: str = Field(default="", max_length=2000)
    corrective_action: str = Field(default="", max_length=2000)
    recorded_by_id: int = Field(foreign_key="person.id")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)
    # A double submit sends the same token twice: the second finds the first incident.
    form_token: str | None = Field(default=None, max_length=64)

    # Guardian notified (required before closing): when, how, by whom.
    guardian_notified_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    guardian_notified_how: str = Field(default="", max_length=200)
    guardian_notified_by_id: int | None = Field(default=None, foreign_key="person.id")

    # Police report (报警记录), required to close a suspected abuse.
    police_reported_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    police_station: str = Field(default="", max_length=200)
    police_reference: str = Field(default="", max_length=100)
    police_recorded_by_id: int | None = Field(default=None, foreign_key="person.id")

    # The director's sign-off (负责人签字).
    signed_off_by_id: int | None = Field(default=None, foreign_key="person.id")
    signed_off_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    sign_off_remarks: str = Field(default="", max_length=1000)

    closed_at: datetime | None = Field(default=None, sa_type=UtcDateTime, index=True)
    closed_by_id: int | None = Field(default=None, foreign_key="person.id")

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class IncidentStaff(SQLModel, table=True):
    """A member of staff present at the incident."""

    __tablename__ = "incident_staff"
    __table_args__ = (UniqueConstraint("incident_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
