"""Billing rules by hand-computed tables: rounding, started hours, month lengths 28–31, meal credits, the prepay edge."""

from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

import pytest

from nursery_ops.billing import rules
from nursery_ops.billing.models import LineKind
from nursery_ops.contracts.calendar import Calendar, service_days
from nursery_ops.contracts.models import ChargeUnit, FeeUnit
from nursery_ops.enrolment.models import CareType
from nursery_ops.forms import FieldError
from nursery_ops.money import signed_yuan_to_fen, yuan_to_fen

MONTHLY = 280000  # ¥2800.00
MEAL = 2000  # ¥20.00 a day


def weekdays(first: date, last: date, closed=()) -> list[date]:
    return service_days("12345", first, last, Calendar(closed={day: False for day in closed}))


def inputs(month: date, start: date, end: date, **changes) -> rules.BillInputs:
    values = {
        "month": month, "care_type": CareType.full_day, "care_fee_fen": MONTHLY, "care_fee_unit": FeeUnit.month,
        "meal_fee_per_day_fen": MEAL, "deposit_fen": 0, "refund_meals_not_attended": True, "contract_start": start,
        "contract_end": end, "month_service_days": weekdays(month, rules.month_end(month)),
    }
    values.update(changes)
    return rules.BillInputs(**values)


def amounts(draft: rules.BillDraft) -> dict[LineKind, int]:
    return {line.kind: line.amount_fen for line in draft.lines}


@pytest.mark.parametrize(("amount", "fen"), [
    (Fraction(5, 2), 3), (Fraction(3, 2), 2), (Fraction(-5, 2), -3), (Fraction(7, 3), 2), (Fraction(8, 3), 3),
    (Fraction(1, 2), 1), (Fraction(49, 100), 0), (Fraction(0), 0), (12, 12),
])
def test_rounding_is_once_and_halves_go_up(amount, fen):
    assert rules.round_half_up(amount) == fen


@pytest.mark.parametrize(("fee", "part", "whole", "fen"), [
    (280000, 11, 21, 146667),  # 146666.67
    (280000, 1, 21, 13333),  # 13333.33
    (10001, 1, 2, 5001),  # 5000.5 → up
    (280000, 6, 23, 73043),  # 73043.48
    (280000, 0, 21, 0),
    (280000, 3, 0, 0),  # a month with no service day charges nothing pro rata
])
def test_pro_rata_is_an_exact_fraction_rounded_once(fee, part, whole, fen):
    assert rules.pro_rata(fee, part, whole) == fen


AT = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(("minutes", "hours"), [
    (0, 0), (1, 1), (59, 1), (60, 1), (61, 2), (120, 2), (121, 3), (600, 10),
])
def test_hourly_care_counts_every_started_hour(minutes, hours):
    assert rules.started_hours(AT, AT + timedelta(minutes=minutes)) == hours


def test_a_second_past_the_hour_starts_another_hour():
    assert rules.started_hours(AT, AT + timedelta(hours=1, seconds=1)) == 2


# ---- monthly care fee by month length (Mon–Fri schedule, no closures)


@pytest.mark.parametrize(("month", "start", "end", "care", "meals"), [
    # November 2026, 30 days, 21 service days: the whole month
    (date(2026, 11, 1), date(2026, 9, 1), date(2027, 6, 30), 280000, 21 * MEAL),
    # starts on Monday 16 November: 11 of 21 service days = 146666.67
    (date(2026, 11, 1), date(2026, 11, 16), date(2027, 6, 30), 146667, 11 * MEAL),
    # February 2026, 28 days, 20 service days; ends Friday 13th: 10 of 20
    (date(2026, 2, 1), date(2025, 9, 1), date(2026, 2, 13), 140000, 10 * MEAL),
    # February 2028, 29 days (leap), 21 service days; starts on the 29th: 1 of 21 = 13333.33
    (date(2028, 2, 1), date(2028, 2, 29), date(2028, 8, 31), 13333, 1 * MEAL),
    # December 2026, 31 days, 23 service days; 24th–31st: 6 of 23 = 73043.48
    (date(2026, 12, 1), date(2026, 12, 24), date(2027, 6, 30), 73043, 6 * MEAL),
    # ends on a Saturday inside the month: 5 of 21 service days (2–6 Nov) = 66666.67
    (date(2026, 11, 1), date(2026, 9, 1), date(2026, 11, 7), 66667, 5 * MEAL),
])
def test_monthly_care_fee_is_full_for_a_whole_month_and_pro_rata_at_either_end(month, start, end, care, meals):
    draft = rules.bill_lines(inputs(month, start, end))
    assert amounts(draft) == {LineKind.care_fee: care, LineKind.meal_fee: meals}
    assert draft.total_fen == care + meals


