"""The family page (家长页): a guardian's own children, read-only.

Which children is decided by `children.access.guardian_children` alone (an
active link the guardian may view); everything else is read for those children
in a fixed number of queries, however many children, days or entries there are.
Nothing here writes: parents read, the nursery records.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, bindparam, func, or_, union
from sqlmodel import Session, col, select

from nursery_ops.attendance.models import Absence, Attendance, MorningCheck, PickupDelegate
from nursery_ops.billing.service import ContractMoney, contracts_money
from nursery_ops.children.access import guardian_child_ids, guardian_children
from nursery_ops.children.models import Child, ChildGuardian, Guardian, TrustedAdult
from nursery_ops.children.rules import completed_months
from nursery_ops.contracts.models import Contract, ContractStatus
from nursery_ops.dailylog.models import EntryKind, LogEntry, PhotoTag
from nursery_ops.enrolment.models import Enrolment, EnrolmentStatus
from nursery_ops.enrolment.rules import schedule_days
from nursery_ops.errors import NotFound
from nursery_ops.family import rules
from nursery_ops.family.labels import CHECK_ITEMS
from nursery_ops.growth.service import GrowthLine, growth_lines
from nursery_ops.health.models import HealthExam, ReturnCertificate
from nursery_ops.health.rules import Due
from nursery_ops.health.service import child_exam_schedule, child_exams
from nursery_ops.illness.models import Illness, MiddayCheck, Observation
from nursery_ops.illness.service import child_health_days
from nursery_ops.incidents.models import Incident
from nursery_ops.incidents.rules import RESTRICTED_CATEGORIES
from nursery_ops.incidents.service import FamilyIncident, family_incidents
from nursery_ops.labels import CARE_TYPE_LABELS, HALF_DAY_LABELS, WEEKDAY_LABELS
from nursery_ops.medication.models import MedicationAuthorisation, MedicationDose
from nursery_ops.medication.service import ChildMedication, child_medication
from nursery_ops.policy import Policy
from nursery_ops.rooms.models import Room

# How far back the lists of a child's days and morning checks reach (the rest stays a tap away by date).
RECENT_DAYS = 30
RECENT_CHECKS = 60

# The family page's statements are built once, bound to :guardian_id, :child_ids and :on when run: building and
# keying statements of this size costs SQLAlchemy more than SQLite takes to answer them, and the page is read all day.
_GUARDIAN, _CHILDREN, _ON = bindparam("guardian_id"), bindparam("child_ids", expanding=True), bindparam("on")


# ---------------------------------------------------------------- whose child


def own_child(session: Session, guardian_id: int | None, child_id: int) -> Child:
    """The child, if this guardian may view it; NotFound otherwise — also for staff who are parents too,
    since the family page is about the person's own children only."""
    if child_id not in guardian_child_ids(session, guardian_id):
        raise NotFound()
    return session.get(Child, child_id)


# ---------------------------------------------------------------- the child cards


@dataclass
class ChildCard:
    child: Child
    months: int
    enrolment: Enrolment | None = None
    room: Room | None = None
    guardians: list[tuple[ChildGuardian, Guardian]] = field(default_factory=list)
    trusted_adults: list[TrustedAdult] = field(default_factory=list)
    left_on: date | None = None  # the last day of the latest place, for a child who has left the nursery

    @property
    def care_label(self) -> str | None:
        return CARE_TYPE_LABELS[self.enrolment.care_type] if self.enrolment else None

    @property
    def session_label(self) -> str | None:
        if self.enrolment and self.enrolment.half_day_session:
            return HALF_DAY_LABELS[self.enrolment.half_day_session]
        return None

    @property
    def schedule_labels(self) -> list[str]:
        return [WEEKDAY_LABELS[day] for day in schedule_days(self.enrolment.schedule_days)] if self.enrolment else []

    @property
    def pick_up(self) -> list[tuple[str, str, str]]:
        """The authorised pick-up list (接送): name, relation, phone."""
        people = [(guardian.full_name, link.relation, guardian.phone) for link, guardian in self.guardians if link.may_pick_up]
        return people + [(adult.full_name, adult.relation, adult.phone) for adult in self.trusted_adults if adult.may_pick_up]


