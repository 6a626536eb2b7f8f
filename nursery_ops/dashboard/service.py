"""The director's dashboard: today's numbers and the WARN alerts.

Loaded in a fixed number of queries (enrolments with their children, rooms, the
waitlist count, and the admission checklist's three), then computed with the rules.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, select

from nursery_ops.children.models import Child
from nursery_ops.children.rules import AgeBand, age_band, completed_months
from nursery_ops.enrolment.models import CareType, Enrolment, EnrolmentStatus
from nursery_ops.enrolment.rules import admission_checklist, admission_needs_attention
from nursery_ops.enrolment.service import BandChangeAdvice, admission_facts_for, band_change_advice
from nursery_ops.policy import Decision, Policy
from nursery_ops.rooms.models import Room
from nursery_ops.rooms.rules import OCCUPANCY_BANDS, filed_capacity_check
from nursery_ops.rooms.service import holds_place_from


@dataclass
class RoomLoad:
    room: Room
    enrolled: int

    @property
    def full(self) -> bool:
        return self.enrolled >= self.room.capacity


@dataclass
class Alert:
    """One WARN line; `kind` names the rule, `child` links to the record when there is one."""

    kind: str
    child: Child | None = None
    advice: BandChangeAdvice | None = None
    decision: Decision | None = None
    missing: list = field(default_factory=list)
    on: date | None = None


@dataclass
class Dashboard:
    enrolled: int
    by_band: dict[AgeBand, int]
    by_care_type: dict[CareType, int]
    waitlist: int
    rooms: list[RoomLoad]
    alerts: list[Alert]


def director_dashboard(session: Session, today: date, policy: Policy) -> Dashboard:
    rows = session.exec(
        select(Enrolment, Child).join(Child, Child.id == Enrolment.child_id)
        .where(holds_place_from(today)).order_by(Child.full_name, Child.id)
    ).all()
    rooms = list(session.exec(select(Room).where(Room.active.is_(True)).order_by(Room.name)).all())
    rooms_by_id = {room.id: room for room in rooms}
    waiting = session.exec(
        select(func.count()).select_from(Enrolment).where(Enrolment.status == EnrolmentStatus.waitlisted)
    ).one()
    facts = admission_facts_for(session, {child.id for _, child in rows})

    end_dates: dict[int, list] = {}
    for enrolment, _ in rows:
        end_dates.setdefault(enrolment.room_id, []).append(enrolment.end_date)

    present = [(enrolment, child) for enrolment, child in rows if enrolment.start_date <= today]
    by_band: Counter = Counter(age_band(completed_months(child.birth_date, today), policy) for _, child in present)
    by_care_type: Counter = Counter(enrolment.care_type for enrolment, _ in present)
    per_room: Counter = Counter(enrolment.room_id for enrolment, _ in present)

    alerts: list[Alert] = []
    if warning := filed_capacity_check(len(present), policy):
        alerts.append(Alert("filed_capacity", decision=warning))
    for enrolment, child in present:
        room = rooms_by_id.get(enrolment.room_id)
        advice = band_change_advice(child, room, today, policy, rooms, end_dates)
        # A mixed room keeps a toddler who turns 24 months: nothing to do then.
        if advice is not None and not advice.stays:
            alerts.append(Alert("band_change", child=child, advice=advice, on=advice.change.on))
    for enrolment, child in rows:
        items = admission_checklist(child, enrolment, facts[child.id], today, policy)
        overdue = next((item for item in items if item.key == "vaccination" and item.warn), None)
        if overdue is not None:
            alerts.append(Alert("vaccination_overdue", child=child, on=overdue.params.get("date")))
        if admission_needs_attention(enrolment, items, today):
            alerts.append(Alert("admission_incomplete", child=child, on=enrolment.start_date,
                                missing=[item for item in items if not item.done]))

    return Dashboard(
        enrolled=len(present),
        by_band={band: by_band.get(band, 0) for band in OCCUPANCY_BANDS},
        by_care_type={care_type: by_care_type.get(care_type, 0) for care_type in CareType},
        waitlist=waiting,
        rooms=[RoomLoad(room, per_room.get(room.id, 0)) for room in rooms],
        alerts=alerts,
    )
