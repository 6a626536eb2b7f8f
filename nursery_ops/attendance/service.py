"""The day at the door: staff shifts, the morning check, arrival, pick-up, absences, bookings.

Each change validates everything first (nothing half-saved), writes its audit entry
in the same transaction and commits. Refusals raise `Refused` (field → message id or
Decision); check-in BLOCKs raise `Blocked`, which a director may override with a reason.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

from sqlalchemy import Date, String, and_, bindparam, cast, func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from nursery_ops import audit
from nursery_ops.attendance.forms import (
    AbsenceForm,
    BookingForm,
    CallForm,
    CheckInForm,
    CheckOutForm,
    DelegateForm,
    MorningCheckForm,
    ReturnCertificateForm,
    TimesForm,
)
from nursery_ops.attendance.models import (
    Absence,
    AbsenceReason,
    Attendance,
    CheckOutcome,
    MorningCheck,
    PickupDelegate,
    TemporaryBooking,
)
from nursery_ops.attendance.rules import (
    Collector,
    CollectorKind,
    attendance_times_errors,
    certificate_valid,
    children_per_caregiver,
    is_expected,
    may_correct_times,
    missing_certificates,
    morning_check_decision,
    not_counted_reason,
    pickup_decision,
    ratio_decision,
    sick_follow_up,
)
from nursery_ops.auth.models import Person, PersonRole, Role
from nursery_ops.auth.service import CurrentPerson
from nursery_ops.children.models import Child, ChildGuardian, Guardian, TrustedAdult
from nursery_ops.clock import local_date
from nursery_ops.dailylog.models import LogEntry
from nursery_ops.dailylog.rules import at_local_time
from nursery_ops.enrolment.models import CareType, Enrolment, EnrolmentStatus
from nursery_ops.enrolment.rules import AdmissionFacts, admission_checklist, admission_complete
from nursery_ops.errors import NotFound
from nursery_ops.forms import Refused, whole_number
from nursery_ops.health.models import ExamKind, HealthExam, ReturnCertificate
from nursery_ops.i18n import N_
from nursery_ops.illness.outbreaks import detect_outbreaks
from nursery_ops.illness.rules import certificate_date_error
from nursery_ops.policy import Decision, Mode, Policy
from nursery_ops.rooms.models import Room, RoomCaregiver
from nursery_ops.rooms.tablet import RoomActor
from nursery_ops.settings import get_settings
from nursery_ops.staff.certificates import KIND_LABELS
from nursery_ops.staff.models import CertificateKind, StaffCertificate, StaffShift

NOT_EXPECTED = N_("This child is not expected in this room today.")
NOT_CHECKED_IN = N_("This child has not been checked in today: there is nothing to check out.")
ALREADY_IN = N_("This child is already checked in today: an absence cannot be recorded.")
APPROVER_REFUSED = N_("Choose an active guardian of this child who is allowed to pick up: only they can approve a delegate.")


class Blocked(Refused):
    """BLOCK rules stand: shown with the override box (a director may go ahead with a written reason)."""

    def __init__(self, blocks: list[Decision], errors: dict | None = None):
        super().__init__(errors or {})
        self.blocks = blocks



def present_attendance(session: Session, room_id: int, child_id: int, on: date) -> Attendance | None:
    """Today's arrival in this room, if the child has not gone home yet."""
    return session.exec(
        select(Attendance).where(
            Attendance.child_id == child_id,
            Attendance.room_id == room_id,
            Attendance.on_date == on,
            col(Attendance.check_out_at).is_(None),
        )
    ).first()

# ---------------------------------------------------------------- the child in this room


def room_child(session: Session, room: Room, child_id: int) -> tuple[Child, Enrolment]:
    """The child and its open enrolment in this room; 404 for a child who is not this room's."""
    found = session.exec(
        select(Child, Enrolment)
        .join(Enrolment, Enrolment.child_id == Child.id)
        .where(Child.id == child_id, Enrolment.room_id == room.id, Enrolment.status == EnrolmentStatus.enrolled)
    ).first()
    if found is None:
        raise NotFound()
    return found[0], found[1]


def booked_on(session: Session, enrolment_id: int, on: date) -> bool:
    return session.exec(
        select(TemporaryBooking.id).where(
            TemporaryBooking.enrolment_id == enrolment_id,
            TemporaryBooking.on_date == on,
            col(TemporaryBooking.cancelled_at).is_(None),
        )
    ).first() is not None


def expected_today(session: Session, enrolment: Enrolment, on: date) -> bool:
    booked = enrolment.care_type is CareType.temporary and booked_on(session, enrolment.id, on)
    return is_expected(
        enrolment.status, enrolment.care_type, enrolment.schedule_days, enrolment.start_date, enrolment.end_date, on, booked
    )


def attendance_on(session: Session, child_id: int, on: date) -> Attendance | None:
    return session.exec(select(Attendance).where(Attendance.child_id == child_id, Attendance.on_date == on)).first()


def absence_on(session: Session, child_id: int, on: date) -> Absence | None:
    return session.exec(select(Absence).where(Absence.child_id == child_id, Absence.on_date == on)).first()


