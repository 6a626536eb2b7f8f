"""Fee contracts (director; a guardian reads their child's), the contract phrase list and the calendar.

Every form re-renders with its errors (400) when refused; nothing is saved then.
"""

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from nursery_ops.auth.access import DbSession, Director, SignedIn
from nursery_ops.billing.service import contract_money
from nursery_ops.children.access import visible_child
from nursery_ops.children.models import Child
from nursery_ops.clock import local_today, utcnow
from nursery_ops.contracts import rules, service
from nursery_ops.contracts.forms import (
    CHARGE_UNIT_LABELS,
    DAY_KIND_LABELS,
    FEE_UNIT_LABELS,
    LABELS,
    STATUS_LABELS,
    CalendarDayForm,
    ContractForm,
    EndForm,
    PhraseForm,
    SignForm,
    choices,
)
from nursery_ops.contracts.models import CalendarDay, Contract, ContractStatus
from nursery_ops.enrolment.models import Enrolment
from nursery_ops.errors import NotFound
from nursery_ops.forms import ReasonForm, Refused, echo, parse_form
from nursery_ops.labels import WEEKDAY_LABELS
from nursery_ops.labels import choices as label_choices
from nursery_ops.pagecache import kept_page
from nursery_ops.policy import load_policy
from nursery_ops.refunds.service import contract_refunds
from nursery_ops.templating import render, translator_for

router = APIRouter()

CHARGE_ROWS = 3
LISTS = ("charge_name", "charge_amount", "charge_unit")


def _shown() -> dict:
    return {"contract_labels": LABELS}


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# ---------------------------------------------------------------- the list


@router.get("/contracts")
def contract_list(request: Request, session: DbSession, me: Director, status: str = "", q: str = ""):
    chosen = ContractStatus(status) if status in ContractStatus.__members__ else None
    rows = service.list_contracts(session, local_today(), chosen, q)
    context = {"rows": rows, "status": status, "q": q, "statuses": choices(STATUS_LABELS), **_shown()}
    return render(request, "contracts/list.html", context, block="results")


# ---------------------------------------------------------------- drafts


def _form_page(request, session, *, child, contract: Contract | None, form: dict, errors: dict, status_code=200):
    context = {
        "child": child, "contract": contract, "form": form, "errors": errors,
        "care_types": label_choices("care_type"), "room_types": label_choices("room_type"),
        "fee_units": choices(FEE_UNIT_LABELS), "charge_units": choices(CHARGE_UNIT_LABELS),
        "charge_rows": CHARGE_ROWS, **_shown(),
    }
    return render(request, "contracts/form.html", context, status_code=status_code)


@router.get("/children/{child_id}/contracts/new")
def new_page(request: Request, session: DbSession, me: Director, child_id: int):
    child = visible_child(session, me, child_id)
    try:
        enrolment = service.open_enrolment(session, child.id)
    except Refused as refused:
        return _form_page(request, session, child=child, contract=None, form={}, errors=refused.errors, status_code=400)
    form = service.draft_values(session, enrolment, translator_for(request).gettext)
    return _form_page(request, session, child=child, contract=None, form=form, errors={})


@router.post("/children/{child_id}/contracts/new")
async def create(request: Request, session: DbSession, me: Director, child_id: int):
    child = visible_child(session, me, child_id)
    form = await request.form()
    data, errors = parse_form(ContractForm, form)
    if data is not None:
        try:
            contract = service.create_draft(session, me, service.open_enrolment(session, child.id), data)
            return _redirect(f"/contracts/{contract.id}")
        except Refused as refused:
            session.rollback()
            errors = refused.errors
    return _form_page(request, session, child=child, contract=None, form=echo(form, LISTS), errors=errors,
                      status_code=400)


def _child(session, contract: Contract) -> Child:
    child = session.get(Child, contract.child_id)
    if child is None:
        raise NotFound()
    return child


@router.get("/contracts/{contract_id}/edit")
def edit_page(request: Request, session: DbSession, me: Director, contract_id: int):
    contract = service.director_contract(session, contract_id)
    form = service.contract_values(contract, service.charges(session, contract.id))
    errors = {} if contract.status is ContractStatus.draft else {"__all__": service.NOT_A_DRAFT}
    return _form_page(request, session, child=_child(session, contract), contract=contract, form=form, errors=errors,
                      status_code=200 if not errors else 400)


