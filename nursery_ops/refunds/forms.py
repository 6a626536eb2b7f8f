"""Refund, refund payment and meal-spending forms; yuan as typed → integer fen."""

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

from nursery_ops.billing.models import PaymentMethod, RefundKind
from nursery_ops.forms import FieldError, FormModel, not_in_future
from nursery_ops.i18n import N_
from nursery_ops.money import yuan_to_fen

NOT_A_MONTH = N_("Enter a month as YYYY-MM.")


KIND_LABELS = {
    RefundKind.withdrawal: N_("Withdrawal (unused prepaid care fee)"),
    RefundKind.meals: N_("Meals not attended"),
    RefundKind.sick_leave: N_("Sick leave with a doctor's note"),
    RefundKind.closure: N_("Closure caused by the nursery"),
    RefundKind.deposit: N_("Deposit"),
}
METHOD_LABELS = {
    PaymentMethod.cash: N_("Cash"),
    PaymentMethod.bank_transfer: N_("Bank transfer"),
    PaymentMethod.wechat_pay: N_("WeChat Pay"),
    PaymentMethod.alipay: N_("Alipay"),
}


def first_of_month(text: str) -> dt.date:
    try:
        year, month = (int(part) for part in str(text).strip().split("-"))
        return dt.date(year, month, 1)
    except ValueError:
        raise FieldError(NOT_A_MONTH) from None


Fen = Annotated[int, BeforeValidator(lambda value: value if isinstance(value, int) else yuan_to_fen(value))]
Month = Annotated[dt.date, BeforeValidator(lambda value: value if isinstance(value, dt.date) else first_of_month(value))]
PastDate = Annotated[dt.date, AfterValidator(not_in_future)]


class RefundForm(FormModel):
    """The inputs of every kind; the service says which a kind needs (`rules` keep the calculation)."""

    requested_on: PastDate
    leaving_on: dt.date | None = None  # withdrawal, deposit
    notice_given_on: dt.date | None = None  # withdrawal
    period_start: dt.date | None = None  # meals, sick leave, closure
    period_end: dt.date | None = None
    # Sick leave: the note is seen by the director and named here; both go into the trace.
    doctor_note: str = Field(default="", max_length=200)
    doctor_note_seen: bool = False
    # Deposit: documented damages, rows of description and amount; blank rows are ignored, blank inputs are kept
    # so the n-th description and the n-th amount stay one row.
    keep_blank_items = frozenset({"damage_description", "damage_amount"})
    damage_description: list[str] = Field(default_factory=list)
    damage_amount: list[str] = Field(default_factory=list)


class PaidForm(FormModel):
    paid_on: PastDate
    method: PaymentMethod
    reference: str = Field(default="", max_length=100)


class SpendingForm(FormModel):
    month: Month
    amount: Fen
    note: str = Field(default="", max_length=500)


def damage_rows(data: RefundForm) -> tuple[list[tuple[str, int]], dict]:
    """The damages filled in, and an error for the first bad row (keyed `damages`)."""
    rows = []
    count = max(len(data.damage_description), len(data.damage_amount))
    for index in range(count):
        text = data.damage_description[index].strip() if index < len(data.damage_description) else ""
        amount = data.damage_amount[index].strip() if index < len(data.damage_amount) else ""
        if not text and not amount:
            continue
        if not text or not amount:
            return [], {"damages": N_("Give each damage a description and an amount.")}
        try:
            rows.append((text[:200], yuan_to_fen(amount)))
        except FieldError as error:
            return [], {"damages": str(error)}
    return rows, {}