def test_closed_days_leave_the_service_days_and_a_whole_month_still_pays_the_full_fee():
    november = date(2026, 11, 1)
    closed = [date(2026, 11, 2), date(2026, 11, 3)]
    draft = rules.bill_lines(inputs(november, date(2026, 9, 1), date(2027, 6, 30),
                                    month_service_days=weekdays(november, date(2026, 11, 30), closed)))
    assert amounts(draft) == {LineKind.care_fee: 280000, LineKind.meal_fee: 19 * MEAL}
    # From the 16th the fraction is 11 of 19: 162105.26
    draft = rules.bill_lines(inputs(november, date(2026, 11, 16), date(2027, 6, 30),
                                    month_service_days=weekdays(november, date(2026, 11, 30), closed)))
    assert amounts(draft)[LineKind.care_fee] == 162105


def test_the_period_is_the_month_inside_the_contract():
    assert rules.bill_period(date(2026, 11, 1), date(2026, 11, 16), date(2027, 6, 30)) == (date(2026, 11, 16), date(2026, 11, 30))
    assert rules.bill_period(date(2027, 7, 1), date(2026, 11, 16), date(2027, 6, 30)) is None
    assert rules.period_decision(date(2026, 10, 1), date(2026, 11, 16), date(2027, 6, 30)).blocks
    assert rules.period_decision(date(2026, 11, 1), date(2026, 11, 16), date(2027, 6, 30)) is None
    assert rules.contract_end(date(2027, 6, 30), date(2027, 1, 15)) == date(2027, 1, 15)
    with pytest.raises(ValueError):
        rules.bill_lines(inputs(date(2027, 7, 1), date(2026, 11, 16), date(2027, 6, 30)))


# ---- hourly and temporary care


def stay(day: int, start: str, end: str | None) -> rules.Stay:
    on = date(2026, 11, day)

    def at(text):  # Asia/Shanghai is UTC+8; hours do not care
        hour, minute = (int(part) for part in text.split(":"))
        return datetime(2026, 11, day, hour, minute, tzinfo=UTC)

    return rules.Stay(on, at(start), at(end) if end else None)


def test_hourly_care_sums_each_days_started_hours_and_leaves_open_days_for_later():
    draft = rules.bill_lines(inputs(
        date(2026, 11, 1), date(2026, 9, 1), date(2027, 6, 30), care_type=CareType.hourly, care_fee_fen=3000,
        care_fee_unit=FeeUnit.hour,
        stays=[stay(2, "01:00", "02:01"), stay(3, "01:00", "04:00"), stay(4, "01:00", "01:10"), stay(5, "01:00", None)],
    ))
    # 61 min = 2 h, 3 h, 10 min = 1 h → 6 h at ¥30; meals for the 4 attended days
    assert amounts(draft) == {LineKind.hourly: 18000, LineKind.meal_fee: 4 * MEAL}
    hourly = draft.lines[0]
    assert (hourly.quantity, hourly.unit_fen) == (6, 3000)
    assert draft.open_days == [date(2026, 11, 5)]


def test_temporary_care_charges_each_booked_day_in_the_period():
    draft = rules.bill_lines(inputs(
        date(2026, 11, 1), date(2026, 11, 10), date(2026, 11, 30), care_type=CareType.temporary,
        care_fee_fen=15000, care_fee_unit=FeeUnit.day, meal_fee_per_day_fen=0,
        booked_days=[date(2026, 11, 9), date(2026, 11, 12), date(2026, 11, 13), date(2026, 11, 20)],
    ))
    # the 9th is before the contract starts
    assert amounts(draft) == {LineKind.temporary: 45000}
    assert draft.lines[0].description == "11/12, 11/13, 11/20"


# ---- meal credit for missed days of months billed with meals


OCTOBER_DAYS = weekdays(date(2026, 10, 1), date(2026, 10, 31))  # 22


