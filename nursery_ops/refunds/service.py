"""Refunds with their calculation trace, refund payments, late refunds, and the meal account.

A refund is calculated by `rules` from the contract, its bills and the child's attendance; the director
sees the trace and confirms; the service recalculates on saving (the trace is never taken from the
form), refuses a refund beyond what was paid, and audits every change in the same transaction.

Refunds are taken on the contract version in force, for days inside its service period, and give back
only what bills of the enrolment's contract (every version) charged; a day refunded once (under any kind)
is not refunded again. A confirmed withdrawal refund ends the contract on the leaving day.

Semesters (学期) for the meal account: autumn = September to February (named by the year it starts,
"2025-autumn"), spring = March to August ("2026-spring").
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from sqlalchemy import bindparam, func
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
from nursery_ops.billing.rules import allocate, contract_end, credited_days, line_dates, refund_days, round_half_up
from nursery_ops.billing.service import bills_of, family_ids, lines_of, lock_contract, paid_fen
from nursery_ops.children.models import Child
from nursery_ops.clock import utcnow
from nursery_ops.contracts.calendar import load_calendar
from nursery_ops.contracts.models import Contract, ContractStatus, FeeUnit
from nursery_ops.contracts.service import (
    ENDED_BY_WITHDRAWAL,
    contract_for_view,
    record_early_end,
    superseded_refusal,
)
from nursery_ops.enrolment.models import Enrolment
from nursery_ops.errors import NotFound
from nursery_ops.forms import Refused
from nursery_ops.i18n import N_
from nursery_ops.money import shown_message, shown_params
from nursery_ops.policy import Decision, Mode
from nursery_ops.refunds import rules
from nursery_ops.refunds.forms import PaidForm, RefundForm, SpendingForm, damage_rows

ALREADY_VOID = N_("This refund is void.")
ALREADY_PAID = N_("This refund has been paid already.")
NOT_PAID_YET = N_("Only an unpaid refund can be voided; record a correction instead.")
END_BEFORE_START = N_("The last day cannot be before the first day.")
NOT_PASSED = N_("Days that have not passed yet cannot be refunded.")
NOTE_NEEDED = N_("Tick that you have seen the doctor's note.")
OVERLAPS = N_("A refund already covers the days of this period (refund #{number}).")
NOT_A_SIGNED_CONTRACT = N_("Refunds are made on a signed contract.")
OUTSIDE_CONTRACT = N_("The period must lie within the contract's service period, {start_on} to {end_on}.")
LEAVING_OUTSIDE = N_("The last day of care must lie between {start_on} and {end_on}.")
IN_FUTURE = N_("This date cannot be in the future.")
NOTICE_AFTER_LEAVING = N_("Notice is given on or before the last day of care.")
# Kinds that give back the care fee: a day is refunded under one of them at most.
CARE_KINDS = (RefundKind.withdrawal, RefundKind.sick_leave, RefundKind.closure)
ONCE_ONLY = N_("This contract already has a refund of this kind (refund #{number}); void it first.")
LATE_REFUNDS = N_("{count} refunds are past their due date.")
# The percent sign goes into the values: a "%" followed by a letter in a message id reads as a printf conversion.
MEAL_ACCOUNT_OFF = N_("The meal account of {semester} is off meal income by {percent} (at most {limit} allowed).")


# ---------------------------------------------------------------- reading


# Built once (bound to :contract_ids when run): the contract page reads it on every view.
_CONTRACT_REFUNDS = (
    select(Refund).where(col(Refund.contract_id).in_(bindparam("contract_ids", expanding=True)))
    .order_by(col(Refund.requested_on).desc(), col(Refund.id).desc())
)


def contract_refunds(session: Session, contract: Contract, version_ids: Sequence[int] | None = None) -> list[Refund]:
    """All refunds of the enrolment's contract, every version, newest first (void ones too: they stay on the record).

    `version_ids`: the versions' ids when the caller has them (as billing.service.family_ids), saving a statement.
    """
    ids = list(version_ids) if version_ids is not None else family_ids(session, contract)
    return list(session.exec(_CONTRACT_REFUNDS, params={"contract_ids": ids}).all())


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


@dataclass(frozen=True)
class Billed:
    """What the enrolment's contract (every version) charged and refunded, as the refund rules take it."""

    care: list[rules.BilledCare]
    meals: list[rules.BilledMeals]
    deposits: list[rules.BilledDeposit]
    credited: dict[date, str]  # a meal day → the bill that credited it
    refunds: list[Refund]  # not voided
    sick_percent: dict[int, int]  # contract version → its sick leave rate


