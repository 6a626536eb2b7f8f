"""Billing forms: a month's bill (discount and adjustment), voiding, payments. Yuan typed, fen stored."""

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

from nursery_ops.billing.models import LineKind, PaymentMethod
from nursery_ops.billing.rules import parse_month
from nursery_ops.forms import FieldError, FormModel, ReasonForm, not_in_future
from nursery_ops.i18n import N_
from nursery_ops.money import signed_yuan_to_fen, yuan_to_fen

NOT_A_MONTH = N_("Enter a month as YYYY-MM.")
REASON_NEEDED = N_("Give the reason for this line.")
MORE_THAN_ZERO = N_("Enter an amount of more than zero.")
REFERENCE_NEEDED = N_("Enter the transaction number from WeChat Pay, Alipay or the bank.")


METHOD_LABELS = {
    PaymentMethod.cash: N_("Cash (现金)"),
    PaymentMethod.bank_transfer: N_("Bank transfer (银行转账)"),
    PaymentMethod.wechat_pay: N_("WeChat Pay (微信支付)"),
    PaymentMethod.alipay: N_("Alipay (支付宝)"),
}

KIND_LABELS = {
    LineKind.care_fee: N_("Care fee (托育费)"),
    LineKind.hourly: N_("Hourly care (计时托), per started hour"),
    LineKind.temporary: N_("Temporary care (临时托), per booked day"),
    LineKind.meal_fee: N_("Meal fee (伙食费), per day"),
    LineKind.meal_credit: N_("Meals of days not attended, credited"),
    LineKind.optional: N_("Optional service"),
    LineKind.deposit: N_("Deposit (押金)"),
    LineKind.discount: N_("Discount"),
    LineKind.adjustment: N_("Adjustment"),
}


def _month(text: str) -> date:
    month = parse_month(text)
    if month is None:
        raise FieldError(NOT_A_MONTH)
    return month


def _positive(fen: int) -> int:
    if fen <= 0:
        raise FieldError(MORE_THAN_ZERO)
    return fen


Yuan = Annotated[int, BeforeValidator(lambda value: yuan_to_fen(str(value)))]
SignedYuan = Annotated[int, BeforeValidator(lambda value: signed_yuan_to_fen(str(value)))]
Month = Annotated[date, BeforeValidator(lambda value: value if isinstance(value, date) else _month(str(value)))]


class BillForm(FormModel):
    """A month's bill, or `months` consecutive monthly bills (the contract's payment schedule) from `month`.

    The discount applies to each month billed; the adjustment to the first bill only.
    """

    month: Month
    months: int = Field(default=1, ge=1, le=12)
    discount: Yuan = 0
    discount_reason: str = ""
    adjustment: SignedYuan = 0
    adjustment_reason: str = ""
    replaces_id: int | None = None
    override_reason: str = ""

    @classmethod
    def reason_errors(cls, data: "BillForm") -> dict:
        errors = {}
        if data.discount and not data.discount_reason:
            errors["discount_reason"] = REASON_NEEDED
        if data.adjustment and not data.adjustment_reason:
            errors["adjustment_reason"] = REASON_NEEDED
        return errors


class VoidForm(ReasonForm):
    reissue: bool = False


class PaymentForm(FormModel):
    amount: Annotated[Yuan, AfterValidator(_positive)]
    method: PaymentMethod
    reference: str = ""
    paid_on: Annotated[date, AfterValidator(not_in_future)]
    received_by_id: int
    bill_id: int | None = None
    override_reason: str = ""

    @classmethod
    def reference_errors(cls, data: "PaymentForm") -> dict:
        if data.method in (PaymentMethod.wechat_pay, PaymentMethod.alipay, PaymentMethod.bank_transfer) and not data.reference:
            return {"reference": REFERENCE_NEEDED}
        return {}
