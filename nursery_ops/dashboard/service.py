"""The director's dashboard: today's numbers and every WARN alert, each linking to where it is dealt with.

A fixed number of statements whatever the rooms and children: enrolments with their
children, rooms, the waitlist count and the admission checklist's three; today in
every room (dashboard.today); then the other domains' set-based lists (unknown
absences, open incidents, exams due, growth flags, outbreaks, money). The rules
decide; this module only gathers and groups (dashboard.rules).
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import Session, select

from nursery_ops.attendance.rules import children_per_caregiver
from nursery_ops.attendance.service import unknown_without_call
from nursery_ops.children.models import Child
from nursery_ops.children.rules import AgeBand, age_band, completed_months
from nursery_ops.clock import local_date
from nursery_ops.dailylog.rules import outdoor_warning
from nursery_ops.dashboard.rules import AlertGroup, grouped
from nursery_ops.dashboard.today import rooms_today
from nursery_ops.enrolment.models import CareType, Enrolment, EnrolmentStatus
from nursery_ops.enrolment.rules import admission_checklist, admission_needs_attention
from nursery_ops.enrolment.service import BandChangeAdvice, admission_facts_for, band_change_advice
from nursery_ops.growth.service import enrolled_with_warnings
from nursery_ops.health.rules import DueKind
from nursery_ops.health.service import exams_due
from nursery_ops.illness.outbreaks import open_outbreaks
from nursery_ops.incidents.rules import NOT_SIGNED_OFF
from nursery_ops.incidents.service import open_incidents
from nursery_ops.committee.service import survey_overdue_warning
from nursery_ops.policy import Decision, Policy
from nursery_ops.refunds.service import late_refunds_warning, meal_account_warnings
from nursery_ops.rooms.day import RoomDay
from nursery_ops.rooms.models import Room
from nursery_ops.rooms.rules import OCCUPANCY_BANDS, filed_capacity_check
from nursery_ops.rooms.service import holds_place_from
from nursery_ops.staff.roster import duty_counts
from nursery_ops.staff.rules import health_staff_warning, roster_short, security_warning
from nursery_ops.staff.service import staffing


@dataclass
class RoomLoad:
    room: Room
    enrolled: int
    day: RoomDay  # today in the room, as its room view shows it

    @property
    def full(self) -> bool:
        return self.enrolled >= self.room.capacity


@dataclass
class Alert:
    """One WARN line; `kind` names the rule (dashboard.rules.ALERT_ORDER), `link` the page that resolves it.

    `items` are what an alert about several things lists (a room's children, overdue exams...).
    """

    kind: str
    child: Child | None = None
    advice: BandChangeAdvice | None = None
    decision: Decision | None = None
    missing: list = field(default_factory=list)
    on: date | None = None
    link: str | None = None
    room: Room | None = None
    day: RoomDay | None = None  # the room's day, for an alert about a room today
    items: list = field(default_factory=list)


@dataclass
class Dashboard:
    enrolled: int
    by_band: dict[AgeBand, int]
    by_care_type: dict[CareType, int]
    waitlist: int
    rooms: list[RoomLoad]
    alerts: list[Alert]  # most urgent first within each group
    now: datetime  # the moment the board was read (sleep timers count from it)

    @property
    def groups(self) -> list[tuple[AlertGroup, list[Alert]]]:
        return grouped(self.alerts)


def director_dashboard(session: Session, now: datetime, policy: Policy) -> Dashboard:
    today = local_date(now)
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

    days = rooms_today(session, rooms, rows, today, now, policy)
    alerts += room_alerts(session, days, today, policy, rooms_by_id)
    alerts += health_alerts(session, days, today, now, policy)
    alerts += staff_alerts(session, days, today, policy, len(present))
    alerts += money_alerts(session, today, policy)
    alerts += family_alerts(session, today, policy)

    return Dashboard(
        enrolled=len(present),
        by_band={band: by_band.get(band, 0) for band in OCCUPANCY_BANDS},
        by_care_type={care_type: by_care_type.get(care_type, 0) for care_type in CareType},
        waitlist=waiting,
        rooms=[RoomLoad(room, per_room.get(room.id, 0), day) for room, day in zip(rooms, days, strict=True)],
        alerts=[alert for _group, group_alerts in grouped(alerts) for alert in group_alerts],
        now=now,
    )


def room_alerts(session: Session, days: list[RoomDay], today: date, policy: Policy, rooms_by_id: dict) -> list[Alert]:
    """Today in the rooms: each alert names its room and links to the room view, where it is resolved."""
    alerts = []
    for day in days:
        link = f"/rooms/{day.room.id}"
        if sleepers := [child for child in day.children if child.sleep_overdue]:
            alerts.append(Alert("sleep_overdue", room=day.room, day=day, link=link, items=sleepers))
        if day.below_ratio:
            alerts.append(Alert("below_ratio", room=day.room, day=day, link=link))
        if missing := [child for child in day.children if child.reason_needed]:
            alerts.append(Alert("reason_needed", room=day.room, day=day, link=link, items=missing))
        # The day is not over before the warn-from time, and a room nobody came to had no outdoor time to take.
        if day.outdoor_warn and any(child.attendance for child in day.children):
            decision = outdoor_warning(day.outdoor_minutes, bool(day.outdoor_reason), policy)
            alerts.append(Alert("outdoor", room=day.room, day=day, link=f"{link}/outdoor", decision=decision))
    unknown: dict[int, list[Child]] = {}
    for absence, child in unknown_without_call(session, today):
        unknown.setdefault(absence.room_id, []).append(child)
    # An inactive room has no tablet to record the call on; the others in the rooms' order.
    for room in (room for room in rooms_by_id.values() if room.id in unknown):
        alerts.append(Alert("call_family", room=room, link=f"/rooms/{room.id}", items=unknown[room.id]))
    return alerts


def health_alerts(session: Session, days: list[RoomDay], today: date, now: datetime, policy: Policy) -> list[Alert]:
    """Outbreaks, midday checks, incidents to sign off, overdue exams and growth flags (the lists /health shows)."""
    alerts = []
    if outbreaks := open_outbreaks(session, now, policy):
        alerts.append(Alert("outbreak", link="/health/outbreaks", items=outbreaks))
    if midday := [(cd.child, day.room) for day in days for cd in day.children if cd.midday_due]:
        alerts.append(Alert("midday_missing", link="/health#midday", items=midday))
    for row in open_incidents(session):
        if NOT_SIGNED_OFF in row.missing:
            alerts.append(Alert("incident_sign_off", link=f"/incidents/{row.incident.id}", items=[row], on=row.incident.on_date))
    # The vaccination certificate is the admission checklist's (vaccination_overdue): not listed twice.
    if overdue := [item for item in exams_due(session, today, policy) if item.overdue and item.kind is not DueKind.vaccination]:
        alerts.append(Alert("exam_overdue", link="/health#exams-due", items=overdue))
    if growth := enrolled_with_warnings(session):
        alerts.append(Alert("growth", link="/health#growth-warnings", items=growth))
    return alerts


def staff_alerts(session: Session, days: list[RoomDay], today: date, policy: Policy, enrolled: int) -> list[Alert]:
    """The staff register and today's roster (DOMAIN.md "Staff"): certificates missing or expiring, the
    caregivers the expected children need, and the posts the rules require."""
    register = staffing(session, today, policy)
    duties = duty_counts(session, today)
    alerts = []
    if register.missing:
        alerts.append(Alert("certificate_missing", link="/staff", items=register.missing))
    for day in days:
        births = [child.child.birth_date for child in day.children if child.expected]
        per_caregiver = children_per_caregiver(births, day.room.room_type, today, policy)
        if (short := roster_short(len(births), per_caregiver, duties.by_room.get(day.room.id, 0))) is not None:
            alerts.append(Alert("roster_short", room=day.room, decision=short, link=f"/staff/roster#room-{day.room.id}"))
    expected = sum(1 for day in days for child in day.children if child.expected)
    if (security := security_warning(register.security, duties.guards, expected)) is not None:
        link = "/staff/roster#posts" if register.security else "/staff?job=security"
        alerts.append(Alert("security_short", decision=security, link=link))
    if (health := health_staff_warning(register.health_officers, enrolled, policy)) is not None:
        alerts.append(Alert("health_staff_short", decision=health, link="/staff?job=health"))
    if register.expiring:
        alerts.append(Alert("certificate_expiring", link="/staff", items=register.expiring))
    return alerts


def money_alerts(session: Session, today: date, policy: Policy) -> list[Alert]:
    alerts = []
    if (late := late_refunds_warning(session, today)) is not None:
        alerts.append(Alert("late_refunds", decision=late, link="/reports/money#refunds"))
    for meals in meal_account_warnings(session, today, policy):
        alerts.append(Alert("meal_account", decision=meals, link="/reports/meals"))
    return alerts


def family_alerts(session: Session, today: date, policy: Policy) -> list[Alert]:
    if (overdue := survey_overdue_warning(session, today, policy)) is not None:
        return [Alert("parent_contact", decision=overdue, link="/committee#activities")]
    return []
