"""A child's whole record: printable page and ZIP, for the child's guardian or the director.

`/family/children/{id}/export[.zip]` — a parent, for their own children (others: 404);
`/children/{id}/export[.zip]` — the director, for any child. The health officer
and caregivers have no export: a copy of everything (contracts and money included)
leaves the nursery, and handing it out is the person in charge's decision
(个人信息保护法: the handler answers the request). Every export is audited.
"""

from datetime import date, datetime
from enum import Enum
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from nursery_ops.attendance.models import AbsenceReason, CheckOutcome
from nursery_ops.auth.access import DbSession, Director, Parent
from nursery_ops.billing.forms import KIND_LABELS as LINE_KIND_LABELS
from nursery_ops.billing.forms import METHOD_LABELS
from nursery_ops.billing.models import LineKind, PaymentMethod, RefundKind
from nursery_ops.children.models import Sex, VaccinationStatus
from nursery_ops.contracts.forms import FEE_UNIT_LABELS, STATUS_LABELS
from nursery_ops.contracts.models import ContractStatus, FeeUnit
from nursery_ops.enrolment.models import CareType, EnrolmentStatus, HalfDaySession
from nursery_ops.family import export
from nursery_ops.health.models import ExamKind
from nursery_ops.i18n import N_
from nursery_ops.illness.forms import MIDDAY_OUTCOME_LABELS, SYMPTOM_LABELS
from nursery_ops.illness.forms import OUTCOME_LABELS as ILLNESS_OUTCOME_LABELS
from nursery_ops.illness.models import IllnessOutcome, MiddayOutcome, Symptom
from nursery_ops.incidents.forms import CATEGORY_LABELS
from nursery_ops.incidents.models import IncidentCategory
from nursery_ops.labels import (
    ABSENCE_REASON_LABELS,
    CARE_TYPE_LABELS,
    CHECK_OUTCOME_LABELS,
    ENROLMENT_STATUS_LABELS,
    EXAM_KIND_LABELS,
    HALF_DAY_LABELS,
    SEX_LABELS,
)
from nursery_ops.medication.forms import OUTCOME_LABELS as DOSE_OUTCOME_LABELS
from nursery_ops.medication.forms import ROUTE_LABELS, UNIT_LABELS
from nursery_ops.medication.models import DoseOutcome, DoseUnit, MedicationRoute
from nursery_ops.refunds.forms import KIND_LABELS as REFUND_KIND_LABELS
from nursery_ops.templating import render, translator_for

router = APIRouter()

VACCINATION_LABELS = {
    VaccinationStatus.missing: N_("Missing"),
    VaccinationStatus.pending: N_("Pending"),
    VaccinationStatus.sighted: N_("Sighted"),
}

# The label of each enum value the printable record shows, in the words the rest of the app uses.
ENUM_LABELS: dict[type[Enum], dict] = {
    Sex: SEX_LABELS,
    VaccinationStatus: VACCINATION_LABELS,
    CareType: CARE_TYPE_LABELS,
    HalfDaySession: HALF_DAY_LABELS,
    EnrolmentStatus: ENROLMENT_STATUS_LABELS,
    CheckOutcome: CHECK_OUTCOME_LABELS,
    AbsenceReason: ABSENCE_REASON_LABELS,
    MiddayOutcome: MIDDAY_OUTCOME_LABELS,
    IllnessOutcome: ILLNESS_OUTCOME_LABELS,
    Symptom: SYMPTOM_LABELS,
    MedicationRoute: ROUTE_LABELS,
    DoseUnit: UNIT_LABELS,
    DoseOutcome: DOSE_OUTCOME_LABELS,
    IncidentCategory: CATEGORY_LABELS,
    ExamKind: EXAM_KIND_LABELS,
    ContractStatus: STATUS_LABELS,
    FeeUnit: FEE_UNIT_LABELS,
    LineKind: LINE_KIND_LABELS,
    PaymentMethod: METHOD_LABELS,
    RefundKind: REFUND_KIND_LABELS,
}


def _shower(request: Request):
    """`show(value)` for the template: dates and times local, enums by label, yes/no, a dash for nothing."""
    t = translator_for(request)

    def show(value) -> str:
        if value is None or value == "":
            return "—"
        if isinstance(value, bool):
            return t.gettext(N_("Yes") if value else N_("No"))
        if isinstance(value, Enum):
            labels = ENUM_LABELS.get(type(value))
            return t.gettext(labels[value]) if labels and value in labels else str(value.value)
        if isinstance(value, datetime):
            return t.datetime(value)
        if isinstance(value, date):
            return t.date(value)
        return str(value)

    return show


def _page(request: Request, record: export.ChildRecord, zip_url: str, back_url: str):
    context = {"record": record, "child": record.child, "show": _shower(request), "zip_url": zip_url, "back_url": back_url}
    return render(request, "family/export.html", context)


def _zip_response(record: export.ChildRecord) -> StreamingResponse:
    spool = export.build_zip(record)
    stamp = record.exported_at.strftime("%Y%m%d")
    ascii_name = f"child-{record.child.id}-record-{stamp}.zip"
    utf8_name = quote(f"{record.child.full_name}-{stamp}.zip")
    headers = {"Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{utf8_name}"}
    return StreamingResponse(export.stream(spool), media_type="application/zip", headers=headers)


@router.get("/family/children/{child_id}/export")
def family_export_page(request: Request, child_id: int, session: DbSession, me: Parent):
    child = export.family_child(session, me, child_id)
    record = export.load_record(session, child, export.FAMILY)
    export.record_export(request.app.state.engine, me, child, export.FAMILY, "html")
    return _page(request, record, f"/family/children/{child.id}/export.zip", "/family")


@router.get("/family/children/{child_id}/export.zip")
def family_export_zip(request: Request, child_id: int, session: DbSession, me: Parent):
    child = export.family_child(session, me, child_id)
    record = export.load_record(session, child, export.FAMILY)
    export.record_export(request.app.state.engine, me, child, export.FAMILY, "zip")
    return _zip_response(record)


@router.get("/children/{child_id}/export")
def staff_export_page(request: Request, child_id: int, session: DbSession, me: Director):
    child = export.any_child(session, child_id)
    record = export.load_record(session, child, export.STAFF)
    export.record_export(request.app.state.engine, me, child, export.STAFF, "html")
    return _page(request, record, f"/children/{child.id}/export.zip", f"/children/{child.id}")


@router.get("/children/{child_id}/export.zip")
def staff_export_zip(request: Request, child_id: int, session: DbSession, me: Director):
    child = export.any_child(session, child_id)
    record = export.load_record(session, child, export.STAFF)
    export.record_export(request.app.state.engine, me, child, export.STAFF, "zip")
    return _zip_response(record)
