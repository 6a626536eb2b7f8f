"""The health day: midday checks, observations, illness steps; the health officer's overview (`health_day`).

Changes validate everything first, write their audit entries in the same
transaction and commit. Refusals raise `Refused` (field → message id or Decision).
A suspected infectious disease adds a `ReturnCertificate` requirement, which the
tablet's check-in already BLOCKs on (attendance.service.check_in_blocks).
An illness written here runs outbreak detection in its transaction (illness.outbreaks);
`open_outbreaks` is re-exported here for /director.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from nursery_ops import audit
from nursery_ops.attendance.forms import CheckOutForm
from nursery_ops.attendance.models import (
    Absence,
    Attendance,
    CheckOutcome,
    MorningCheck,
)
from nursery_ops.attendance.rules import is_expected
from nursery_ops.attendance.service import (
    awaited_return_certificates,
    booking_exists_on,
    check_out,
    collecting_adults,
    present_attendance,
)
from nursery_ops.auth.models import Person
from nursery_ops.children.models import Child
from nursery_ops.clock import local_date, to_local
from nursery_ops.enrolment.models import Enrolment, EnrolmentStatus
from nursery_ops.errors import NotFound
from nursery_ops.forms import Refused
from nursery_ops.health.models import ReturnCertificate
from nursery_ops.i18n import N_
from nursery_ops.illness.forms import (
    IllnessStartForm,
    MiddayCheckForm,
    ObservationForm,
    VoidForm,
)
from nursery_ops.illness.models import (
    Illness,
    MiddayCheck,
    MiddayOutcome,
    Observation,
    Skin,
    Symptom,
)
from nursery_ops.illness.outbreaks import OutbreakItem, detect_outbreaks, open_outbreaks
from nursery_ops.illness.rules import (
    Mark,
    Step,
    last_step_at,
    local_moment,
    midday_decision,
    midday_warn,
    step_refusal,
    step_time_error,
    under_observation,
)
from nursery_ops.policy import Policy, load_policy
from nursery_ops.rooms.models import Room
from nursery_ops.rooms.service import holds_place_on
from nursery_ops.rooms.tablet import RoomActor

NOT_PRESENT = N_("This child is not in the room now: check the child in first.")
OPEN_ILLNESS = N_("This child already has an open illness today: continue with its steps.")


# ---------------------------------------------------------------- small reads


def open_illness_of(session: Session, child_id: int, on: date) -> Illness | None:
    return session.exec(
        select(Illness).where(
            Illness.child_id == child_id,
            Illness.on_date == on,
            col(Illness.outcome).is_(None),
            col(Illness.voided_at).is_(None),
        )
    ).first()


def _by_token(session: Session, model, token: str | None):
    if not token:
        return None
    return session.exec(select(model).where(model.form_token == token)).first()


def _save_new(session: Session, row, actor_id: int, action: str, child_id: int):
    """Add, audit and flush a new row; a racing double tap (same token) answers with the first one."""
    session.add(row)
    try:
        audit.record(session, actor_id, action, row, child_id=child_id, after=audit.snapshot(row))
    except IntegrityError:
        session.rollback()
        if (first := _by_token(session, type(row), row.form_token)) is None:
            raise
        return first, False
    return row, True


# ---------------------------------------------------------------- midday check (午检) and observation


def record_midday_check(
    session: Session, actor: RoomActor, child: Child, data: MiddayCheckForm, policy: Policy, now: datetime
) -> MiddayCheck:
    """午检 for a child present in the room; "ill" starts an illness with the symptoms ticked."""
    if (first := _by_token(session, MiddayCheck, data.form_token)) is not None:
        return first
    today = local_date(now)
    if present_attendance(session, actor.room.id, child.id, today) is None:
        raise Refused({"__all__": NOT_PRESENT})
    if (decision := midday_decision(data.outcome, data.temperature, data.skin, policy)) is not None:
        raise Refused({"outcome": decision})
    illness = None
    if data.outcome is MiddayOutcome.ill:
        symptoms = list(data.symptoms)
        if data.temperature >= round(policy.fever_celsius * 10) and Symptom.fever.value not in symptoms:
            symptoms.insert(0, Symptom.fever.value)
        if data.skin is Skin.rash and Symptom.rash.value not in symptoms:
            symptoms.append(Symptom.rash.value)
        if not symptoms:
            raise Refused({"symptoms": N_("Tick at least one symptom.")})
        if open_illness_of(session, child.id, today) is not None:
            raise Refused({"outcome": OPEN_ILLNESS})
        illness = Illness(
            child_id=child.id, room_id=actor.room.id, on_date=today, started_at=now, started_by_id=actor.person_id,
            symptoms=" ".join(symptoms), symptom_note=data.notes, temperature_tenths=data.temperature, recorded_at=now,
        )
        session.add(illness)
        audit.record(session, actor.person_id, "illness_started", illness, child_id=child.id, after=audit.snapshot(illness))
    check = MiddayCheck(
        child_id=child.id, room_id=actor.room.id, on_date=today, at=now, temperature_tenths=data.temperature,
        spirits=data.spirits, skin=data.skin, notes=data.notes, outcome=data.outcome,
        illness_id=illness.id if illness else None, by_id=actor.person_id, form_token=data.form_token,
    )
    check, new = _save_new(session, check, actor.person_id, "midday_check_recorded", child.id)
    if new and illness is not None:
        detect_outbreaks(session, actor.room.id, today, actor.person_id, policy)
    session.commit()
    return check


def record_observation(
    session: Session, actor: RoomActor, child: Child, data: ObservationForm, now: datetime
) -> Observation:
    """全日观察 — an entry about a child in the room today, attached to the child's open illness if any."""
    if (first := _by_token(session, Observation, data.form_token)) is not None:
        return first
    today = local_date(now)
    if present_attendance(session, actor.room.id, child.id, today) is None:
        raise Refused({"__all__": NOT_PRESENT})
    at = local_moment(today, data.time, now)
    if at > now + timedelta(minutes=1):
        raise Refused({"time": N_("This time is in the future.")})
    illness = open_illness_of(session, child.id, today)
    observation = Observation(
        child_id=child.id, room_id=actor.room.id, on_date=today, at=at, text=data.text,
        temperature_tenths=data.temperature, illness_id=illness.id if illness else None,
        by_id=actor.person_id, form_token=data.form_token,
    )
    observation, _new = _save_new(session, observation, actor.person_id, "observation_recorded", child.id)
    session.commit()
    return observation


