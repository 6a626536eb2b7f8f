"""Bill lines, rounding, numbering and the prepayment limit: plain functions on plain values (no DB, no HTTP).

Which months a bill charges (DOMAIN.md "Fee contracts and money", the usual practice of Chinese nurseries):

- A bill is for one calendar month M, limited to the contract's service period.
- Monthly care fee (全日托 / 半日托), monthly optional services and the meal fee are billed **in advance** for M.
  When the contract starts or ends inside M the monthly amounts are pro rata: exact fraction
  (covered service days / service days of the whole month), rounded once per line, halves up.
- Meals of days not attended are only known afterwards, so the bill for M **credits the scheduled days of
  M − 1 that the child did not attend** (when the contract refunds meals and M − 1 was billed with meals).
  The month of leaving has no next bill: its meal credit is a refund (refunds, RefundKind.meals).
- Hourly care (计时托) is billed per started hour of each day's stay in M (61 minutes = 2 hours), temporary
  care (临时托) per booked day in M; their meals per attended day in M. Bill these at the end of the month.
- The deposit, and optional services charged once, go on the first bill of the contract.
- Discounts and adjustments are lines of their own, each with a reason.

Money is int fen; only `round_half_up` turns a Fraction into fen.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from fractions import Fraction

from nursery_ops.billing.models import LineKind
from nursery_ops.contracts.models import ChargeUnit, FeeUnit
from nursery_ops.enrolment.models import CareType
from nursery_ops.i18n import N_
from nursery_ops.policy import Decision, Mode

PERIOD_OUTSIDE_CONTRACT = N_("The contract's service period ({start} to {end}) does not include {month}: no bill for that month.")
PREPAY_TOO_FAR = N_(
    "This would prepay service up to {end}: at most {months} months beyond the current month may be prepaid "
    "(through {limit})."
)
ALREADY_BILLED = N_("Bill {number} already covers {month}: void it first, then issue the new bill.")
NOT_SIGNED = N_("Only a signed contract can be billed.")


# ---------------------------------------------------------------- money arithmetic


def round_half_up(amount: Fraction | int) -> int:
    """Fen from an exact amount: halves away from zero (0.5 fen → 1 fen, −0.5 fen → −1 fen)."""
    amount = Fraction(amount)
    magnitude = math.floor(abs(amount) + Fraction(1, 2))
    return magnitude if amount >= 0 else -magnitude


def pro_rata(amount_fen: int, part: int, whole: int) -> int:
    """`amount_fen` × part / whole, rounded once; nothing when the whole has no service days."""
    if whole <= 0:
        return 0
    return round_half_up(Fraction(amount_fen * part, whole))


def started_hours(check_in_at: datetime, check_out_at: datetime) -> int:
    """计时托: every started hour counts (60 min = 1 h, 61 min = 2 h); a stay of no time is 0 h."""
    microseconds = (check_out_at - check_in_at) // timedelta(microseconds=1)
    return max(0, -(-microseconds // 3_600_000_000))


def fen_text(fen: int) -> str:
    """Yuan with two decimals for CSV and forms (exact: from int fen, never a float)."""
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


# ---------------------------------------------------------------- months and periods


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def add_months(first_of_month: date, months: int) -> date:
    """The first day of the month `months` after (or before) the month of `first_of_month`."""
    total = first_of_month.year * 12 + first_of_month.month - 1 + months
    return date(total // 12, total % 12 + 1, 1)


def parse_month(text: str | None) -> date | None:
    """"2026-11" → 2026-11-01; None when it is not a month."""
    try:
        year, month = (int(part) for part in (text or "").strip().split("-"))
        return date(year, month, 1)
    except ValueError:
        return None


def contract_end(end_date: date, ended_on: date | None) -> date:
    """The last day of service: the agreed end, or the day the contract was ended early."""
    return min(end_date, ended_on) if ended_on else end_date


def bill_period(month: date, start: date, end: date) -> tuple[date, date] | None:
    """The part of `month` inside the contract's service period, or None when they do not meet."""
    first, last = max(month_start(month), start), min(month_end(month), end)
    return (first, last) if first <= last else None


