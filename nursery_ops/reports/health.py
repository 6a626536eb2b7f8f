"""Health summary (卫生保健月报): a month's sick days, illnesses in the nursery, children sent home and
return certificates, incidents by category, outbreak alerts and medication doses.

Counts for the director and the health officer; only the children with the most sick days are
named. Incidents are never named here: a suspected abuse (incidents.rules.RESTRICTED_CATEGORIES)
is one number among the categories, shown to those who read every incident
(children.access.reads_every_health_record) and left out for anyone else. An incident is never
voided (incidents.models), so every one recorded counts; voided illnesses, doses and return
certificates, and sick absences superseded by a late arrival, do not.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import APIRouter, Request
from sqlalchemy import and_, case, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from nursery_ops.attendance.models import Absence, AbsenceReason, CheckOutcome, MorningCheck
from nursery_ops.auth.access import DbSession, HealthStaff
from nursery_ops.children.access import reads_every_health_record
from nursery_ops.children.models import Child
from nursery_ops.clock import local_today
from nursery_ops.health.models import ReturnCertificate
from nursery_ops.i18n import N_
from nursery_ops.illness.forms import OUTCOME_LABELS as ILLNESS_OUTCOME_LABELS
from nursery_ops.illness.forms import RULE_LABELS, SYMPTOM_LABELS
from nursery_ops.illness.models import Illness, IllnessOutcome, OutbreakAlert, Symptom
from nursery_ops.incidents.forms import CATEGORY_LABELS
from nursery_ops.incidents.models import Incident, IncidentCategory
from nursery_ops.incidents.rules import RESTRICTED_CATEGORIES
from nursery_ops.medication.forms import OUTCOME_LABELS as DOSE_OUTCOME_LABELS
from nursery_ops.medication.models import DoseOutcome, MedicationDose
from nursery_ops.reports.chart import BarChart, bar_chart
from nursery_ops.reports.period import Month, chosen_month
from nursery_ops.rooms.models import Room
from nursery_ops.spreadsheet import cell, csv_download, csv_refused
from nursery_ops.templating import render, translator_for

router = APIRouter()

TOP_CHILDREN = 5  # the children with the most sick days, named for the health officer's follow-up
UNNAMED_DISEASE = N_("Not named yet")


@dataclass(frozen=True)
class RoomSickDays:
    room: Room
    days: int


@dataclass(frozen=True)
class ChildSickDays:
    child_id: int
    name: str
    days: int


@dataclass(frozen=True)
class IncidentCount:
    category: IncidentCategory
    incidents: int
    to_hospital: int


@dataclass(frozen=True)
class HealthReport:
    month: Month
    sick_days_by_room: list[RoomSickDays]
    sick_children: int
    most_sick_days: list[ChildSickDays]
    illnesses: int
    suspected_infectious: int
    by_symptom: list[tuple[Symptom, int]]  # an illness with two symptoms counts under both
    by_disease: list[tuple[str, int]]  # suspected infectious diseases, "" when not named yet
    by_outcome: dict[IllnessOutcome, int]
    sent_home_at_check: int  # child-days whose last morning check said "send home"
    certificates_required: int
    certificates_received: int
    certificates_awaited: int  # required by the month's end and not received by then
    incidents: list[IncidentCount]
    outbreaks: list[tuple[OutbreakAlert, Room]]
    doses: dict[DoseOutcome, int]
    children_given_medicine: int

    @property
    def sick_days(self) -> int:
        return sum(row.days for row in self.sick_days_by_room)

    @property
    def incident_total(self) -> int:
        return sum(row.incidents for row in self.incidents)

    @property
    def incidents_to_hospital(self) -> int:
        return sum(row.to_hospital for row in self.incidents)


def _in_month(column, month: Month):
    return and_(column >= month.first, column <= month.last)


def health_report(session: Session, month: Month, include_restricted: bool) -> HealthReport:
    """The month's health numbers in nine grouped statements, whatever the number of children."""
    sick = and_(
        Absence.reason == AbsenceReason.sick, col(Absence.superseded_at).is_(None), _in_month(Absence.on_date, month)
    )
    rooms = session.exec(select(Room).order_by(Room.name, Room.id)).all()
    per_room = dict(session.exec(select(Absence.room_id, func.count()).where(sick).group_by(Absence.room_id)).all())
    days = func.count().label("days")
    per_child = session.exec(
        select(Child.id, Child.full_name, days).select_from(Absence).join(Child, Child.id == Absence.child_id)
        .where(sick).group_by(Child.id, Child.full_name).order_by(days.desc(), Child.full_name, Child.id)
    ).all()

    illnesses = session.exec(
        select(Illness.symptoms, Illness.suspected_infectious, Illness.suspected_disease, Illness.outcome)
        .where(_in_month(Illness.on_date, month), col(Illness.voided_at).is_(None))
    ).all()
    symptoms = Counter(Symptom(code) for codes, *_rest in illnesses for code in codes.split())
    diseases = Counter(disease.strip() for _codes, infectious, disease, _outcome in illnesses if infectious)
    outcomes = Counter(outcome for *_rest, outcome in illnesses if outcome is not None)

    # A later check the same day replaces the earlier (a re-taken temperature): only the day's last one counts.
    later = aliased(MorningCheck)
    sent_home = session.exec(
        select(func.count()).select_from(MorningCheck).where(
            _in_month(MorningCheck.on_date, month),
            MorningCheck.outcome == CheckOutcome.send_home,
            ~select(later.id).where(
                later.child_id == MorningCheck.child_id, later.on_date == MorningCheck.on_date, later.at > MorningCheck.at,
            ).exists(),
        )
    ).one()

    received = ReturnCertificate.received_on
    certificates = session.exec(
        select(
            func.sum(case((_in_month(ReturnCertificate.required_since, month), 1), else_=0)),
            func.sum(case((and_(col(received).is_not(None), _in_month(received, month)), 1), else_=0)),
            func.sum(case((or_(col(received).is_(None), received > month.last), 1), else_=0)),
        ).where(col(ReturnCertificate.voided_at).is_(None), ReturnCertificate.required_since <= month.last)
    ).one()

    incident_query = (
        select(Incident.category, Incident.hospital_referral, func.count())
        .where(_in_month(Incident.on_date, month)).group_by(Incident.category, Incident.hospital_referral)
    )
    if not include_restricted:
        incident_query = incident_query.where(col(Incident.category).not_in(list(RESTRICTED_CATEGORIES)))
    incident_counts: Counter = Counter()
    hospital_counts: Counter = Counter()
    for category, to_hospital, count in session.exec(incident_query).all():
        incident_counts[category] += count
        if to_hospital:
            hospital_counts[category] += count
    categories = [c for c in IncidentCategory if include_restricted or c not in RESTRICTED_CATEGORIES]

    outbreaks = session.exec(
        select(OutbreakAlert, Room).join(Room, Room.id == OutbreakAlert.room_id)
        .where(OutbreakAlert.window_start <= month.last, OutbreakAlert.window_end >= month.first)
        .order_by(OutbreakAlert.window_start, OutbreakAlert.id)
    ).all()

    doses = session.exec(
        select(MedicationDose.outcome, func.count(), func.count(func.distinct(MedicationDose.child_id)))
        .where(_in_month(MedicationDose.on_date, month), col(MedicationDose.voided_at).is_(None))
        .group_by(MedicationDose.outcome)
    ).all()

    return HealthReport(
        month=month,
        # Every active room, and an inactive one only when it had sick days that month.
        sick_days_by_room=[RoomSickDays(room, per_room.get(room.id, 0)) for room in rooms if room.active or room.id in per_room],
        sick_children=len(per_child),
        most_sick_days=[ChildSickDays(child_id, name, count) for child_id, name, count in per_child[:TOP_CHILDREN]],
        illnesses=len(illnesses),
        suspected_infectious=sum(1 for _codes, infectious, *_rest in illnesses if infectious),
        by_symptom=[(symptom, symptoms.get(symptom, 0)) for symptom in Symptom],
        by_disease=sorted(diseases.items(), key=lambda item: (-item[1], item[0] == "", item[0])),
        by_outcome={outcome: outcomes.get(outcome, 0) for outcome in IllnessOutcome},
        sent_home_at_check=sent_home,
        certificates_required=certificates[0] or 0,
        certificates_received=certificates[1] or 0,
        certificates_awaited=certificates[2] or 0,
        incidents=[IncidentCount(c, incident_counts.get(c, 0), hospital_counts.get(c, 0)) for c in categories],
        outbreaks=list(outbreaks),
        doses={outcome: next((count for found, count, _ in doses if found == outcome), 0) for outcome in DoseOutcome},
        children_given_medicine=next((children for found, _, children in doses if found == DoseOutcome.given), 0),
    )


