"""Medication: guardians' authorisations, doses given on the tablet or by the health officer, what is due today.

Each change validates everything first (nothing half-saved), writes its audit entry
in the same transaction and commits. Refusals raise `Refused` (field → message id or
Decision). A repeated `form_token` (a double tap) answers with what the first tap saved.

The query functions take a child id, so the family page can show a child's
medication to its guardians with the same code.
"""

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from nursery_ops import audit
from nursery_ops.attendance.models import Attendance
from nursery_ops.attendance.service import on_duty
from nursery_ops.auth.models import STAFF_ROLES, Person, PersonRole
from nursery_ops.auth.service import CurrentPerson
from nursery_ops.children.models import Child, ChildGuardian, Guardian
from nursery_ops.clock import local_date
from nursery_ops.dailylog.rules import at_local_time
from nursery_ops.forms import Refused
from nursery_ops.i18n import N_
from nursery_ops.medication.forms import AuthorisationForm, DoseForm
from nursery_ops.medication.models import (
    DoseOutcome,
    MedicationAuthorisation,
    MedicationDose,
)
from nursery_ops.medication.rules import (
    SLOT_ALREADY_RECORDED,
    authorisation_date_errors,
    dose_errors,
    overdue,
    read_slots,
    slots_text,
)
from nursery_ops.policy import Decision, Mode, load_policy
from nursery_ops.settings import get_settings

NOT_A_GUARDIAN = N_("Choose an active guardian of this child.")
OVERLAPPING = N_("{drug} is already authorised for some of these days: cancel that authorisation first.")
ALREADY_CANCELLED = N_("This authorisation has already been cancelled.")
NOT_PRESENT = N_("This child is not in today: a dose can be given only to a child checked in and not yet gone home.")
CHOOSE_STAFF = N_("Choose a member of staff.")


def _day_start(on: date) -> datetime:
    return at_local_time(on, time(0, 0), get_settings().zone)


# ---------------------------------------------------------------- what is due


@dataclass
class DoseDue:
    """One authorised time slot on a day: given, not given (why), or still to do."""

    child: Child
    authorisation: MedicationAuthorisation
    slot: time
    due_at: datetime  # the slot on that day, UTC
    dose: MedicationDose | None
    overdue: bool  # nothing recorded 30 min after the slot (and not cancelled)
    present: bool  # checked in that day and not gone home
    room_id: int | None  # the room the child is in that day

    @property
    def given(self) -> bool:
        return self.dose is not None and self.dose.outcome is DoseOutcome.given

    @property
    def recorded(self) -> bool:
        return self.dose is not None

    @property
    def open(self) -> bool:
        """Still to be recorded, on an authorisation not cancelled."""
        return self.dose is None and self.authorisation.cancelled_at is None

    @property
    def key(self) -> str:
        """The dose form's value for this slot."""
        return f"{self.authorisation.id}@{self.slot.strftime('%H:%M')}"


def _authorised_on(on: date, child_ids: Collection[int] | None):
    """Authorisations covering `on` (a cancelled one keeps the day it was cancelled), with the child and its arrival."""
    statement = (
        select(MedicationAuthorisation, Child, Attendance)
        .join(Child, Child.id == MedicationAuthorisation.child_id)
        .outerjoin(Attendance, and_(Attendance.child_id == Child.id, Attendance.on_date == on))
        .where(
            MedicationAuthorisation.start_date <= on,
            MedicationAuthorisation.end_date >= on,
            or_(
                col(MedicationAuthorisation.cancelled_at).is_(None),
                col(MedicationAuthorisation.cancelled_at) >= _day_start(on),
            ),
        )
        .order_by(Child.full_name, Child.id, MedicationAuthorisation.id)
    )
    if child_ids is not None:
        statement = statement.where(col(MedicationAuthorisation.child_id).in_(list(child_ids)))
    return statement


def doses_due(
    session: Session, on: date, now: datetime, *, child_ids: Collection[int] | None = None
) -> list[DoseDue]:
    """Every authorised slot on `on` for all children (or those given), in time order — two statements.

    A cancelled authorisation keeps the slots recorded or due before it was cancelled and drops the later ones.
    """
    rows = session.exec(_authorised_on(on, child_ids)).all()
    if not rows:
        return []
    doses = {
        (dose.authorisation_id, dose.slot): dose
        for dose in session.exec(
            select(MedicationDose).where(
                col(MedicationDose.authorisation_id).in_([authorisation.id for authorisation, _c, _a in rows]),
                MedicationDose.on_date == on,
                col(MedicationDose.voided_at).is_(None),
            )
        ).all()
    }
    return _slots_due(rows, doses, on, now)