def period_decision(month: date, start: date, end: date) -> Decision | None:
    if bill_period(month, start, end) is None:
        return Decision(Mode.block, PERIOD_OUTSIDE_CONTRACT, {"start": start.isoformat(), "end": end.isoformat(),
                                                              "month": month.strftime("%Y-%m")})
    return None


def prepay_limit(today: date, max_months: int) -> date:
    """The last day of service that may be paid for on `today`.

    "Prepay" is service after the current month. At most `max_months` whole months of it: the limit is the
    last day of the month `max_months` after today's month (25 Nov with 3 → 28 Feb; 1 Mar is refused).
    """
    return month_end(add_months(month_start(today), max_months))


def prepay_decision(service_end: date, today: date, max_months: int) -> Decision | None:
    """BLOCK a bill or payment reaching service after the prepayment limit (郑州 plan: 3 months)."""
    limit = prepay_limit(today, max_months)
    if service_end > limit:
        return Decision(Mode.block, PREPAY_TOO_FAR, {"end": service_end.isoformat(), "months": max_months,
                                                     "limit": limit.isoformat()})
    return None


# ---------------------------------------------------------------- bill lines


@dataclass(frozen=True)
class Charge:
    """An optional service of the contract."""

    name: str
    amount_fen: int
    unit: ChargeUnit


@dataclass(frozen=True)
class Stay:
    """One attended day: arrival and (once the child has gone home) departure."""

    on_date: date
    check_in_at: datetime
    check_out_at: datetime | None


@dataclass(frozen=True)
class BillInputs:
    """Everything a month's bill is computed from, already loaded."""

    month: date  # the first day of the month billed
    care_type: CareType
    care_fee_fen: int
    care_fee_unit: FeeUnit
    meal_fee_per_day_fen: int
    deposit_fen: int
    refund_meals_not_attended: bool
    contract_start: date
    contract_end: date  # contract_end(end_date, ended_on)
    month_service_days: Sequence[date]  # the schedule's service days of the whole month (calendar applied)
    charges: Sequence[Charge] = ()
    stays: Sequence[Stay] = ()  # attended days in the month
    booked_days: Sequence[date] = ()  # 临时托 bookings in the month, not cancelled
    first_bill: bool = False
    # Meal credit for the previous month: its service days inside the contract, the days attended,
    # and whether it was billed with meals at all (no credit for meals never charged).
    previous_service_days: Sequence[date] = ()
    previous_attended: frozenset[date] = frozenset()
    previous_meals_billed: bool = False
    discount_fen: int = 0  # given as a positive amount, billed negative
    discount_reason: str = ""
    adjustment_fen: int = 0  # either sign
    adjustment_reason: str = ""


@dataclass(frozen=True)
class LineDraft:
    kind: LineKind
    description: str  # language-neutral detail: dates, counts, names; the kind gives the words
    quantity: int
    unit_fen: int
    amount_fen: int
    reason: str = ""


@dataclass
class BillDraft:
    period_start: date
    period_end: date
    lines: list[LineDraft] = field(default_factory=list)
    open_days: list[date] = field(default_factory=list)  # hourly: days without a departure time, not billed yet

    @property
    def total_fen(self) -> int:
        return sum(line.amount_fen for line in self.lines)


def _span(first: date, last: date) -> str:
    return f"{first.isoformat()} – {last.isoformat()}"


def _in(days: Iterable[date], first: date, last: date) -> list[date]:
    return [day for day in days if first <= day <= last]


