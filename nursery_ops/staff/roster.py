"""The duty roster (排班): who is on duty each day, caregivers in their rooms and the other posts.

The director plans it ahead (`/staff/roster?on=…`); the rules refuse a deactivated or barred
person and anyone whose certificates are missing or expired on the day (staff.rules.roster_refusals).
Each room's plan is set against the children expected that day and the ratio they need, and the
dashboard warns when today's roster is short of caregivers or of a security guard.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, time, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session, col, select

from nursery_ops import audit
from nursery_ops.attendance.models import TemporaryBooking
from nursery_ops.attendance.rules import children_per_caregiver, is_expected, missing_certificates, required_caregivers
from nursery_ops.attendance.service import valid_certificate_kinds
from nursery_ops.auth.access import DbSession, Director
from nursery_ops.auth.models import Person, PersonRole, Role
from nursery_ops.auth.service import CurrentPerson
from nursery_ops.children.models import Child
from nursery_ops.clock import local_today, utcnow
from nursery_ops.contracts.calendar import load_calendar
from nursery_ops.enrolment.models import Enrolment, EnrolmentStatus
from nursery_ops.errors import NotFound
from nursery_ops.forms import FormModel, ReasonForm, Refused, on_calendar, parse_form
from nursery_ops.i18n import N_
from nursery_ops.policy import Decision, Mode, Policy, load_policy
from nursery_ops.rooms.models import Room, RoomCaregiver
from nursery_ops.rooms.service import holds_place_on
from nursery_ops.staff import service as staff_service
from nursery_ops.staff.models import Job, RosterEntry, StaffProfile
from nursery_ops.staff.rules import (
    JOB_LABELS,
    RosterCandidate,
    job_for,
    roster_refusals,
    roster_short,
    security_warning,
)
from nursery_ops.templating import render

router = APIRouter()


class RosterForm(FormModel):
    on: date
    person_id: int
    room_id: int | None = None
    starts_at: time
    ends_at: time


class CopyForm(FormModel):
    on: date
    from_on: date


# ---------------------------------------------------------------- reading the roster


@dataclass(frozen=True)
class Duty:
    entry: RosterEntry
    name: str
    job: Job


@dataclass
class RoomPlan:
    room: Room
    expected: int
    per_caregiver: int
    duties: list[Duty] = field(default_factory=list)

    @property
    def rostered(self) -> int:
        return len({duty.entry.person_id for duty in self.duties})

    @property
    def needed(self) -> int:
        return required_caregivers(self.expected, self.per_caregiver)

    @property
    def short(self) -> Decision | None:
        return roster_short(self.expected, self.per_caregiver, self.rostered)


@dataclass
class RosterDay:
    on: date
    closed: bool
    rooms: list[RoomPlan]
    posts: list[Duty]  # duties outside the rooms: health, security, kitchen...
    voided: list[Duty]
    security: Decision | None

    @property
    def short_rooms(self) -> list[RoomPlan]:
        return [plan for plan in self.rooms if plan.short is not None]


def _job(profile: StaffProfile | None, roles: set[Role]) -> Job:
    return profile.job if profile is not None else job_for(roles)


def roster_day(session: Session, on: date, policy: Policy) -> RosterDay:
    """One day's roster against the rooms' expected children, in seven statements whatever the staff and children."""
    rooms = list(session.exec(select(Room).where(Room.active.is_(True)).order_by(Room.name)).all())
    rows = session.exec(
        select(RosterEntry, Person, StaffProfile)
        .join(Person, Person.id == RosterEntry.person_id)
        .outerjoin(StaffProfile, StaffProfile.person_id == Person.id)
        .where(RosterEntry.on_date == on)
        .order_by(RosterEntry.starts_at, Person.full_name, RosterEntry.id)
    ).all()
    roles: dict[int, set[Role]] = {}
    for person_id, role in session.exec(
        select(PersonRole.person_id, PersonRole.role).where(
            col(PersonRole.person_id).in_(select(RosterEntry.person_id).where(RosterEntry.on_date == on))
        )
    ).all():
        roles.setdefault(person_id, set()).add(role)
    closed = on in load_calendar(session, on, on).closed
    expected = _expected_birth_dates(session, on) if not closed else {}

    plans = {room.id: RoomPlan(room, len(expected.get(room.id, [])), children_per_caregiver(
        expected.get(room.id, []), room.room_type, on, policy)) for room in rooms}
    posts, voided = [], []
    for entry, person, profile in rows:
        duty = Duty(entry, person.full_name, _job(profile, roles.get(person.id, set())))
        if entry.voided_at is not None:
            voided.append(duty)
        elif entry.room_id in plans:
            plans[entry.room_id].duties.append(duty)
        else:
            posts.append(duty)
    registered = session.exec(
        select(StaffProfile.person_id).join(Person, Person.id == StaffProfile.person_id).where(
            StaffProfile.job == Job.security, col(StaffProfile.barred_at).is_(None), Person.active.is_(True)
        )
    ).all()
    guards = {duty.entry.person_id for duty in posts if duty.job is Job.security}
    security = security_warning(len(registered), len(guards), sum(len(births) for births in expected.values()))
    return RosterDay(on, closed, [plans[room.id] for room in rooms], posts, voided, security)


def _expected_birth_dates(session: Session, on: date) -> dict[int, list[date]]:
    """The birth dates of the children each room expects on a day (the ratio goes by the youngest)."""
    booked = set(session.exec(
        select(TemporaryBooking.enrolment_id).where(
            TemporaryBooking.on_date == on, col(TemporaryBooking.cancelled_at).is_(None)
        )
    ).all())
    expected: dict[int, list[date]] = {}
    for enrolment, birth_date in session.exec(
        select(Enrolment, Child.birth_date).join(Child, Child.id == Enrolment.child_id)
        .where(Enrolment.status == EnrolmentStatus.enrolled, holds_place_on(on))
    ).all():
        if is_expected(enrolment.status, enrolment.care_type, enrolment.schedule_days, enrolment.start_date,
                       enrolment.end_date, on, enrolment.id in booked):
            expected.setdefault(enrolment.room_id, []).append(birth_date)
    return expected


@dataclass(frozen=True)
class DutyCounts:
    """How many are on a day's roster: security guards, and people in each room (the dashboard's check)."""

    guards: int
    by_room: dict[int, int]


def duty_counts(session: Session, on: date) -> DutyCounts:
    """One statement: the day's duties that stand, with the post of each person on them."""
    rows = session.exec(
        select(RosterEntry.person_id, RosterEntry.room_id, StaffProfile.job)
        .join(Person, Person.id == RosterEntry.person_id)
        .outerjoin(StaffProfile, StaffProfile.person_id == RosterEntry.person_id)
        .where(RosterEntry.on_date == on, col(RosterEntry.voided_at).is_(None), Person.active.is_(True))
    ).all()
    return duty_counts_of(rows)


