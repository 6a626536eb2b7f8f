"""Refund services against the database: inputs loaded from bills, payments, attendance and absences."""

from datetime import UTC, date, datetime
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from nursery_ops.attendance.models import Absence, AbsenceReason, Attendance
from nursery_ops.audit import AuditEntry
from nursery_ops.auth.service import CurrentPerson, load_session, start_session
from nursery_ops.billing import rules
from nursery_ops.billing.models import (
    BillLine,
    LineKind,
    MealSpending,
    PaymentMethod,
    Refund,
    RefundKind,
)
from nursery_ops.contracts.calendar import Calendar, service_days
from nursery_ops.contracts.models import CalendarDay, CalendarDayKind
from nursery_ops.forms import Refused
from nursery_ops.policy import load_policy
from nursery_ops.refunds import service
from nursery_ops.refunds.forms import PaidForm, RefundForm, SpendingForm
from nursery_ops.settings import get_settings
from tests import factories as f

TODAY = date(2026, 6, 1)


@pytest.fixture
def me(session, world) -> CurrentPerson:
    token = start_session(session, world.director, "pytest", "test")
    session.commit()
    return load_session(session, token, get_settings())


def form(**values) -> RefundForm:
    return RefundForm(requested_on=values.pop("requested_on", date(2026, 5, 1)), **values)


def test_withdrawal_from_bills_is_saved_with_its_trace_and_audited(session, world, money, me):
    refund = service.create_refund(session, me, money.contract, RefundKind.withdrawal,
                                   form(leaving_on=date(2026, 3, 13), notice_given_on=date(2026, 3, 13)), TODAY, 15)
    assert refund.amount_fen == 152727 + 280000
    assert refund.due_on == date(2026, 5, 16)
    assert sum(line["amount_fen"] or 0 for line in refund.trace) == refund.amount_fen
    assert refund.period_start == date(2026, 3, 14)
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "refund_recorded")).one()
    assert entry.entity_id == refund.id and entry.child_id == world.child_x.id


def test_voided_bills_are_not_prepaid(session, world, money, me):
    money.april.voided_at = datetime.now(UTC)
    session.add(money.april)
    session.commit()
    proposal = service.calculate(session, money.contract, RefundKind.withdrawal,
                                 form(leaving_on=date(2026, 3, 13), notice_given_on=date(2026, 3, 13)), TODAY)
    assert proposal.calculation.amount_fen == 152727


def test_a_refund_beyond_what_was_paid_is_blocked(session, world, money, me):
    money.payment.amount_fen = 300000
    session.add(money.payment)
    session.commit()
    with pytest.raises(Refused) as refused:
        service.create_refund(session, me, money.contract, RefundKind.withdrawal,
                              form(leaving_on=date(2026, 3, 13), notice_given_on=date(2026, 3, 13)), TODAY, 15)
    assert refused.value.errors["amount"].message == service.rules.EXCEEDS_PAID
    session.rollback()
    assert session.exec(select(Refund)).all() == []


def test_refunds_already_made_count_against_what_was_paid(session, world, money, me):
    service.create_refund(session, me, money.contract, RefundKind.deposit, form(leaving_on=date(2026, 3, 13)), TODAY, 15)
    # 560000 paid − 100000 deposit refunded = 460000 left ≥ 432727
    service.create_refund(session, me, money.contract, RefundKind.withdrawal,
                          form(leaving_on=date(2026, 3, 13), notice_given_on=date(2026, 3, 13)), TODAY, 15)
    # The withdrawal ended the contract on 13 March: a later period is outside it now
    proposal = service.calculate(session, money.contract, RefundKind.closure,
                                 form(period_start=date(2026, 3, 2), period_end=date(2026, 3, 13)), TODAY)
    assert proposal.block is not None  # nothing to refund (no closures)


