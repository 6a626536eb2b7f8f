"""Bills (preview, issue, view/print, void and reissue), payments and receipts, the monthly money report.

The director does the money; a guardian of the child reads their own bills and receipts (404 for
other families, 403 for other staff: `contracts.service.contract_for_view`).
"""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import MultiDict

from nursery_ops.auth.access import DbSession, Director, SignedIn
from nursery_ops.billing import reports, rules, service
from nursery_ops.billing.forms import (
    KIND_LABELS,
    METHOD_LABELS,
    NOT_A_MONTH,
    BillForm,
    PaymentForm,
    VoidForm,
)
from nursery_ops.billing.models import Bill, Payment, PaymentMethod
from nursery_ops.children.models import Child
from nursery_ops.clock import local_today, utcnow
from nursery_ops.contracts.service import director_contract, replacing_version, versions
from nursery_ops.errors import NotFound
from nursery_ops.forms import Refused, echo, parse_form
from nursery_ops.policy import load_policy
from nursery_ops.templating import render, translator_for
from nursery_ops.spreadsheet import csv_download, csv_refused

router = APIRouter()


def _shown(request: Request) -> dict:
    t = translator_for(request)
    return {"kind_labels": KIND_LABELS, "method_labels": METHOD_LABELS, "fen_text": rules.fen_text,
            "line_text": lambda line: service.line_text(line, t)}


# ---------------------------------------------------------------- a month's bill


def _bill_page(request, session, contract, form: dict, errors: dict, shown=None, status_code: int = 200):
    context = {
        "contract": contract, "child": session.get(Child, contract.child_id), "form": form, "errors": errors,
        "preview": shown, **_shown(request),
    }
    return render(request, "billing/new.html", context, status_code=status_code, block="form")


@router.get("/contracts/{contract_id}/bills/new")
def new_bill(request: Request, session: DbSession, me: Director, contract_id: int):
    contract = director_contract(session, contract_id)
    # Bills go out in advance: next month unless the director asks for another, for as many months as the
    # contract's payment schedule asks to be paid at a time.
    form = {"month": rules.add_months(local_today().replace(day=1), 1).strftime("%Y-%m"),
            "months": str(contract.months_per_payment), **request.query_params}
    data, errors = parse_form(BillForm, MultiDict(form))
    shown = service.preview(session, contract, data, local_today(), load_policy(session)) if data else None
    if shown is not None:
        errors = shown.refusals
    return _bill_page(request, session, contract, form, errors, shown)


@router.post("/contracts/{contract_id}/bills/new")
async def issue_bill(request: Request, session: DbSession, me: Director, contract_id: int):
    contract = director_contract(session, contract_id)
    form = await request.form()
    data, errors = parse_form(BillForm, form)
    shown = None
    if data is not None:
        try:
            bills = service.issue_bills(session, me, contract, data, utcnow(), load_policy(session))
            url = f"/bills/{bills[0].id}" if len(bills) == 1 else f"/contracts/{contract.id}#contract-money"
            return RedirectResponse(url, status_code=303)
        except Refused as refused:
            session.rollback()
            errors = refused.errors
            shown = service.preview(session, contract, data, local_today(), load_policy(session))
    return _bill_page(request, session, contract, echo(form), errors, shown, 400)


def _in_force(session, contract):
    """The version money is taken on: the one that replaced `contract`, or `contract` itself."""
    return (replacing_version(contract, versions(session, contract)) if contract.superseded else None) or contract


@router.get("/bills/{bill_id}")
def bill_page(request: Request, session: DbSession, me: SignedIn, bill_id: int):
    bill, contract = service.bill_for_view(session, me, bill_id)
    context = {
        "bill": bill, "contract": contract, "child": session.get(Child, bill.child_id),
        "supplements": session.get(Bill, bill.supplements_id) if bill.supplements_id else None,
        # Payments are recorded on the version in force, also for a bill of a version since replaced.
        "paying_contract": _in_force(session, contract),
        "lines": service.lines_of(session, [bill.id])[bill.id],
        "replaced_by": service.replacement_of(session, bill.id),
        "people": service.names(session, {bill.issued_by_id, bill.voided_by_id}), **_shown(request),
    }
    return render(request, "billing/bill.html", context)


def _void_page(request, session, bill: Bill, form: dict, errors: dict, status_code: int = 200):
    context = {"bill": bill, "child": session.get(Child, bill.child_id), "form": form, "errors": errors}
    return render(request, "billing/void.html", context, status_code=status_code, block="form")


def _director_bill(session, bill_id: int) -> Bill:
    bill = session.get(Bill, bill_id)
    if bill is None:
        raise NotFound()
    return bill


@router.get("/bills/{bill_id}/void")
def void_page(request: Request, session: DbSession, me: Director, bill_id: int):
    return _void_page(request, session, _director_bill(session, bill_id), {"reissue": "on"}, {})


