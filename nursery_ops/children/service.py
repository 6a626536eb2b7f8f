"""Children: the list, the record, registration and the director's edits.

Every change runs in the request's write transaction and writes its audit entry
(before/after) before the commit; a refused change raises `Refused` with
messages by field and leaves the session to be rolled back — nothing half-saved.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, bindparam, case, exists, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from nursery_ops import audit
from nursery_ops.auth.service import CurrentPerson
from nursery_ops.children.forms import (
    ChildDetailsForm,
    ChildFilters,
    ConsentForm,
    GuardianForm,
    GuardianLinkForm,
    NewChildForm,
    TrustedAdultForm,
    VaccinationForm,
)
from nursery_ops.children.models import Child, ChildGuardian, Guardian, TrustedAdult, VaccinationStatus
from nursery_ops.children.rules import AgeBand, age_band, band_birth_range, birth_date_errors, completed_months, date_at_months
from nursery_ops.clock import utcnow
from nursery_ops.enrolment.models import Enrolment, EnrolmentStatus
from nursery_ops.enrolment.rules import AdmissionFacts
from nursery_ops.errors import NotFound
from nursery_ops.forms import Refused
from nursery_ops.health.models import ExamKind, HealthExam
from nursery_ops.health.rules import Due
from nursery_ops.health.service import child_schedule, last_exams_of
from nursery_ops.i18n import N_
from nursery_ops.photos.service import PreparedPhoto, set_adult_photo
from nursery_ops.policy import Policy
from nursery_ops.rooms.models import Room


# ---------------------------------------------------------------- the list


@dataclass(frozen=True)
class ChildRow:
    child: Child
    months: int | None
    band: AgeBand | None
    enrolment: Enrolment | None
    room: Room | None

    @property
    def status(self) -> str:
        return self.enrolment.status.value if self.enrolment else "none"


def shown_enrolment():
    """Each child's open enrolment, else its latest one (row number 1 per child)."""
    rank = func.row_number().over(
        partition_by=Enrolment.child_id,
        order_by=(
            case((Enrolment.status == EnrolmentStatus.withdrawn, 1), else_=0),
            Enrolment.start_date.desc(),
            Enrolment.id.desc(),
        ),
    )
    ranked = select(Enrolment, rank.label("rank")).subquery()
    return aliased(Enrolment, ranked), ranked.c.rank


def list_children(session: Session, filters: ChildFilters, today: date, policy: Policy) -> list[ChildRow]:
    """One query: Child ⟕ open-or-latest Enrolment ⟕ Room, filtered in SQL."""
    enrolment, rank = shown_enrolment()
    statement = (
        select(Child, enrolment, Room)
        .outerjoin(enrolment, and_(enrolment.child_id == Child.id, rank == 1))
        .outerjoin(Room, Room.id == enrolment.room_id)
        .where(Child.purged_at.is_(None))
        .order_by(Child.full_name, Child.id)
    )
    if filters.q:
        # Phones are stored as digits only (forms.phone_number); "138-0013" finds 13800138000.
        digits = filters.q.replace(" ", "").replace("-", "")
        guardian_match = exists().where(
            ChildGuardian.child_id == Child.id,
            ChildGuardian.active.is_(True),
            Guardian.id == ChildGuardian.guardian_id,
            or_(
                Guardian.full_name.icontains(filters.q, autoescape=True),
                Guardian.phone.contains(digits) if digits.isdigit() else False,
            ),
        )
        statement = statement.where(or_(Child.full_name.icontains(filters.q, autoescape=True), guardian_match))
    if filters.room is not None:
        statement = statement.where(enrolment.room_id == filters.room, enrolment.status != EnrolmentStatus.withdrawn)
    if filters.band:
        born_after, born_by = band_birth_range(AgeBand(filters.band), today, policy)
        statement = statement.where(Child.birth_date > born_after, Child.birth_date <= born_by)
    if filters.care_type:
        statement = statement.where(enrolment.care_type == filters.care_type)
    if filters.status == "none":
        statement = statement.where(enrolment.id.is_(None))
    elif filters.status:
        statement = statement.where(enrolment.status == filters.status)
    rows = []
    for child, shown, room in session.exec(statement).all():
        months = completed_months(child.birth_date, today) if child.birth_date <= today else None
        band = age_band(months, policy) if months is not None else None
        rows.append(ChildRow(child, months, band, shown, room if shown and shown.status != EnrolmentStatus.withdrawn else None))
    return rows


def room_options(session: Session) -> list[tuple[int, str]]:
    return [(room.id, room.name) for room in session.exec(select(Room).where(Room.active.is_(True)).order_by(Room.name)).all()]


# ---------------------------------------------------------------- the record


@dataclass
class GuardianLink:
    link: ChildGuardian
    guardian: Guardian


