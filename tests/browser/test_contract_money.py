"""The director's money work in a real browser (issue 6): contract → sign → bill → payment → withdrawal refund.

A waitlisted demo child (戴子宸, full-day Monday to Friday) is placed in a room from today, so the record
offers "Write the fee contract". The draft is refused signature while it says 概不退款; without it, it is
signed. Next month is billed (care fee + meals per service day), paid in cash, and then the family
withdraws in the middle of that month: the refund is the care fee of the month's remaining service days,
shown line by line, and the contract's ledger credits it. Confirming the withdrawal ends the contract on
the leaving day, so the month after it can no longer be billed.

Expected amounts are worked out here by hand from the calendar (Monday–Friday less the demo's closed
days), not by the app's own functions.
"""

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from nursery_ops.clock import local_today
from tests.browser.conftest import sign_in

CHILD = "戴子宸"
ROOM = "小太阳"
CARE_FEE_FEN = 280_000  # 2800.00 yuan a month
MEAL_FEE_FEN = 2_000  # 20.00 yuan a scheduled day
FORBIDDEN = "概不退款"


def shown(fen: int) -> str:
    """An amount as the English pages show it, without the currency sign: 280000 → "2,800.00"."""
    return f"{fen // 100:,}.{fen % 100:02d}"


def next_month(today: date) -> date:
    return date(today.year + (today.month == 12), today.month % 12 + 1, 1)


def month_end(first: date) -> date:
    return next_month(first) - timedelta(days=1)


def service_days(start: date, end: date, today: date) -> int:
    """Monday to Friday, less the demo calendar's closed days (next 元旦; the repair day lies in the past)."""
    closed = {date(today.year + 1, 1, 1)}
    count, day = 0, start
    while day <= end:
        count += day.isoweekday() <= 5 and day not in closed
        day += timedelta(days=1)
    return count


def contract_id_of(url: str) -> int:
    return int(re.search(r"/contracts/(\d+)", url).group(1))