def credits(draft: rules.BillDraft) -> dict[str, list[date]]:
    """Credit lines as month → days credited."""
    return {line.description: [date.fromisoformat(day) for day in line.detail["params"]["dates"]]
            for line in draft.lines if line.kind is LineKind.meal_credit}


@pytest.mark.parametrize(("refund_meals", "billed", "attended", "credit"), [
    (True, True, set(OCTOBER_DAYS) - {date(2026, 10, 5), date(2026, 10, 6)}, -2 * MEAL),
    (True, True, set(OCTOBER_DAYS), None),  # came every day
    (True, False, set(), None),  # October was not billed with meals: nothing to credit
    (False, True, set(), None),  # the contract does not refund meals
    (True, True, set(), -22 * MEAL),  # away all month
])
def test_the_bill_credits_meals_of_last_months_scheduled_days_not_attended(refund_meals, billed, attended, credit):
    draft = rules.bill_lines(inputs(
        date(2026, 11, 1), date(2026, 9, 1), date(2027, 6, 30), refund_meals_not_attended=refund_meals,
        meal_billed_days=OCTOBER_DAYS if billed else (), attended_days=frozenset(attended),
    ))
    assert amounts(draft).get(LineKind.meal_credit) == credit
    if credit:
        line = draft.lines[-1]
        assert (line.quantity, line.unit_fen, line.description) == (-credit // MEAL, -MEAL, "2026-10")
        assert line.detail["message"] == rules.CREDIT_DETAIL and line.detail["params"]["month"] == "2026-10"


def test_meals_a_meal_refund_gave_back_are_not_credited_again():
    # 5 and 6 October missed; a meal refund (RefundKind.meals) already gave back the 5th
    attended = frozenset(OCTOBER_DAYS) - {date(2026, 10, 5), date(2026, 10, 6)}
    draft = rules.bill_lines(inputs(
        date(2026, 11, 1), date(2026, 9, 1), date(2027, 6, 30), meal_billed_days=OCTOBER_DAYS,
        attended_days=attended, meals_refunded=frozenset({date(2026, 10, 5)}),
    ))
    credit = draft.lines[-1]
    assert (credit.kind, credit.quantity, credit.amount_fen) == (LineKind.meal_credit, 1, -MEAL)
    assert credit.detail["params"]["dates"] == ["2026-10-06"]


def test_only_days_that_have_passed_are_credited_when_the_bill_goes_out_in_advance():
    # November's bill made on Tue 20 October: 20–30 October have not happened, they are not "missed"
    draft = rules.bill_lines(inputs(
        date(2026, 11, 1), date(2026, 9, 1), date(2027, 6, 30), meal_billed_days=OCTOBER_DAYS,
        today=date(2026, 10, 20),
    ))
    # 1–19 October: 13 weekdays (1, 2, 5–9, 12–16, 19)
    assert amounts(draft)[LineKind.meal_credit] == -13 * MEAL


# November 2026: 21 weekdays (Mon 2 – Mon 30); December 2026: 23 weekdays (Tue 1 – Thu 31).
NOVEMBER_DAYS = weekdays(date(2026, 11, 1), date(2026, 11, 30))
DECEMBER_DAYS = weekdays(date(2026, 12, 1), date(2026, 12, 31))
# Missed (all weekdays): Fri 20, Tue 24, Wed 25, Fri 27 November; Thu 3 December.
MISSED = {date(2026, 11, 20), date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 27), date(2026, 12, 3)}
NOV, DEC, JAN = date(2026, 11, 1), date(2026, 12, 1), date(2027, 1, 1)


def nov(*days: int) -> list[date]:
    return [date(2026, 11, day) for day in days]


