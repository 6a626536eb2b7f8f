"""Refund rules: hand-computed scenarios (weekday schedule, ¥2800.00 a month unless said) and properties.

Service days worked by hand: March 2026 (31 days, the 1st a Sunday) has 22 weekdays; April 2026 (30 days)
22; February 2026 (28 days) 20; February 2028 (29 days, the 1st a Tuesday) 21.
"""

from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nursery_ops.contracts.calendar import Calendar
from nursery_ops.contracts.models import FeeUnit
from nursery_ops.refunds import rules
from nursery_ops.refunds.rules import BilledCare, CareFee, Damage

FEE = 280000
CARE = CareFee(FEE, FeeUnit.month, "12345")
NO_CALENDAR = Calendar()


def month_bill(number: str, year: int, month: int, fee: int = FEE) -> BilledCare:
    first = date(year, month, 1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return BilledCare(number, first, last, fee)


def amounts(calculation) -> list[int]:
    return [line.amount_fen for line in calculation.trace if line.amount_fen is not None]


@pytest.mark.parametrize(
    ("name", "bills", "leaving_on", "notice_on", "notice_days", "expected"),
    [
        # Leaving Fri 13 March: 12 of 22 service days left (16–20, 23–27, 30–31): 280000 × 12/22 = 152727.27
        ("mid-month, 31 days", [month_bill("2026-000001", 2026, 3)], date(2026, 3, 13), date(2026, 3, 13), 0, 152727),
        # ...and April, billed in advance, comes back in full
        ("mid-month + prepaid month", [month_bill("2026-000001", 2026, 3), month_bill("2026-000002", 2026, 4)],
         date(2026, 3, 13), date(2026, 3, 13), 0, 152727 + 280000),
        # 30 days' notice given 13 March: paid to 11 April; 13–17, 20–24, 27–30 = 14 of 22 → 178181.82
        ("notice period", [month_bill("2026-000001", 2026, 3), month_bill("2026-000002", 2026, 4)],
         date(2026, 3, 13), date(2026, 3, 13), 30, 178182),
        # Notice given long before leaving: leaving decides
        ("notice over before leaving", [month_bill("2026-000001", 2026, 3)], date(2026, 3, 13), date(2026, 1, 5), 30,
         152727),
        # February 2026, 28 days: leaving Fri 13th, 16–27 = 10 of 20 → 140000
        ("28 days", [month_bill("2026-000003", 2026, 2)], date(2026, 2, 13), date(2026, 2, 13), 0, 140000),
        # February 2028, 29 days: leaving Tue 15th, 16–18, 21–25, 28–29 = 10 of 21 → 133333.33
        ("29 days", [month_bill("2028-000001", 2028, 2)], date(2028, 2, 15), date(2028, 2, 15), 0, 133333),
        # April 2026, 30 days: leaving Fri 17th, 20–24, 27–30 = 9 of 22 → 114545.45
        ("30 days", [month_bill("2026-000002", 2026, 4)], date(2026, 4, 17), date(2026, 4, 17), 0, 114545),
        # Halves up: 100001 × 11/22 = 50000.5 → 50001 (leaving Mon 16 March; 17–20, 23–27, 30–31 = 11)
        ("half up", [month_bill("2026-000001", 2026, 3, 100001)], date(2026, 3, 16), date(2026, 3, 16), 0, 50001),
        # Leaving on the last day: nothing left
        ("nothing billed after leaving", [month_bill("2026-000001", 2026, 3)], date(2026, 3, 31), date(2026, 3, 31), 0,
         0),
    ],
)
def test_withdrawal(name, bills, leaving_on, notice_on, notice_days, expected):
    result = rules.withdrawal(CARE, True, notice_days, leaving_on, notice_on, bills, NO_CALENDAR)
    assert result.amount_fen == expected
    assert sum(amounts(result)) == expected


def test_withdrawal_turned_off_in_the_contract():
    result = rules.withdrawal(CARE, False, 0, date(2026, 3, 13), date(2026, 3, 13),
                              [month_bill("2026-000001", 2026, 3)], NO_CALENDAR)
    assert result.amount_fen == 0


def test_first_refunded_day():
    assert rules.first_refunded_day(date(2026, 3, 13), date(2026, 3, 13), 0) == date(2026, 3, 14)
    assert rules.first_refunded_day(date(2026, 3, 13), date(2026, 3, 13), 30) == date(2026, 4, 12)


SICK_5_WITH_WEEKEND = {date(2026, 3, 5), date(2026, 3, 6), date(2026, 3, 9), date(2026, 3, 10), date(2026, 3, 11)}


@pytest.mark.parametrize(
    ("name", "sick", "min_days", "percent", "expected"),
    [
        # Thu 5, Fri 6, (weekend), Mon 9, Tue 10, Wed 11: 5 service days → 280000 × 5/22 × 50% = 31818.18
        ("5 days, weekend inside", SICK_5_WITH_WEEKEND, 5, 50, 31818),
        ("4 days", SICK_5_WITH_WEEKEND - {date(2026, 3, 11)}, 5, 50, 0),
        # A service day well in between breaks the run: 2 + 3
        ("broken run", {date(2026, 3, 5), date(2026, 3, 6), date(2026, 3, 10), date(2026, 3, 11), date(2026, 3, 12)},
         5, 50, 0),
        # Contract with 4 days and 100 %: 280000 × 4/22 = 50909.09
        ("contract's own rule", SICK_5_WITH_WEEKEND - {date(2026, 3, 11)}, 4, 100, 50909),
        # Across months: 26, 27, 30, 31 March (4/22 × 50% = 25454.55) + 1 April (1/22 × 50% = 6363.64)
        ("across months", {date(2026, 3, 26), date(2026, 3, 27), date(2026, 3, 30), date(2026, 3, 31),
                           date(2026, 4, 1)}, 5, 50, 25455 + 6364),
    ],
)
def test_sick_leave(name, sick, min_days, percent, expected):
    result = rules.sick_leave(CARE, min_days, percent, date(2026, 3, 1), date(2026, 4, 30), sick,
                              "市妇幼保健院 诊断证明", NO_CALENDAR)
    assert result.amount_fen == expected
    assert sum(amounts(result)) == expected
    assert result.trace[0].params == {"note": "市妇幼保健院 诊断证明"}


def test_sick_leave_a_holiday_inside_does_not_break_the_run():
    calendar = Calendar(closed={date(2026, 3, 9): False})
    sick = SICK_5_WITH_WEEKEND - {date(2026, 3, 9)} | {date(2026, 3, 12)}
    # 21 service days in March now: 280000 × 5/21 × 50% = 33333.33
    assert rules.sick_leave(CARE, 5, 50, date(2026, 3, 1), date(2026, 3, 31), sick, "note", calendar).amount_fen == 33333


def test_sick_leave_daily_fee():
    daily = CareFee(15000, FeeUnit.day, "12345")
    assert rules.sick_leave(daily, 5, 50, date(2026, 3, 1), date(2026, 3, 31), SICK_5_WITH_WEEKEND, "n",
                            NO_CALENDAR).amount_fen == 37500


def test_hourly_care_has_no_care_fee_to_refund():
    hourly = CareFee(3000, FeeUnit.hour, "12345")
    assert rules.sick_leave(hourly, 5, 50, date(2026, 3, 1), date(2026, 3, 31), SICK_5_WITH_WEEKEND, "n",
                            NO_CALENDAR).amount_fen == 0


@pytest.mark.parametrize(
    ("name", "closed", "expected"),
    [
        # Tue 10 and Wed 11 March closed by the nursery: 280000 × 2/22 = 25454.55
        ("two days", {date(2026, 3, 10): True, date(2026, 3, 11): True}, 25455),
        # A public holiday (not the nursery's doing) as well: 19 service days + 2 = 21 → 26666.67
        ("with a holiday", {date(2026, 3, 10): True, date(2026, 3, 11): True, date(2026, 3, 12): False}, 26667),
        # A Saturday closure is not a scheduled day
        ("weekend", {date(2026, 3, 7): True}, 0),
        ("holiday only", {date(2026, 3, 12): False}, 0),
    ],
)
def test_closure(name, closed, expected):
    result = rules.closure(CARE, True, date(2026, 3, 1), date(2026, 3, 31), Calendar(closed=closed))
    assert result.amount_fen == expected
    assert sum(amounts(result)) == expected


@pytest.mark.parametrize(
    ("name", "attended", "credited", "expected"),
    [
        # 1–13 March: 10 service days, 7 attended → 3 × 2000
        ("3 days missed", 7, [], 6000),
        ("credited on a bill already", 7, [("2026-000001", -2000)], 4000),
        ("all attended", 10, [], 0),
        ("credit larger than missed days", 9, [("2026-000001", -6000)], 0),
    ],
)
def test_meals(name, attended, credited, expected):
    days = [date(2026, 3, d) for d in (2, 3, 4, 5, 6, 9, 10, 11, 12, 13)]
    result = rules.meals(2000, True, "12345", date(2026, 3, 1), date(2026, 3, 13), set(days[:attended]), credited,
                         NO_CALENDAR)
    assert result.amount_fen == expected
    assert sum(amounts(result)) == expected


def test_meals_skip_closed_days():
    # 10 March closed (a holiday): not a service day, no meal to refund
    result = rules.meals(2000, True, "12345", date(2026, 3, 9), date(2026, 3, 13), set(),
                         [], Calendar(closed={date(2026, 3, 10): False}))
    assert result.amount_fen == 8000
    assert result.trace[0].params["dates"] == ["2026-03-09", "2026-03-11", "2026-03-12", "2026-03-13"]


@pytest.mark.parametrize(
    ("damages", "expected"),
    [([], 100000), ([Damage("床栏损坏", 30000)], 70000), ([Damage("a", 60000), Damage("b", 60000)], 0)],
)
def test_deposit(damages, expected):
    result = rules.deposit(100000, True, damages)
    assert result.amount_fen == expected
    assert sum(amounts(result)) == expected
    for damage in damages:
        assert any(line.params.get("description") == damage.description for line in result.trace)


def test_within_paid():
    decision = rules.within_paid(500, 1000, 600)
    assert decision.blocks and decision.params["available_fen"] == 400
    assert rules.within_paid(400, 1000, 600) is None


def test_round_fen_halves_up():
    assert rules.round_half_up(Fraction(1, 2)) == 1
    assert rules.round_half_up(Fraction(3, 2)) == 2
    assert rules.round_half_up(Fraction(149, 100)) == 1


# ---------------------------------------------------------------- properties

days_2026 = st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31))
fees = st.integers(min_value=0, max_value=2_000_000)


