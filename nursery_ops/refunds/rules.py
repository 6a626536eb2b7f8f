"""Refund calculations (DOMAIN.md "Fee contracts and money"), as plain functions.

Each returns a `Calculation`: the amount in fen and its trace, one `TraceLine` per step, so the
page can show the calculation line by line in the reader's language. A line's amount is None when
it only explains (dates, the notice period); the amounts of the other lines add up to the refund.

Every day count is `contracts.calendar.service_days` (or `nursery_closure_days`); every pro-rata
amount is an exact `Fraction` rounded to the fen once, at the end of its line, halves up.

A refund gives back only what a bill (not voided) charged, bill by bill: the care fee a bill charged for its
days (net of the bill's discount), the meal fee per day of a bill with meals, the deposit billed and paid.
No day is refunded twice: each calculation says which days it refunds (`Calculation.days`), and days another
refund already gave back are left out (`excluded`), whatever its kind. A withdrawal gives back every day
after leaving, so it deducts what earlier refunds paid for days after leaving (`Prior`).

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
    days: tuple[date, ...] = ()  # the days whose fee this refund gives back

    def trace_json(self) -> list[dict]:
        return [line.as_json() for line in self.trace]

    def days_json(self) -> list[str]:
        return [day.isoformat() for day in sorted(self.days)]


@dataclass(frozen=True)
class CareFee:
    """The contract's care fee terms the refunds need."""

    fee_fen: int
    unit: FeeUnit
    schedule_days: str  # the enrolment's weekly schedule, "12345"


@dataclass(frozen=True)
class BilledCare:
    """Care fee a bill (not voided) charged: its care fee lines less the bill's discount, for its period."""

    bill_number: str
    period_start: date
    period_end: date
    care_fee_fen: int
    booked_days: tuple[date, ...] = ()  # temporary care (per booked day): the days the bill charged


@dataclass(frozen=True)
class BilledMeals:
    """A bill (not voided) that charged meals per service day of its period."""

    bill_number: str
    period_start: date
    period_end: date
    fee_per_day_fen: int


@dataclass(frozen=True)
class Prior:
    """A care fee refund already recorded (sick leave, closure): the days it gave back and at what rate."""

    number: int
    kind: str  # "sick_leave" or "closure"
    days: frozenset[date]
    percent: int = 100


@dataclass(frozen=True)
class Damage:
    description: str
    amount_fen: int


NOT_BILLED = N_("Not billed, nothing to refund: {dates}")
ALREADY_REFUNDED = N_("Already refunded under refund #{number}: {dates}")
ALREADY_CREDITED = N_("Already credited on bill {bill}: {dates}")
BILL_SHARE = N_("Bill {bill}, {start_on}–{end_on}: care fee {fee_fen} × {count} of {total} days × {percent}%")
PART_MONTH_CLOSURE = N_("Bill {bill} charged only the service days of part of the month: its closed days "
                        "were not charged: {dates}")


def _iso(day: date) -> str:
    return day.isoformat()


def _isos(days: Iterable[date]) -> list[str]:
    return [day.isoformat() for day in sorted(days)]


def _total(lines: Iterable[TraceLine]) -> int:
    return sum(line.amount_fen for line in lines if line.amount_fen is not None)