@router.post("/bills/{bill_id}/void")
async def void_bill(request: Request, session: DbSession, me: Director, bill_id: int):
    bill = _director_bill(session, bill_id)
    form = await request.form()
    data, errors = parse_form(VoidForm, form)
    if data is not None:
        try:
            service.void_bill(session, me, bill, data.reason, utcnow())
            if data.reissue:
                month = bill.period_start.strftime("%Y-%m")
                contract = _in_force(session, director_contract(session, bill.contract_id))
                return RedirectResponse(f"/contracts/{contract.id}/bills/new?month={month}&replaces_id={bill.id}",
                                        status_code=303)
            return RedirectResponse(f"/bills/{bill.id}", status_code=303)
        except Refused as refused:
            session.rollback()
            errors = refused.errors
    return _void_page(request, session, bill, echo(form), errors, 400)


# ---------------------------------------------------------------- payments and receipts


def _payment_page(request, session, contract, form: dict, errors: dict, blocks=(), status_code: int = 200):
    money = service.contract_money(session, contract)
    context = {
        "contract": contract, "child": session.get(Child, contract.child_id), "money": money, "form": form,
        "errors": errors, "blocks": list(blocks), "staff": service.staff_choices(session),
        "methods": [(method.value, translator_for(request).gettext(METHOD_LABELS[method])) for method in PaymentMethod],
        "bills": [(row.bill.id, row.bill.number) for row in money.bills
                  if row.bill.voided_at is None and row.outstanding_fen > 0],
        **_shown(request),
    }
    return render(request, "billing/payment.html", context, status_code=status_code, block="form")


@router.get("/contracts/{contract_id}/payments/new")
def new_payment(request: Request, session: DbSession, me: Director, contract_id: int):
    contract = director_contract(session, contract_id)
    money = service.contract_money(session, contract)
    form = {"paid_on": local_today().isoformat(), "method": PaymentMethod.cash.value,
            "received_by_id": str(me.person.id), "amount": rules.fen_text(money.due_fen) if money.due_fen else ""}
    return _payment_page(request, session, contract, form, {})


@router.post("/contracts/{contract_id}/payments/new")
async def record_payment(request: Request, session: DbSession, me: Director, contract_id: int):
    contract = director_contract(session, contract_id)
    form = await request.form()
    data, errors = parse_form(PaymentForm, form)
    blocks = []
    if data is not None:
        try:
            payment = service.record_payment(session, me, contract, data, utcnow(), load_policy(session))
            return RedirectResponse(f"/payments/{payment.id}", status_code=303)
        except Refused as refused:
            session.rollback()
            errors = refused.errors
            blocks = getattr(refused, "blocks", [])
    return _payment_page(request, session, contract, echo(form), errors, blocks, 400)


def _director_payment(session, payment_id: int) -> Payment:
    payment = session.get(Payment, payment_id)
    if payment is None:
        raise NotFound()
    return payment


def _payment_void_page(request, session, payment: Payment, form: dict, errors: dict, status_code: int = 200):
    context = {"payment": payment, "child": session.get(Child, payment.child_id), "form": form, "errors": errors,
               **_shown(request)}
    return render(request, "billing/payment_void.html", context, status_code=status_code, block="form")


@router.get("/payments/{payment_id}/void")
def payment_void_page(request: Request, session: DbSession, me: Director, payment_id: int):
    return _payment_void_page(request, session, _director_payment(session, payment_id), {}, {})


@router.post("/payments/{payment_id}/void")
async def void_payment(request: Request, session: DbSession, me: Director, payment_id: int):
    payment = _director_payment(session, payment_id)
    form = await request.form()
    data, errors = parse_form(VoidForm, form)
    if data is not None:
        try:
            service.void_payment(session, me, payment, data.reason, utcnow())
            return RedirectResponse(f"/payments/{payment.id}", status_code=303)
        except Refused as refused:
            session.rollback()
            errors = refused.errors
    return _payment_void_page(request, session, payment, echo(form), errors, 400)


@router.get("/payments/{payment_id}")
def receipt(request: Request, session: DbSession, me: SignedIn, payment_id: int):
    payment, contract = service.payment_for_view(session, me, payment_id)
    context = {
        "payment": payment, "contract": contract, "child": session.get(Child, payment.child_id),
        "bill": session.get(Bill, payment.bill_id) if payment.bill_id else None,
        "people": service.names(session, {payment.received_by_id}), **_shown(request),
    }
    return render(request, "billing/receipt.html", context)


# ---------------------------------------------------------------- the monthly money report


@router.get("/reports/money")
def money_report(request: Request, session: DbSession, me: Director, month: str | None = None):
    chosen = rules.parse_month(month) if month else local_today().replace(day=1)
    errors = {} if chosen else {"month": NOT_A_MONTH}
    report = service.money_report(session, chosen, local_today()) if chosen else None
    context = {"report": report, "form": {"month": month or chosen.strftime("%Y-%m")}, "errors": errors,
               **_shown(request)}
    return render(request, "billing/report.html", context, status_code=200 if chosen else 400)


@router.get("/reports/money.csv")
def money_report_csv(request: Request, session: DbSession, me: Director, month: str = "", report: str = "income"):
    chosen = rules.parse_month(month)
    if chosen is None or report not in reports.CSV_REPORTS:
        return csv_refused("Give month=YYYY-MM and report=" + "|".join(reports.CSV_REPORTS))
    money = service.money_report(session, chosen, local_today())
    rows = reports.csv_rows(money, report, translator_for(request).gettext)
    return csv_download(rows, f"money-{report}-{chosen.strftime('%Y-%m')}.csv")
