"""Refunds with their calculation trace, refund payments, late refunds, and the meal account.

A refund is calculated by `rules` from the contract, its bills and the child's attendance; the director
sees the trace and confirms; the service recalculates on saving (the trace is never taken from the
form), refuses a refund beyond what was paid, and audits every change in the same transaction.

Semesters (学期) for the meal account: autumn = September to February (named by the year it starts,
"2025-autumn"), spring = March to August ("2026-spring").
"""

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from sqlalchemy import func
from sqlmodel import Session, col, select

from nursery_ops import audit
from nursery_ops.attendance.models import Absence, AbsenceReason, Attendance
from nursery_ops.auth.service import CurrentPerson
from nursery_ops.billing.models import (
    Bill,
    BillLine,
    LineKind,
    MealSpending,
    Refund,
    RefundKind,
)
from nursery_ops.billing.rules import round_half_up
from nursery_ops.billing.service import bills_of, family_ids, paid_fen
from nursery_ops.children.models import Child
from nursery_ops.clock import utcnow
from nursery_ops.contracts.calendar import load_calendar
from nursery_ops.contracts.models import Contract
from nursery_ops.contracts.service import contract_for_view
from nursery_ops.enrolment.models import Enrolment
from nursery_ops.errors import NotFound
from nursery_ops.forms import Refused
from nursery_ops.i18n import N_
from nursery_ops.policy import Decision, Mode
from nursery_ops.refunds import rules
from nursery_ops.refunds.forms import PaidForm, RefundForm, SpendingForm, damage_rows

ALREADY_VOID = N_("This refund is void.")
ALREADY_PAID = N_("This refund has been paid already.")
NOT_PAID_YET = N_("Only an unpaid refund can be voided; record a correction instead.")
END_BEFORE_START = N_("The last day cannot be before the first day.")
NOT_PASSED = N_("Days that have not passed yet cannot be refunded.")
NOTE_NEEDED = N_("Tick that you have seen the doctor's note.")
OVERLAPS = N_("A refund of this kind already covers part of this period (refund #{number}).")
ONCE_ONLY = N_("This contract already has a refund of this kind (refund #{number}); void it first.")
LATE_REFUNDS = N_("{count} refunds are past their due date.")
# The percent sign goes into the values: a "%" followed by a letter in a message id reads as a printf conversion.
MEAL_ACCOUNT_OFF = N_("The meal account of {semester} is off meal income by {percent} (at most {limit} allowed).")


# ---------------------------------------------------------------- reading


def contract_refunds(session: Session, contract_id: int) -> list[Refund]:
    """All refunds of a contract, newest first (void ones too: they stay on the record)."""
    return list(session.exec(
        select(Refund).where(Refund.contract_id == contract_id)
        .order_by(col(Refund.requested_on).desc(), col(Refund.id).desc())
    ).all())


def refund_for_view(session: Session, me: CurrentPerson, refund_id: int) -> tuple[Refund, Contract]:
    """The refund for the director or a guardian of its child; 404 for other parents, 403 for other staff."""
    refund = session.get(Refund, refund_id)
    if refund is None:
        raise NotFound()
    return refund, contract_for_view(session, me, refund.contract_id)


def director_refund(session: Session, refund_id: int) -> Refund:
    refund = session.get(Refund, refund_id)
    if refund is None:
        raise NotFound()
    return refund


def director_contract(session: Session, contract_id: int) -> Contract:
    contract = session.get(Contract, contract_id)
    if contract is None:
        raise NotFound()
    return contract


def refunded_fen(session: Session, contract_id: int) -> int:
    """Refunds recorded on the enrolment's contract (all versions), not voided: paid or still due, both are owed."""
    return session.exec(
        select(func.coalesce(func.sum(Refund.amount_fen), 0))
        .where(col(Refund.contract_id).in_(_versions(session, contract_id)), col(Refund.voided_at).is_(None))
    ).one()


def child_of(session: Session, contract: Contract) -> Child:
    child = session.get(Child, contract.child_id)
    if child is None:
        raise NotFound()
    return child


# ---------------------------------------------------------------- calculating