def test_one_withdrawal_per_contract(session, world, money, me):
    data = form(leaving_on=date(2026, 3, 13), notice_given_on=date(2026, 3, 13))
    service.create_refund(session, me, money.contract, RefundKind.withdrawal, data, TODAY, 15)
    assert service.calculate(session, money.contract, RefundKind.withdrawal, data, TODAY).block.message == service.ONCE_ONLY


def _absent(session, world, days, reason=AbsenceReason.sick):
    for day in days:
        session.add(Absence(child_id=world.child_x.id, room_id=world.room_a.id, on_date=day, reason=reason,
                            recorded_by_id=world.caregiver_a.id))
    session.commit()


@pytest.mark.parametrize(("days", "expected"), [
    ([date(2026, 3, 5), date(2026, 3, 6), date(2026, 3, 9), date(2026, 3, 10), date(2026, 3, 11)], 31818),
    ([date(2026, 3, 5), date(2026, 3, 6), date(2026, 3, 9), date(2026, 3, 10)], 0),
])
def test_sick_leave_from_absences(session, world, money, me, days, expected):
    _absent(session, world, days)
    proposal = service.calculate(session, money.contract, RefundKind.sick_leave,
                                 form(period_start=date(2026, 3, 1), period_end=date(2026, 3, 31),
                                      doctor_note="市妇幼保健院 诊断证明 2026-03-05", doctor_note_seen=True), TODAY)
    assert proposal.calculation.amount_fen == expected
    assert proposal.calculation.trace[0].params["note"] == "市妇幼保健院 诊断证明 2026-03-05"


def test_sick_leave_absences_for_other_reasons_do_not_count(session, world, money, me):
    _absent(session, world, [date(2026, 3, 5), date(2026, 3, 6), date(2026, 3, 9), date(2026, 3, 10),
                             date(2026, 3, 11)], AbsenceReason.leave)
    proposal = service.calculate(session, money.contract, RefundKind.sick_leave,
                                 form(period_start=date(2026, 3, 1), period_end=date(2026, 3, 31),
                                      doctor_note="note", doctor_note_seen=True), TODAY)
    assert proposal.calculation.amount_fen == 0


def test_sick_leave_needs_the_note_ticked(session, world, money):
    with pytest.raises(Refused) as refused:
        service.calculate(session, money.contract, RefundKind.sick_leave,
                          form(period_start=date(2026, 3, 1), period_end=date(2026, 3, 31), doctor_note="note"), TODAY)
    assert "doctor_note_seen" in refused.value.errors


def test_meals_from_attendance(session, world, money):
    # 2–13 March: 10 service days, 7 attended
    for day in (2, 3, 4, 5, 6, 9, 10):
        session.add(Attendance(child_id=world.child_x.id, room_id=world.room_a.id, on_date=date(2026, 3, day),
                               check_in_at=datetime(2026, 3, day, 0, 30, tzinfo=UTC), brought_by="王妈妈",
                               checked_in_by_id=world.caregiver_a.id))
    session.commit()
    proposal = service.calculate(session, money.contract, RefundKind.meals,
                                 form(period_start=date(2026, 3, 1), period_end=date(2026, 3, 13)), TODAY)
    assert proposal.calculation.amount_fen == 3 * 2000


def test_missed_meals_already_credited_on_the_next_months_bill_are_not_refunded_twice(session, world, money):
    # March was not attended at all (22 service days × ¥20). Billing credits a month's missed meals on the
    # next month's bill: here a bill for April carries March's credit, so nothing is left to refund.
    credit = f.make_refund_bill(session, money.contract, world.director, date(2026, 4, 1), date(2026, 4, 30),
                                [(LineKind.meal_credit, -44000, 22)], sequence=90)
    session.commit()
    proposal = service.calculate(session, money.contract, RefundKind.meals,
                                 form(period_start=date(2026, 3, 1), period_end=date(2026, 3, 31)), TODAY)
    assert proposal.calculation.amount_fen == 0
    assert any(line.params.get("bill") == credit.number for line in proposal.calculation.trace)