@dataclass
class ChildRecord:
    child: Child
    months: int | None
    band: AgeBand | None
    admissible_from: date | None  # set when the child is not yet old enough
    guardians: list[GuardianLink]
    ended_guardians: list[GuardianLink]
    adults: list[TrustedAdult]
    exams: list[HealthExam]  # not voided, newest first
    consent_guardian: Guardian | None = None
    vaccination_overdue: bool = False

    @property
    def admission_facts(self) -> AdmissionFacts:
        """What the admission checklist reads, from the rows loaded here (enrolment.service.admission_facts_for)."""
        links = [item.link for item in self.guardians + self.ended_guardians]
        return AdmissionFacts(links, list(self.adults), [exam for exam in self.exams if exam.kind == ExamKind.entry])

    @property
    def pick_up_adults(self) -> list[TrustedAdult]:
        return [adult for adult in self.adults if adult.may_pick_up]

    @property
    def emergency_contacts(self) -> list[TrustedAdult]:
        return [adult for adult in self.adults if adult.emergency_contact]


def get_child(session: Session, child_id: int) -> Child:
    """A child's record; a purged child (past retention) has none left: 404."""
    child = session.get(Child, child_id)
    if child is None or child.purged_at is not None:
        raise NotFound()
    return child


# The record's statements are built once, bound to :child_id when run: building and keying them costs SQLAlchemy
# more than SQLite takes to answer them.
_CHILD = bindparam("child_id")
_RECORD_PEOPLE = (
    select(Child, ChildGuardian, Guardian)
    .outerjoin(ChildGuardian, col(ChildGuardian.child_id) == Child.id)
    .outerjoin(Guardian, col(Guardian.id) == ChildGuardian.guardian_id)
    .where(Child.id == _CHILD)
    .order_by(col(ChildGuardian.active).desc(), col(ChildGuardian.id))
)
_RECORD_ADULTS = (
    select(TrustedAdult).where(TrustedAdult.child_id == _CHILD, TrustedAdult.active.is_(True)).order_by(TrustedAdult.id)
)
_RECORD_EXAMS = (
    select(HealthExam)
    .where(HealthExam.child_id == _CHILD, HealthExam.voided_at.is_(None))
    .order_by(HealthExam.exam_date.desc(), HealthExam.id.desc())
)


def load_record(session: Session, child_id: int, today: date, policy: Policy) -> ChildRecord:
    """The child record in three statements whatever its history: the child with its guardian links, the
    active adults, the exams not voided. A purged child (past retention) or an unknown id: NotFound."""
    this_child = {"child_id": child_id}
    rows = session.exec(_RECORD_PEOPLE, params=this_child).all()
    if not rows or rows[0][0].purged_at is not None:
        raise NotFound()
    child = rows[0][0]
    links = [(link, guardian) for _child, link, guardian in rows if link is not None]
    adults = session.exec(_RECORD_ADULTS, params=this_child).all()
    exams = session.exec(_RECORD_EXAMS, params=this_child).all()
    months = completed_months(child.birth_date, today) if child.birth_date <= today else None
    band = age_band(months, policy) if months is not None else None
    admissible_from = None
    if months is None or months < policy.admission_min_months:
        admissible_from = date_at_months(child.birth_date, policy.admission_min_months)
    record = ChildRecord(
        child=child,
        months=months,
        band=band,
        admissible_from=admissible_from,
        guardians=[GuardianLink(link, guardian) for link, guardian in links if link.active],
        ended_guardians=[GuardianLink(link, guardian) for link, guardian in links if not link.active],
        adults=list(adults),
        exams=list(exams),
    )
    record.consent_guardian = next(
        (item.guardian for item in record.guardians + record.ended_guardians if item.guardian.id == child.consent_guardian_id),
        None,
    )
    record.vaccination_overdue = (
        child.vaccination_status == VaccinationStatus.pending
        and child.vaccination_due_on is not None
        and child.vaccination_due_on < today
    )
    return record


def record_exam_schedule(record: ChildRecord, enrolment: Enrolment | None, today: date, policy: Policy) -> list[Due]:
    """health.service.child_exam_schedule from the exams the record has loaded already (no statement)."""
    if enrolment is None or enrolment.status != EnrolmentStatus.enrolled:
        return []
    found = child_schedule(record.child, enrolment, last_exams_of(record.exams), today, policy)
    return sorted(found, key=lambda due: due.due_on)


def open_enrolment(session: Session, child_id: int) -> Enrolment | None:
    return session.exec(
        select(Enrolment).where(Enrolment.child_id == child_id, Enrolment.status != EnrolmentStatus.withdrawn)
    ).first()


# ---------------------------------------------------------------- registration and details