def latest_morning_check(session: Session, child_id: int, on: date) -> MorningCheck | None:
    return session.exec(
        select(MorningCheck)
        .where(MorningCheck.child_id == child_id, MorningCheck.on_date == on)
        .order_by(col(MorningCheck.at).desc(), col(MorningCheck.id).desc())
    ).first()


def awaited_return_certificates(session: Session, child_id: int) -> list[ReturnCertificate]:
    return list(
        session.exec(
            select(ReturnCertificate).where(
                ReturnCertificate.child_id == child_id, col(ReturnCertificate.received_on).is_(None),
                col(ReturnCertificate.voided_at).is_(None),
            )
        ).all()
    )


# ---------------------------------------------------------------- staff on duty


@dataclass(frozen=True)
class OnDuty:
    person_id: int
    name: str
    counted: bool
    why_not: str | None  # message id when not counted


def booking_exists_on(day):
    """Beside an Enrolment row: whether it has a temporary-care day booked on `day` (a date or a bound parameter)."""
    return (
        select(TemporaryBooking.id)
        .where(
            TemporaryBooking.enrolment_id == Enrolment.id, TemporaryBooking.on_date == day,
            col(TemporaryBooking.cancelled_at).is_(None),
        )
        .correlate(Enrolment)
        .exists()
    )


def on_duty(session: Session, room_id: int, on: date) -> list[OnDuty]:
    """Everyone clocked in to the room today, and whether they count toward the ratio."""
    return on_duty_by_room(session, on, room_id).get(room_id, [])


def on_duty_by_room(session: Session, on: date, room_id: int | None = None) -> dict[int, list[OnDuty]]:
    """Who is clocked in to each room (or one room) today, and who counts toward its ratio (one statement)."""
    open_shift = [StaffShift.on_date == on, col(StaffShift.clock_out_at).is_(None)]
    if room_id is not None:
        open_shift.append(StaffShift.room_id == room_id)
    rows = session.exec(
        select(StaffShift.room_id, StaffShift.person_id, Person.full_name, *shift_facts(on))
        .join(Person, Person.id == StaffShift.person_id)
        .where(*open_shift)
        .order_by(StaffShift.clock_in_at, StaffShift.id)
    ).all()
    return on_duty_from(rows, on)


def shift_facts(on: date) -> tuple:
    """Beside a StaffShift row: whether its person is a caregiver, is assigned to the shift's room, and the
    furthest expiry of their health certificates not voided (valid today if any of them is)."""
    is_caregiver = (
        select(PersonRole.id)
        .where(PersonRole.person_id == StaffShift.person_id, PersonRole.role == Role.caregiver)
        .exists()
    )
    assigned_here = (
        select(RoomCaregiver.id)
        .where(RoomCaregiver.room_id == StaffShift.room_id, RoomCaregiver.person_id == StaffShift.person_id)
        .exists()
    )
    health_valid_until = (
        select(func.max(StaffCertificate.valid_until))
        .where(
            StaffCertificate.person_id == StaffShift.person_id,
            StaffCertificate.kind == CertificateKind.health,
            StaffCertificate.issued_on <= on,
            col(StaffCertificate.voided_at).is_(None),
        )
        .scalar_subquery()
    )
    return is_caregiver.label("caregiver"), assigned_here.label("assigned"), health_valid_until.label("valid_until")


def on_duty_from(rows, on: date) -> dict[int, list[OnDuty]]:
    """Shift rows (room id, person id, name, then `shift_facts`) in clock-in order → who is on duty per room.

    A caregiver counts only in a room they are assigned to (a caregiver who is also the
    health officer acts in every room, but is not every room's caregiver), and only with
    a valid health certificate.
    """
    duty: dict[int, list[OnDuty]] = defaultdict(list)
    seen: set[tuple[int, int]] = set()
    for shift_room_id, person_id, name, caregiver, assigned, valid_until in rows:
        if (shift_room_id, person_id) in seen:
            continue
        seen.add((shift_room_id, person_id))
        certified = valid_until is not None and certificate_valid(False, valid_until, on)
        reason = not_counted_reason(True, certified, bool(caregiver), bool(assigned))
        duty[shift_room_id].append(OnDuty(person_id, name, reason is None, reason))
    return dict(duty)


def counted_caregivers(session: Session, room_id: int, on: date) -> int:
    return sum(1 for person in on_duty(session, room_id, on) if person.counted)


def _open_shifts(session: Session, person_id: int) -> list[StaffShift]:
    return list(
        session.exec(
            select(StaffShift).where(StaffShift.person_id == person_id, col(StaffShift.clock_out_at).is_(None))
        ).all()
    )


def valid_certificate_kinds(session: Session, person_id: int, on: date) -> set[CertificateKind]:
    return {
        kind
        for kind, voided_at, valid_until in session.exec(
            select(StaffCertificate.kind, StaffCertificate.voided_at, StaffCertificate.valid_until).where(
                StaffCertificate.person_id == person_id, StaffCertificate.issued_on <= on
            )
        ).all()
        if certificate_valid(voided_at is not None, valid_until, on)
    }


