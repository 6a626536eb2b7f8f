"""The parent committee (家长委员会): members, meetings, opinions with the nursery's responses, parent activities.

The director writes, parents and staff read. Nothing is deleted: a record entered by mistake
is voided (who, when, why), an edit is audited with its before and after.
"""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from nursery_ops.clock import utcnow
from nursery_ops.db import UtcDateTime, enum_type


class CommitteeRole(StrEnum):
    chair = "chair"  # 主任
    vice_chair = "vice_chair"  # 副主任
    member = "member"  # 委员


class ActivityKind(StrEnum):
    activity = "activity"  # 家长活动: open day, parents' meeting, workshop...
    survey = "survey"  # 满意度调查


class CommitteeMember(SQLModel, table=True):
    """家长委员会委员 — a guardian on the committee for a term.

    The term ends on `to_date`, or earlier when the guardian's last child leaves the nursery
    (worked out from the enrolments, so the row itself is never touched for that).
    """

    __tablename__ = "committee_member"

    id: int | None = Field(default=None, primary_key=True)
    guardian_id: int = Field(foreign_key="guardian.id", index=True)
    role: CommitteeRole = Field(sa_type=enum_type(CommitteeRole))
    from_date: date
    to_date: date | None = None
    created_by_id: int = Field(foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)
    voided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    voided_by_id: int | None = Field(default=None, foreign_key="person.id")
    void_reason: str | None = Field(default=None, max_length=500)


class CommitteeMeeting(SQLModel, table=True):
    """家委会会议 — a meeting with its attendees, agenda and minutes (会议纪要)."""

    __tablename__ = "committee_meeting"

    id: int | None = Field(default=None, primary_key=True)
    held_on: date = Field(index=True)
    # Members present, as committee_member ids; the staff present are named in free text.
    attendee_member_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    staff_attendees: str = Field(default="", max_length=500)
    agenda: str = Field(max_length=2000)
    minutes: str = Field(default="", max_length=10000)
    created_by_id: int = Field(foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)
    voided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    voided_by_id: int | None = Field(default=None, foreign_key="person.id")
    void_reason: str | None = Field(default=None, max_length=500)


class CommitteeOpinion(SQLModel, table=True):
    """家委会意见 — the committee's opinion on a major matter, and the nursery's written response (书面答复)."""

    __tablename__ = "committee_opinion"

    id: int | None = Field(default=None, primary_key=True)
    given_on: date = Field(index=True)
    subject: str = Field(max_length=200)
    text: str = Field(max_length=5000)
    response: str | None = Field(default=None, max_length=5000)
    responded_on: date | None = None
    responded_by_id: int | None = Field(default=None, foreign_key="person.id")
    created_by_id: int = Field(foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)
    voided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    voided_by_id: int | None = Field(default=None, foreign_key="person.id")
    void_reason: str | None = Field(default=None, max_length=500)


class ParentActivity(SQLModel, table=True):
    """家长活动 or 满意度调查 — held on a date, with how many took part and what came of it.

    A survey's satisfaction rate is a whole percent; when the director entered the counts
    (satisfied of surveyed) they are kept too, and the percent is worked out from them.
    """

    __tablename__ = "parent_activity"

    id: int | None = Field(default=None, primary_key=True)
    held_on: date = Field(index=True)
    kind: ActivityKind = Field(sa_type=enum_type(ActivityKind), index=True)
    title: str = Field(max_length=200)
    participants: int
    results: str = Field(default="", max_length=5000)
    satisfaction_percent: int | None = None
    satisfied_count: int | None = None
    surveyed_count: int | None = None
    created_by_id: int = Field(foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)
    voided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    voided_by_id: int | None = Field(default=None, foreign_key="person.id")
    void_reason: str | None = Field(default=None, max_length=500)
