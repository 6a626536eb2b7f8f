"""Refunds (director; a guardian reads their child's) and the meal account (director).

A refund is calculated and shown with its trace first; the director confirms, and the service
recalculates before saving. Refused input re-renders the form (400); nothing is saved then.
"""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from nursery_ops.auth.access import DbSession, Director, SignedIn
from nursery_ops.billing.models import RefundKind
from nursery_ops.clock import local_today
from nursery_ops.errors import NotFound
from nursery_ops.forms import ReasonForm, Refused, echo, parse_form
from nursery_ops.policy import load_policy
from nursery_ops.refunds import service
from nursery_ops.refunds.forms import (
    KIND_LABELS,
    METHOD_LABELS,
    PaidForm,
    RefundForm,
    SpendingForm,
)
from nursery_ops.templating import render, translator_for
from nursery_ops.spreadsheet import csv_download

router = APIRouter()

DAMAGE_ROWS = 3
LISTS = ("damage_description", "damage_amount")


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _kind(kind: str) -> RefundKind:
    if kind not in RefundKind.__members__:
        raise NotFound()
    return RefundKind(kind)


def _errors(request: Request, errors: dict) -> dict:
    t = translator_for(request)
    return {key: service.shown_error(value, t) for key, value in errors.items()}


# ---------------------------------------------------------------- a new refund


def _new_page(request, session, contract, kind, form, errors, proposal=None, status_code=200):
    t = translator_for(request)
    context = {
        "contract": contract, "child": service.child_of(session, contract), "kind": kind, "kind_labels": KIND_LABELS,
        "form": form, "errors": _errors(request, errors), "proposal": proposal,
        "trace": service.trace_view(proposal.calculation.trace_json(), t) if proposal else [],
        "block": service.shown_error(proposal.block, t) if proposal and proposal.block else None,
        "paid_fen": service.paid_fen(session, contract.id), "refunded_fen": service.refunded_fen(session, contract.id),
        "damage_rows": DAMAGE_ROWS, "refund_due_days": load_policy(session).refund_due_days,
    }
    return render(request, "refunds/new.html", context, status_code=status_code)


@router.get("/contracts/{contract_id}/refunds/new")
def new_page(request: Request, session: DbSession, me: Director, contract_id: int, kind: str = "withdrawal"):
    contract = service.director_contract(session, contract_id)
    today = local_today().isoformat()
    form = {"requested_on": today, "leaving_on": today, "notice_given_on": today}
    return _new_page(request, session, contract, _kind(kind), form, {})


@router.post("/contracts/{contract_id}/refunds/new")
async def create(request: Request, session: DbSession, me: Director, contract_id: int, kind: str = "withdrawal"):
    contract = service.director_contract(session, contract_id)
    refund_kind = _kind(kind)
    form = await request.form()
    shown = echo(form, LISTS)
    data, errors = parse_form(RefundForm, form)
    if errors:
        return _new_page(request, session, contract, refund_kind, shown, errors, status_code=400)
    today = local_today()
    try:
        if form.get("step") == "confirm":
            refund = service.create_refund(session, me, contract, refund_kind, data, today,
                                           load_policy(session).refund_due_days)
            return _redirect(f"/refunds/{refund.id}")
        proposal = service.calculate(session, contract, refund_kind, data, today)
    except Refused as refused:
        session.rollback()
        return _new_page(request, session, contract, refund_kind, shown, refused.errors, status_code=400)
    return _new_page(request, session, contract, refund_kind, shown, {}, proposal,
                     status_code=400 if proposal.block else 200)


# ---------------------------------------------------------------- one refund


def _detail(request, session, me, refund, contract, form=None, errors=None, status_code=200):
    context = {
        "refund": refund, "contract": contract, "child": service.child_of(session, contract),
        "trace": service.trace_view(refund.trace, translator_for(request)), "kind_labels": KIND_LABELS,
        "methods": [(method.value, label) for method, label in METHOD_LABELS.items()], "method_labels": METHOD_LABELS,
        "may_act": me.has("director"), "today": local_today(),
        "form": form or {"paid_on": local_today().isoformat()}, "errors": _errors(request, errors or {}),
    }
    return render(request, "refunds/detail.html", context, status_code=status_code)


