"""Enrolment (入托): enrol, waitlist and place, transfer, withdraw, edit; the child record's panel.

Every change runs the BLOCK rules first; a director may override a BLOCK with a
written reason, and the override is audited in the same transaction as the change.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import bindparam, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from nursery_ops import audit
from nursery_ops.auth.service import CurrentPerson
from nursery_ops.children.models import Child, ChildGuardian, TrustedAdult
from nursery_ops.children.rules import (
    BAND_ROOM,
    AgeBand,
    BandChange,
    age_band,
    completed_months,
    upcoming_band_change,
)
from nursery_ops.clock import local_today
from nursery_ops.contracts.service import current_contract_id
from nursery_ops.enrolment.forms import WAITLIST, EditForm, EnrolForm
from nursery_ops.enrolment.models import (
    CareType,
    Enrolment,
    EnrolmentStatus,
    RoomTransfer,
)
from nursery_ops.enrolment.rules import (
    AdmissionFacts,
    ChecklistItem,
    admission_age,
    admission_checklist,
    admission_complete,
    override_decision,
    schedule_days,
    schedule_errors,
    schedule_text,
    waitlist_order,
)
from nursery_ops.errors import NotFound
from nursery_ops.forms import whole_number
from nursery_ops.health.models import ExamKind, HealthExam
from nursery_ops.i18n import N_
from nursery_ops.policy import Decision, Mode, Policy
from nursery_ops.rooms.models import Room, RoomType
from nursery_ops.rooms.rules import fits_after_change, placement_decisions, places_from
from nursery_ops.rooms.service import active_rooms, holds_place_from, places_taken, room_end_dates

DUPLICATE = N_("This child already has an open enrolment (enrolled or on the waitlist). Edit, transfer or withdraw it instead.")
CHOOSE_ROOM = N_("Choose an active room.")


@dataclass
class Outcome:
    """The result of a change: saved, or field errors and the BLOCKs that stand."""

    enrolment: Enrolment | None = None
    errors: dict[str, str | Decision] = field(default_factory=dict)
    blocks: list[Decision] = field(default_factory=list)

    @property
    def saved(self) -> bool:
        return self.enrolment is not None and not self.errors


def get_enrolment(session: Session, enrolment_id: int) -> Enrolment:
    enrolment = session.get(Enrolment, enrolment_id)
    if enrolment is None:
        raise NotFound()
    return enrolment


def get_child(session: Session, child_id: int) -> Child:
    child = session.get(Child, child_id)
    if child is None:
        raise NotFound()
    return child


def open_enrolment(session: Session, child_id: int) -> Enrolment | None:
    return session.exec(
        select(Enrolment).where(Enrolment.child_id == child_id, Enrolment.status != EnrolmentStatus.withdrawn)
    ).first()


def _active_room(session: Session, room_id: int | None) -> Room | None:
    room = session.get(Room, room_id) if room_id is not None else None
    return room if room is not None and room.active else None


def _decisions_json(decisions: list[Decision]) -> list[dict]:
    return [{"mode": str(decision.mode), "message": decision.message, "params": decision.params} for decision in decisions]


def _record_override(session: Session, me: CurrentPerson, row, child_id: int, blocks: list[Decision], reason: str | None):
    if blocks:
        audit.record(
            session, me.id, "override", row, child_id=child_id, reason=(reason or "").strip(),
            after={"decisions": _decisions_json(blocks)},
        )


def _placement_blocks(session: Session, child: Child, room: Room, on: date, policy: Policy) -> list[Decision]:
    taken = places_taken(session, room.id, on)
    return placement_decisions(child.birth_date, on, room.room_type, taken, room.capacity, policy)


# --- Enrol ---------------------------------------------------------------


def enrol_child(session: Session, me: CurrentPerson, child: Child, data: EnrolForm, today: date, policy: Policy) -> Outcome:
    """入托 — a new enrolment into a room, or onto the waitlist (room None)."""
    errors = schedule_errors(data.care_type, data.schedule_days, data.half_day_session)
    room = None
    if data.room != WAITLIST:
        room_id = whole_number(data.room)
        room = _active_room(session, room_id) if room_id is not None else None
        if room is None:
            errors["room"] = CHOOSE_ROOM
    if open_enrolment(session, child.id) is not None:
        errors["__all__"] = DUPLICATE
    if errors:
        return Outcome(errors=errors)

    if room is None:
        blocks = [decision for decision in [admission_age(child.birth_date, data.start_date, policy)] if decision]
    else:
        blocks = _placement_blocks(session, child, room, data.start_date, policy)
    if errors := override_decision(blocks, data.override_reason):
        return Outcome(errors=errors, blocks=blocks)

    enrolment = Enrolment(
        child_id=child.id,
        room_id=room.id if room else None,
        status=EnrolmentStatus.enrolled if room else EnrolmentStatus.waitlisted,
        care_type=data.care_type,
        schedule_days=schedule_text(data.schedule_days),
        half_day_session=data.half_day_session if data.care_type == CareType.half_day else None,
        applied_on=data.applied_on or today,
        start_date=data.start_date,
        agreement_signed_on=data.agreement_signed_on,
        created_by_id=me.id,
    )
    session.add(enrolment)
    try:
        audit.record(session, me.id, "enrolment_created", enrolment, child_id=child.id, after=audit.snapshot(enrolment))
    except IntegrityError:
        # Another request enrolled the child first (uq_enrolment_open_child).
        session.rollback()
        return Outcome(errors={"__all__": DUPLICATE})
    _record_override(session, me, enrolment, child.id, blocks, data.override_reason)
    session.commit()
    return Outcome(enrolment=enrolment)


def update_enrolment(session: Session, me: CurrentPerson, enrolment: Enrolment, data: EditForm) -> dict[str, str]:
    """Change care type, weekly schedule or the agreement date of an open enrolment."""
    errors = schedule_errors(data.care_type, data.schedule_days, data.half_day_session)
    if enrolment.status == EnrolmentStatus.withdrawn:
        errors["__all__"] = N_("A withdrawn enrolment cannot be changed.")
    if errors:
        return errors
    before = audit.snapshot(enrolment)
    enrolment.care_type = data.care_type
    enrolment.schedule_days = schedule_text(data.schedule_days)
    enrolment.half_day_session = data.half_day_session if data.care_type == CareType.half_day else None
    enrolment.agreement_signed_on = data.agreement_signed_on
    session.add(enrolment)
    audit.record(session, me.id, "enrolment_updated", enrolment, child_id=enrolment.child_id,
                 before=before, after=audit.snapshot(enrolment))
    session.commit()
    return {}


# --- Waitlist ---------------------------------------------------------------


@dataclass
class RoomHint:
    room: Room
    blocks: list[Decision]

    @property
    def fits(self) -> bool:
        return not self.blocks


@dataclass
class WaitlistRow:
    position: int
    enrolment: Enrolment
    child: Child
    check_on: date
    months: int | None
    band: AgeBand | None
    suggested_room_type: RoomType | None
    hints: list[RoomHint]


def waitlist(session: Session, today: date, policy: Policy) -> list[WaitlistRow]:
    """候补名单 in order of application, each with "fits now?" hints per active room: three queries."""
    rows = session.exec(
        select(Enrolment, Child)
        .join(Child, Child.id == Enrolment.child_id)
        .where(Enrolment.status == EnrolmentStatus.waitlisted)
        .order_by(Enrolment.applied_on, Enrolment.id)
    ).all()
    children = {enrolment.id: child for enrolment, child in rows}
    rooms = active_rooms(session)
    end_dates = room_end_dates(session, today)
    result = []
    for position, enrolment in enumerate(waitlist_order(enrolment for enrolment, _ in rows), start=1):
        child = children[enrolment.id]
        # A wished-for start already past is checked for today.
        check_on = max(enrolment.start_date, today)
        months = completed_months(child.birth_date, check_on) if check_on >= child.birth_date else None
        band = age_band(months, policy) if months is not None else None
        hints = [
            RoomHint(room, placement_decisions(
                child.birth_date, check_on, room.room_type, places_from(end_dates[room.id], check_on), room.capacity, policy,
            ))
            for room in rooms
        ]
        result.append(WaitlistRow(position, enrolment, child, check_on, months, band, BAND_ROOM.get(band), hints))
    return result


def place_from_waitlist(
    session: Session, me: CurrentPerson, enrolment: Enrolment, room_id: int, start_date: date,
    override_reason: str | None, policy: Policy,
) -> Outcome:
    """Give a waitlisted child a room from a start date, under the same BLOCK rules as enrolling."""
    if enrolment.status != EnrolmentStatus.waitlisted:
        return Outcome(errors={"__all__": N_("This enrolment is not on the waitlist.")})
    room = _active_room(session, room_id)
    if room is None:
        return Outcome(errors={"room_id": CHOOSE_ROOM})
    child = get_child(session, enrolment.child_id)
    blocks = _placement_blocks(session, child, room, start_date, policy)
    if errors := override_decision(blocks, override_reason):
        return Outcome(errors=errors, blocks=blocks)
    before = audit.snapshot(enrolment)
    enrolment.status, enrolment.room_id, enrolment.start_date = EnrolmentStatus.enrolled, room.id, start_date
    session.add(enrolment)
    audit.record(session, me.id, "enrolment_placed", enrolment, child_id=child.id, before=before, after=audit.snapshot(enrolment))
    _record_override(session, me, enrolment, child.id, blocks, override_reason)
    session.commit()
    return Outcome(enrolment=enrolment)


# --- Transfer and withdrawal ---------------------------------------------------------------


def transfer(
    session: Session, me: CurrentPerson, enrolment: Enrolment, room_id: int, on_date: date, reason: str,
    override_reason: str | None, today: date, policy: Policy,
) -> Outcome:
    """转班 — move an enrolled child to another room from a date, checked against the new room.

    The enrolment's room changes at once, so a move is recorded on its day, not ahead of it:
    otherwise the new room's tablet would list the child early.
    """
    if enrolment.status != EnrolmentStatus.enrolled or enrolment.room_id is None:
        return Outcome(errors={"__all__": N_("Only an enrolled child with a room can be transferred.")})
    errors: dict[str, str | Decision] = {}
    room = _active_room(session, room_id)
    if room is None:
        errors["room_id"] = CHOOSE_ROOM
    elif room.id == enrolment.room_id:
        errors["room_id"] = N_("The child is already in this room.")
    last_move = session.exec(
        select(RoomTransfer.on_date).where(RoomTransfer.enrolment_id == enrolment.id).order_by(col(RoomTransfer.on_date).desc())
    ).first()
    earliest = max(enrolment.start_date, last_move or enrolment.start_date)
    if on_date < earliest:
        errors["on_date"] = Decision(Mode.block, N_("The transfer date cannot be before {date}."), {"date": earliest.isoformat()})
    elif on_date > today:
        errors["on_date"] = N_("Record a transfer on the day it happens, not ahead of it.")
    if errors:
        return Outcome(errors=errors)
    child = get_child(session, enrolment.child_id)
    blocks = _placement_blocks(session, child, room, on_date, policy)
    if errors := override_decision(blocks, override_reason):
        return Outcome(errors=errors, blocks=blocks)
    move = RoomTransfer(enrolment_id=enrolment.id, from_room_id=enrolment.room_id, to_room_id=room.id,
                        on_date=on_date, reason=reason, by_id=me.id)
    before = audit.snapshot(enrolment)
    enrolment.room_id = room.id
    session.add_all([move, enrolment])
    audit.record(session, me.id, "room_transfer", move, child_id=child.id, before=before,
                 after=audit.snapshot(enrolment), reason=reason)
    _record_override(session, me, move, child.id, blocks, override_reason)
    session.commit()
    return Outcome(enrolment=enrolment)


def withdraw(session: Session, me: CurrentPerson, enrolment: Enrolment, end_date: date, reason: str) -> Outcome:
    """退托 — the enrolment ends on `end_date` (the last day of care); it stays in the history."""
    if enrolment.status == EnrolmentStatus.withdrawn:
        return Outcome(errors={"__all__": N_("This enrolment is already withdrawn.")})
    # A waitlisted child never started: the application date is the earliest sensible end.
    earliest = enrolment.applied_on if enrolment.status == EnrolmentStatus.waitlisted else enrolment.start_date
    if end_date < earliest:
        return Outcome(errors={"end_date": Decision(Mode.block, N_("The date cannot be before {date}."), {"date": earliest.isoformat()})})
    before = audit.snapshot(enrolment)
    enrolment.status, enrolment.end_date, enrolment.withdrawal_reason = EnrolmentStatus.withdrawn, end_date, reason
    session.add(enrolment)
    audit.record(session, me.id, "enrolment_withdrawn", enrolment, child_id=enrolment.child_id,
                 before=before, after=audit.snapshot(enrolment), reason=reason)
    session.commit()
    return Outcome(enrolment=enrolment)


# --- Admission checklist ---------------------------------------------------------------


def admission_facts_for(session: Session, child_ids: set[int]) -> dict[int, AdmissionFacts]:
    """Guardians, trusted adults and entry exams of many children: three queries whatever their number."""
    facts: dict[int, AdmissionFacts] = defaultdict(AdmissionFacts)
    if not child_ids:
        return facts
    for link in session.exec(select(ChildGuardian).where(col(ChildGuardian.child_id).in_(child_ids))).all():
        facts[link.child_id].guardian_links.append(link)
    for adult in session.exec(select(TrustedAdult).where(col(TrustedAdult.child_id).in_(child_ids))).all():
        facts[adult.child_id].trusted_adults.append(adult)
    for exam in session.exec(
        select(HealthExam).where(col(HealthExam.child_id).in_(child_ids), HealthExam.kind == ExamKind.entry)
    ).all():
        facts[exam.child_id].entry_exams.append(exam)
    return facts


def admission_checklist_for(
    session: Session, child: Child, enrolment: Enrolment, policy: Policy, today: date | None = None
) -> list[ChecklistItem]:
    facts = admission_facts_for(session, {child.id})[child.id]
    return admission_checklist(child, enrolment, facts, today or local_today(), policy)


# --- The child record's panel ---------------------------------------------------------------


@dataclass
class BandChangeAdvice:
    change: BandChange
    stays: bool  # the current room (a mixed room) still fits after the change
    rooms: list[Room]


def band_change_advice(
    child: Child, room: Room | None, today: date, policy: Policy, rooms: list[Room], end_dates: dict[int, list]
) -> BandChangeAdvice | None:
    """WARN before a child leaves its band: rooms of the next type that take them then and have a place."""
    change = upcoming_band_change(child.birth_date, today, policy)
    if change is None:
        return None
    taken = {room_id: places_from(dates, change.on) for room_id, dates in end_dates.items()}
    return advice_for_change(child, room, change, policy, rooms, taken)


def advice_for_change(
    child: Child, room: Room | None, change: BandChange, policy: Policy, rooms: list[Room], taken: dict[int, int]
) -> BandChangeAdvice:
    """The advice on an upcoming change, with the places each room has taken on its day (`taken`: room id → places)."""
    stays = room is not None and fits_after_change(room.room_type, change, child.birth_date, policy)
    suggested = [
        candidate
        for candidate in rooms
        if change.suggested_room_type is not None
        and candidate.active
        and candidate.room_type == change.suggested_room_type
        and (room is None or candidate.id != room.id)
        and not placement_decisions(child.birth_date, change.on, candidate.room_type,
                                    taken.get(candidate.id, 0), candidate.capacity, policy)
    ]
    return BandChangeAdvice(change, stays, suggested)


# The panel's statements are built once, bound when run: building and keying them costs SQLAlchemy more than
# SQLite takes to answer them.
_PANEL_ENROLMENTS = (
    select(Enrolment, RoomTransfer, current_contract_id(Enrolment.id))
    .outerjoin(RoomTransfer, col(RoomTransfer.enrolment_id) == Enrolment.id)
    .where(Enrolment.child_id == bindparam("child_id"))
    .order_by(col(Enrolment.start_date).desc(), col(Enrolment.id).desc())
)
_PANEL_ROOMS = select(Room)
_PANEL_ROOMS_WITH_PLACES = select(
    Room,
    select(func.count()).select_from(Enrolment)
    .where(col(Enrolment.room_id) == Room.id, holds_place_from(bindparam("on")))
    .correlate(Room).scalar_subquery(),
)


def child_enrolment_panel(
    session: Session, child: Child, today: date, policy: Policy, can_edit: bool = False,
    facts: AdmissionFacts | None = None,
) -> dict:
    """Everything the child record shows about enrolment: current/open enrolment, room,
    care type and schedule, admission checklist, band-change warning, history, actions,
    and the current enrolment's signed contract (its id).

    Two statements whatever the history: the enrolments with their transfers and contract, and the rooms
    (with the places each holds on the day of an upcoming band change). `facts` are the checklist's
    guardians, adults and exams when the caller has them loaded already; else three more statements.
    """
    rows = session.exec(_PANEL_ENROLMENTS, params={"child_id": child.id}).all()
    enrolments = list({enrolment.id: enrolment for enrolment, _move, _contract_id in rows}.values())
    transfers = sorted((move for _enrolment, move, _contract_id in rows if move is not None),
                       key=lambda move: (move.on_date, move.id))
    contract_ids = {enrolment.id: contract_id for enrolment, _move, contract_id in rows}
    current = next((e for e in enrolments if e.status != EnrolmentStatus.withdrawn), None)

    # A band change is known from the birth date alone: only then do the rooms' places matter.
    enrolled = current is not None and current.status == EnrolmentStatus.enrolled
    change = upcoming_band_change(child.birth_date, today, policy) if enrolled else None
    if change is None:
        rooms = {room.id: room for room in session.exec(_PANEL_ROOMS).all()}
        taken: dict[int, int] = {}
    else:
        found = session.exec(_PANEL_ROOMS_WITH_PLACES, params={"on": change.on}).all()
        rooms, taken = {room.id: room for room, _ in found}, {room.id: count for room, count in found}
    room = rooms.get(current.room_id) if current and current.room_id else None
    months = completed_months(child.birth_date, today) if today >= child.birth_date else None

    checklist, advice = [], None
    if current is not None:
        if facts is None:
            facts = admission_facts_for(session, {child.id})[child.id]
        checklist = admission_checklist(child, current, facts, today, policy)
        if change is not None:
            advice = advice_for_change(child, room, change, policy, list(rooms.values()), taken)

    actions = []
    if can_edit:
        if current is None:
            actions.append((f"/children/{child.id}/enrol", N_("Enrol")))
        else:
            actions.append((f"/enrolments/{current.id}/edit", N_("Change care type or schedule")))
            if current.status == EnrolmentStatus.waitlisted:
                actions.append((f"/enrolments/{current.id}/place", N_("Place in a room")))
            elif current.room_id is not None:
                actions.append((f"/enrolments/{current.id}/transfer", N_("Transfer to another room")))
            if current.care_type == CareType.temporary and current.status == EnrolmentStatus.enrolled:
                actions.append((f"/children/{child.id}/bookings", N_("Book days (临时托)")))
            actions.append((f"/enrolments/{current.id}/withdraw", N_("Withdraw")))

    return {
        "child": child,
        "current": current,
        "contract_id": contract_ids.get(current.id) if current else None,
        "room": room,
        "rooms": rooms,
        "care_type": current.care_type if current else None,
        "schedule": schedule_days(current.schedule_days) if current else [],
        "months": months,
        "band": age_band(months, policy) if months is not None else None,
        "checklist": checklist,
        "admission_complete": admission_complete(checklist) if current else False,
        "band_change": advice,
        "history": enrolments,
        "transfers": transfers,
        "can_edit": can_edit,
        "actions": actions,
    }