def doses_due_joined(
    session: Session, on: date, now: datetime, *, child_ids: Collection[int] | None = None
) -> list[DoseDue]:
    """`doses_due` in one statement, the day's doses outer-joined (the room view's tiles, /health's list)."""
    statement = _authorised_on(on, child_ids).outerjoin(
        MedicationDose,
        and_(
            MedicationDose.authorisation_id == MedicationAuthorisation.id,
            MedicationDose.on_date == on,
            col(MedicationDose.voided_at).is_(None),
        ),
    ).add_columns(MedicationDose)
    rows, doses, seen = [], {}, set()
    for authorisation, child, attendance, dose in session.exec(statement).all():
        if authorisation.id not in seen:
            seen.add(authorisation.id)
            rows.append((authorisation, child, attendance))
        if dose is not None:
            doses[dose.authorisation_id, dose.slot] = dose
    return _slots_due(rows, doses, on, now)


def _slots_due(rows, doses: dict, on: date, now: datetime) -> list[DoseDue]:
    zone = get_settings().zone
    due = []
    for authorisation, child, attendance in rows:
        present = attendance is not None and attendance.check_out_at is None
        for slot in authorisation.slots:
            dose = doses.get((authorisation.id, slot))
            due_at = at_local_time(on, slot, zone)
            if dose is None and authorisation.cancelled_at is not None and authorisation.cancelled_at <= due_at:
                continue
            late = authorisation.cancelled_at is None and overdue(due_at, dose is not None, now)
            due.append(
                DoseDue(
                    child, authorisation, slot, due_at, dose, late, present,
                    attendance.room_id if attendance else None,
                )
            )
    due.sort(key=lambda item: (item.due_at, item.child.full_name, item.child.id))
    return due


# ---------------------------------------------------------------- a child's medication record


@dataclass
class AuthorisationRecord:
    authorisation: MedicationAuthorisation
    guardian_name: str
    relation: str
    doses: list[MedicationDose] = field(default_factory=list)  # newest first, voided ones too

    @property
    def cancelled(self) -> bool:
        return self.authorisation.cancelled_at is not None


@dataclass
class ChildMedication:
    active: list[AuthorisationRecord]  # not cancelled and not ended (also those starting later)
    past: list[AuthorisationRecord]  # ended or cancelled
    names: dict[int, str]  # person id → name, for every person the records mention


def child_medication(session: Session, child_id: int, today: date) -> ChildMedication:
    """A child's authorisations with their doses, in three statements whatever their number."""
    rows = session.exec(
        select(MedicationAuthorisation, Guardian, ChildGuardian)
        .join(Guardian, Guardian.id == MedicationAuthorisation.signed_by_guardian_id)
        .outerjoin(
            ChildGuardian,
            and_(ChildGuardian.guardian_id == Guardian.id, ChildGuardian.child_id == MedicationAuthorisation.child_id),
        )
        .where(MedicationAuthorisation.child_id == child_id)
        .order_by(col(MedicationAuthorisation.start_date).desc(), col(MedicationAuthorisation.id).desc())
    ).all()
    records = {
        authorisation.id: AuthorisationRecord(authorisation, guardian.full_name, link.relation if link else "")
        for authorisation, guardian, link in rows
    }
    doses = session.exec(
        select(MedicationDose)
        .where(MedicationDose.child_id == child_id)
        .order_by(col(MedicationDose.on_date).desc(), col(MedicationDose.slot).desc(), col(MedicationDose.id).desc())
    ).all()
    person_ids: set[int] = set()
    for dose in doses:
        records[dose.authorisation_id].doses.append(dose)
        person_ids.update(filter(None, (dose.given_by_id, dose.checked_by_id, dose.voided_by_id)))
    for record in records.values():
        person_ids.update(filter(None, (record.authorisation.recorded_by_id, record.authorisation.cancelled_by_id)))
    names = _names(session, person_ids)
    active, past = [], []
    for record in records.values():
        ended = record.cancelled or record.authorisation.end_date < today
        (past if ended else active).append(record)
    return ChildMedication(active, past, names)


def _names(session: Session, person_ids: set[int]) -> dict[int, str]:
    if not person_ids:
        return {}
    return dict(session.exec(select(Person.id, Person.full_name).where(col(Person.id).in_(person_ids))).all())