@dataclass(frozen=True)
class Proposal:
    """A calculated refund before it is saved: what the director confirms."""

    kind: RefundKind
    period_start: date
    period_end: date
    calculation: rules.Calculation
    block: Decision | None


def _schedule(session: Session, contract: Contract) -> str:
    enrolment = session.get(Enrolment, contract.enrolment_id)
    return enrolment.schedule_days if enrolment is not None else "12345"


def _care(session: Session, contract: Contract) -> rules.CareFee:
    return rules.CareFee(contract.care_fee_fen, contract.care_fee_unit, _schedule(session, contract))


def _versions(session: Session, contract_id: int) -> list[int]:
    contract = session.get(Contract, contract_id)
    return family_ids(session, contract) if contract is not None else []


def _bills(session: Session, contract_id: int) -> list[Bill]:
    """Bills of the enrolment's contract, every version (money follows the enrolment across amendments)."""
    return [bill for bill in bills_of(session, _versions(session, contract_id)) if bill.voided_at is None]


def _line_totals(session: Session, bills: list[Bill], kinds: tuple[LineKind, ...]) -> dict[int, int]:
    if not bills:
        return {}
    rows = session.exec(
        select(BillLine.bill_id, func.sum(BillLine.amount_fen))
        .where(col(BillLine.bill_id).in_([bill.id for bill in bills]), col(BillLine.kind).in_(kinds))
        .group_by(BillLine.bill_id)
    ).all()
    return {bill_id: total for bill_id, total in rows}


def _need(errors: dict, data: RefundForm, *names: str) -> None:
    for name in names:
        if getattr(data, name) is None:
            errors[name] = N_("This field is required.")


def _period(data: RefundForm, today: date, errors: dict, *, passed: bool) -> None:
    _need(errors, data, "period_start", "period_end")
    if errors:
        return
    if data.period_end < data.period_start:
        errors["period_end"] = END_BEFORE_START
    elif passed and data.period_end > today:
        errors["period_end"] = NOT_PASSED


def _overlap(session: Session, contract: Contract, kind: RefundKind, start: date, end: date) -> Refund | None:
    statement = select(Refund).where(Refund.contract_id == contract.id, Refund.kind == kind,
                                     col(Refund.voided_at).is_(None))
    if kind not in (RefundKind.withdrawal, RefundKind.deposit):
        statement = statement.where(Refund.period_start <= end, Refund.period_end >= start)
    return session.exec(statement).first()


