"""Outbreak alerts (聚集性疫情): cases per room and symptom, alerts with their 24 h deadline, the report's record.

Cases are illnesses (this package) and sick absences (attendance). `detect_outbreaks`
runs in the transaction that wrote a case; it imports nothing from attendance's
service, so attendance may call it after recording a sick absence. The reads
(`open_outbreaks`, used by illness.service.health_day and /director) also show
signals nobody has recorded yet, with the same deadline, counted from when the
case that reached the threshold was recorded.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import literal, union_all
from sqlmodel import Session, col, select

from nursery_ops import audit
from nursery_ops.attendance.models import Absence, AbsenceReason
from nursery_ops.attendance.rules import fever_tenths
from nursery_ops.auth.service import CurrentPerson
from nursery_ops.children.models import Child
from nursery_ops.clock import local_date
from nursery_ops.forms import Refused
from nursery_ops.i18n import N_
from nursery_ops.illness.forms import RULE_LABELS, SYMPTOM_LABELS, ReportForm
from nursery_ops.illness.models import Illness, OutbreakAlert, Symptom
from nursery_ops.illness.rules import (
    OUTBREAK_WINDOW_DAYS,
    Case,
    Signal,
    covers,
    local_moment,
    outbreak_signals,
    report_deadline,
    symptoms_in_text,
)
from nursery_ops.policy import Policy, load_policy
from nursery_ops.rooms.models import Room


def outbreak_cases(
    session: Session, start: date, end: date, room_id: int | None = None, policy: Policy | None = None
) -> list[Case]:
    """Illnesses (not voided) and sick absences from `start` to `end` as cases per symptom (one query)."""
    fever_at = fever_tenths(policy or load_policy(session))
    illness_query = select(
        literal(True).label("is_illness"), Illness.room_id, Illness.child_id, Illness.on_date, Illness.symptoms,
        Illness.recorded_at,
    ).where(Illness.on_date >= start, Illness.on_date <= end, col(Illness.voided_at).is_(None))
    absence_query = select(
        literal(False).label("is_illness"), Absence.room_id, Absence.child_id, Absence.on_date, Absence.symptoms,
        Absence.recorded_at,
    ).where(Absence.on_date >= start, Absence.on_date <= end, Absence.reason == AbsenceReason.sick)
    if room_id is not None:
        illness_query = illness_query.where(Illness.room_id == room_id)
        absence_query = absence_query.where(Absence.room_id == room_id)
    cases = []
    for is_illness, case_room_id, child_id, on_date, symptoms, recorded_at in session.exec(
        union_all(illness_query, absence_query)
    ).all():
        # An illness holds symptom codes; an absence, what the family said (read for the symptoms it names).
        found = [Symptom(code) for code in symptoms.split()] if is_illness else symptoms_in_text(symptoms, fever_at)
        cases += [Case(case_room_id, child_id, on_date, symptom, recorded_at) for symptom in found]
    return cases


def _signals(cases: list[Case], days: list[date], policy: Policy) -> list[Signal]:
    return [signal for on in days for signal in outbreak_signals(cases, on, policy)]


def _record_signals(session: Session, signals: list[Signal], alerts: list[OutbreakAlert], actor_id: int | None) -> list[OutbreakAlert]:
    """New alerts for signals no alert covers; a covering alert takes in the newer cases."""
    changed = []
    for signal in signals:
        alert = next((a for a in alerts if covers(a.room_id, a.symptom, a.window_end, signal)), None)
        if alert is None:
            alert = OutbreakAlert(
                room_id=signal.room_id, symptom=signal.symptom, rule=signal.rule, window_start=signal.window_start,
                window_end=signal.window_end, case_count=len(signal.child_ids),
                child_ids=" ".join(str(child_id) for child_id in sorted(signal.child_ids)), detected_at=signal.detected_at,
            )
            session.add(alert)
            audit.record(session, actor_id, "outbreak_detected", alert, after=audit.snapshot(alert))
            alerts.append(alert)
            changed.append(alert)
            continue
        children = {int(child_id) for child_id in alert.child_ids.split()} | signal.child_ids
        if len(children) > alert.case_count or signal.window_end > alert.window_end:
            before = audit.snapshot(alert)
            alert.case_count = max(alert.case_count, len(children))
            alert.child_ids = " ".join(str(child_id) for child_id in sorted(children))[:1000]
            alert.window_end = max(alert.window_end, signal.window_end)
            session.add(alert)
            audit.record(session, actor_id, "outbreak_cases_added", alert, before=before, after=audit.snapshot(alert))
            changed.append(alert)
    return changed


def _recent_alerts(session: Session, since: date, room_id: int | None = None) -> list[OutbreakAlert]:
    query = select(OutbreakAlert).where(OutbreakAlert.window_end >= since)
    if room_id is not None:
        query = query.where(OutbreakAlert.room_id == room_id)
    return list(session.exec(query.order_by(OutbreakAlert.id)).all())


def detect_outbreaks(
    session: Session, room_id: int, on: date, actor_id: int | None, policy: Policy | None = None
) -> list[OutbreakAlert]:
    """Called in the transaction that wrote a case of `room_id` on day `on` (the caller commits).

    Attendance may call it after recording a sick absence, so absences raise the alert at once.
    """
    policy = policy or load_policy(session)
    window = OUTBREAK_WINDOW_DAYS - 1
    cases = outbreak_cases(session, on - timedelta(days=window), on, room_id, policy)
    signals = outbreak_signals(cases, on, policy)
    if not signals:
        return []
    return _record_signals(session, signals, _recent_alerts(session, on - timedelta(days=window), room_id), actor_id)


def _live_days(today: date) -> list[date]:
    return [today - timedelta(days=back) for back in range(OUTBREAK_WINDOW_DAYS - 1, -1, -1)]


def scan_outbreaks(session: Session, me: CurrentPerson, policy: Policy, now: datetime) -> list[OutbreakAlert]:
    """Record the signals of the last days that no alert holds yet (sick absences come in through attendance)."""
    today = local_date(now)
    days = _live_days(today)
    cases = outbreak_cases(session, days[0] - timedelta(days=OUTBREAK_WINDOW_DAYS - 1), today, policy=policy)
    changed = _record_signals(
        session, _signals(cases, days, policy), _recent_alerts(session, days[0] - timedelta(days=OUTBREAK_WINDOW_DAYS)), me.id
    )
    session.commit()
    return changed


@dataclass
class OutbreakItem:
    """An alert on /health and /director: recorded (`alert`) or found by the read and not yet recorded."""

    room: Room
    symptom: Symptom
    rule: str
    window_start: date
    window_end: date
    case_count: int
    detected_at: datetime
    alert: OutbreakAlert | None
    now: datetime

    @property
    def deadline(self) -> datetime:
        return report_deadline(self.detected_at)

    @property
    def overdue(self) -> bool:
        return self.now > self.deadline

    @property
    def symptom_label(self) -> str:
        return SYMPTOM_LABELS[self.symptom]

    @property
    def rule_label(self) -> str:
        return RULE_LABELS[self.rule]

    @property
    def hours_left(self) -> int:
        return max(0, int((self.deadline - self.now).total_seconds() // 3600))


def rooms_with_open_alerts(session: Session, today: date) -> tuple[list[Room], list[OutbreakAlert]]:
    """Every room, active or not, by name, and the alerts `open_outbreaks` weighs: one statement.

    The alerts are the unreported ones and the recent ones (a reported alert still covers the signals of
    its window, so they are not shown again). Rooms are few; outer-joining them to their alerts gives the
    names for the alerts and the signals without a query of their own.
    """
    kept = col(OutbreakAlert.reported_at).is_(None) | (OutbreakAlert.window_end >= today - timedelta(days=OUTBREAK_WINDOW_DAYS))
    rooms: dict[int, Room] = {}
    alerts: list[OutbreakAlert] = []
    for room, alert in session.exec(
        select(Room, OutbreakAlert)
        .outerjoin(OutbreakAlert, (OutbreakAlert.room_id == Room.id) & kept)
        .order_by(Room.name, Room.id)
    ).all():
        rooms.setdefault(room.id, room)
        if alert is not None:
            alerts.append(alert)
    alerts.sort(key=lambda alert: (alert.detected_at, alert.id))
    return list(rooms.values()), alerts


def _outbreak_items(
    cases: list[Case], rooms: list[Room], alerts: list[OutbreakAlert], policy: Policy, now: datetime
) -> list[OutbreakItem]:
    """Unreported alerts plus signals of the last three days that no alert covers."""
    today = local_date(now)
    rooms_by_id = {room.id: room for room in rooms}
    items = [
        OutbreakItem(rooms_by_id[alert.room_id], alert.symptom, alert.rule, alert.window_start, alert.window_end,
                     alert.case_count, alert.detected_at, alert, now)
        for alert in alerts
        if alert.reported_at is None
    ]
    pending: list[Signal] = []
    for signal in _signals(cases, _live_days(today), policy):
        if any(covers(alert.room_id, alert.symptom, alert.window_end, signal) for alert in alerts):
            continue
        if any(covers(other.room_id, other.symptom, other.window_end, signal) for other in pending):
            continue
        pending.append(signal)
    items += [
        OutbreakItem(rooms_by_id[signal.room_id], signal.symptom, signal.rule, signal.window_start, signal.window_end,
                     len(signal.child_ids), signal.detected_at, None, now)
        for signal in pending
    ]
    return sorted(items, key=lambda item: item.deadline)


def open_outbreaks(
    session: Session,
    now: datetime,
    policy: Policy | None = None,
    rooms_and_alerts: tuple[list[Room], list[OutbreakAlert]] | None = None,
) -> list[OutbreakItem]:
    """Alerts not yet reported, soonest deadline first (for /health and /director): two statements.

    `rooms_and_alerts`: `rooms_with_open_alerts` of today when the caller has read it already (one less).
    """
    policy = policy or load_policy(session)
    today = local_date(now)
    cases = outbreak_cases(session, today - timedelta(days=2 * (OUTBREAK_WINDOW_DAYS - 1)), today, policy=policy)
    rooms, alerts = rooms_and_alerts if rooms_and_alerts is not None else rooms_with_open_alerts(session, today)
    return _outbreak_items(cases, rooms, alerts, policy, now)


def outbreak_alert(session: Session, alert_id: int) -> tuple[OutbreakAlert, Room, list[Child]] | None:
    row = session.exec(
        select(OutbreakAlert, Room).join(Room, Room.id == OutbreakAlert.room_id).where(OutbreakAlert.id == alert_id)
    ).first()
    if row is None:
        return None
    alert, room = row
    ids = [int(child_id) for child_id in alert.child_ids.split()]
    children = list(session.exec(select(Child).where(col(Child.id).in_(ids)).order_by(Child.full_name)).all())
    return alert, room, children


def reported_outbreaks(session: Session, limit: int = 20) -> list[tuple[OutbreakAlert, Room]]:
    return [
        (alert, room)
        for alert, room in session.exec(
            select(OutbreakAlert, Room).join(Room, Room.id == OutbreakAlert.room_id)
            .where(col(OutbreakAlert.reported_at).is_not(None))
            .order_by(col(OutbreakAlert.reported_at).desc()).limit(limit)
        ).all()
    ]


def record_report(session: Session, me: CurrentPerson, alert: OutbreakAlert, data: ReportForm, now: datetime) -> OutbreakAlert:
    """The report to 疾控 / 卫生健康部门: to whom, when, the reference, by whom."""
    if alert.reported_at is not None:
        raise Refused({"__all__": N_("This alert's report is already recorded.")})
    at = local_moment(data.reported_on, data.time, now)
    if at > now + timedelta(minutes=1):
        raise Refused({"time": N_("This time is in the future.")})
    if at < alert.detected_at.replace(second=0, microsecond=0):
        raise Refused({"time": N_("The report cannot be before the detection.")})
    before = audit.snapshot(alert)
    alert.reported_at, alert.reported_to, alert.reported_by_id = at, data.reported_to, me.id
    alert.report_reference, alert.report_note = data.report_reference, data.report_note
    session.add(alert)
    audit.record(session, me.id, "outbreak_reported", alert, before=before, after=audit.snapshot(alert))
    session.commit()
    return alert
