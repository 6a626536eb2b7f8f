"""Properties (hypothesis): bills add up, amounts are whole fen, the ledger balances, payments never over-allocate."""

from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from nursery_ops.billing import rules
from nursery_ops.billing.service import LedgerLine, ledger
from nursery_ops.contracts.calendar import Calendar, service_days
from nursery_ops.contracts.models import ChargeUnit, FeeUnit
from nursery_ops.enrolment.models import CareType
from nursery_ops.money import yuan_to_fen

fen = st.integers(min_value=0, max_value=10_000_000)
months = st.builds(date, st.integers(2024, 2030), st.integers(1, 12), st.just(1))
schedules = st.sampled_from(["12345", "135", "246", "1234567", "6"])


@st.composite
def bill_inputs(draw):
    month = draw(months)
    last = rules.month_end(month)
    start = month + timedelta(days=draw(st.integers(-60, last.day - 1)))
    end = max(start, month) + timedelta(days=draw(st.integers(0, 90)))
    unit = draw(st.sampled_from(list(FeeUnit)))
    care_type = {FeeUnit.month: CareType.full_day, FeeUnit.hour: CareType.hourly, FeeUnit.day: CareType.temporary}[unit]
    days = [month + timedelta(days=n) for n in range(last.day)]
    earlier = [month - timedelta(days=n) for n in range(1, 62)]  # the two months before: meals credited later
    schedule = draw(schedules)
    closed = draw(st.sets(st.sampled_from(days), max_size=5))
    calendar = Calendar(closed={day: False for day in closed})
    stays = []
    for day in draw(st.sets(st.sampled_from(days), max_size=10)):
        arrive = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(minutes=draw(st.integers(0, 600)))
        stays.append(rules.Stay(day, arrive, arrive + timedelta(seconds=draw(st.integers(0, 36_000)))))
    charges = [rules.Charge("服务", draw(fen), draw(st.sampled_from(list(ChargeUnit)))) for _ in range(draw(st.integers(0, 2)))]
    return rules.BillInputs(
        month=month, care_type=care_type, care_fee_fen=draw(fen), care_fee_unit=unit, meal_fee_per_day_fen=draw(fen),
        deposit_fen=draw(fen), refund_meals_not_attended=draw(st.booleans()), contract_start=start, contract_end=end,
        month_service_days=service_days(schedule, month, last, calendar), charges=charges, stays=stays,
        booked_days=draw(st.lists(st.sampled_from(days), max_size=8)), first_bill=draw(st.booleans()),
        meal_billed_days=draw(st.lists(st.sampled_from(earlier), max_size=8)),
        attended_days=frozenset(draw(st.sets(st.sampled_from(earlier), max_size=5))),
        today=draw(st.none() | st.sampled_from(earlier + days)), discount_fen=draw(fen), discount_reason="x",
        adjustment_fen=draw(st.integers(-1_000_000, 1_000_000)), adjustment_reason="y",
    )


@given(bill_inputs())
@settings(max_examples=300, deadline=None)
def test_a_bills_total_is_the_sum_of_its_lines_and_every_amount_is_whole_fen(inputs):
    draft = rules.bill_lines(inputs)
    for line in draft.lines:
        assert type(line.amount_fen) is int and type(line.unit_fen) is int and type(line.quantity) is int
    assert type(draft.total_fen) is int
    assert draft.total_fen == sum(line.amount_fen for line in draft.lines)
    assert inputs.contract_start <= draft.period_start <= draft.period_end <= inputs.contract_end
    care = draft.lines[0]
    if inputs.care_fee_unit is FeeUnit.month:
        assert 0 <= care.amount_fen <= inputs.care_fee_fen  # pro rata never charges more than the month


@given(fen, st.integers(0, 31), st.integers(1, 31))
def test_pro_rata_stays_within_the_amount(amount, part, whole):
    part = min(part, whole)
    share = rules.pro_rata(amount, part, whole)
    assert type(share) is int and 0 <= share <= amount
    # the rounding error of one line is at most half a fen
    assert abs(share * whole - amount * part) * 2 <= whole