def calculate(session: Session, contract: Contract, kind: RefundKind, data: RefundForm, today: date) -> Proposal:
    """The refund the rules give for these inputs; Refused (field → message) when an input is missing or wrong."""
    errors: dict = {}
    care = _care(session, contract)
    if kind is RefundKind.withdrawal:
        _need(errors, data, "leaving_on", "notice_given_on")
        if errors:
            raise Refused(errors)
        first = rules.first_refunded_day(data.leaving_on, data.notice_given_on, contract.withdrawal_notice_days)
        bills = _bills(session, contract.id)
        care_totals = _line_totals(session, bills, (LineKind.care_fee,))
        billed = [rules.BilledCare(bill.number, bill.period_start, bill.period_end, care_totals.get(bill.id, 0))
                  for bill in bills]
        end = max([first] + [bill.period_end for bill in bills])
        calendar = load_calendar(session, min([first] + [bill.period_start for bill in bills]), end)
        calculation = rules.withdrawal(care, contract.refund_withdrawal_pro_rata, contract.withdrawal_notice_days,
                                       data.leaving_on, data.notice_given_on, billed, calendar)
        start = first
    elif kind is RefundKind.deposit:
        _need(errors, data, "leaving_on")
        damages, damage_errors = damage_rows(data)
        errors.update(damage_errors)
        if errors:
            raise Refused(errors)
        calculation = rules.deposit(contract.deposit_fen, contract.refund_deposit,
                                    [rules.Damage(text, fen) for text, fen in damages])
        start = end = data.leaving_on
    else:
        _period(data, today, errors, passed=kind is not RefundKind.closure)
        if kind is RefundKind.sick_leave:
            if not data.doctor_note:
                errors["doctor_note"] = N_("Name the doctor's note (hospital, date).")
            elif not data.doctor_note_seen:
                errors["doctor_note_seen"] = NOTE_NEEDED
        if errors:
            raise Refused(errors)
        start, end = data.period_start, data.period_end
        calendar = load_calendar(session, start.replace(day=1), (end.replace(day=1) + timedelta(days=31)))
        if kind is RefundKind.meals:
            attended = set(session.exec(
                select(Attendance.on_date).where(Attendance.child_id == contract.child_id,
                                                 Attendance.on_date >= start, Attendance.on_date <= end)
            ).all())
            # A month's bill credits the meals missed in the month before (billing.rules): the credits
            # for this period's days are on the bills of the months after it.
            within = [bill for bill in _bills(session, contract.id)
                      if start.replace(day=1) <= _month_before(bill.period_start) <= end]
            credits = _line_totals(session, within, (LineKind.meal_credit,))
            credited = [(bill.number, credits[bill.id]) for bill in within if credits.get(bill.id)]
            calculation = rules.meals(contract.meal_fee_per_day_fen, contract.refund_meals_not_attended, care.schedule_days,
                                      start, end, attended, credited, calendar)
        elif kind is RefundKind.sick_leave:
            # Only days inside the period count: a run cut by its edges is judged on the days inside.
            sick = set(session.exec(
                select(Absence.on_date).where(Absence.child_id == contract.child_id, Absence.reason == AbsenceReason.sick,
                                              Absence.on_date >= start, Absence.on_date <= end)
            ).all())
            calculation = rules.sick_leave(care, contract.sick_refund_min_days, contract.sick_refund_percent,
                                           start, end, sick, data.doctor_note, calendar)
        else:
            calculation = rules.closure(care, contract.refund_closure_full, start, end, calendar)
    block = rules.within_paid(calculation.amount_fen, paid_fen(session, contract.id), refunded_fen(session, contract.id))
    if calculation.amount_fen <= 0:
        block = Decision(Mode.block, rules.NOTHING_TO_REFUND)
    existing = _overlap(session, contract, kind, start, end)
    if existing is not None:
        message = OVERLAPS if kind not in (RefundKind.withdrawal, RefundKind.deposit) else ONCE_ONLY
        block = Decision(Mode.block, message, {"number": existing.id})
    return Proposal(kind, start, end, calculation, block)


def create_refund(
    session: Session, me: CurrentPerson, contract: Contract, kind: RefundKind, data: RefundForm, today: date,
    due_days: int,
) -> Refund:
    """Recalculate, refuse what the rules block, save with the trace, audit, commit."""
    # Two directors refunding the same contract at once must not both pass the "within paid" check:
    # the contract row is locked for the transaction (PostgreSQL; SQLite's write transaction serialises).
    session.exec(select(Contract.id).where(Contract.id == contract.id).with_for_update()).one()
    proposal = calculate(session, contract, kind, data, today)
    if proposal.block is not None:
        raise Refused({"amount": proposal.block})
    refund = Refund(
        contract_id=contract.id, child_id=contract.child_id, kind=kind,
        period_start=proposal.period_start, period_end=proposal.period_end,
        amount_fen=proposal.calculation.amount_fen, trace=proposal.calculation.trace_json(),
        requested_on=data.requested_on, due_on=due_date(data.requested_on, due_days),
        recorded_by_id=me.person.id,
    )
    session.add(refund)
    audit.record(session, me.person.id, "refund_recorded", refund, after=audit.snapshot(refund),
                 child_id=contract.child_id)
    session.commit()
    return refund


def due_date(requested_on: date, due_days: int) -> date:
    """DOMAIN.md: refunds are paid within `refund_due_days` (15) of the request."""
    return requested_on + timedelta(days=due_days)


def mark_paid(session: Session, me: CurrentPerson, refund: Refund, data: PaidForm) -> None:
    if refund.voided_at is not None:
        raise Refused({"__all__": ALREADY_VOID})
    if refund.paid_on is not None:
        raise Refused({"__all__": ALREADY_PAID})
    before = audit.snapshot(refund)
    refund.paid_on, refund.paid_by_id = data.paid_on, me.person.id
    refund.method, refund.reference = data.method, data.reference
    session.add(refund)
    audit.record(session, me.person.id, "refund_paid", refund, before=before, after=audit.snapshot(refund),
                 child_id=refund.child_id)
    session.commit()


