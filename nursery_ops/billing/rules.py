"""Bill lines, rounding, numbering and the prepayment limit: plain functions on plain values (no DB, no HTTP).

Which months a bill charges (DOMAIN.md "Fee contracts and money", the usual practice of Chinese nurseries):

- A bill is for one calendar month M, limited to the contract's service period.
- Monthly care fee (全日托 / 半日托), monthly optional services and the meal fee are billed **in advance** for M.
  When the contract starts or ends inside M the monthly amounts are pro rata: exact fraction
  (covered service days / service days of the whole month), rounded once per line, halves up.
- Meals of days not attended are only known afterwards, so a bill **credits the scheduled days not attended
  of the months before M that were billed with meals** (when the contract refunds meals): each such day once,
  on the first bill made after the day has passed, whatever month that bill is for. Usually a month's days
  go on the next month's bill; but December's bill made on 25 November credits 1–24 November, and 25–30
  November go on the January bill with December's days. A day is not credited when a meal refund already
  gave it back, or when a credit line of a bill not voided credited it (its days are in the line's detail;
  voiding the bill makes them due again, on the reissue). One credit line per month, naming it and its days.
  The month of leaving has no next bill: its meal credit is a refund (refunds, RefundKind.meals).
- Hourly care (计时托) is billed per started hour of each day's stay in M (61 minutes = 2 hours), temporary
  care (临时托) per booked day in M; their meals per attended day in M. Bill these at the end of the month.
  A day still without a departure time is left out; once it has one, a **supplementary bill** for M charges
  the hours of such days only (the days each hourly line charged are kept in its detail).
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
from nursery_ops.forms import on_calendar
from nursery_ops.i18n import N_
from nursery_ops.policy import Decision, Mode

PERIOD_OUTSIDE_CONTRACT = N_("The contract's service period ({start} to {end}) does not include {month}: no bill for that month.")
PREPAY_TOO_FAR = N_(
    "This would prepay service up to {end}: one payment may cover at most {months} months of service, counted "
    "from {first} (through {limit})."
)
ALREADY_BILLED = N_("Bill {number} already covers {month}: void it first, then issue the new bill.")
NOT_SIGNED = N_("Only a signed contract can be billed.")
DISCOUNT_TOO_LARGE = N_("The discount is more than the bill's charges (¥{charges}).")
NEGATIVE_TOTAL = N_("With this adjustment the bill's total would be below zero (¥{total}).")

# What a bill line covers (BillLine.detail), shown in the reader's language with its dates.
PERIOD_DETAIL = N_("{start_on} – {end_on}")
PRO_RATA_DETAIL = N_("{start_on} – {end_on}: {covered} of {total} service days")
ATTENDED_DETAIL = N_("{start_on} – {end_on}, days attended: {days}")
SUPPLEMENT_DETAIL = N_("Days without a departure time when bill {bill} was issued: {dates}")
BOOKED_DETAIL = N_("Booked days: {dates}")
CREDIT_DETAIL = N_("{month}, days not attended: {dates}")
OPTIONAL_DETAIL = N_("{name}, {start_on} – {end_on}")
OPTIONAL_PRO_RATA_DETAIL = N_("{name}, {start_on} – {end_on}: {covered} of {total} service days")


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
    """"2026-11" → 2026-11-01; None when it is not a month, or one too far off for the months around it (9999-12)."""
    try:
        year, month = (int(part) for part in (text or "").strip().split("-"))
        first = date(year, month, 1)
    except ValueError:
        return None
    return first if on_calendar(first) else None


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


def prepay_start(today: date, first_unpaid: date | None) -> date:
    """The first month a payment made on `today` pays for: the first unpaid service month, never before today's.

    Arrears are not prepayment, so the months counted start at today's month at the earliest; a contract whose
    service starts later (or a family paid up to a later month) counts from that month.
    """
    current = month_start(today)
    return max(current, month_start(first_unpaid)) if first_unpaid is not None else current


def prepay_limit(today: date, max_months: int, first_unpaid: date | None = None) -> date:
    """The last day of service that may be paid for on `today` (DOMAIN.md: one prepayment covers at most 3 months).

    `max_months` months of service counted from `prepay_start`, that month included: on 1 or 25 November,
    owing from November, 3 months are November to January (31 January); 1 February is refused.
    """
    return month_end(add_months(prepay_start(today, first_unpaid), max_months - 1))


def prepay_decision(service_end: date, today: date, max_months: int, first_unpaid: date | None = None) -> Decision | None:
    """BLOCK a bill or payment reaching service after the prepayment limit (郑州 plan: 3 months)."""
    limit = prepay_limit(today, max_months, first_unpaid)
    if service_end > limit:
        return Decision(Mode.block, PREPAY_TOO_FAR, {"end": service_end.isoformat(), "months": max_months,
                                                     "first": prepay_start(today, first_unpaid).strftime("%Y-%m"),
                                                     "limit": limit.isoformat()})
    return None


def first_unpaid_month(bills: Sequence[tuple[int, int, date, date]], service_start: date) -> date:
    """The first month of service, from the month service starts, that no bill paid in full covers (a month not
    billed yet is not paid either). `bills` are (total, paid, period_start, period_end), not voided; a bill with
    nothing to pay (a total of zero or less) counts as paid."""
    paid_months = {month_start(period_start) for total, paid, period_start, _end in bills if paid >= total}
    month = month_start(service_start)
    while month in paid_months:
        month = add_months(month, 1)
    return month


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
    # Meal credit (module docstring): the service days that bills not voided charged meals for in advance
    # (no credit for meals never charged), the days attended, and the days already given back.
    meal_billed_days: Sequence[date] = ()
    attended_days: frozenset[date] = frozenset()
    meals_refunded: frozenset[date] = frozenset()  # a meal refund (RefundKind.meals) not voided gave them back
    meals_credited: frozenset[date] = frozenset()  # a credit line of a bill not voided credited them
    today: date | None = None  # the day the bill is made: later days cannot be known as not attended yet
    # Hourly care: days whose hours a bill not voided already charged, and the bill a supplement adds to.
    hours_billed_days: frozenset[date] = frozenset()
    supplements: str | None = None  # the number of the month's bill: only the hours of days it left out
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
    detail: dict | None = None  # {"message": id, "params": {...}}: what `description` says, for the reader's language


def _detail(message: str, **params) -> dict:
    return {"message": message, "params": params}


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
    if inputs.care_fee_unit is FeeUnit.hour:
        lines.append(_hourly_line(inputs, draft, first, last))
    if inputs.supplements is None:  # a supplement charges the hours left out, nothing else of the month
        _month_lines(inputs, lines, covered, all_days, whole_month, first, last)
    if inputs.first_bill and inputs.deposit_fen:
        lines.append(LineDraft(LineKind.deposit, "", 1, inputs.deposit_fen, inputs.deposit_fen))
    if inputs.discount_fen:
        lines.append(LineDraft(LineKind.discount, "", 1, -inputs.discount_fen, -inputs.discount_fen,
                               inputs.discount_reason))
    if inputs.adjustment_fen:
        lines.append(LineDraft(LineKind.adjustment, "", 1, inputs.adjustment_fen, inputs.adjustment_fen,
                               inputs.adjustment_reason))
    return draft


def _month_lines(inputs: BillInputs, lines: list[LineDraft], covered: list[date], all_days: int, whole_month: bool,
                 first: date, last: date) -> None:
    """The month's care fee (monthly or per booked day), meals and optional services."""
    span = {"start_on": first.isoformat(), "end_on": last.isoformat()}

    def monthly(amount_fen: int) -> tuple[int, str, dict]:
        """A monthly amount for the period: in full for a whole month, else pro rata by service days."""
        if whole_month:
            return amount_fen, _span(first, last), {}
        return (pro_rata(amount_fen, len(covered), all_days), f"{_span(first, last)} · {len(covered)}/{all_days}",
                {"covered": len(covered), "total": all_days})

    if inputs.care_fee_unit is FeeUnit.month:
        amount, description, fraction = monthly(inputs.care_fee_fen)
        detail = _detail(PRO_RATA_DETAIL if fraction else PERIOD_DETAIL, **span, **fraction)
        lines.append(LineDraft(LineKind.care_fee, description, 1, inputs.care_fee_fen, amount, detail=detail))
    elif inputs.care_fee_unit is FeeUnit.day:
        booked = sorted(set(_in(inputs.booked_days, first, last)))
        description = ", ".join(f"{day.month}/{day.day}" for day in booked) or _span(first, last)
        lines.append(LineDraft(LineKind.temporary, description[:200], len(booked), inputs.care_fee_fen,
                               len(booked) * inputs.care_fee_fen,
                               detail=_detail(BOOKED_DETAIL, dates=[day.isoformat() for day in booked])))

    meal = inputs.meal_fee_per_day_fen
    if meal:
        if inputs.care_fee_unit is FeeUnit.month:
            lines.append(LineDraft(LineKind.meal_fee, _span(first, last), len(covered), meal, len(covered) * meal,
                                   detail=_detail(PERIOD_DETAIL, **span)))
            lines += _meal_credits(inputs)
        else:
            attended = sorted({stay.on_date for stay in inputs.stays if first <= stay.on_date <= last})
            lines.append(LineDraft(LineKind.meal_fee, _span(first, last), len(attended), meal, len(attended) * meal,
                                   detail=_detail(ATTENDED_DETAIL, **span, days=len(attended))))

    for charge in inputs.charges:
        if charge.unit is ChargeUnit.month:
            amount, description, fraction = monthly(charge.amount_fen)
            detail = _detail(OPTIONAL_PRO_RATA_DETAIL if fraction else OPTIONAL_DETAIL, name=charge.name, **span,
                             **fraction)
            lines.append(LineDraft(LineKind.optional, f"{charge.name} · {description}"[:200], 1, charge.amount_fen,
                                   amount, detail=detail))
        elif inputs.first_bill:
            lines.append(LineDraft(LineKind.optional, charge.name[:200], 1, charge.amount_fen, charge.amount_fen))


