"""Bills, payments, receipts and the money report over HTTP: who may, what is saved, what is refused (nothing saved)."""

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from nursery_ops.attendance.models import Attendance
from nursery_ops.audit import AuditEntry
from nursery_ops.billing import rules, service
from nursery_ops.billing.models import (
    Bill,
    BillLine,
    LineKind,
    Payment,
    Refund,
    RefundKind,
)
from nursery_ops.clock import local_today, utcnow
from nursery_ops.contracts.models import ChargeUnit, ContractCharge, ContractStatus
from nursery_ops.enrolment.models import Enrolment
from nursery_ops.settings import get_settings
from tests import factories as f

TODAY = local_today()
THIS_MONTH = TODAY.replace(day=1)


def month_text(offset: int) -> str:
    return rules.add_months(THIS_MONTH, offset).strftime("%Y-%m")


def fresh(session) -> None:
    session.rollback()
    session.expire_all()


def count(session, model) -> int:
    fresh(session)
    return session.exec(select(func.count()).select_from(model)).one()


def audit_rows(session, action: str) -> list[AuditEntry]:
    fresh(session)
    return list(session.exec(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all())


def signed_contract(session, world, child=None, guardian=None, **fields):
    child, guardian = child or world.child_x, guardian or world.guardian_x
    enrolment = session.exec(select(Enrolment).where(Enrolment.child_id == child.id)).one()
    start = fields.pop("start_date", rules.add_months(THIS_MONTH, -2))
    return f.make_contract(
        session, enrolment, world.director, status=ContractStatus.active, start_date=start,
        end_date=fields.pop("end_date", rules.add_months(start, 12) - timedelta(days=1)),
        guardian_id=guardian.id, guardian_signed_on=start - timedelta(days=7),
        director_signed_by_id=world.director.id, director_signed_on=start - timedelta(days=7), **fields,
    )


@pytest.fixture
def money(session, world):
    """Child X has an active full-day contract (¥2800 a month, ¥20 meals, ¥1000 deposit) from two months ago."""
    world.contract = signed_contract(session, world, deposit_fen=100000)
    world.contract_y = signed_contract(session, world, child=world.child_y, guardian=world.guardian_y)
    session.commit()
    return world


def new_bill_url(world) -> str:
    return f"/contracts/{world.contract.id}/bills/new"


def issue(client, world, month: str, **extra):
    return client.post(new_bill_url(world), {"month": month, **extra})


# ---------------------------------------------------------------- preview and issue


def test_the_director_previews_a_month_and_nothing_is_saved(client_for, money, session):
    response = client_for(money.director).get(new_bill_url(money) + f"?month={month_text(1)}")
    assert response.status_code == 200
    assert "Care fee (托育费)" in response.text and "Deposit (押金)" in response.text
    assert "Issue the bill" in response.text
    assert count(session, Bill) == 0


def test_the_bill_page_previews_next_month_by_default(client_for, money, session):
    response = client_for(money.director).get(new_bill_url(money))
    assert response.status_code == 200 and 'class="field-error"' not in response.text
    assert f'value="{month_text(1)}"' in response.text and "Care fee (托育费)" in response.text
    assert count(session, Bill) == 0


def test_the_director_issues_a_bill_numbered_in_sequence_with_its_lines_and_an_audit_entry(client_for, money, session):
    client = client_for(money.director)
    response = issue(client, money, month_text(0), discount="100", discount_reason="二孩优惠")
    assert response.status_code == 303
    fresh(session)
    bill = session.exec(select(Bill)).one()
    assert response.headers["location"] == f"/bills/{bill.id}"
    assert bill.number == f"{TODAY.year}-000001" and bill.sequence == 1
    lines = session.exec(select(BillLine).where(BillLine.bill_id == bill.id).order_by(BillLine.position)).all()
    assert [line.kind for line in lines] == [LineKind.care_fee, LineKind.meal_fee, LineKind.deposit, LineKind.discount]
    assert lines[0].amount_fen == 280000 and lines[-1].amount_fen == -10000 and lines[-1].reason == "二孩优惠"
    assert bill.total_fen == sum(line.amount_fen for line in lines)
    entry = audit_rows(session, "bill_issued")[0]
    assert entry.entity_id == bill.id and entry.after["number"] == bill.number and len(entry.after["lines"]) == 4

    assert issue(client, money, month_text(1)).status_code == 303
    fresh(session)
    numbers = session.exec(select(Bill.number).order_by(Bill.id)).all()
    assert numbers == [f"{TODAY.year}-000001", f"{TODAY.year}-000002"]
    # the deposit is on the first bill only
    second = session.exec(select(Bill).order_by(Bill.id.desc())).first()
    kinds = session.exec(select(BillLine.kind).where(BillLine.bill_id == second.id)).all()
    assert LineKind.deposit not in kinds


def test_a_second_bill_for_a_billed_month_is_refused(client_for, money, session):
    client = client_for(money.director)
    assert issue(client, money, month_text(0)).status_code == 303
    response = issue(client, money, month_text(0))
    assert response.status_code == 400 and "already covers" in response.text
    assert count(session, Bill) == 1


@pytest.mark.parametrize("month", [month_text(-3), month_text(12)])
def test_a_bill_for_a_month_outside_the_contract_is_refused_next_to_the_month(client_for, money, session, month):
    response = issue(client_for(money.director), money, month)
    assert response.status_code == 400
    assert 'id="month-error"' in response.text and "does not include" in response.text
    assert count(session, Bill) == 0


@pytest.mark.parametrize(("data", "field"), [
    ({"month": "2026-13"}, "month"),
    ({"discount": "-5"}, "discount"),
    ({"discount": "5.001", "discount_reason": "x"}, "discount"),
    ({"discount": "50"}, "discount_reason"),
    ({"adjustment": "-20"}, "adjustment_reason"),
])
def test_bad_bill_input_is_shown_next_to_its_field_and_nothing_is_saved(client_for, money, session, data, field):
    response = client_for(money.director).post(new_bill_url(money), {"month": month_text(0), **data})
    assert response.status_code == 400 and f'id="{field}-error"' in response.text
    assert count(session, Bill) == 0


def test_a_bill_prepaying_beyond_three_months_is_blocked_unless_the_director_gives_a_reason(client_for, money, session):
    client = client_for(money.director)
    # Nothing paid yet: this month and the next two are the 3 months a payment may cover
    assert issue(client, money, month_text(2)).status_code == 303
    response = issue(client, money, month_text(3))
    assert response.status_code == 400 and "one payment may cover at most 3 months of service" in response.text
    assert count(session, Bill) == 1
    response = issue(client, money, month_text(3), override_reason="家长书面要求，园长批准")
    assert response.status_code == 303
    assert audit_rows(session, "bill_issued")[-1].reason == "家长书面要求，园长批准"


def test_a_draft_contract_cannot_be_billed(client_for, money, session):
    money.contract.status = ContractStatus.draft
    session.add(money.contract)
    session.commit()
    response = issue(client_for(money.director), money, month_text(0))
    assert response.status_code == 400 and "Only a signed contract can be billed." in response.text
    assert count(session, Bill) == 0


def test_meals_of_last_months_absences_are_credited_on_the_next_bill(client_for, money, session):
    client = client_for(money.director)
    assert issue(client, money, month_text(-1)).status_code == 303
    last_month = rules.add_months(THIS_MONTH, -1)
    days = [last_month + timedelta(days=n) for n in range(31) if (last_month + timedelta(days=n)).month == last_month.month]
    weekdays = [day for day in days if day.isoweekday() <= 5]
    for day in weekdays[2:]:  # the first two weekdays missed
        at = utcnow() - (TODAY - day)
        session.add(Attendance(child_id=money.child_x.id, room_id=money.room_a.id, on_date=day, check_in_at=at,
                               check_out_at=at + timedelta(hours=8), brought_by="王妈妈", checked_in_by_id=money.director.id))
    session.commit()
    assert issue(client, money, month_text(0)).status_code == 303
    fresh(session)
    bill = session.exec(select(Bill).order_by(Bill.id.desc())).first()
    credit = session.exec(select(BillLine).where(BillLine.bill_id == bill.id, BillLine.kind == LineKind.meal_credit)).one()
    assert (credit.quantity, credit.amount_fen) == (2, -4000)


def test_monthly_optional_services_appear_on_the_bill(client_for, money, session):
    session.add(ContractCharge(contract_id=money.contract.id, name="兴趣课", amount_fen=30000, unit=ChargeUnit.month))
    session.commit()
    assert issue(client_for(money.director), money, month_text(0)).status_code == 303
    fresh(session)
    assert session.exec(select(BillLine.amount_fen).where(BillLine.kind == LineKind.optional)).all() == [30000]


# ---------------------------------------------------------------- reading bills


@pytest.fixture
def billed(client_for, money, session):
    assert issue(client_for(money.director), money, month_text(0)).status_code == 303
    fresh(session)
    money.bill = session.exec(select(Bill)).one()
    return money


def test_the_director_and_the_childs_guardian_read_the_bill(client_for, billed):
    for person in (billed.director, billed.parent_x):
        response = client_for(person).get(f"/bills/{billed.bill.id}")
        assert response.status_code == 200 and billed.bill.number in response.text and "王小明" in response.text
    assert "Void / reissue" not in client_for(billed.parent_x).get(f"/bills/{billed.bill.id}").text


def test_other_families_get_404_other_staff_403_and_anonymous_people_sign_in(client_for, anonymous, billed):
    url = f"/bills/{billed.bill.id}"
    assert client_for(billed.parent_y).get(url).status_code == 404
    assert client_for(billed.caregiver_a).get(url).status_code == 403
    assert client_for(billed.director).get("/bills/9999").status_code == 404
    response = anonymous.get(url)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


@pytest.mark.parametrize("who", ["caregiver_a", "health", "parent_x"])
def test_only_the_director_bills_voids_and_records_payments(client_for, billed, session, who):
    client = client_for(getattr(billed, who))
    assert client.get(new_bill_url(billed) + f"?month={month_text(1)}").status_code == 403
    assert issue(client, billed, month_text(1)).status_code == 403
    assert client.post(f"/bills/{billed.bill.id}/void", {"reason": "错了"}).status_code == 403
    assert client.post(f"/contracts/{billed.contract.id}/payments/new", payment_data(billed)).status_code == 403
    assert client.get("/reports/money").status_code == 403
    assert count(session, Bill) == 1 and count(session, Payment) == 0


# ---------------------------------------------------------------- void and reissue


def test_the_director_voids_with_a_reason_and_reissues_with_a_new_number(client_for, billed, session):
    client = client_for(billed.director)
    response = client.post(f"/bills/{billed.bill.id}/void", {"reason": "折扣漏了", "reissue": "on"})
    assert response.status_code == 303
    assert response.headers["location"] == f"{new_bill_url(billed)}?month={month_text(0)}&replaces_id={billed.bill.id}"
    fresh(session)
    voided = session.get(Bill, billed.bill.id)
    assert voided.voided_at is not None and voided.void_reason == "折扣漏了" and voided.voided_by_id == billed.director.id
    assert audit_rows(session, "bill_voided")[0].reason == "折扣漏了"
    # the reissue page previews the same month with the replaced bill
    page = client.get(response.headers["location"])
    assert page.status_code == 200 and "reissues a voided bill" in page.text
    response = issue(client, billed, month_text(0), replaces_id=str(billed.bill.id), discount="100",
                     discount_reason="二孩优惠")
    assert response.status_code == 303
    fresh(session)
    new = session.exec(select(Bill).order_by(Bill.id.desc())).first()
    assert new.number == f"{TODAY.year}-000002" and new.replaces_id == billed.bill.id
    # the reissue carries the deposit again: the voided first bill does not count
    assert LineKind.deposit in session.exec(select(BillLine.kind).where(BillLine.bill_id == new.id)).all()
    # a voided bill is reissued once
    response = issue(client, billed, month_text(1), replaces_id=str(billed.bill.id))
    assert response.status_code == 400 and count(session, Bill) == 2
    text = client.get(f"/bills/{billed.bill.id}").text
    assert "Void" in text and "折扣漏了" in text and new.number in text


def test_a_void_needs_a_reason_and_happens_once(client_for, billed, session):
    client = client_for(billed.director)
    response = client.post(f"/bills/{billed.bill.id}/void", {"reason": ""})
    assert response.status_code == 400 and 'id="reason-error"' in response.text
    fresh(session)
    assert session.get(Bill, billed.bill.id).voided_at is None
    assert client.post(f"/bills/{billed.bill.id}/void", {"reason": "重复"}).status_code == 303
    response = client.post(f"/bills/{billed.bill.id}/void", {"reason": "再来"})
    assert response.status_code == 400 and "already been voided" in response.text
    assert len(audit_rows(session, "bill_voided")) == 1


# ---------------------------------------------------------------- payments and receipts


def payment_data(world, **changes) -> dict:
    data = {"amount": "1000.00", "method": "cash", "paid_on": TODAY.isoformat(), "received_by_id": str(world.director.id)}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_the_director_records_a_payment_and_the_guardian_reads_its_receipt(client_for, billed, session):
    client = client_for(billed.director)
    page = client.get(f"/contracts/{billed.contract.id}/payments/new")
    assert page.status_code == 200 and "WeChat Pay (微信支付)" in page.text
    response = client.post(f"/contracts/{billed.contract.id}/payments/new",
                           payment_data(billed, method="wechat_pay", reference="4200001234", amount="1280.50"))
    assert response.status_code == 303
    fresh(session)
    payment = session.exec(select(Payment)).one()
    assert response.headers["location"] == f"/payments/{payment.id}"
    assert (payment.amount_fen, payment.receipt_number, payment.reference) == (128050, f"R{TODAY.year}-000001", "4200001234")
    assert audit_rows(session, "payment_recorded")[0].entity_id == payment.id
    receipt = client_for(billed.parent_x).get(f"/payments/{payment.id}")
    assert receipt.status_code == 200 and payment.receipt_number in receipt.text and "4200001234" in receipt.text
    assert client_for(billed.parent_y).get(f"/payments/{payment.id}").status_code == 404
    assert client_for(billed.caregiver_a).get(f"/payments/{payment.id}").status_code == 403
    # a second receipt takes the next number
    client.post(f"/contracts/{billed.contract.id}/payments/new", payment_data(billed, amount="1"))
    fresh(session)
    assert session.exec(select(Payment.receipt_number).order_by(Payment.id)).all()[-1] == f"R{TODAY.year}-000002"


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"amount": "-10"}, "amount", "zero or more"),
    ({"amount": "0"}, "amount", "more than zero"),
    ({"amount": "10.005"}, "amount", "at most two decimals"),
    ({"amount": "99999"}, "amount", "more than what is due"),
    ({"method": "alipay", "reference": ""}, "reference", "transaction number"),
    ({"paid_on": (TODAY + timedelta(days=1)).isoformat()}, "paid_on", "future"),
    ({"method": "bitcoin"}, "method", "Choose one"),
])
def test_bad_payments_are_refused_next_to_the_field_and_nothing_is_saved(client_for, billed, session, changes, field,
                                                                         message):
    response = client_for(billed.director).post(f"/contracts/{billed.contract.id}/payments/new",
                                                payment_data(billed, **changes))
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.text and message in response.text
    assert count(session, Payment) == 0 and audit_rows(session, "payment_recorded") == []


