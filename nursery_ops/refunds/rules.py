"""Refund calculations (DOMAIN.md "Fee contracts and money"), as plain functions.

Each returns a `Calculation`: the amount in fen and its trace, one `TraceLine` per step, so the
page can show the calculation line by line in the reader's language. A line's amount is None when
it only explains (dates, the notice period); the amounts of the other lines add up to the refund.

Every day count is `contracts.calendar.service_days` (or `nursery_closure_days`); every pro-rata
amount is an exact `Fraction` rounded to the fen once, at the end of its line, halves up.

Trace parameter names say how the page shows them: `*_fen` is money, `*_on` a date,
`dates` a list of dates; anything else is shown as it is.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction

from nursery_ops.billing.rules import round_half_up
from nursery_ops.contracts.calendar import Calendar, nursery_closure_days, service_days
from nursery_ops.contracts.models import FeeUnit
from nursery_ops.i18n import N_
from nursery_ops.policy import Decision, Mode


@dataclass(frozen=True)
class TraceLine:
    message: str
    params: dict = field(default_factory=dict)
    amount_fen: int | None = None

    def as_json(self) -> dict:
        return {"message": self.message, "params": self.params, "amount_fen": self.amount_fen}


@dataclass(frozen=True)
class Calculation:
    amount_fen: int
    trace: list[TraceLine]

    def trace_json(self) -> list[dict]:
        return [line.as_json() for line in self.trace]


@dataclass(frozen=True)
class CareFee:
    """The contract's care fee terms the refunds need."""

    fee_fen: int
    unit: FeeUnit
    schedule_days: str  # the enrolment's weekly schedule, "12345"


@dataclass(frozen=True)
class BilledCare:
    """Care fee billed for a period (the care_fee lines of one bill that is not voided)."""

    bill_number: str
    period_start: date
    period_end: date
    care_fee_fen: int


@dataclass(frozen=True)
class Damage:
    description: str
    amount_fen: int


def _iso(day: date) -> str:
    return day.isoformat()


def _total(lines: Iterable[TraceLine]) -> int:
    return sum(line.amount_fen for line in lines if line.amount_fen is not None)