def clock_in(session: Session, actor: RoomActor, now: datetime) -> StaffShift:
    """The acting person starts a shift in this room; a repeat answers with the open shift.

    Refused without every certificate needed to work with children (DOMAIN.md "Staff"):
    the refusal names each missing or expired one (`errors["certificates"]`, label ids).
    """
    today = local_date(now)
    open_shifts = _open_shifts(session, actor.person_id)
    for shift in open_shifts:
        if shift.room_id == actor.room.id and shift.on_date == today:
            return shift
    if missing := missing_certificates(valid_certificate_kinds(session, actor.person_id, today)):
        raise Refused({
            "__all__": Decision(
                Mode.block,
                N_("{name} cannot clock in: a certificate needed to work with children is missing or has expired. "
                   "The director records certificates on the staff page."),
                {"name": actor.person_name},
            ),
            "certificates": [KIND_LABELS[kind.value] for kind in missing],
        })
    for shift in open_shifts:
        room = session.get(Room, shift.room_id)
        raise Refused({"__all__": Decision(
            Mode.block,
            N_("{name} is still clocked in to {room} since {date}: clock out there first."),
            {"name": actor.person_name, "room": room.name if room else "?", "date": shift.on_date.isoformat()},
        )})
    shift = StaffShift(
        room_id=actor.room.id, person_id=actor.person_id, on_date=today, clock_in_at=now, recorded_by_id=actor.person_id
    )
    session.add(shift)
    audit.record(session, actor.person_id, "clocked_in", shift, after=audit.snapshot(shift))
    session.commit()
    return shift


def clock_out(session: Session, actor: RoomActor, now: datetime) -> list[StaffShift]:
    shifts = [shift for shift in _open_shifts(session, actor.person_id) if shift.room_id == actor.room.id]
    if not shifts:
        raise Refused({"__all__": Decision(
            Mode.block, N_("{name} is not clocked in to this room."), {"name": actor.person_name}
        )})
    for shift in shifts:
        before = audit.snapshot(shift)
        shift.clock_out_at = now
        session.add(shift)
        audit.record(session, actor.person_id, "clocked_out", shift, before=before, after=audit.snapshot(shift))
    session.commit()
    return shifts


# ---------------------------------------------------------------- morning check (晨检)


def record_morning_check(
    session: Session, actor: RoomActor, child: Child, enrolment: Enrolment, data: MorningCheckForm, policy: Policy,
    now: datetime,
) -> MorningCheck:
    """A morning check; the same form sent twice (a double tap) answers with the first check."""
    if data.form_token and (first := _check_by_token(session, data.form_token)) is not None:
        return first
    if not expected_today(session, enrolment, local_date(now)):
        raise Refused({"__all__": NOT_EXPECTED})
    admitting = data.outcome is not CheckOutcome.send_home
    decision = morning_check_decision(admitting, data.temperature, data.rash, data.suspected_infection, policy)
    if decision is not None:
        raise Refused({"outcome": decision})
    check = MorningCheck(
        child_id=child.id,
        on_date=local_date(now),
        at=now,
        temperature_tenths=data.temperature,
        **data.model_dump(exclude={"temperature"}),
        by_id=actor.person_id,
    )
    session.add(check)
    try:
        audit.record(session, actor.person_id, "morning_check_recorded", check, child_id=child.id, after=audit.snapshot(check))
    except IntegrityError:
        session.rollback()
        if (first := _check_by_token(session, data.form_token)) is None:
            raise
        return first
    session.commit()
    return check


def _check_by_token(session: Session, token: str | None) -> MorningCheck | None:
    return session.exec(select(MorningCheck).where(MorningCheck.form_token == token)).first() if token else None


# ---------------------------------------------------------------- check-in (入园)


@dataclass(frozen=True)
class AdultOption:
    """An adult shown with a photo at the door: a guardian, a trusted adult or today's delegate."""

    key: str  # "guardian:3", "adult:5", "delegate:7"
    name: str
    relation: str
    photo_id: int | None


def _adults_of(session: Session, child_id: int) -> tuple[AdmissionFacts, dict[int, Guardian]]:
    """The child's guardian links and trusted adults, active or not, as the admission checklist reads them,
    with the guardians by id: two statements."""
    facts, guardians = AdmissionFacts(), {}
    for link, guardian in session.exec(
        select(ChildGuardian, Guardian)
        .join(Guardian, Guardian.id == ChildGuardian.guardian_id)
        .where(ChildGuardian.child_id == child_id)
        .order_by(ChildGuardian.id)
    ).all():
        facts.guardian_links.append(link)
        guardians[guardian.id] = guardian
    facts.trusted_adults = list(
        session.exec(select(TrustedAdult).where(TrustedAdult.child_id == child_id).order_by(TrustedAdult.id)).all()
    )
    return facts, guardians


def _bringing_options(facts: AdmissionFacts, guardians: dict[int, Guardian]) -> list[AdultOption]:
    options = [
        AdultOption(f"guardian:{link.guardian_id}", guardians[link.guardian_id].full_name, link.relation, None)
        for link in facts.guardian_links if link.active
    ]
    options += [
        AdultOption(f"adult:{adult.id}", adult.full_name, adult.relation, adult.photo_id)
        for adult in facts.trusted_adults if adult.active
    ]
    return options