def test_nothing_can_be_paid_on_a_contract_with_nothing_due(client_for, money, session):
    response = client_for(money.director).post(f"/contracts/{money.contract.id}/payments/new", payment_data(money))
    assert response.status_code == 400 and "Nothing is due" in response.text
    assert count(session, Payment) == 0


# ---------------------------------------------------------------- the ledger


def test_the_ledger_derives_the_balance_from_bills_payments_and_refunds(client_for, billed, session):
    client = client_for(billed.director)
    client.post(f"/contracts/{billed.contract.id}/payments/new", payment_data(billed, amount="3000"))
    fresh(session)
    session.add(Refund(contract_id=billed.contract.id, child_id=billed.child_x.id, kind=RefundKind.meals,
                       period_start=THIS_MONTH, period_end=TODAY, amount_fen=4000, requested_on=TODAY,
                       due_on=TODAY + timedelta(days=15), recorded_by_id=billed.director.id))
    session.commit()
    money = service.contract_money(session, billed.contract)
    assert money.billed_fen == billed.bill.total_fen
    assert money.balance_fen == billed.bill.total_fen - 300000 - 4000
    assert [line.kind for line in money.lines] == ["bill", "refund", "payment"]
    assert money.lines[-1].balance_fen == money.balance_fen
    assert money.deposit_held_fen == 100000
    assert service.paid_fen(session, billed.contract.id) == 300000
    assert money.bills[0].paid_fen == 300000
    # the partial renders for the director and for the guardian
    from nursery_ops.i18n import Translator
    from nursery_ops.templating import environment

    translator = Translator("en")
    html = environment.get_template("billing/_contract_money.html").render(
        money=money, me=type("Me", (), {"has": lambda self, *roles: False})(), t=translator, _=translator.gettext)
    assert billed.bill.number in html and "Record a payment" not in html