@pytest.mark.parametrize(("month", "today", "billed", "refunded", "credited", "expected"), [
    # December's bill made on Wed 25 November: November's missed days up to the 24th (the 25th is not over)
    (DEC, date(2026, 11, 25), NOVEMBER_DAYS, set(), set(), {"2026-11": nov(20, 24)}),
    # ... made on Thu 26 November: the 25th has passed; the 27th has not happened
    (DEC, date(2026, 11, 26), NOVEMBER_DAYS, set(), set(), {"2026-11": nov(20, 24, 25)}),
    # January's bill on Mon 28 December, after December's bill credited the 20th and 24th: November's
    # 25th and 27th carried over, plus December's 3rd, one line per month
    (JAN, date(2026, 12, 28), NOVEMBER_DAYS + DECEMBER_DAYS, set(), set(nov(20, 24)),
     {"2026-11": nov(25, 27), "2026-12": [date(2026, 12, 3)]}),
    # ... when a meal refund already gave back 25 November
    (JAN, date(2026, 12, 28), NOVEMBER_DAYS + DECEMBER_DAYS, set(nov(25)), set(nov(20, 24)),
     {"2026-11": nov(27), "2026-12": [date(2026, 12, 3)]}),
    # ... when December's bill was voided (its credit of the 20th and 24th no longer stands) and not reissued:
    # December was not billed with meals, November's missed days are all due
    (JAN, date(2026, 12, 28), NOVEMBER_DAYS, set(), set(), {"2026-11": nov(20, 24, 25, 27)}),
    # December's bill voided on 1 December and reissued: the reissue credits every missed November day
    (DEC, date(2026, 12, 1), NOVEMBER_DAYS, set(), set(), {"2026-11": nov(20, 24, 25, 27)}),
    # the bill of a month never credits the days of its own month or later
    (DEC, date(2026, 12, 28), NOVEMBER_DAYS + DECEMBER_DAYS, set(), set(nov(20, 24, 25, 27)), {}),
    # everything credited already: no line at all
    (JAN, date(2027, 1, 5), NOVEMBER_DAYS + DECEMBER_DAYS, set(), MISSED, {}),
])
def test_each_missed_day_is_credited_once_on_the_first_bill_made_after_it_passed(month, today, billed, refunded,
                                                                                credited, expected):
    attended = frozenset(set(NOVEMBER_DAYS + DECEMBER_DAYS) - MISSED)
    draft = rules.bill_lines(inputs(
        month, date(2026, 11, 1), date(2027, 6, 30), meal_billed_days=billed, attended_days=attended,
        meals_refunded=frozenset(refunded), meals_credited=frozenset(credited), today=today,
    ))
    assert credits(draft) == expected
    credit_fen = sum(line.amount_fen for line in draft.lines if line.kind is LineKind.meal_credit)
    assert credit_fen == -sum(len(days) for days in expected.values()) * MEAL


def test_the_bills_for_december_and_january_credit_every_missed_november_day_exactly_once():
    attended = frozenset(set(NOVEMBER_DAYS + DECEMBER_DAYS) - MISSED)
    december = rules.bill_lines(inputs(DEC, NOV, date(2027, 6, 30), meal_billed_days=NOVEMBER_DAYS,
                                       attended_days=attended, today=date(2026, 11, 25)))
    credited = frozenset(day for days in credits(december).values() for day in days)
    january = rules.bill_lines(inputs(JAN, NOV, date(2027, 6, 30), meal_billed_days=NOVEMBER_DAYS + DECEMBER_DAYS,
                                      attended_days=attended, meals_credited=credited, today=date(2026, 12, 28)))
    both = [day for draft in (december, january) for days in credits(draft).values() for day in days]
    assert sorted(both) == sorted(MISSED) and len(both) == len(set(both))


@pytest.mark.parametrize(("month", "today", "missed_month", "credited_days", "last_credited"), [
    # away all month; the next month's bill made on the missed month's last day leaves that day out
    (date(2027, 3, 1), date(2027, 2, 28), date(2027, 2, 1), 20, date(2027, 2, 26)),  # 28 days, ends on a Sunday
    (date(2028, 3, 1), date(2028, 2, 29), date(2028, 2, 1), 20, date(2028, 2, 28)),  # leap year: Tue 29th not over
    (date(2028, 3, 1), date(2028, 3, 1), date(2028, 2, 1), 21, date(2028, 2, 29)),  # ... made on 1 March: all 21
    (date(2027, 5, 1), date(2027, 4, 30), date(2027, 4, 1), 21, date(2027, 4, 29)),  # 30 days, Fri 30th not over
    (date(2027, 2, 1), date(2027, 2, 1), date(2027, 1, 1), 21, date(2027, 1, 29)),  # 31 days
])
def test_month_lengths_of_the_month_credited(month, today, missed_month, credited_days, last_credited):
    days = weekdays(missed_month, rules.month_end(missed_month))
    draft = rules.bill_lines(inputs(month, date(2026, 9, 1), date(2028, 8, 31), meal_billed_days=days, today=today))
    line = next(line for line in draft.lines if line.kind is LineKind.meal_credit)
    assert (line.quantity, line.amount_fen) == (credited_days, -credited_days * MEAL)
    assert line.detail["params"]["dates"][-1] == last_credited.isoformat()