def duty_counts_of(rows: Iterable[tuple[int, int | None, Job | None]]) -> DutyCounts:
    """The counts from the day's duties that stand, as (person id, room id or None, post) of active people."""
    rows = list(rows)
    guards = {person_id for person_id, _room_id, job in rows if job is Job.security}
    in_rooms: dict[int, set[int]] = {}
    for person_id, room_id, _job in rows:
        if room_id is not None:
            in_rooms.setdefault(room_id, set()).add(person_id)
    return DutyCounts(len(guards), {room_id: len(people) for room_id, people in in_rooms.items()})


def rosterable_people(session: Session) -> list[tuple[int, str]]:
    """The people the form offers: active, never barred, on the staff register (name and post)."""
    return [
        (found.person.id, found.person.full_name)
        for found in staff_service.staff_accounts(session)
        if found.person.active and not found.barred
    ]


# ---------------------------------------------------------------- changing it


def _candidate(session: Session, person_id: int, on: date) -> RosterCandidate:
    found = staff_service.account(session, person_id)
    if not found.is_staff:
        raise NotFound()
    rooms = frozenset(session.exec(select(RoomCaregiver.room_id).where(RoomCaregiver.person_id == person_id)).all())
    return RosterCandidate(
        name=found.person.full_name,
        job=found.job,
        active=found.person.active,
        barred=found.barred,
        certificates_missing=bool(missing_certificates(valid_certificate_kinds(session, person_id, on))),
        assigned_rooms=rooms,
    )


