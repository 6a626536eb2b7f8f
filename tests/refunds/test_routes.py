"""Refund and meal-account pages: who may do what, the trace on screen, bad input refused with nothing saved."""

from datetime import date

import pytest
from sqlmodel import Session, select

from nursery_ops.audit import AuditEntry
from nursery_ops.billing.models import MealSpending, PaymentMethod, Refund, RefundKind
from nursery_ops.i18n import Translator
from nursery_ops.templating import environment

WITHDRAWAL = {"requested_on": "2026-05-01", "leaving_on": "2026-03-13", "notice_given_on": "2026-03-13"}


def new_url(money, kind="withdrawal"):
    return f"/contracts/{money.contract.id}/refunds/new?kind={kind}"


def refunds(engine) -> list[Refund]:
    with Session(engine) as session:
        return session.exec(select(Refund)).all()


def make_refund(session, world, money, **fields) -> Refund:
    refund = Refund(contract_id=money.contract.id, child_id=world.child_x.id, kind=fields.pop("kind", RefundKind.deposit),
                    period_start=date(2026, 3, 13), period_end=date(2026, 3, 13), amount_fen=100000,
                    trace=[{"message": "Deposit", "params": {"fee_fen": 100000}, "amount_fen": 100000},
                           {"message": "Damage: {description}", "params": {"description": "床栏损坏"}, "amount_fen": 0}],
                    requested_on=date(2026, 5, 1), due_on=date(2026, 5, 16), recorded_by_id=world.director.id, **fields)
    session.add(refund)
    session.commit()
    return refund


# ---------------------------------------------------------------- a new refund


def test_director_calculates_sees_the_trace_then_confirms(client_for, world, money, engine):
    client = client_for(world.director)
    assert client.get(new_url(money)).status_code == 200
    shown = client.post(new_url(money), {**WITHDRAWAL, "step": "calculate"})
    assert shown.status_code == 200
    assert "2,800.00 × 12 of 22 service days" in shown.text
    assert "4,327.27" in shown.text
    assert refunds(engine) == []  # shown, not saved
    saved = client.post(new_url(money), {**WITHDRAWAL, "step": "confirm"})
    assert saved.status_code == 303
    [refund] = refunds(engine)
    assert saved.headers["location"] == f"/refunds/{refund.id}"
    assert refund.amount_fen == 432727 and refund.due_on == date(2026, 5, 16)
    page = client.get(f"/refunds/{refund.id}")
    assert page.status_code == 200 and "4,327.27" in page.text and "1,527.27" in page.text


@pytest.mark.parametrize("kind", [k.value for k in RefundKind])
def test_every_kind_has_its_form(client_for, world, money, kind):
    assert client_for(world.director).get(new_url(money, kind)).status_code == 200


def test_unknown_kind_is_404(client_for, world, money):
    assert client_for(world.director).get(new_url(money, "bonus")).status_code == 404


def test_a_refund_beyond_what_was_paid_is_refused(client_for, world, money, session, engine):
    money.payment.amount_fen = 100000
    session.add(money.payment)
    session.commit()
    response = client_for(world.director).post(new_url(money), {**WITHDRAWAL, "step": "confirm"})
    assert response.status_code == 400
    assert "1,000.00 left of what was paid" in response.text
    assert refunds(engine) == []


@pytest.mark.parametrize(("amount", "message"), [
    ("-10", "zero or more"), ("10.005", "at most two decimals"), ("ten", "Enter an amount"),
])
def test_bad_damage_amounts(client_for, world, money, engine, amount, message):
    data = {"requested_on": "2026-05-01", "leaving_on": "2026-03-13", "damage_description": "床栏损坏",
            "damage_amount": amount, "step": "confirm"}
    response = client_for(world.director).post(new_url(money, "deposit"), data)
    assert response.status_code == 400 and message in response.text
    assert 'id="damages-error"' in response.text
    assert refunds(engine) == []


def test_deposit_less_damages(client_for, world, money, engine):
    data = {"requested_on": "2026-05-01", "leaving_on": "2026-03-13", "damage_description": "床栏损坏",
            "damage_amount": "300.00", "step": "confirm"}
    assert client_for(world.director).post(new_url(money, "deposit"), data).status_code == 303
    [refund] = refunds(engine)
    assert refund.amount_fen == 70000
    assert refund.trace[1]["params"] == {"description": "床栏损坏"}


def test_missing_and_wrong_dates(client_for, world, money, engine):
    client = client_for(world.director)
    response = client.post(new_url(money, "meals"), {"requested_on": "2026-05-01", "period_start": "2026-03-10",
                                                     "period_end": "2026-03-01", "step": "confirm"})
    assert response.status_code == 400 and "cannot be before the first day" in response.text
    response = client.post(new_url(money), {"requested_on": "2999-01-01", "leaving_on": "2026-03-13",
                                            "notice_given_on": "2026-03-13"})
    assert response.status_code == 400 and "cannot be in the future" in response.text
    assert refunds(engine) == []


