"""家长委托喂药 — medicine given at the nursery on a guardian's signed authorisation, and each dose given.

An authorisation is never deleted or edited: a mistake or an early end is a
cancellation with a reason (who, when). Doses are one row per authorised time slot
per day (given, or not given with the reason), with the giver and a second person
who checked.
"""

from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel, UniqueConstraint

from nursery_ops.clock import utcnow
from nursery_ops.db import UtcDateTime, enum_type


class MedicationRoute(StrEnum):
    oral = "oral"
    topical = "topical"  # on the skin
    eye_drops = "eye_drops"
    ear_drops = "ear_drops"
    nose_drops = "nose_drops"
    inhaled = "inhaled"
    other = "other"


class DoseUnit(StrEnum):
    ml = "ml"
    mg = "mg"
    tablet = "tablet"
    sachet = "sachet"
    drop = "drop"
    puff = "puff"
    application = "application"  # a thin layer of cream, once


class PrescriptionSource(StrEnum):
    """What the dose and times were checked against."""

    prescription = "prescription"  # a doctor's prescription (处方)
    packaging = "packaging"  # the original packaging and its label (原包装说明)


class SignedHow(StrEnum):
    """How the guardian's signature was given: always on the paper form, kept on file."""

    paper_at_desk = "paper_at_desk"  # signed in front of staff when handing over the medicine
    paper_brought_in = "paper_brought_in"  # the signed form came in with the medicine


class DoseOutcome(StrEnum):
    given = "given"
    refused = "refused"  # the child refused
    vomited = "vomited"  # the child brought it up: not repeated without the guardian's word
    not_given = "not_given"  # any other reason, written down


class MedicationAuthorisation(SQLModel, table=True):
    """A guardian's signed request that the nursery give one medicine at fixed times over a few days."""

    __tablename__ = "medication_authorisation"

    id: int | None = Field(default=None, primary_key=True)
    child_id: int = Field(foreign_key="child.id", index=True)
    drug_name: str = Field(max_length=100)
    # Hundredths of the unit (250 = 2.5 ml, 50 = half a tablet): exact comparisons with each dose.
    dose_hundredths: int
    dose_unit: DoseUnit = Field(sa_type=enum_type(DoseUnit))
    route: MedicationRoute = Field(sa_type=enum_type(MedicationRoute))
    # Fixed times of day, "HH:MM" comma-separated and sorted ("08:30,12:00"). Never "as needed".
    times: str = Field(max_length=60)
    start_date: date = Field(index=True)
    end_date: date = Field(index=True)
    prescription_source: PrescriptionSource = Field(sa_type=enum_type(PrescriptionSource))
    prescription_reference: str = Field(max_length=200)  # e.g. the hospital and prescription number
    instructions: str = Field(default="", max_length=500)  # e.g. "after food", "shake well"
    signed_by_guardian_id: int = Field(foreign_key="guardian.id")
    signed_on: date
    signed_how: SignedHow = Field(sa_type=enum_type(SignedHow))
    recorded_by_id: int = Field(foreign_key="person.id")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)
    cancelled_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    cancelled_by_id: int | None = Field(default=None, foreign_key="person.id")
    cancel_reason: str | None = Field(default=None, max_length=500)

    @property
    def slots(self) -> list[time]:
        return [time.fromisoformat(part) for part in self.times.split(",") if part]


class MedicationDose(SQLModel, table=True):
    """One authorised slot on one day: given (amount, giver, checker) or not given (why).

    A record made in error (the wrong slot tapped) is voided with a reason, never
    deleted; the slot can then be recorded again.
    """

    __tablename__ = "medication_dose"
    __table_args__ = (
        # One current record per slot per day: a second dose for the same slot is refused, also under a race.
        Index(
            "uq_medication_dose_slot", "authorisation_id", "on_date", "slot", unique=True,
            sqlite_where=text("voided_at IS NULL"), postgresql_where=text("voided_at IS NULL"),
        ),
        UniqueConstraint("form_token"),
    )

    id: int | None = Field(default=None, primary_key=True)
    authorisation_id: int = Field(foreign_key="medication_authorisation.id", index=True)
    child_id: int = Field(foreign_key="child.id", index=True)
    room_id: int | None = Field(default=None, foreign_key="room.id")  # the room tablet it was recorded on
    on_date: date = Field(index=True)  # the nursery's local date of `at`
    slot: time  # the authorised time of day this dose answers
    outcome: DoseOutcome = Field(sa_type=enum_type(DoseOutcome))
    at: datetime = Field(sa_type=UtcDateTime, nullable=False)  # when given (or when it was tried)
    amount_hundredths: int | None = None  # given doses only; equals the authorised dose
    given_by_id: int = Field(foreign_key="person.id")
    checked_by_id: int | None = Field(default=None, foreign_key="person.id")  # required when given
    reason: str = Field(default="", max_length=500)  # why not given
    notes: str = Field(default="", max_length=500)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)
    form_token: str | None = Field(default=None, max_length=64)
    voided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    voided_by_id: int | None = Field(default=None, foreign_key="person.id")
    void_reason: str | None = Field(default=None, max_length=500)