def _month_bounds(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def _by_month(days: list[date]) -> dict[date, list[date]]:
    months: dict[date, list[date]] = {}
    for day in days:
        months.setdefault(day.replace(day=1), []).append(day)
    return months


def _close(lines: list[TraceLine]) -> Calculation:
    """Never a negative refund: a closing line takes the total to zero when deductions exceed it."""
    total = _total(lines)
    if total < 0:
        lines.append(TraceLine(N_("Deductions exceed the refund: nothing is refunded."), {}, -total))
        total = 0
    return Calculation(total, lines)


def _hourly(care: CareFee) -> Calculation | None:
    if care.unit is FeeUnit.hour:
        return Calculation(0, [TraceLine(N_("Hourly care is billed for the hours used: there is no care fee to refund."),
                                         {}, 0)])
    return None


# ---------------------------------------------------------------- withdrawal


def first_refunded_day(leaving_on: date, notice_given_on: date, notice_days: int) -> date:
    """The first day of care fee refunded: after the last day attended, and not inside the notice period.

    The notice period is `notice_days` calendar days from the day notice is given, all paid.
    """
    return max(leaving_on + timedelta(days=1), notice_given_on + timedelta(days=notice_days))


def withdrawal(
    care: CareFee, pro_rata: bool, notice_days: int, leaving_on: date, notice_given_on: date,
    billed: list[BilledCare], calendar: Calendar,
) -> Calculation:
    """Unused prepaid care fee, pro rata by the remaining service days of each billed period."""
    if not pro_rata:
        return Calculation(0, [TraceLine(N_("The contract does not refund unused care fee on withdrawal."), {}, 0)])
    first = first_refunded_day(leaving_on, notice_given_on, notice_days)
    lines = [TraceLine(
        N_("Leaving on {leaving_on}; notice given on {notice_given_on} with {notice_days} days' notice: care fee is "
           "refunded from {first_on}."),
        {"leaving_on": _iso(leaving_on), "notice_given_on": _iso(notice_given_on), "notice_days": notice_days,
         "first_on": _iso(first)},
    )]
    for period in sorted(billed, key=lambda p: (p.period_start, p.bill_number)):
        if period.period_end < first or period.care_fee_fen <= 0:
            continue
        total = service_days(care.schedule_days, period.period_start, period.period_end, calendar)
        remaining = service_days(care.schedule_days, max(first, period.period_start), period.period_end, calendar)
        if not total:
            continue
        amount = round_half_up(Fraction(period.care_fee_fen * len(remaining), len(total)))
        lines.append(TraceLine(
            N_("Bill {bill}, {start_on}–{end_on}: care fee {fee_fen} × {remaining} of {total} service days"),
            {"bill": period.bill_number, "start_on": _iso(period.period_start), "end_on": _iso(period.period_end),
             "fee_fen": period.care_fee_fen, "remaining": len(remaining), "total": len(total)},
            amount,
        ))
    if len(lines) == 1:
        lines.append(TraceLine(N_("No care fee was billed for days after {first_on}."), {"first_on": _iso(first)}, 0))
    return _close(lines)


# ---------------------------------------------------------------- meals


def meals(
    meal_fee_per_day_fen: int, refund_meals: bool, schedule_days: str, start: date, end: date,
    attended: set[date], already_credited: list[tuple[str, int]], calendar: Calendar,
) -> Calculation:
    """Meal fee for each service day of the period without attendance, less meal credits already on bills."""
    if not refund_meals:
        return Calculation(0, [TraceLine(N_("The contract does not refund meals not attended."), {}, 0)])
    missed = [day for day in service_days(schedule_days, start, end, calendar) if day not in attended]
    lines = [TraceLine(
        N_("{count} service days not attended from {start_on} to {end_on} × meal fee {fee_fen} a day"),
        {"count": len(missed), "start_on": _iso(start), "end_on": _iso(end), "fee_fen": meal_fee_per_day_fen,
         "dates": [_iso(day) for day in missed]},
        len(missed) * meal_fee_per_day_fen,
    )]
    for bill_number, credited_fen in already_credited:
        lines.append(TraceLine(N_("Already credited on bill {bill}"), {"bill": bill_number}, -abs(credited_fen)))
    return _close(lines)


# ---------------------------------------------------------------- care fee per day


def _day_fee(care: CareFee, month: date, calendar: Calendar, extra_days: int = 0) -> tuple[Fraction, int]:
    """The care fee of one service day in `month` and the month's service days it is divided by."""
    if care.unit is FeeUnit.day:
        return Fraction(care.fee_fen), 1
    first, last = _month_bounds(month)
    days = len(service_days(care.schedule_days, first, last, calendar)) + extra_days
    return (Fraction(care.fee_fen, days) if days else Fraction(0)), days


def _month_line(care: CareFee, month: date, count: int, divisor: int, percent: int, day_fee: Fraction) -> TraceLine:
    amount = round_half_up(day_fee * count * Fraction(percent, 100))
    if care.unit is FeeUnit.day:
        return TraceLine(N_("{month}: daily care fee {fee_fen} × {count} days × {percent}%"),
                         {"month": month.strftime("%Y-%m"), "fee_fen": care.fee_fen, "count": count,
                          "percent": percent}, amount)
    return TraceLine(N_("{month}: monthly care fee {fee_fen} × {count} of {total} service days × {percent}%"),
                     {"month": month.strftime("%Y-%m"), "fee_fen": care.fee_fen, "count": count, "total": divisor,
                      "percent": percent}, amount)


# ---------------------------------------------------------------- sick leave


def sick_runs(days: list[date], sick: set[date]) -> list[list[date]]:
    """Runs of consecutive service days with a sick absence: a day that is not a service day (a weekend,
    a holiday) does not break a run; a service day without a sick absence does."""
    runs: list[list[date]] = []
    current: list[date] = []
    for day in days:
        if day in sick:
            current.append(day)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def sick_leave(
    care: CareFee, min_days: int, percent: int, start: date, end: date, sick: set[date], doctor_note: str,
    calendar: Calendar,
) -> Calculation:
    """Care fee at `percent` % for runs of at least `min_days` consecutive service days of sick absence."""
    hourly = _hourly(care)
    if hourly:
        return hourly
    lines = [TraceLine(N_("Doctor's note seen by the director: {note}"), {"note": doctor_note})]
    for run in sick_runs(service_days(care.schedule_days, start, end, calendar), sick):
        params = {"first_on": _iso(run[0]), "last_on": _iso(run[-1]), "count": len(run), "min": min_days}
        if len(run) < min_days:
            lines.append(TraceLine(
                N_("Sick {first_on}–{last_on}: {count} consecutive service days, fewer than {min}: not refunded"),
                params, 0))
            continue
        lines.append(TraceLine(N_("Sick {first_on}–{last_on}: {count} consecutive service days (at least {min})"),
                               params))
        for month, month_days in _by_month(run).items():
            day_fee, divisor = _day_fee(care, month, calendar)
            lines.append(_month_line(care, month, len(month_days), divisor, percent, day_fee))
    if len(lines) == 1:
        lines.append(TraceLine(N_("No sick absence was recorded from {start_on} to {end_on}."),
                               {"start_on": _iso(start), "end_on": _iso(end)}, 0))
    return _close(lines)


# ---------------------------------------------------------------- closure caused by the nursery


def closure(care: CareFee, refund_closure: bool, start: date, end: date, calendar: Calendar) -> Calculation:
    """Full pro-rata care fee of scheduled days the nursery closed through its own doing.

    A month's fee is divided by the days the child would have come had the nursery not closed:
    the month's service days plus its closures caused by the nursery.
    """
    if not refund_closure:
        return Calculation(0, [TraceLine(N_("The contract does not refund closures caused by the nursery."), {}, 0)])
    hourly = _hourly(care)
    if hourly:
        return hourly
    closed = nursery_closure_days(care.schedule_days, start, end, calendar)
    lines: list[TraceLine] = []
    for month, month_days in _by_month(closed).items():
        first, last = _month_bounds(month)
        extra = len(nursery_closure_days(care.schedule_days, first, last, calendar))
        day_fee, divisor = _day_fee(care, month, calendar, extra_days=extra)
        line = _month_line(care, month, len(month_days), divisor, 100, day_fee)
        lines.append(TraceLine(N_("Closed by the nursery: {dates}"), {"dates": [_iso(day) for day in month_days]}))
        lines.append(line)
    if not lines:
        lines.append(TraceLine(N_("The nursery caused no closure from {start_on} to {end_on}."),
                               {"start_on": _iso(start), "end_on": _iso(end)}, 0))
    return _close(lines)


# ---------------------------------------------------------------- deposit


def deposit(deposit_fen: int, refund_deposit: bool, damages: list[Damage]) -> Calculation:
    """The deposit in full, less each documented damage."""
    if not refund_deposit:
        return Calculation(0, [TraceLine(N_("The contract does not refund the deposit."), {}, 0)])
    lines = [TraceLine(N_("Deposit"), {"fee_fen": deposit_fen}, deposit_fen)]
    for damage in damages:
        lines.append(TraceLine(N_("Damage: {description}"), {"description": damage.description}, -damage.amount_fen))
    return _close(lines)


# ---------------------------------------------------------------- the cap


EXCEEDS_PAID = N_("A refund of {amount_fen} is more than the {available_fen} left of what was paid "
                  "({paid_fen} paid, {refunded_fen} already refunded).")
NOTHING_TO_REFUND = N_("There is nothing to refund.")


def within_paid(amount_fen: int, paid_fen: int, refunded_fen: int) -> Decision | None:
    """BLOCK a refund beyond what was paid (payments not voided, less refunds already made)."""
    available = paid_fen - refunded_fen
    if amount_fen > available:
        return Decision(Mode.block, EXCEEDS_PAID, {"amount_fen": amount_fen, "available_fen": max(available, 0),
                                                   "paid_fen": paid_fen, "refunded_fen": refunded_fen})
    return None