def health_charts(report: HealthReport, _: Callable[..., str]) -> tuple[BarChart, BarChart]:
    """Incidents by category, and sick days per room."""
    incidents = bar_chart(
        _(N_("Incidents by category")), [(_(CATEGORY_LABELS[row.category]), [row.incidents]) for row in report.incidents]
    )
    sick_days = bar_chart(_(N_("Sick days per room")), [(row.room.name, [row.days]) for row in report.sick_days_by_room])
    return incidents, sick_days


def csv_rows(report: HealthReport, _: Callable[..., str]) -> list[list[str]]:
    """One row per (section, item, count): every number of the page, in the page's order."""
    rows = [[_(N_("Section")), _(N_("Item")), _(N_("Count"))]]

    def add(section: str, item: str, count: int) -> None:
        rows.append([_(section), item, str(count)])

    for row in report.sick_days_by_room:
        add(N_("Sick days"), cell(row.room.name), row.days)
    add(N_("Sick days"), _(N_("Total")), report.sick_days)
    add(N_("Sick days"), _(N_("Children with sick days")), report.sick_children)
    for child in report.most_sick_days:
        add(N_("Most sick days"), cell(child.name), child.days)
    add(N_("Illness in the nursery"), _(N_("Total")), report.illnesses)
    add(N_("Illness in the nursery"), _(N_("Suspected infectious")), report.suspected_infectious)
    for symptom, count in report.by_symptom:
        add(N_("Illness by symptom"), _(SYMPTOM_LABELS[symptom]), count)
    for disease, count in report.by_disease:
        add(N_("Suspected infectious disease"), cell(disease) if disease else _(UNNAMED_DISEASE), count)
    add(N_("Sent home"), _(N_("At the morning check (晨检)")), report.sent_home_at_check)
    for outcome, count in report.by_outcome.items():
        add(N_("Illness outcome"), _(ILLNESS_OUTCOME_LABELS[outcome]), count)
    add(N_("Return certificates (返园证明)"), _(N_("Required")), report.certificates_required)
    add(N_("Return certificates (返园证明)"), _(N_("Received")), report.certificates_received)
    add(N_("Return certificates (返园证明)"), _(N_("Awaited at the month's end")), report.certificates_awaited)
    for row in report.incidents:
        add(N_("Incidents"), _(CATEGORY_LABELS[row.category]), row.incidents)
    for row in report.incidents:
        add(N_("Incidents referred to hospital"), _(CATEGORY_LABELS[row.category]), row.to_hospital)
    add(N_("Incidents"), _(N_("Total")), report.incident_total)
    for alert, room in report.outbreaks:
        add(N_("Outbreak alerts"), f"{cell(room.name)} · {_(SYMPTOM_LABELS[alert.symptom])}", alert.case_count)
    for outcome, count in report.doses.items():
        add(N_("Medication doses"), _(DOSE_OUTCOME_LABELS[outcome]), count)
    add(N_("Medication doses"), _(N_("Children given medicine")), report.children_given_medicine)
    return rows


