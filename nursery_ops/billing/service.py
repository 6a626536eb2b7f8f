"""Bills, payments and receipts; a contract's ledger; the monthly money report.

Each change checks everything first (nothing half-saved), writes its audit entry in the same
transaction and commits. Refusals raise `Refused` (field → message id or Decision); a prepayment
BLOCK may be overridden by the director with a written reason (audited).

Money belongs to the enrolment's contract, whatever its version: an amendment is a new Contract row,
and the ledger of any version gathers the bills, payments and refunds of all versions of that
enrolment's contract. The balance (what the family owes; negative = the nursery owes) is derived
every time from those rows, never stored:

    balance = bills issued − payments + refunds paid out − refunds (credited when requested)
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import bindparam, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from nursery_ops import audit
from nursery_ops.attendance.models import Attendance, TemporaryBooking
from nursery_ops.auth.models import STAFF_ROLES, Person, PersonRole
from nursery_ops.auth.service import CurrentPerson
from nursery_ops.billing import rules
from nursery_ops.billing.forms import BillForm, PaymentForm
from nursery_ops.billing.models import (
    Bill,
    BillCounter,
    BillLine,
    CounterSeries,
    LineKind,
    Payment,
    PaymentMethod,
    Refund,
    RefundKind,
)
from nursery_ops.children.models import Child
from nursery_ops.clock import local_date
from nursery_ops.contracts.calendar import Calendar, days_between, load_calendar, service_days
from nursery_ops.contracts.models import Contract, ContractCharge, ContractStatus, FeeUnit
from nursery_ops.contracts.service import contract_for_view, superseded_refusal
from nursery_ops.dailylog.rules import at_local_time
from nursery_ops.enrolment.models import Enrolment
from nursery_ops.errors import NotFound
from nursery_ops.forms import Refused
from nursery_ops.i18n import N_
from nursery_ops.money import shown_message
from nursery_ops.policy import Decision, Mode, Policy
from nursery_ops.settings import get_settings

ALREADY_VOIDED = N_("This bill has already been voided.")
BAD_REPLACEMENT = N_("Choose a voided bill of this contract that has not been reissued yet.")
MORE_THAN_DUE = N_("This is more than what is due ({due}): record at most the outstanding balance.")
NOTHING_DUE = N_("Nothing is due on this contract: there is nothing to pay.")
UNKNOWN_BILL = N_("Choose a bill of this contract that is not voided.")
UNKNOWN_PERSON = N_("Choose a member of staff.")
OVERRIDE_TOO_SHORT = N_("Write the reason for overriding (at least 10 characters).")
OVERRIDE_NEEDED = N_("Blocked: correct it, or override with a written reason.")


class Blocked(Refused):
    """BLOCK decisions the director may override: shown with the override box, the reason next to it."""

    def __init__(self, blocks: list[Decision], reason_given: bool):
        super().__init__({"override_reason": OVERRIDE_TOO_SHORT if reason_given else OVERRIDE_NEEDED})
        self.blocks = blocks


# ---------------------------------------------------------------- numbering


def next_number(session: Session, series: CounterSeries, year: int) -> int:
    """The next number of `series` in `year`, taken inside the caller's transaction.

    UPDATE ... RETURNING raises and reads in one statement: on PostgreSQL it locks the counter row until
    the transaction ends, so a concurrent issuer waits and then reads the raised value; SQLite's write
    transactions (BEGIN IMMEDIATE, db.py) already run one at a time. The first number of a year inserts the
    row with ON CONFLICT DO NOTHING, so two first issues of a year do not collide either.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(BillCounter).values(series=series, year=year, last_number=0).on_conflict_do_nothing()
    )
    return session.execute(
        update(BillCounter)
        .where(col(BillCounter.series) == series, col(BillCounter.year) == year)
        .values(last_number=BillCounter.last_number + 1)
        .returning(BillCounter.last_number)
    ).scalar_one()


# ---------------------------------------------------------------- reading


def family_ids(session: Session, contract: Contract) -> list[int]:
    """Every version of the enrolment's contract (money follows the enrolment across amendments)."""
    return list(session.exec(select(Contract.id).where(Contract.enrolment_id == contract.enrolment_id)).all())


def bills_of(session: Session, contract_ids: Sequence[int]) -> list[Bill]:
    return list(session.exec(
        select(Bill).where(col(Bill.contract_id).in_(contract_ids)).order_by(Bill.period_start, Bill.id)
    ).all())


def lines_of(session: Session, bill_ids: Sequence[int]) -> dict[int, list[BillLine]]:
    lines: dict[int, list[BillLine]] = defaultdict(list)
    if bill_ids:
        for line in session.exec(
            select(BillLine).where(col(BillLine.bill_id).in_(bill_ids)).order_by(BillLine.bill_id, BillLine.position)
        ).all():
            lines[line.bill_id].append(line)
    return lines