def child_authorisation(session: Session, child_id: int, authorisation_id: int) -> MedicationAuthorisation | None:
    authorisation = session.get(MedicationAuthorisation, authorisation_id)
    return authorisation if authorisation is not None and authorisation.child_id == child_id else None


# ---------------------------------------------------------------- authorisations


def guardian_choices(session: Session, child_id: int) -> list[tuple[int, str]]:
    """The child's active guardians: only they may sign a medication authorisation."""
    return [
        (guardian.id, f"{guardian.full_name} ({link.relation})")
        for link, guardian in session.exec(
            select(ChildGuardian, Guardian)
            .join(Guardian, Guardian.id == ChildGuardian.guardian_id)
            .where(ChildGuardian.child_id == child_id, col(ChildGuardian.active).is_(True))
            .order_by(ChildGuardian.id)
        ).all()
    ]


def authorise(session: Session, me: CurrentPerson, child: Child, data: AuthorisationForm, now: datetime) -> MedicationAuthorisation:
    """Record a guardian's signed authorisation (health officer or director)."""
    errors: dict = {}
    if data.guardian_id not in {guardian_id for guardian_id, _name in guardian_choices(session, child.id)}:
        errors["guardian_id"] = NOT_A_GUARDIAN
    slots, slots_error = read_slots(data.times)
    if slots_error is not None:
        errors["times"] = slots_error
    errors.update(authorisation_date_errors(data.start_date, data.end_date, data.signed_on, local_date(now)))
    if "end_date" not in errors and "start_date" not in errors:
        same_drug = session.exec(
            select(MedicationAuthorisation.id).where(
                MedicationAuthorisation.child_id == child.id,
                func.lower(MedicationAuthorisation.drug_name) == data.drug_name.lower(),
                col(MedicationAuthorisation.cancelled_at).is_(None),
                MedicationAuthorisation.start_date <= data.end_date,
                MedicationAuthorisation.end_date >= data.start_date,
            )
        ).first()
        if same_drug is not None:
            errors["drug_name"] = Decision(Mode.block, OVERLAPPING, {"drug": data.drug_name})
    if errors:
        raise Refused(errors)
    authorisation = MedicationAuthorisation(
        child_id=child.id,
        drug_name=data.drug_name,
        dose_hundredths=data.dose,
        dose_unit=data.dose_unit,
        route=data.route,
        times=slots_text(slots),
        start_date=data.start_date,
        end_date=data.end_date,
        prescription_source=data.prescription_source,
        prescription_reference=data.prescription_reference,
        instructions=data.instructions,
        signed_by_guardian_id=data.guardian_id,
        signed_on=data.signed_on,
        signed_how=data.signed_how,
        recorded_by_id=me.person.id,
        recorded_at=now,
    )
    session.add(authorisation)
    audit.record(
        session, me.person.id, "medication_authorised", authorisation, after=audit.snapshot(authorisation), child_id=child.id
    )
    session.commit()
    return authorisation


def cancel(
    session: Session, me: CurrentPerson, authorisation: MedicationAuthorisation, reason: str, now: datetime
) -> MedicationAuthorisation:
    """End an authorisation early (the guardian stopped the course, a mistake): kept, with who, when and why."""
    if authorisation.cancelled_at is not None:
        raise Refused({"__all__": ALREADY_CANCELLED})
    before = audit.snapshot(authorisation)
    authorisation.cancelled_at = now
    authorisation.cancelled_by_id = me.person.id
    authorisation.cancel_reason = reason
    session.add(authorisation)
    audit.record(
        session, me.person.id, "medication_authorisation_cancelled", authorisation,
        before=before, after=audit.snapshot(authorisation), child_id=authorisation.child_id, reason=reason,
    )
    session.commit()
    return authorisation


# ---------------------------------------------------------------- doses


def by_token(session: Session, token: str | None) -> MedicationDose | None:
    if not token:
        return None
    return session.exec(select(MedicationDose).where(MedicationDose.form_token == token)).first()


def _present(session: Session, child_id: int, on: date) -> bool:
    return session.exec(
        select(Attendance.id).where(
            Attendance.child_id == child_id, Attendance.on_date == on, col(Attendance.check_out_at).is_(None)
        )
    ).first() is not None