def bringing_adults(session: Session, child_id: int) -> list[AdultOption]:
    """Who may have brought the child: active guardians and trusted adults (anyone may be typed in too)."""
    return _bringing_options(*_adults_of(session, child_id))


def _brought_by(options: list[AdultOption], data: CheckInForm) -> str:
    if data.brought_by:
        for option in options:
            if option.key == data.brought_by:
                return f"{option.name} ({option.relation})"[:100]
    if data.brought_by_name:
        return data.brought_by_name
    raise Refused({"brought_by": N_("Choose who brought the child, or type the name.")})


@dataclass
class ArrivalFacts:
    """What check-in reads about the child's day besides the adults: one statement (`arrival_facts`)."""

    attendance: Attendance | None  # today's arrival, in any room
    absence: Absence | None  # today's absence, in any room
    morning_check: MorningCheck | None  # the latest of today
    certificate_awaited: bool  # a return certificate (返园证明) is required and not recorded
    present_births: list[date]  # of the children present in the room now


def arrival_facts(session: Session, room_id: int, child_id: int, on: date) -> ArrivalFacts:
    attendance, absence_row, morning_check, certificate_awaited, present = session.exec(
        _arrival_facts_statement(), params={"room_id": room_id, "child_id": child_id, "on": on}
    ).one()
    present_births = [date.fromisoformat(birth) for birth in present.split(",")] if present else []
    return ArrivalFacts(attendance, absence_row, morning_check, bool(certificate_awaited), present_births)


@cache
def _arrival_facts_statement():
    """arrival_facts' statement for `room_id`, `child_id` and the day `on`, built once (a check-in binds them)."""
    room_id, child_id, on = bindparam("room_id"), bindparam("child_id"), bindparam("on", type_=Date)
    latest_check = (
        select(MorningCheck.id)
        .where(MorningCheck.child_id == child_id, MorningCheck.on_date == on)
        .order_by(col(MorningCheck.at).desc(), col(MorningCheck.id).desc())
        .limit(1)
        .scalar_subquery()
    )
    awaited = (
        select(ReturnCertificate.id)
        .where(
            ReturnCertificate.child_id == child_id, col(ReturnCertificate.received_on).is_(None),
            col(ReturnCertificate.voided_at).is_(None),
        )
        .exists()
    )
    present_child = aliased(Child)
    births = (
        select(func.aggregate_strings(cast(present_child.birth_date, String), ","))
        .select_from(Attendance)
        .join(present_child, present_child.id == Attendance.child_id)
        .where(Attendance.room_id == room_id, Attendance.on_date == on, col(Attendance.check_out_at).is_(None))
        .correlate(None)
        .scalar_subquery()
    )
    arrival, absence, check = aliased(Attendance), aliased(Absence), aliased(MorningCheck)
    return (
        select(arrival, absence, check, awaited, births)
        .select_from(Child)
        .outerjoin(arrival, and_(arrival.child_id == Child.id, arrival.on_date == on))
        .outerjoin(absence, and_(absence.child_id == Child.id, absence.on_date == on))
        .outerjoin(check, check.id == latest_check)
        .where(Child.id == child_id)
    )


def check_in_blocks(
    session: Session, room: Room, child: Child, enrolment: Enrolment, facts: AdmissionFacts, arrival: ArrivalFacts,
    policy: Policy, on: date,
) -> list[Decision]:
    """Every BLOCK that stands against this child's arrival now (the director may override them)."""
    blocks = []
    items = admission_checklist(child, enrolment, facts, on, policy)
    if not admission_complete(items):
        missing = [item.label for item in items if not item.done]
        blocks.append(Decision(
            Mode.block, N_("The admission checklist is incomplete: {missing}."), {"missing": ", ".join(missing)}
        ))
    check = arrival.morning_check
    if check is None:
        blocks.append(Decision(Mode.block, N_("No morning check today: do the morning check (晨检) first.")))
    elif check.outcome is CheckOutcome.send_home:
        blocks.append(Decision(Mode.block, N_("Today's morning check sent the child home.")))
    if arrival.certificate_awaited:
        blocks.append(Decision(
            Mode.block, N_("A doctor's return certificate (返园证明) is required and has not been recorded.")
        ))
    births = [*arrival.present_births, child.birth_date]
    per = children_per_caregiver(births, room.room_type, on, policy)
    if (ratio := ratio_decision(len(births), counted_caregivers(session, room.id, on), per)) is not None:
        blocks.append(ratio)
    return blocks


def may_override(actor: RoomActor) -> bool:
    """Only a director acting as themself (not a caregiver who unlocked a director's tablet)."""
    return actor.person_id == actor.me.id and actor.me.has(Role.director)