_CARDS = (
    select(Child, Enrolment, Room)
    .outerjoin(Enrolment, Enrolment.child_id == Child.id)
    .outerjoin(Room, Room.id == Enrolment.room_id)
    .where(col(Child.id).in_(guardian_children(_GUARDIAN)))
    .order_by(Child.birth_date, Child.id, Enrolment.start_date, Enrolment.id)
)
_CARD_GUARDIANS = (
    select(ChildGuardian, Guardian)
    .join(Guardian, Guardian.id == ChildGuardian.guardian_id)
    .where(col(ChildGuardian.child_id).in_(_CHILDREN), col(ChildGuardian.active).is_(True))
    .order_by(ChildGuardian.id)
)
_CARD_ADULTS = (
    select(TrustedAdult)
    .where(col(TrustedAdult.child_id).in_(_CHILDREN), col(TrustedAdult.active).is_(True))
    .order_by(TrustedAdult.id)
)


def family_cards(session: Session, guardian_id: int | None, today: date) -> list[ChildCard]:
    """The guardian's children (`children.access.guardian_children`) with their places, guardians and adults:
    three statements however many children."""
    if guardian_id is None:
        return []
    rows = session.exec(_CARDS, params={"guardian_id": guardian_id}).all()
    if not rows:
        return []
    cards: dict[int, ChildCard] = {}
    for child, enrolment, room in rows:
        card = cards.setdefault(
            child.id, ChildCard(child, completed_months(child.birth_date, today) if today >= child.birth_date else 0)
        )
        if enrolment is None:
            continue
        if enrolment.status == EnrolmentStatus.withdrawn:
            # A child who left stays on the family page: their past days are still the family's to read.
            card.left_on = enrolment.end_date or card.left_on
        else:
            card.enrolment, card.room = enrolment, room
    for card in cards.values():
        if card.enrolment is not None:
            card.left_on = None  # came back: the open place is what counts
    children = {"child_ids": list(cards)}
    for link, guardian in session.exec(_CARD_GUARDIANS, params=children):
        cards[link.child_id].guardians.append((link, guardian))
    for adult in session.exec(_CARD_ADULTS, params=children):
        cards[adult.child_id].trusted_adults.append(adult)
    return list(cards.values())


# ---------------------------------------------------------------- a child's day


@dataclass
class Dose:
    """A dose recorded for the child: the medicine's name and unit come from the signed authorisation."""

    dose: MedicationDose
    authorisation: MedicationAuthorisation


@dataclass
class ChildDay:
    """One child's day as the family sees it: only current versions, nothing voided, no staff notes."""

    child_id: int
    on: date
    attendance: Attendance | None = None
    collected_by: str | None = None  # the adult who took the child home, with the relation
    absence: Absence | None = None
    morning_check: MorningCheck | None = None  # the latest of the day: the one check-in went by
    midday_checks: list[MiddayCheck] = field(default_factory=list)
    entries: list[LogEntry] = field(default_factory=list)  # the timeline, in time order
    photos: list[LogEntry] = field(default_factory=list)  # photo entries the child is tagged in
    doses: list[Dose] = field(default_factory=list)
    illnesses: list[Illness] = field(default_factory=list)
    incidents: list = field(default_factory=list)  # rows: occurred_at, category, place

    @property
    def findings(self) -> list[str]:
        return rules.check_findings(self.morning_check, CHECK_ITEMS) if self.morning_check else []

    @property
    def totals(self) -> rules.DayTotals:
        return rules.day_totals(self.entries)

    @property
    def health_news(self) -> bool:
        return bool(self.midday_checks or self.doses or self.illnesses or self.incidents)

    @property
    def empty(self) -> bool:
        return not (
            self.attendance or self.absence or self.morning_check or self.entries or self.photos or self.health_news
        )