def credit_bill(session, money, world, month: date, days: list[date], sequence: int):
    """A bill for `month` with a meal credit line listing `days` (as billing writes it)."""
    bill = f.make_refund_bill(session, money.contract, world.director, month, rules.month_end(month),
                              [(LineKind.meal_credit, -2000 * len(days), len(days))], sequence=sequence)
    line = session.exec(select(BillLine).where(BillLine.bill_id == bill.id)).one()
    line.detail = {"message": rules.CREDIT_DETAIL,
                   "params": {"month": "2026-04", "dates": [day.isoformat() for day in days]}}
    session.add(line)
    return bill


def test_missed_meals_carried_over_to_a_later_bill_are_not_refunded_and_are_once_that_bill_is_voided(
        session, world, money, me):
    # April was not attended at all (22 weekdays × ¥20). May's bill went out on Mon 27 April and credited
    # 1–24 April (18 weekdays); 27–30 April (4) were carried over to June's bill.
    april = service_days("12345", date(2026, 4, 1), date(2026, 4, 30), Calendar())
    may = credit_bill(session, money, world, date(2026, 5, 1), [day for day in april if day.day <= 24], 91)
    june = credit_bill(session, money, world, date(2026, 6, 1), [day for day in april if day.day >= 27], 92)
    session.commit()
    whole_april = form(period_start=date(2026, 4, 1), period_end=date(2026, 4, 30))
    proposal = service.calculate(session, money.contract, RefundKind.meals, whole_april, TODAY)
    assert proposal.calculation.amount_fen == 0
    assert {line.params.get("bill") for line in proposal.calculation.trace} >= {may.number, june.number}
    june.voided_at, june.voided_by_id, june.void_reason = datetime(2026, 6, 1, tzinfo=UTC), world.director.id, "重开"
    session.add(june)
    session.commit()
    proposal = service.calculate(session, money.contract, RefundKind.meals, whole_april, TODAY)
    assert proposal.calculation.amount_fen == 4 * 2000
    assert list(proposal.calculation.days) == [day for day in april if day.day >= 27]


def test_meals_not_in_the_future(session, world, money):
    with pytest.raises(Refused) as refused:
        service.calculate(session, money.contract, RefundKind.meals,
                          form(period_start=date(2026, 5, 25), period_end=date(2026, 6, 5)), TODAY)
    assert refused.value.errors == {"period_end": service.NOT_PASSED}


def test_closure_from_the_calendar(session, world, money):
    for day in (10, 11):
        session.add(CalendarDay(on_date=date(2026, 3, day), kind=CalendarDayKind.closed, caused_by_nursery=True,
                                name="设备检修", recorded_by_id=world.director.id))
    session.commit()
    proposal = service.calculate(session, money.contract, RefundKind.closure,
                                 form(period_start=date(2026, 3, 1), period_end=date(2026, 3, 31)), TODAY)
    assert proposal.calculation.amount_fen == 25455


def test_mark_paid_and_void(session, world, money, me):
    refund = service.create_refund(session, me, money.contract, RefundKind.deposit,
                                   form(leaving_on=date(2026, 3, 13)), TODAY, 15)
    service.mark_paid(session, me, refund, PaidForm(paid_on=date(2026, 5, 10), method=PaymentMethod.wechat_pay,
                                                    reference="4200001"))
    assert refund.paid_on == date(2026, 5, 10) and refund.method is PaymentMethod.wechat_pay
    with pytest.raises(Refused):
        service.void_refund(session, me, refund, "mistake")
    other = service.create_refund(session, me, money.contract, RefundKind.meals,
                                  form(period_start=date(2026, 3, 2), period_end=date(2026, 3, 2)), TODAY, 15)
    service.void_refund(session, me, other, "entered twice")
    assert other.voided_at is not None and other.void_reason == "entered twice"
    actions = {e.action for e in session.exec(select(AuditEntry)).all()}
    assert {"refund_recorded", "refund_paid", "refund_voided"} <= actions