def test_the_money_follows_the_enrolment_across_contract_versions(client_for, billed, session):
    enrolment = session.get(Enrolment, billed.contract.enrolment_id)
    billed.contract.superseded = True
    session.add(billed.contract)
    amended = f.make_contract(session, enrolment, billed.director, status=ContractStatus.active, version=2,
                              replaces_id=billed.contract.id, start_date=billed.contract.start_date,
                              end_date=billed.contract.end_date)
    session.commit()
    assert service.contract_money(session, amended).billed_fen == billed.bill.total_fen
    # and the month billed on version 1 cannot be billed again on version 2
    response = client_for(billed.director).post(f"/contracts/{amended.id}/bills/new", {"month": month_text(0)})
    assert response.status_code == 400 and count(session, Bill) == 1


# ---------------------------------------------------------------- the money report


def test_the_money_report_shows_income_payments_balances_and_refunds_due(client_for, billed, session):
    client = client_for(billed.director)
    client.post(f"/contracts/{billed.contract.id}/payments/new", payment_data(billed, amount="500"))
    fresh(session)
    session.add(Refund(contract_id=billed.contract.id, child_id=billed.child_x.id, kind=RefundKind.meals,
                       period_start=THIS_MONTH, period_end=TODAY, amount_fen=4000, requested_on=TODAY,
                       due_on=TODAY + timedelta(days=15), recorded_by_id=billed.director.id))
    session.commit()
    response = client.get(f"/reports/money?month={month_text(0)}")
    assert response.status_code == 200
    text = response.text
    assert "Income by item" in text and "Care fee (托育费)" in text and f"R{TODAY.year}-000001" in text
    assert "王小明" in text and "Refunds due" in text
    report = service.money_report(session, THIS_MONTH, TODAY)
    assert report.income_fen == billed.bill.total_fen and report.received_fen == 50000
    assert report.outstanding_fen == billed.bill.total_fen - 50000 - 4000
    assert [row.refund.amount_fen for row in report.refunds_due] == [4000]