# ---------------------------------------------------------------- illness


def start_illness(
    session: Session, actor: RoomActor, child: Child, data: IllnessStartForm, policy: Policy, now: datetime
) -> Illness:
    """Observation starts: the symptoms, maybe a temperature and a suspected infectious disease."""
    if (first := _by_token(session, Illness, data.form_token)) is not None:
        return first
    today = local_date(now)
    if present_attendance(session, actor.room.id, child.id, today) is None:
        raise Refused({"__all__": NOT_PRESENT})
    if open_illness_of(session, child.id, today) is not None:
        raise Refused({"__all__": OPEN_ILLNESS})
    if Symptom.other.value in data.symptoms and not data.symptom_note:
        raise Refused({"symptom_note": N_("Describe the other symptom.")})
    if data.suspected_infectious and not data.suspected_disease:
        raise Refused({"suspected_disease": N_("Which disease is suspected? Write \"unknown\" if nobody can tell yet.")})
    started_at = local_moment(today, data.time, now)
    if started_at > now + timedelta(minutes=1):
        raise Refused({"time": N_("This time is in the future.")})
    illness = Illness(
        child_id=child.id, room_id=actor.room.id, on_date=today, started_at=started_at, started_by_id=actor.person_id,
        symptoms=" ".join(data.symptoms), symptom_note=data.symptom_note, temperature_tenths=data.temperature,
        suspected_infectious=data.suspected_infectious,
        suspected_disease=data.suspected_disease if data.suspected_infectious else "",
        recorded_at=now, form_token=data.form_token,
    )
    illness, new = _save_new(session, illness, actor.person_id, "illness_started", child.id)
    if new:
        if illness.suspected_infectious:
            _require_certificate(session, actor.person_id, illness)
        detect_outbreaks(session, actor.room.id, today, actor.person_id, policy)
    session.commit()
    return illness


def _require_certificate(session: Session, actor_id: int, illness: Illness) -> None:
    """返园证明 before the next check-in: one awaited certificate per child is enough."""
    if illness.return_certificate_id is not None:
        return
    awaited = awaited_return_certificates(session, illness.child_id)
    if awaited:
        illness.return_certificate_id = awaited[0].id
    else:
        certificate = ReturnCertificate(
            child_id=illness.child_id, required_since=illness.on_date, required_by_id=actor_id,
            reason=f"{illness.suspected_disease} ({illness.on_date.isoformat()})"[:500],
        )
        session.add(certificate)
        audit.record(session, actor_id, "return_certificate_required", certificate, child_id=illness.child_id,
                     after=audit.snapshot(certificate))
        illness.return_certificate_id = certificate.id
    session.add(illness)


