"""Enrolment and waitlist movements (入托、退托与候补): who joined the waitlist, was offered a place, started,
moved room or left in a month; the waiting list at the month's start and end; twelve months of
children starting and leaving.

Dates come from the enrolment itself (applied, started, left) and the room transfers. The one date
the enrolment does not keep — when a waitlisted child was offered a place, which also rewrites the
start date — comes from the audit trail's "enrolment_placed" entry (enrolment.service.place_from_waitlist).
An enrolment went through the waitlist when it has no room yet (still waiting, or withdrawn from the
list) or when it was placed from it.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from fastapi import APIRouter, Request
from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from nursery_ops.audit import AuditEntry
from nursery_ops.auditlog.rules import utc_range
from nursery_ops.auth.access import DbSession, Director
from nursery_ops.children.models import Child
from nursery_ops.children.rules import AgeBand, age_band, completed_months
from nursery_ops.clock import local_date, local_today
from nursery_ops.enrolment.models import CareType, Enrolment, EnrolmentStatus, RoomTransfer
from nursery_ops.i18n import N_
from nursery_ops.labels import BAND_LABELS, CARE_TYPE_LABELS
from nursery_ops.policy import Policy, load_policy
from nursery_ops.reports.chart import BarChart, bar_chart
from nursery_ops.reports.period import Month, chosen_month
from nursery_ops.rooms.models import Room
from nursery_ops.settings import get_settings
from nursery_ops.spreadsheet import cell, csv_download, csv_refused
from nursery_ops.templating import render, translator_for

router = APIRouter()

PLACED = "enrolment_placed"  # the audit action of enrolment.service.place_from_waitlist
CHART_MONTHS = 12


class MovementKind(StrEnum):
    applied = "applied"  # added to the waitlist
    offered = "offered"  # offered a place from the waitlist
    started = "started"
    transferred = "transferred"
    left = "left"  # withdrawn after holding a place
    left_waitlist = "left_waitlist"  # withdrawn from the waitlist without a place


KIND_LABELS = {
    MovementKind.applied: N_("Added to the waitlist"),
    MovementKind.offered: N_("Offered a place"),
    MovementKind.started: N_("Started"),
    MovementKind.transferred: N_("Moved room"),
    MovementKind.left: N_("Left"),
    MovementKind.left_waitlist: N_("Left the waitlist"),
}
STARTS_ON = N_("Starts on {date}")
WISHED_START = N_("Wished start {date}")


@dataclass(frozen=True)
class Movement:
    on: date
    child: Child
    kind: MovementKind
    room: str  # the room's name; "from → to" for a move; "" on the waitlist
    care_type: CareType
    reason: str  # typed by the director: why the child left or moved ("" otherwise)
    starts_on: date | None = None  # an application's wished start, an offer's start


@dataclass(frozen=True)
class Waiting:
    """The waiting list on one day, by age band (on that day) and by care type."""

    day: date
    by_band: dict[AgeBand, int]
    by_care_type: dict[CareType, int]

    @property
    def total(self) -> int:
        return sum(self.by_care_type.values())


@dataclass(frozen=True)
class MonthFlow:
    month: Month
    started: int
    left: int


@dataclass(frozen=True)
class MovementsReport:
    month: Month
    movements: list[Movement]  # by date, then child
    waiting_at_start: Waiting
    waiting_at_end: Waiting
    flows: list[MonthFlow]  # the twelve months up to this one, oldest first

    def count(self, kind: MovementKind) -> int:
        return sum(1 for movement in self.movements if movement.kind is kind)

    @property
    def totals(self) -> dict[MovementKind, int]:
        return {kind: self.count(kind) for kind in MovementKind}


@dataclass(frozen=True)
class _Entry:
    """An enrolment with what the report needs of it: its child, when it was placed, its first room."""

    enrolment: Enrolment
    child: Child
    placed_on: date | None
    first_room_id: int | None

    @property
    def through_waitlist(self) -> bool:
        return self.enrolment.room_id is None or self.placed_on is not None

    @property
    def left_waitlist_on(self) -> date | None:
        withdrawn = self.enrolment.status is EnrolmentStatus.withdrawn and self.enrolment.room_id is None
        return self.enrolment.end_date if withdrawn else None

    def waiting_at_end_of(self, day: date) -> bool:
        """On the waiting list when `day` ends: applied by then, not yet placed, not withdrawn from the list."""
        if not self.through_waitlist or self.enrolment.applied_on > day:
            return False
        placed, left = self.placed_on, self.left_waitlist_on
        return (placed is None or placed > day) and (left is None or left > day)


def months_back(month: Month, count: int) -> list[Month]:
    """`count` months ending with `month`, oldest first."""
    months, first = [], month.first
    for _ in range(count):
        months.append(Month(first))
        first = (first - timedelta(days=1)).replace(day=1)
    return months[::-1]


def _waiting(entries: list[_Entry], day: date, policy: Policy) -> Waiting:
    waiting = [entry for entry in entries if entry.waiting_at_end_of(day)]
    # Ages on the day after: a child applied for before birth counts as under 6 months.
    age_day = day + timedelta(days=1)
    bands = Counter(
        age_band(completed_months(entry.child.birth_date, age_day), policy) if entry.child.birth_date <= age_day
        else AgeBand.too_young
        for entry in waiting
    )
    care_types = Counter(entry.enrolment.care_type for entry in waiting)
    return Waiting(day, {band: bands.get(band, 0) for band in AgeBand},
                   {care_type: care_types.get(care_type, 0) for care_type in CareType})


def movements_report(session: Session, month: Month, policy: Policy) -> MovementsReport:
    """The month's movements in five statements, whatever the number of children."""
    first, last = month.first, month.last
    month_start, _month_end = utc_range(first, last, get_settings().zone)
    # Placements from the month's start on: an offer made later means the child was still waiting at the end.
    placed_on: dict[int, date] = {}
    for enrolment_id, at in session.exec(
        select(AuditEntry.entity_id, AuditEntry.at)
        .where(AuditEntry.action == PLACED, AuditEntry.entity == "enrolment", AuditEntry.at >= month_start)
        .order_by(AuditEntry.at)
    ).all():
        placed_on.setdefault(enrolment_id, local_date(at))

    holds_room = and_(col(Enrolment.room_id).is_not(None), Enrolment.status != EnrolmentStatus.waitlisted)
    rows = session.exec(
        select(Enrolment, Child).join(Child, Child.id == Enrolment.child_id).where(
            or_(
                and_(holds_room, Enrolment.start_date >= first, Enrolment.start_date <= last),
                and_(Enrolment.status == EnrolmentStatus.withdrawn, Enrolment.end_date >= first, Enrolment.end_date <= last),
                and_(
                    or_(col(Enrolment.room_id).is_(None), col(Enrolment.id).in_(list(placed_on))),
                    Enrolment.applied_on <= last,
                    or_(col(Enrolment.end_date).is_(None), Enrolment.end_date >= first),
                ),
            )
        )
    ).all()
    ids = [enrolment.id for enrolment, _child in rows]
    # The month's moves, and every move of these enrolments (a child's first room is the first move's origin).
    transfers = session.exec(
        select(RoomTransfer, Enrolment.care_type, Child).join(Enrolment, Enrolment.id == RoomTransfer.enrolment_id)
        .join(Child, Child.id == Enrolment.child_id)
        .where(or_(and_(RoomTransfer.on_date >= first, RoomTransfer.on_date <= last), col(RoomTransfer.enrolment_id).in_(ids)))
        .order_by(RoomTransfer.on_date, RoomTransfer.id)
    ).all()
    rooms = dict(session.exec(select(Room.id, Room.name)).all())
    first_room: dict[int, int] = {}
    for move, _care_type, _child in transfers:
        first_room.setdefault(move.enrolment_id, move.from_room_id)
    entries = [_Entry(enrolment, child, placed_on.get(enrolment.id), first_room.get(enrolment.id, enrolment.room_id))
               for enrolment, child in rows]

    def in_month(day: date | None) -> bool:
        return day is not None and first <= day <= last

    movements = []
    for entry in entries:
        enrolment, child = entry.enrolment, entry.child
        room = rooms.get(entry.first_room_id, "")
        if entry.through_waitlist and in_month(enrolment.applied_on):
            wished = enrolment.start_date if enrolment.room_id is None else None
            movements.append(Movement(enrolment.applied_on, child, MovementKind.applied, "", enrolment.care_type, "", wished))
        if in_month(entry.placed_on):
            movements.append(Movement(entry.placed_on, child, MovementKind.offered, room, enrolment.care_type, "",
                                      enrolment.start_date))
        holds_a_place = enrolment.room_id is not None and enrolment.status is not EnrolmentStatus.waitlisted
        if holds_a_place and in_month(enrolment.start_date):
            movements.append(Movement(enrolment.start_date, child, MovementKind.started, room, enrolment.care_type, ""))
        if enrolment.status is EnrolmentStatus.withdrawn and in_month(enrolment.end_date):
            kind = MovementKind.left if enrolment.room_id is not None else MovementKind.left_waitlist
            movements.append(Movement(enrolment.end_date, child, kind, rooms.get(enrolment.room_id, ""), enrolment.care_type,
                                      enrolment.withdrawal_reason or ""))
    for move, care_type, child in transfers:
        if in_month(move.on_date):
            movements.append(Movement(move.on_date, child, MovementKind.transferred,
                                      f"{rooms.get(move.from_room_id, '')} → {rooms.get(move.to_room_id, '')}", care_type,
                                      move.reason))
    order = list(MovementKind)
    movements.sort(key=lambda m: (m.on, m.child.full_name, m.child.id, order.index(m.kind)))

    return MovementsReport(
        month=month,
        movements=movements,
        waiting_at_start=_waiting(entries, first - timedelta(days=1), policy),
        waiting_at_end=_waiting(entries, last, policy),
        flows=monthly_flows(session, month),
    )