def _billed(session: Session, contract: Contract) -> Billed:
    """Bills not voided with their lines, payments spread over them, and the refunds so far (fixed query count)."""
    ids = family_ids(session, contract)
    bills = [bill for bill in bills_of(session, ids) if bill.voided_at is None]
    lines = lines_of(session, [bill.id for bill in bills])
    shares = allocate(paid_fen(session, contract.id), [bill.total_fen for bill in bills])
    care, meals, deposits, credited = [], [], [], {}
    for bill, share in zip(bills, shares, strict=True):
        kinds: dict[LineKind, list[BillLine]] = {}
        for line in lines[bill.id]:
            kinds.setdefault(line.kind, []).append(line)
        charged = sum(line.amount_fen for kind in (LineKind.care_fee, LineKind.temporary) for line in kinds.get(kind, []))
        if charged > 0:
            # A bill's discount is taken off its care fee: refunds give back what was charged, net of it.
            discount = sum(line.amount_fen for line in kinds.get(LineKind.discount, []))
            booked = [day for line in kinds.get(LineKind.temporary, []) for day in line_dates(line.detail) or []]
            care.append(rules.BilledCare(bill.number, bill.period_start, bill.period_end, max(charged + discount, 0),
                                         tuple(booked)))
        for line in kinds.get(LineKind.meal_fee, [])[:1]:
            meals.append(rules.BilledMeals(bill.number, bill.period_start, bill.period_end,
                                           line.unit_fen if line.quantity else contract.meal_fee_per_day_fen))
        for line in kinds.get(LineKind.meal_credit, []):
            # Any earlier month's days, carried over when its next bill went out before they passed.
            credited.update({day: bill.number for day in sorted(credited_days(line.detail, bill.period_start))})
        deposit = sum(line.amount_fen for line in kinds.get(LineKind.deposit, []))
        if deposit:
            deposits.append(rules.BilledDeposit(bill.number, deposit, share))
    refunds = list(session.exec(
        select(Refund).where(col(Refund.contract_id).in_(ids), col(Refund.voided_at).is_(None)).order_by(Refund.id)
    ).all())
    percents = dict(session.exec(select(Contract.id, Contract.sick_refund_percent).where(col(Contract.id).in_(ids))).all())
    return Billed(care, meals, deposits, credited, refunds, percents)


def _claimed(refunds: list[Refund], kinds: tuple[RefundKind, ...]) -> dict[date, int]:
    """Day → the refund (of these kinds) that already gave it back."""
    claimed: dict[date, int] = {}
    for refund in refunds:
        if refund.kind in kinds:
            for day in refund_days(refund.days, refund.period_start, refund.period_end):
                claimed.setdefault(day, refund.id)
    return claimed


def _contract_refusal(session: Session, contract: Contract) -> dict:
    if contract.status is ContractStatus.draft:
        return {"__all__": NOT_A_SIGNED_CONTRACT}
    return superseded_refusal(session, contract)


def _withdrawal_dates(errors: dict, contract: Contract, data: RefundForm, today: date) -> None:
    """The leaving day within the contract (the day before it starts: never came); notice not ahead of either."""
    end = contract_end(contract.end_date, contract.ended_on)
    if not contract.start_date - timedelta(days=1) <= data.leaving_on <= end:
        errors["leaving_on"] = Decision(Mode.block, LEAVING_OUTSIDE, {
            "start_on": (contract.start_date - timedelta(days=1)).isoformat(), "end_on": end.isoformat()})
    if data.notice_given_on > today:
        errors["notice_given_on"] = IN_FUTURE
    elif data.notice_given_on > data.leaving_on:
        errors["notice_given_on"] = NOTICE_AFTER_LEAVING


def _within_contract(errors: dict, contract: Contract, data: RefundForm) -> None:
    end = contract_end(contract.end_date, contract.ended_on)
    outside = Decision(Mode.block, OUTSIDE_CONTRACT, {"start_on": contract.start_date.isoformat(),
                                                      "end_on": end.isoformat()})
    if data.period_start < contract.start_date:
        errors["period_start"] = outside
    if data.period_end > end:
        errors["period_end"] = outside


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


def _overlap(refunds: list[Refund], kind: RefundKind, start: date, end: date) -> Refund | None:
    """A withdrawal or deposit refund already made (once per contract, every version), or for the other kinds
    a refund that gave back days of this period (care fee kinds among themselves, meals among meals)."""
    if kind in (RefundKind.withdrawal, RefundKind.deposit):
        return next((refund for refund in refunds if refund.kind is kind), None)
    kinds = (RefundKind.meals,) if kind is RefundKind.meals else CARE_KINDS
    return next((refund for refund in refunds if refund.kind in kinds
                 and any(start <= day <= end for day in refund_days(refund.days, refund.period_start,
                                                                      refund.period_end))), None)