@pytest.mark.parametrize("which", ["income", "payments", "balances", "refunds"])
def test_each_report_exports_csv_with_a_bom_and_yuan_with_two_decimals(client_for, billed, which):
    client = client_for(billed.director)
    client.post(f"/contracts/{billed.contract.id}/payments/new", payment_data(billed, amount="500"))
    response = client.get(f"/reports/money.csv?month={month_text(0)}&report={which}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")
    text = response.content.decode("utf-8-sig")
    if which == "income":
        assert "Care fee (托育费),2800.00" in text
    if which == "payments":
        assert "王小明" in text and ",500.00" in text


def test_a_bad_report_month_is_refused(client_for, money):
    client = client_for(money.director)
    assert client.get("/reports/money?month=2026-13").status_code == 400
    assert client.get("/reports/money.csv?month=x&report=income").status_code == 400
    assert client.get(f"/reports/money.csv?month={month_text(0)}&report=secret").status_code == 400


def test_a_payment_reaching_service_beyond_three_months_is_blocked_unless_overridden(client_for, billed, session):
    client = client_for(billed.director)
    reason = "家长书面要求，园长批准"
    assert issue(client, billed, month_text(4), override_reason=reason).status_code == 303
    url = f"/contracts/{billed.contract.id}/payments/new"
    # paying the current bill is fine; one fen more reaches the bill four months ahead
    over = rules.fen_text(billed.bill.total_fen + 1)
    response = client.post(url, payment_data(billed, amount=over))
    assert response.status_code == 400 and "one payment may cover at most 3 months of service" in response.text
    assert 'id="override_reason-error"' in response.text
    assert count(session, Payment) == 0
    assert client.post(url, payment_data(billed, amount=over, override_reason=reason)).status_code == 303
    assert audit_rows(session, "payment_recorded")[-1].reason == reason


