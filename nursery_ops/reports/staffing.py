"""Staff compliance (人员合规): every active member of staff with the certificates needed to work with
children, qualifications and training hours; the staffing rules; and the people barred for good.

The register and the rules are the dashboard's and the roster's (staff.service.staffing,
staff.rules.health_staff_warning, staff.roster.roster_day's security rule, attendance.rules.missing_certificates); this module adds each certificate's state
and the training totals. Who is active and barred is the register as it stands; certificates, training
and the rules are taken on the chosen day (`?on=`, today by default), so a director can look ahead.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BeforeValidator
from sqlalchemy import func
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from nursery_ops.attendance.rules import REQUIRED_TO_WORK, missing_certificates
from nursery_ops.auth.access import DbSession, Director
from nursery_ops.auditlog.rules import utc_range
from nursery_ops.auth.models import Person
from nursery_ops.children.forms import calendar_date
from nursery_ops.clock import local_date, local_today
from nursery_ops.enrolment.models import Enrolment
from nursery_ops.forms import FormModel, parse_form
from nursery_ops.i18n import N_
from nursery_ops.policy import Decision, Policy, load_policy
from nursery_ops.reports.chart import BarChart, bar_chart
from nursery_ops.rooms.service import holds_place_on
from nursery_ops.settings import get_settings
from nursery_ops.spreadsheet import cell, csv_download, csv_refused
from nursery_ops.staff.certificates import KIND_LABELS, certificate_status
from nursery_ops.staff.models import (
    CertificateKind,
    Employment,
    Job,
    StaffCertificate,
    StaffProfile,
    StaffTraining,
    TrainingKind,
)
from nursery_ops.staff.roster import roster_day
from nursery_ops.staff.rules import (
    EMPLOYMENT_LABELS,
    JOB_LABELS,
    TRAINING_LABELS,
    TrainingTotal,
    health_staff_warning,
    hours_text,
    training_totals,
)
from nursery_ops.staff.service import Account, staffing
from nursery_ops.templating import render, translator_for

router = APIRouter()

MISSING = "missing"
# A certificate's state on the day, in the order of the chart's bars.
STATES = ("valid", "expiring", "expired", MISSING)
STATE_LABELS = {
    "valid": N_("Valid"),
    "expiring": N_("Expiring soon"),
    "expired": N_("Expired"),
    MISSING: N_("Missing"),
}
# The same state in a table cell, with the date.
STATE_TEXTS = {
    "valid": N_("Valid until {date}"),
    "expiring": N_("Expires on {date}"),
    "expired": N_("Expired on {date}"),
}
# Short names for the chart's labels (its label column is narrow).
CHART_KIND_LABELS = {
    CertificateKind.health: N_("Health certificate"),
    CertificateKind.no_criminal_record: N_("No criminal record"),
    CertificateKind.background_check: N_("Background check"),
}
TRAINING_SHORT = N_("{kind}: {hours} of {required} hours")
CERTIFICATE_PROBLEM = N_("{kind}: {state}")


class StaffReportQuery(FormModel):
    on: Annotated[date | None, BeforeValidator(calendar_date)] = None


@dataclass(frozen=True)
class CertificateState:
    kind: CertificateKind
    status: str  # STATES
    valid_until: date | None  # None when missing


@dataclass(frozen=True)
class StaffRow:
    account: Account
    certificates: tuple[CertificateState, ...]  # REQUIRED_TO_WORK, in its order
    qualifications: tuple[tuple[str, CertificateState], ...]  # (name, state), by name
    training: tuple[TrainingTotal, ...]  # the kinds with a policy minimum
    missing: tuple[CertificateKind, ...]  # not held valid on the day (attendance.rules.missing_certificates)

    @property
    def may_work_with_children(self) -> bool:
        return not self.missing

    @property
    def training_short(self) -> bool:
        return any(total.short for total in self.training)

    @property
    def compliant(self) -> bool:
        return self.may_work_with_children and not self.training_short

    @property
    def expiring(self) -> bool:
        return any(state.status == "expiring" for state in self.certificates)


@dataclass(frozen=True)
class BarredRow:
    person: Person
    barred_on: date
    reason: str
    barred_by: str


@dataclass(frozen=True)
class StaffReport:
    on: date
    warning_days: int
    full_time_health_from: int
    rows: list[StaffRow]
    barred: list[BarredRow]
    enrolled: int
    health_officers: list[Employment]
    security: int
    security_on_duty: int
    health_warning: Decision | None
    security_warning: Decision | None

    @property
    def compliant(self) -> int:
        return sum(1 for row in self.rows if row.compliant)

    @property
    def with_problems(self) -> int:
        return len(self.rows) - self.compliant

    @property
    def expiring(self) -> int:
        return sum(1 for row in self.rows if row.expiring)

    @property
    def full_time_health_officers(self) -> int:
        return self.health_officers.count(Employment.full_time)

    @property
    def part_time_health_officers(self) -> int:
        return self.health_officers.count(Employment.part_time)


def _state(certificate: StaffCertificate | None, kind: CertificateKind, on: date, policy: Policy) -> CertificateState:
    if certificate is None:
        return CertificateState(kind, MISSING, None)
    return CertificateState(kind, certificate_status(certificate, on, policy), certificate.valid_until)


def staff_report(session: Session, on: date, policy: Policy) -> StaffReport:
    """The compliance table in a fixed number of statements (the register's three, the roster's seven, then four)."""
    register = staffing(session, on, policy)
    ids = [found.person.id for found in register.working]
    # The newest certificate of each kind (of each qualification by its name) issued by the day, as staffing() keeps.
    newest: dict[tuple[int, CertificateKind, str], StaffCertificate] = {}
    for certificate in session.exec(
        select(StaffCertificate).where(
            col(StaffCertificate.person_id).in_(ids), col(StaffCertificate.voided_at).is_(None),
            StaffCertificate.issued_on <= on,
        )
    ).all():
        key = (certificate.person_id, certificate.kind, certificate.name)
        if key not in newest or certificate.valid_until > newest[key].valid_until:
            newest[key] = certificate
    hours: dict[int, dict[TrainingKind, int]] = {}
    for person_id, kind, tenths in session.exec(
        select(StaffTraining.person_id, StaffTraining.kind, func.sum(StaffTraining.hours_tenths))
        .where(col(StaffTraining.person_id).in_(ids), col(StaffTraining.voided_at).is_(None), StaffTraining.on_date <= on)
        .group_by(StaffTraining.person_id, StaffTraining.kind)
    ).all():
        hours.setdefault(person_id, {})[kind] = tenths

    rows = []
    for found in register.working:
        person_id = found.person.id
        certificates = tuple(_state(newest.get((person_id, kind, "")), kind, on, policy) for kind in REQUIRED_TO_WORK)
        qualifications = sorted(
            (certificate for (owner, kind, _name), certificate in newest.items()
             if owner == person_id and kind is CertificateKind.qualification),
            key=lambda certificate: certificate.name,
        )
        valid = {state.kind for state in certificates if state.status in ("valid", "expiring")}
        rows.append(StaffRow(
            account=found,
            certificates=certificates,
            qualifications=tuple((q.name, _state(q, q.kind, on, policy)) for q in qualifications),
            training=tuple(total for total in training_totals(hours.get(person_id, {}), policy) if total.required_hours),
            missing=tuple(missing_certificates(valid)),
        ))

    enrolled = session.exec(select(func.count()).select_from(Enrolment).where(holds_place_on(on))).one()
    # The day's roster decides the guard rule (a closed day, or one no child comes, needs none).
    roster = roster_day(session, on, policy)
    guards_on_duty = len({duty.entry.person_id for duty in roster.posts if duty.job is Job.security})
    return StaffReport(
        on=on,
        warning_days=policy.certificate_warning_days,
        full_time_health_from=policy.health_staff_full_time_from,
        rows=rows,
        barred=barred_people(session, on),
        enrolled=enrolled,
        health_officers=register.health_officers,
        security=register.security,
        security_on_duty=guards_on_duty,
        health_warning=health_staff_warning(register.health_officers, enrolled, policy),
        security_warning=roster.security,
    )


def barred_people(session: Session, on: date) -> list[BarredRow]:
    """Everyone barred for harming a child by the end of the day, first barred first (the record the director keeps)."""
    by = aliased(Person)
    _start, end_of_day = utc_range(None, on, get_settings().zone)
    rows = session.exec(
        select(Person, StaffProfile, by.full_name)
        .join(StaffProfile, StaffProfile.person_id == Person.id)
        .outerjoin(by, by.id == StaffProfile.barred_by_id)
        .where(col(StaffProfile.barred_at).is_not(None), StaffProfile.barred_at < end_of_day)
        .order_by(StaffProfile.barred_at, Person.id)
    ).all()
    return [BarredRow(person, local_date(profile.barred_at), profile.barred_reason or "", name or "")
            for person, profile, name in rows]


def state_text(state: CertificateState, _: Callable[..., str]) -> str:
    """A spreadsheet cell: "Valid until 2026-05-01", "Expires on …", "Expired on …" or "Missing"."""
    if state.valid_until is None:
        return _(STATE_LABELS[MISSING])
    return _(STATE_TEXTS[state.status], date=state.valid_until.isoformat())


def qualification_text(name: str, state: CertificateState, _: Callable[..., str]) -> str:
    """A qualification's name, marked when it has expired (it is still shown: the director may renew it)."""
    return cell(name) if state.status != "expired" else f"{cell(name)} ({_(STATE_LABELS['expired'])})"