def room_illness(session: Session, room: Room, illness_id: int) -> Illness:
    illness = session.get(Illness, illness_id)
    if illness is None or illness.room_id != room.id:
        raise NotFound()
    return illness


def take_step(session: Session, actor: RoomActor, illness: Illness, step: Step, data, now: datetime) -> Illness:
    """One step of the illness, timed (a time of day on the illness's date) and by the acting person."""
    outcome = data.outcome if step is Step.outcome else None
    suspected_now = step is Step.pickup and data.suspected_infectious
    if (refusal := step_refusal(illness, step, outcome, suspected_now=suspected_now)) is not None:
        raise Refused({"__all__": refusal})
    at = now
    if step is not Step.suspect:
        at = local_moment(illness.on_date, data.time, now)
        if (message := step_time_error(at, last_step_at(illness), now)) is not None:
            raise Refused({"time": message})
    before = audit.snapshot(illness)
    if step is Step.isolate:
        illness.isolated_at, illness.isolated_by_id, illness.isolation_place = at, actor.person_id, data.isolation_place
    elif step is Step.notify:
        illness.guardian_notified_at, illness.notified_by_id, illness.notified_whom = at, actor.person_id, data.notified_whom
    elif step is Step.suspect:
        illness.suspected_infectious, illness.suspected_disease = True, data.suspected_disease
    elif step is Step.pickup:
        if data.suspected_infectious and not data.suspected_disease:
            raise Refused({"suspected_disease": N_("Which disease is suspected? Write \"unknown\" if nobody can tell yet.")})
        adults = {option.key: option for option in collecting_adults(session, illness.child_id, illness.on_date)}
        chosen = adults.get(data.collector)
        illness.picked_up_at, illness.picked_up_by_id = at, actor.person_id
        illness.collected_by = f"{chosen.name} ({chosen.relation})"[:100] if chosen else data.collector[:100]
        if data.suspected_infectious:
            illness.suspected_infectious, illness.suspected_disease = True, data.suspected_disease
    elif step is Step.outcome:
        illness.outcome, illness.outcome_at, illness.outcome_by_id = data.outcome, at, actor.person_id
        illness.outcome_note = data.outcome_note
    session.add(illness)
    audit.record(session, actor.person_id, f"illness_{step.value}", illness, child_id=illness.child_id,
                 before=before, after=audit.snapshot(illness))
    if illness.suspected_infectious:
        _require_certificate(session, actor.person_id, illness)
    if step is Step.pickup:
        # The pick-up is the child's check-out: the same authorised-adult BLOCK, in the same transaction.
        child = session.get(Child, illness.child_id)
        check_out(session, actor, child, CheckOutForm(collector=data.collector), at)
    session.commit()
    return illness


def void_illness(session: Session, actor: RoomActor, illness: Illness, data: VoidForm, now: datetime) -> Illness:
    """An illness recorded in error: voided, and the 返园证明 it required with it (unless another cause needs it)."""
    if illness.voided_at is not None:
        return illness
    audit.void(session, actor.person_id, illness, "illness_voided", data.void_reason, now)
    _release_certificate(session, actor.person_id, illness, data.void_reason, now)
    session.commit()
    return illness


def _release_certificate(session: Session, actor_id: int, illness: Illness, reason: str, now: datetime) -> None:
    """Void the awaited certificate of a voided illness when no open cause requires it any more.

    Other causes: another illness (not voided) of the child linked to the same certificate,
    or a sick absence with a suspected infection since the certificate was required (the
    absence shares the awaited certificate rather than adding one).
    """
    if illness.return_certificate_id is None:
        return
    certificate = session.get(ReturnCertificate, illness.return_certificate_id)
    if certificate is None or certificate.received_on is not None or certificate.voided_at is not None:
        return
    other_illness = select(Illness.id).where(
        Illness.return_certificate_id == certificate.id, Illness.id != illness.id, col(Illness.voided_at).is_(None),
        col(Illness.suspected_infectious).is_(True),
    )
    sick_absence = select(Absence.id).where(
        Absence.child_id == certificate.child_id, col(Absence.suspected_infection).is_(True),
        Absence.on_date >= certificate.required_since,
    )
    if session.exec(other_illness).first() is not None or session.exec(sick_absence).first() is not None:
        return
    audit.void(session, actor_id, certificate, "return_certificate_voided", reason, now)


@dataclass
class IllnessView:
    illness: Illness
    child: Child
    room: Room
    names: dict[int, str]  # person id → name, for "by whom"
    observations: list[Observation]
    certificate: ReturnCertificate | None

    def by(self, person_id: int | None) -> str:
        return self.names.get(person_id, "") if person_id else ""