@router.get("/refunds/{refund_id}")
def detail(request: Request, session: DbSession, me: SignedIn, refund_id: int):
    refund, contract = service.refund_for_view(session, me, refund_id)
    return _detail(request, session, me, refund, contract)


@router.post("/refunds/{refund_id}/paid")
async def paid(request: Request, session: DbSession, me: Director, refund_id: int):
    refund = service.director_refund(session, refund_id)
    form = await request.form()
    data, errors = parse_form(PaidForm, form)
    if not errors:
        try:
            service.mark_paid(session, me, refund, data)
            return _redirect(f"/refunds/{refund.id}")
        except Refused as refused:
            session.rollback()
            errors = refused.errors
    refund = service.director_refund(session, refund_id)
    return _detail(request, session, me, refund, service.director_contract(session, refund.contract_id), echo(form),
                   errors, status_code=400)


@router.post("/refunds/{refund_id}/void")
async def void(request: Request, session: DbSession, me: Director, refund_id: int):
    refund = service.director_refund(session, refund_id)
    form = await request.form()
    data, errors = parse_form(ReasonForm, form)
    if not errors:
        try:
            service.void_refund(session, me, refund, data.reason)
            return _redirect(f"/refunds/{refund.id}")
        except Refused as refused:
            session.rollback()
            errors = refused.errors
    refund = service.director_refund(session, refund_id)
    if "reason" in errors:
        errors = {"void_reason": errors.pop("reason"), **errors}
    return _detail(request, session, me, refund, service.director_contract(session, refund.contract_id), echo(form),
                   errors, status_code=400)


# ---------------------------------------------------------------- the meal account


def _meals_page(request, session, semester: str, form=None, errors=None, status_code=200):
    try:
        account = service.meal_account(session, semester)
    except ValueError:
        raise NotFound() from None
    policy = load_policy(session)
    context = {
        "account": account, "semester": semester,
        "previous": service.previous_semester(semester), "next": service.next_semester(semester),
        "off_percent": service.percent_text(service.off_percent(account)), "limit": policy.meal_account_tolerance_percent,
        "warnings": service.meal_account_warnings(session, local_today(), policy),
        "form": form or {}, "errors": errors or {},
    }
    return render(request, "refunds/meals.html", context, status_code=status_code)


@router.get("/reports/meals")
def meals(request: Request, session: DbSession, me: Director, semester: str = ""):
    return _meals_page(request, session, semester or service.semester_of(local_today()))


@router.get("/reports/meals.csv")
def meals_csv(request: Request, session: DbSession, me: Director, semester: str = ""):
    semester = semester or service.semester_of(local_today())
    try:
        account = service.meal_account(session, semester)
    except ValueError:
        raise NotFound() from None
    return csv_download(service.meal_account_rows(account, translator_for(request).gettext), f"meal-account-{semester}.csv")


@router.post("/reports/meals/spending")
async def add_spending(request: Request, session: DbSession, me: Director):
    form = await request.form()
    semester = str(form.get("semester") or service.semester_of(local_today()))
    data, errors = parse_form(SpendingForm, form)
    if not errors:
        try:
            row = service.add_spending(session, me, data)
            return _redirect(f"/reports/meals?semester={service.semester_of(row.month)}")
        except Refused as refused:
            session.rollback()
            errors = refused.errors
    return _meals_page(request, session, semester, echo(form), errors, status_code=400)


@router.post("/reports/meals/spending/{spending_id}/void")
async def void_spending(request: Request, session: DbSession, me: Director, spending_id: int):
    service.spending(session, spending_id)  # an entry that does not exist is 404, whatever the form says
    form = await request.form()
    data, errors = parse_form(ReasonForm, form)
    semester = str(form.get("semester") or service.semester_of(local_today()))
    if not errors:
        try:
            row = service.void_spending(session, me, spending_id, data.reason)
            return _redirect(f"/reports/meals?semester={service.semester_of(row.month)}")
        except Refused as refused:
            session.rollback()
            errors = refused.errors
    return _meals_page(request, session, semester, echo(form), {f"void_{spending_id}": errors.get("reason")
                                                                 or errors.get("__all__")}, status_code=400)