def replacement_of(session: Session, bill_id: int) -> Bill | None:
    """The bill that reissued a voided one."""
    return session.exec(select(Bill).where(Bill.replaces_id == bill_id)).first()


def bill_for_view(session: Session, me: CurrentPerson, bill_id: int) -> tuple[Bill, Contract]:
    """The bill, for the director or a guardian of its child (404 for other families, 403 for other staff)."""
    bill = session.get(Bill, bill_id)
    if bill is None:
        raise NotFound()
    return bill, contract_for_view(session, me, bill.contract_id)


def payment_for_view(session: Session, me: CurrentPerson, payment_id: int) -> tuple[Payment, Contract]:
    payment = session.get(Payment, payment_id)
    if payment is None:
        raise NotFound()
    return payment, contract_for_view(session, me, payment.contract_id)


def staff_choices(session: Session) -> list[tuple[int, str]]:
    rows = session.exec(
        select(Person.id, Person.full_name).join(PersonRole, PersonRole.person_id == Person.id)
        .where(col(PersonRole.role).in_(list(STAFF_ROLES)), col(Person.active).is_(True))
        .distinct().order_by(Person.full_name)
    ).all()
    return [(person_id, name) for person_id, name in rows]


def names(session: Session, person_ids: set[int]) -> dict[int, str]:
    ids = [person_id for person_id in person_ids if person_id is not None]
    if not ids:
        return {}
    return dict(session.exec(select(Person.id, Person.full_name).where(col(Person.id).in_(ids))).all())


# ---------------------------------------------------------------- the ledger


@dataclass
class LedgerLine:
    on: date
    kind: str  # "bill", "payment", "refund", "refund_paid"
    reference: str  # bill or receipt number, refund id
    url: str | None
    amount_fen: int  # + the family owes more, − it owes less
    balance_fen: int = 0


@dataclass
class BillRow:
    bill: Bill
    lines: list[BillLine]
    paid_fen: int  # of this bill, payments spread oldest bill first (0 for a voided bill)

    @property
    def outstanding_fen(self) -> int:
        return 0 if self.bill.voided_at else self.bill.total_fen - self.paid_fen


@dataclass
class ContractMoney:
    contract: Contract
    bills: list[BillRow]  # voided ones too (shown struck through)
    payments: list[Payment]  # voided ones too
    refunds: list[Refund]  # not voided
    lines: list[LedgerLine]  # chronological, with the running balance
    billed_fen: int
    paid_fen: int
    refunded_fen: int  # refunds credited (requested)
    refunds_paid_fen: int
    deposit_billed_fen: int
    deposit_refunded_fen: int
    balance_fen: int
    receivers: dict[int, str] = field(default_factory=dict)

    @property
    def due_fen(self) -> int:
        """What may still be paid: the balance when the family owes."""
        return max(self.balance_fen, 0)

    @property
    def deposit_held_fen(self) -> int:
        return self.deposit_billed_fen - self.deposit_refunded_fen


KIND_ORDER = {"bill": 0, "refund": 1, "payment": 2, "refund_paid": 3}


def ledger(entries: list[LedgerLine]) -> list[LedgerLine]:
    """Entries in date order with the running balance (derived here, never stored)."""
    balance = 0
    ordered = sorted(entries, key=lambda line: (line.on, KIND_ORDER[line.kind], line.reference))
    for line in ordered:
        balance += line.amount_fen
        line.balance_fen = balance
    return ordered


# contract_money's statements are built once, bound to :contract_ids when run: building and keying them costs
# SQLAlchemy more than SQLite takes to answer them on the contract and family pages.
_CONTRACT_IDS = bindparam("contract_ids", expanding=True)
_MONEY_BILLS = (
    select(Bill, BillLine).outerjoin(BillLine, col(BillLine.bill_id) == Bill.id)
    .where(col(Bill.contract_id).in_(_CONTRACT_IDS)).order_by(Bill.period_start, Bill.id, BillLine.position)
)
_MONEY_PAYMENTS = (
    select(Payment, Person.full_name).outerjoin(Person, col(Person.id) == Payment.received_by_id)
    .where(col(Payment.contract_id).in_(_CONTRACT_IDS)).order_by(Payment.paid_on, Payment.id)
)
_MONEY_REFUNDS = select(Refund).where(col(Refund.contract_id).in_(_CONTRACT_IDS), col(Refund.voided_at).is_(None))


def contract_money(
    session: Session, contract: Contract, *,
    version_ids: Sequence[int] | None = None, refunds: Sequence[Refund] | None = None,
) -> ContractMoney:
    """Bills, payments, refunds and the running balance of the enrolment's contract (all versions), in 4 statements
    whatever the history; 3 when the caller has loaded the versions' ids (`version_ids`, as `family_ids`) and 2 with
    their refunds too (`refunds`: every refund of those versions, void ones included)."""
    ids = list(version_ids) if version_ids is not None else family_ids(session, contract)
    return contracts_money(session, [(contract, ids)], refunds)[0]


