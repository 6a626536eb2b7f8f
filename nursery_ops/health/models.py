"""Health records kept for each child."""

from datetime import date, datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from nursery_ops.clock import utcnow
from nursery_ops.db import UtcDateTime, enum_type


class ExamKind(StrEnum):
    entry = "entry"  # 入托体检
    periodic = "periodic"  # 定期体检
    return_after_absence = "return"  # after 3 months away


class HearingResult(StrEnum):
    """听力筛查 — the screening's outcome: pass, or refer to an audiologist."""

    passed = "pass"
    refer = "refer"


class HealthExam(SQLModel, table=True):
    """A health exam done by a medical institution."""

    __tablename__ = "health_exam"

    id: int | None = Field(default=None, primary_key=True)
    child_id: int = Field(foreign_key="child.id", index=True)
    kind: ExamKind = Field(sa_type=enum_type(ExamKind))
    exam_date: date
    institution: str = Field(max_length=100)
    passed: bool
    # Screenings done at the same visit (DOMAIN.md "Health over time": yearly); None when not done.
    haemoglobin_g_l: int | None = None  # 血红蛋白, g/L
    hearing: HearingResult | None = Field(default=None, sa_type=enum_type(HearingResult))
    notes: str = Field(default="", max_length=1000)
    recorded_by_id: int | None = Field(default=None, foreign_key="person.id")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)
    voided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    voided_by_id: int | None = Field(default=None, foreign_key="person.id")
    void_reason: str | None = Field(default=None, max_length=500)


class ReturnCertificate(SQLModel, table=True):
    """返园证明 — a doctor's note required before a child may come back (suspected infectious disease)."""

    __tablename__ = "return_certificate"

    id: int | None = Field(default=None, primary_key=True)
    child_id: int = Field(foreign_key="child.id", index=True)
    required_since: date
    reason: str = Field(max_length=500)
    required_by_id: int | None = Field(default=None, foreign_key="person.id")
    received_on: date | None = None
    issued_by: str = Field(default="", max_length=100)  # the doctor or clinic
    received_by_id: int | None = Field(default=None, foreign_key="person.id")
    # Voided when the cause was recorded in error (its illness voided, nothing else requiring it).
    voided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    voided_by_id: int | None = Field(default=None, foreign_key="person.id")
    void_reason: str | None = Field(default=None, max_length=500)