def _current_entries():
    """Log entries that stand: the latest version of a corrected entry, nothing voided."""
    return (col(LogEntry.replaced).is_(False), col(LogEntry.voided_at).is_(None))


def _family_incident_categories():
    """The incidents a family reads (the incidents domain's rule): never a suspected abuse or domestic violence."""
    return col(Incident.category).not_in(list(RESTRICTED_CATEGORIES))


def _of(model):
    return col(model.child_id).in_(_CHILDREN), model.on_date == _ON


_LATEST_MORNING_CHECK = (
    select(MorningCheck.id).where(MorningCheck.child_id == Child.id, MorningCheck.on_date == _ON)
    .order_by(col(MorningCheck.at).desc(), col(MorningCheck.id).desc()).limit(1)
    .correlate(Child).scalar_subquery()
)
# The day's one-to-one rows (arrival with who collected, absence, the morning check that counts) and its midday
# checks: a row per midday check, at least one per child.
_DAY_ROWS = (
    select(Child.id, Attendance, Guardian.full_name, ChildGuardian.relation, TrustedAdult.full_name,
           TrustedAdult.relation, PickupDelegate.full_name, Absence, MorningCheck, MiddayCheck)
    .outerjoin(Attendance, and_(Attendance.child_id == Child.id, Attendance.on_date == _ON))
    .outerjoin(Guardian, Guardian.id == Attendance.picked_up_by_guardian_id)
    .outerjoin(ChildGuardian, and_(
        ChildGuardian.guardian_id == Attendance.picked_up_by_guardian_id, ChildGuardian.child_id == Child.id,
    ))
    .outerjoin(TrustedAdult, TrustedAdult.id == Attendance.picked_up_by_adult_id)
    .outerjoin(PickupDelegate, PickupDelegate.id == Attendance.picked_up_by_delegate_id)
    .outerjoin(Absence, and_(Absence.child_id == Child.id, Absence.on_date == _ON, col(Absence.superseded_at).is_(None)))
    .outerjoin(MorningCheck, MorningCheck.id == _LATEST_MORNING_CHECK)
    .outerjoin(MiddayCheck, and_(MiddayCheck.child_id == Child.id, MiddayCheck.on_date == _ON))
    .where(col(Child.id).in_(_CHILDREN))
    .order_by(MiddayCheck.at, MiddayCheck.id)
)
# The children's own timelines and the photos they are tagged in (possibly taken in another child's entry).
_DAY_ENTRIES = (
    select(LogEntry, PhotoTag.child_id)
    .outerjoin(PhotoTag, and_(PhotoTag.photo_id == LogEntry.photo_id, col(PhotoTag.child_id).in_(_CHILDREN),
                              LogEntry.kind == EntryKind.photo))
    .where(
        LogEntry.on_date == _ON, *_current_entries(),
        or_(and_(col(LogEntry.child_id).in_(_CHILDREN), col(LogEntry.kind).in_(rules.TIMELINE_KINDS)),
            col(PhotoTag.child_id).is_not(None)),
    )
    .order_by(LogEntry.at, LogEntry.id)
)
_DAY_DOSES = (
    select(MedicationDose, MedicationAuthorisation)
    .join(MedicationAuthorisation, MedicationAuthorisation.id == MedicationDose.authorisation_id)
    .where(*_of(MedicationDose), col(MedicationDose.voided_at).is_(None))
    .order_by(MedicationDose.at, MedicationDose.id)
)
_DAY_ILLNESSES = (
    select(Illness).where(*_of(Illness), col(Illness.voided_at).is_(None)).order_by(Illness.started_at, Illness.id)
)
# Only the columns the day shows: the rest (police report, sign-off) is never read for a family.
_DAY_INCIDENTS = (
    select(Incident.child_id, Incident.on_date, Incident.occurred_at, Incident.category, Incident.place)
    .where(*_of(Incident), _family_incident_categories())
    .order_by(Incident.occurred_at, Incident.id)
)


