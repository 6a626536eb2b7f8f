"""Properties (hypothesis): bills add up, amounts are whole fen, the ledger balances, payments never over-allocate."""

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
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
        previous_service_days=draw(st.lists(st.sampled_from(days), max_size=5)),
        previous_meals_billed=draw(st.booleans()), discount_fen=draw(fen), discount_reason="x",
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