def problems(row: StaffRow, _: Callable[..., str]) -> list[str]:
    """What keeps this person from being compliant, in words."""
    found = [
        _(CERTIFICATE_PROBLEM, kind=_(KIND_LABELS[state.kind]), state=_(STATE_LABELS[state.status]))
        for state in row.certificates if state.kind in row.missing
    ]
    found += [
        _(TRAINING_SHORT, kind=_(TRAINING_LABELS[total.kind]), hours=total.hours, required=total.required_hours)
        for total in row.training if total.short
    ]
    return found


def certificate_chart(report: StaffReport, _: Callable[..., str]) -> BarChart:
    """How many certificates are valid, expiring, expired or missing, each bar split by kind.

    One bar per state (not per kind): the series colours then stand for kinds, and no state gets a
    colour that says the opposite of what it means.
    """
    rows = [
        (_(STATE_LABELS[state]),
         [sum(1 for row in report.rows if row.certificates[index].status == state) for index in range(len(REQUIRED_TO_WORK))])
        for state in STATES
    ]
    return bar_chart(_(N_("Certificates by state")), rows, [_(CHART_KIND_LABELS[kind]) for kind in REQUIRED_TO_WORK])


def csv_rows(report: StaffReport, _: Callable[..., str]) -> list[list[str]]:
    """One row per active member of staff, then one per barred person (their bar in the last two columns)."""
    header = [_(N_("Name")), _(N_("Post")), _(N_("Employment"))]
    header += [_(KIND_LABELS[kind]) for kind in REQUIRED_TO_WORK]
    header += [_(N_("Qualifications")), _(N_("Pre-service training hours")), _(N_("Ethics training hours")),
               _(N_("May work with children")), _(N_("Problems")), _(N_("Barred on")), _(N_("Reason for the bar"))]
    rows = [header]
    for row in report.rows:
        tenths = {total.kind: total.hours_tenths for total in row.training}
        rows.append(
            [cell(row.account.person.full_name), _(JOB_LABELS[row.account.job]), _(EMPLOYMENT_LABELS[row.account.employment])]
            + [state_text(state, _) for state in row.certificates]
            + ["; ".join(qualification_text(name, held, _) for name, held in row.qualifications),
               hours_text(tenths.get(TrainingKind.pre_service, 0)), hours_text(tenths.get(TrainingKind.ethics, 0)),
               _(N_("Yes")) if row.may_work_with_children else _(N_("No")), "; ".join(problems(row, _)), "", ""]
        )
    for barred in report.barred:
        rows.append([cell(barred.person.full_name), "", ""] + [""] * len(REQUIRED_TO_WORK)
                    + ["", "", "", _(N_("No")), _(N_("Barred")), barred.barred_on.isoformat(), cell(barred.reason)])
    return rows