def calculate(session: Session, contract: Contract, kind: RefundKind, data: RefundForm, today: date) -> Proposal:
    """The refund the rules give for these inputs; Refused (field → message) when an input is missing or wrong."""
    errors: dict = _contract_refusal(session, contract)
    if errors:
        raise Refused(errors)
    care = _care(session, contract)
    billed = _billed(session, contract)
    if kind is RefundKind.withdrawal:
        _need(errors, data, "leaving_on", "notice_given_on")
        if not errors:
            _withdrawal_dates(errors, contract, data, today)
        if errors:
            raise Refused(errors)
        first = rules.first_refunded_day(data.leaving_on, data.notice_given_on, contract.withdrawal_notice_days)
        end = max([first] + [bill.period_end for bill in billed.care])
        calendar = load_calendar(session, min([first] + [bill.period_start for bill in billed.care]), end)
        prior = [rules.Prior(refund.id, refund.kind.value,
                             frozenset(refund_days(refund.days, refund.period_start, refund.period_end)),
                             billed.sick_percent.get(refund.contract_id, 100) if refund.kind is RefundKind.sick_leave
                             else 100)
                 for refund in billed.refunds if refund.kind in (RefundKind.sick_leave, RefundKind.closure)]
        calculation = rules.withdrawal(care, contract.refund_withdrawal_pro_rata, contract.withdrawal_notice_days,
                                       data.leaving_on, data.notice_given_on, billed.care, calendar, prior)
        start, end = first, max(calculation.days, default=first)
    elif kind is RefundKind.deposit:
        _need(errors, data, "leaving_on")
        damages, damage_errors = damage_rows(data)
        errors.update(damage_errors)
        if errors:
            raise Refused(errors)
        calculation = rules.deposit(contract.refund_deposit, billed.deposits,
                                    [rules.Damage(text, fen) for text, fen in damages])
        start = end = data.leaving_on
    else:
        _period(data, today, errors, passed=kind is not RefundKind.closure)
        if not errors:
            _within_contract(errors, contract, data)
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
            # A month's bill credits the meals missed in the month before (billing.rules): those days are left out.
            calculation = rules.meals(contract.refund_meals_not_attended, care.unit is FeeUnit.month,
                                      care.schedule_days, start, end, attended, billed.meals, billed.credited,
                                      _claimed(billed.refunds, (RefundKind.meals,)), calendar)
        elif kind is RefundKind.sick_leave:
            # Only days inside the period count: a run cut by its edges is judged on the days inside.
            sick = set(session.exec(
                select(Absence.on_date).where(Absence.child_id == contract.child_id, Absence.reason == AbsenceReason.sick,
                                              Absence.on_date >= start, Absence.on_date <= end,
                                              # the child came in after all (attendance.service supersedes it)
                                              col(Absence.superseded_at).is_(None))
            ).all())
            calculation = rules.sick_leave(care, contract.sick_refund_min_days, contract.sick_refund_percent,
                                           start, end, sick, data.doctor_note, calendar, billed.care,
                                           _claimed(billed.refunds, CARE_KINDS))
        else:
            calculation = rules.closure(care, contract.refund_closure_full, start, end, calendar, billed.care,
                                        _claimed(billed.refunds, CARE_KINDS))
    block = rules.within_paid(calculation.amount_fen, paid_fen(session, contract.id), refunded_fen(session, contract.id))
    if calculation.amount_fen <= 0:
        block = Decision(Mode.block, rules.NOTHING_TO_REFUND)
    existing = _overlap(billed.refunds, kind, start, end)
    if kind in (RefundKind.withdrawal, RefundKind.deposit) and existing is not None:
        block = Decision(Mode.block, ONCE_ONLY, {"number": existing.id})
    elif calculation.amount_fen <= 0 and existing is not None:
        block = Decision(Mode.block, OVERLAPS, {"number": existing.id})
    return Proposal(kind, start, end, calculation, block)