def check_in(
    session: Session, actor: RoomActor, child: Child, enrolment: Enrolment, data: CheckInForm, policy: Policy, now: datetime
) -> Attendance:
    """入园 — a repeat answers with the existing arrival; a child not expected here today is refused outright."""
    on = local_date(now)
    arrival = arrival_facts(session, actor.room.id, child.id, on)
    if arrival.attendance is not None:
        return arrival.attendance
    if not expected_today(session, enrolment, on):
        raise Refused({"__all__": NOT_EXPECTED})
    facts, guardians = _adults_of(session, child.id)
    brought_by = _brought_by(_bringing_options(facts, guardians), data)
    # The checklist's third fact, as enrolment.service.admission_facts_for reads it.
    facts.entry_exams = list(
        session.exec(select(HealthExam).where(HealthExam.child_id == child.id, HealthExam.kind == ExamKind.entry)).all()
    )
    blocks = check_in_blocks(session, actor.room, child, enrolment, facts, arrival, policy, on)
    reason = (data.override_reason or "").strip()
    if blocks and not (may_override(actor) and reason):
        errors = {"override_reason": N_("To go ahead anyway, write the reason for the override.")} if may_override(actor) else {}
        raise Blocked(blocks, errors)
    check = arrival.morning_check
    attendance = Attendance(
        child_id=child.id,
        room_id=actor.room.id,
        on_date=on,
        check_in_at=now,
        brought_by=brought_by,
        checked_in_by_id=actor.person_id,
        morning_check_id=check.id if check else None,
        check_in_override_reason=reason if blocks else None,
    )
    session.add(attendance)
    try:
        audit.record(session, actor.person_id, "checked_in", attendance, child_id=child.id, after=audit.snapshot(attendance))
    except IntegrityError:
        # A second tablet checked the child in a moment earlier: show that arrival.
        session.rollback()
        return attendance_on(session, child.id, on)
    if blocks:
        audit.record(
            session, actor.person_id, "override", attendance, child_id=child.id, reason=reason,
            after={"decisions": [{"mode": str(b.mode), "message": b.message, "params": b.params} for b in blocks]},
        )
    _supersede_absence(session, actor, arrival.absence, now)
    session.commit()
    return attendance


def _supersede_absence(session: Session, actor: RoomActor, absence: Absence | None, now: datetime) -> None:
    """A child recorded absent who arrives after all: the absence is closed, kept for the history.

    No call to the family is due any more, and the day is not a sick day (refunds, follow-up).
    """
    if absence is None or absence.superseded_at is not None:
        return
    before = audit.snapshot(absence)
    absence.superseded_at = now
    session.add(absence)
    audit.record(session, actor.person_id, "absence_superseded_by_arrival", absence, child_id=absence.child_id,
                 before=before, after=audit.snapshot(absence))


# ---------------------------------------------------------------- pick-up (离园)


def collecting_adults(session: Session, child_id: int, on: date) -> list[AdultOption]:
    """The list at the door: guardians and trusted adults who may pick up, and today's approved delegates."""
    options = [
        AdultOption(f"guardian:{guardian.id}", guardian.full_name, link.relation, None)
        for link, guardian in session.exec(
            select(ChildGuardian, Guardian)
            .join(Guardian, Guardian.id == ChildGuardian.guardian_id)
            .where(ChildGuardian.child_id == child_id, ChildGuardian.active, ChildGuardian.may_pick_up)
            .order_by(ChildGuardian.id)
        ).all()
    ]
    options += [
        AdultOption(f"adult:{adult.id}", adult.full_name, adult.relation, adult.photo_id)
        for adult in session.exec(
            select(TrustedAdult)
            .where(TrustedAdult.child_id == child_id, TrustedAdult.active, TrustedAdult.may_pick_up)
            .order_by(TrustedAdult.id)
        ).all()
    ]
    approvers = set(
        session.exec(
            select(ChildGuardian.guardian_id).where(
                ChildGuardian.child_id == child_id, ChildGuardian.active, ChildGuardian.may_pick_up
            )
        ).all()
    )
    options += [
        AdultOption(f"delegate:{delegate.id}", delegate.full_name, N_("One-off delegate"), None)
        for delegate in delegates_on(session, child_id, on)
        if delegate.approved_by_guardian_id in approvers
    ]
    return options


def delegates_on(session: Session, child_id: int, on: date) -> list[PickupDelegate]:
    return list(
        session.exec(
            select(PickupDelegate)
            .where(PickupDelegate.child_id == child_id, PickupDelegate.on_date == on)
            .order_by(PickupDelegate.id)
        ).all()
    )


def _guardian_link(session: Session, child_id: int, guardian_id: int) -> ChildGuardian | None:
    return session.exec(
        select(ChildGuardian).where(ChildGuardian.child_id == child_id, ChildGuardian.guardian_id == guardian_id)
    ).first()


def collector_for(session: Session, child_id: int, key: str) -> Collector | None:
    """What the records say about the chosen adult (None: nobody known — a stranger)."""
    kind, _, raw_id = key.partition(":")
    row_id = whole_number(raw_id)
    if row_id is None:
        return None
    if kind == CollectorKind.guardian:
        link = _guardian_link(session, child_id, row_id)
        return Collector(CollectorKind.guardian, child_id, link.active, link.may_pick_up) if link else None
    if kind == CollectorKind.adult:
        adult = session.get(TrustedAdult, row_id)
        return Collector(CollectorKind.adult, adult.child_id, adult.active, adult.may_pick_up) if adult else None
    if kind == CollectorKind.delegate:
        delegate = session.get(PickupDelegate, row_id)
        if delegate is None:
            return None
        # The delegate stands on the approving guardian's own right to collect the child.
        link = _guardian_link(session, delegate.child_id, delegate.approved_by_guardian_id)
        return Collector(
            CollectorKind.delegate, delegate.child_id, link is not None and link.active,
            link is not None and link.may_pick_up, delegate.on_date,
        )
    return None