def _report(session: Session, me, month: Month) -> HealthReport:
    return health_report(session, month, include_restricted=reads_every_health_record(me))


@router.get("/reports/health")
def health_page(request: Request, session: DbSession, me: HealthStaff, month: str | None = None):
    chosen, errors = chosen_month(month, local_today())
    report = _report(session, me, chosen) if chosen else None
    context = {
        "report": report, "charts": health_charts(report, translator_for(request).gettext) if report else (),
        "form": {"month": month or chosen.text}, "errors": errors,
        "category_labels": CATEGORY_LABELS, "symptom_labels": SYMPTOM_LABELS, "rule_labels": RULE_LABELS,
        "illness_outcome_labels": ILLNESS_OUTCOME_LABELS, "dose_outcome_labels": DOSE_OUTCOME_LABELS,
        "unnamed_disease": UNNAMED_DISEASE,
    }
    return render(request, "reports/health.html", context, status_code=400 if errors else 200)


@router.get("/reports/health.csv")
def health_csv(request: Request, session: DbSession, me: HealthStaff, month: str | None = None):
    chosen, errors = chosen_month(month, local_today())
    gettext = translator_for(request).gettext
    if chosen is None:
        return csv_refused(gettext(errors["month"]))
    return csv_download(csv_rows(_report(session, me, chosen), gettext), f"health-{chosen.text}.csv")
