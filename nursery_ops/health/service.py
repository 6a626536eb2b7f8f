"""The health officer's work (保健): admission health items, the exam schedule, sick follow-up,
and recording / voiding a child's health exams.

Lists cover all enrolled children at once with a fixed number of queries (joins
and grouped subqueries, then grouping in Python) — never a query per child.
The rules are plain functions: enrolment.rules for admission, health.rules for
the exam schedule.
"""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from nursery_ops import audit
from nursery_ops.attendance.models import Absence, AbsenceReason
from nursery_ops.attendance.service import sick_to_follow_up
from nursery_ops.auth.service import CurrentPerson
from nursery_ops.children.models import Child, VaccinationStatus
from nursery_ops.clock import utcnow
from nursery_ops.enrolment.models import Enrolment, EnrolmentStatus
from nursery_ops.enrolment.rules import vaccination_deadline, valid_entry_exam
from nursery_ops.errors import NotFound
from nursery_ops.forms import Refused
from nursery_ops.health.forms import ExamForm
from nursery_ops.health.models import ExamKind, HealthExam, HearingResult, ReturnCertificate
from nursery_ops.health.rules import (
    DUE_KIND_LABELS,
    Due,
    DueKind,
    due_state,
    schedule,
)
from nursery_ops.i18n import N_
from nursery_ops.policy import Policy
from nursery_ops.rooms.models import Room

# Exams that are a full check-up at a medical institution: each restarts the periodic interval,
# passed or not (the visit happened; a failed entry exam shows in the admission list instead).
FULL_EXAM_KINDS = (ExamKind.entry, ExamKind.periodic, ExamKind.return_after_absence)


@dataclass
class ExamItem:
    """An enrolled child without a passed entry exam within the valid days before the start."""

    child: Child
    enrolment: Enrolment
    room: Room
    last_exam: HealthExam | None  # the latest passed entry exam, too old to count (None: never examined)


@dataclass
class VaccinationItem:
    child: Child
    enrolment: Enrolment
    room: Room
    due_on: date | None  # None: the certificate is missing, not pending
    overdue: bool


@dataclass
class FeedingItem:
    child: Child
    enrolment: Enrolment
    room: Room


@dataclass
class AdmissionHealth:
    enrolled: int = 0
    exams: list[ExamItem] = field(default_factory=list)
    vaccinations: list[VaccinationItem] = field(default_factory=list)
    feeding: list[FeedingItem] = field(default_factory=list)

    @property
    def vaccinations_overdue(self) -> int:
        return sum(1 for item in self.vaccinations if item.overdue)

    @property
    def vaccinations_missing(self) -> int:
        return sum(1 for item in self.vaccinations if item.due_on is None)


def admission_health(session: Session, today: date, policy: Policy) -> AdmissionHealth:
    rows = session.exec(
        select(Child, Enrolment, Room)
        .join(Enrolment, Enrolment.child_id == Child.id)
        .join(Room, Room.id == Enrolment.room_id)
        .where(Enrolment.status == EnrolmentStatus.enrolled)
        .order_by(Room.name, Child.full_name, Child.id)
    ).all()
    child_ids = [child.id for child, _enrolment, _room in rows]
    exams: dict[int, list[HealthExam]] = {child_id: [] for child_id in child_ids}
    for exam in session.exec(
        select(HealthExam).where(
            HealthExam.child_id.in_(child_ids),
            HealthExam.kind == ExamKind.entry,
            HealthExam.passed.is_(True),
            HealthExam.voided_at.is_(None),
        )
    ):
        exams[exam.child_id].append(exam)

    overview = AdmissionHealth(enrolled=len(rows))
    for child, enrolment, room in rows:
        child_exams = exams[child.id]
        if valid_entry_exam(child_exams, enrolment.start_date, policy) is None:
            latest = max(child_exams, key=lambda exam: exam.exam_date, default=None)
            overview.exams.append(ExamItem(child, enrolment, room, latest))
        if child.vaccination_status == VaccinationStatus.pending:
            due_on = vaccination_deadline(child, enrolment, policy)
            overview.vaccinations.append(VaccinationItem(child, enrolment, room, due_on, today > due_on))
        elif child.vaccination_status == VaccinationStatus.missing:
            overview.vaccinations.append(VaccinationItem(child, enrolment, room, None, False))
        if child.feeding_needs.strip() and child.feeding_statement_on is None:
            overview.feeding.append(FeedingItem(child, enrolment, room))
    # Overdue first, then missing certificates, then by due date.
    overview.vaccinations.sort(key=lambda item: (not item.overdue, item.due_on is not None, item.due_on or today))
    return overview