def check_out(session: Session, actor: RoomActor, child: Child, data: CheckOutForm, now: datetime) -> Attendance:
    """离园 — release only to an authorised adult (never overridable); a repeat answers with the departure."""
    on = local_date(now)
    attendance = attendance_on(session, child.id, on)
    if attendance is None or attendance.room_id != actor.room.id:
        raise Refused({"__all__": NOT_CHECKED_IN})
    if attendance.check_out_at is not None:
        return attendance
    collector = collector_for(session, child.id, data.collector)
    if (decision := pickup_decision(collector, child.id, on)) is not None:
        raise Refused({"collector": decision})
    before = audit.snapshot(attendance)
    kind, _, row_id = data.collector.partition(":")
    attendance.check_out_at = now
    attendance.checked_out_by_id = actor.person_id
    attendance.picked_up_by_guardian_id = int(row_id) if kind == CollectorKind.guardian else None
    attendance.picked_up_by_adult_id = int(row_id) if kind == CollectorKind.adult else None
    attendance.picked_up_by_delegate_id = int(row_id) if kind == CollectorKind.delegate else None
    session.add(attendance)
    audit.record(session, actor.person_id, "checked_out", attendance, child_id=child.id,
                 before=before, after=audit.snapshot(attendance))
    # dailylog.service imports this module: imported here to keep the import graph one-way.
    from nursery_ops.dailylog.service import end_naps_at_departure

    end_naps_at_departure(session, actor, child.id, on, now)
    session.commit()
    return attendance


def guardian_options(session: Session, child_id: int) -> list[tuple[int, str]]:
    """Who may approve a one-off delegate: active guardians who may collect the child themselves."""
    return [
        (guardian.id, f"{guardian.full_name} ({link.relation})")
        for link, guardian in session.exec(
            select(ChildGuardian, Guardian)
            .join(Guardian, Guardian.id == ChildGuardian.guardian_id)
            .where(ChildGuardian.child_id == child_id, ChildGuardian.active, ChildGuardian.may_pick_up)
            .order_by(ChildGuardian.id)
        ).all()
    ]


def add_delegate(session: Session, actor: RoomActor, child: Child, data: DelegateForm, now: datetime) -> PickupDelegate:
    """A one-off delegate for today, with the approving guardian recorded first."""
    link = _guardian_link(session, child.id, data.approved_by_guardian_id)
    if link is None or not link.active or not link.may_pick_up:
        raise Refused({"approved_by_guardian_id": APPROVER_REFUSED})
    for existing in delegates_on(session, child.id, local_date(now)):
        # A double tap (the model has no form token): the same person today is recorded once.
        if (existing.full_name, existing.phone, existing.approved_by_guardian_id) == (
            data.full_name, data.phone, data.approved_by_guardian_id
        ):
            return existing
    delegate = PickupDelegate(
        child_id=child.id, on_date=local_date(now), recorded_by_id=actor.person_id, recorded_at=now, **data.model_dump()
    )
    session.add(delegate)
    audit.record(session, actor.person_id, "pickup_delegate_recorded", delegate, child_id=child.id,
                 after=audit.snapshot(delegate))
    session.commit()
    return delegate


# ---------------------------------------------------------------- absences


def record_absence(
    session: Session, actor: RoomActor, child: Child, enrolment: Enrolment, data: AbsenceForm, now: datetime
) -> Absence:
    """An absence reason for today (a second one replaces the first, audited); sick + suspected infection → 返园证明."""
    on = local_date(now)
    if not expected_today(session, enrolment, on):
        raise Refused({"__all__": NOT_EXPECTED})
    if attendance_on(session, child.id, on) is not None:
        raise Refused({"__all__": ALREADY_IN})
    if data.reason is AbsenceReason.sick and not data.symptoms:
        raise Refused({"symptoms": N_("Write the symptoms the family described.")})
    sick = data.reason is AbsenceReason.sick
    absence = absence_on(session, child.id, on)
    symptoms, infection = (data.symptoms, data.suspected_infection) if sick else ("", False)
    if absence is not None and (absence.reason, absence.symptoms, absence.suspected_infection) == (
        data.reason, symptoms, infection
    ):
        return absence  # the same answer again (a double tap): nothing changes, nothing to audit
    before = audit.snapshot(absence)
    if absence is None:
        absence = Absence(child_id=child.id, room_id=actor.room.id, on_date=on, reason=data.reason, recorded_by_id=actor.person_id)
    absence.reason = data.reason
    absence.symptoms = symptoms
    absence.suspected_infection = infection
    absence.recorded_by_id = actor.person_id
    absence.recorded_at = now
    session.add(absence)
    try:
        audit.record(session, actor.person_id, "absence_recorded" if before is None else "absence_changed", absence,
                     child_id=child.id, before=before, after=audit.snapshot(absence))
    except IntegrityError:
        session.rollback()
        return absence_on(session, child.id, on)
    if absence.suspected_infection and not awaited_return_certificates(session, child.id):
        certificate = ReturnCertificate(
            child_id=child.id, required_since=on, reason=data.symptoms[:500], required_by_id=actor.person_id
        )
        session.add(certificate)
        audit.record(session, actor.person_id, "return_certificate_required", certificate, child_id=child.id,
                     after=audit.snapshot(certificate))
    if sick:
        # A sick absence is a case like an illness in the room: it may complete an outbreak alert (聚集性疫情).
        detect_outbreaks(session, actor.room.id, on, actor.person_id)
    session.commit()
    return absence