def create_refund(
    session: Session, me: CurrentPerson, contract: Contract, kind: RefundKind, data: RefundForm, today: date,
    due_days: int,
) -> Refund:
    """Recalculate, refuse what the rules block, save with the trace, audit, commit."""
    # Two directors refunding the same contract at once must not both pass the "within paid" check.
    lock_contract(session, contract)
    proposal = calculate(session, contract, kind, data, today)
    if proposal.block is not None:
        raise Refused({"amount": proposal.block})
    refund = Refund(
        contract_id=contract.id, child_id=contract.child_id, kind=kind,
        period_start=proposal.period_start, period_end=proposal.period_end,
        amount_fen=proposal.calculation.amount_fen, trace=proposal.calculation.trace_json(),
        days=proposal.calculation.days_json(),
        requested_on=data.requested_on, due_on=due_date(data.requested_on, due_days),
        recorded_by_id=me.person.id,
    )
    session.add(refund)
    audit.record(session, me.person.id, "refund_recorded", refund, after=audit.snapshot(refund),
                 child_id=contract.child_id)
    if kind is RefundKind.withdrawal and (contract.ended_on is None or contract.ended_on > data.leaving_on):
        # The family has left: service ends on the leaving day, so no month after it is billed.
        record_early_end(session, me, contract, data.leaving_on, ENDED_BY_WITHDRAWAL, today)
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
    """The trace as text in the reader's language: each line's message with its numbers shown, and its amount.

    A line is stored as a message id (the rules' N_ strings) with its parameters: translated here.
    """
    return [(shown_message(line["message"], line.get("params") or {}, t), line.get("amount_fen")) for line in trace]


def shown_error(error, t):
    """A Decision whose numbers are money or dates, ready for the macros (which format params as they are)."""
    if isinstance(error, Decision):
        return Decision(error.mode, error.message, shown_params(error.params, t))
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
    """Meal income (meal fee and meal credit lines of bills not voided, by the month the bill's period starts,
    less meal refunds not voided, by the month their first day falls in) against food spending entered by the
    director, per month of the semester (up to `until`'s month if given)."""
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
    # Meals given back in cash are income no more, like the credits on bills.
    for start, amount in session.exec(
        select(Refund.period_start, Refund.amount_fen).where(
            col(Refund.voided_at).is_(None), Refund.kind == RefundKind.meals, Refund.period_start >= first,
            Refund.period_start < after)
    ).all():
        income[start.replace(day=1)] = income.get(start.replace(day=1), 0) - amount
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


def meal_account_rows(account: MealAccount, gettext) -> list[list[str]]:
    """The account as rows for a spreadsheet (a heading row first)."""
    rows = [[gettext("Month"), gettext("Meal income"), gettext("Food spending"), gettext("Surplus / deficit")]]
    rows += [[row.month.strftime("%Y-%m"), fen_text(row.income_fen), fen_text(row.spending_fen), fen_text(row.surplus_fen)]
             for row in account.months]
    rows.append([gettext("Semester"), fen_text(account.income_fen), fen_text(account.spending_fen),
                 fen_text(account.surplus_fen)])
    return rows


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


def meal_account_warnings(session: Session, today: date, policy) -> list[Decision]:
    """A WARN for each semester whose surplus or deficit passes the tolerance of its meal income: the semester
    that ended last (its account is final, and stays flagged while the next one runs) and the running one.

    Of the running semester only months already over count: in the month running, food is bought before
    everything is billed.
    """
    running = semester_of(today)
    done = today.replace(day=1) - timedelta(days=1)
    limit = Fraction(str(policy.meal_account_tolerance_percent))
    warnings = []
    for semester, until in ((previous_semester(running), None), (running, done)):
        percent = off_percent(meal_account(session, semester, until=until))
        if percent is not None and percent > limit:
            warnings.append(Decision(Mode.warn, MEAL_ACCOUNT_OFF, {
                "semester": semester, "percent": percent_text(percent),
                "limit": f"{policy.meal_account_tolerance_percent}%"}))
    return warnings


def meal_account_warning(session: Session, today: date, policy) -> Decision | None:
    """The first of `meal_account_warnings` (the semester that ended comes first), for a one-line alert."""
    return next(iter(meal_account_warnings(session, today, policy)), None)


def add_spending(session: Session, me: CurrentPerson, data: SpendingForm) -> MealSpending:
    if data.amount <= 0:
        raise Refused({"amount": N_("Enter an amount more than zero.")})
    row = MealSpending(month=data.month, amount_fen=data.amount, note=data.note, recorded_by_id=me.person.id)
    session.add(row)
    audit.record(session, me.person.id, "meal_spending_recorded", row, after=audit.snapshot(row))
    session.commit()
    return row


def spending(session: Session, spending_id: int) -> MealSpending:
    row = session.get(MealSpending, spending_id)
    if row is None:
        raise NotFound()
    return row


def void_spending(session: Session, me: CurrentPerson, spending_id: int, reason: str) -> MealSpending:
    row = spending(session, spending_id)
    if row.voided_at is not None:
        raise Refused({"__all__": N_("This entry is void already.")})
    audit.void(session, me.person.id, row, "meal_spending_voided", reason, utcnow())
    session.commit()
    return row