def _is_active_staff(session: Session, person_id: int) -> bool:
    return session.exec(
        select(Person.id)
        .join(PersonRole, PersonRole.person_id == Person.id)
        .where(Person.id == person_id, col(Person.active).is_(True), col(PersonRole.role).in_(STAFF_ROLES))
    ).first() is not None


def record_dose(
    session: Session, *, child: Child, giver_id: int, room_id: int | None, data: DoseForm, now: datetime
) -> MedicationDose:
    """One dose (or a dose not given, with the reason) for an authorised slot today."""
    if (first := by_token(session, data.form_token)) is not None:
        return first
    on = local_date(now)
    authorisation_id, slot = data.due
    authorisation = child_authorisation(session, child.id, authorisation_id)
    at = now if data.time is None else at_local_time(on, data.time, get_settings().zone)
    recorded = set(
        session.exec(
            select(MedicationDose.slot).where(
                MedicationDose.authorisation_id == authorisation_id,
                MedicationDose.on_date == on,
                col(MedicationDose.voided_at).is_(None),
            )
        ).all()
    )
    errors = dose_errors(
        authorisation, on=on, slot=slot, at=at, now=now, outcome=data.outcome, amount=data.amount,
        given_by_id=giver_id, checked_by_id=data.checked_by_id, reason=data.reason, recorded_slots=recorded,
        window=timedelta(minutes=load_policy(session).medication_window_minutes),
    )
    if data.checked_by_id is not None and "checked_by_id" not in errors and not _is_active_staff(session, data.checked_by_id):
        errors["checked_by_id"] = CHOOSE_STAFF
    if data.outcome is DoseOutcome.given and "due" not in errors and not _present(session, child.id, on):
        errors["__all__"] = NOT_PRESENT
    if errors:
        raise Refused(errors)
    given = data.outcome is DoseOutcome.given
    dose = MedicationDose(
        authorisation_id=authorisation.id,
        child_id=child.id,
        room_id=room_id,
        on_date=on,
        slot=slot,
        outcome=data.outcome,
        at=at,
        amount_hundredths=data.amount if given else None,
        given_by_id=giver_id,
        checked_by_id=data.checked_by_id,
        reason="" if given else data.reason,
        notes=data.notes,
        recorded_at=now,
        form_token=data.form_token,
    )
    session.add(dose)
    try:
        audit.record(session, giver_id, "medication_dose_recorded", dose, after=audit.snapshot(dose), child_id=child.id)
    except IntegrityError:
        # A racing double tap (same token) or someone else recording this slot a moment ago.
        session.rollback()
        if (first := by_token(session, data.form_token)) is not None:
            return first
        raise Refused({"due": Decision(Mode.block, SLOT_ALREADY_RECORDED, {"slot": slot.strftime("%H:%M")})}) from None
    session.commit()
    return dose


ALREADY_VOIDED = N_("This dose record has already been voided.")


def child_dose(session: Session, child_id: int, dose_id: int) -> MedicationDose | None:
    dose = session.get(MedicationDose, dose_id)
    return dose if dose is not None and dose.child_id == child_id else None


def void_dose(session: Session, me: CurrentPerson, dose: MedicationDose, reason: str, now: datetime) -> MedicationDose:
    """A dose recorded in error (the wrong slot, the wrong child): kept, struck through, and its slot open again."""
    if dose.voided_at is not None:
        raise Refused({"__all__": ALREADY_VOIDED})
    audit.void(session, me.person.id, dose, "medication_dose_voided", reason, now)
    session.commit()
    return dose


@dataclass(frozen=True)
class StaffOption:
    person_id: int
    name: str
    on_duty: bool


def checker_choices(session: Session, room_id: int | None, on: date, giver_id: int) -> list[StaffOption]:
    """Who may check a dose: staff on duty in the room first, then the rest of the staff; never the giver."""
    duty = on_duty(session, room_id, on) if room_id is not None else []
    duty_ids = {person.person_id for person in duty}
    staff = session.exec(
        select(Person.id, Person.full_name)
        .join(PersonRole, PersonRole.person_id == Person.id)
        .where(col(Person.active).is_(True), col(PersonRole.role).in_(STAFF_ROLES))
        .distinct()
        .order_by(Person.full_name, Person.id)
    ).all()
    first = [StaffOption(person.person_id, person.name, True) for person in duty if person.person_id != giver_id]
    rest = [StaffOption(person_id, name, False) for person_id, name in staff if person_id not in duty_ids and person_id != giver_id]
    return first + rest