@pytest.mark.parametrize(("detail", "period_start", "days"), [
    ({"message": rules.CREDIT_DETAIL, "params": {"month": "2026-11", "dates": ["2026-11-25", "2026-11-27"]}},
     date(2027, 1, 1), {date(2026, 11, 25), date(2026, 11, 27)}),
    (None, date(2027, 3, 1), {date(2027, 2, 1) + timedelta(days=n) for n in range(28)}),  # an older line: all of M − 1
    (None, date(2027, 1, 1), {date(2026, 12, 1) + timedelta(days=n) for n in range(31)}),
])
def test_a_credit_line_credited_the_days_its_detail_lists(detail, period_start, days):
    assert rules.credited_days(detail, period_start) == days


# ---- a supplementary bill for hourly days finished after the month's bill


def test_a_supplement_charges_only_the_hours_of_days_the_months_bill_left_out():
    stays = [stay(2, "01:00", "02:01"), stay(3, "01:00", "04:00"), stay(5, "01:00", "03:30")]
    draft = rules.bill_lines(inputs(
        date(2026, 11, 1), date(2026, 9, 1), date(2027, 6, 30), care_type=CareType.hourly, care_fee_fen=3000,
        care_fee_unit=FeeUnit.hour, stays=stays, hours_billed_days=frozenset({date(2026, 11, 2), date(2026, 11, 3)}),
        supplements="2026-000007", discount_fen=0,
    ))
    # 5 November: 2 h 30 min = 3 started hours at ¥30; no meals, nothing else of the month
    assert [(line.kind, line.quantity, line.amount_fen) for line in draft.lines] == [(LineKind.hourly, 3, 9000)]
    assert draft.lines[0].detail == {"message": rules.SUPPLEMENT_DETAIL,
                                     "params": {"bill": "2026-000007", "dates": ["2026-11-05"]}}


def test_the_hourly_line_keeps_the_days_it_charged():
    draft = rules.bill_lines(inputs(
        date(2026, 11, 1), date(2026, 9, 1), date(2027, 6, 30), care_type=CareType.hourly, care_fee_fen=3000,
        care_fee_unit=FeeUnit.hour, stays=[stay(3, "01:00", "04:00"), stay(2, "01:00", "02:00"), stay(4, "01:00", None)],
    ))
    hourly = draft.lines[0]
    assert hourly.detail["message"] == rules.ATTENDED_DETAIL
    assert hourly.detail["params"] == {"start_on": "2026-11-01", "end_on": "2026-11-30", "days": 2,
                                       "dates": ["2026-11-02", "2026-11-03"]}
    assert rules.line_dates(hourly.detail) == [date(2026, 11, 2), date(2026, 11, 3)]
    assert hourly.description == "2026-11-01 – 2026-11-30"  # language-neutral: the words come from the detail


def test_a_part_month_line_says_how_many_service_days_it_charged():
    draft = rules.bill_lines(inputs(date(2026, 11, 1), date(2026, 11, 16), date(2027, 6, 30)))
    assert draft.lines[0].detail == {"message": rules.PRO_RATA_DETAIL, "params": {
        "start_on": "2026-11-16", "end_on": "2026-11-30", "covered": 11, "total": 21}}


# ---- a bill's total never goes below zero by a discount or an adjustment


@pytest.mark.parametrize(("discount", "adjustment", "field"), [
    (280000 + 21 * MEAL, 0, None),  # the discount takes the bill to exactly zero
    (280000 + 21 * MEAL + 1, 0, "discount"),  # a fen more than the charges
    (0, -(280000 + 21 * MEAL), None),
    (0, -(280000 + 21 * MEAL) - 1, "adjustment"),
    (20000, -(280000 + 21 * MEAL - 20000) - 1, "adjustment"),
])
def test_a_discount_larger_than_the_charges_or_a_total_below_zero_is_refused(discount, adjustment, field):
    draft = rules.bill_lines(inputs(date(2026, 11, 1), date(2026, 9, 1), date(2027, 6, 30), discount_fen=discount,
                                    discount_reason="x", adjustment_fen=adjustment, adjustment_reason="y"))
    problems = rules.total_problems(draft)
    assert list(problems) == ([field] if field else [])