@settings(max_examples=150, deadline=None)
@given(fee=fees, leaving=days_2026, notice_days=st.integers(0, 60), months=st.lists(st.integers(1, 12), max_size=4,
                                                                                      unique=True),
       schedule=st.sampled_from(["12345", "135", "1234567", "6"]))
def test_withdrawal_properties(fee, leaving, notice_days, months, schedule):
    care = CareFee(fee, FeeUnit.month, schedule)
    bills = [month_bill(f"2026-{m:06d}", 2026, m, fee) for m in months]
    result = rules.withdrawal(care, True, notice_days, leaving, leaving, bills, NO_CALENDAR)
    assert isinstance(result.amount_fen, int)
    assert all(isinstance(a, int) for a in amounts(result))
    assert sum(amounts(result)) == result.amount_fen
    # never more than was billed (and so, with bills paid, than was paid)
    assert 0 <= result.amount_fen <= fee * len(months)


@settings(max_examples=150, deadline=None)
@given(fee=fees, sick=st.sets(days_2026, max_size=40), min_days=st.integers(1, 10), percent=st.integers(0, 100),
       closed=st.dictionaries(days_2026, st.booleans(), max_size=10))
def test_sick_and_closure_properties(fee, sick, min_days, percent, closed):
    calendar = Calendar(closed=closed)
    for result in (
        rules.sick_leave(CareFee(fee, FeeUnit.month, "12345"), min_days, percent, date(2026, 1, 1),
                         date(2026, 12, 31), sick, "n", calendar),
        rules.closure(CareFee(fee, FeeUnit.month, "12345"), True, date(2026, 1, 1), date(2026, 12, 31), calendar),
    ):
        assert isinstance(result.amount_fen, int)
        assert all(isinstance(a, int) for a in amounts(result))
        assert sum(amounts(result)) == result.amount_fen >= 0
        # a month's care fee at most per month touched
        assert result.amount_fen <= fee * 12


@settings(max_examples=150, deadline=None)
@given(amount=st.integers(0, 10**8), paid=st.integers(0, 10**8), refunded=st.integers(0, 10**8))
def test_refunds_never_exceed_payments(amount, paid, refunded):
    decision = rules.within_paid(amount, paid, refunded)
    assert (decision is None) == (amount + refunded <= paid)


@settings(max_examples=100, deadline=None)
@given(deposit=fees, damages=st.lists(st.integers(0, 500000), max_size=5))
def test_deposit_properties(deposit, damages):
    result = rules.deposit(deposit, True, [Damage(str(i), d) for i, d in enumerate(damages)])
    assert sum(amounts(result)) == result.amount_fen == max(0, deposit - sum(damages))