def contracts_money(
    session: Session, contracts: Sequence[tuple[Contract, Sequence[int]]], refunds: Sequence[Refund] | None = None,
) -> list[ContractMoney]:
    """`contract_money` of several contracts, each given with its versions' ids: three statements (two with
    `refunds`, every refund of those versions) however many contracts, bills or payments."""
    params = {"contract_ids": sorted({version_id for _contract, ids in contracts for version_id in ids})}
    bills_of_version: dict[int, dict[int, Bill]] = defaultdict(dict)
    lines: dict[int, list[BillLine]] = defaultdict(list)
    for bill, line in session.exec(_MONEY_BILLS, params=params).all():
        bills_of_version[bill.contract_id].setdefault(bill.id, bill)
        if line is not None:
            lines[bill.id].append(line)
    payments_of_version: dict[int, list[Payment]] = defaultdict(list)
    receivers: dict[int, str] = {}
    for payment, receiver in session.exec(_MONEY_PAYMENTS, params=params).all():
        payments_of_version[payment.contract_id].append(payment)
        if receiver is not None:
            receivers[payment.received_by_id] = receiver
    refunds_of_version: dict[int, list[Refund]] = defaultdict(list)
    for refund in refunds if refunds is not None else session.exec(_MONEY_REFUNDS, params=params).all():
        if refund.voided_at is None:
            refunds_of_version[refund.contract_id].append(refund)
    found = []
    for contract, ids in contracts:
        bills = sorted((bill for version_id in ids for bill in bills_of_version[version_id].values()),
                       key=lambda bill: (bill.period_start, bill.id))
        payments = sorted((payment for version_id in ids for payment in payments_of_version[version_id]),
                          key=lambda payment: (payment.paid_on, payment.id))
        standing = sorted((refund for version_id in ids for refund in refunds_of_version[version_id]),
                          key=lambda refund: (refund.requested_on, refund.id))
        paid_to = {payment.received_by_id: receivers[payment.received_by_id]
                   for payment in payments if payment.received_by_id in receivers}
        found.append(_money(contract, bills, lines, payments, standing, paid_to))
    return found


def _money(contract: Contract, bills: list[Bill], lines: dict[int, list[BillLine]], payments: list[Payment],
           refunds: list[Refund], receivers: dict[int, str]) -> ContractMoney:
    """The ledger and totals of one contract's rows (`refunds`: the standing ones)."""
    live_bills = [bill for bill in bills if bill.voided_at is None]
    live_payments = [payment for payment in payments if payment.voided_at is None]
    paid = sum(payment.amount_fen for payment in live_payments)
    shares = dict(zip((bill.id for bill in live_bills), rules.allocate(paid, [bill.total_fen for bill in live_bills]),
                      strict=True))

    entries = [LedgerLine(local_date(bill.issued_at), "bill", bill.number, f"/bills/{bill.id}", bill.total_fen)
               for bill in live_bills]
    entries += [LedgerLine(payment.paid_on, "payment", payment.receipt_number, f"/payments/{payment.id}",
                           -payment.amount_fen) for payment in live_payments]
    for refund in refunds:
        entries.append(LedgerLine(refund.requested_on, "refund", f"#{refund.id}", None, -refund.amount_fen))
        if refund.paid_on is not None:
            entries.append(LedgerLine(refund.paid_on, "refund_paid", f"#{refund.id}", None, refund.amount_fen))
    ordered = ledger(entries)
    deposit_billed = sum(line.amount_fen for bill in live_bills for line in lines[bill.id] if line.kind is LineKind.deposit)
    deposit_refunded = sum(refund.amount_fen for refund in refunds if refund.kind == "deposit")
    return ContractMoney(
        contract=contract,
        bills=[BillRow(bill, lines[bill.id], shares.get(bill.id, 0)) for bill in bills],
        payments=payments,
        refunds=refunds,
        lines=ordered,
        billed_fen=sum(bill.total_fen for bill in live_bills),
        paid_fen=paid,
        refunded_fen=sum(refund.amount_fen for refund in refunds),
        refunds_paid_fen=sum(refund.amount_fen for refund in refunds if refund.paid_on is not None),
        deposit_billed_fen=deposit_billed,
        deposit_refunded_fen=deposit_refunded,
        balance_fen=ordered[-1].balance_fen if ordered else 0,
        receivers=receivers,
    )


def paid_fen(session: Session, contract_id: int) -> int:
    """Money received on the enrolment's contract (all versions), payments not voided: the cap of refunds."""
    contract = session.get(Contract, contract_id)
    if contract is None:
        return 0
    total = session.exec(
        select(func.coalesce(func.sum(Payment.amount_fen), 0)).where(
            col(Payment.contract_id).in_(family_ids(session, contract)), col(Payment.voided_at).is_(None)
        )
    ).one()
    return int(total)