@st.composite
def entries(draw):
    day = st.builds(lambda n: date(2026, 1, 1) + timedelta(days=n), st.integers(0, 365))
    lines = [LedgerLine(draw(day), "bill", f"B{n}", None, draw(fen)) for n in range(draw(st.integers(0, 6)))]
    lines += [LedgerLine(draw(day), "payment", f"R{n}", None, -draw(fen)) for n in range(draw(st.integers(0, 6)))]
    for n in range(draw(st.integers(0, 4))):
        amount = draw(fen)
        lines.append(LedgerLine(draw(day), "refund", f"#{n}", None, -amount))
        if draw(st.booleans()):
            lines.append(LedgerLine(draw(day), "refund_paid", f"#{n}", None, amount))
    return lines


@given(entries())
def test_the_ledger_balances(lines):
    bills = sum(line.amount_fen for line in lines if line.kind == "bill")
    payments = -sum(line.amount_fen for line in lines if line.kind == "payment")
    refunds = -sum(line.amount_fen for line in lines if line.kind == "refund")
    refunds_paid = sum(line.amount_fen for line in lines if line.kind == "refund_paid")
    ordered = ledger(lines)
    balance = 0
    for line in ordered:
        balance += line.amount_fen
        assert line.balance_fen == balance and type(line.balance_fen) is int
    assert balance == bills - payments - refunds + refunds_paid
    assert [line.on for line in ordered] == sorted(line.on for line in ordered)


@given(fen, st.lists(fen, max_size=8))
def test_payments_are_spread_without_paying_more_than_a_bill_or_than_was_received(received, totals):
    paid = rules.allocate(received, totals)
    assert all(0 <= share <= total for share, total in zip(paid, totals, strict=True))
    assert sum(paid) == min(received, sum(totals))


@given(st.integers(0, 10**11 - 1))  # up to ¥999,999,999.99 (forms refuse more)
def test_yuan_text_and_fen_round_trip_exactly(amount):
    assert yuan_to_fen(rules.fen_text(amount)) == amount


# ---------------------------------------------------------------- the ledger as the services keep it


@st.composite
def money_operations(draw):
    """A run of the director's money work on one contract: bills, payments, refunds, voids, refund payments.

    It starts from two months billed and paid, so refunds have something to give back.
    """
    steps = [("bill", -3, 0), ("bill", -2, 0), ("pay", 100, 0)]
    for _ in range(draw(st.integers(1, 10))):
        steps.append(draw(st.one_of(
            st.tuples(st.just("bill"), st.integers(-5, 2), st.integers(0, 30000)),
            st.tuples(st.just("pay"), st.integers(1, 100), st.integers(0, 0)),
            st.tuples(st.just("refund"), st.sampled_from(["meals", "closure", "deposit", "withdrawal"]),
                      st.integers(-5, -1)),
            st.tuples(st.just("void_bill"), st.integers(0, 5), st.integers(0, 0)),
            st.tuples(st.just("void_payment"), st.integers(0, 5), st.integers(0, 0)),
            st.tuples(st.just("void_refund"), st.integers(0, 5), st.integers(0, 0)),
            st.tuples(st.just("refund_paid"), st.integers(0, 5), st.integers(0, 0)),
        )))
    return steps


