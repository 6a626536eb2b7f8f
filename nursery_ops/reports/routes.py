"""The list of reports (/reports); each report's own routes live beside its builder."""

from fastapi import APIRouter, Request

from nursery_ops.auth.access import Director
from nursery_ops.reports import attendance, occupancy
from nursery_ops.reports import health
from nursery_ops.reports import staffing
from nursery_ops.reports import movements
from nursery_ops.templating import render

router = APIRouter()
router.include_router(attendance.router)
router.include_router(occupancy.router)
router.include_router(health.router)
router.include_router(staffing.router)
router.include_router(movements.router)


@router.get("/reports")
def reports_index(request: Request, me: Director):
    return render(request, "reports/index.html")