# ---------------------------------------------------------------- bills


def lock_contract(session: Session, contract: Contract) -> None:
    """Serialise money changes on one enrolment's contract (all versions) for the rest of the transaction.

    "Already billed", "more than due" and "more than paid" are checked by reading, then writing: two directors at
    once would both pass. SELECT ... FOR UPDATE on every version's row (in id order, so two lockers never deadlock)
    makes the second wait on PostgreSQL until the first commits, and then read what it wrote; SQLite's write
    transactions (BEGIN IMMEDIATE, db.py) already run one at a time, and it leaves FOR UPDATE out.
    """
    session.exec(
        select(Contract.id).where(Contract.enrolment_id == contract.enrolment_id).order_by(Contract.id).with_for_update()
    ).all()


def line_text(line, t) -> str:
    """What a bill line covers, in the reader's language with their date format (BillLine or LineDraft)."""
    if line.detail:
        return shown_message(line.detail["message"], line.detail.get("params") or {}, t)
    return line.description


@dataclass
class BillPreview:
    contract: Contract
    month: date
    drafts: list[rules.BillDraft]  # one per month billed, in order
    refusals: dict  # field → message id or Decision (no bill possible)
    blocks: list[Decision]  # BLOCK decisions the director may override
    supplements: Bill | None = None  # the month's bill a supplementary bill adds the hours it left out to

    @property
    def draft(self) -> rules.BillDraft | None:
        return self.drafts[0] if self.drafts else None

    @property
    def total_fen(self) -> int:
        return sum(draft.total_fen for draft in self.drafts)


def _override_ok(blocks: list[Decision], reason: str) -> bool:
    return not blocks or len(reason.strip()) >= 10


@dataclass
class _Billing:
    """What the bills of a run of months are computed from, loaded once (a fixed number of queries)."""

    schedule: str
    calendar: Calendar
    live: list[Bill]  # not voided, every version of the enrolment's contract, oldest first
    lines: dict[int, list[BillLine]]
    stays: list[Attendance]
    booked: list[date]
    charges: list[ContractCharge]
    meal_refunded: frozenset[date]  # days a meal refund already gave back


def _meal_bills(bills: Sequence[Bill], lines: dict[int, list[BillLine]]) -> list[Bill]:
    """The bills that charged meals in advance: their periods' missed days are credited later."""
    return [bill for bill in bills if any(line.kind is LineKind.meal_fee and rules.meals_in_advance(line.detail)
                                          for line in lines[bill.id])]


def _billing(session: Session, contract: Contract, first_month: date, last_day: date) -> _Billing:
    """Loaded in a fixed number of queries. Attendance, the calendar and meal refunds reach back to the first
    month billed with meals (every version of the contract): a missed day is credited whenever it was."""
    enrolment = session.get(Enrolment, contract.enrolment_id)
    ids = family_ids(session, contract)
    live = [bill for bill in bills_of(session, ids) if bill.voided_at is None]
    lines = lines_of(session, [bill.id for bill in live])
    meal_bills = _meal_bills(live, lines)
    earliest = min([rules.add_months(first_month, -1)] + [bill.period_start for bill in meal_bills])
    latest = max([last_day] + [bill.period_end for bill in meal_bills])
    stays = session.exec(
        select(Attendance).where(Attendance.child_id == contract.child_id, Attendance.on_date >= earliest,
                                 Attendance.on_date <= last_day)
    ).all()
    booked = session.exec(
        select(TemporaryBooking.on_date).where(
            TemporaryBooking.enrolment_id == contract.enrolment_id, col(TemporaryBooking.cancelled_at).is_(None),
            TemporaryBooking.on_date >= first_month, TemporaryBooking.on_date <= last_day,
        )
    ).all()
    charges = session.exec(select(ContractCharge).where(ContractCharge.contract_id == contract.id)
                           .order_by(ContractCharge.id)).all()
    meal_refunds = session.exec(
        select(Refund).where(col(Refund.contract_id).in_(ids), Refund.kind == RefundKind.meals,
                             col(Refund.voided_at).is_(None), Refund.period_start <= last_day,
                             Refund.period_end >= earliest)
    ).all()
    refunded = set()
    for refund in meal_refunds:
        refunded |= rules.refund_days(refund.days, refund.period_start, refund.period_end)
    return _Billing(
        schedule=enrolment.schedule_days if enrolment else "12345", calendar=load_calendar(session, earliest, latest),
        live=live, lines=lines, stays=list(stays), booked=list(booked),
        charges=list(charges), meal_refunded=frozenset(refunded),
    )