def _overlaps(session: Session, person_id: int, on: date, starts_at: time, ends_at: time) -> bool:
    return session.exec(
        select(RosterEntry.id).where(
            RosterEntry.person_id == person_id, RosterEntry.on_date == on, col(RosterEntry.voided_at).is_(None),
            RosterEntry.starts_at < ends_at, RosterEntry.ends_at > starts_at,
        )
    ).first() is not None


def _refusals(session: Session, data: RosterForm, today: date) -> dict[str, Decision]:
    try:
        candidate = _candidate(session, data.person_id, data.on)
    except NotFound:
        return {"person_id": Decision(Mode.block, N_("Choose a person on the staff register."))}
    room = session.get(Room, data.room_id) if data.room_id is not None else None
    if data.room_id is not None and room is None:
        return {"room_id": Decision(Mode.block, N_("Choose one of the rooms."))}
    return roster_refusals(
        candidate, data.on, today, data.room_id, room is not None and room.active, data.starts_at, data.ends_at,
        _overlaps(session, data.person_id, data.on, data.starts_at, data.ends_at),
    )


def add_duty(session: Session, me: CurrentPerson, data: RosterForm, today: date) -> RosterEntry:
    """Put a person on the roster; `Refused` (field → refusal) when the rules say no, and nothing is saved."""
    if refusals := _refusals(session, data, today):
        raise Refused(refusals)
    entry = RosterEntry(on_date=data.on, person_id=data.person_id, room_id=data.room_id,
                        starts_at=data.starts_at, ends_at=data.ends_at, recorded_by_id=me.id)
    session.add(entry)
    audit.record(session, me.id, "roster_entry_added", entry, after=audit.snapshot(entry))
    session.commit()
    return entry


def void_duty(session: Session, me: CurrentPerson, entry: RosterEntry, reason: str, today: date) -> None:
    if entry.on_date < today:
        raise Refused({"__all__": Decision(Mode.block, N_("The roster of a day gone by stays as it was."))})
    if entry.voided_at is None:
        audit.void(session, me.id, entry, "roster_entry_voided", reason, utcnow())
        session.commit()


@dataclass(frozen=True)
class Skipped:
    name: str
    refusals: dict[str, Decision]


def copy_day(session: Session, me: CurrentPerson, on: date, from_on: date, today: date) -> tuple[int, list[Skipped]]:
    """Copy a day's duties (e.g. the same weekday last week) to another day; each one the rules allow.

    Returns how many were copied and who was not, with the rules' reasons (a certificate expired since...).
    """
    if on < today:
        raise Refused({"on": Decision(Mode.block, N_("The roster of a day gone by stays as it was."))})
    if on == from_on:
        raise Refused({"from_on": Decision(Mode.block, N_("Choose another day to copy from."))})
    copied, skipped = 0, []
    sources = session.exec(
        select(RosterEntry, Person.full_name).join(Person, Person.id == RosterEntry.person_id)
        .where(RosterEntry.on_date == from_on, col(RosterEntry.voided_at).is_(None))
        .order_by(RosterEntry.starts_at, RosterEntry.id)
    ).all()
    for source, name in sources:
        data = RosterForm(on=on, person_id=source.person_id, room_id=source.room_id,
                          starts_at=source.starts_at, ends_at=source.ends_at)
        if refusals := _refusals(session, data, today):
            skipped.append(Skipped(name, refusals))
            continue
        entry = RosterEntry(on_date=on, person_id=source.person_id, room_id=source.room_id,
                            starts_at=source.starts_at, ends_at=source.ends_at, recorded_by_id=me.id)
        session.add(entry)
        session.flush()  # the next duty's overlap check sees this one
        audit.record(session, me.id, "roster_entry_added", entry, after=audit.snapshot(entry))
        copied += 1
    session.commit()
    return copied, skipped


