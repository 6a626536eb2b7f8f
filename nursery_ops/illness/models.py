"""Health during the day: the midday check (午检), observation entries, illness in the nursery, outbreak alerts.

An illness is one child's episode in one day, taken step by step: observed →
isolated → guardian notified → picked up → outcome, each step with its time and
the person who did it. Nothing is deleted: a mistaken illness is voided with a reason.
"""

from datetime import date, datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel, UniqueConstraint

from nursery_ops.clock import utcnow
from nursery_ops.db import UtcDateTime, enum_type


class Symptom(StrEnum):
    """The fixed list of symptoms; the outbreak alert counts children per symptom."""

    fever = "fever"
    cough = "cough"
    rash = "rash"
    vomiting = "vomiting"
    diarrhoea = "diarrhoea"
    conjunctivitis = "conjunctivitis"
    sores = "sores"  # mouth / hand sores (手足口)
    other = "other"


class Spirits(StrEnum):
    good = "good"
    low = "low"


class Skin(StrEnum):
    normal = "normal"
    rash = "rash"
    other = "other"  # bruise, pallor...: described in the notes


class MiddayOutcome(StrEnum):
    fine = "fine"
    observe = "observe"
    ill = "ill"  # starts an illness


class MiddayCheck(SQLModel, table=True):
    """午检 — after the nap: temperature, spirits, skin. "Ill" starts an illness."""

    __tablename__ = "midday_check"
    __table_args__ = (UniqueConstraint("form_token"),)

    id: int | None = Field(default=None, primary_key=True)
    child_id: int = Field(foreign_key="child.id", index=True)
    room_id: int = Field(foreign_key="room.id", index=True)
    on_date: date = Field(index=True)
    at: datetime = Field(sa_type=UtcDateTime, nullable=False)
    # Tenths of a degree, as the morning check: exact comparisons with the fever threshold.
    temperature_tenths: int
    spirits: Spirits = Field(sa_type=enum_type(Spirits))
    skin: Skin = Field(sa_type=enum_type(Skin))
    notes: str = Field(default="", max_length=500)
    outcome: MiddayOutcome = Field(sa_type=enum_type(MiddayOutcome))
    illness_id: int | None = Field(default=None, foreign_key="illness.id")
    by_id: int = Field(foreign_key="person.id")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)
    form_token: str | None = Field(default=None, max_length=64)


class Observation(SQLModel, table=True):
    """全日观察 — something seen during the day, optionally with a temperature, optionally part of an illness."""

    __tablename__ = "observation"
    __table_args__ = (UniqueConstraint("form_token"),)

    id: int | None = Field(default=None, primary_key=True)
    child_id: int = Field(foreign_key="child.id", index=True)
    room_id: int = Field(foreign_key="room.id", index=True)
    on_date: date = Field(index=True)
    at: datetime = Field(sa_type=UtcDateTime, nullable=False)
    text: str = Field(max_length=1000)
    temperature_tenths: int | None = None
    illness_id: int | None = Field(default=None, foreign_key="illness.id")
    by_id: int = Field(foreign_key="person.id")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)
    form_token: str | None = Field(default=None, max_length=64)


class IllnessOutcome(StrEnum):
    recovered = "recovered"  # recovered and stays
    went_home = "went_home"
    hospital = "hospital"


class Illness(SQLModel, table=True):
    """A child taken ill in the nursery (在园期间患病): the steps, timed and by whom."""

    __tablename__ = "illness"
    __table_args__ = (UniqueConstraint("form_token"),)

    id: int | None = Field(default=None, primary_key=True)
    child_id: int = Field(foreign_key="child.id", index=True)
    room_id: int = Field(foreign_key="room.id", index=True)
    on_date: date = Field(index=True)
    started_at: datetime = Field(sa_type=UtcDateTime, nullable=False)  # observed from
    started_by_id: int = Field(foreign_key="person.id")
    # Symptom codes separated by spaces ("fever cough"): read through `symptom_list`.
    symptoms: str = Field(max_length=200)
    symptom_note: str = Field(default="", max_length=500)  # what "other" was, and anything seen
    temperature_tenths: int | None = None
    suspected_infectious: bool = False
    suspected_disease: str = Field(default="", max_length=100)  # which: 手足口病, 水痘...
    return_certificate_id: int | None = Field(default=None, foreign_key="return_certificate.id")
    isolated_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    isolated_by_id: int | None = Field(default=None, foreign_key="person.id")
    isolation_place: str = Field(default="", max_length=100)
    guardian_notified_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    notified_by_id: int | None = Field(default=None, foreign_key="person.id")
    notified_whom: str = Field(default="", max_length=100)  # the guardian and how (phone, message)
    picked_up_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    picked_up_by_id: int | None = Field(default=None, foreign_key="person.id")  # the staff member at the door
    collected_by: str = Field(default="", max_length=100)  # the adult who came
    outcome: IllnessOutcome | None = Field(default=None, sa_type=enum_type(IllnessOutcome))
    outcome_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    outcome_by_id: int | None = Field(default=None, foreign_key="person.id")
    outcome_note: str = Field(default="", max_length=500)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)
    form_token: str | None = Field(default=None, max_length=64)
    voided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    voided_by_id: int | None = Field(default=None, foreign_key="person.id")
    void_reason: str | None = Field(default=None, max_length=500)

    @property
    def symptom_list(self) -> list[Symptom]:
        return [Symptom(code) for code in self.symptoms.split()]

    @property
    def closed(self) -> bool:
        return self.outcome is not None or self.voided_at is not None


class OutbreakRule(StrEnum):
    same_day = "same_day"  # ≥ outbreak_same_day children in one day
    three_days = "three_days"  # ≥ outbreak_three_days children within 3 days


class ReportedTo(StrEnum):
    cdc = "cdc"  # 疾病预防控制中心 (疾控)
    health_commission = "health_commission"  # 卫生健康部门


class OutbreakAlert(SQLModel, table=True):
    """聚集性疫情 — similar cases in one room: report within 24 h of detection, and the report's record.

    `detected_at` is the moment the threshold was crossed (when the case that made
    the count was recorded), so the deadline does not depend on when someone looked.
    Later cases of the same room and symptom with an overlapping window join the alert.
    """

    __tablename__ = "outbreak_alert"

    id: int | None = Field(default=None, primary_key=True)
    room_id: int = Field(foreign_key="room.id", index=True)
    symptom: Symptom = Field(sa_type=enum_type(Symptom))
    rule: OutbreakRule = Field(sa_type=enum_type(OutbreakRule))
    window_start: date
    window_end: date = Field(index=True)
    case_count: int
    child_ids: str = Field(max_length=1000)  # space-separated child ids, for the record
    detected_at: datetime = Field(sa_type=UtcDateTime, nullable=False)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)
    reported_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    reported_to: ReportedTo | None = Field(default=None, sa_type=enum_type(ReportedTo))
    report_reference: str = Field(default="", max_length=100)
    report_note: str = Field(default="", max_length=500)
    reported_by_id: int | None = Field(default=None, foreign_key="person.id")
