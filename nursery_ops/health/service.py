"""The health officer's work (保健): admission health items, the exam schedule, sick follow-up,
and recording / voiding a child's health exams.

Lists cover all enrolled children at once with a fixed number of queries (joins
and grouped subqueries, then grouping in Python) — never a query per child.
The rules are plain functions: enrolment.rules for admission, health.rules for
the exam schedule.
"""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from nursery_ops import audit
from nursery_ops.attendance.models import Absence, AbsenceReason, Attendance
from nursery_ops.auth.service import CurrentPerson
from nursery_ops.children.models import Child, VaccinationStatus
from nursery_ops.clock import utcnow
from nursery_ops.enrolment.models import Enrolment, EnrolmentStatus
from nursery_ops.enrolment.rules import vaccination_deadline, valid_entry_exam
from nursery_ops.errors import NotFound
from nursery_ops.forms import Refused
from nursery_ops.growth.models import Measurement
from nursery_ops.growth.service import latest_measurement_id
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


@dataclass
class EnrolledChild:
    """An enrolled child with its place and its exams (not voided, oldest first), as the health lists read them."""

    child: Child
    enrolment: Enrolment
    room: Room | None
    exams: list[HealthExam]
    measurement: Measurement | None = None  # the latest (growth flags)
    sick: "SickFollowUp | None" = None  # off sick and not back since (from `enrolled_children` with a day)


def exams_by_child(session: Session, child_ids) -> dict[int, list[HealthExam]]:
    """These children's exams, not voided, oldest first: one query (a few exams a year per child)."""
    child_ids = list(child_ids)
    found: dict[int, list[HealthExam]] = {child_id: [] for child_id in child_ids}
    if child_ids:
        for exam in session.exec(
            select(HealthExam)
            .where(col(HealthExam.child_id).in_(child_ids), col(HealthExam.voided_at).is_(None))
            .order_by(HealthExam.exam_date, HealthExam.id)
        ):
            found[exam.child_id].append(exam)
    return found


def enrolled_children(session: Session, today: date | None = None) -> list[EnrolledChild]:
    """Every enrolled child with its room and exams, by name: one statement whatever the children.

    /health's admission, exam schedule and screening lists are all computed from these rows; with
    `today`, each child also comes with its latest measurement and its sick absence to follow up (the
    growth and sick lists). The exams are outer-joined (a row per exam, a few a year per child).
    """
    statement = (
        select(Child, Enrolment, Room, HealthExam)
        .join(Enrolment, Enrolment.child_id == Child.id)
        .outerjoin(Room, Room.id == Enrolment.room_id)
        .outerjoin(HealthExam, (HealthExam.child_id == Child.id) & col(HealthExam.voided_at).is_(None))
        .where(Enrolment.status == EnrolmentStatus.enrolled)
        .order_by(Child.full_name, Child.id, HealthExam.exam_date, HealthExam.id)
    )
    if today is None:
        rows = [(*row, None, None, None, False) for row in session.exec(statement)]
    else:
        sick_absence, sick_room = aliased(Absence), aliased(Room)
        rows = session.exec(
            statement.add_columns(Measurement, sick_absence, sick_room, _back_since(sick_absence, today))
            .outerjoin(Measurement, Measurement.id == latest_measurement_id(Child.id))
            .outerjoin(sick_absence, sick_absence.id == _latest_sick_absence(Child.id, today))
            .outerjoin(sick_room, sick_room.id == sick_absence.room_id)
        ).all()
    entries: dict[int, EnrolledChild] = {}
    for child, enrolment, room, exam, measurement, absence, absence_room, back in rows:
        if (entry := entries.get(child.id)) is None:
            sick = None
            if absence is not None and not back:
                sick = SickFollowUp(child, absence_room, absence.on_date, absence.symptoms, absence.suspected_infection)
            entry = entries[child.id] = EnrolledChild(child, enrolment, room, [], measurement, sick)
        if exam is not None:
            entry.exams.append(exam)
    return list(entries.values())


def admission_health(session: Session, today: date, policy: Policy) -> AdmissionHealth:
    return admission_health_of(enrolled_children(session), today, policy)


def admission_health_of(entries: list[EnrolledChild], today: date, policy: Policy) -> AdmissionHealth:
    """Entry exams, vaccination certificates and feeding statements still to collect, by room and name."""
    in_rooms = sorted(
        (entry for entry in entries if entry.room is not None),
        key=lambda entry: (entry.room.name, entry.child.full_name, entry.child.id),
    )
    overview = AdmissionHealth(enrolled=len(in_rooms))
    for entry in in_rooms:
        child, enrolment, room = entry.child, entry.enrolment, entry.room
        passed_entry = [exam for exam in entry.exams if exam.kind == ExamKind.entry and exam.passed]
        if valid_entry_exam(passed_entry, enrolment.start_date, policy) is None:
            latest = max(passed_entry, key=lambda exam: exam.exam_date, default=None)
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