def test_a_payment_recorded_in_error_is_voided_with_a_reason_and_no_longer_counts(client_for, billed, session):
    client = client_for(billed.director)
    client.post(f"/contracts/{billed.contract.id}/payments/new", payment_data(billed, amount="3000"))
    fresh(session)
    payment = session.exec(select(Payment)).one()
    assert client.post(f"/payments/{payment.id}/void", {"reason": ""}).status_code == 400
    assert client_for(billed.caregiver_a).post(f"/payments/{payment.id}/void", {"reason": "x"}).status_code == 403
    response = client.post(f"/payments/{payment.id}/void", {"reason": "录错了金额"})
    assert response.status_code == 303
    fresh(session)
    assert service.paid_fen(session, billed.contract.id) == 0
    assert [row.reason for row in audit_rows(session, "payment_voided")] == ["录错了金额"]
    assert "录错了金额" in client.get(f"/payments/{payment.id}").text
    assert client.post(f"/payments/{payment.id}/void", {"reason": "again"}).status_code == 400


def test_a_payment_refunds_were_made_against_cannot_be_voided(client_for, billed, session):
    client = client_for(billed.director)
    client.post(f"/contracts/{billed.contract.id}/payments/new", payment_data(billed, amount="3000"))
    fresh(session)
    payment = session.exec(select(Payment)).one()
    session.add(Refund(contract_id=billed.contract.id, child_id=billed.child_x.id, kind=RefundKind.meals,
                       period_start=THIS_MONTH, period_end=TODAY, amount_fen=4000, requested_on=TODAY,
                       due_on=TODAY + timedelta(days=15), recorded_by_id=billed.director.id))
    session.commit()
    response = client.post(f"/payments/{payment.id}/void", {"reason": "录错了"})
    assert response.status_code == 400 and "void those refunds first" in response.text
    fresh(session)
    assert session.get(Payment, payment.id).voided_at is None


# ---------------------------------------------------------------- corrections (issue 6 audit)


def test_meals_a_meal_refund_gave_back_are_not_credited_on_the_next_bill(client_for, money, session):
    client = client_for(money.director)
    assert issue(client, money, month_text(-1)).status_code == 303
    last_month = rules.add_months(THIS_MONTH, -1)
    weekdays = [day for day in (last_month + timedelta(days=n) for n in range(31))
                if day.month == last_month.month and day.isoweekday() <= 5]
    # Away all last month; a meal refund already gave back its first three weekdays
    session.add(Refund(contract_id=money.contract.id, child_id=money.child_x.id, kind=RefundKind.meals,
                       period_start=weekdays[0], period_end=weekdays[2], amount_fen=3 * 2000,
                       days=[day.isoformat() for day in weekdays[:3]], requested_on=TODAY,
                       due_on=TODAY + timedelta(days=15), recorded_by_id=money.director.id))
    session.commit()
    assert issue(client, money, month_text(0)).status_code == 303
    fresh(session)
    bill = session.exec(select(Bill).order_by(Bill.id.desc())).first()
    credit = session.exec(select(BillLine).where(BillLine.bill_id == bill.id, BillLine.kind == LineKind.meal_credit)).one()
    assert (credit.quantity, credit.amount_fen) == (len(weekdays) - 3, -(len(weekdays) - 3) * 2000)
    assert credit.detail["params"]["dates"] == [day.isoformat() for day in weekdays[3:]]


# Missed days of November 2026 (all weekdays): Fri 20, Tue 24, Wed 25, Fri 27; and Thu 3 December.
NOV_MISSED = [date(2026, 11, 20), date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 27)]
DEC_MISSED = [date(2026, 12, 3)]


@pytest.fixture
def november(session, world):
    """Child X's contract from 1 November 2026, attending every weekday from November to January but the missed."""
    world.contract = signed_contract(session, world, start_date=date(2026, 11, 1))
    for day in (date(2026, 11, 1) + timedelta(days=n) for n in range(92)):
        if day.isoweekday() <= 5 and day not in NOV_MISSED + DEC_MISSED:
            at = datetime.combine(day, time(8, 0), tzinfo=get_settings().zone)
            session.add(Attendance(child_id=world.child_x.id, room_id=world.room_a.id, on_date=day, check_in_at=at,
                                   check_out_at=at + timedelta(hours=9), brought_by="王妈妈",
                                   checked_in_by_id=world.director.id))
    session.commit()
    return world