def test_late_refunds(session, world, money, me):
    refund = service.create_refund(session, me, money.contract, RefundKind.deposit,
                                   form(leaving_on=date(2026, 3, 13), requested_on=date(2026, 4, 1)), TODAY, 15)
    assert service.late_refunds(session, date(2026, 4, 16)) == []
    assert service.late_refunds(session, date(2026, 4, 17)) == [refund]
    assert service.late_refunds_warning(session, date(2026, 4, 17)).params == {"count": 1}
    service.mark_paid(session, me, refund, PaidForm(paid_on=date(2026, 4, 20), method=PaymentMethod.cash))
    assert service.late_refunds(session, date(2026, 4, 30)) == []


def test_contract_refunds(session, world, money, me):
    refund = service.create_refund(session, me, money.contract, RefundKind.deposit,
                                   form(leaving_on=date(2026, 3, 13)), TODAY, 15)
    assert service.contract_refunds(session, money.contract) == [refund]


# ---------------------------------------------------------------- the meal account


@pytest.mark.parametrize(("day", "semester"), [
    (date(2025, 9, 1), "2025-autumn"), (date(2026, 2, 28), "2025-autumn"), (date(2026, 3, 1), "2026-spring"),
    (date(2026, 8, 31), "2026-spring"),
])
def test_semesters(day, semester):
    assert service.semester_of(day) == semester
    assert day.replace(day=1) in service.semester_months(semester)


def test_meal_account_and_warning(session, world, money, me):
    # March + April income: 44000 each; voided bills and other lines do not count
    service.add_spending(session, me, SpendingForm(month="2026-03", amount="440.00"))
    service.add_spending(session, me, SpendingForm(month="2026-04", amount="431.20"))
    account = service.meal_account(session, "2026-spring")
    assert [m.income_fen for m in account.months[:2]] == [44000, 44000]
    assert account.surplus_fen == 88000 - 87120
    policy = load_policy(session)
    # Until April: 880 of 88000 = 1 % ≤ 2 %
    assert service.meal_account_warning(session, date(2026, 5, 3), policy) is None
    wrong = service.add_spending(session, me, SpendingForm(month="2026-04", amount="100.00"))
    warning = service.meal_account_warning(session, date(2026, 5, 3), policy)
    assert warning is not None and warning.params["semester"] == "2026-spring"
    # Only finished months count: in March the month running is not judged
    assert service.meal_account_warning(session, date(2026, 3, 20), policy) is None
    service.void_spending(session, me, wrong.id, "typed twice")
    assert service.meal_account_warning(session, date(2026, 5, 3), policy) is None
    assert session.get(MealSpending, wrong.id).void_reason == "typed twice"


def test_meal_credits_reduce_income(session, world, money):
    f.make_refund_bill(session, money.contract, world.director, date(2026, 5, 1), date(2026, 5, 31),
                       [(LineKind.meal_fee, 42000, 21), (LineKind.meal_credit, -6000, 3), (LineKind.care_fee, 280000)])
    session.commit()
    assert service.meal_account(session, "2026-spring").months[2].income_fen == 36000


# ---------------------------------------------------------------- property: never beyond what was paid


