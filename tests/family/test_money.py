"""/family/children/{id}/money: the child's signed contracts with their bills, payments, refunds and balance."""

from datetime import date, timedelta

from sqlmodel import select

from nursery_ops.billing.models import LineKind, Refund, RefundKind
from nursery_ops.clock import local_today, utcnow
from nursery_ops.contracts.models import ContractStatus
from nursery_ops.enrolment.models import Enrolment
from tests import factories as f


def signed_contract(session, world, child, guardian, **fields):
    enrolment = session.exec(select(Enrolment).where(Enrolment.child_id == child.id)).one()
    return f.make_contract(session, enrolment, world.director, status=ContractStatus.active, guardian_id=guardian.id,
                           guardian_signed_on=enrolment.start_date, director_signed_on=enrolment.start_date, **fields)


def refund_of(session, contract, by, amount_fen: int, requested_on: date) -> Refund:
    refund = Refund(contract_id=contract.id, child_id=contract.child_id, kind=RefundKind.meals, period_start=requested_on,
                    period_end=requested_on, amount_fen=amount_fen, requested_on=requested_on,
                    due_on=requested_on + timedelta(days=15), recorded_by_id=by.id)
    session.add(refund)
    session.flush()
    return refund


def money_page(client_for, world):
    response = client_for(world.parent_x).get(f"/family/children/{world.child_x.id}/money")
    assert response.status_code == 200
    return response.text


def test_a_signed_contract_shows_its_bills_payments_refunds_and_balance(world, client_for, session):
    contract = signed_contract(session, world, world.child_x, world.guardian_x)
    month = local_today().replace(day=1)
    paid = f.make_refund_bill(session, contract, world.director, month - timedelta(days=31), month - timedelta(days=1),
                              lines=[(LineKind.care_fee, 280000), (LineKind.meal_fee, 40000, 20)])
    open_bill = f.make_refund_bill(session, contract, world.director, month, month + timedelta(days=27))
    payment = f.make_refund_payment(session, contract, world.director, 320000, month - timedelta(days=20))
    refund = refund_of(session, contract, world.director, 6000, month - timedelta(days=2))
    session.commit()

    html = money_page(client_for, world)
    assert f'href="/contracts/{contract.id}"' in html and "Active" in html
    assert f'href="/bills/{paid.id}"' in html and f'href="/bills/{open_bill.id}"' in html
    assert f'href="/payments/{payment.id}"' in html and payment.receipt_number in html
    assert f'href="/refunds/{refund.id}"' in html
    # Billed 3,200.00 + 2,800.00, paid 3,200.00, 60.00 credited: 2,740.00 still due.
    assert "6,000.00" in html and "3,200.00" in html and "60.00" in html
    assert "Balance due" in html and "2,740.00" in html


def test_drafts_are_not_shown_and_an_amended_contract_shows_once(world, client_for, session):
    old = signed_contract(session, world, world.child_x, world.guardian_x, superseded=True)
    current = signed_contract(session, world, world.child_x, world.guardian_x, version=2, replaces_id=old.id)
    enrolment = session.get(Enrolment, current.enrolment_id)
    draft = f.make_contract(session, enrolment, world.director, version=3, replaces_id=current.id)
    session.commit()

    html = money_page(client_for, world)
    assert f'href="/contracts/{current.id}"' in html
    assert f'href="/contracts/{old.id}"' not in html and f'href="/contracts/{draft.id}"' not in html


def test_a_voided_payment_is_not_listed(world, client_for, session):
    contract = signed_contract(session, world, world.child_x, world.guardian_x)
    payment = f.make_refund_payment(session, contract, world.director, 10000, local_today(), voided_at=utcnow(),
                                    void_reason="录错金额")
    session.commit()
    assert f'href="/payments/{payment.id}"' not in money_page(client_for, world)


def test_without_a_signed_contract_the_page_says_so(world, client_for):
    assert "There is no signed fee contract for 王小明 yet." in money_page(client_for, world)
