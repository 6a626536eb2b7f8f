"""The health officer's overview (保健): admission health items of the children enrolled now.

The rules are the admission checklist's (enrolment.rules), read here for all
enrolled children at once: one query for the children with their rooms, one for
their entry exams — never a query per child.
"""

from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, select

from nursery_ops.children.models import Child, VaccinationStatus
from nursery_ops.enrolment.models import Enrolment, EnrolmentStatus
from nursery_ops.enrolment.rules import valid_entry_exam, vaccination_deadline
from nursery_ops.health.models import ExamKind, HealthExam
from nursery_ops.policy import Policy
from nursery_ops.rooms.models import Room


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