@router.post("/contracts/{contract_id}/edit")
async def edit(request: Request, session: DbSession, me: Director, contract_id: int):
    contract = service.director_contract(session, contract_id)
    child = _child(session, contract)
    form = await request.form()
    data, errors = parse_form(ContractForm, form)
    if data is not None:
        try:
            service.update_draft(session, me, contract, data)
            return _redirect(f"/contracts/{contract.id}")
        except Refused as refused:
            session.rollback()
            errors = refused.errors
    return _form_page(request, session, child=child, contract=contract, form=echo(form, LISTS), errors=errors,
                      status_code=400)


@router.post("/contracts/{contract_id}/discard")
def discard(request: Request, session: DbSession, me: Director, contract_id: int):
    contract = service.director_contract(session, contract_id)
    child_id = contract.child_id
    try:
        service.discard_draft(session, me, contract)
    except Refused:
        session.rollback()
        return _redirect(f"/contracts/{contract_id}")
    return _redirect(f"/children/{child_id}")


# ---------------------------------------------------------------- the contract


def _detail_context(session, me, contract: Contract, today: date, child: Child | None = None) -> dict:
    contract_charges = service.charges(session, contract.id)
    may_act = me.has("director")
    every_version = service.versions(session, contract)
    # Parents read signed versions only: an amendment being drafted is not part of their contract yet.
    versions = every_version if may_act else [
        version for version in every_version if version.status is not ContractStatus.draft]
    return {
        "contract": contract, "child": child or _child(session, contract), "charges": contract_charges,
        "status": service.status_of(contract, today), "versions": versions,
        "version_ids": [version.id for version in every_version],  # the money of every version (billing.family_ids)
        "may_act": may_act,
        "blocks": service.signing_blocks(session, contract, contract_charges)
        if contract.status is ContractStatus.draft else [],
        "guardians": dict(service.guardian_choices(session, contract.child_id)),
        "refund_due_days": load_policy(session).refund_due_days,
        "amendment": next((v for v in versions if v.replaces_id == contract.id), None),
        # Money is taken on the version in force: a replaced version links to it instead of offering actions.
        "current_version": service.replacing_version(contract, versions),
        **_shown(),
    }


@router.get("/contracts/{contract_id}")
@kept_page
def detail(request: Request, session: DbSession, me: SignedIn, contract_id: int):
    contract, child = service.contract_and_child_for_view(session, me, contract_id)
    context = _detail_context(session, me, contract, local_today(), child)
    if contract.status is not ContractStatus.draft:
        # The versions and refunds loaded once serve the money and the refunds sections both.
        version_ids = context["version_ids"]
        context["refunds"] = contract_refunds(session, contract, version_ids)
        context["money"] = contract_money(session, contract, version_ids=version_ids, refunds=context["refunds"])
    return render(request, "contracts/detail.html", context)


@router.get("/contracts/{contract_id}/print")
def print_page(request: Request, session: DbSession, me: SignedIn, contract_id: int):
    contract, child = service.contract_and_child_for_view(session, me, contract_id)
    context = _detail_context(session, me, contract, local_today(), child)
    enrolment = session.get(Enrolment, contract.enrolment_id)
    context.update(enrolment=enrolment, weekday_labels=WEEKDAY_LABELS,
                   fen_text=rules.fen_to_yuan_text)
    return render(request, "contracts/print.html", context)


# ---------------------------------------------------------------- signing, amending, ending


def _action_page(request, session, me, contract, template: str, form: dict, errors: dict, status_code=200):
    context = _detail_context(session, me, contract, local_today())
    context.update(form=form, errors=errors, guardian_options=service.guardian_choices(session, contract.child_id))
    return render(request, f"contracts/{template}", context, status_code=status_code)


@router.get("/contracts/{contract_id}/sign")
def sign_page(request: Request, session: DbSession, me: Director, contract_id: int):
    contract = service.director_contract(session, contract_id)
    guardians = service.guardian_choices(session, contract.child_id)
    today = local_today().isoformat()
    form = {"guardian_signed_on": today, "director_signed_on": today,
            "guardian_id": str(guardians[0][0]) if len(guardians) == 1 else ""}
    return _action_page(request, session, me, contract, "sign.html", form, {})


@router.post("/contracts/{contract_id}/sign")
async def sign(request: Request, session: DbSession, me: Director, contract_id: int):
    contract = service.director_contract(session, contract_id)
    form = await request.form()
    data, errors = parse_form(SignForm, form)
    if data is not None:
        try:
            service.sign(session, me, contract, data, local_today())
            return _redirect(f"/contracts/{contract.id}")
        except Refused as refused:
            session.rollback()
            errors = refused.errors
    return _action_page(request, session, me, contract, "sign.html", echo(form), errors, 400)