# ---------------------------------------------------------------- the exam schedule


@dataclass
class ExamDue:
    """An enrolled child's exam, screening or certificate that is due within the warning days, or overdue."""

    child: Child
    enrolment: Enrolment
    room: Room | None
    kind: DueKind
    due_on: date
    overdue: bool
    last_on: date | None = None  # the last one of this kind (None: never recorded)


@dataclass
class LastExams:
    """The latest exam date per kind for one child (None: never recorded)."""

    full_exam_on: date | None = None
    haemoglobin_on: date | None = None
    hearing_on: date | None = None


def last_exams_query():
    """Per child, the latest full exam and the latest haemoglobin / hearing screening (not voided)."""
    full_exam = case((col(HealthExam.kind).in_(FULL_EXAM_KINDS), HealthExam.exam_date))
    haemoglobin = case((col(HealthExam.haemoglobin_g_l).is_not(None), HealthExam.exam_date))
    hearing = case((col(HealthExam.hearing).is_not(None), HealthExam.exam_date))
    return (
        select(
            HealthExam.child_id,
            func.max(full_exam).label("full_exam_on"),
            func.max(haemoglobin).label("haemoglobin_on"),
            func.max(hearing).label("hearing_on"),
        )
        .where(col(HealthExam.voided_at).is_(None))
        .group_by(HealthExam.child_id)
    )


def vaccination_due(child: Child, enrolment: Enrolment, policy: Policy) -> date | None:
    """预防接种证: pending → its deadline; missing → it was due at the start; sighted → nothing due."""
    if child.vaccination_status == VaccinationStatus.pending:
        return vaccination_deadline(child, enrolment, policy)
    if child.vaccination_status == VaccinationStatus.missing:
        return enrolment.start_date
    return None


def child_schedule(child: Child, enrolment: Enrolment, last: LastExams, today: date, policy: Policy) -> list[Due]:
    """Everything still to come for one child (also what is not yet due), vaccination certificate included."""
    found = schedule(
        child.birth_date,
        enrolment.start_date,
        today,
        policy,
        last_exam_on=last.full_exam_on,
        last_haemoglobin_on=last.haemoglobin_on,
        last_hearing_on=last.hearing_on,
    )
    vaccination_on = vaccination_due(child, enrolment, policy)
    if vaccination_on is not None:
        found.append(Due(DueKind.vaccination, vaccination_on, due_state(vaccination_on, today, policy), None))
    return found


def exams_due(session: Session, today: date, policy: Policy) -> list[ExamDue]:
    """Exams, screenings and vaccination certificates of enrolled children that WARN today
    (due within `exam_warning_days`, or overdue): overdue first, then by due date. One query."""
    last = last_exams_query().subquery()
    rows = session.exec(
        select(Child, Enrolment, Room, last.c.full_exam_on, last.c.haemoglobin_on, last.c.hearing_on)
        .join(Enrolment, Enrolment.child_id == Child.id)
        .outerjoin(Room, Room.id == Enrolment.room_id)
        .outerjoin(last, last.c.child_id == Child.id)
        .where(Enrolment.status == EnrolmentStatus.enrolled)
        .order_by(Child.full_name, Child.id)
    ).all()
    found = []
    for child, enrolment, room, full_exam_on, haemoglobin_on, hearing_on in rows:
        for due in child_schedule(child, enrolment, LastExams(full_exam_on, haemoglobin_on, hearing_on), today, policy):
            if due.warn:
                found.append(ExamDue(child, enrolment, room, due.kind, due.due_on, due.overdue, due.last_on))
    found.sort(key=lambda item: (not item.overdue, item.due_on, item.child.full_name))
    return found