def bill_on(client_for, world, morning_clock, on: date, month: str, **extra) -> int:
    """Issue the month's bill as the director on `on` (10:30 local): the new bill's id."""
    morning_clock.move_to(datetime.combine(on, time(10, 30), tzinfo=get_settings().zone))
    response = issue(client_for(world.director), world, month, **extra)
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[-1])


def credited(session, bill_id: int) -> dict[str, list[str]]:
    fresh(session)
    return {line.description: line.detail["params"]["dates"] for line in session.exec(
        select(BillLine).where(BillLine.bill_id == bill_id, BillLine.kind == LineKind.meal_credit)
        .order_by(BillLine.position)).all()}


def isos(days) -> list[str]:
    return [day.isoformat() for day in days]


def test_missed_days_after_an_early_bill_are_credited_on_the_next_bill_whatever_month_it_is_for(
        client_for, november, session, morning_clock):
    bill_on(client_for, november, morning_clock, date(2026, 10, 28), "2026-11")
    december = bill_on(client_for, november, morning_clock, date(2026, 11, 25), "2026-12")
    # made on the 25th: the 25th and 27th had not passed
    assert credited(session, december) == {"2026-11": isos(NOV_MISSED[:2])}
    january = bill_on(client_for, november, morning_clock, date(2026, 12, 28), "2027-01")
    assert credited(session, january) == {"2026-11": isos(NOV_MISSED[2:]), "2026-12": isos(DEC_MISSED)}
    assert session.get(Bill, january).total_fen == 280000 + 21 * 2000 - 3 * 2000  # January: 21 weekdays
    page = client_for(november.director).get(f"/bills/{january}")
    assert "Meals of days not attended, credited" in page.text
    assert "2026-11, days not attended: 11/25/26, 11/27/26" in page.text
    assert "2026-12, days not attended: 12/3/26" in page.text


def test_a_voided_bills_meal_credit_is_credited_again_and_a_meal_refund_is_not(client_for, november, session,
                                                                               morning_clock):
    bill_on(client_for, november, morning_clock, date(2026, 10, 28), "2026-11")
    december = bill_on(client_for, november, morning_clock, date(2026, 11, 25), "2026-12")
    # 25 November given back by a meal refund before the next bill
    session.add(Refund(contract_id=november.contract.id, child_id=november.child_x.id, kind=RefundKind.meals,
                       period_start=date(2026, 11, 25), period_end=date(2026, 11, 25), amount_fen=2000,
                       days=["2026-11-25"], requested_on=date(2026, 11, 30), due_on=date(2026, 12, 15),
                       recorded_by_id=november.director.id))
    session.commit()
    morning_clock.move_to(datetime.combine(date(2026, 12, 1), time(10, 30), tzinfo=get_settings().zone))
    client = client_for(november.director)
    assert client.post(f"/bills/{december}/void", {"reason": "伙食费天数有误"}).status_code == 303
    reissue = bill_on(client_for, november, morning_clock, date(2026, 12, 1), "2026-12", replaces_id=str(december))
    # the voided bill's 20th and 24th again, the 27th now passed; the refunded 25th not
    assert credited(session, reissue) == {"2026-11": isos([NOV_MISSED[0], NOV_MISSED[1], NOV_MISSED[3]])}
    january = bill_on(client_for, november, morning_clock, date(2026, 12, 28), "2027-01")
    assert credited(session, january) == {"2026-12": isos(DEC_MISSED)}


def test_bills_issued_together_credit_each_missed_day_once_between_them(client_for, november, session,
                                                                        morning_clock):
    bill_on(client_for, november, morning_clock, date(2026, 10, 28), "2026-11")
    morning_clock.move_to(datetime.combine(date(2026, 11, 25), time(10, 30), tzinfo=get_settings().zone))
    assert issue(client_for(november.director), november, "2026-12", months="2").status_code == 303
    fresh(session)
    december, january = session.exec(select(Bill.id).where(Bill.period_start >= date(2026, 12, 1))
                                      .order_by(Bill.period_start)).all()
    assert credited(session, december) == {"2026-11": isos(NOV_MISSED[:2])}
    assert credited(session, january) == {}  # the rest of November had not passed either
    february = bill_on(client_for, november, morning_clock, date(2027, 1, 28), "2027-02")
    assert credited(session, february) == {"2026-11": isos(NOV_MISSED[2:]), "2026-12": isos(DEC_MISSED)}


def test_the_bill_preview_takes_the_same_number_of_queries_after_more_months_billed(client_for, november, session,
                                                                                    morning_clock, queries):
    bill_on(client_for, november, morning_clock, date(2026, 10, 28), "2026-11")
    url = f"{new_bill_url(november)}?month=2026-12"
    client = client_for(november.director)
    with queries:
        assert client.get(url).status_code == 200
    one_month = queries.count
    bill_on(client_for, november, morning_clock, date(2026, 11, 25), "2026-12")
    client = client_for(november.director)
    with queries:
        assert client.get(f"{new_bill_url(november)}?month=2027-01").status_code == 200
    assert queries.count == one_month