# The director's money work is done at tablet or desktop size.
@pytest.mark.parametrize("viewport", ["tablet"])
def test_contract_sign_bill_pay_and_withdrawal_refund(page, problems, viewport):
    today = local_today()
    sign_in(page, "director")

    # --- Place the waitlisted child in a room from today: the record then offers a fee contract.
    page.goto("/children")
    page.fill("#f-q", CHILD)
    expect(page.locator("#children-results tbody tr")).to_have_count(1)
    page.locator("#children-results a", has_text=CHILD).click()
    page.wait_for_url(re.compile(r"/children/\d+$"))
    child_url = page.url
    expect(page.get_by_role("link", name="Write the fee contract")).to_have_count(0)  # waitlisted: no contract yet

    page.get_by_role("link", name="Place in a room").click()
    page.wait_for_url(re.compile(r"/enrolments/\d+/place"))
    room = page.locator("#f-room_id option", has_text=ROOM).get_attribute("value")
    page.select_option("#f-room_id", room)
    page.fill("#f-start_date", today.isoformat())
    page.get_by_role("button", name="Place", exact=True).click()
    page.wait_for_url(f"{child_url}#enrolment-panel")
    expect(page.locator("#enrolment-panel")).to_contain_text(ROOM)

    # --- The draft: prefilled from the enrolment; the director types the fees and (wrongly) 概不退款.
    page.get_by_role("link", name="Write the fee contract").click()
    page.wait_for_url(re.compile(r"/children/\d+/contracts/new$"))
    expect(page.locator("#f-start_date")).to_have_value(today.isoformat())
    expect(page.locator("#f-care_type")).to_have_value("full_day")
    expect(page.locator("#f-room_type")).to_have_value("older")
    assert page.locator("#f-hours").input_value().strip() != ""
    assert page.locator("#f-dispute_resolution").input_value().strip() != ""
    expect(page.locator("input[name=refund_withdrawal_pro_rata]")).to_be_checked()
    expect(page.locator("#f-withdrawal_notice_days")).to_have_value("0")
    page.fill("#f-care_fee", "2800.00")
    page.fill("#f-meal_fee_per_day", "20.00")
    page.fill("#f-other_terms", f"学费一经缴纳，{FORBIDDEN}。")
    page.get_by_role("button", name="Save the draft").click()
    page.wait_for_url(re.compile(r"/contracts/\d+$"))
    contract_url = page.url
    contract_id = contract_id_of(contract_url)
    expect(page.locator("h1")).to_contain_text(f"Fee contract #{contract_id}: {CHILD}")
    expect(page.locator("h1 .badge")).to_have_text("Draft")
    expect(page.locator(".alert-block")).to_contain_text(f"\u201c{FORBIDDEN}\u201d")

    # --- Signing is BLOCKED while the text refuses refunds, quoting the phrase; nothing is signed.
    page.get_by_role("link", name="Record signatures").click()
    page.wait_for_url(f"{contract_url}/sign")
    mother_option = page.locator("#f-guardian_id option", has_text="(母亲)")
    page.select_option("#f-guardian_id", mother_option.get_attribute("value"))
    expect(page.locator("#f-guardian_signed_on")).to_have_value(today.isoformat())
    expect(page.locator("#f-director_signed_on")).to_have_value(today.isoformat())
    page.get_by_role("button", name="Record the signatures").click()
    page.wait_for_load_state()
    blocked = page.locator(".alert-block", has_text="This contract cannot be signed")
    expect(blocked).to_contain_text(f"\u201c{FORBIDDEN}\u201d")
    assert "/sign" in page.url
    page.goto(contract_url)
    expect(page.locator("h1 .badge")).to_have_text("Draft")
    expect(page.get_by_text("Not signed yet.")).to_be_visible()

    # --- The clause removed, the draft signs; it is in force from today.
    page.get_by_role("link", name="Edit the draft").click()
    page.wait_for_url(f"{contract_url}/edit")
    expect(page.locator("#f-care_fee")).to_have_value("2800.00")
    page.fill("#f-other_terms", "")
    page.get_by_role("button", name="Save the draft").click()
    page.wait_for_url(contract_url)
    expect(page.locator(".alert-block")).to_have_count(0)

    page.get_by_role("link", name="Record signatures").click()
    page.wait_for_url(f"{contract_url}/sign")
    mother_option = page.locator("#f-guardian_id option", has_text="(母亲)")
    mother = mother_option.inner_text().split(" (")[0]
    page.select_option("#f-guardian_id", mother_option.get_attribute("value"))
    page.get_by_role("button", name="Record the signatures").click()
    page.wait_for_url(contract_url)
    expect(page.locator("h1 .badge")).to_have_text("Active")
    expect(page.locator(".facts", has_text="Guardian")).to_contain_text(mother)
    expect(page.get_by_role("link", name="Record signatures")).to_have_count(0)
    money = page.locator("#contract-money")
    expect(money).to_contain_text("No bills yet.")

    # --- Bill next month: preview, then issue. Care fee in full, meals for every service day.
    month = next_month(today)
    days = service_days(month, month_end(month), today)
    bill_total = CARE_FEE_FEN + days * MEAL_FEE_FEN
    money.get_by_role("link", name="Bill a month").click()
    page.wait_for_url(f"{contract_url}/bills/new")
    page.fill("#f-month", month.strftime("%Y-%m"))
    page.get_by_role("button", name="Preview").click()
    page.wait_for_url(re.compile(rf"/bills/new\?.*month={month:%Y-%m}"))
    preview = page.locator("table.bill-lines")
    expect(page.locator("#form-bill h2")).to_contain_text("Preview")
    expect(preview.locator("tr.line-care_fee")).to_contain_text(shown(CARE_FEE_FEN))
    expect(preview.locator("tr.line-meal_fee")).to_contain_text(f"{days} × CN¥{shown(MEAL_FEE_FEN)}")
    expect(preview.locator("tr.line-meal_fee")).to_contain_text(shown(days * MEAL_FEE_FEN))
    expect(preview.locator("tfoot")).to_contain_text(shown(bill_total))
    page.get_by_role("button", name="Issue the bill").click()
    page.wait_for_url(re.compile(r"/bills/\d+$"))
    heading = page.locator("h1").inner_text()
    bill_number = re.search(r"\d{4}-\d{6}", heading).group(0)
    assert heading.startswith("Bill (收费单)")
    expect(page.locator("table.bill-lines tfoot")).to_contain_text(shown(bill_total))

    page.goto(contract_url)
    money = page.locator("#contract-money")
    expect(money.locator("table.cards").first).to_contain_text(bill_number)
    expect(money.locator(".balance")).to_contain_text("Balance due")
    expect(money.locator(".balance dd")).to_contain_text(shown(bill_total))

    # --- A cash payment of what is due: a receipt, and the balance falls to nothing.
    money.get_by_role("link", name="Record a payment").click()
    page.wait_for_url(f"{contract_url}/payments/new")
    expect(page.locator("#f-amount")).to_have_value(f"{bill_total // 100}.{bill_total % 100:02d}")
    page.select_option("#f-method", "cash")
    page.get_by_role("button", name="Record the payment").click()
    page.wait_for_url(re.compile(r"/payments/\d+$"))
    receipt_number = re.search(r"R\d{4}-\d{6}", page.locator("main").inner_text()).group(0)
    expect(page.locator("main")).to_contain_text(shown(bill_total))

    page.goto(contract_url)
    money = page.locator("#contract-money")
    expect(money.locator(".balance dd")).to_contain_text(shown(0))
    expect(money.locator(".money-summary")).to_contain_text(shown(bill_total))  # paid
    ledger = money.locator("table.ledger")
    expect(ledger.locator("tbody tr")).to_have_count(2)
    expect(ledger).to_contain_text(bill_number)
    expect(ledger).to_contain_text(receipt_number)

    # --- The family withdraws on the 14th of the month paid for: Calculate shows the trace, Confirm saves it.
    leaving = month.replace(day=14)
    remaining = service_days(leaving + timedelta(days=1), month_end(month), today)
    refund_fen = (2 * CARE_FEE_FEN * remaining + days) // (2 * days)  # care fee × remaining / days, halves up
    expect(page.locator(".contract-refunds")).to_contain_text("No refunds.")
    page.locator(".contract-refunds").get_by_role("link", name="Withdrawal (unused prepaid care fee)").click()
    page.wait_for_url(f"{contract_url}/refunds/new?kind=withdrawal")
    expect(page.locator("h1")).to_contain_text(f"New refund: {CHILD}")
    page.fill("#f-requested_on", today.isoformat())
    page.fill("#f-leaving_on", leaving.isoformat())
    page.fill("#f-notice_given_on", today.isoformat())
    page.get_by_role("button", name="Calculate").click()
    page.wait_for_load_state()
    trace = page.locator("table.refund-trace")
    expect(trace.locator("tbody tr")).to_have_count(2)
    expect(trace.locator("tbody tr").first).to_contain_text("Leaving on")
    bill_line = trace.locator("tbody tr").nth(1)
    expect(bill_line).to_contain_text(f"Bill {bill_number}")
    expect(bill_line).to_contain_text(f"{remaining} of {days} service days")
    expect(bill_line).to_contain_text(shown(refund_fen))
    expect(trace.locator("tfoot")).to_contain_text(shown(refund_fen))
    confirm = page.get_by_role("button", name=re.compile(r"Confirm and record the refund"))
    expect(confirm).to_contain_text(shown(refund_fen))
    confirm.click()
    page.wait_for_url(re.compile(r"/refunds/\d+$"))
    refund_id = int(re.search(r"/refunds/(\d+)", page.url).group(1))

    expect(page.locator("h1")).to_contain_text(f"Refund #{refund_id}: {CHILD}")
    expect(page.locator("h1 .badge")).to_have_text("Due")
    saved = page.locator("table.refund-trace")
    expect(saved.locator("tbody tr")).to_have_count(2)
    expect(saved).to_contain_text(f"Bill {bill_number}")
    expect(saved).to_contain_text(f"{remaining} of {days} service days")
    expect(saved.locator("tfoot")).to_contain_text(shown(refund_fen))

    # --- The contract's ledger credits the refund: the nursery now owes it.
    page.get_by_role("link", name="Back to the contract").click()
    page.wait_for_url(contract_url)
    money = page.locator("#contract-money")
    ledger = money.locator("table.ledger")
    expect(ledger.locator("tbody tr")).to_have_count(3)
    refund_row = ledger.locator("tbody tr", has_text=f"#{refund_id}")
    expect(refund_row).to_contain_text("Refund credited")
    expect(refund_row).to_contain_text(shown(refund_fen))
    expect(money.locator(".balance dt")).to_have_text("The nursery owes")
    expect(money.locator(".balance dd")).to_contain_text(shown(refund_fen))
    refunds = page.locator(".contract-refunds tbody tr")
    expect(refunds).to_have_count(1)
    expect(refunds).to_contain_text(f"#{refund_id} · Withdrawal")
    expect(refunds).to_contain_text(shown(refund_fen))

    # --- The confirmed withdrawal ended the contract on the leaving day: the month after is not billed.
    expect(page.get_by_role("heading", name="Ended early")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Withdrawal (the withdrawal refund was confirmed)")
    after = next_month(month)
    page.goto(f"{contract_url}/bills/new?month={after:%Y-%m}")
    expect(page.locator("#month-error")).to_contain_text("does not include")
    expect(page.get_by_role("button", name="Issue the bill")).to_have_count(0)

    # The refused signature came back as 400, which the browser logs; nothing else went wrong.
    assert problems.outside_requests == []
    assert [error for error in problems.console_errors if "status of 400" not in error] == []