def _month_bounds(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def _close(lines: list[TraceLine], days: Iterable[date] = ()) -> Calculation:
    """Never a negative refund: a closing line takes the total to zero when deductions exceed it."""
    total = _total(lines)
    if total < 0:
        lines.append(TraceLine(N_("Deductions exceed the refund: nothing is refunded."), {}, -total))
        total = 0
    return Calculation(total, lines, tuple(sorted(days)))


def _hourly(care: CareFee) -> Calculation | None:
    if care.unit is FeeUnit.hour:
        return Calculation(0, [TraceLine(N_("Hourly care is billed for the hours used: there is no care fee to refund."),
                                         {}, 0)])
    return None


def _share(fee_fen: int, count: int, divisor: int, percent: int = 100) -> int:
    """`fee_fen` × count / divisor × percent %, exact, rounded once."""
    if divisor <= 0:
        return 0
    return round_half_up(Fraction(fee_fen * count * percent, divisor * 100))


def _whole_month(bill: BilledCare) -> bool:
    return (bill.period_start, bill.period_end) == _month_bounds(bill.period_start)


def bill_days(care: CareFee, bill: BilledCare, calendar: Calendar) -> list[date]:
    """The days a bill's care fee was charged for: the service days of its period, or its booked days."""
    if care.unit is FeeUnit.day:
        return sorted(bill.booked_days)
    return service_days(care.schedule_days, bill.period_start, bill.period_end, calendar)


def closure_charge(care: CareFee, bill: BilledCare, calendar: Calendar) -> tuple[list[date], int]:
    """The nursery's closed days a bill charged for, and the days its fee is divided by for them.

    A whole month's fee covers its closures: divided by the service days plus those closures. A part month is
    charged by its service days only, so its closed days were not charged. A booked day is charged as booked.
    """
    if care.unit is FeeUnit.day:
        booked = sorted(bill.booked_days)
        return [day for day in booked if calendar.closed.get(day)], len(booked)
    if not _whole_month(bill):
        return [], 0
    closed = nursery_closure_days(care.schedule_days, bill.period_start, bill.period_end, calendar)
    return closed, len(bill_days(care, bill, calendar)) + len(closed)


def _not_billed(days: Iterable[date], billed: set[date]) -> list[TraceLine]:
    left = sorted(set(days) - billed)
    return [TraceLine(NOT_BILLED, {"dates": _isos(left)}, 0)] if left else []


def _excluded(days: Iterable[date], excluded: dict[date, int]) -> tuple[list[date], list[TraceLine]]:
    """The days not refunded yet, and a line per earlier refund naming the days it already gave back."""
    kept, taken = [], {}
    for day in sorted(days):
        if day in excluded:
            taken.setdefault(excluded[day], []).append(day)
        else:
            kept.append(day)
    return kept, [TraceLine(ALREADY_REFUNDED, {"number": number, "dates": _isos(days)})
                  for number, days in sorted(taken.items())]


# ---------------------------------------------------------------- withdrawal


def first_refunded_day(leaving_on: date, notice_given_on: date, notice_days: int) -> date:
    """The first day of care fee refunded: after the last day attended, and not inside the notice period.

    The notice period is `notice_days` calendar days from the day notice is given, all paid.
    """
    return max(leaving_on + timedelta(days=1), notice_given_on + timedelta(days=notice_days))


def withdrawal(
    care: CareFee, pro_rata: bool, notice_days: int, leaving_on: date, notice_given_on: date,
    billed: list[BilledCare], calendar: Calendar, prior: Iterable[Prior] = (),
) -> Calculation:
    """Unused prepaid care fee, pro rata by the remaining days each bill charged, less what earlier refunds
    already gave back for those days. It covers every day from the first refunded day to the end of the bills."""
    if not pro_rata:
        return Calculation(0, [TraceLine(N_("The contract does not refund unused care fee on withdrawal."), {}, 0)])
    first = first_refunded_day(leaving_on, notice_given_on, notice_days)
    lines = [TraceLine(
        N_("Leaving on {leaving_on}; notice given on {notice_given_on} with {notice_days} days' notice: care fee is "
           "refunded from {first_on}."),
        {"leaving_on": _iso(leaving_on), "notice_given_on": _iso(notice_given_on), "notice_days": notice_days,
         "first_on": _iso(first)},
    )]
    last = first
    for bill in sorted(billed, key=lambda p: (p.period_start, p.bill_number)):
        if bill.period_end < first or bill.care_fee_fen <= 0:
            continue
        days = bill_days(care, bill, calendar)
        remaining = [day for day in days if day >= first]
        if not days:
            continue
        last = max(last, bill.period_end)
        lines.append(TraceLine(
            N_("Bill {bill}, {start_on}–{end_on}: care fee {fee_fen} × {remaining} of {total} service days"),
            {"bill": bill.bill_number, "start_on": _iso(bill.period_start), "end_on": _iso(bill.period_end),
             "fee_fen": bill.care_fee_fen, "remaining": len(remaining), "total": len(days)},
            _share(bill.care_fee_fen, len(remaining), len(days)),
        ))
        closed, closed_divisor = closure_charge(care, bill, calendar)
        for earlier in prior:
            if earlier.kind == "closure":
                overlap = [day for day in closed if day >= first and day in earlier.days]
                deduction = _share(bill.care_fee_fen, len(overlap), closed_divisor)
            else:
                overlap = [day for day in remaining if day in earlier.days]
                deduction = _share(bill.care_fee_fen, len(overlap), len(days), earlier.percent)
            if overlap:
                lines.append(TraceLine(ALREADY_REFUNDED, {"number": earlier.number, "dates": _isos(overlap)},
                                       -deduction))
    if len(lines) == 1:
        lines.append(TraceLine(N_("No care fee was billed for days after {first_on}."), {"first_on": _iso(first)}, 0))
    return _close(lines, (first + timedelta(days=offset) for offset in range((last - first).days + 1)))


# ---------------------------------------------------------------- meals


def meals(
    refund_meals: bool, monthly: bool, schedule_days: str, start: date, end: date, attended: set[date],
    billed: list[BilledMeals], credited: dict[date, str], excluded: dict[date, int], calendar: Calendar,
) -> Calculation:
    """Meal fee of each service day of the period without attendance, bill by bill, at the fee it charged.

    Days a later bill already credited (`credited`: day → bill number) or a meal refund already gave back
    (`excluded`: day → refund number) are left out.
    """
    if not refund_meals:
        return Calculation(0, [TraceLine(N_("The contract does not refund meals not attended."), {}, 0)])
    if not monthly:
        return Calculation(0, [TraceLine(N_("Meals of hourly and temporary care are billed per day attended: "
                                            "there is nothing to refund."), {}, 0)])
    missed = [day for day in service_days(schedule_days, start, end, calendar) if day not in attended]
    lines: list[TraceLine] = []
    on_bills: set[date] = set()
    refunded: list[date] = []
    for bill in sorted(billed, key=lambda b: (b.period_start, b.bill_number)):
        days = [day for day in missed if bill.period_start <= day <= bill.period_end and day not in on_bills]
        if not days:
            continue
        on_bills.update(days)
        by_bill: dict[str, list[date]] = {}
        for day in days:
            if day in credited:
                by_bill.setdefault(credited[day], []).append(day)
        lines += [TraceLine(ALREADY_CREDITED, {"bill": number, "dates": _isos(credit_days)})
                  for number, credit_days in sorted(by_bill.items())]
        kept, already = _excluded([day for day in days if day not in credited], excluded)
        lines += already
        if kept:
            lines.append(TraceLine(
                N_("Bill {bill}: {count} service days not attended from {start_on} to {end_on} × meal fee {fee_fen} "
                   "a day"),
                {"bill": bill.bill_number, "count": len(kept), "start_on": _iso(max(start, bill.period_start)),
                 "end_on": _iso(min(end, bill.period_end)), "fee_fen": bill.fee_per_day_fen, "dates": _isos(kept)},
                len(kept) * bill.fee_per_day_fen,
            ))
            refunded += kept
    lines += _not_billed(missed, on_bills)
    if not lines:
        lines.append(TraceLine(N_("No service day was missed from {start_on} to {end_on}."),
                               {"start_on": _iso(start), "end_on": _iso(end)}, 0))
    return _close(lines, refunded)


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
    calendar: Calendar, billed: list[BilledCare], excluded: dict[date, int] | None = None,
) -> Calculation:
    """Care fee at `percent` % for runs of at least `min_days` consecutive service days of sick absence,
    bill by bill: the bill's care fee × sick days of it / the days it charged."""
    hourly = _hourly(care)
    if hourly:
        return hourly
    lines = [TraceLine(N_("Doctor's note seen by the director: {note}"), {"note": doctor_note})]
    qualifying: list[date] = []
    for run in sick_runs(service_days(care.schedule_days, start, end, calendar), sick):
        params = {"first_on": _iso(run[0]), "last_on": _iso(run[-1]), "count": len(run), "min": min_days}
        if len(run) < min_days:
            lines.append(TraceLine(
                N_("Sick {first_on}–{last_on}: {count} consecutive service days, fewer than {min}: not refunded"),
                params, 0))
            continue
        lines.append(TraceLine(N_("Sick {first_on}–{last_on}: {count} consecutive service days (at least {min})"),
                               params))
        qualifying += run
    if len(lines) == 1:
        lines.append(TraceLine(N_("No sick absence was recorded from {start_on} to {end_on}."),
                               {"start_on": _iso(start), "end_on": _iso(end)}, 0))
        return _close(lines)
    kept, already = _excluded(qualifying, excluded or {})
    lines += already
    refunded, charged = [], set()
    for bill in sorted(billed, key=lambda b: (b.period_start, b.bill_number)):
        if bill.period_end < start or bill.period_start > end or bill.care_fee_fen <= 0:
            continue
        days = bill_days(care, bill, calendar)
        charged_days = set(days)
        these = [day for day in kept if day in charged_days and day not in charged]
        if not these:
            continue
        charged.update(these)
        refunded += these
        lines.append(TraceLine(BILL_SHARE, {
            "bill": bill.bill_number, "start_on": _iso(bill.period_start), "end_on": _iso(bill.period_end),
            "fee_fen": bill.care_fee_fen, "count": len(these), "total": len(days), "percent": percent,
        }, _share(bill.care_fee_fen, len(these), len(days), percent)))
    lines += _not_billed(kept, charged)
    return _close(lines, refunded)