def _run(session, me, contract, step, today, now):
    from nursery_ops.billing import service
    from nursery_ops.billing.forms import BillForm, PaymentForm
    from nursery_ops.billing.models import Bill, Payment, PaymentMethod, Refund, RefundKind
    from nursery_ops.policy import Policy
    from nursery_ops.refunds import service as refunds
    from nursery_ops.refunds.forms import PaidForm, RefundForm
    from sqlmodel import select

    kind, a, b = step
    this_month = today.replace(day=1)
    if kind == "bill":
        service.issue_bills(session, me, contract, BillForm(
            month=rules.add_months(this_month, a), discount=b, discount_reason="优惠" if b else "",
            override_reason="property test: prepaid on purpose"), now, Policy())
    elif kind == "pay":
        due = service.contract_money(session, contract).due_fen
        amount = max(1, due * a // 100)
        service.record_payment(session, me, contract, PaymentForm(
            amount=rules.fen_text(amount), method=PaymentMethod.cash, paid_on=today, received_by_id=me.person.id,
            override_reason="property test: prepaid on purpose"), now, Policy())
    elif kind == "refund":
        month = rules.add_months(this_month, b)
        data = {"meals": {"period_start": month, "period_end": month + timedelta(days=9)},
                "closure": {"period_start": month, "period_end": rules.month_end(month)},
                "deposit": {"leaving_on": today}, "withdrawal": {"leaving_on": month + timedelta(days=12),
                                                                 "notice_given_on": month}}[a]
        refunds.create_refund(session, me, contract, RefundKind(a), RefundForm(requested_on=today, **data), today, 15)
    else:
        model = {"void_bill": Bill, "void_payment": Payment}.get(kind, Refund)
        rows = [row for row in session.exec(select(model).order_by(model.id)).all() if row.voided_at is None]
        if not rows:
            return "nothing to do"
        row = rows[a % len(rows)]
        if kind == "void_bill":
            service.void_bill(session, me, row, "property test", now)
        elif kind == "void_payment":
            service.void_payment(session, me, row, "property test", now)
        elif kind == "void_refund":
            refunds.void_refund(session, me, row, "property test")
        else:
            refunds.mark_paid(session, me, row, PaidForm(paid_on=today, method=PaymentMethod.cash))


@given(steps=money_operations())
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_balance_the_services_derive_is_billed_less_voided_less_paid_less_refunds_plus_refunds_paid(
        template_db, tmp_path_factory, steps):
    import shutil

    from sqlmodel import select

    from nursery_ops.auth.models import Role
    from nursery_ops.auth.service import CurrentPerson
    from nursery_ops.billing import service
    from nursery_ops.billing.models import Bill, BillLine, Payment, Refund
    from nursery_ops.clock import local_today, utcnow
    from nursery_ops.contracts.models import CalendarDay, CalendarDayKind, ContractStatus
    from nursery_ops.db import build_engine, open_session
    from nursery_ops.forms import Refused
    from tests import factories as f

    path = tmp_path_factory.mktemp("ledger") / "nursery.db"
    shutil.copy(template_db, path)
    engine = build_engine(f"sqlite:///{path}")
    today, now = local_today(), utcnow()
    start = rules.add_months(today.replace(day=1), -5)
    try:
        with open_session(engine, write=True) as session:
            director = f.make_person(session, "director", Role.director, full_name="李园长")
            room = f.make_room(session, "A 托小班")
            child = f.make_child(session, "王小明")
            enrolment = f.enrol(session, child, room, start_date=start)
            contract = f.make_contract(session, enrolment, director, status=ContractStatus.active, start_date=start,
                                       end_date=rules.add_months(start, 12) - timedelta(days=1), deposit_fen=100000)
            # a closure the nursery caused, on a weekday two months ago
            closed = rules.add_months(today.replace(day=1), -2) + timedelta(days=9)
            session.add(CalendarDay(on_date=closed, kind=CalendarDayKind.closed, caused_by_nursery=True,
                                    name="设备检修", recorded_by_id=director.id))
            session.commit()
            me = CurrentPerson(person=director, roles=frozenset({Role.director}), session_token_hash="x")
            for step in steps:
                try:
                    event(f"{step[0]} {_run(session, me, contract, step, today, now) or 'done'}")
                except Refused:
                    session.rollback()
                    event(f"{step[0]} refused")
            session.expire_all()
            money = service.contract_money(session, contract)
            bills = session.exec(select(Bill)).all()
            payments = session.exec(select(Payment)).all()
            refund_rows = session.exec(select(Refund)).all()
            amounts = [bill.total_fen for bill in bills] + [payment.amount_fen for payment in payments]
            amounts += [refund.amount_fen for refund in refund_rows]
            amounts += session.exec(select(BillLine.amount_fen)).all() + [line.balance_fen for line in money.lines]
            assert all(type(amount) is int for amount in amounts)

            billed = sum(bill.total_fen for bill in bills)
            voided = sum(bill.total_fen for bill in bills if bill.voided_at is not None)
            paid = sum(payment.amount_fen for payment in payments if payment.voided_at is None)
            live_refunds = [refund for refund in refund_rows if refund.voided_at is None]
            refunded = sum(refund.amount_fen for refund in live_refunds)
            refunds_paid = sum(refund.amount_fen for refund in live_refunds if refund.paid_on is not None)
            assert money.balance_fen == billed - voided - paid - refunded + refunds_paid
            assert (money.billed_fen, money.paid_fen, money.refunded_fen) == (billed - voided, paid, refunded)
            assert refunded <= paid  # never more refunded than was paid
            for bill in bills:
                lines = session.exec(select(BillLine.amount_fen).where(BillLine.bill_id == bill.id)).all()
                assert sum(lines) == bill.total_fen >= 0
    finally:
        engine.dispose()