def last_exams_of(exams: list[HealthExam]) -> LastExams:
    """The latest full exam and the latest haemoglobin / hearing screening among one child's exams (not voided)."""

    def latest(found) -> date | None:
        return max((exam.exam_date for exam in found), default=None)

    return LastExams(
        full_exam_on=latest(exam for exam in exams if exam.kind in FULL_EXAM_KINDS),
        haemoglobin_on=latest(exam for exam in exams if exam.haemoglobin_g_l is not None),
        hearing_on=latest(exam for exam in exams if exam.hearing is not None),
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
    return exams_due_of(enrolled_children(session), today, policy)


def exams_due_of(entries: list[EnrolledChild], today: date, policy: Policy) -> list[ExamDue]:
    found = []
    for entry in entries:
        for due in child_schedule(entry.child, entry.enrolment, last_exams_of(entry.exams), today, policy):
            if due.warn:
                found.append(ExamDue(entry.child, entry.enrolment, entry.room, due.kind, due.due_on, due.overdue, due.last_on))
    found.sort(key=lambda item: (not item.overdue, item.due_on, item.child.full_name))
    return found


def child_exam_schedule(session: Session, child: Child, today: date, policy: Policy) -> list[Due]:
    """One child's schedule for the child record (empty when the child is not enrolled now). Two queries."""
    enrolment = session.exec(
        select(Enrolment).where(Enrolment.child_id == child.id, Enrolment.status == EnrolmentStatus.enrolled)
    ).first()
    if enrolment is None:
        return []
    last = last_exams_of(exams_by_child(session, [child.id])[child.id])
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


def screening_findings(session: Session, policy: Policy) -> list[ScreeningFinding]:
    return screening_findings_of(enrolled_children(session), policy)


def screening_findings_of(entries: list[EnrolledChild], policy: Policy) -> list[ScreeningFinding]:
    """Latest haemoglobin below `anaemia_below_g_l` (110 g/L) or latest hearing "refer", by kind then name.

    A later normal result clears the finding, so the list is what still needs following up.
    """
    found = []
    for kind, value_of, is_finding in (
        (DueKind.haemoglobin, lambda exam: exam.haemoglobin_g_l, lambda value: value < policy.anaemia_below_g_l),
        (DueKind.hearing, lambda exam: exam.hearing, lambda value: value == HearingResult.refer),
    ):
        for entry in entries:
            recorded = [exam for exam in entry.exams if value_of(exam) is not None]
            latest = max(recorded, key=lambda exam: (exam.exam_date, exam.id), default=None)
            if latest is not None and is_finding(value := value_of(latest)):
                haemoglobin = value if kind is DueKind.haemoglobin else None
                found.append(ScreeningFinding(entry.child, entry.room, kind, latest.exam_date, haemoglobin))
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
    """Enrolled children whose latest sick absence is after their latest arrival, with that absence.

    Not yet followed up today first. One query whatever the children and the history: per enrolled
    child, its latest sick day up to today and whether it arrived since, both searched on the
    (child, date) unique indexes of absence and attendance — never a scan of their history.
    (The rule is attendance.rules.sick_follow_up's; attendance.service.sick_to_follow_up is the room's.)
    """
    latest_sick = _latest_sick_absence(Enrolment.child_id, today)
    rows = session.exec(
        select(Absence, Child, Room)
        .select_from(Enrolment)
        .join(Absence, Absence.id == latest_sick)
        .join(Child, Child.id == Enrolment.child_id)
        .join(Room, Room.id == Absence.room_id)
        .where(Enrolment.status == EnrolmentStatus.enrolled, ~_back_since(Absence, today))
    ).all()
    found: dict[int, SickFollowUp] = {}
    for absence, child, room in rows:
        found.setdefault(
            child.id, SickFollowUp(child, room, absence.on_date, absence.symptoms, absence.suspected_infection)
        )
    return _follow_up_order(found.values(), today)


def sick_follow_ups_of(entries: list[EnrolledChild], today: date) -> list[SickFollowUp]:
    """`sick_follow_ups` from `enrolled_children(session, today)`'s rows."""
    return _follow_up_order((entry.sick for entry in entries if entry.sick is not None), today)


def _follow_up_order(items, today: date) -> list[SickFollowUp]:
    return sorted(items, key=lambda item: (item.followed_up_on(today), item.last_sick_on, item.child.full_name))


def _latest_sick_absence(child_id, today: date):
    """The id of a child's latest sick absence up to `today` (not superseded), correlated with `child_id`:
    searched on absence's (child, date) unique index, never a scan of its history."""
    return (
        select(Absence.id)
        .where(
            Absence.child_id == child_id,
            Absence.reason == AbsenceReason.sick,
            Absence.on_date <= today,
            col(Absence.superseded_at).is_(None),
        )
        .order_by(col(Absence.on_date).desc())
        .limit(1)
        .correlate(child_id.class_)  # only the child: the outer query may hold an absence of its own
        .scalar_subquery()
    )


def _back_since(absence, today: date):
    """Whether the child of `absence` (the outer query's row) arrived on or after its day, up to `today`."""
    return (
        select(Attendance.id)
        .where(Attendance.child_id == absence.child_id, Attendance.on_date >= absence.on_date, Attendance.on_date <= today)
        .correlate(absence)
        .exists()
    )