# ---------------------------------------------------------------- routes


def _page(request: Request, session: Session, on: date, *, form: dict | None = None, errors: dict | None = None,
          copy_result: tuple[int, list[Skipped]] | None = None, status_code: int = 200):
    policy = load_policy(session)
    day = roster_day(session, on, policy)
    rooms = [(plan.room.id, plan.room.name) for plan in day.rooms]
    context = {
        "day": day, "today": local_today(),
        "previous": on - timedelta(days=1), "next": on + timedelta(days=1),
        "people": rosterable_people(session), "room_choices": rooms,
        "job_labels": JOB_LABELS, "copy_result": copy_result,
        "form": form or {"on": on.isoformat(), "starts_at": policy.full_day_start.strftime("%H:%M"),
                         "ends_at": policy.full_day_end.strftime("%H:%M"),
                         "from_on": (on - timedelta(days=7)).isoformat()},
        "errors": errors or {},
    }
    return render(request, "staff/roster.html", context, status_code=status_code)


def _day(raw: str | None) -> date | None:
    """The day a link or a form names; None if it names none the page can show (with the days around it)."""
    try:
        day = date.fromisoformat(raw) if raw else local_today()
    except ValueError:
        return None
    return day if on_calendar(day) else None


@router.get("/staff/roster")
def roster_page(request: Request, session: DbSession, me: Director, on: str | None = None):
    day = _day(on)
    if day is None:
        return _page(request, session, local_today(), errors={"on": N_("Enter a date as YYYY-MM-DD.")}, status_code=400)
    return _page(request, session, day)


@router.post("/staff/roster")
async def add(request: Request, session: DbSession, me: Director):
    form = await request.form()
    shown = {key: form.get(key) for key in form}
    data, errors = parse_form(RosterForm, form)
    if data is None:
        return _page(request, session, _day(str(form.get("on", ""))) or local_today(), form=shown, errors=errors,
                     status_code=400)
    try:
        add_duty(session, me, data, local_today())
    except Refused as refused:
        return _page(request, session, data.on, form=shown, errors=refused.errors, status_code=400)
    return RedirectResponse(f"/staff/roster?on={data.on.isoformat()}", status_code=303)


@router.post("/staff/roster/copy")
async def copy(request: Request, session: DbSession, me: Director):
    form = await request.form()
    shown = {key: form.get(key) for key in form}
    data, errors = parse_form(CopyForm, form)
    on = data.on if data else _day(str(form.get("on", ""))) or local_today()
    if data is None:
        return _page(request, session, on, form=shown, errors=errors, status_code=400)
    try:
        copied, skipped = copy_day(session, me, data.on, data.from_on, local_today())
    except Refused as refused:
        return _page(request, session, on, form=shown, errors=refused.errors, status_code=400)
    if not skipped:
        return RedirectResponse(f"/staff/roster?on={data.on.isoformat()}", status_code=303)
    return _page(request, session, data.on, copy_result=(copied, skipped))


@router.post("/staff/roster/{entry_id}/void")
async def void(request: Request, session: DbSession, me: Director, entry_id: int):
    entry = session.get(RosterEntry, entry_id)
    if entry is None:
        raise NotFound()
    data, errors = parse_form(ReasonForm, await request.form())
    if data is None:
        return _page(request, session, entry.on_date, errors={"reason": errors.get("reason"), "void_id": entry_id},
                     status_code=400)
    try:
        void_duty(session, me, entry, data.reason, local_today())
    except Refused as refused:
        return _page(request, session, entry.on_date, errors={**refused.errors, "void_id": entry_id}, status_code=400)
    return RedirectResponse(f"/staff/roster?on={entry.on_date.isoformat()}", status_code=303)