def test_sick_leave_needs_the_note(client_for, world, money, engine):
    response = client_for(world.director).post(new_url(money, "sick_leave"), {
        "requested_on": "2026-05-01", "period_start": "2026-03-01", "period_end": "2026-03-31", "step": "confirm"})
    assert response.status_code == 400 and "Name the doctor" in response.text
    assert refunds(engine) == []


@pytest.mark.parametrize("who", ["caregiver_a", "health"])
def test_other_staff_may_not(client_for, world, money, engine, who):
    client = client_for(getattr(world, who))
    assert client.get(new_url(money)).status_code == 403
    assert client.post(new_url(money), {**WITHDRAWAL, "step": "confirm"}).status_code == 403
    assert client.get("/reports/meals").status_code == 403
    assert refunds(engine) == []


def test_parents_may_not_make_refunds(client_for, world, money, engine):
    assert client_for(world.parent_x).get(new_url(money)).status_code == 403
    assert client_for(world.parent_x).post(new_url(money), {**WITHDRAWAL, "step": "confirm"}).status_code == 403


def test_anonymous_goes_to_login(anonymous, money, session, world):
    refund = make_refund(session, world, money)
    for url in (new_url(money), f"/refunds/{refund.id}", "/reports/meals"):
        response = anonymous.get(url)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")


# ---------------------------------------------------------------- one refund


def test_the_guardian_reads_the_trace_other_parents_get_404(client_for, world, money, session):
    refund = make_refund(session, world, money)
    page = client_for(world.parent_x).get(f"/refunds/{refund.id}")
    assert page.status_code == 200 and "床栏损坏" in page.text
    assert "Record the payment" not in page.text
    assert client_for(world.parent_y).get(f"/refunds/{refund.id}").status_code == 404
    assert client_for(world.parent_y).get("/refunds/99999").status_code == 404
    assert client_for(world.caregiver_a).get(f"/refunds/{refund.id}").status_code == 403


def test_mark_paid(client_for, world, money, session, engine):
    refund = make_refund(session, world, money)
    client = client_for(world.director)
    bad = client.post(f"/refunds/{refund.id}/paid", {"paid_on": "2026-05-10", "method": "gold"})
    assert bad.status_code == 400 and "Choose one of the options" in bad.text
    assert client_for(world.parent_x).post(f"/refunds/{refund.id}/paid",
                                           {"paid_on": "2026-05-10", "method": "cash"}).status_code == 403
    response = client.post(f"/refunds/{refund.id}/paid",
                           {"paid_on": "2026-05-10", "method": "wechat_pay", "reference": "4200001"})
    assert response.status_code == 303
    [saved] = refunds(engine)
    assert saved.paid_on == date(2026, 5, 10) and saved.method is PaymentMethod.wechat_pay
    again = client.post(f"/refunds/{refund.id}/paid", {"paid_on": "2026-05-11", "method": "cash"})
    assert again.status_code == 400 and "paid already" in again.text
    with Session(engine) as check:
        assert check.exec(select(AuditEntry).where(AuditEntry.action == "refund_paid")).one()


def test_void_needs_a_reason(client_for, world, money, session, engine):
    refund = make_refund(session, world, money)
    client = client_for(world.director)
    assert client.post(f"/refunds/{refund.id}/void", {"reason": ""}).status_code == 400
    assert refunds(engine)[0].voided_at is None
    assert client.post(f"/refunds/{refund.id}/void", {"reason": "entered twice"}).status_code == 303
    assert refunds(engine)[0].void_reason == "entered twice"


# ---------------------------------------------------------------- the meal account


def spendings(engine) -> list[MealSpending]:
    with Session(engine) as session:
        return session.exec(select(MealSpending)).all()


def test_meal_account_page(client_for, world, money, engine):
    client = client_for(world.director)
    page = client.get("/reports/meals?semester=2026-spring")
    assert page.status_code == 200 and "2026-03" in page.text and "440.00" in page.text
    response = client.post("/reports/meals/spending", {"month": "2026-03", "amount": "430.50", "note": "菜场",
                                                       "semester": "2026-spring"})
    assert response.status_code == 303
    assert response.headers["location"] == "/reports/meals?semester=2026-spring"
    [row] = spendings(engine)
    assert row.amount_fen == 43050
    assert "9.50" in client.get("/reports/meals?semester=2026-spring").text
    assert client.post(f"/reports/meals/spending/{row.id}/void", {"reason": ""}).status_code == 400
    assert client.post(f"/reports/meals/spending/{row.id}/void", {"reason": "wrong month"}).status_code == 303
    assert spendings(engine)[0].void_reason == "wrong month"


@pytest.mark.parametrize(("amount", "message"), [
    ("-5", "zero or more"), ("5.001", "at most two decimals"), ("0", "more than zero"),
])
def test_meal_spending_bad_amounts(client_for, world, engine, amount, message):
    response = client_for(world.director).post("/reports/meals/spending", {"month": "2026-03", "amount": amount})
    assert response.status_code == 400 and message in response.text
    assert spendings(engine) == []