REQUESTS = {
    RefundKind.withdrawal: {"leaving_on": date(2026, 3, 13), "notice_given_on": date(2026, 3, 13)},
    RefundKind.deposit: {"leaving_on": date(2026, 3, 13)},
    RefundKind.meals: {"period_start": date(2026, 3, 2), "period_end": date(2026, 3, 6)},
}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(paid=st.integers(0, 700000), kinds=st.lists(st.sampled_from(list(REQUESTS)), min_size=1, max_size=4))
def test_saved_refunds_never_exceed_payments(session, world, money, me, paid, kinds):
    for refund in session.exec(select(Refund).where(Refund.voided_at.is_(None))).all():
        refund.voided_at, refund.void_reason = datetime.now(UTC), "reset between examples"
        session.add(refund)
    money.payment.amount_fen = paid
    session.add(money.payment)
    session.commit()
    for kind in kinds:
        try:
            refund = service.create_refund(session, me, money.contract, kind, form(**REQUESTS[kind]), TODAY, 15)
            assert isinstance(refund.amount_fen, int) and refund.amount_fen > 0
            assert sum(line["amount_fen"] or 0 for line in refund.trace) == refund.amount_fen
        except Refused:
            session.rollback()
    assert service.refunded_fen(session, money.contract.id) <= service.paid_fen(session, money.contract.id)


@pytest.mark.parametrize(("percent", "text"), [
    (Fraction(0), "0.0%"), (Fraction(2), "2.0%"), (Fraction(1, 20), "0.1%"), (Fraction(1, 21), "0.0%"),
    (Fraction(49, 20), "2.5%"), (Fraction(100), "100.0%"), (None, None),
])
def test_meal_account_percent_is_shown_with_one_decimal_halves_up(percent, text):
    assert service.percent_text(percent) == text


# ---------------------------------------------------------------- refunds follow the contract and what it billed


@pytest.mark.parametrize("kind", [RefundKind.meals, RefundKind.sick_leave, RefundKind.closure])
def test_a_period_outside_the_contracts_service_is_refused_next_to_the_field(session, world, money, kind):
    # The contract starts on 1 March 2026
    with pytest.raises(Refused) as refused:
        service.calculate(session, money.contract, kind, form(period_start=date(2026, 2, 20), period_end=date(2026, 3, 6),
                                                              doctor_note="note", doctor_note_seen=True), TODAY)
    assert refused.value.errors["period_start"].message == service.OUTSIDE_CONTRACT


@pytest.mark.parametrize("kind", [RefundKind.meals, RefundKind.sick_leave])
def test_days_of_a_month_never_billed_are_not_refunded(session, world, money, kind):
    # May 2026 lies in the contract but was not billed: Mon 4 – Fri 8 May, sick and away, were never paid for
    _absent(session, world, [date(2026, 5, day) for day in (4, 5, 6, 7, 8)])
    proposal = service.calculate(session, money.contract, kind, form(period_start=date(2026, 5, 4),
                                 period_end=date(2026, 5, 8), doctor_note="note", doctor_note_seen=True), TODAY)
    assert proposal.calculation.amount_fen == 0
    assert proposal.block.message == service.rules.NOTHING_TO_REFUND
    assert proposal.calculation.trace[-1].message == service.rules.NOT_BILLED


def test_a_deposit_no_live_bill_charged_is_not_refunded(session, world, money):
    money.march.voided_at, money.march.void_reason = datetime.now(UTC), "reissue"  # the bill carrying the deposit
    session.add(money.march)
    session.commit()
    proposal = service.calculate(session, money.contract, RefundKind.deposit, form(leaving_on=date(2026, 3, 13)), TODAY)
    assert proposal.calculation.amount_fen == 0 and proposal.block is not None


def test_a_deposit_billed_but_not_paid_is_not_refunded(session, world, money):
    money.payment.voided_at, money.payment.void_reason = datetime.now(UTC), "recorded in error"
    session.add(money.payment)
    session.commit()
    proposal = service.calculate(session, money.contract, RefundKind.deposit, form(leaving_on=date(2026, 3, 13)), TODAY)
    assert proposal.calculation.amount_fen == 0 and proposal.block is not None