def record_family_call(session: Session, actor: RoomActor, child: Child, data: CallForm, now: datetime) -> Absence:
    """The call to the family, with who made it; once recorded, a repeat (a double tap) changes nothing."""
    absence = absence_on(session, child.id, local_date(now))
    if absence is None:
        raise Refused({"__all__": N_("Record the absence first, then the call to the family.")})
    if absence.family_called_at is not None:
        return absence
    before = audit.snapshot(absence)
    absence.family_called_at = now
    absence.family_called_by_id = actor.person_id
    absence.call_note = data.call_note
    session.add(absence)
    audit.record(session, actor.person_id, "family_called", absence, child_id=child.id,
                 before=before, after=audit.snapshot(absence))
    session.commit()
    return absence


def unknown_without_call(session: Session, on: date, room_id: int | None = None) -> list[tuple[Absence, Child]]:
    """"Unknown" absences of the day still waiting for the call to the family (one room, or all for the director)."""
    query = (
        select(Absence, Child)
        .join(Child, Child.id == Absence.child_id)
        .where(
            Absence.on_date == on, Absence.reason == AbsenceReason.unknown,
            col(Absence.family_called_at).is_(None), col(Absence.superseded_at).is_(None),
        )
        .order_by(Child.full_name, Child.id)
    )
    if room_id is not None:
        query = query.where(Absence.room_id == room_id)
    return [(absence, child) for absence, child in session.exec(query).all()]


def sick_to_follow_up(session: Session, on: date, room_id: int | None = None) -> set[int]:
    """Children whose latest sick day is after their latest arrival: followed up each day until they return."""
    sick_query = select(Absence.child_id, func.max(Absence.on_date)).where(
        Absence.reason == AbsenceReason.sick, Absence.on_date <= on, col(Absence.superseded_at).is_(None)
    )
    if room_id is not None:
        sick_query = sick_query.where(Absence.room_id == room_id)
    last_sick = dict(session.exec(sick_query.group_by(Absence.child_id)).all())
    if not last_sick:
        return set()
    last_arrival = dict(
        session.exec(
            select(Attendance.child_id, func.max(Attendance.on_date))
            .where(col(Attendance.child_id).in_(last_sick), Attendance.on_date <= on)
            .group_by(Attendance.child_id)
        ).all()
    )
    return sick_follow_up(last_sick, last_arrival)


# ---------------------------------------------------------------- correcting arrival and departure times


def room_attendance(session: Session, room: Room, attendance_id: int) -> tuple[Attendance, Child]:
    """An arrival recorded in this room (404 otherwise)."""
    attendance = session.get(Attendance, attendance_id)
    if attendance is None or attendance.room_id != room.id:
        raise NotFound()
    return attendance, session.get(Child, attendance.child_id)


def is_room_caregiver(session: Session, actor: RoomActor) -> bool:
    """The acting person is a caregiver assigned to this room."""
    return session.exec(
        select(RoomCaregiver.id)
        .join(PersonRole, PersonRole.person_id == RoomCaregiver.person_id)
        .where(
            RoomCaregiver.room_id == actor.room.id, RoomCaregiver.person_id == actor.person_id,
            PersonRole.role == Role.caregiver,
        )
    ).first() is not None


def may_correct_attendance(session: Session, actor: RoomActor, attendance: Attendance, today: date) -> bool:
    return may_correct_times(may_override(actor), is_room_caregiver(session, actor), attendance.on_date, today)


def logged_span(session: Session, child_id: int, on: date) -> tuple[datetime, datetime] | None:
    """The first and last moment of the child's current log that day (a nap counts to its end)."""
    first, last_at, last_end = session.exec(
        select(func.min(LogEntry.at), func.max(LogEntry.at), func.max(LogEntry.ended_at)).where(
            LogEntry.child_id == child_id, LogEntry.on_date == on,
            col(LogEntry.replaced).is_(False), col(LogEntry.voided_at).is_(None),
        )
    ).one()
    if first is None:
        return None
    return first, max(moment for moment in (last_at, last_end) if moment is not None)


