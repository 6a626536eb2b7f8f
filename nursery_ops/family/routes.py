"""The family page: a parent's own children, read-only (`/family` and `/family/children/{child_id}/...`).

Every page is for the signed-in guardian's own children (`service.own_child`): any
other child's id, day or record answers 404, whoever it belongs to. No page here
has a form that changes anything.
"""

from datetime import date

from fastapi import APIRouter, Request

from nursery_ops.auth.access import DbSession, Parent
from nursery_ops.clock import local_today
from nursery_ops.contracts.forms import STATUS_LABELS
from nursery_ops.contracts.service import status_of
from nursery_ops.errors import NotFound
from nursery_ops.family import labels, rules, service
from nursery_ops.growth import rules as growth_rules
from nursery_ops.growth.chart import build_chart
from nursery_ops.growth.service import growth_lines
from nursery_ops.growth.who import Indicator
from nursery_ops.pagecache import kept_page
from nursery_ops.policy import load_policy
from nursery_ops.templating import render

router = APIRouter()


@router.get("/family")
@kept_page
def family_home(request: Request, session: DbSession, me: Parent):
    today = local_today()
    cards = service.family_cards(session, me.person.guardian_id, today)
    days = service.child_days(session, [card.child.id for card in cards], today)
    context = {"cards": cards, "days": days, **labels.SHOWN}
    return render(request, "family/home.html", context)


@router.get("/family/children/{child_id}/days")
def days_page(request: Request, session: DbSession, me: Parent, child_id: int):
    child = service.own_child(session, me.person.guardian_id, child_id)
    context = {"child": child, "days": service.recent_days(session, child.id, local_today()), **labels.SHOWN}
    return render(request, "family/days.html", context)


@router.get("/family/children/{child_id}/days/{on}")
def day_page(request: Request, session: DbSession, me: Parent, child_id: int, on: date):
    child = service.own_child(session, me.person.guardian_id, child_id)
    today = local_today()
    if not rules.may_show_day(on, child.birth_date, today):
        raise NotFound()
    earlier, later = service.day_neighbours(session, child.id, on, today)
    context = {
        "child": child,
        "day": service.child_days(session, [child.id], on)[child.id],
        "earlier": earlier,
        "later": later,
        **labels.SHOWN,
    }
    return render(request, "family/day.html", context)


@router.get("/family/children/{child_id}/photos/{photo_id}")
def photo_page(request: Request, session: DbSession, me: Parent, child_id: int, photo_id: int):
    child = service.own_child(session, me.person.guardian_id, child_id)
    entry = service.family_photo(session, child.id, photo_id)
    return render(request, "family/photo.html", {"child": child, "entry": entry})


@router.get("/family/children/{child_id}/health")
def health_page(request: Request, session: DbSession, me: Parent, child_id: int):
    child = service.own_child(session, me.person.guardian_id, child_id)
    health = service.child_health(session, child, local_today(), load_policy(session))
    return render(request, "family/health.html", {"child": child, "health": health, **labels.SHOWN})


@router.get("/family/children/{child_id}/growth")
def growth_page(request: Request, session: DbSession, me: Parent, child_id: int):
    child = service.own_child(session, me.person.guardian_id, child_id)
    lines = growth_lines(session, child, with_voided=False)
    context = {
        "child": child,
        "lines": lines,
        "charts": [build_chart(indicator, child, lines) for indicator in Indicator],
        "indicators": list(Indicator),
        "indicator_names": growth_rules.INDICATOR_NAMES,
        "short_names": growth_rules.SHORT_NAMES,
        **labels.SHOWN,
    }
    return render(request, "family/growth.html", context)


@router.get("/family/children/{child_id}/money")
def money_page(request: Request, session: DbSession, me: Parent, child_id: int):
    child = service.own_child(session, me.person.guardian_id, child_id)
    today = local_today()
    context = {
        "child": child,
        "contracts": service.child_money(session, child.id),
        "status_of": lambda contract: STATUS_LABELS[status_of(contract, today)],
        **labels.SHOWN,
    }
    return render(request, "family/money.html", context)
