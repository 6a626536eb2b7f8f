"""The medication forms: a guardian's authorisation, its cancellation, and a dose."""

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

from nursery_ops.forms import FieldError, FormModel, not_in_future
from nursery_ops.i18n import N_
from nursery_ops.medication.models import (
    DoseOutcome,
    DoseUnit,
    MedicationRoute,
    PrescriptionSource,
    SignedHow,
)
from nursery_ops.medication.rules import AS_NEEDED, mentions_as_needed, read_dose

SIGNATURE_REQUIRED = N_("Record an authorisation only when the guardian has signed the paper form.")


def no_as_needed(value: str) -> str:
    if mentions_as_needed(value):
        raise FieldError(AS_NEEDED)
    return value


def dose_amount(value: str) -> int:
    """The dose as typed ("2.5") in hundredths of its unit (250)."""
    hundredths, message = read_dose(value)
    if message is not None:
        raise FieldError(message)
    return hundredths


def signed(value: bool) -> bool:
    if not value:
        raise FieldError(SIGNATURE_REQUIRED)
    return value


class AuthorisationForm(FormModel):
    guardian_id: int
    drug_name: Annotated[str, AfterValidator(no_as_needed)] = Field(max_length=100)
    dose: Annotated[int, BeforeValidator(dose_amount)]
    dose_unit: DoseUnit
    route: MedicationRoute
    # "08:30, 12:00": read by the service (rules.read_slots), which refuses "as needed".
    times: str = Field(max_length=200)
    start_date: dt.date
    end_date: dt.date
    prescription_source: PrescriptionSource
    prescription_reference: str = Field(max_length=200)
    instructions: Annotated[str, AfterValidator(no_as_needed)] = Field(default="", max_length=500)
    signed_on: Annotated[dt.date, AfterValidator(not_in_future)]
    signed_how: SignedHow
    signature_seen: Annotated[bool, AfterValidator(signed)] = False


def due_choice(value: str) -> tuple[int, dt.time]:
    """One authorised time slot as the dose form offers it: "<authorisation id>@HH:MM"."""
    try:
        authorisation_id, slot = str(value).split("@", 1)
        return int(authorisation_id), dt.time.fromisoformat(slot)
    except ValueError as error:
        raise FieldError(N_("Choose one of the options.")) from error


class DoseForm(FormModel):
    # Random per rendered form: the same token twice is a double tap.
    form_token: str | None = Field(default=None, max_length=40)
    due: Annotated[tuple[int, dt.time], BeforeValidator(due_choice)]
    outcome: DoseOutcome = DoseOutcome.given
    # Left empty: now. Set: an earlier time today (the nursery's clock).
    time: dt.time | None = None
    amount: Annotated[int | None, BeforeValidator(dose_amount)] = None
    checked_by_id: int | None = None
    reason: str = Field(default="", max_length=500)
    notes: str = Field(default="", max_length=500)


def choices(labels: dict) -> list[tuple[str, str]]:
    return [(value.value, text) for value, text in labels.items()]


ROUTE_LABELS = {
    MedicationRoute.oral: N_("By mouth (口服)"),
    MedicationRoute.topical: N_("On the skin (外用)"),
    MedicationRoute.eye_drops: N_("Eye drops (滴眼)"),
    MedicationRoute.ear_drops: N_("Ear drops (滴耳)"),
    MedicationRoute.nose_drops: N_("Nose drops (滴鼻)"),
    MedicationRoute.inhaled: N_("Inhaled (吸入)"),
    MedicationRoute.other: N_("Other"),
}

UNIT_LABELS = {
    DoseUnit.ml: N_("ml"),
    DoseUnit.mg: N_("mg"),
    DoseUnit.tablet: N_("tablet(s)"),
    DoseUnit.sachet: N_("sachet(s)"),
    DoseUnit.drop: N_("drop(s)"),
    DoseUnit.puff: N_("puff(s)"),
    DoseUnit.application: N_("application(s)"),
}

SOURCE_LABELS = {
    PrescriptionSource.prescription: N_("Doctor's prescription (处方)"),
    PrescriptionSource.packaging: N_("Original packaging and label (原包装说明)"),
}

SIGNED_HOW_LABELS = {
    SignedHow.paper_at_desk: N_("Signed on paper at the desk"),
    SignedHow.paper_brought_in: N_("Signed paper form brought in with the medicine"),
}

OUTCOME_LABELS = {
    DoseOutcome.given: N_("Given"),
    DoseOutcome.refused: N_("Not given: the child refused"),
    DoseOutcome.vomited: N_("Not given: the child vomited it"),
    DoseOutcome.not_given: N_("Not given: other reason"),
}

LABELS = {
    "route": ROUTE_LABELS,
    "unit": UNIT_LABELS,
    "source": SOURCE_LABELS,
    "signed_how": SIGNED_HOW_LABELS,
    "outcome": OUTCOME_LABELS,
}