def _hours_billed(billing: _Billing, first: date, last: date) -> frozenset[date]:
    """Days from `first` to `last` whose hours a live bill charged (a line that does not say: its whole period)."""
    days: set[date] = set()
    for bill in billing.live:
        if bill.period_start > last or bill.period_end < first:
            continue
        for line in billing.lines[bill.id]:
            if line.kind is LineKind.hourly:
                dates = rules.line_dates(line.detail)
                days |= set(dates) if dates is not None else set(days_between(bill.period_start, bill.period_end))
    return frozenset(day for day in days if first <= day <= last)


@dataclass(frozen=True)
class _Meals:
    """Days charged meals in advance, and days credited, by the live bills and the run's drafts so far."""

    billed: list[date]
    credited: frozenset[date]


def _meals(billing: _Billing, drafts: Sequence[rules.BillDraft]) -> _Meals:
    """The live bills' and the earlier drafts' meals: a draft of a run is issued with the bills before it."""
    bills = [(bill.period_start, bill.period_end, billing.lines[bill.id]) for bill in billing.live]
    bills += [(draft.period_start, draft.period_end, draft.lines) for draft in drafts]
    billed: set[date] = set()
    credited: set[date] = set()
    for period_start, period_end, lines in bills:
        for line in lines:
            if line.kind is LineKind.meal_fee and rules.meals_in_advance(line.detail):
                billed.update(service_days(billing.schedule, period_start, period_end, billing.calendar))
            elif line.kind is LineKind.meal_credit:
                credited |= rules.credited_days(line.detail, period_start)
    return _Meals(sorted(billed), frozenset(credited))


def _month_inputs(contract: Contract, data: BillForm, billing: _Billing, month: date, end: date, today: date, *,
                  first_bill: bool, meals: _Meals, position: int, supplements: Bill | None) -> rules.BillInputs:
    first, last = month, rules.month_end(month)
    return rules.BillInputs(
        month=month,
        care_type=contract.care_type,
        care_fee_fen=contract.care_fee_fen,
        care_fee_unit=contract.care_fee_unit,
        meal_fee_per_day_fen=contract.meal_fee_per_day_fen,
        deposit_fen=contract.deposit_fen,
        refund_meals_not_attended=contract.refund_meals_not_attended,
        contract_start=contract.start_date,
        contract_end=end,
        month_service_days=service_days(billing.schedule, first, last, billing.calendar),
        charges=[rules.Charge(charge.name, charge.amount_fen, charge.unit) for charge in billing.charges],
        stays=[rules.Stay(stay.on_date, stay.check_in_at, stay.check_out_at) for stay in billing.stays
               if first <= stay.on_date <= last],
        booked_days=[day for day in billing.booked if first <= day <= last],
        first_bill=first_bill,
        meal_billed_days=meals.billed,
        attended_days=frozenset(stay.on_date for stay in billing.stays if stay.on_date < first),
        meals_refunded=billing.meal_refunded,
        meals_credited=meals.credited,
        today=today,
        hours_billed_days=_hours_billed(billing, first, last),
        supplements=supplements.number if supplements is not None else None,
        discount_fen=data.discount,
        discount_reason=data.discount_reason,
        # The adjustment is a one-off correction: on the first bill of a run only.
        adjustment_fen=data.adjustment if position == 0 else 0,
        adjustment_reason=data.adjustment_reason if position == 0 else "",
    )


def _first_unpaid(session: Session, contract: Contract, live: list[Bill]) -> date:
    """The first month of service the family has not paid for (payments pay the oldest bills first)."""
    paid = session.exec(
        select(func.coalesce(func.sum(Payment.amount_fen), 0)).where(
            col(Payment.contract_id).in_(family_ids(session, contract)), col(Payment.voided_at).is_(None))
    ).one()
    shares = rules.allocate(int(paid), [bill.total_fen for bill in live])
    return rules.first_unpaid_month(
        [(bill.total_fen, share, bill.period_start, bill.period_end) for bill, share in zip(live, shares, strict=True)],
        contract.start_date,
    )


