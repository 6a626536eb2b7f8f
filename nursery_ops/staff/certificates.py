"""Staff certificates (健康证, 无犯罪记录证明, ...): recorded and voided by the director, never deleted.

Only a caregiver with a valid health certificate counts toward a room's ratio
(nursery_ops.attendance.service.on_duty); expiring ones WARN `certificate_warning_days` ahead.
The section `templates/staff/_certificates.html` goes on the staff page with
`certificates_section(session, person_id, today, policy)` in its context.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import AfterValidator, Field
from sqlmodel import Session, col, select

from nursery_ops import audit
from nursery_ops.auth.access import DbSession, Director
from nursery_ops.auth.service import CurrentPerson
from nursery_ops.clock import local_today, utcnow
from nursery_ops.errors import NotFound
from nursery_ops.forms import FormModel, ReasonForm, Refused, not_in_future, parse_form
from nursery_ops.i18n import N_
from nursery_ops.policy import Policy, load_policy
from nursery_ops.staff import service as staff_service
from nursery_ops.staff.models import CertificateKind, StaffCertificate
from nursery_ops.templating import render

router = APIRouter()

KIND_CHOICES = (
    (CertificateKind.health.value, N_("Health certificate (健康证)")),
    (CertificateKind.no_criminal_record.value, N_("No-criminal-record certificate (无犯罪记录证明)")),
    (CertificateKind.background_check.value, N_("Background check (背景审查)")),
    (CertificateKind.qualification.value, N_("Qualification (保育师, 育婴员, 教师资格证...)")),
)
KIND_LABELS = dict(KIND_CHOICES)


class CertificateForm(FormModel):
    kind: CertificateKind
    number: str = Field(default="", max_length=64)
    name: str = Field(default="", max_length=100)
    issued_on: Annotated[date, AfterValidator(not_in_future)]
    valid_until: date


@dataclass(frozen=True)
class CertificateRow:
    certificate: StaffCertificate
    label: str
    status: str  # valid / expiring / expired / voided


def certificate_status(certificate: StaffCertificate, today: date, policy: Policy) -> str:
    if certificate.voided_at is not None:
        return "voided"
    if certificate.valid_until < today:
        return "expired"
    if certificate.valid_until <= today + timedelta(days=policy.certificate_warning_days):
        return "expiring"
    return "valid"


def certificates_section(session: Session, person_id: int, today: date, policy: Policy) -> dict:
    """The template context of `staff/_certificates.html` (one query)."""
    rows = session.exec(
        select(StaffCertificate)
        .where(StaffCertificate.person_id == person_id)
        .order_by(StaffCertificate.kind, col(StaffCertificate.valid_until).desc(), col(StaffCertificate.id).desc())
    ).all()
    return {
        "certificate_person_id": person_id,
        "certificates": [CertificateRow(row, KIND_LABELS[row.kind.value], certificate_status(row, today, policy)) for row in rows],
        "certificate_kinds": KIND_CHOICES,
    }


def _number_taken(session: Session, kind: CertificateKind, name: str, number: str) -> bool:
    """A certificate number is unique within its kind (each qualification by its name: 保育师 and 教师资格证
    come from different issuers); a voided record frees its number for a correction."""
    return session.exec(
        select(StaffCertificate.id).where(
            StaffCertificate.kind == kind, StaffCertificate.name == name, StaffCertificate.number == number,
            StaffCertificate.voided_at.is_(None),
        )
    ).first() is not None


def add_certificate(session: Session, me: CurrentPerson, person_id: int, data: CertificateForm) -> StaffCertificate:
    errors = {}
    if data.valid_until <= data.issued_on:
        errors["valid_until"] = N_("The expiry date must be after the issue date.")
    if data.kind is CertificateKind.qualification and not data.name:
        errors["name"] = N_("Name the qualification (for example 保育师 or 育婴员).")
    if data.kind is not CertificateKind.qualification:
        data.name = ""
    if data.number and _number_taken(session, data.kind, data.name, data.number):
        errors["number"] = N_("A certificate of this kind with this number is already recorded.")
    if errors:
        raise Refused(errors)
    certificate = StaffCertificate(person_id=person_id, recorded_by_id=me.id, **data.model_dump())
    session.add(certificate)
    audit.record(session, me.id, "staff_certificate_recorded", certificate, after=audit.snapshot(certificate))
    session.commit()
    return certificate


def void_certificate(session: Session, me: CurrentPerson, certificate: StaffCertificate, reason: str) -> None:
    if certificate.voided_at is not None:
        return
    before = audit.snapshot(certificate)
    certificate.voided_at = utcnow()
    certificate.void_reason = reason
    session.add(certificate)
    audit.record(session, me.id, "staff_certificate_voided", certificate, before=before,
                 after=audit.snapshot(certificate), reason=reason)
    session.commit()


def _page(request: Request, session: Session, person_id: int, form: dict, errors: dict, status_code: int = 200):
    account = staff_service.staff_account(session, person_id)
    context = {
        "account": account, "form": form, "errors": errors,
        **certificates_section(session, person_id, local_today(), load_policy(session)),
    }
    return render(request, "staff/certificates.html", context, status_code=status_code, block="certificates")


@router.get("/staff/{person_id}/certificates")
def certificates_page(request: Request, session: DbSession, me: Director, person_id: int):
    return _page(request, session, person_id, {}, {})


@router.post("/staff/{person_id}/certificates")
async def record_certificate(request: Request, session: DbSession, me: Director, person_id: int):
    staff_service.staff_account(session, person_id)
    form = await request.form()
    data, errors = parse_form(CertificateForm, form)
    if data is not None:
        try:
            add_certificate(session, me, person_id, data)
            return RedirectResponse(f"/staff/{person_id}/certificates", status_code=303)
        except Refused as refused:
            errors = refused.errors
    return _page(request, session, person_id, {k: form.get(k) for k in form}, errors, 400)


@router.post("/staff/{person_id}/certificates/{certificate_id}/void")
async def void(request: Request, session: DbSession, me: Director, person_id: int, certificate_id: int):
    certificate = session.get(StaffCertificate, certificate_id)
    if certificate is None or certificate.person_id != person_id:
        raise NotFound()
    data, errors = parse_form(ReasonForm, await request.form())
    if data is None:
        return _page(request, session, person_id, {}, {"reason": errors.get("reason"), "void_id": certificate_id}, 400)
    void_certificate(session, me, certificate, data.reason)
    return RedirectResponse(f"/staff/{person_id}/certificates", status_code=303)