def child_days(session: Session, child_ids, on: date) -> dict[int, ChildDay]:
    """child id → that child's ChildDay on `on`, in five statements whatever the number of children or entries."""
    child_ids = sorted(set(child_ids))
    result = {child_id: ChildDay(child_id, on) for child_id in child_ids}
    if not result:
        return result
    day = {"child_ids": child_ids, "on": on}
    for (child_id, attendance, guardian_name, guardian_relation, adult_name, adult_relation, delegate_name, absence,
         morning_check, midday_check) in session.exec(_DAY_ROWS, params=day).all():
        child_day = result[child_id]
        if child_day.attendance is None and attendance is not None:
            child_day.attendance = attendance
            child_day.collected_by = _collector(guardian_name, guardian_relation, adult_name, adult_relation, delegate_name)
        child_day.absence, child_day.morning_check = absence, morning_check
        if midday_check is not None:
            child_day.midday_checks.append(midday_check)
    for entry, tagged_child_id in session.exec(_DAY_ENTRIES, params=day).all():
        if tagged_child_id is not None:
            result[tagged_child_id].photos.append(entry)
        else:
            result[entry.child_id].entries.append(entry)
    for dose, authorisation in session.exec(_DAY_DOSES, params=day).all():
        result[dose.child_id].doses.append(Dose(dose, authorisation))
    for illness in session.exec(_DAY_ILLNESSES, params=day).all():
        result[illness.child_id].illnesses.append(illness)
    for incident in session.exec(_DAY_INCIDENTS, params=day).all():
        result[incident.child_id].incidents.append(incident)
    return result


def family_photo(session: Session, child_id: int, photo_id: int) -> LogEntry:
    """The standing photo entry of a photo the child is tagged in; NotFound for any other photo."""
    entry = session.exec(
        select(LogEntry)
        .join(PhotoTag, PhotoTag.photo_id == LogEntry.photo_id)
        .where(PhotoTag.child_id == child_id, LogEntry.photo_id == photo_id, LogEntry.kind == EntryKind.photo,
               *_current_entries())
    ).first()
    if entry is None:
        raise NotFound()
    return entry


def _collector(guardian_name, guardian_relation, adult_name, adult_relation, delegate_name) -> str | None:
    if guardian_name:
        return f"{guardian_name} ({guardian_relation})" if guardian_relation else guardian_name
    if adult_name:
        return f"{adult_name} ({adult_relation})"
    return delegate_name


def _recorded_days(child_id: int):
    """The days something was recorded for the child: an arrival, an absence, or a standing log entry."""
    return union(
        select(Attendance.on_date.label("on_date")).where(Attendance.child_id == child_id),
        select(Absence.on_date.label("on_date")).where(Absence.child_id == child_id, col(Absence.superseded_at).is_(None)),
        select(LogEntry.on_date.label("on_date")).where(LogEntry.child_id == child_id, *_current_entries()),
    ).subquery()


def day_neighbours(session: Session, child_id: int, on: date, today: date) -> tuple[date | None, date | None]:
    """The recorded day before `on` and the one after it (never after today), in one statement."""
    recorded = _recorded_days(child_id)
    day = recorded.c.on_date
    earlier, later = session.exec(
        select(
            select(func.max(day)).where(day < on).scalar_subquery(),
            select(func.min(day)).where(day > on, day <= today).scalar_subquery(),
        )
    ).one()
    return _as_date(earlier), _as_date(later)


def _as_date(value) -> date | None:
    # A union's column loses its type on SQLite: the driver hands back the ISO text.
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


@dataclass
class DaySummary:
    on: date
    attendance: Attendance | None
    absence: Absence | None