def preview(session: Session, contract: Contract, data: BillForm, today: date, policy: Policy) -> BillPreview:
    """The bill(s) `data` would issue today, with what refuses or blocks them.

    `data.months` consecutive months from `data.month` (the contract's payment schedule), each its own bill.
    A month already billed is refused, except for hourly care: the hours of days that had no departure
    time then are billed on a supplementary bill of that month.
    """
    end = rules.contract_end(contract.end_date, contract.ended_on)
    months = [rules.add_months(data.month, offset) for offset in range(data.months)]
    refusals: dict = {}
    if contract.status is ContractStatus.draft:
        refusals["__all__"] = rules.NOT_SIGNED
    refusals.update(superseded_refusal(session, contract))
    outside = rules.period_decision(data.month, contract.start_date, end)
    if outside:
        refusals["month"] = outside
    elif len(months) > 1 and (beyond := rules.period_decision(months[-1], contract.start_date, end)):
        refusals["months"] = beyond
    refusals.update(BillForm.reason_errors(data))
    if data.replaces_id is not None:
        replaced = session.get(Bill, data.replaces_id)
        taken = session.exec(select(Bill.id).where(Bill.replaces_id == data.replaces_id)).first()
        if (replaced is None or replaced.voided_at is None or taken is not None
                or replaced.contract_id not in family_ids(session, contract)):
            refusals["replaces_id"] = BAD_REPLACEMENT
    if refusals.keys() & {"__all__", "month", "months"}:
        return BillPreview(contract, data.month, [], refusals, [])

    billing = _billing(session, contract, months[0], rules.month_end(months[-1]))
    supplements = None
    for month in months:
        first, last = rules.bill_period(month, contract.start_date, end)
        billed = next((bill for bill in billing.live if bill.supplements_id is None
                       and bill.period_start <= last and bill.period_end >= first), None)
        if billed is None:
            continue
        if len(months) == 1 and contract.care_fee_unit is FeeUnit.hour:
            supplements = billed
        else:
            refusals["month"] = Decision(Mode.block, rules.ALREADY_BILLED,
                                         {"number": billed.number, "month": month.strftime("%Y-%m")})
            return BillPreview(contract, data.month, [], refusals, [])

    drafts = []
    for position, month in enumerate(months):
        inputs = _month_inputs(contract, data, billing, month, end, today, position=position, supplements=supplements,
                               first_bill=not billing.live and position == 0, meals=_meals(billing, drafts))
        drafts.append(rules.bill_lines(inputs))
    if supplements is not None and not drafts[0].lines[0].quantity:
        refusals["month"] = Decision(Mode.block, rules.ALREADY_BILLED,
                                     {"number": supplements.number, "month": data.month.strftime("%Y-%m")})
    for draft in drafts:
        refusals.update({key: value for key, value in rules.total_problems(draft).items() if key not in refusals})
    prepay = rules.prepay_decision(drafts[-1].period_end, today, policy.prepay_max_months,
                                   _first_unpaid(session, contract, billing.live))
    return BillPreview(contract, data.month, drafts, refusals, [prepay] if prepay else [], supplements)


def issue_bills(session: Session, me: CurrentPerson, contract: Contract, data: BillForm, now: datetime,
                policy: Policy) -> list[Bill]:
    """Number and save the previewed bill(s) in this transaction, each audited. Refused → nothing saved."""
    lock_contract(session, contract)
    today = local_date(now)
    shown = preview(session, contract, data, today, policy)
    if shown.refusals:
        raise Refused(shown.refusals)
    if not _override_ok(shown.blocks, data.override_reason):
        raise Blocked(shown.blocks, bool(data.override_reason))
    bills = []
    for position, draft in enumerate(shown.drafts):
        sequence = next_number(session, CounterSeries.bill, today.year)
        bill = Bill(
            year=today.year, sequence=sequence, number=rules.bill_number(today.year, sequence),
            contract_id=contract.id, child_id=contract.child_id, period_start=draft.period_start,
            period_end=draft.period_end, total_fen=draft.total_fen,
            due_on=due_date(contract, rules.month_start(draft.period_start), today), issued_at=now,
            issued_by_id=me.person.id, replaces_id=data.replaces_id if position == 0 else None,
            supplements_id=shown.supplements.id if shown.supplements is not None else None,
        )
        session.add(bill)
        session.flush()
        lines = [
            BillLine(bill_id=bill.id, position=number, kind=line.kind, description=line.description,
                     quantity=line.quantity, unit_fen=line.unit_fen, amount_fen=line.amount_fen, reason=line.reason,
                     detail=line.detail)
            for number, line in enumerate(draft.lines, start=1)
        ]
        session.add_all(lines)
        after = {**audit.snapshot(bill), "lines": [audit.snapshot(line, exclude={"id", "bill_id"}) for line in lines]}
        audit.record(session, me.person.id, "bill_issued", bill, after=after, child_id=bill.child_id,
                     reason=data.override_reason.strip() or None if shown.blocks else None)
        bills.append(bill)
    session.commit()
    return bills


def issue_bill(session: Session, me: CurrentPerson, contract: Contract, data: BillForm, now: datetime,
               policy: Policy) -> Bill:
    """`issue_bills`, for one month: the bill issued."""
    return issue_bills(session, me, contract, data, now, policy)[0]


def due_date(contract: Contract, month: date, today: date) -> date:
    """The contract's payment day in the billed month, and never before the bill is issued."""
    day = min(contract.payment_due_day, rules.month_end(month).day)
    return max(month.replace(day=day), today)