def void_refund(session: Session, me: CurrentPerson, refund: Refund, reason: str) -> None:
    """A refund recorded by mistake; a paid refund is money gone and stays on the record."""
    if refund.voided_at is not None:
        raise Refused({"__all__": ALREADY_VOID})
    if refund.paid_on is not None:
        raise Refused({"__all__": NOT_PAID_YET})
    audit.void(session, me.person.id, refund, "refund_voided", reason, utcnow())
    session.commit()


def late_refunds(session: Session, today: date) -> list[Refund]:
    """Refunds not paid (nor voided) after their due date — a WARN on /director."""
    return list(session.exec(
        select(Refund).where(col(Refund.paid_on).is_(None), col(Refund.voided_at).is_(None), Refund.due_on < today)
        .order_by(Refund.due_on)
    ).all())


def late_refunds_warning(session: Session, today: date) -> Decision | None:
    late = late_refunds(session, today)
    return Decision(Mode.warn, LATE_REFUNDS, {"count": len(late)}) if late else None


# ---------------------------------------------------------------- trace display


def trace_view(trace: list[dict], t) -> list[tuple[str, int | None]]:
    """The trace as text in the reader's language: each line's message with its numbers shown, and its amount."""
    shown = []
    for line in trace:
        params = {}
        for key, value in (line.get("params") or {}).items():
            if key.endswith("_fen") and isinstance(value, int):
                params[key] = t.money(value)
            elif key.endswith("_on") and isinstance(value, str):
                params[key] = t.date(date.fromisoformat(value))
            elif key == "dates" and isinstance(value, list):
                params[key] = ", ".join(t.date(date.fromisoformat(day), format="short") for day in value)
            else:
                params[key] = value
        message_id = line["message"]  # stored as a message id (the rules' N_ strings): translated here
        shown.append((t.gettext(message_id, **params), line.get("amount_fen")))
    return shown


def shown_error(error, t):
    """A Decision whose numbers are money, ready for the macros (which format params as they are)."""
    if isinstance(error, Decision):
        return Decision(error.mode, error.message,
                        {key: t.money(value) if key.endswith("_fen") else value for key, value in error.params.items()})
    return error


# ---------------------------------------------------------------- the meal account


def semester_of(day: date) -> str:
    if day.month >= 9:
        return f"{day.year}-autumn"
    if day.month <= 2:
        return f"{day.year - 1}-autumn"
    return f"{day.year}-spring"


def semester_months(semester: str) -> list[date]:
    """The first days of the semester's six months; ValueError for a name that is not a semester."""
    year_text, _, season = semester.partition("-")
    year = int(year_text)
    if season == "autumn":
        return [date(year, m, 1) for m in (9, 10, 11, 12)] + [date(year + 1, 1, 1), date(year + 1, 2, 1)]
    if season == "spring":
        return [date(year, m, 1) for m in range(3, 9)]
    raise ValueError(semester)


def previous_semester(semester: str) -> str:
    return semester_of(semester_months(semester)[0] - timedelta(days=1))


def next_semester(semester: str) -> str:
    return semester_of(semester_months(semester)[-1] + timedelta(days=31))


@dataclass(frozen=True)
class MealMonth:
    month: date
    income_fen: int
    spending_fen: int

    @property
    def surplus_fen(self) -> int:
        return self.income_fen - self.spending_fen


@dataclass(frozen=True)
class MealAccount:
    semester: str
    months: list[MealMonth]
    spendings: list[MealSpending]

    @property
    def income_fen(self) -> int:
        return sum(m.income_fen for m in self.months)

    @property
    def spending_fen(self) -> int:
        return sum(m.spending_fen for m in self.months)

    @property
    def surplus_fen(self) -> int:
        return self.income_fen - self.spending_fen