def _chosen_day(request: Request) -> tuple[date | None, dict, dict]:
    data, errors = parse_form(StaffReportQuery, request.query_params)
    form = {"on": request.query_params.get("on") or local_today().isoformat()}
    if data is None:
        return None, form, errors
    return data.on or local_today(), form, {}


@router.get("/reports/staff")
def staff_page(request: Request, session: DbSession, me: Director):
    on, form, errors = _chosen_day(request)
    report = staff_report(session, on, load_policy(session)) if on else None
    translator = translator_for(request)
    context = {
        "report": report, "chart": certificate_chart(report, translator.gettext) if report else None,
        "form": form, "errors": errors, "required_kinds": REQUIRED_TO_WORK,
        "kind_labels": KIND_LABELS, "state_labels": STATE_LABELS,
        "job_labels": JOB_LABELS, "employment_labels": EMPLOYMENT_LABELS, "training_labels": TRAINING_LABELS,
    }
    return render(request, "reports/staff.html", context, status_code=400 if errors else 200)


@router.get("/reports/staff.csv")
def staff_csv(request: Request, session: DbSession, me: Director):
    on, _form, errors = _chosen_day(request)
    gettext = translator_for(request).gettext
    if on is None:
        return csv_refused(gettext(errors["on"]))
    report = staff_report(session, on, load_policy(session))
    return csv_download(csv_rows(report, gettext), f"staff-{on.isoformat()}.csv")