def test_a_void_reason_of_only_spaces_is_refused_for_bills_and_payments(client_for, billed, session):
    client = client_for(billed.director)
    response = client.post(f"/bills/{billed.bill.id}/void", {"reason": "   "})
    assert response.status_code == 400 and 'id="reason-error"' in response.text
    client.post(f"/contracts/{billed.contract.id}/payments/new", payment_data(billed, amount="100"))
    fresh(session)
    payment = session.exec(select(Payment)).one()
    response = client.post(f"/payments/{payment.id}/void", {"reason": " \t "})
    assert response.status_code == 400 and 'id="reason-error"' in response.text
    fresh(session)
    assert session.get(Bill, billed.bill.id).voided_at is None and session.get(Payment, payment.id).voided_at is None


def test_a_discount_larger_than_the_charges_is_refused_next_to_the_discount(client_for, money, session):
    # Next month: ¥2800.00 care fee + meals; the deposit (¥1000.00) is on this first bill too
    response = issue(client_for(money.director), money, month_text(1), discount="99999", discount_reason="全免")
    assert response.status_code == 400
    assert 'id="discount-error"' in response.text and "more than the bill&#39;s charges" in response.text
    assert count(session, Bill) == 0
    response = issue(client_for(money.director), money, month_text(1), adjustment="-99999", adjustment_reason="退还")
    assert response.status_code == 400 and 'id="adjustment-error"' in response.text
    assert count(session, Bill) == 0


def amend(session, world):
    """Version 2 replaces the contract of child X (version 1 keeps its bills)."""
    enrolment = session.get(Enrolment, world.contract.enrolment_id)
    world.contract.superseded = True
    session.add(world.contract)
    session.flush()
    amended = f.make_contract(session, enrolment, world.director, status=ContractStatus.active, version=2,
                              replaces_id=world.contract.id, start_date=world.contract.start_date,
                              end_date=world.contract.end_date)
    session.commit()
    return amended


def test_a_replaced_version_is_neither_billed_nor_paid_and_points_to_the_current_one(client_for, billed, session):
    amended = amend(session, billed)
    client = client_for(billed.director)
    response = issue(client, billed, month_text(1))
    assert response.status_code == 400 and f"current version, contract #{amended.id}" in response.text
    response = client.post(f"/contracts/{billed.contract.id}/payments/new", payment_data(billed))
    assert response.status_code == 400 and f"current version, contract #{amended.id}" in response.text
    assert count(session, Bill) == 1 and count(session, Payment) == 0
    page = client.get(f"/contracts/{billed.contract.id}").text
    assert "Bill a month" not in page and "Record a payment" not in page
    assert f'href="/contracts/{amended.id}"' in page
    # the old version's bill takes its payment on the current version
    assert f"/contracts/{amended.id}/payments/new" in client.get(f"/bills/{billed.bill.id}").text
    assert issue(client, billed, month_text(1)).status_code == 400
    assert client.post(f"/contracts/{amended.id}/bills/new", {"month": month_text(1)}).status_code == 303
    # voiding the old version's bill reissues it on the current version
    response = client.post(f"/bills/{billed.bill.id}/void", {"reason": "金额有误", "reissue": "on"})
    assert response.headers["location"].startswith(f"/contracts/{amended.id}/bills/new?month={month_text(0)}")


@pytest.fixture
def hourly(session, world):
    """Child X in hourly care (计时托) at ¥30.00 per started hour, no meal fee."""
    from nursery_ops.contracts.models import FeeUnit
    from nursery_ops.enrolment.models import CareType

    world.contract = signed_contract(session, world, care_type=CareType.hourly, care_fee_unit=FeeUnit.hour,
                                     care_fee_fen=3000, meal_fee_per_day_fen=0)
    session.commit()
    return world


def stay_on(session, world, day, hours: int | None):
    at = utcnow().replace(year=day.year, month=day.month, day=day.day, hour=1, minute=0, second=0, microsecond=0)
    row = Attendance(child_id=world.child_x.id, room_id=world.room_a.id, on_date=day, check_in_at=at,
                     check_out_at=at + timedelta(hours=hours) if hours else None, brought_by="王妈妈",
                     checked_in_by_id=world.director.id)
    session.add(row)
    session.commit()
    return row