def recent_days(session: Session, child_id: int, today: date, limit: int = RECENT_DAYS) -> list[DaySummary]:
    """The child's latest recorded days up to today, newest first, with arrival/departure or absence (three statements)."""
    recorded = _recorded_days(child_id)
    days = [
        _as_date(on)
        for on in session.exec(
            select(recorded.c.on_date).where(recorded.c.on_date <= today)
            .order_by(recorded.c.on_date.desc()).limit(limit)
        ).all()
    ]
    if not days:
        return []
    arrivals = {
        attendance.on_date: attendance
        for attendance in session.exec(
            select(Attendance).where(Attendance.child_id == child_id, col(Attendance.on_date).in_(days))
        ).all()
    }
    absences = {
        absence.on_date: absence
        for absence in session.exec(
            select(Absence).where(
                Absence.child_id == child_id, col(Absence.on_date).in_(days), col(Absence.superseded_at).is_(None)
            )
        ).all()
    }
    return [DaySummary(on, arrivals.get(on), absences.get(on)) for on in days]


# ---------------------------------------------------------------- health


@dataclass
class FamilyIllness:
    illness: Illness
    observations: list[Observation]
    certificate: ReturnCertificate | None


@dataclass
class ChildHealth:
    morning_checks: list[MorningCheck]  # the latest RECENT_CHECKS, newest first
    midday_checks: list[MiddayCheck]
    illnesses: list[FamilyIllness]
    certificates_awaited: list[ReturnCertificate]
    medication: ChildMedication
    incidents: list[FamilyIncident]
    exams: list[HealthExam]
    schedule: list[Due]
    latest_growth: GrowthLine | None

    def findings(self, check: MorningCheck) -> list[str]:
        return rules.check_findings(check, CHECK_ITEMS)


def child_health(session: Session, child: Child, today: date, policy: Policy) -> ChildHealth:
    """Everything of the child's health a family reads, in a fixed number of statements (about fifteen)."""
    morning_checks = list(session.exec(
        select(MorningCheck).where(MorningCheck.child_id == child.id)
        .order_by(col(MorningCheck.at).desc(), col(MorningCheck.id).desc()).limit(RECENT_CHECKS)
    ).all())
    record = child_health_days(session, child.id, include_voided=False)
    certificates = {
        certificate.id: certificate
        for certificate in session.exec(
            select(ReturnCertificate).where(
                ReturnCertificate.child_id == child.id, col(ReturnCertificate.voided_at).is_(None)
            )
        ).all()
    }
    observations = defaultdict(list)
    for observation in sorted(record.observations, key=lambda row: (row.at, row.id)):
        if observation.illness_id is not None:
            observations[observation.illness_id].append(observation)
    illnesses = [
        FamilyIllness(illness, observations[illness.id], certificates.get(illness.return_certificate_id))
        for illness in record.illnesses
    ]
    lines = growth_lines(session, child, with_voided=False)
    return ChildHealth(
        morning_checks=morning_checks,
        midday_checks=record.midday_checks,
        illnesses=illnesses,
        certificates_awaited=sorted(
            (certificate for certificate in certificates.values() if certificate.received_on is None),
            key=lambda certificate: certificate.required_since,
        ),
        medication=child_medication(session, child.id, today),
        incidents=family_incidents(session, child.id),
        exams=child_exams(session, child.id),
        schedule=child_exam_schedule(session, child, today, policy),
        latest_growth=lines[-1] if lines else None,
    )


# ---------------------------------------------------------------- money


def child_money(session: Session, child_id: int) -> list[ContractMoney]:
    """The child's signed contracts (the version in force of each enrolment), newest first, each with its
    bills, payments, refunds and balance from the billing service. Drafts are the nursery's, not the family's."""
    contracts = session.exec(
        select(Contract)
        .where(
            Contract.child_id == child_id, Contract.status != ContractStatus.draft, col(Contract.superseded).is_(False)
        )
        .order_by(col(Contract.start_date).desc(), col(Contract.id).desc())
    ).all()
    if not contracts:
        return []
    # Money follows the enrolment across amendments (billing.service.family_ids): every version's, read at once.
    versions: dict[int, list[int]] = defaultdict(list)
    for version_id, enrolment_id in session.exec(
        select(Contract.id, Contract.enrolment_id)
        .where(col(Contract.enrolment_id).in_({contract.enrolment_id for contract in contracts}))
    ).all():
        versions[enrolment_id].append(version_id)
    return contracts_money(session, [(contract, versions[contract.enrolment_id]) for contract in contracts])