def monthly_flows(session: Session, month: Month) -> list[MonthFlow]:
    """Children who started and who left in each of the twelve months up to `month` (one statement)."""
    months = months_back(month, CHART_MONTHS)
    start, end = months[0].first, month.last
    rows = session.exec(
        select(Enrolment.start_date, Enrolment.end_date, Enrolment.status).where(
            col(Enrolment.room_id).is_not(None), Enrolment.status != EnrolmentStatus.waitlisted,
            or_(and_(Enrolment.start_date >= start, Enrolment.start_date <= end),
                and_(Enrolment.end_date >= start, Enrolment.end_date <= end)),
        )
    ).all()
    started = Counter(start_date.replace(day=1) for start_date, _end, _status in rows if start <= start_date <= end)
    left = Counter(end_date.replace(day=1) for _start, end_date, status in rows
                   if status is EnrolmentStatus.withdrawn and end_date is not None and start <= end_date <= end)
    return [MonthFlow(m, started.get(m.first, 0), left.get(m.first, 0)) for m in months]


def flow_chart(report: MovementsReport, _: Callable[..., str]) -> BarChart:
    return bar_chart(
        _(N_("Children started and left, last 12 months")),
        [(flow.month.text, [flow.started, flow.left]) for flow in report.flows],
        [_(KIND_LABELS[MovementKind.started]), _(KIND_LABELS[MovementKind.left])],
    )