def void_bill(session: Session, me: CurrentPerson, bill: Bill, reason: str, now: datetime) -> None:
    if bill.voided_at is not None:
        raise Refused({"__all__": ALREADY_VOIDED})
    audit.void(session, me.person.id, bill, "bill_voided", reason, now)
    session.commit()


# ---------------------------------------------------------------- payments

PAYMENT_ALREADY_VOIDED = N_("This payment has already been voided.")
PAYMENT_REFUNDED = N_("Refunds of ¥{refunded} were recorded against this money: void those refunds first.")


def void_payment(session: Session, me: CurrentPerson, payment: Payment, reason: str, now: datetime) -> None:
    """A payment recorded in error (wrong amount, wrong family): kept, marked void with who, when and why.

    Refused while the refunds recorded on the contract would then exceed what is left paid.
    """
    if payment.voided_at is not None:
        raise Refused({"__all__": PAYMENT_ALREADY_VOIDED})
    contract = session.get(Contract, payment.contract_id)
    lock_contract(session, contract)
    refunded = session.exec(
        select(func.coalesce(func.sum(Refund.amount_fen), 0)).where(
            col(Refund.contract_id).in_(family_ids(session, contract)), col(Refund.voided_at).is_(None)
        )
    ).one()
    if refunded > paid_fen(session, contract.id) - payment.amount_fen:
        raise Refused({"__all__": Decision(Mode.block, PAYMENT_REFUNDED, {"refunded": rules.fen_text(refunded)})})
    audit.void(session, me.person.id, payment, "payment_voided", reason, now)
    session.commit()


def payment_problems(session: Session, contract: Contract, data: PaymentForm, policy: Policy) -> tuple[dict, list]:
    """(refusals by field, overridable BLOCKs) of recording `data` on the contract."""
    refusals = dict(PaymentForm.reference_errors(data))
    refusals.update(superseded_refusal(session, contract))
    if data.received_by_id not in {person_id for person_id, _name in staff_choices(session)}:
        refusals["received_by_id"] = UNKNOWN_PERSON
    money = contract_money(session, contract)
    live = [row.bill for row in money.bills if row.bill.voided_at is None]
    if data.bill_id is not None and data.bill_id not in {bill.id for bill in live}:
        refusals["bill_id"] = UNKNOWN_BILL
    if money.due_fen <= 0:
        refusals["amount"] = NOTHING_DUE
    elif data.amount > money.due_fen:
        refusals["amount"] = Decision(rules.Mode.block, MORE_THAN_DUE, {"due": rules.fen_text(money.due_fen)})
    blocks = []
    reached = rules.service_reached(money.paid_fen, data.amount, [(bill.total_fen, bill.period_end) for bill in live])
    if reached is not None:
        shares = {row.bill.id: row.paid_fen for row in money.bills}
        first_unpaid = rules.first_unpaid_month(
            [(bill.total_fen, shares.get(bill.id, 0), bill.period_start, bill.period_end) for bill in live],
            contract.start_date)
        decision = rules.prepay_decision(reached, data.paid_on, policy.prepay_max_months, first_unpaid)
        if decision:
            blocks.append(decision)
    return refusals, blocks


def record_payment(session: Session, me: CurrentPerson, contract: Contract, data: PaymentForm, now: datetime,
                   policy: Policy) -> Payment:
    lock_contract(session, contract)  # "more than due" is read, then written: one payment at a time per contract
    refusals, blocks = payment_problems(session, contract, data, policy)
    if refusals:
        raise Refused(refusals)
    if not _override_ok(blocks, data.override_reason):
        raise Blocked(blocks, bool(data.override_reason))
    year = local_date(now).year
    payment = Payment(
        contract_id=contract.id, child_id=contract.child_id, bill_id=data.bill_id, amount_fen=data.amount,
        method=data.method, reference=data.reference, paid_on=data.paid_on,
        receipt_number=rules.receipt_number(year, next_number(session, CounterSeries.receipt, year)),
        received_by_id=data.received_by_id, recorded_at=now,
    )
    session.add(payment)
    audit.record(session, me.person.id, "payment_recorded", payment, after=audit.snapshot(payment),
                 child_id=payment.child_id, reason=data.override_reason.strip() or None if blocks else None)
    session.commit()
    return payment


# ---------------------------------------------------------------- the monthly money report


@dataclass
class IncomeRow:
    kind: LineKind
    amount_fen: int


@dataclass
class PaymentRow:
    payment: Payment
    child: Child
    received_by: str


@dataclass
class BalanceRow:
    contract: Contract
    child: Child
    billed_fen: int = 0
    paid_fen: int = 0
    refunds_fen: int = 0  # credited
    refunds_paid_fen: int = 0

    @property
    def balance_fen(self) -> int:
        return self.billed_fen - self.paid_fen - self.refunds_fen + self.refunds_paid_fen


