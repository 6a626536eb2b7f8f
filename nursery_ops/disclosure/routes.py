"""The public disclosure page (信息公示, `/disclosure`, no sign-in) and the director's editing of it."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from nursery_ops.auth.access import DbSession, Director, Public
from nursery_ops.clock import local_date, local_today
from nursery_ops.contracts.forms import FEE_UNIT_LABELS
from nursery_ops.disclosure import service
from nursery_ops.disclosure.forms import SECTION_HINTS, SECTION_LABELS, SECTION_MAX, DisclosureForm
from nursery_ops.disclosure.models import Section
from nursery_ops.forms import Refused, echo, parse_form
from nursery_ops.i18n import N_
from nursery_ops.labels import CARE_TYPE_LABELS
from nursery_ops.templating import render, translator_for

router = APIRouter()

FEE_LINE = N_("{care_type}: care fee {fee} {unit}; meal fee {meal} per day; deposit {deposit}")


@router.get("/disclosure")
def public_page(request: Request, session: DbSession, _: Public):
    texts = service.current_texts(session)
    changed_at = service.last_changed(texts)
    context = {"texts": texts, "sections": list(Section), "labels": SECTION_LABELS,
               "last_changed_on": local_date(changed_at) if changed_at else None}
    return render(request, "disclosure/public.html", context)


def _fee_lines(fees, t) -> list[str]:
    return [
        t.gettext(FEE_LINE, care_type=t.gettext(CARE_TYPE_LABELS[fee.care_type]), fee=t.money(fee.care_fee_fen),
                  unit=t.gettext(FEE_UNIT_LABELS[fee.care_fee_unit]), meal=t.money(fee.meal_fee_per_day_fen),
                  deposit=t.money(fee.deposit_fen))
        for fee, _count in fees
    ]


def _edit_page(request, session, form: dict | None, errors: dict, status_code=200):
    t = translator_for(request)
    texts = service.current_texts(session)
    fees = service.contract_fees(session, local_today())
    fee_lines = _fee_lines(fees, t)
    if form is None:
        form = {section.value: texts[section].body if section in texts else "" for section in Section}
        form.update({f"v_{section.value}": str(texts[section].version) if section in texts else "0" for section in Section})
        if Section.fees not in texts:
            # Never published: start from what the contracts in force charge.
            form[Section.fees.value] = "\n".join(fee_lines)
    context = {"texts": texts, "sections": list(Section), "labels": SECTION_LABELS, "hints": SECTION_HINTS,
               "max_lengths": SECTION_MAX, "fees": list(zip(fees, fee_lines)), "form": form, "errors": errors}
    return render(request, "disclosure/edit.html", context, status_code=status_code)


@router.get("/disclosure/edit")
def edit(request: Request, session: DbSession, me: Director):
    return _edit_page(request, session, None, {})


@router.post("/disclosure/edit")
async def save(request: Request, session: DbSession, me: Director):
    form = await request.form()
    data, errors = parse_form(DisclosureForm, form)
    if not errors:
        try:
            service.save(session, me, data)
            return RedirectResponse("/disclosure", status_code=303)
        except Refused as refused:
            session.rollback()
            errors = refused.errors
    return _edit_page(request, session, echo(form), errors, status_code=400)


@router.get("/disclosure/history")
def history(request: Request, session: DbSession, me: Director):
    context = {"versions": service.history(session), "labels": SECTION_LABELS}
    return render(request, "disclosure/history.html", context)