def illness_view(session: Session, illness_id: int) -> IllnessView | None:
    row = session.exec(
        select(Illness, Child, Room)
        .join(Child, Child.id == Illness.child_id)
        .join(Room, Room.id == Illness.room_id)
        .where(Illness.id == illness_id)
    ).first()
    if row is None:
        return None
    illness, child, room = row
    observations = list(session.exec(
        select(Observation).where(Observation.illness_id == illness.id).order_by(Observation.at, Observation.id)
    ).all())
    people = {
        illness.started_by_id, illness.isolated_by_id, illness.notified_by_id, illness.picked_up_by_id,
        illness.outcome_by_id, illness.voided_by_id, *(entry.by_id for entry in observations),
    } - {None}
    names = dict(session.exec(select(Person.id, Person.full_name).where(col(Person.id).in_(people))).all())
    certificate = session.get(ReturnCertificate, illness.return_certificate_id) if illness.return_certificate_id else None
    return IllnessView(illness, child, room, names, observations, certificate)


# ---------------------------------------------------------------- a child's health-day record (staff and, later, family)


@dataclass
class ChildHealthDays:
    illnesses: list[Illness]
    midday_checks: list[MiddayCheck]
    observations: list[Observation]


def child_health_days(session: Session, child_id: int, include_voided: bool = True) -> ChildHealthDays:
    """Everything of this domain for one child, newest first (three queries). Parents' pages pass include_voided=False."""
    illness_query = select(Illness).where(Illness.child_id == child_id)
    if not include_voided:
        illness_query = illness_query.where(col(Illness.voided_at).is_(None))
    illnesses = list(session.exec(illness_query.order_by(col(Illness.started_at).desc(), col(Illness.id).desc())).all())
    checks = list(session.exec(
        select(MiddayCheck).where(MiddayCheck.child_id == child_id).order_by(col(MiddayCheck.at).desc())
    ).all())
    observations = list(session.exec(
        select(Observation).where(Observation.child_id == child_id).order_by(col(Observation.at).desc())
    ).all())
    return ChildHealthDays(illnesses, checks, observations)


# ---------------------------------------------------------------- the health officer's day (/health, /director)


@dataclass
class MorningCheckItem:
    child: Child
    room: Room
    status: str  # done | observe | send_home | missing | absent
    check: MorningCheck | None


@dataclass
class PresentItem:
    child: Child
    room: Room
    since: datetime | None = None  # under observation: from when
    reason: str = ""  # what put the child under observation
    warn: bool = False  # a midday check still missing from `midday_check_due` (15:00)


@dataclass
class OpenIllness:
    illness: Illness
    child: Child
    room: Room


@dataclass
class HealthDay:
    on: date
    now: datetime
    morning_checks: list[MorningCheckItem] = field(default_factory=list)
    midday_due: list[PresentItem] = field(default_factory=list)
    midday_warn: bool = False
    under_observation: list[PresentItem] = field(default_factory=list)
    open_illnesses: list[OpenIllness] = field(default_factory=list)
    outbreaks: list[OutbreakItem] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for item in self.morning_checks if item.status == status)


def _latest_of_day(model, on: date):
    """The id of a child's latest row of `model` on `on` (a morning or midday check, an observation): correlated
    with the query's child, so the day's row joins each child in the same statement."""
    return (
        select(model.id)
        .where(model.child_id == Child.id, model.on_date == on)
        .order_by(col(model.at).desc(), col(model.id).desc())
        .limit(1)
        .correlate(Child)
        .scalar_subquery()
    )