@pytest.mark.parametrize(("leaving_on", "notice_given_on", "field", "message"), [
    (date(2026, 2, 27), date(2026, 2, 27), "leaving_on", service.LEAVING_OUTSIDE),  # two days before the start
    (date(2027, 3, 1), date(2026, 5, 1), "leaving_on", service.LEAVING_OUTSIDE),  # the day after the contract's end
    (date(2026, 5, 29), date(2026, 6, 2), "notice_given_on", service.IN_FUTURE),  # today is 1 June
    (date(2026, 3, 13), date(2026, 3, 16), "notice_given_on", service.NOTICE_AFTER_LEAVING),
])
def test_withdrawal_dates_lie_within_the_contract_and_notice_is_not_ahead(session, world, money, leaving_on,
                                                                           notice_given_on, field, message):
    with pytest.raises(Refused) as refused:
        service.calculate(session, money.contract, RefundKind.withdrawal,
                          form(leaving_on=leaving_on, notice_given_on=notice_given_on), TODAY)
    error = refused.value.errors[field]
    assert getattr(error, "message", error) == message


def test_leaving_the_day_before_the_start_is_a_withdrawal_without_care_days(session, world, money):
    proposal = service.calculate(session, money.contract, RefundKind.withdrawal,
                                 form(leaving_on=date(2026, 2, 28), notice_given_on=date(2026, 2, 28)), TODAY)
    assert proposal.calculation.amount_fen == 2 * 280000  # March and April in full


def test_a_confirmed_withdrawal_ends_the_contract_and_no_month_after_leaving_is_billed(session, world, money, me):
    from nursery_ops.billing import service as billing
    from nursery_ops.billing.forms import BillForm
    from nursery_ops.contracts.service import ENDED_BY_WITHDRAWAL
    from nursery_ops.policy import Policy

    service.create_refund(session, me, money.contract, RefundKind.withdrawal,
                          form(leaving_on=date(2026, 3, 13), notice_given_on=date(2026, 3, 13)), TODAY, 15)
    assert (money.contract.ended_on, money.contract.end_reason) == (date(2026, 3, 13), ENDED_BY_WITHDRAWAL)
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "contract_ended_early")).one().reason \
        == ENDED_BY_WITHDRAWAL
    shown = billing.preview(session, money.contract, BillForm(month=date(2026, 5, 1)), TODAY, Policy())
    assert shown.refusals["month"].message == billing.rules.PERIOD_OUTSIDE_CONTRACT and shown.drafts == []


def test_a_withdrawal_refunds_the_care_fee_net_of_the_bills_discount(session, world, money):
    # May billed ¥2800.00 less a ¥200.00 discount (二孩优惠). May 2026 has 21 service days; leaving Fri 15 May
    # leaves 10 (18–22, 25–29): 260000 × 10/21 = 123809.52, not 280000 × 10/21 = 133333.33
    f.make_refund_bill(session, money.contract, world.director, date(2026, 5, 1), date(2026, 5, 31),
                       [(LineKind.care_fee, 280000), (LineKind.meal_fee, 42000, 21), (LineKind.discount, -20000)])
    session.commit()
    proposal = service.calculate(session, money.contract, RefundKind.withdrawal,
                                 form(leaving_on=date(2026, 5, 15), notice_given_on=date(2026, 5, 1)), TODAY)
    assert proposal.calculation.amount_fen == 123810
    assert proposal.calculation.trace[-1].params["fee_fen"] == 260000