def test_unknown_semester_is_404(client_for, world):
    assert client_for(world.director).get("/reports/meals?semester=soon").status_code == 404


# ---------------------------------------------------------------- the contract page's section


def test_contract_refunds_partial(session, world, money):
    from nursery_ops.refunds.service import contract_refunds

    refund = make_refund(session, world, money)

    class Me:
        def has(self, *roles):
            return "director" in roles

    t = Translator("en")
    html = environment.get_template("refunds/_contract_refunds.html").render(
        contract=money.contract, refunds=contract_refunds(session, money.contract), me=Me(), t=t, _=t.gettext,
        today=date(2026, 6, 1))
    assert f'href="/refunds/{refund.id}"' in html and "Late" in html
    assert f"/contracts/{money.contract.id}/refunds/new?kind=sick_leave" in html


def test_meal_account_csv(client_for, world, money):
    response = client_for(world.director).get("/reports/meals.csv?semester=2026-spring")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Month,Meal income,Food spending,Surplus / deficit"
    assert lines[1] == "2026-03,440.00,0.00,440.00"
    assert lines[-1] == "Semester,880.00,0.00,880.00"
    assert client_for(world.caregiver_a).get("/reports/meals.csv").status_code == 403


def test_a_late_refund_is_a_warning_on_the_director_dashboard(client_for, world, money, session):
    from nursery_ops.billing.models import Refund, RefundKind

    session.add(Refund(contract_id=money.contract.id, child_id=world.child_x.id, kind=RefundKind.deposit,
                       period_start=date(2026, 3, 1), period_end=date(2026, 3, 31), amount_fen=100000,
                       requested_on=date(2026, 4, 1), due_on=date(2026, 4, 16), recorded_by_id=world.director.id))
    session.commit()
    page = client_for(world.director).get("/director").text
    assert 'href="/reports/money#refunds"' in page and "No alerts." not in page


def test_a_refund_trace_reads_in_chinese_with_chinese_dates_and_yuan(client_for, world, money, engine):
    assert client_for(world.director).post(new_url(money), {**WITHDRAWAL, "step": "confirm"}).status_code == 303
    [refund] = refunds(engine)
    page = client_for(world.parent_x, locale="zh_CN").get(f"/refunds/{refund.id}")
    assert page.status_code == 200
    text = page.text
    assert "计算过程" in text
    assert "2026年3月13日 离园；2026年3月13日 提出，提前通知期 0 天：托育费自 2026年3月14日 起退还。" in text
    assert "账单 2026-000001，2026年3月1日–2026年3月31日：托育费 ¥2,800.00 × 22 个服务日中的 12 日" in text
    assert "¥1,527.27" in text and "¥4,327.27" in text
    assert "Leaving on" not in text and "service days" not in text


def test_a_replaced_version_offers_no_refund_and_links_to_the_current_version(client_for, world, money, session):
    from nursery_ops.contracts.models import ContractStatus
    from nursery_ops.enrolment.models import Enrolment
    from tests import factories as f

    refund = make_refund(session, world, money)
    money.contract.superseded = True
    session.add(money.contract)
    session.flush()
    version_2 = f.make_contract(session, session.get(Enrolment, money.contract.enrolment_id), world.director,
                                status=ContractStatus.active, version=2, replaces_id=money.contract.id,
                                start_date=money.contract.start_date, end_date=money.contract.end_date)
    session.commit()
    client = client_for(world.director)
    old = client.get(f"/contracts/{money.contract.id}").text
    assert f'href="/contracts/{version_2.id}"' in old and "This version has been replaced." in old
    for action in ("/refunds/new", "/bills/new", "/payments/new"):
        assert f"/contracts/{money.contract.id}{action}" not in old
    current = client.get(f"/contracts/{version_2.id}").text
    assert f"/contracts/{version_2.id}/refunds/new?kind=withdrawal" in current
    assert f'href="/refunds/{refund.id}"' in current  # version 1's refund is listed on the current version
    response = client.post(new_url(money), {**WITHDRAWAL, "step": "confirm"})
    assert response.status_code == 400 and f"contract #{version_2.id}" in response.text


def test_damage_rows_keep_their_places_when_a_row_is_left_empty(client_for, world, money, engine):
    client = client_for(world.director)
    data = {"requested_on": "2026-05-01", "leaving_on": "2026-03-13", "step": "confirm",
            "damage_description": ["床栏损坏", "", ""], "damage_amount": ["", "", "300.00"]}
    response = client.post(new_url(money, "deposit"), data)
    assert response.status_code == 400 and "Give each damage a description and an amount." in response.text
    assert refunds(engine) == []
    data.update(damage_description=["床栏损坏", "", "玩具"], damage_amount=["100.00", "", "50.00"])
    assert client.post(new_url(money, "deposit"), data).status_code == 303
    [refund] = refunds(engine)
    assert refund.amount_fen == 100000 - 10000 - 5000