def health_day(session: Session, on: date, now: datetime, policy: Policy | None = None) -> HealthDay:
    """Today's health work for every room, in a fixed number of queries (four) whatever the children:
    the children of the day (places and arrivals with their checks); the open illnesses; the outbreaks (two)."""
    policy = policy or load_policy(session)
    booked = booking_exists_on(on)
    absent = select(Absence.id).where(Absence.child_id == Child.id, Absence.on_date == on).correlate(Child).exists()
    arrival_room = aliased(Room)
    # One row per child with a place today or an arrival today (one of each at most: unique per child
    # and day), the day's latest checks and observation outer-joined.
    rows = session.exec(
        select(Child, Enrolment, Room, booked, absent, MorningCheck, Attendance, arrival_room, MiddayCheck, Observation)
        .outerjoin(
            Enrolment,
            (Enrolment.child_id == Child.id) & (Enrolment.status == EnrolmentStatus.enrolled) & holds_place_on(on),
        )
        .outerjoin(Room, Room.id == Enrolment.room_id)
        .outerjoin(Attendance, (Attendance.child_id == Child.id) & (Attendance.on_date == on))
        .outerjoin(arrival_room, arrival_room.id == Attendance.room_id)
        .outerjoin(MorningCheck, MorningCheck.id == _latest_of_day(MorningCheck, on))
        .outerjoin(MiddayCheck, MiddayCheck.id == _latest_of_day(MiddayCheck, on))
        .outerjoin(Observation, Observation.id == _latest_of_day(Observation, on))
        .where(col(Enrolment.id).is_not(None) | col(Attendance.id).is_not(None))
    ).all()
    enrolled, arrivals = [], []
    checks: dict[int, MorningCheck] = {}
    middays: dict[int, MiddayCheck] = {}
    observed: dict[int, Observation] = {}
    for child, enrolment, room, is_booked, is_absent, check, attendance, arrived_in, midday, entry in rows:
        if enrolment is not None:
            enrolled.append((enrolment, child, room, is_booked, is_absent))
        if attendance is not None:
            arrivals.append((attendance, child, arrived_in))
        if check is not None:
            checks[child.id] = check
        if midday is not None:
            middays[child.id] = midday
        if entry is not None:
            observed[child.id] = entry
    enrolled.sort(key=lambda row: (row[2].name, row[1].full_name, row[1].id))
    illness_rows = session.exec(
        select(Illness, Child, Room)
        .join(Child, Child.id == Illness.child_id)
        .join(Room, Room.id == Illness.room_id)
        .where(col(Illness.outcome).is_(None), col(Illness.voided_at).is_(None), Illness.on_date <= on)
        .order_by(Illness.started_at, Illness.id)
    ).all()

    day = HealthDay(on=on, now=now, midday_warn=midday_warn(to_local(now).time(), policy))
    arrived = {row[0].child_id for row in arrivals}
    for enrolment, child, room, is_booked, is_absent in enrolled:
        expected = is_expected(
            enrolment.status, enrolment.care_type, enrolment.schedule_days, enrolment.start_date, enrolment.end_date,
            on, is_booked,
        )
        if not expected and child.id not in arrived:
            continue
        check = checks.get(child.id)
        if check is not None:
            status = {CheckOutcome.send_home: "send_home", CheckOutcome.observe: "observe"}.get(check.outcome, "done")
        else:
            status = "absent" if is_absent else "missing"
        day.morning_checks.append(MorningCheckItem(child, room, status, check))

    ill_today = {illness.child_id for illness, _child, _room in illness_rows}
    for attendance, child, room in sorted(arrivals, key=lambda row: (row[2].name, row[1].full_name)):
        if attendance.check_out_at is not None:
            continue
        midday = middays.get(child.id)
        if midday is None:
            day.midday_due.append(PresentItem(child, room, warn=day.midday_warn))
        if child.id in ill_today:
            continue
        marks = []
        if (check := checks.get(child.id)) is not None:
            marks.append(Mark(check.at, check.outcome is CheckOutcome.observe, N_("Morning check")))
        if midday is not None:
            marks.append(Mark(midday.at, midday.outcome is MiddayOutcome.observe, N_("Midday check")))
        if (entry := observed.get(child.id)) is not None:
            marks.append(Mark(entry.at, True, N_("Observation")))
        if (mark := under_observation(marks)) is not None:
            day.under_observation.append(PresentItem(child, room, mark.at, mark.reason))
    day.open_illnesses = [OpenIllness(illness, child, room) for illness, child, room in illness_rows]

    day.outbreaks = open_outbreaks(session, now, policy)
    return day


# ---------------------------------------------------------------- for the room tablet's tiles


@dataclass
class TileHealth:
    midday_check: MiddayCheck | None = None
    open_illness: Illness | None = None


def room_health(session: Session, room_id: int, on: date) -> dict[int, TileHealth]:
    """Per child of the room today: the latest midday check and the open illness (two queries).

    For rooms.day.load_room_day, so the tile can show "Midday check" / "Illness" buttons.
    """
    tiles: dict[int, TileHealth] = defaultdict(TileHealth)
    for check in session.exec(
        select(MiddayCheck).where(MiddayCheck.room_id == room_id, MiddayCheck.on_date == on).order_by(MiddayCheck.at)
    ).all():
        tiles[check.child_id].midday_check = check
    for illness in session.exec(
        select(Illness).where(
            Illness.room_id == room_id, Illness.on_date == on, col(Illness.outcome).is_(None),
            col(Illness.voided_at).is_(None),
        )
    ).all():
        tiles[illness.child_id].open_illness = illness
    return dict(tiles)