def meal_account(session: Session, semester: str, until: date | None = None) -> MealAccount:
    """Meal income (meal fee and meal credit lines of bills not voided, by the month the bill's period starts)
    against food spending entered by the director, per month of the semester (up to `until`'s month if given)."""
    months = [m for m in semester_months(semester) if until is None or m <= until]
    if not months:
        return MealAccount(semester, [], [])
    first, after = months[0], (months[-1] + timedelta(days=32)).replace(day=1)
    income: dict[date, int] = {}
    rows = session.exec(
        select(Bill.period_start, BillLine.amount_fen).join(BillLine, col(BillLine.bill_id) == Bill.id)
        .where(col(Bill.voided_at).is_(None), col(BillLine.kind).in_((LineKind.meal_fee, LineKind.meal_credit)),
               Bill.period_start >= first, Bill.period_start < after)
    ).all()
    for start, amount in rows:
        income[start.replace(day=1)] = income.get(start.replace(day=1), 0) + amount
    spendings = list(session.exec(
        select(MealSpending).where(MealSpending.month >= first, MealSpending.month < after)
        .order_by(MealSpending.month, MealSpending.id)
    ).all())
    spent: dict[date, int] = {}
    for row in spendings:
        if row.voided_at is None:
            spent[row.month] = spent.get(row.month, 0) + row.amount_fen
    return MealAccount(semester, [MealMonth(m, income.get(m, 0), spent.get(m, 0)) for m in months], spendings)


def fen_text(fen: int) -> str:
    """-12345 → "-123.45": yuan for a spreadsheet, exact."""
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def meal_account_csv(account: MealAccount, gettext) -> str:
    """The account as CSV with a BOM, so Excel opens the Chinese headings correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([gettext("Month"), gettext("Meal income"), gettext("Food spending"), gettext("Surplus / deficit")])
    for row in account.months:
        writer.writerow([row.month.strftime("%Y-%m"), fen_text(row.income_fen), fen_text(row.spending_fen),
                         fen_text(row.surplus_fen)])
    writer.writerow([gettext("Semester"), fen_text(account.income_fen), fen_text(account.spending_fen),
                     fen_text(account.surplus_fen)])
    return "\ufeff" + out.getvalue()


def off_percent(account: MealAccount) -> Fraction | None:
    """|surplus or deficit| as a percentage of meal income (None with neither income nor spending)."""
    if account.income_fen == 0:
        return None if account.spending_fen == 0 else Fraction(100)
    return Fraction(abs(account.surplus_fen) * 100, account.income_fen)


def percent_text(percent: Fraction | None) -> str | None:
    """"2.3%": one decimal, halves up, from the exact fraction (no float on the way)."""
    if percent is None:
        return None
    tenths = round_half_up(percent * 10)
    return f"{tenths // 10}.{tenths % 10}%"


def meal_account_warning(session: Session, today: date, policy) -> Decision | None:
    """WARN when the current semester's surplus or deficit passes the tolerance of its meal income.

    Only months already over count: in the month running, food is bought before everything is billed.
    """
    semester = semester_of(today)
    done = today.replace(day=1) - timedelta(days=1)
    account = meal_account(session, semester, until=done)
    percent = off_percent(account)
    limit = Fraction(str(policy.meal_account_tolerance_percent))
    if percent is None or percent <= limit:
        return None
    return Decision(Mode.warn, MEAL_ACCOUNT_OFF, {"semester": semester, "percent": percent_text(percent),
                                                  "limit": f"{policy.meal_account_tolerance_percent}%"})


def add_spending(session: Session, me: CurrentPerson, data: SpendingForm) -> MealSpending:
    if data.amount <= 0:
        raise Refused({"amount": N_("Enter an amount more than zero.")})
    row = MealSpending(month=data.month, amount_fen=data.amount, note=data.note, recorded_by_id=me.person.id)
    session.add(row)
    audit.record(session, me.person.id, "meal_spending_recorded", row, after=audit.snapshot(row))
    session.commit()
    return row


def void_spending(session: Session, me: CurrentPerson, spending_id: int, reason: str) -> MealSpending:
    row = session.get(MealSpending, spending_id)
    if row is None:
        raise NotFound()
    if row.voided_at is not None:
        raise Refused({"__all__": N_("This entry is void already.")})
    audit.void(session, me.person.id, row, "meal_spending_voided", reason, utcnow())
    session.commit()
    return row


def _month_before(day: date) -> date:
    """The first day of the month before `day`'s month."""
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)
