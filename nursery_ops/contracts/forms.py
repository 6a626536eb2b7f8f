"""The contract forms: the draft's terms, signing, ending, amending; the calendar and the phrase list."""

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

from nursery_ops.contracts.models import (
    CalendarDayKind,
    ChargeUnit,
    ContractStatus,
    FeeUnit,
)
from nursery_ops.enrolment.models import CareType
from nursery_ops.forms import FieldError, FormModel, required_text
from nursery_ops.i18n import N_
from nursery_ops.money import yuan_to_fen
from nursery_ops.rooms.models import RoomType

def yuan_amount(value):
    """A yuan amount as typed ("1280.50") in fen (128050): no negatives, at most two decimals."""
    if isinstance(value, int):
        return value
    try:
        return yuan_to_fen(str(value))
    except ValueError as error:
        raise FieldError(str(error)) from None


Fen = Annotated[int, BeforeValidator(yuan_amount)]


class ContractForm(FormModel):
    """A draft's terms; completeness is checked when it is signed (rules.missing_parts)."""

    start_date: dt.date
    end_date: dt.date
    care_type: CareType
    hours: str = Field(default="", max_length=100)
    room_type: RoomType
    care_fee: Fen
    care_fee_unit: FeeUnit
    meal_fee_per_day: Fen = 0
    deposit: Fen = 0
    months_per_payment: int = Field(default=1, ge=1, le=12)
    payment_due_day: int = Field(default=5, ge=1, le=28)
    refund_withdrawal_pro_rata: bool = False
    withdrawal_notice_days: int = Field(default=0, ge=0, le=90)
    refund_meals_not_attended: bool = False
    sick_refund_min_days: int = Field(default=5, ge=1, le=60)
    sick_refund_percent: int = Field(default=50, ge=0, le=100)
    refund_closure_full: bool = False
    refund_deposit: bool = False
    dispute_resolution: str = Field(default="", max_length=2000)
    other_terms: str = Field(default="", max_length=5000)
    # Optional services (兴趣课, 校车...): rows of name, amount, unit; blank rows are ignored. The unit <select>
    # always sends a value, so blanks are kept: the n-th name, amount and unit belong to the same row.
    keep_blank_items = frozenset({"charge_name", "charge_amount", "charge_unit"})
    charge_name: list[str] = Field(default_factory=list)
    charge_amount: list[str] = Field(default_factory=list)
    charge_unit: list[str] = Field(default_factory=list)


def charge_rows(data: ContractForm) -> tuple[list[tuple[str, int, ChargeUnit]], dict]:
    """The optional services filled in, row by row, and an error for the first bad row (keyed `charges`)."""
    rows = []
    count = max(len(data.charge_name), len(data.charge_amount), len(data.charge_unit))
    for index in range(count):
        name = data.charge_name[index].strip() if index < len(data.charge_name) else ""
        amount = data.charge_amount[index].strip() if index < len(data.charge_amount) else ""
        unit = (data.charge_unit[index] if index < len(data.charge_unit) else "") or ChargeUnit.month.value
        if not name and not amount:
            continue
        if not name or not amount:
            return [], {"charges": N_("Give each optional service a name and an amount.")}
        if len(name) > 100:
            return [], {"charges": N_("This is too long.")}
        try:
            fen = yuan_to_fen(amount)
        except ValueError as error:
            return [], {"charges": str(error)}
        try:
            rows.append((name, fen, ChargeUnit(unit)))
        except ValueError:
            return [], {"charges": N_("Choose one of the options.")}
    return rows, {}


class SignForm(FormModel):
    """Both signatures, as on the paper copy; missing ones are BLOCKs named by the rules."""

    guardian_id: int | None = None
    guardian_signed_on: dt.date | None = None
    director_signed_on: dt.date | None = None


class EndForm(FormModel):
    """Ending early (withdrawal, moving away): the last day of service and why."""

    ended_on: dt.date
    reason: Annotated[str, AfterValidator(required_text)] = Field(max_length=500)


class CalendarDayForm(FormModel):
    """One day or a run of days (国庆 1–7 October) closed, or a 调休 working day standing for a weekday."""

    on_date: dt.date
    until: dt.date | None = None
    kind: CalendarDayKind
    as_weekday: int | None = Field(default=None, ge=1, le=7)
    caused_by_nursery: bool = False
    name: Annotated[str, AfterValidator(required_text)] = Field(max_length=100)


class PhraseForm(FormModel):
    phrase: Annotated[str, AfterValidator(required_text)] = Field(max_length=100)


# ---------------------------------------------------------------- what stored values are called on screen

STATUS_LABELS = {
    ContractStatus.draft: N_("Draft"),
    ContractStatus.signed: N_("Signed"),
    ContractStatus.active: N_("Active"),
    ContractStatus.ended: N_("Ended"),
}

FEE_UNIT_LABELS = {
    FeeUnit.month: N_("per month"),
    FeeUnit.day: N_("per booked day"),
    FeeUnit.hour: N_("per started hour"),
}

CHARGE_UNIT_LABELS = {ChargeUnit.month: N_("per month"), ChargeUnit.once: N_("once")}

DAY_KIND_LABELS = {
    CalendarDayKind.closed: N_("Closed (法定节假日 / closure)"),
    CalendarDayKind.working: N_("Working day (调休)"),
}

LABELS = {
    "contract_status": STATUS_LABELS,
    "fee_unit": FEE_UNIT_LABELS,
    "charge_unit": CHARGE_UNIT_LABELS,
    "day_kind": DAY_KIND_LABELS,
}


def choices(labels: dict) -> list[tuple[str, str]]:
    return [(value.value, text) for value, text in labels.items()]