def note_text(movement: Movement, _: Callable[..., str], day_text: Callable[[date], str] = date.isoformat) -> str:
    """The typed reason (leaving, moving) or the start an offer or an application names."""
    if movement.reason:
        return movement.reason
    if movement.starts_on is None:
        return ""
    return _(STARTS_ON if movement.kind is MovementKind.offered else WISHED_START, date=day_text(movement.starts_on))


def csv_rows(report: MovementsReport, _: Callable[..., str]) -> list[list[str]]:
    """One row per movement, in date order."""
    rows = [[_(N_("Date")), _(N_("Child")), _(N_("Movement")), _(N_("Room")), _(N_("Care type")), _(N_("Note"))]]
    rows += [
        [m.on.isoformat(), cell(m.child.full_name), _(KIND_LABELS[m.kind]), cell(m.room), _(CARE_TYPE_LABELS[m.care_type]),
         cell(note_text(m, _))]
        for m in report.movements
    ]
    return rows


@router.get("/reports/enrolment")
def enrolment_page(request: Request, session: DbSession, me: Director, month: str | None = None):
    chosen, errors = chosen_month(month, local_today())
    report = movements_report(session, chosen, load_policy(session)) if chosen else None
    translator = translator_for(request)
    context = {
        "report": report, "chart": flow_chart(report, translator.gettext) if report else None,
        "form": {"month": month or chosen.text}, "errors": errors,
        "kinds": list(MovementKind), "kind_labels": KIND_LABELS, "band_labels": BAND_LABELS,
        "care_type_labels": CARE_TYPE_LABELS,
        "note_text": lambda movement: note_text(movement, translator.gettext, translator.date),
    }
    return render(request, "reports/enrolment.html", context, status_code=400 if errors else 200)


@router.get("/reports/enrolment.csv")
def enrolment_csv(request: Request, session: DbSession, me: Director, month: str | None = None):
    chosen, errors = chosen_month(month, local_today())
    gettext = translator_for(request).gettext
    if chosen is None:
        return csv_refused(gettext(errors["month"]))
    report = movements_report(session, chosen, load_policy(session))
    return csv_download(csv_rows(report, gettext), f"enrolment-{chosen.text}.csv")
