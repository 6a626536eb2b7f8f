"""The tablet's forms: morning check, check-in and out, delegates, absences; bookings and return certificates."""

from datetime import date, time
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from nursery_ops.attendance.models import AbsenceReason, CheckOutcome
from nursery_ops.attendance.rules import parse_temperature, temperature_error
from nursery_ops.forms import FieldError, FormModel, not_in_future, phone_number
from nursery_ops.i18n import N_
from nursery_ops.labels import choices


def temperature(text: str) -> int:
    tenths = parse_temperature(text)
    if (message := temperature_error(tenths)) is not None:
        raise FieldError(message)
    return tenths


class MorningCheckForm(FormModel):
    temperature: Annotated[str, AfterValidator(temperature)]
    form_token: str | None = Field(default=None, max_length=40)
    feels_feverish: bool = False
    throat_red: bool = False
    rash: bool = False
    low_spirits: bool = False
    poor_sleep: bool = False
    poor_appetite: bool = False
    abnormal_stools: bool = False
    unsafe_items_found: bool = False
    suspected_infection: bool = False
    outcome: CheckOutcome
    notes: str = Field(default="", max_length=500)


# The 一摸二看三问四查 toggles, in the order the check is done.
CHECK_ITEMS = (
    ("feels_feverish", N_("一摸 Feels feverish")),
    ("throat_red", N_("二看 Throat red")),
    ("rash", N_("二看 Rash on the skin")),
    ("low_spirits", N_("二看 Low spirits")),
    ("poor_sleep", N_("三问 Slept badly at home")),
    ("poor_appetite", N_("三问 Ate badly at home")),
    ("abnormal_stools", N_("三问 Abnormal stools")),
    ("unsafe_items_found", N_("四查 Unsafe items found")),
    ("suspected_infection", N_("Suspected infection")),
)


class CheckInForm(FormModel):
    # "guardian:<id>" or "adult:<id>" from the list with photos, or a name typed in.
    brought_by: str | None = None
    brought_by_name: str | None = Field(default=None, max_length=100)
    override_reason: str | None = Field(default=None, max_length=500)


class CheckOutForm(FormModel):
    collector: str  # "guardian:<id>", "adult:<id>" or "delegate:<id>"


class DelegateForm(FormModel):
    full_name: str = Field(max_length=50)
    phone: Annotated[str, AfterValidator(phone_number)]
    identity_note: str = Field(default="", max_length=100)
    approved_by_guardian_id: int
    approval_how: str = Field(max_length=100)


class AbsenceForm(FormModel):
    reason: AbsenceReason
    symptoms: str = Field(default="", max_length=500)
    suspected_infection: bool = False


class CallForm(FormModel):
    call_note: str = Field(max_length=500)


class TimesForm(FormModel):
    """Corrected arrival and departure: wall-clock times on the day of the stay, with why."""

    check_in: time
    check_out: time | None = None  # required when the child has gone home (the service says so)
    reason: str = Field(max_length=500)


class BookingForm(FormModel):
    on_date: date
    action: Literal["book", "cancel"] = "book"


class ReturnCertificateForm(FormModel):
    received_on: Annotated[date, AfterValidator(not_in_future)]
    issued_by: str = Field(max_length=100)


OUTCOME_CHOICES = choices("check_outcome")
ABSENCE_CHOICES = choices("absence_reason")
