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
from nursery_ops.refunds.rules import BilledCare, BilledDeposit, BilledMeals, CareFee, Damage, Prior

FEE = 280000
CARE = CareFee(FEE, FeeUnit.month, "12345")
NO_CALENDAR = Calendar()


def month_bill(number: str, year: int, month: int, fee: int = FEE) -> BilledCare:
    first = date(year, month, 1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return BilledCare(number, first, last, fee)


def amounts(calculation) -> list[int]:
    return [line.amount_fen for line in calculation.trace if line.amount_fen is not None]


MARCH = month_bill("2026-000001", 2026, 3)
APRIL = month_bill("2026-000002", 2026, 4)


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
MEALS_MARCH = BilledMeals("2026-000001", date(2026, 3, 1), date(2026, 3, 31), 2000)


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
                              "市妇幼保健院 诊断证明", NO_CALENDAR, [MARCH, APRIL])
    assert result.amount_fen == expected
    assert sum(amounts(result)) == expected
    assert result.trace[0].params == {"note": "市妇幼保健院 诊断证明"}
    assert bool(result.days) is bool(expected)


def test_sick_leave_a_holiday_inside_does_not_break_the_run():
    calendar = Calendar(closed={date(2026, 3, 9): False})
    sick = SICK_5_WITH_WEEKEND - {date(2026, 3, 9)} | {date(2026, 3, 12)}
    # 21 service days in March now: 280000 × 5/21 × 50% = 33333.33
    assert rules.sick_leave(CARE, 5, 50, date(2026, 3, 1), date(2026, 3, 31), sick, "note", calendar,
                            [MARCH]).amount_fen == 33333


def test_sick_leave_daily_fee():
    # Temporary care booked every weekday of March (22 × ¥150.00 = 330000): 5 sick booked days × ¥150.00 × 50%
    daily = CareFee(15000, FeeUnit.day, "12345")
    booked = tuple(rules.service_days("12345", date(2026, 3, 1), date(2026, 3, 31), NO_CALENDAR))
    bill = BilledCare("2026-000001", date(2026, 3, 1), date(2026, 3, 31), 330000, booked)
    assert rules.sick_leave(daily, 5, 50, date(2026, 3, 1), date(2026, 3, 31), SICK_5_WITH_WEEKEND, "n",
                            NO_CALENDAR, [bill]).amount_fen == 37500


def test_hourly_care_has_no_care_fee_to_refund():
    hourly = CareFee(3000, FeeUnit.hour, "12345")
    assert rules.sick_leave(hourly, 5, 50, date(2026, 3, 1), date(2026, 3, 31), SICK_5_WITH_WEEKEND, "n",
                            NO_CALENDAR, [MARCH]).amount_fen == 0


@pytest.mark.parametrize(
    ("name", "bill", "expected"),
    [
        # No bill charged March: nothing was paid for those days
        ("not billed", None, 0),
        # The whole month billed: 280000 × 5/22 × 50% = 31818.18
        ("whole month", MARCH, 31818),
        # A part-month bill from Thu 5 March (19 of 22 service days: 280000 × 19/22 = 241818): the sick days are
        # 5 of its 19 days → 241818 × 5/19 × 50% = 31818.16
        ("part month", BilledCare("2026-000001", date(2026, 3, 5), date(2026, 3, 31), 241818), 31818),
        # Billed with a ¥200.00 discount: 260000 × 5/22 × 50% = 29545.45
        ("discounted", month_bill("2026-000001", 2026, 3, 260000), 29545),
    ],
)
def test_sick_leave_refunds_only_what_a_bill_charged_for_those_days(name, bill, expected):
    result = rules.sick_leave(CARE, 5, 50, date(2026, 3, 1), date(2026, 3, 31), SICK_5_WITH_WEEKEND, "n",
                              NO_CALENDAR, [bill] if bill else [])
    assert result.amount_fen == expected
    if bill is None:
        assert result.trace[-1].message == rules.NOT_BILLED and result.days == ()


def test_sick_days_another_refund_gave_back_are_not_refunded_again():
    # A withdrawal (refund #7) already gave back 9 March on: only Thu 5 and Fri 6 are left, a run of 5 judged whole
    excluded = {day: 7 for day in SICK_5_WITH_WEEKEND if day >= date(2026, 3, 9)}
    result = rules.sick_leave(CARE, 5, 50, date(2026, 3, 1), date(2026, 3, 31), SICK_5_WITH_WEEKEND, "n",
                              NO_CALENDAR, [MARCH], excluded)
    # 280000 × 2/22 × 50% = 12727.27
    assert result.amount_fen == 12727
    assert result.days == (date(2026, 3, 5), date(2026, 3, 6))
    assert any(line.message == rules.ALREADY_REFUNDED and line.params["number"] == 7 for line in result.trace)


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
    result = rules.closure(CARE, True, date(2026, 3, 1), date(2026, 3, 31), Calendar(closed=closed), [MARCH])
    assert result.amount_fen == expected
    assert sum(amounts(result)) == expected