def create_child(session: Session, me: CurrentPerson, data: NewChildForm, today: date, policy: Policy) -> Child:
    """The child and its first guardian(s), all in one transaction."""
    errors = birth_date_errors(data.birth_date, today, policy) | data.second_guardian_errors()
    if (data.g2_full_name, data.g2_phone) == (data.g1_full_name, data.g1_phone):
        errors.setdefault("g2_full_name", N_("This person is already a guardian of this child."))
    if errors:
        raise Refused(errors)
    child = Child(**data.details().model_dump())
    session.add(child)
    session.flush()
    audit.record(session, me.id, "child_created", child, after=audit.snapshot(child), child_id=child.id)
    for guardian_form in data.guardians():
        add_guardian(session, me, child, guardian_form, commit=False)
    session.commit()
    return child


def update_child(session: Session, me: CurrentPerson, child: Child, data: ChildDetailsForm, today: date, policy: Policy) -> None:
    if data.birth_date != child.birth_date:
        errors = birth_date_errors(data.birth_date, today, policy)
        if errors:
            raise Refused(errors)
    before = audit.snapshot(child)
    for name, value in data.model_dump().items():
        setattr(child, name, value)
    session.add(child)
    audit.record(session, me.id, "child_updated", child, before=before, after=audit.snapshot(child), child_id=child.id)
    session.commit()


def details_form_values(child: Child) -> dict:
    return {name: getattr(child, name) for name in ChildDetailsForm.model_fields}


# ---------------------------------------------------------------- guardians


def guardian_link(session: Session, child: Child, guardian_id: int, *, active_only: bool = True) -> GuardianLink:
    """This child's link to that guardian; NotFound for a guardian of another child."""
    statement = (
        select(ChildGuardian, Guardian)
        .join(Guardian, Guardian.id == ChildGuardian.guardian_id)
        .where(ChildGuardian.child_id == child.id, ChildGuardian.guardian_id == guardian_id)
    )
    if active_only:
        statement = statement.where(ChildGuardian.active.is_(True))
    found = session.exec(statement).first()
    if found is None:
        raise NotFound()
    return GuardianLink(*found)


def active_guardians(session: Session, child: Child) -> list[GuardianLink]:
    rows = session.exec(
        select(ChildGuardian, Guardian)
        .join(Guardian, Guardian.id == ChildGuardian.guardian_id)
        .where(ChildGuardian.child_id == child.id, ChildGuardian.active.is_(True))
        .order_by(ChildGuardian.id)
    ).all()
    return [GuardianLink(link, guardian) for link, guardian in rows]


def add_guardian(session: Session, me: CurrentPerson, child: Child, data: GuardianForm, *, commit: bool = True) -> ChildGuardian:
    """Link a guardian to the child; a sibling's guardian (same name and phone) is reused, not copied,
    so one parent account sees all their children."""
    guardian = session.exec(
        select(Guardian).where(Guardian.full_name == data.full_name, Guardian.phone == data.phone)
    ).first()
    if guardian is None:
        guardian = Guardian(full_name=data.full_name, phone=data.phone)
        session.add(guardian)
        session.flush()
        audit.record(session, me.id, "guardian_created", guardian, after=audit.snapshot(guardian), child_id=child.id)
    link = session.exec(
        select(ChildGuardian).where(ChildGuardian.child_id == child.id, ChildGuardian.guardian_id == guardian.id)
    ).first()
    if link is not None and link.active:
        raise Refused({"full_name": N_("This person is already a guardian of this child.")})
    before = audit.snapshot(link)
    if link is None:
        link = ChildGuardian(child_id=child.id, guardian_id=guardian.id, relation=data.relation)
    # A guardian whose link had ended comes back on the same row (one row per child and guardian).
    link.relation, link.may_pick_up, link.may_view = data.relation, data.may_pick_up, data.may_view
    link.active, link.ended_at, link.ended_reason = True, None, None
    session.add(link)
    audit.record(session, me.id, "guardian_linked", link, before=before, after=audit.snapshot(link), child_id=child.id)
    if commit:
        session.commit()
    return link


def update_guardian_link(session: Session, me: CurrentPerson, child: Child, item: GuardianLink, data: GuardianLinkForm) -> None:
    before = {"link": audit.snapshot(item.link), "guardian": audit.snapshot(item.guardian)}
    item.link.relation, item.link.may_pick_up, item.link.may_view = data.relation, data.may_pick_up, data.may_view
    item.guardian.phone = data.phone
    session.add_all([item.link, item.guardian])
    after = {"link": audit.snapshot(item.link), "guardian": audit.snapshot(item.guardian)}
    audit.record(session, me.id, "guardian_link_updated", item.link, before=before, after=after, child_id=child.id)
    session.commit()