# ---------------------------------------------------------------- closure caused by the nursery


def closure(
    care: CareFee, refund_closure: bool, start: date, end: date, calendar: Calendar, billed: list[BilledCare],
    excluded: dict[date, int] | None = None,
) -> Calculation:
    """Full pro-rata care fee of scheduled days the nursery closed through its own doing, as the bills charged them.

    A whole month's fee is divided by the days the child would have come had the nursery not closed:
    the month's service days plus its closures caused by the nursery (`closure_charge`).
    """
    if not refund_closure:
        return Calculation(0, [TraceLine(N_("The contract does not refund closures caused by the nursery."), {}, 0)])
    hourly = _hourly(care)
    if hourly:
        return hourly
    if care.unit is FeeUnit.day:
        closed = sorted(day for day, by_nursery in calendar.closed.items() if by_nursery and start <= day <= end)
    else:
        closed = nursery_closure_days(care.schedule_days, start, end, calendar)
    if not closed:
        return _close([TraceLine(N_("The nursery caused no closure from {start_on} to {end_on}."),
                                 {"start_on": _iso(start), "end_on": _iso(end)}, 0)])
    kept, lines = _excluded(closed, excluded or {})
    refunded: list[date] = []
    seen: set[date] = set()
    for bill in sorted(billed, key=lambda b: (b.period_start, b.bill_number)):
        in_bill = [day for day in kept if bill.period_start <= day <= bill.period_end and day not in seen]
        if not in_bill:
            continue
        charged, divisor = closure_charge(care, bill, calendar)
        these = [day for day in in_bill if day in set(charged)]
        seen.update(these if care.unit is FeeUnit.day else in_bill)
        if not these:
            if care.unit is not FeeUnit.day:
                lines.append(TraceLine(PART_MONTH_CLOSURE, {"bill": bill.bill_number, "dates": _isos(in_bill)}, 0))
            continue
        refunded += these
        lines.append(TraceLine(N_("Closed by the nursery: {dates}"), {"dates": _isos(these)}))
        lines.append(TraceLine(BILL_SHARE, {
            "bill": bill.bill_number, "start_on": _iso(bill.period_start), "end_on": _iso(bill.period_end),
            "fee_fen": bill.care_fee_fen, "count": len(these), "total": divisor, "percent": 100,
        }, _share(bill.care_fee_fen, len(these), divisor)))
    lines += _not_billed(kept, seen)
    return _close(lines, refunded)


# ---------------------------------------------------------------- deposit


@dataclass(frozen=True)
class BilledDeposit:
    bill_number: str
    billed_fen: int
    paid_fen: int  # of that bill, payments spread oldest bill first


def deposit(refund_deposit: bool, billed: list[BilledDeposit], damages: list[Damage]) -> Calculation:
    """The deposit as billed and paid, in full, less each documented damage."""
    if not refund_deposit:
        return Calculation(0, [TraceLine(N_("The contract does not refund the deposit."), {}, 0)])
    lines = [TraceLine(N_("Deposit on bill {bill}: {billed_fen} billed, {paid_fen} paid"),
                       {"bill": item.bill_number, "billed_fen": item.billed_fen, "paid_fen": item.paid_fen},
                       max(0, min(item.billed_fen, item.paid_fen)))
             for item in billed]
    if not lines:
        return Calculation(0, [TraceLine(N_("No deposit was billed: there is nothing to refund."), {}, 0)])
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