@router.get("/contracts/{contract_id}/amend")
def amend_page(request: Request, session: DbSession, me: Director, contract_id: int):
    contract = service.director_contract(session, contract_id)
    return _action_page(request, session, me, contract, "amend.html", {}, {})


@router.post("/contracts/{contract_id}/amend")
async def amend(request: Request, session: DbSession, me: Director, contract_id: int):
    contract = service.director_contract(session, contract_id)
    form = await request.form()
    data, errors = parse_form(ReasonForm, form)
    if data is not None:
        try:
            draft = service.amend(session, me, contract, data.reason, local_today())
            return _redirect(f"/contracts/{draft.id}/edit")
        except Refused as refused:
            session.rollback()
            errors = refused.errors
    return _action_page(request, session, me, contract, "amend.html", echo(form), errors, 400)


@router.get("/contracts/{contract_id}/end")
def end_page(request: Request, session: DbSession, me: Director, contract_id: int):
    contract = service.director_contract(session, contract_id)
    return _action_page(request, session, me, contract, "end.html", {"ended_on": local_today().isoformat()}, {})


@router.post("/contracts/{contract_id}/end")
async def end(request: Request, session: DbSession, me: Director, contract_id: int):
    contract = service.director_contract(session, contract_id)
    form = await request.form()
    data, errors = parse_form(EndForm, form)
    if data is not None:
        try:
            service.end_early(session, me, contract, data.ended_on, data.reason, local_today())
            return _redirect(f"/contracts/{contract.id}")
        except Refused as refused:
            session.rollback()
            errors = refused.errors
    return _action_page(request, session, me, contract, "end.html", echo(form), errors, 400)


# ---------------------------------------------------------------- forbidden phrases


def _phrases_page(request, session, form: dict, errors: dict, status_code=200):
    context = {"defaults": rules.DEFAULT_FORBIDDEN_PHRASES, "added": service.added_phrases(session), "form": form,
               "errors": errors}
    return render(request, "contracts/phrases.html", context, status_code=status_code)


@router.get("/settings/contract-phrases")
def phrases_page(request: Request, session: DbSession, me: Director):
    return _phrases_page(request, session, {}, {})


@router.post("/settings/contract-phrases")
async def add_phrase(request: Request, session: DbSession, me: Director):
    form = await request.form()
    data, errors = parse_form(PhraseForm, form)
    if data is not None:
        try:
            service.add_phrase(session, me, data.phrase)
            return _redirect("/settings/contract-phrases")
        except Refused as refused:
            session.rollback()
            errors = refused.errors
    return _phrases_page(request, session, echo(form), errors, 400)


@router.post("/settings/contract-phrases/{phrase_id}/remove")
def remove_phrase(request: Request, session: DbSession, me: Director, phrase_id: int):
    service.remove_phrase(session, me, phrase_id, utcnow())
    return _redirect("/settings/contract-phrases")


# ---------------------------------------------------------------- the calendar


def _calendar_page(request, session, year: int, form: dict, errors: dict, status_code=200):
    context = {
        "year": year, "days": service.calendar_year(session, year), "form": form, "errors": errors,
        "kinds": choices(DAY_KIND_LABELS), "weekdays": [(str(day), text) for day, text in WEEKDAY_LABELS.items()],
        "day_kind_labels": DAY_KIND_LABELS, "weekday_labels": WEEKDAY_LABELS,
    }
    return render(request, "contracts/calendar.html", context, status_code=status_code)


@router.get("/settings/calendar")
def calendar_page(request: Request, session: DbSession, me: Director, year: int | None = None):
    year = year if year and 2000 <= year <= 2100 else local_today().year
    return _calendar_page(request, session, year, {"kind": "closed"}, {})


@router.post("/settings/calendar")
async def add_calendar_days(request: Request, session: DbSession, me: Director):
    form = await request.form()
    data, errors = parse_form(CalendarDayForm, form)
    if data is not None:
        try:
            service.add_calendar_days(session, me, data)
            return _redirect(f"/settings/calendar?year={data.on_date.year}")
        except Refused as refused:
            session.rollback()
            errors = refused.errors
    year = data.on_date.year if data is not None else local_today().year
    return _calendar_page(request, session, year, echo(form), errors, 400)


@router.post("/settings/calendar/{day_id}/remove")
def remove_calendar_day(request: Request, session: DbSession, me: Director, day_id: int):
    day = session.get(CalendarDay, day_id)
    if day is None:
        raise NotFound()
    year = day.on_date.year
    service.remove_calendar_day(session, me, day_id)
    return _redirect(f"/settings/calendar?year={year}")