def bill_lines(inputs: BillInputs) -> BillDraft:
    """The lines of the bill for `inputs.month` (see the module docstring for what each month carries)."""
    period = bill_period(inputs.month, inputs.contract_start, inputs.contract_end)
    if period is None:
        raise ValueError("month outside the contract: check period_decision first")
    first, last = period
    whole_month = first == month_start(inputs.month) and last == month_end(inputs.month)
    covered = _in(inputs.month_service_days, first, last)
    all_days = len(inputs.month_service_days)
    draft = BillDraft(first, last)
    lines = draft.lines

    def monthly(amount_fen: int) -> tuple[int, str]:
        """A monthly amount for the period: in full for a whole month, else pro rata by service days."""
        if whole_month:
            return amount_fen, _span(first, last)
        return pro_rata(amount_fen, len(covered), all_days), f"{_span(first, last)} · {len(covered)}/{all_days}"

    if inputs.care_fee_unit is FeeUnit.month:
        amount, detail = monthly(inputs.care_fee_fen)
        lines.append(LineDraft(LineKind.care_fee, detail, 1, inputs.care_fee_fen, amount))
    elif inputs.care_fee_unit is FeeUnit.hour:
        stays = [stay for stay in inputs.stays if first <= stay.on_date <= last]
        finished = [stay for stay in stays if stay.check_out_at is not None]
        draft.open_days = sorted(stay.on_date for stay in stays if stay.check_out_at is None)
        hours = sum(started_hours(stay.check_in_at, stay.check_out_at) for stay in finished)
        detail = f"{_span(first, last)} · {len(finished)}d"
        lines.append(LineDraft(LineKind.hourly, detail, hours, inputs.care_fee_fen, hours * inputs.care_fee_fen))
    else:
        booked = sorted(set(_in(inputs.booked_days, first, last)))
        detail = ", ".join(f"{day.month}/{day.day}" for day in booked) or _span(first, last)
        lines.append(LineDraft(LineKind.temporary, detail[:200], len(booked), inputs.care_fee_fen,
                               len(booked) * inputs.care_fee_fen))

    meal = inputs.meal_fee_per_day_fen
    if meal:
        if inputs.care_fee_unit is FeeUnit.month:
            lines.append(LineDraft(LineKind.meal_fee, _span(first, last), len(covered), meal, len(covered) * meal))
            if inputs.refund_meals_not_attended and inputs.previous_meals_billed:
                missed = [day for day in inputs.previous_service_days if day not in inputs.previous_attended]
                if missed:
                    previous = add_months(inputs.month, -1)
                    lines.append(LineDraft(LineKind.meal_credit, previous.strftime("%Y-%m"), len(missed), -meal,
                                           -len(missed) * meal))
        else:
            attended = sorted({stay.on_date for stay in inputs.stays if first <= stay.on_date <= last})
            lines.append(LineDraft(LineKind.meal_fee, _span(first, last), len(attended), meal, len(attended) * meal))

    for charge in inputs.charges:
        if charge.unit is ChargeUnit.month:
            amount, detail = monthly(charge.amount_fen)
            lines.append(LineDraft(LineKind.optional, f"{charge.name} · {detail}"[:200], 1, charge.amount_fen, amount))
        elif inputs.first_bill:
            lines.append(LineDraft(LineKind.optional, charge.name[:200], 1, charge.amount_fen, charge.amount_fen))

    if inputs.first_bill and inputs.deposit_fen:
        lines.append(LineDraft(LineKind.deposit, "", 1, inputs.deposit_fen, inputs.deposit_fen))
    if inputs.discount_fen:
        lines.append(LineDraft(LineKind.discount, "", 1, -inputs.discount_fen, -inputs.discount_fen,
                               inputs.discount_reason))
    if inputs.adjustment_fen:
        lines.append(LineDraft(LineKind.adjustment, "", 1, inputs.adjustment_fen, inputs.adjustment_fen,
                               inputs.adjustment_reason))
    return draft


# ---------------------------------------------------------------- numbers and allocation


def bill_number(year: int, sequence: int) -> str:
    return f"{year}-{sequence:06d}"


def receipt_number(year: int, sequence: int) -> str:
    return f"R{year}-{sequence:06d}"


def allocate(payments_fen: int, bill_totals: Sequence[int]) -> list[int]:
    """Money received spread over bills oldest first: how much of each bill is paid."""
    paid = []
    left = payments_fen
    for total in bill_totals:
        share = max(0, min(left, total))
        paid.append(share)
        left -= share
    return paid


def service_reached(paid_before_fen: int, amount_fen: int, bills: Sequence[tuple[int, date]]) -> date | None:
    """The last day of service a new payment pays for: the end of the last bill its money reaches.

    `bills` are (total, period_end) oldest first; money already received pays the oldest bills first.
    """
    reached = None
    start, end = paid_before_fen, paid_before_fen + amount_fen
    position = 0
    for total, period_end in bills:
        if total > 0 and position < end and position + total > start:
            reached = period_end if reached is None else max(reached, period_end)
        position += max(total, 0)
    return reached