def correct_times(
    session: Session, actor: RoomActor, attendance: Attendance, data: TimesForm, now: datetime
) -> Attendance:
    """New arrival / departure times with the reason; the old ones stay in the audit entry's `before`.

    Hourly and temporary care are billed from these times, so what cannot be is refused:
    a time to come, a departure not after the arrival, the day's log outside the stay.
    """
    if not may_correct_attendance(session, actor, attendance, local_date(now)):
        raise Refused({"__all__": N_(
            "Only the room's caregivers correct today's arrival and departure times; older days, the director."
        )})
    zone = get_settings().zone
    check_in_at = at_local_time(attendance.on_date, data.check_in, zone)
    check_out_at = None
    if attendance.check_out_at is not None:
        if data.check_out is None:
            raise Refused({"check_out": N_("Enter when the child went home.")})
        check_out_at = at_local_time(attendance.on_date, data.check_out, zone)
    logged = logged_span(session, attendance.child_id, attendance.on_date)
    if errors := attendance_times_errors(check_in_at, check_out_at, now, logged, zone):
        raise Refused(errors)
    if (attendance.check_in_at, attendance.check_out_at) == (check_in_at, check_out_at):
        return attendance
    before = audit.snapshot(attendance)
    attendance.check_in_at, attendance.check_out_at = check_in_at, check_out_at
    session.add(attendance)
    audit.record(session, actor.person_id, "attendance_times_corrected", attendance, child_id=attendance.child_id,
                 before=before, after=audit.snapshot(attendance), reason=data.reason)
    session.commit()
    return attendance


@dataclass(frozen=True)
class TimesCorrection:
    """One correction of an arrival's times, from the audit trail (the old values are kept only there)."""

    at: datetime
    by_name: str
    reason: str
    check_in_before: datetime
    check_out_before: datetime | None
    check_in_after: datetime
    check_out_after: datetime | None


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def times_corrections(session: Session, attendance_id: int) -> list[TimesCorrection]:
    """The corrections of an arrival's times, oldest first (one statement)."""
    entry = audit.AuditEntry
    rows = session.exec(
        select(entry, Person.full_name)
        .join(Person, Person.id == entry.actor_id)
        .where(
            entry.entity == Attendance.__tablename__, entry.entity_id == attendance_id,
            entry.action == "attendance_times_corrected",
        )
        .order_by(entry.id)
    ).all()
    return [
        TimesCorrection(
            row.at, name, row.reason or "",
            _moment(row.before["check_in_at"]), _moment(row.before.get("check_out_at")),
            _moment(row.after["check_in_at"]), _moment(row.after.get("check_out_at")),
        )
        for row, name in rows
    ]


# ---------------------------------------------------------------- temporary bookings (临时托)


def temporary_enrolment(session: Session, child_id: int) -> Enrolment | None:
    return session.exec(
        select(Enrolment).where(Enrolment.child_id == child_id, Enrolment.status == EnrolmentStatus.enrolled)
    ).first()


def bookings(session: Session, enrolment: Enrolment | None, today: date) -> list[TemporaryBooking]:
    if enrolment is None:
        return []
    return list(
        session.exec(
            select(TemporaryBooking)
            .where(TemporaryBooking.enrolment_id == enrolment.id, TemporaryBooking.on_date >= today)
            .order_by(TemporaryBooking.on_date)
        ).all()
    )


def change_booking(
    session: Session, me: CurrentPerson, child: Child, data: BookingForm, today: date, now: datetime
) -> TemporaryBooking:
    enrolment = temporary_enrolment(session, child.id)
    if enrolment is None or enrolment.care_type is not CareType.temporary:
        raise Refused({"__all__": N_("Days are booked only for an open temporary-care (临时托) enrolment.")})
    if data.on_date < today:
        raise Refused({"on_date": N_("Choose today or a later day.")})
    if data.on_date < enrolment.start_date or (enrolment.end_date is not None and data.on_date > enrolment.end_date):
        raise Refused({"on_date": N_("Choose a day within the enrolment's dates.")})
    booking = session.exec(
        select(TemporaryBooking).where(TemporaryBooking.enrolment_id == enrolment.id, TemporaryBooking.on_date == data.on_date)
    ).first()
    before = audit.snapshot(booking)
    if data.action == "book":
        if booking is not None and booking.cancelled_at is None:
            return booking
        booking = booking or TemporaryBooking(enrolment_id=enrolment.id, on_date=data.on_date, booked_by_id=me.id)
        booking.cancelled_at = None
        booking.booked_by_id = me.id
        booking.booked_at = now
        action = "booking_made"
    else:
        if booking is None or booking.cancelled_at is not None:
            raise Refused({"on_date": N_("There is no booking on this day.")})
        booking.cancelled_at = now
        action = "booking_cancelled"
    session.add(booking)
    audit.record(session, me.id, action, booking, child_id=child.id, before=before, after=audit.snapshot(booking))
    session.commit()
    return booking


# ---------------------------------------------------------------- return certificates (返园证明)


def receive_return_certificate(session: Session, me: CurrentPerson, child: Child, data: ReturnCertificateForm) -> None:
    awaited = awaited_return_certificates(session, child.id)
    if not awaited:
        raise Refused({"__all__": N_("No return certificate is awaited for this child.")})
    if (dated_before := certificate_date_error(data.received_on, [row.required_since for row in awaited])) is not None:
        raise Refused({"received_on": dated_before})
    for certificate in awaited:
        before = audit.snapshot(certificate)
        certificate.received_on = data.received_on
        certificate.issued_by = data.issued_by
        certificate.received_by_id = me.id
        session.add(certificate)
        audit.record(session, me.id, "return_certificate_received", certificate, child_id=child.id,
                     before=before, after=audit.snapshot(certificate))
    session.commit()