def end_guardian_link(session: Session, me: CurrentPerson, child: Child, item: GuardianLink, reason: str) -> None:
    """Never deleted: the link is kept, inactive, with when and why (the family page closes at once)."""
    before = audit.snapshot(item.link)
    item.link.active, item.link.ended_at, item.link.ended_reason = False, utcnow(), reason
    session.add(item.link)
    audit.record(session, me.id, "guardian_link_ended", item.link, before=before, after=audit.snapshot(item.link),
                 child_id=child.id, reason=reason)
    session.commit()


def guardian_form_values(item: GuardianLink) -> dict:
    return {
        "full_name": item.guardian.full_name,
        "relation": item.link.relation,
        "phone": item.guardian.phone,
        "may_pick_up": item.link.may_pick_up,
        "may_view": item.link.may_view,
    }


# ---------------------------------------------------------------- trusted adults


def trusted_adult(session: Session, child: Child, adult_id: int) -> TrustedAdult:
    adult = session.get(TrustedAdult, adult_id)
    if adult is None or adult.child_id != child.id or not adult.active:
        raise NotFound()
    return adult


def add_trusted_adult(
    session: Session, me: CurrentPerson, child: Child, data: TrustedAdultForm, photo: PreparedPhoto | None = None
) -> TrustedAdult:
    """Add an adult to the pick-up list / emergency contacts, with their photo in the same transaction."""
    adult = TrustedAdult(child_id=child.id, **data.model_dump())
    session.add(adult)
    session.flush()
    audit.record(session, me.id, "trusted_adult_added", adult, after=audit.snapshot(adult), child_id=child.id)
    commit_with_photo(session, me, adult, photo)
    return adult


def update_trusted_adult(
    session: Session, me: CurrentPerson, adult: TrustedAdult, data: TrustedAdultForm, photo: PreparedPhoto | None = None
) -> None:
    before = audit.snapshot(adult)
    for name, value in data.model_dump().items():
        setattr(adult, name, value)
    session.add(adult)
    audit.record(session, me.id, "trusted_adult_updated", adult, before=before, after=audit.snapshot(adult), child_id=adult.child_id)
    commit_with_photo(session, me, adult, photo)


def commit_with_photo(session: Session, me: CurrentPerson, adult: TrustedAdult, photo: PreparedPhoto | None) -> None:
    if photo is None:
        session.commit()
    else:
        set_adult_photo(session, me, adult, photo)  # commits, or removes the file again


def remove_trusted_adult(session: Session, me: CurrentPerson, adult: TrustedAdult, reason: str) -> None:
    before = audit.snapshot(adult)
    adult.active, adult.removed_at, adult.removed_reason = False, utcnow(), reason
    session.add(adult)
    audit.record(session, me.id, "trusted_adult_removed", adult, before=before, after=audit.snapshot(adult),
                 child_id=adult.child_id, reason=reason)
    session.commit()


def adult_form_values(adult: TrustedAdult) -> dict:
    return {name: getattr(adult, name) for name in TrustedAdultForm.model_fields}


# ---------------------------------------------------------------- admission records


def record_consent(session: Session, me: CurrentPerson, child: Child, data: ConsentForm) -> None:
    """个人信息处理同意: given by an active guardian of this child, on a day not in the future."""
    is_guardian = session.exec(
        select(ChildGuardian.id).where(
            ChildGuardian.child_id == child.id,
            ChildGuardian.guardian_id == data.guardian_id,
            ChildGuardian.active.is_(True),
        )
    ).first()
    if is_guardian is None:
        raise Refused({"guardian_id": N_("Choose an active guardian of this child.")})
    before = audit.snapshot(child)
    child.consent_on, child.consent_guardian_id = data.consent_on, data.guardian_id
    session.add(child)
    audit.record(session, me.id, "consent_recorded", child, before=before, after=audit.snapshot(child), child_id=child.id)
    session.commit()


def vaccination_default_due(session: Session, child: Child, today: date, policy: Policy) -> date:
    """Pending certificates are due `vaccination_pending_days` after the start (or after today, with no enrolment)."""
    enrolment = open_enrolment(session, child.id)
    start = enrolment.start_date if enrolment else today
    return start + timedelta(days=policy.vaccination_pending_days)


def record_vaccination(session: Session, me: CurrentPerson, child: Child, data: VaccinationForm, today: date, policy: Policy) -> None:
    errors = data.missing_date_errors()
    if errors:
        raise Refused(errors)
    before = audit.snapshot(child)
    if data.status == "sighted":
        child.vaccination_status = VaccinationStatus.sighted
        child.vaccination_checked_on, child.vaccination_due_on = data.checked_on, None
    else:
        child.vaccination_status = VaccinationStatus.pending
        child.vaccination_checked_on = None
        child.vaccination_due_on = data.due_on or vaccination_default_due(session, child, today, policy)
    session.add(child)
    audit.record(session, me.id, "vaccination_recorded", child, before=before, after=audit.snapshot(child), child_id=child.id)
    session.commit()