# ---- deposit, optional services, discounts and adjustments


def test_the_first_bill_carries_the_deposit_and_once_services_and_later_bills_do_not():
    charges = [rules.Charge("兴趣课", 30000, ChargeUnit.month), rules.Charge("园服", 12000, ChargeUnit.once)]
    first = rules.bill_lines(inputs(date(2026, 11, 1), date(2026, 11, 16), date(2027, 6, 30), deposit_fen=100000,
                                    charges=charges, first_bill=True))
    kinds = [(line.kind, line.amount_fen) for line in first.lines]
    # the monthly service is pro rata like the care fee: 30000 × 11/21 = 15714.29
    assert kinds == [(LineKind.care_fee, 146667), (LineKind.meal_fee, 11 * MEAL), (LineKind.optional, 15714),
                     (LineKind.optional, 12000), (LineKind.deposit, 100000)]
    later = rules.bill_lines(inputs(date(2026, 12, 1), date(2026, 11, 16), date(2027, 6, 30), deposit_fen=100000,
                                    charges=charges))
    assert [(line.kind, line.amount_fen) for line in later.lines] == [
        (LineKind.care_fee, 280000), (LineKind.meal_fee, 23 * MEAL), (LineKind.optional, 30000)]


def test_discounts_and_adjustments_are_lines_of_their_own_with_their_reason():
    draft = rules.bill_lines(inputs(date(2026, 11, 1), date(2026, 9, 1), date(2027, 6, 30), discount_fen=20000,
                                    discount_reason="二孩优惠", adjustment_fen=-550, adjustment_reason="上月多收"))
    assert [(line.kind, line.amount_fen, line.reason) for line in draft.lines[-2:]] == [
        (LineKind.discount, -20000, "二孩优惠"), (LineKind.adjustment, -550, "上月多收")]
    assert draft.total_fen == 280000 + 21 * MEAL - 20000 - 550


# ---- the prepayment limit: one payment covers at most 3 months of service (DOMAIN.md, 郑州 plan)
#
# Counted from the first unpaid service month, the current month included (arrears are not prepayment, so
# never from before the current month): on 1 November, owing from November, November–January may be paid.


@pytest.mark.parametrize(("today", "first_unpaid", "service_end", "blocked"), [
    (date(2026, 11, 1), date(2026, 11, 1), date(2027, 1, 31), False),  # exactly 3 months: Nov, Dec, Jan
    (date(2026, 11, 1), date(2026, 11, 1), date(2027, 2, 1), True),  # 3 months and a day
    (date(2026, 11, 25), date(2026, 11, 1), date(2027, 1, 31), False),  # the day of the month does not matter
    (date(2026, 11, 25), date(2026, 11, 1), date(2027, 2, 1), True),
    (date(2026, 11, 30), None, date(2027, 1, 31), False),  # nothing unpaid known: from the current month
    (date(2026, 11, 30), None, date(2027, 2, 1), True),
    (date(2026, 11, 25), date(2026, 11, 1), date(2026, 11, 30), False),  # the current month alone
    (date(2026, 12, 1), date(2026, 12, 1), date(2027, 2, 28), False),  # a new month moves the limit
    (date(2026, 12, 1), date(2026, 12, 1), date(2027, 3, 1), True),
    (date(2027, 12, 5), date(2027, 12, 1), date(2028, 2, 29), False),  # leap February
    (date(2027, 12, 5), date(2027, 12, 1), date(2028, 3, 1), True),
    # owing October too (arrears): still November–January
    (date(2026, 11, 1), date(2026, 10, 1), date(2027, 1, 31), False),
    (date(2026, 11, 1), date(2026, 10, 1), date(2027, 2, 1), True),
    # paid up to December, or a contract starting in February: 3 months from the first month not paid
    (date(2026, 11, 1), date(2027, 1, 1), date(2027, 3, 31), False),
    (date(2026, 11, 1), date(2027, 1, 1), date(2027, 4, 1), True),
    (date(2026, 11, 1), date(2027, 2, 1), date(2027, 4, 30), False),
    (date(2026, 11, 1), date(2027, 2, 1), date(2027, 5, 1), True),
])
def test_prepayment_covers_exactly_three_months_and_not_three_months_and_a_day(today, first_unpaid, service_end,
                                                                               blocked):
    decision = rules.prepay_decision(service_end, today, 3, first_unpaid)
    assert (decision is not None and decision.blocks) is blocked