def test_a_part_month_bill_did_not_charge_its_closed_days_so_they_are_not_refunded():
    # From Mon 16 March the bill charged 12 service days (280000 × 12/22); Tue 24 closed by the nursery is not one
    part = BilledCare("2026-000001", date(2026, 3, 16), date(2026, 3, 31), 152727)
    result = rules.closure(CARE, True, date(2026, 3, 1), date(2026, 3, 31), Calendar(closed={date(2026, 3, 24): True}),
                           [part])
    assert result.amount_fen == 0 and result.days == ()
    assert result.trace[-1].message == rules.PART_MONTH_CLOSURE


def test_a_closure_in_a_month_not_billed_is_not_refunded():
    result = rules.closure(CARE, True, date(2026, 5, 1), date(2026, 5, 31), Calendar(closed={date(2026, 5, 12): True}),
                           [MARCH])
    assert result.amount_fen == 0 and result.trace[-1].message == rules.NOT_BILLED


# ---- closure and withdrawal in one month: a day is refunded once (March: 22 weekdays, Wed 25 closed by the nursery)

CLOSED_25TH = Calendar(closed={date(2026, 3, 25): True})


def test_a_closure_after_the_leaving_day_is_refunded_by_the_withdrawal_only():
    # Leaving Fri 13 March: 11 of the 21 service days left (16–20, 23, 24, 26, 27, 30, 31) → 280000 × 11/21 = 146666.67
    withdrawal = rules.withdrawal(CARE, True, 0, date(2026, 3, 13), date(2026, 3, 13), [MARCH], CLOSED_25TH)
    assert withdrawal.amount_fen == 146667
    assert date(2026, 3, 25) in withdrawal.days and min(withdrawal.days) == date(2026, 3, 14)
    # ...and the closure after it has nothing left: the 25th is the withdrawal's (refund #1)
    closure = rules.closure(CARE, True, date(2026, 3, 1), date(2026, 3, 31), CLOSED_25TH, [MARCH],
                            {day: 1 for day in withdrawal.days})
    assert closure.amount_fen == 0 and closure.days == ()


def test_a_withdrawal_after_a_closure_refund_deducts_it_and_the_family_gets_the_same():
    # The closure of the 25th first: 280000 × 1/(21 + 1) = 12727.27
    closure = rules.closure(CARE, True, date(2026, 3, 1), date(2026, 3, 31), CLOSED_25TH, [MARCH])
    assert closure.amount_fen == 12727 and closure.days == (date(2026, 3, 25),)
    # Then the withdrawal: 146667 less the 12727 already refunded for the 25th = 133940
    withdrawal = rules.withdrawal(CARE, True, 0, date(2026, 3, 13), date(2026, 3, 13), [MARCH], CLOSED_25TH,
                                  [Prior(1, "closure", frozenset(closure.days))])
    assert amounts(withdrawal) == [146667, -12727]
    assert closure.amount_fen + withdrawal.amount_fen == 146667  # whichever comes first


def test_a_closure_before_the_leaving_day_is_refunded_beside_the_withdrawal():
    calendar = Calendar(closed={date(2026, 3, 10): True})
    closure = rules.closure(CARE, True, date(2026, 3, 1), date(2026, 3, 31), calendar, [MARCH])
    # Leaving Fri 13 March: 12 of 21 service days left → 280000 × 12/21 = 160000; the 10th is not among them
    withdrawal = rules.withdrawal(CARE, True, 0, date(2026, 3, 13), date(2026, 3, 13), [MARCH], calendar,
                                  [Prior(1, "closure", frozenset(closure.days))])
    assert (closure.amount_fen, withdrawal.amount_fen) == (12727, 160000)


def test_a_withdrawal_deducts_sick_days_after_leaving_at_their_rate():
    # Sick 16–20 March refunded at 50 % (280000 × 5/22 × 50% = 31818.18), then leaving on the 13th:
    # 152727 less 280000 × 5/22 × 50% for those days again = 152727 − 31818 = 120909
    sick = frozenset(date(2026, 3, day) for day in (16, 17, 18, 19, 20))
    withdrawal = rules.withdrawal(CARE, True, 0, date(2026, 3, 13), date(2026, 3, 13), [MARCH], NO_CALENDAR,
                                  [Prior(4, "sick_leave", sick, 50)])
    assert amounts(withdrawal) == [152727, -31818] and withdrawal.amount_fen == 120909