def test_closure_and_withdrawal_in_one_month_refund_each_day_once(session, world, money, me):
    # Wed 25 March closed by the nursery: March has 21 service days. The closure is refunded first:
    # 280000 × 1/(21 + 1) = 12727.27. Leaving Fri 13 March: 11 of 21 days left → 146666.67 less the 12727
    # already refunded for the 25th = 133940, and April in full: 413940. Together 146667 + 280000, as without it.
    session.add(CalendarDay(on_date=date(2026, 3, 25), kind=CalendarDayKind.closed, caused_by_nursery=True,
                            name="设备检修", recorded_by_id=world.director.id))
    session.commit()
    closure = service.create_refund(session, me, money.contract, RefundKind.closure,
                                    form(period_start=date(2026, 3, 1), period_end=date(2026, 3, 31)), TODAY, 15)
    withdrawal = service.create_refund(session, me, money.contract, RefundKind.withdrawal,
                                       form(leaving_on=date(2026, 3, 13), notice_given_on=date(2026, 3, 13)), TODAY, 15)
    assert (closure.amount_fen, withdrawal.amount_fen) == (12727, 413940)
    assert closure.days == ["2026-03-25"]
    assert {"2026-03-14", "2026-03-25", "2026-04-30"} <= set(withdrawal.days)
    # A second closure refund for the month finds the day taken
    again = service.calculate(session, money.contract, RefundKind.closure,
                              form(period_start=date(2026, 3, 2), period_end=date(2026, 3, 13)), TODAY)
    assert again.block is not None


def test_after_a_withdrawal_sick_days_before_leaving_are_refunded_and_later_ones_are_outside(session, world, money,
                                                                                            me):
    # Leaving Tue 31 March: the withdrawal gives back April (from 1 April) and the contract ends on the 31st
    service.create_refund(session, me, money.contract, RefundKind.withdrawal,
                          form(leaving_on=date(2026, 3, 31), notice_given_on=date(2026, 3, 31)), TODAY, 15)
    _absent(session, world, [date(2026, 3, day) for day in (23, 24, 25, 26, 27)])
    proposal = service.calculate(session, money.contract, RefundKind.sick_leave,
                                 form(period_start=date(2026, 3, 23), period_end=date(2026, 3, 27),
                                      doctor_note="note", doctor_note_seen=True), TODAY)
    assert proposal.calculation.amount_fen == 31818  # 280000 × 5/22 × 50%: days the withdrawal did not cover
    proposal = service.calculate(session, money.contract, RefundKind.meals,
                                 form(period_start=date(2026, 3, 23), period_end=date(2026, 3, 27)), TODAY)
    assert proposal.calculation.amount_fen == 5 * 2000  # meals are refunded apart from the care fee
    with pytest.raises(Refused) as refused:
        service.calculate(session, money.contract, RefundKind.sick_leave,
                          form(period_start=date(2026, 4, 6), period_end=date(2026, 4, 10), doctor_note="note",
                               doctor_note_seen=True), TODAY)
    assert refused.value.errors["period_end"].message == service.OUTSIDE_CONTRACT


def test_meals_a_meal_refund_gave_back_are_not_refunded_again_on_any_version(session, world, money, me):
    first = service.create_refund(session, me, money.contract, RefundKind.meals,
                                  form(period_start=date(2026, 3, 2), period_end=date(2026, 3, 6)), TODAY, 15)
    assert first.amount_fen == 5 * 2000 and len(first.days) == 5
    # An overlapping period refunds only the days left: 9–13 March
    second = service.calculate(session, money.contract, RefundKind.meals,
                               form(period_start=date(2026, 3, 4), period_end=date(2026, 3, 13)), TODAY)
    assert second.calculation.amount_fen == 5 * 2000 and second.block is None
    inside = service.calculate(session, money.contract, RefundKind.meals,
                               form(period_start=date(2026, 3, 3), period_end=date(2026, 3, 5)), TODAY)
    assert inside.block.message == service.OVERLAPS and inside.block.params == {"number": first.id}


# ---------------------------------------------------------------- a version an amendment replaced


@pytest.fixture
def amended(session, world, money):
    """Version 2 of the contract replaces version 1 (which keeps its bills, payment and any refunds)."""
    from nursery_ops.contracts.models import ContractStatus
    from nursery_ops.enrolment.models import Enrolment

    money.contract.superseded = True
    session.add(money.contract)
    session.flush()
    enrolment = session.get(Enrolment, money.contract.enrolment_id)
    version_2 = f.make_contract(
        session, enrolment, world.director, status=ContractStatus.active, version=2, replaces_id=money.contract.id,
        start_date=money.contract.start_date, end_date=money.contract.end_date, deposit_fen=100000,
        guardian_id=world.guardian_x.id, guardian_signed_on=date(2026, 4, 1), director_signed_by_id=world.director.id,
        director_signed_on=date(2026, 4, 1),
    )
    session.commit()
    return version_2