def _hourly_line(inputs: BillInputs, draft: BillDraft, first: date, last: date) -> LineDraft:
    """Started hours of the days in the period with a departure time, not charged on another bill yet."""
    stays = [stay for stay in inputs.stays if first <= stay.on_date <= last and stay.on_date not in inputs.hours_billed_days]
    finished = sorted((stay for stay in stays if stay.check_out_at is not None), key=lambda stay: stay.on_date)
    draft.open_days = sorted(stay.on_date for stay in stays if stay.check_out_at is None)
    hours = sum(started_hours(stay.check_in_at, stay.check_out_at) for stay in finished)
    dates = [stay.on_date.isoformat() for stay in finished]
    if inputs.supplements is not None:
        detail = _detail(SUPPLEMENT_DETAIL, bill=inputs.supplements, dates=dates)
    else:
        detail = _detail(ATTENDED_DETAIL, start_on=first.isoformat(), end_on=last.isoformat(), days=len(finished),
                         dates=dates)
    return LineDraft(LineKind.hourly, _span(first, last), hours, inputs.care_fee_fen, hours * inputs.care_fee_fen,
                     detail=detail)


def meal_credit_days(inputs: BillInputs) -> list[date]:
    """The meal-billed service days before the billed month that the child missed, that have passed by
    `inputs.today` and that no meal refund or live credit line gave back yet: the days this bill credits."""
    if not inputs.refund_meals_not_attended:
        return []
    return sorted({day for day in inputs.meal_billed_days
                   if day < inputs.month and (inputs.today is None or day < inputs.today)
                   and day not in inputs.attended_days and day not in inputs.meals_refunded
                   and day not in inputs.meals_credited})


