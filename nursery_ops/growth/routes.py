"""Growth pages (生长发育): a child's measurements with WHO z-scores and charts, the measurement form, voids.

Staff read (a caregiver their own rooms' children: children.access.cares_for_child), every read audited; the health officer and the director record and void.
"""

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from nursery_ops.auth.access import DbSession, HealthStaff, Staff
from nursery_ops.auth.models import Role
from nursery_ops.children.access import open_health_record, visible_child
from nursery_ops.children.models import Child
from nursery_ops.children.rules import completed_months
from nursery_ops.clock import local_today, utcnow
from nursery_ops.errors import NotFound
from nursery_ops.forms import ReasonForm, Refused, parse_form
from nursery_ops.growth import rules, service
from nursery_ops.growth.chart import build_chart
from nursery_ops.growth.forms import MeasurementForm
from nursery_ops.growth.who import Indicator
from nursery_ops.templating import render

router = APIRouter()

READ = "growth"
SVG_HEADERS = {"content-type": "image/svg+xml; charset=utf-8"}


def growth_url(child: Child) -> str:
    return f"/children/{child.id}/growth"


def new_form(child: Child) -> dict:
    today = local_today()
    return {"on_date": today.isoformat(), "position": rules.default_position(child.birth_date, today).value,
            "form_token": secrets.token_urlsafe(16)}


def growth_page(request: Request, session, me, child: Child, form: dict, errors: dict, status_code: int = 200):
    lines = service.growth_lines(session, child)
    today = local_today()
    context = {
        "child": child,
        "lines": lines,
        "latest": next((line for line in reversed(lines) if line.measurement.voided_at is None), None),
        "charts": [build_chart(indicator, child, lines) for indicator in Indicator],
        "indicators": list(Indicator),
        "indicator_names": rules.INDICATOR_NAMES,
        "short_names": rules.SHORT_NAMES,
        "months": completed_months(child.birth_date, today) if today >= child.birth_date else None,
        "head_expected": rules.head_expected(child.birth_date, today),
        "may_record": me.has(Role.director, Role.health),
        "form": form,
        "errors": errors,
    }
    return render(request, "growth/page.html", context, status_code=status_code)


@router.get("/children/{child_id}/growth")
def growth(request: Request, session: DbSession, me: Staff, child_id: int):
    child = open_health_record(request.app.state.engine, session, me, child_id, READ)
    return growth_page(request, session, me, child, new_form(child), {})


@router.post("/children/{child_id}/growth")
async def record_measurement(request: Request, session: DbSession, me: HealthStaff, child_id: int):
    child = visible_child(session, me, child_id)
    form = await request.form()
    data, errors = parse_form(MeasurementForm, form)
    if not errors:
        try:
            service.record_measurement(session, me, child, data, local_today())
            return RedirectResponse(growth_url(child) + "#measurements", status_code=303)
        except Refused as refused:
            errors = refused.errors
    session.rollback()
    return growth_page(request, session, me, child, dict(form), errors, status_code=400)


@router.get("/children/{child_id}/growth/chart/{indicator}.svg")
def growth_chart(request: Request, session: DbSession, me: Staff, child_id: int, indicator: str):
    try:
        chosen = Indicator(indicator)
    except ValueError:
        raise NotFound() from None
    child = open_health_record(request.app.state.engine, session, me, child_id, READ)
    chart = build_chart(chosen, child, service.growth_lines(session, child))
    return render(request, "growth/chart.svg.html", {"child": child, "chart": chart}, headers=SVG_HEADERS)


@router.get("/children/{child_id}/growth/{measurement_id}/void")
def void_page(request: Request, session: DbSession, me: HealthStaff, child_id: int, measurement_id: int):
    child = visible_child(session, me, child_id)
    measurement = service.child_measurement(session, child.id, measurement_id)
    open_health_record(request.app.state.engine, session, me, child.id, READ)
    return render(request, "growth/void.html", {"child": child, "measurement": measurement}, block="form")


@router.post("/children/{child_id}/growth/{measurement_id}/void")
async def void_measurement(request: Request, session: DbSession, me: HealthStaff, child_id: int, measurement_id: int):
    child = visible_child(session, me, child_id)
    measurement = service.child_measurement(session, child.id, measurement_id)
    form = await request.form()
    data, errors = parse_form(ReasonForm, form)
    if errors:
        context = {"child": child, "measurement": measurement, "form": dict(form), "errors": errors}
        return render(request, "growth/void.html", context, status_code=400, block="form")
    service.void_measurement(session, me, measurement, data.reason, utcnow())
    return RedirectResponse(growth_url(child) + "#measurements", status_code=303)