def test_hourly_days_finished_after_the_months_bill_go_on_a_supplementary_bill(client_for, hourly, session):
    client = client_for(hourly.director)
    first_day, second_day = THIS_MONTH, THIS_MONTH + timedelta(days=1)
    stay_on(session, hourly, first_day, 2)
    open_stay = stay_on(session, hourly, second_day, None)  # no departure time when the month is billed
    assert issue(client, hourly, month_text(0)).status_code == 303
    fresh(session)
    month_bill = session.exec(select(Bill)).one()
    assert month_bill.total_fen == 2 * 3000
    # The departure time is filled in later: the month is billed, but those 3 hours are not
    open_stay = session.get(Attendance, open_stay.id)
    open_stay.check_out_at = open_stay.check_in_at + timedelta(hours=2, minutes=1)
    session.add(open_stay)
    session.commit()
    page = client.get(new_bill_url(hourly) + f"?month={month_text(0)}")
    assert page.status_code == 200 and "supplementary bill" in page.text and month_bill.number in page.text
    assert issue(client, hourly, month_text(0)).status_code == 303
    fresh(session)
    supplement = session.exec(select(Bill).order_by(Bill.id.desc())).first()
    assert supplement.supplements_id == month_bill.id and supplement.total_fen == 3 * 3000
    [line] = session.exec(select(BillLine).where(BillLine.bill_id == supplement.id)).all()
    assert (line.kind, line.quantity) == (LineKind.hourly, 3)
    assert line.detail["params"]["dates"] == [second_day.isoformat()]
    # Nothing is left to bill for the month now
    response = issue(client, hourly, month_text(0))
    assert response.status_code == 400 and "already covers" in response.text
    assert count(session, Bill) == 2


def test_bill_lines_show_their_dates_in_the_readers_language(client_for, billed):
    english = client_for(billed.director).get(f"/bills/{billed.bill.id}").text
    chinese = client_for(billed.director, locale="zh_CN").get(f"/bills/{billed.bill.id}").text
    last = rules.month_end(THIS_MONTH)
    assert f"{THIS_MONTH.year}年{THIS_MONTH.month}月1日 – {last.year}年{last.month}月{last.day}日" in chinese
    assert THIS_MONTH.isoformat() not in chinese.split("bill-lines")[1]
    assert f"{THIS_MONTH.strftime('%b')} 1, {THIS_MONTH.year} – " in english


def test_the_hourly_line_says_the_days_attended_in_words(client_for, hourly, session):
    stay_on(session, hourly, THIS_MONTH, 2)
    page = client_for(hourly.director).get(new_bill_url(hourly) + f"?month={month_text(0)}").text
    assert "days attended: 1" in page and "· 1d" not in page


def test_the_money_report_takes_the_same_number_of_queries_for_more_families(client_for, money, session, queries):
    client = client_for(money.director)
    assert issue(client, money, month_text(0)).status_code == 303
    with queries:
        assert client.get(f"/reports/money?month={month_text(0)}").status_code == 200
    one_family = queries.count
    money.contract = money.contract_y
    assert issue(client, money, month_text(0)).status_code == 303
    for n in range(3):
        child = f.make_child(session, f"孩子{n}")
        enrolment = f.enrol(session, child, money.room_a)
        contract = f.make_contract(session, enrolment, money.director, status=ContractStatus.active,
                                   start_date=THIS_MONTH)
        f.make_refund_bill(session, contract, money.director, THIS_MONTH, rules.month_end(THIS_MONTH),
                           sequence=100 + n)
    session.commit()
    with queries:
        response = client.get(f"/reports/money?month={month_text(0)}")
    assert response.status_code == 200 and "孩子2" in response.text
    assert queries.count == one_family
    # contracts are read for the enrolments with money only, never the whole table
    contract_reads = [statement for statement in queries.statements if "FROM contract JOIN child" in statement]
    assert contract_reads and all("contract.enrolment_id IN" in statement for statement in contract_reads)


def test_the_bill_form_bills_the_contracts_months_per_payment(client_for, money, session):
    money.contract.months_per_payment = 3
    session.add(money.contract)
    session.commit()
    client = client_for(money.director)
    page = client.get(new_bill_url(money) + f"?month={month_text(0)}")
    assert 'name="months"' in page.text and 'value="3"' in page.text and "Issue 3 bills" in page.text
    response = issue(client, money, month_text(0), months="3")
    assert response.status_code == 303 and response.headers["location"] == f"/contracts/{money.contract.id}#contract-money"
    fresh(session)
    bills = session.exec(select(Bill).order_by(Bill.id)).all()
    assert [bill.period_start for bill in bills] == [rules.add_months(THIS_MONTH, n) for n in range(3)]
    assert [bill.number for bill in bills] == [f"{TODAY.year}-{n:06d}" for n in (1, 2, 3)]
    # the deposit on the first only; each a whole month's care fee
    kinds = [session.exec(select(BillLine.kind).where(BillLine.bill_id == bill.id)).all() for bill in bills]
    assert LineKind.deposit in kinds[0] and all(LineKind.deposit not in k for k in kinds[1:])
    assert len(audit_rows(session, "bill_issued")) == 3


def test_billing_more_months_than_three_is_a_prepayment_block(client_for, money, session):
    client = client_for(money.director)
    response = issue(client, money, month_text(0), months="4")
    assert response.status_code == 400 and "one payment may cover at most 3 months" in response.text
    assert count(session, Bill) == 0
    # a month of the run already billed refuses the run
    assert issue(client, money, month_text(1)).status_code == 303
    response = issue(client, money, month_text(0), months="2")
    assert response.status_code == 400 and "already covers" in response.text
    assert count(session, Bill) == 1