@dataclass
class RefundRow:
    refund: Refund
    child: Child
    late: bool


@dataclass
class MoneyReport:
    month: date
    income: list[IncomeRow]
    payments: list[PaymentRow]
    by_method: dict[PaymentMethod, int]
    balances: list[BalanceRow]
    refunds_due: list[RefundRow]

    @property
    def income_fen(self) -> int:
        return sum(row.amount_fen for row in self.income)

    @property
    def received_fen(self) -> int:
        return sum(row.payment.amount_fen for row in self.payments)

    @property
    def outstanding_fen(self) -> int:
        return sum(row.balance_fen for row in self.balances)

    @property
    def refunds_due_fen(self) -> int:
        return sum(row.refund.amount_fen for row in self.refunds_due)


def money_report(session: Session, month: date, today: date) -> MoneyReport:
    """The month's income by item, payments received, balances at the month's end and refunds due (fixed query count).

    Income is what the month's bills charge (bills whose period starts in the month, not voided). Balances count
    bills issued, payments paid and refunds requested or paid on or before the month's last day (voids as of now).
    """
    first, last = month, rules.month_end(month)
    cutoff = at_local_time(last + timedelta(days=1), time(0, 0), get_settings().zone)
    income = session.exec(
        select(BillLine.kind, func.sum(BillLine.amount_fen)).join(Bill, Bill.id == BillLine.bill_id)
        .where(col(Bill.voided_at).is_(None), Bill.period_start >= first, Bill.period_start <= last)
        .group_by(BillLine.kind)
    ).all()
    order = list(LineKind)
    income_rows = sorted((IncomeRow(LineKind(kind), int(amount)) for kind, amount in income),
                         key=lambda row: order.index(row.kind))

    payments = session.exec(
        select(Payment, Child, Person.full_name).join(Child, Child.id == Payment.child_id)
        .join(Person, Person.id == Payment.received_by_id)
        .where(col(Payment.voided_at).is_(None), Payment.paid_on >= first, Payment.paid_on <= last)
        .order_by(Payment.paid_on, Payment.id)
    ).all()
    payment_rows = [PaymentRow(payment, child, name) for payment, child, name in payments]
    by_method: dict[PaymentMethod, int] = defaultdict(int)
    for row in payment_rows:
        by_method[row.payment.method] += row.payment.amount_fen

    # Balances by enrolment (money follows the enrolment across contract versions), summed in the database.
    rows: dict[int, BalanceRow] = {}
    billed = session.exec(
        select(Contract.enrolment_id, func.sum(Bill.total_fen)).join(Contract, Contract.id == Bill.contract_id)
        .where(col(Bill.voided_at).is_(None), Bill.issued_at < cutoff).group_by(Contract.enrolment_id)
    ).all()
    paid = session.exec(
        select(Contract.enrolment_id, func.sum(Payment.amount_fen)).join(Contract, Contract.id == Payment.contract_id)
        .where(col(Payment.voided_at).is_(None), Payment.paid_on <= last).group_by(Contract.enrolment_id)
    ).all()
    refunds = session.exec(
        select(Refund, Contract.enrolment_id, Child).join(Contract, Contract.id == Refund.contract_id)
        .join(Child, Child.id == Refund.child_id)
        .where(col(Refund.voided_at).is_(None), Refund.requested_on <= last)
    ).all()
    enrolment_ids = {enrolment_id for enrolment_id, _total in [*billed, *paid]}
    enrolment_ids |= {enrolment_id for _refund, enrolment_id, _child in refunds}
    # The version shown for each enrolment: its newest (one query for the enrolments with money only).
    for contract, child in session.exec(
        select(Contract, Child).join(Child, Child.id == Contract.child_id)
        .where(col(Contract.enrolment_id).in_(sorted(enrolment_ids)))
        .order_by(Contract.enrolment_id, Contract.version, Contract.id)
    ).all():
        rows[contract.enrolment_id] = BalanceRow(contract, child)
    for enrolment_id, total in billed:
        rows[enrolment_id].billed_fen += int(total)
    for enrolment_id, total in paid:
        rows[enrolment_id].paid_fen += int(total)
    for refund, enrolment_id, _child in refunds:
        row = rows[enrolment_id]
        row.refunds_fen += refund.amount_fen
        if refund.paid_on is not None and refund.paid_on <= last:
            row.refunds_paid_fen += refund.amount_fen
    balances = sorted((row for row in rows.values() if row.balance_fen != 0),
                      key=lambda row: (row.child.full_name, row.contract.id))

    due = [RefundRow(refund, child, refund.due_on < today)
           for refund, _enrolment_id, child in sorted(refunds, key=lambda row: (row[0].due_on, row[0].id))
           if refund.paid_on is None or refund.paid_on > last]
    return MoneyReport(month, income_rows, payment_rows, dict(by_method), balances, due)