@pytest.mark.parametrize(
    ("name", "attended", "credited", "expected"),
    [
        # 1–13 March: 10 service days, 7 attended → 3 × 2000
        ("3 days missed", 7, [], 6000),
        # (bill, days it credited of those missed)
        ("credited on a bill already", 7, [("2026-000002", 1)], 4000),
        ("all attended", 10, [], 0),
        ("the missed day credited already", 9, [("2026-000002", 1)], 0),
    ],
)
def test_meals(name, attended, credited, expected):
    days = [date(2026, 3, d) for d in (2, 3, 4, 5, 6, 9, 10, 11, 12, 13)]
    credited_days = {day: bill for bill, count in credited for day in days[attended:attended + count]}
    result = rules.meals(True, True, "12345", date(2026, 3, 1), date(2026, 3, 13), set(days[:attended]),
                         [MEALS_MARCH], credited_days, {}, NO_CALENDAR)
    assert result.amount_fen == expected
    assert sum(amounts(result)) == expected
    assert len(result.days) * 2000 == expected


def test_meals_skip_closed_days():
    # 10 March closed (a holiday): not a service day, no meal to refund
    result = rules.meals(True, True, "12345", date(2026, 3, 9), date(2026, 3, 13), set(), [MEALS_MARCH], {}, {},
                         Calendar(closed={date(2026, 3, 10): False}))
    assert result.amount_fen == 8000
    assert result.trace[0].params["dates"] == ["2026-03-09", "2026-03-11", "2026-03-12", "2026-03-13"]


def test_meals_are_refunded_at_the_fee_each_bill_charged_and_only_for_billed_days():
    # 30 March – 3 April missed: March billed at ¥20.00, April at ¥22.00 (an amendment), May not billed
    april = BilledMeals("2026-000002", date(2026, 4, 1), date(2026, 4, 30), 2200)
    result = rules.meals(True, True, "12345", date(2026, 3, 30), date(2026, 4, 3), set(), [MEALS_MARCH, april], {},
                         {}, NO_CALENDAR)
    assert amounts(result) == [2 * 2000, 3 * 2200]
    result = rules.meals(True, True, "12345", date(2026, 5, 4), date(2026, 5, 8), set(), [MEALS_MARCH], {}, {},
                         NO_CALENDAR)
    assert result.amount_fen == 0 and result.trace[-1].message == rules.NOT_BILLED


def test_meals_another_meal_refund_gave_back_are_left_out():
    result = rules.meals(True, True, "12345", date(2026, 3, 9), date(2026, 3, 13), set(), [MEALS_MARCH], {},
                         {date(2026, 3, 9): 3, date(2026, 3, 10): 3}, NO_CALENDAR)
    assert result.amount_fen == 3 * 2000
    assert result.days == (date(2026, 3, 11), date(2026, 3, 12), date(2026, 3, 13))


def test_meals_of_hourly_care_were_billed_per_day_attended_so_none_are_refunded():
    result = rules.meals(True, False, "12345", date(2026, 3, 9), date(2026, 3, 13), set(), [MEALS_MARCH], {}, {},
                         NO_CALENDAR)
    assert result.amount_fen == 0


@pytest.mark.parametrize(
    ("damages", "expected"),
    [([], 100000), ([Damage("床栏损坏", 30000)], 70000), ([Damage("a", 60000), Damage("b", 60000)], 0)],
)
def test_deposit(damages, expected):
    result = rules.deposit(True, [BilledDeposit("2026-000001", 100000, 100000)], damages)
    assert result.amount_fen == expected
    assert sum(amounts(result)) == expected
    for damage in damages:
        assert any(line.params.get("description") == damage.description for line in result.trace)


@pytest.mark.parametrize(("billed", "expected"), [
    ([], 0),  # the contract states a deposit, but no bill charged it
    ([BilledDeposit("2026-000001", 100000, 0)], 0),  # billed, not paid
    ([BilledDeposit("2026-000001", 100000, 60000)], 60000),  # the bill paid in part
    ([BilledDeposit("2026-000001", 100000, 424000)], 100000),
])
def test_the_deposit_refunded_is_at_most_what_was_billed_and_paid(billed, expected):
    assert rules.deposit(True, billed, []).amount_fen == expected


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
    bills = [month_bill(f"2026-{m:06d}", 2026, m, fee) for m in range(1, 13)]
    for result in (
        rules.sick_leave(CareFee(fee, FeeUnit.month, "12345"), min_days, percent, date(2026, 1, 1),
                         date(2026, 12, 31), sick, "n", calendar, bills),
        rules.closure(CareFee(fee, FeeUnit.month, "12345"), True, date(2026, 1, 1), date(2026, 12, 31), calendar,
                      bills),
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
    result = rules.deposit(True, [BilledDeposit("2026-000001", deposit, deposit)],
                           [Damage(str(i), d) for i, d in enumerate(damages)])
    assert sum(amounts(result)) == result.amount_fen == max(0, deposit - sum(damages))