def test_the_prepayment_limit_follows_the_setting():
    assert rules.prepay_limit(date(2026, 11, 25), 1) == date(2026, 11, 30)
    assert rules.prepay_limit(date(2026, 11, 25), 3) == date(2027, 1, 31)
    assert rules.prepay_limit(date(2026, 11, 25), 12) == date(2027, 10, 31)
    decision = rules.prepay_decision(date(2027, 2, 1), date(2026, 11, 1), 3, date(2026, 11, 1))
    assert decision.params == {"end": "2027-02-01", "months": 3, "first": "2026-11", "limit": "2027-01-31"}


SEPTEMBER = (date(2026, 9, 1), date(2026, 9, 30))
OCTOBER = (date(2026, 10, 1), date(2026, 10, 31))
DECEMBER = (date(2026, 12, 1), date(2026, 12, 31))


@pytest.mark.parametrize(("bills", "first_unpaid"), [
    ([], date(2026, 9, 1)),  # nothing billed: from the contract's start
    ([(1000, 1000, *SEPTEMBER)], date(2026, 10, 1)),  # September paid
    ([(1000, 1000, *SEPTEMBER), (1000, 999, *OCTOBER)], date(2026, 10, 1)),  # a fen short on October
    ([(1000, 0, date(2026, 9, 16), date(2026, 9, 30))], date(2026, 9, 1)),  # a part month is its month
    ([(-500, 0, *SEPTEMBER)], date(2026, 10, 1)),  # a credit bill owes nothing
    ([(1000, 0, *DECEMBER)], date(2026, 9, 1)),  # months not billed are not paid
    ([(1000, 1000, *SEPTEMBER), (1000, 1000, *OCTOBER), (1000, 0, *DECEMBER)], date(2026, 11, 1)),
])
def test_the_first_unpaid_month_is_the_first_month_no_paid_bill_covers(bills, first_unpaid):
    assert rules.first_unpaid_month(bills, date(2026, 9, 1)) == first_unpaid


# ---- numbers, allocation, amounts typed in yuan


def test_numbers_are_per_year_and_zero_padded():
    assert rules.bill_number(2026, 123) == "2026-000123"
    assert rules.receipt_number(2026, 45) == "R2026-000045"


def test_payments_pay_the_oldest_bills_first():
    assert rules.allocate(50000, [30000, 30000, 30000]) == [30000, 20000, 0]
    ends = [(30000, date(2026, 11, 30)), (30000, date(2026, 12, 31)), (30000, date(2027, 1, 31))]
    assert rules.service_reached(0, 30000, ends) == date(2026, 11, 30)
    assert rules.service_reached(0, 30001, ends) == date(2026, 12, 31)
    assert rules.service_reached(30000, 60000, ends) == date(2027, 1, 31)
    assert rules.service_reached(90000, 100, ends) is None


@pytest.mark.parametrize(("text", "fen"), [
    ("1280.50", 128050), ("1280.5", 128050), ("0.01", 1), ("3", 300), ("1,280.00", 128000), ("¥12", 1200),
])
def test_yuan_become_fen_exactly(text, fen):
    assert yuan_to_fen(text) == fen


@pytest.mark.parametrize("text", ["-1", "0.001", "12.345", "abc", "1e3", "12.", ""])
def test_negative_fractional_fen_and_non_amounts_are_refused(text):
    with pytest.raises(FieldError):
        yuan_to_fen(text)


def test_an_adjustment_may_be_negative_but_never_a_fraction_of_a_fen():
    assert signed_yuan_to_fen("-5.50") == -550
    with pytest.raises(FieldError):
        signed_yuan_to_fen("-5.505")


@pytest.mark.parametrize(("fen", "text"), [(128050, "1280.50"), (5, "0.05"), (-550, "-5.50"), (0, "0.00")])
def test_fen_print_as_yuan_with_two_decimals(fen, text):
    assert rules.fen_text(fen) == text