def child_exam_schedule(session: Session, child: Child, today: date, policy: Policy) -> list[Due]:
    """One child's schedule for the child record (empty when the child is not enrolled now). Two queries."""
    enrolment = session.exec(
        select(Enrolment).where(Enrolment.child_id == child.id, Enrolment.status == EnrolmentStatus.enrolled)
    ).first()
    if enrolment is None:
        return []
    row = session.exec(last_exams_query().where(HealthExam.child_id == child.id)).first()
    last = LastExams(*row[1:]) if row else LastExams()
    return sorted(child_schedule(child, enrolment, last, today, policy), key=lambda due: due.due_on)


def record_exams_context(session: Session, child: Child, today: date, policy: Policy) -> dict:
    """What templates/health/_record_exams.html needs besides the child record (two queries)."""
    return {
        "exam_schedule": child_exam_schedule(session, child, today, policy),
        "due_labels": DUE_KIND_LABELS,
        "anaemia_below": policy.anaemia_below_g_l,
    }


# ---------------------------------------------------------------- screening results to follow up


@dataclass
class ScreeningFinding:
    """An enrolled child whose latest haemoglobin is low (anaemia) or whose latest hearing screening says refer."""

    child: Child
    room: Room | None
    kind: DueKind  # haemoglobin or hearing
    exam_date: date
    haemoglobin_g_l: int | None = None


def latest_screenings(value_column):
    """Per child, the latest not voided exam that recorded `value_column` (row number 1)."""
    rank = func.row_number().over(
        partition_by=HealthExam.child_id, order_by=(col(HealthExam.exam_date).desc(), col(HealthExam.id).desc())
    )
    return (
        select(HealthExam.child_id, HealthExam.exam_date, value_column.label("value"), rank.label("rank"))
        .where(col(HealthExam.voided_at).is_(None), col(value_column).is_not(None))
        .subquery()
    )


def screening_findings(session: Session, policy: Policy) -> list[ScreeningFinding]:
    """Latest haemoglobin below `anaemia_below_g_l` (110 g/L) or latest hearing "refer": two queries.

    A later normal result clears the finding, so the list is what still needs following up.
    """
    found = []
    for kind, column, is_finding in (
        (DueKind.haemoglobin, HealthExam.haemoglobin_g_l, lambda value: value < policy.anaemia_below_g_l),
        (DueKind.hearing, HealthExam.hearing, lambda value: value == HearingResult.refer),
    ):
        latest = latest_screenings(column)
        rows = session.exec(
            select(Child, Room, latest.c.exam_date, latest.c.value)
            .join(Enrolment, Enrolment.child_id == Child.id)
            .outerjoin(Room, Room.id == Enrolment.room_id)
            .join(latest, latest.c.child_id == Child.id)
            .where(Enrolment.status == EnrolmentStatus.enrolled, latest.c.rank == 1)
            .order_by(Child.full_name, Child.id)
        ).all()
        for child, room, exam_date, value in rows:
            if is_finding(value):
                haemoglobin = value if kind is DueKind.haemoglobin else None
                found.append(ScreeningFinding(child, room, kind, exam_date, haemoglobin))
    return found


# ---------------------------------------------------------------- a child's exams


def child_exams(session: Session, child_id: int) -> list[HealthExam]:
    """A child's exams, newest first, voided ones left out (by child id: the family page reuses it)."""
    return list(
        session.exec(
            select(HealthExam)
            .where(HealthExam.child_id == child_id, col(HealthExam.voided_at).is_(None))
            .order_by(col(HealthExam.exam_date).desc(), col(HealthExam.id).desc())
        ).all()
    )


