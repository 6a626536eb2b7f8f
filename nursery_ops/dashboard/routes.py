"""The director's dashboard (/director)."""

from fastapi import APIRouter, Request

from nursery_ops.auth.access import DbSession, Director
from nursery_ops.clock import local_today, utcnow
from nursery_ops.dashboard.service import director_dashboard
from nursery_ops.illness.outbreaks import open_outbreaks
from nursery_ops.policy import load_policy
from nursery_ops.refunds.service import late_refunds_warning, meal_account_warning
from nursery_ops.templating import render

router = APIRouter()


@router.get("/director")
def dashboard(request: Request, session: DbSession, me: Director):
    policy = load_policy(session)
    board = director_dashboard(session, local_today(), policy)
    outbreaks = open_outbreaks(session, utcnow(), policy)
    today = local_today()
    # WARNs about money, each with the page where it is dealt with.
    money_warnings = [
        (warning, link) for warning, link in (
            (late_refunds_warning(session, today), "/reports/money#refunds"),
            (meal_account_warning(session, today, policy), "/reports/meals"),
        ) if warning is not None
    ]
    context = {"board": board, "outbreaks": outbreaks, "money_warnings": money_warnings}
    return render(request, "dashboard/director.html", context)
