"""The family page: a parent's own children, read-only (`/family`)."""

from fastapi import APIRouter, Request

from nursery_ops.auth.access import DbSession, Parent
from nursery_ops.clock import local_today
from nursery_ops.family.service import family_cards
from nursery_ops.templating import render

router = APIRouter()


@router.get("/family")
def family_home(request: Request, session: DbSession, me: Parent):
    cards = family_cards(session, me.person.guardian_id, local_today())
    return render(request, "family/home.html", {"cards": cards})