def health_exam(session: Session, child: Child, exam_id: int) -> HealthExam:
    exam = session.get(HealthExam, exam_id)
    if exam is None or exam.child_id != child.id or exam.voided_at is not None:
        raise NotFound()
    return exam


def record_exam(session: Session, me: CurrentPerson, child: Child, data: ExamForm) -> HealthExam:
    """Record an exam done at a medical institution, with any screenings done at the same visit."""
    if data.exam_date < child.birth_date:
        raise Refused({"exam_date": N_("The exam cannot be before the child's birth date.")})
    exam = HealthExam(child_id=child.id, recorded_by_id=me.id, **data.model_dump())
    session.add(exam)
    session.flush()
    audit.record(session, me.id, "health_exam_recorded", exam, after=audit.snapshot(exam), child_id=child.id)
    session.commit()
    return exam


def void_exam(session: Session, me: CurrentPerson, exam: HealthExam, reason: str) -> None:
    """Never deleted: voided with who, when and why (the schedule then counts from the exam before)."""
    audit.void(session, me.id, exam, "health_exam_voided", reason, utcnow())
    session.commit()


# ---------------------------------------------------------------- return certificates awaited (返园证明)


@dataclass
class AwaitedCertificate:
    """A child who needs a doctor's return certificate before the next check-in."""

    child: Child
    room: Room | None
    required_since: date
    reason: str


def awaiting_return_certificates(session: Session) -> list[AwaitedCertificate]:
    """Every child with a return certificate required and not yet received (nor voided), longest waiting first.

    One query whatever the number of children; a child with two requirements is listed once, from the first.
    """
    rows = session.exec(
        select(ReturnCertificate, Child, Room)
        .join(Child, Child.id == ReturnCertificate.child_id)
        .outerjoin(
            Enrolment, (Enrolment.child_id == Child.id) & (Enrolment.status == EnrolmentStatus.enrolled)
        )
        .outerjoin(Room, Room.id == Enrolment.room_id)
        .where(col(ReturnCertificate.received_on).is_(None), col(ReturnCertificate.voided_at).is_(None))
        .order_by(ReturnCertificate.required_since, Child.full_name, ReturnCertificate.id)
    ).all()
    found: dict[int, AwaitedCertificate] = {}
    for certificate, child, room in rows:
        if child.id not in found:
            found[child.id] = AwaitedCertificate(child, room, certificate.required_since, certificate.reason)
    return list(found.values())


# ---------------------------------------------------------------- sick absences to follow up


@dataclass
class SickFollowUp:
    """An enrolled child off sick and not back since: followed up each day until the return."""

    child: Child
    room: Room
    last_sick_on: date  # the latest sick absence recorded (today's once the family is asked)
    symptoms: str
    suspected_infection: bool

    def followed_up_on(self, today: date) -> bool:
        return self.last_sick_on == today


def sick_follow_ups(session: Session, today: date) -> list[SickFollowUp]:
    """attendance.service.sick_to_follow_up's enrolled children, with their latest sick absence.

    Not yet followed up today first. Three queries whatever the number of children
    (two in sick_to_follow_up, one here).
    """
    child_ids = sick_to_follow_up(session, today)
    if not child_ids:
        return []
    rows = session.exec(
        select(Absence, Child, Room)
        .join(Child, Child.id == Absence.child_id)
        .join(Room, Room.id == Absence.room_id)
        .join(Enrolment, Enrolment.child_id == Child.id)
        .where(
            col(Absence.child_id).in_(child_ids),
            Absence.reason == AbsenceReason.sick,
            Absence.on_date <= today,
            Enrolment.status == EnrolmentStatus.enrolled,
        )
        .order_by(Absence.child_id, col(Absence.on_date).desc())
    ).all()
    found: dict[int, SickFollowUp] = {}
    for absence, child, room in rows:
        if child.id not in found:  # newest first: the latest sick day
            found[child.id] = SickFollowUp(child, room, absence.on_date, absence.symptoms, absence.suspected_infection)
    return sorted(found.values(), key=lambda item: (item.followed_up_on(today), item.last_sick_on, item.child.full_name))
