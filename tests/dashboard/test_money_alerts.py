"""The money alerts read from the board's single numbers: the refunds service's own warnings, day for day."""

from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from nursery_ops.billing.models import LineKind, MealSpending, Refund, RefundKind
from nursery_ops.contracts.models import ContractStatus
from nursery_ops.dashboard.service import board_numbers, money_alerts
from nursery_ops.enrolment.models import Enrolment
from nursery_ops.policy import DEFAULT_POLICY as policy
from nursery_ops.refunds.service import late_refunds_warning, meal_account_warnings
from tests import factories as f


def refund(session, world, contract, kind, start, amount, due_on, **fields):
    session.add(Refund(contract_id=contract.id, child_id=contract.child_id, kind=kind, period_start=start,
                       period_end=start, amount_fen=amount, requested_on=due_on, due_on=due_on,
                       recorded_by_id=world.director.id, **fields))


@pytest.fixture
def accounts(session, world):
    """Meal income and food spending over two semesters, with voided bills, refunds and spending that do not count."""
    enrolment = session.exec(select(Enrolment).where(Enrolment.child_id == world.child_x.id)).one()
    contract = f.make_contract(session, enrolment, world.director, status=ContractStatus.active,
                               start_date=date(2025, 9, 1), end_date=date(2026, 8, 31))
    for month, meals in ((date(2025, 12, 1), 44000), (date(2026, 2, 1), 40000), (date(2026, 3, 1), 44000),
                         (date(2026, 4, 1), 44000)):
        f.make_refund_bill(session, contract, world.director, month, month.replace(day=28),
                           [(LineKind.care_fee, 280000), (LineKind.meal_fee, meals, 22), (LineKind.meal_credit, -2000, 1)])
    f.make_refund_bill(session, contract, world.director, date(2026, 4, 1), date(2026, 4, 28),
                       [(LineKind.meal_fee, 90000, 45)], voided_at=datetime(2026, 4, 2, tzinfo=UTC),
                       voided_by_id=world.director.id, void_reason="重开")
    refund(session, world, contract, RefundKind.meals, date(2026, 3, 2), 6000, date(2026, 3, 20))
    refund(session, world, contract, RefundKind.meals, date(2026, 4, 6), 9000, date(2026, 4, 20),
           voided_at=datetime(2026, 4, 21, tzinfo=UTC), voided_by_id=world.director.id, void_reason="错录")
    refund(session, world, contract, RefundKind.deposit, date(2026, 4, 1), 100000, date(2026, 4, 16),
           paid_on=date(2026, 4, 30))
    refund(session, world, contract, RefundKind.deposit, date(2026, 5, 1), 100000, date(2026, 5, 16))
    for month, amount, void in ((date(2025, 12, 1), 30000, False), (date(2026, 2, 1), 39000, False),
                                (date(2026, 3, 1), 36000, False), (date(2026, 4, 1), 40000, False),
                                (date(2026, 4, 1), 50000, True)):
        session.add(MealSpending(month=month, amount_fen=amount, recorded_by_id=world.director.id,
                                 voided_at=datetime(2026, 4, 30, tzinfo=UTC) if void else None))
    session.commit()


@pytest.mark.parametrize("today", [
    date(2026, 1, 15), date(2026, 3, 10), date(2026, 4, 17), date(2026, 5, 3), date(2026, 5, 17), date(2026, 9, 2),
])
def test_the_money_alerts_say_what_the_refunds_service_warns_on_each_day(session, world, accounts, today):
    expected = [warning for warning in [late_refunds_warning(session, today)] if warning is not None]
    expected += meal_account_warnings(session, today, policy)
    alerts = money_alerts(board_numbers(session, today), policy)
    assert [alert.decision for alert in alerts] == expected


def test_the_fixture_makes_every_money_alert_fire_on_some_day(session, world, accounts):
    kinds = {alert.kind for today in (date(2026, 1, 15), date(2026, 5, 17))
             for alert in money_alerts(board_numbers(session, today), policy)}
    assert kinds == {"late_refunds", "meal_account"}