def test_a_replaced_version_takes_no_refund_and_points_to_the_current_version(session, world, money, amended):
    from nursery_ops.contracts.service import SUPERSEDED

    with pytest.raises(Refused) as refused:
        service.calculate(session, money.contract, RefundKind.deposit, form(leaving_on=date(2026, 3, 13)), TODAY)
    error = refused.value.errors["__all__"]
    assert error.message == SUPERSEDED and error.params == {"version": 1, "number": amended.id}


def test_refunds_of_every_version_count_and_are_listed_on_the_current_one(session, world, money, me):
    deposit = service.create_refund(session, me, money.contract, RefundKind.deposit,
                                    form(leaving_on=date(2026, 3, 13)), TODAY, 15)
    meals = service.create_refund(session, me, money.contract, RefundKind.meals,
                                  form(period_start=date(2026, 3, 2), period_end=date(2026, 3, 6)), TODAY, 15)
    # amend after the refunds: version 2 is current
    from nursery_ops.contracts.models import ContractStatus
    from nursery_ops.enrolment.models import Enrolment

    money.contract.superseded = True
    session.add(money.contract)
    session.flush()
    version_2 = f.make_contract(session, session.get(Enrolment, money.contract.enrolment_id), world.director,
                                status=ContractStatus.active, version=2, replaces_id=money.contract.id,
                                start_date=money.contract.start_date, end_date=money.contract.end_date)
    session.commit()
    assert service.calculate(session, version_2, RefundKind.deposit, form(leaving_on=date(2026, 3, 13)),
                             TODAY).block.message == service.ONCE_ONLY
    again = service.calculate(session, version_2, RefundKind.meals,
                              form(period_start=date(2026, 3, 2), period_end=date(2026, 3, 6)), TODAY)
    assert again.block.message == service.OVERLAPS
    assert {refund.id for refund in service.contract_refunds(session, version_2)} == {deposit.id, meals.id}


# ---------------------------------------------------------------- the meal account and its warnings


def test_meal_refunds_are_taken_off_the_months_meal_income(session, world, money, me):
    service.create_refund(session, me, money.contract, RefundKind.meals,
                          form(period_start=date(2026, 3, 2), period_end=date(2026, 3, 4)), TODAY, 15)
    account = service.meal_account(session, "2026-spring")
    assert [month.income_fen for month in account.months[:2]] == [44000 - 3 * 2000, 44000]


def test_the_semester_that_ended_is_flagged_until_the_next_one_ends(session, world, money, me):
    # Spring 2026: meal income 88000 (March, April), food 94000: a deficit of 6000 = 6.8 % of income
    service.add_spending(session, me, SpendingForm(month="2026-03", amount="440.00"))
    service.add_spending(session, me, SpendingForm(month="2026-04", amount="500.00"))
    policy = load_policy(session)
    # In September the autumn semester has no month over yet; the spring account is final, and off
    warnings = service.meal_account_warnings(session, date(2026, 9, 10), policy)
    assert [(w.params["semester"], w.params["percent"]) for w in warnings] == [("2026-spring", "6.8%")]
    assert service.meal_account_warning(session, date(2026, 9, 10), policy) == warnings[0]
    # Still in February, at the autumn semester's end; no longer once spring 2027 runs
    assert service.meal_account_warnings(session, date(2027, 2, 27), policy)[0].params["semester"] == "2026-spring"
    assert service.meal_account_warnings(session, date(2027, 3, 1), policy) == []