def _meal_credits(inputs: BillInputs) -> list[LineDraft]:
    """One negative line at the meal fee per month with days to credit, oldest month first."""
    by_month: dict[date, list[date]] = {}
    for day in meal_credit_days(inputs):
        by_month.setdefault(month_start(day), []).append(day)
    meal = inputs.meal_fee_per_day_fen
    lines = []
    for month, days in by_month.items():
        name = month.strftime("%Y-%m")
        lines.append(LineDraft(LineKind.meal_credit, name, len(days), -meal, -len(days) * meal,
                               detail=_detail(CREDIT_DETAIL, month=name, dates=[day.isoformat() for day in days])))
    return lines


def meals_in_advance(detail: dict | None) -> bool:
    """Whether a meal fee line charged its period's service days in advance (monthly care), not the days
    attended (hourly and temporary care: nothing to credit). A line that does not say is taken as in advance."""
    return (detail or {}).get("message") != ATTENDED_DETAIL


def credited_days(detail: dict | None, period_start: date) -> set[date]:
    """The days a meal credit line credited (`dates` of its detail); a line that does not say credited the
    whole month before its bill's month (the rule when it was issued)."""
    dates = line_dates(detail)
    if dates is not None:
        return set(dates)
    previous = add_months(month_start(period_start), -1)
    return {previous + timedelta(days=offset) for offset in range((month_end(previous) - previous).days + 1)}


def total_problems(draft: BillDraft) -> dict:
    """Field → BLOCK when the discount is more than the charges, or an adjustment takes the total below zero."""
    charges = sum(line.amount_fen for line in draft.lines if line.kind not in (LineKind.discount, LineKind.adjustment))
    discount = -sum(line.amount_fen for line in draft.lines if line.kind is LineKind.discount)
    if discount > max(charges, 0):
        return {"discount": Decision(Mode.block, DISCOUNT_TOO_LARGE, {"charges": fen_text(max(charges, 0))})}
    if draft.total_fen < 0 and any(line.kind is LineKind.adjustment and line.amount_fen < 0 for line in draft.lines):
        return {"adjustment": Decision(Mode.block, NEGATIVE_TOTAL, {"total": fen_text(draft.total_fen)})}
    return {}


def refund_days(days: list[str] | None, period_start: date, period_end: date) -> set[date]:
    """The days a refund gave back (Refund.days); a refund that does not say counts its whole period."""
    if days is None:
        return {period_start + timedelta(days=offset) for offset in range((period_end - period_start).days + 1)}
    return {date.fromisoformat(day) for day in days}


def line_dates(detail: dict | None) -> list[date] | None:
    """The days a line charged or credited (`dates` of its detail); None when the line does not say."""
    dates = ((detail or {}).get("params") or {}).get("dates")
    return [date.fromisoformat(day) for day in dates] if isinstance(dates, list) else None


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
