"""The director's dashboard: today's numbers and every WARN alert, each linking to where it is dealt with.

Nine statements besides the sign-in, whatever the rooms, children, staff and history:
the places held with everything the board weighs per child (places_held), the rooms
with their open outbreak alerts, the single numbers with the money (board_numbers),
today in every room (dashboard.today: the children in, the shifts with the roster,
outdoor time), the outbreak cases, the open incidents and the staff register. The
rules decide (the other domains' pure rules); this module only gathers and groups
(dashboard.rules).
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from fractions import Fraction
from functools import cache
from typing import NamedTuple

from sqlalchemy import String, case, cast, func, literal
from sqlmodel import Session, col, select

from nursery_ops.attendance.rules import children_per_caregiver
from nursery_ops.attendance.models import Absence, AbsenceReason
from nursery_ops.attendance.service import booking_exists_on
from nursery_ops.billing.models import Bill, BillLine, LineKind, MealSpending, Refund, RefundKind
from nursery_ops.children.models import Child, ChildGuardian, TrustedAdult
from nursery_ops.children.rules import AgeBand, age_band, completed_months
from nursery_ops.clock import local_date
from nursery_ops.dailylog.rules import outdoor_warning
from nursery_ops.dashboard.rules import AlertGroup, grouped
from nursery_ops.dashboard.today import TODAY, StaffToday, absences_of, children_today, rooms_today, staff_today
from nursery_ops.enrolment.models import CareType, Enrolment, EnrolmentStatus
from nursery_ops.enrolment.rules import AdmissionFacts, admission_checklist, admission_needs_attention
from nursery_ops.enrolment.service import BandChangeAdvice, band_change_advice
from nursery_ops.growth.models import Measurement
from nursery_ops.growth.service import latest_measurement_id, with_warnings
from nursery_ops.health.rules import DueKind
from nursery_ops.health.models import ExamKind, HealthExam, HearingResult
from nursery_ops.health.service import EnrolledChild, exams_due_of
from nursery_ops.illness.models import OutbreakAlert
from nursery_ops.illness.outbreaks import open_outbreaks, rooms_with_open_alerts
from nursery_ops.incidents.rules import NOT_SIGNED_OFF
from nursery_ops.incidents.service import open_incidents
from nursery_ops.committee.models import ActivityKind
from nursery_ops.committee.rules import parent_contact_warning
from nursery_ops.committee.service import last_held_on
from nursery_ops.policy import Decision, Mode, Policy
from nursery_ops.refunds.service import (
    LATE_REFUNDS, MEAL_ACCOUNT_OFF, MealAccount, MealMonth, off_percent, percent_text, previous_semester,
    semester_months, semester_of,
)
from nursery_ops.rooms.day import RoomDay
from nursery_ops.rooms.models import Room
from nursery_ops.rooms.rules import OCCUPANCY_BANDS, filed_capacity_check
from nursery_ops.rooms.service import holds_place_from
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


@dataclass(frozen=True)
class BoardNumbers:
    """The single numbers the board shows or weighs (board_numbers)."""

    waitlist: int
    last_activity: date | None  # committee.rules.parent_contact_warning
    last_survey: date | None
    late_refunds: int  # refunds not paid nor voided after their due date
    meal_accounts: list[MealAccount]  # the semester that ended last and the running one, as totals


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
    held = places_held(session, today)
    rows = held.rows
    # Every room, inactive ones too (old alerts' names), with the outbreak alerts still open: one statement.
    rooms_and_alerts = rooms_with_open_alerts(session, today)
    every_room = rooms_and_alerts[0]
    rooms = [room for room in every_room if room.active]
    rooms_by_id = {room.id: room for room in rooms}
    numbers = board_numbers(session, today)

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
        items = admission_checklist(child, enrolment, held.facts[child.id], today, policy)
        overdue = next((item for item in items if item.key == "vaccination" and item.warn), None)
        if overdue is not None:
            alerts.append(Alert("vaccination_overdue", child=child, on=overdue.params.get("date")))
        if admission_needs_attention(enrolment, items, today):
            alerts.append(Alert("admission_incomplete", child=child, on=enrolment.start_date,
                                missing=[item for item in items if not item.done]))

    children = children_today(session, today)
    staff = staff_today(session, today)
    days = rooms_today(session, rooms, rows, today, now, policy, children=children, staff=staff, booked=held.booked)
    absences = absences_of(children)
    alerts += room_alerts(days, absences, policy, rooms_by_id)
    alerts += health_alerts(session, days, rows, rooms_and_alerts, held.exams, held.latest_measurements, today, now, policy)
    alerts += staff_alerts(session, days, staff, today, policy, len(present))
    alerts += money_alerts(numbers, policy)
    alerts += family_alerts(numbers.last_activity, numbers.last_survey, today, policy)

    return Dashboard(
        enrolled=len(present),
        by_band={band: by_band.get(band, 0) for band in OCCUPANCY_BANDS},
        by_care_type={care_type: by_care_type.get(care_type, 0) for care_type in CareType},
        waitlist=numbers.waitlist,
        rooms=[RoomLoad(room, per_room.get(room.id, 0), day) for room, day in zip(rooms, days, strict=True)],
        alerts=[alert for _group, group_alerts in grouped(alerts) for alert in group_alerts],
        now=now,
    )


def room_alerts(
    days: list[RoomDay], absences: list[tuple[Absence, Child]], policy: Policy, rooms_by_id: dict
) -> list[Alert]:
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
    # attendance.service.unknown_without_call's rule, on the absences already read: "unknown" and no call yet.
    for absence, child in absences:
        if absence.reason == AbsenceReason.unknown and absence.family_called_at is None:
            unknown.setdefault(absence.room_id, []).append(child)
    # An inactive room has no tablet to record the call on; the others in the rooms' order.
    for room in (room for room in rooms_by_id.values() if room.id in unknown):
        alerts.append(Alert("call_family", room=room, link=f"/rooms/{room.id}", items=unknown[room.id]))
    return alerts


def health_alerts(
    session: Session, days: list[RoomDay], rows: list[tuple[Enrolment, Child]],
    rooms_and_alerts: tuple[list[Room], list[OutbreakAlert]], exams: dict[int, list[HealthExam]],
    latest_measurements: dict[int, Measurement | None], today: date, now: datetime, policy: Policy,
) -> list[Alert]:
    """Outbreaks, midday checks, incidents to sign off, overdue exams and growth flags (the lists /health shows)."""
    alerts = []
    if outbreaks := open_outbreaks(session, now, policy, rooms_and_alerts):
        alerts.append(Alert("outbreak", link="/health/outbreaks", items=outbreaks))
    if midday := [(cd.child, day.room) for day in days for cd in day.children if cd.midday_due]:
        alerts.append(Alert("midday_missing", link="/health#midday", items=midday))
    for row in open_incidents(session):
        if NOT_SIGNED_OFF in row.missing:
            alerts.append(Alert("incident_sign_off", link=f"/incidents/{row.incident.id}", items=[row], on=row.incident.on_date))
    # The vaccination certificate is the admission checklist's (vaccination_overdue): not listed twice.
    rooms_by_id = {room.id: room for room in rooms_and_alerts[0]}
    enrolled = [(enrolment, child) for enrolment, child in rows if enrolment.status is EnrolmentStatus.enrolled]
    entries = [EnrolledChild(child, enrolment, rooms_by_id.get(enrolment.room_id), exams[child.id]) for enrolment, child in enrolled]
    if overdue := [item for item in exams_due_of(entries, today, policy) if item.overdue and item.kind is not DueKind.vaccination]:
        alerts.append(Alert("exam_overdue", link="/health#exams-due", items=overdue))
    if growth := with_warnings((latest_measurements[child.id], child) for _enrolment, child in enrolled):
        alerts.append(Alert("growth", link="/health#growth-warnings", items=growth))
    return alerts


def staff_alerts(
    session: Session, days: list[RoomDay], staff: StaffToday, today: date, policy: Policy, enrolled: int
) -> list[Alert]:
    """The staff register and today's roster (DOMAIN.md "Staff"): certificates missing or expiring, the
    caregivers the expected children need, and the posts the rules require."""
    register = staffing(session, today, policy)
    duties = staff.roster
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


def money_alerts(numbers: BoardNumbers, policy: Policy) -> list[Alert]:
    """Refunds past their due date and meal accounts off their income (refunds.service's warnings, from the
    board's single numbers)."""
    alerts = []
    if numbers.late_refunds:
        late = Decision(Mode.warn, LATE_REFUNDS, {"count": numbers.late_refunds})
        alerts.append(Alert("late_refunds", decision=late, link="/reports/money#refunds"))
    limit = Fraction(str(policy.meal_account_tolerance_percent))
    for account in numbers.meal_accounts:
        percent = off_percent(account)
        if percent is not None and percent > limit:
            meals = Decision(Mode.warn, MEAL_ACCOUNT_OFF, {
                "semester": account.semester, "percent": percent_text(percent),
                "limit": f"{policy.meal_account_tolerance_percent}%"})
            alerts.append(Alert("meal_account", decision=meals, link="/reports/meals"))
    return alerts


def family_alerts(last_activity: date | None, last_survey: date | None, today: date, policy: Policy) -> list[Alert]:
    if (overdue := parent_contact_warning(last_activity, last_survey, today, policy.survey_interval_months)) is not None:
        return [Alert("parent_contact", decision=overdue, link="/committee#activities")]
    return []


# ---------------------------------------------------------------- the board's own reads


@dataclass
class PlacesHeld:
    """The places held from today on, with what the board weighs about each child (places_held)."""

    rows: list[tuple[Enrolment, Child]]  # by the child's name
    booked: set[int]  # enrolments with a temporary booking today (the room tiles' expected children)
    latest_measurements: dict[int, Measurement | None]  # by child (the growth flags)
    exams: dict[int, list["_Exam"]]  # by child, not voided, oldest first (exams due, the entry exam)
    facts: dict[int, AdmissionFacts]  # by child (the admission checklist)


def places_held(session: Session, today: date) -> PlacesHeld:
    """The places held from today on with their children, by name: one statement.

    With each, whether it has a temporary booking today and the child's latest measurement, outer-joined;
    what the exam schedule reads of the child's exams not voided, outer-joined (a row per exam, a few a
    year per child, as health.service.enrolled_children reads them); and what the admission checklist
    reads of the child's active guardians and trusted adults, aggregated per child (guardian_facts).
    """
    found = session.exec(_places_held_statement(), params={"today": today}).all()
    held = PlacesHeld([], set(), {}, {}, {})
    enrolment_ids: set[int] = set()
    exam_ids: set[int] = set()
    for enrolment, child, is_booked, measurement, child_links, child_adults, *exam_columns in found:
        if enrolment.id not in enrolment_ids:
            enrolment_ids.add(enrolment.id)
            held.rows.append((enrolment, child))
            if is_booked:
                held.booked.add(enrolment.id)
        if child.id not in held.exams:
            held.latest_measurements[child.id] = measurement
            held.exams[child.id] = []
            held.facts[child.id] = AdmissionFacts(*_contacts_of(child_links, child_adults))
        exam = _Exam(*exam_columns)
        if exam.id is not None and exam.id not in exam_ids:
            exam_ids.add(exam.id)
            held.exams[child.id].append(exam)
            if exam.kind == ExamKind.entry:
                held.facts[child.id].entry_exams.append(exam)
    return held


@cache
def _places_held_statement():
    """places_held's statement for `today`, built once (a request only binds the day)."""
    links, adults = guardian_facts()
    return (
        select(Enrolment, Child, booking_exists_on(TODAY), Measurement, links, adults, *_Exam.columns())
        .join(Child, Child.id == Enrolment.child_id)
        .outerjoin(Measurement, Measurement.id == latest_measurement_id(Child.id))
        .outerjoin(HealthExam, (HealthExam.child_id == Child.id) & col(HealthExam.voided_at).is_(None))
        .where(holds_place_from(TODAY))
        .order_by(Child.full_name, Child.id, Enrolment.id, HealthExam.exam_date, HealthExam.id)
    )


def guardian_facts():
    """Per child (correlated to Child), its active guardian links as "guardian id + may pick up" and its
    active trusted adults as "emergency contact + may pick up", aggregated into two strings: the only
    things enrolment.rules.admission_checklist reads of them (who consented, how many, who may pick up)."""
    def flag(column) -> object:
        return case((column, "+"), else_="-")

    links = (
        select(func.aggregate_strings(cast(ChildGuardian.guardian_id, String) + flag(ChildGuardian.may_pick_up), ","))
        .where(ChildGuardian.child_id == Child.id, col(ChildGuardian.active).is_(True))
        .correlate(Child)
        .scalar_subquery()
    )
    adults = (
        select(func.aggregate_strings(flag(TrustedAdult.emergency_contact) + flag(TrustedAdult.may_pick_up), ","))
        .where(TrustedAdult.child_id == Child.id, col(TrustedAdult.active).is_(True))
        .correlate(Child)
        .scalar_subquery()
    )
    return links, adults


class _Exam(NamedTuple):
    """The part of a HealthExam row the exam schedule and the entry-exam check read (health.service.last_exams_of,
    enrolment.rules.valid_entry_exam): read as columns, as a table row costs far more to make."""

    id: int | None
    kind: ExamKind | None
    exam_date: date | None
    passed: bool | None
    haemoglobin_g_l: int | None
    hearing: HearingResult | None
    voided_at: datetime | None  # not voided: places_held reads no other

    @staticmethod
    def columns() -> tuple:
        return (HealthExam.id, HealthExam.kind, HealthExam.exam_date, HealthExam.passed, HealthExam.haemoglobin_g_l,
                HealthExam.hearing, HealthExam.voided_at)


class _GuardianLink(NamedTuple):
    """The part of a ChildGuardian row the admission checklist reads (a table row costs far more to make)."""

    guardian_id: int
    may_pick_up: bool
    active: bool = True


class _TrustedAdult(NamedTuple):
    """The part of a TrustedAdult row the admission checklist reads."""

    emergency_contact: bool
    may_pick_up: bool
    active: bool = True


def _contacts_of(links: str | None, adults: str | None) -> tuple[list[_GuardianLink], list[_TrustedAdult]]:
    """guardian_facts' strings back as the active links and adults the checklist reads."""
    guardians = [_GuardianLink(int(link[:-1]), link[-1] == "+") for link in (links or "").split(",") if link]
    trusted = [_TrustedAdult(adult[0] == "+", adult[1] == "+") for adult in (adults or "").split(",") if adult]
    return guardians, trusted


def board_numbers(session: Session, today: date) -> BoardNumbers:
    """The single numbers, in one statement: the waitlist, the days of the latest parent activity and
    satisfaction survey, the late refunds, and each meal account's income and spending (late_refunds,
    meal_account_warnings; refunds.service.meal_account sums the same rows month by month)."""
    waitlist = (
        select(func.count()).select_from(Enrolment).where(Enrolment.status == EnrolmentStatus.waitlisted)
        .scalar_subquery()
    )
    late = (
        select(func.count()).select_from(Refund)
        .where(col(Refund.paid_on).is_(None), col(Refund.voided_at).is_(None), Refund.due_on < today)
        .scalar_subquery()
    )
    semesters = _meal_semesters(today)
    sums = [column for _semester, first, after in semesters for column in _meal_sums(first, after)]
    found = session.exec(
        select(waitlist, last_held_on(ActivityKind.activity, today), last_held_on(ActivityKind.survey, today), late, *sums)
    ).one()
    waiting, last_activity, last_survey, late_count, *totals = found
    accounts = []
    for index, (semester, first, _after) in enumerate(semesters):
        bill_income, refunded, spent = totals[3 * index:3 * index + 3]
        # The semester's totals as one line: off_percent weighs only the totals.
        months = [MealMonth(first, bill_income - refunded, spent)] if first is not None else []
        accounts.append(MealAccount(semester, months, []))
    return BoardNumbers(waiting, last_activity, last_survey, late_count, accounts)


def _meal_semesters(today: date) -> list[tuple[str, date | None, date | None]]:
    """The semesters meal_account_warnings weighs, with the months each counts (first day, day after the
    last month): all of the one that ended, and the running one's months already over (none yet: None)."""
    running = semester_of(today)
    done = today.replace(day=1) - timedelta(days=1)
    found = []
    for semester, until in ((previous_semester(running), None), (running, done)):
        months = [month for month in semester_months(semester) if until is None or month <= until]
        if months:
            found.append((semester, months[0], (months[-1] + timedelta(days=32)).replace(day=1)))
        else:
            found.append((semester, None, None))
    return found


def _meal_sums(first: date | None, after: date | None) -> list:
    """Meal lines of bills not voided, meal refunds not voided, food spending not voided, in [first, after)
    (refunds.service.meal_account's rows): three scalar subqueries, each 0 without rows."""
    if first is None:
        return [literal(0), literal(0), literal(0)]
    return [
        select(func.coalesce(func.sum(BillLine.amount_fen), 0))
        .select_from(Bill).join(BillLine, col(BillLine.bill_id) == Bill.id)
        .where(col(Bill.voided_at).is_(None), col(BillLine.kind).in_((LineKind.meal_fee, LineKind.meal_credit)),
               Bill.period_start >= first, Bill.period_start < after)
        .scalar_subquery(),
        select(func.coalesce(func.sum(Refund.amount_fen), 0))
        .where(col(Refund.voided_at).is_(None), Refund.kind == RefundKind.meals,
               Refund.period_start >= first, Refund.period_start < after)
        .scalar_subquery(),
        select(func.coalesce(func.sum(MealSpending.amount_fen), 0))
        .where(col(MealSpending.voided_at).is_(None), MealSpending.month >= first, MealSpending.month < after)
        .scalar_subquery(),
    ]
