"""The director's dashboard (/director)."""

from fastapi import APIRouter, Request

from nursery_ops.auth.access import DbSession, Director
from nursery_ops.clock import utcnow
from nursery_ops.dashboard.rules import GROUP_TITLES
from nursery_ops.dashboard.service import director_dashboard
from nursery_ops.health.rules import DUE_KIND_LABELS
from nursery_ops.incidents.forms import CATEGORY_LABELS
from nursery_ops.pagecache import kept_page
from nursery_ops.policy import load_policy
from nursery_ops.staff.certificates import KIND_LABELS
from nursery_ops.templating import render

router = APIRouter()


@router.get("/director")
@kept_page
def dashboard(request: Request, session: DbSession, me: Director):
    policy = load_policy(session)
    context = {
        "board": director_dashboard(session, utcnow(), policy),
        "policy": policy,
        "group_titles": GROUP_TITLES,
        "incident_labels": CATEGORY_LABELS,
        "due_labels": DUE_KIND_LABELS,
        "certificate_labels": KIND_LABELS,
    }
    return render(request, "dashboard/director.html", context)
