"""The health officer's pages (保健): `/health` for the health officer and the director,
a child's exams and schedule, and recording / voiding an exam.

The exam URLs stay where the child record links to them (`/children/{id}/exams/...`).
"""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from nursery_ops import audit
from nursery_ops.auth.access import DbSession, HealthStaff
from nursery_ops.children.access import open_health_record, visible_child
from nursery_ops.clock import local_today, utcnow
from nursery_ops.forms import Refused, parse_form
from nursery_ops.growth.service import with_warnings
from nursery_ops.health import service
from nursery_ops.health.forms import (
    HAEMOGLOBIN_MAX_G_L,
    HAEMOGLOBIN_MIN_G_L,
    ExamForm,
    VoidForm,
)
from nursery_ops.health.models import ExamKind, HealthExam
from nursery_ops.health.rules import DUE_KIND_LABELS
from nursery_ops.illness.service import health_day
from nursery_ops.incidents.forms import CATEGORY_LABELS
from nursery_ops.incidents.service import open_incidents
from nursery_ops.medication.service import doses_due_joined
from nursery_ops.pagecache import kept_page
from nursery_ops.policy import load_policy
from nursery_ops.templating import render

router = APIRouter()

READ = "health_exams"


@router.get("/health")
@kept_page
def health_home(request: Request, session: DbSession, me: HealthStaff):
    today, now = local_today(), utcnow()
    policy = load_policy(session)
    # The admission, exam, screening, growth and sick lists all read these rows.
    enrolled = service.enrolled_children(session, today)
    context = {
        "health_day": health_day(session, today, now, policy),
        "doses_due": doses_due_joined(session, today, now),
        "open_incidents": open_incidents(session, me),
        "awaited_certificates": service.awaiting_return_certificates(session),
        "growth_warnings": with_warnings((entry.measurement, entry.child) for entry in enrolled),
        "incident_labels": CATEGORY_LABELS,
        "overview": service.admission_health_of(enrolled, today, policy),
        "exams_due": service.exams_due_of(enrolled, today, policy),
        "sick_follow_ups": service.sick_follow_ups_of(enrolled, today),
        "screening_findings": service.screening_findings_of(enrolled, policy),
        "screening_findings_limit": policy.anaemia_below_g_l,
        "due_labels": DUE_KIND_LABELS,
        "policy": policy,
    }
    # The page shows every child's health of the day: one audited read for the page (DOMAIN.md "Records and privacy").
    audit.record_read(request.app.state.engine, me.id, "health_overview", None)
    return render(request, "health/home.html", context)


# ---------------------------------------------------------------- a child's exams


@router.get("/children/{child_id}/exams")
def child_exams_page(request: Request, session: DbSession, me: HealthStaff, child_id: int):
    child = open_health_record(request.app.state.engine, session, me, child_id, READ)
    today, policy = local_today(), load_policy(session)
    context = {"child": child, "exams": service.child_exams(session, child.id), **service.record_exams_context(session, child, today, policy)}
    return render(request, "health/child_exams.html", context)


def exam_form_page(request: Request, child, form: dict, errors: dict | None = None, status_code: int = 200):
    context = {
        "child": child,
        "form": form,
        "errors": errors or {},
        "haemoglobin_range": (HAEMOGLOBIN_MIN_G_L, HAEMOGLOBIN_MAX_G_L),
    }
    return render(request, "health/exam_form.html", context, status_code=status_code, block="form")


@router.get("/children/{child_id}/exams/new")
def new_exam_page(request: Request, session: DbSession, me: HealthStaff, child_id: int):
    child = open_health_record(request.app.state.engine, session, me, child_id, READ)
    # /health links here with ?kind=periodic; anything else starts as an entry exam.
    kind = request.query_params.get("kind")
    kind = kind if kind in {item.value for item in ExamKind} else ExamKind.entry.value
    return exam_form_page(request, child, {"kind": kind, "exam_date": local_today().isoformat()})


@router.post("/children/{child_id}/exams/new")
async def new_exam(request: Request, session: DbSession, me: HealthStaff, child_id: int):
    child = visible_child(session, me, child_id)
    form = await request.form()
    data, errors = parse_form(ExamForm, form)
    if not errors:
        try:
            service.record_exam(session, me, child, data)
            return RedirectResponse(f"/children/{child.id}#exams", status_code=303)
        except Refused as refused:
            errors = refused.errors
    return exam_form_page(request, child, dict(form), errors, 400)


def void_page(request: Request, child, exam: HealthExam, form: dict, errors: dict | None = None, status_code: int = 200):
    context = {"child": child, "exam": exam, "form": form, "errors": errors or {}}
    return render(request, "health/exam_void.html", context, status_code=status_code, block="form")


@router.get("/children/{child_id}/exams/{exam_id}/void")
def void_exam_page(request: Request, session: DbSession, me: HealthStaff, child_id: int, exam_id: int):
    child = visible_child(session, me, child_id)
    exam = service.health_exam(session, child, exam_id)
    open_health_record(request.app.state.engine, session, me, child.id, READ)
    return void_page(request, child, exam, {})


@router.post("/children/{child_id}/exams/{exam_id}/void")
async def void_exam(request: Request, session: DbSession, me: HealthStaff, child_id: int, exam_id: int):
    child = visible_child(session, me, child_id)
    exam = service.health_exam(session, child, exam_id)
    form = await request.form()
    data, errors = parse_form(VoidForm, form)
    if errors:
        return void_page(request, child, exam, dict(form), errors, 400)
    service.void_exam(session, me, exam, data.reason)
    return RedirectResponse(f"/children/{child.id}#exams", status_code=303)
