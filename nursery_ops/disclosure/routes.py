"""The public disclosure page (信息公示, `/disclosure`, no sign-in) and the director's editing of it."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from nursery_ops.auth.access import DbSession, Director, Public
from nursery_ops.clock import local_date, local_today
from nursery_ops.contracts.forms import CHARGE_UNIT_LABELS, FEE_UNIT_LABELS
from nursery_ops.disclosure import rules, service
from nursery_ops.disclosure.forms import SECTION_HINTS, SECTION_LABELS, SECTION_MAX, DisclosureForm
from nursery_ops.disclosure.models import Section
from nursery_ops.forms import Refused, echo, parse_form
from nursery_ops.i18n import N_
from nursery_ops.labels import CARE_TYPE_LABELS
from nursery_ops.templating import render, translator_for

router = APIRouter()

FEE_LINE = N_("{care_type}: care fee {fee} {unit}; meal fee {meal} per day; deposit {deposit}")
CHARGE_LINE = N_("Optional service {name}: {amount} {unit}")


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


def _charge_lines(charges, t) -> list[str]:
    return [t.gettext(CHARGE_LINE, name=charge.name, amount=t.money(charge.amount_fen),
                      unit=t.gettext(CHARGE_UNIT_LABELS[charge.unit])) for charge, _count in charges]


def _amounts_fen(item) -> list[int]:
    if isinstance(item, service.ContractFee):
        return [item.care_fee_fen, item.meal_fee_per_day_fen, item.deposit_fen]
    return [item.amount_fen]


def _fee_rows(session, texts, t) -> list[tuple]:
    """(item, contracts carrying it, its line, whether the published fee items miss one of its amounts)."""
    # Care fees and optional services alike are fee items (收费项目): the published list names both.
    fees, charges = service.contract_fee_items(session, local_today())
    lines = _fee_lines(fees, t) + _charge_lines(charges, t)
    published = texts[Section.fees].body if Section.fees in texts else None
    return [(item, count, line, published is not None and bool(rules.unpublished_amounts(published, _amounts_fen(item))))
            for (item, count), line in zip(fees + charges, lines)]


def _edit_page(request, session, form: dict | None, errors: dict, status_code=200):
    t = translator_for(request)
    texts = service.current_texts(session)
    fee_rows = _fee_rows(session, texts, t)
    if form is None:
        form = {section.value: texts[section].body if section in texts else "" for section in Section}
        form.update({f"v_{section.value}": str(texts[section].version) if section in texts else "0" for section in Section})
        if Section.fees not in texts:
            # Never published: start from what the contracts in force charge.
            form[Section.fees.value] = "\n".join(line for _item, _count, line, _differs in fee_rows)
    context = {"texts": texts, "sections": list(Section), "labels": SECTION_LABELS, "hints": SECTION_HINTS,
               "max_lengths": SECTION_MAX, "fees": fee_rows, "fees_differ": any(row[3] for row in fee_rows), "form": form,
               "errors": errors}
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
