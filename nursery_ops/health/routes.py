"""The health officer's pages (保健): `/health` for the health officer and the director."""

from fastapi import APIRouter, Request

from nursery_ops.auth.access import DbSession, HealthStaff
from nursery_ops.clock import local_today
from nursery_ops.health.service import admission_health
from nursery_ops.policy import load_policy
from nursery_ops.templating import render

router = APIRouter()


@router.get("/health")
def health_home(request: Request, session: DbSession, me: HealthStaff):
    today = local_today()
    policy = load_policy(session)
    overview = admission_health(session, today, policy)
    return render(request, "health/home.html", {"overview": overview, "policy": policy})
