"""Occupancy (在托情况): children holding a place by age band and care type, against the filed capacity
(备案人数) and each room's capacity, with the rooms' average attendance over the month's service days.

Five queries whatever the number of children.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from fastapi import APIRouter, Request
from sqlalchemy import func
from sqlmodel import Session, select

from nursery_ops.attendance.models import Attendance
from nursery_ops.auth.access import DbSession, Director
from nursery_ops.children.models import Child
from nursery_ops.children.rules import BAND_ROOM, AgeBand
from nursery_ops.clock import local_today
from nursery_ops.contracts.calendar import load_calendar, service_days
from nursery_ops.enrolment.models import CareType, Enrolment
from nursery_ops.i18n import N_
from nursery_ops.labels import BAND_LABELS, CARE_TYPE_LABELS, ROOM_TYPE_LABELS
from nursery_ops.policy import Decision, Policy, load_policy
from nursery_ops.reports.chart import BarChart, bar_chart
from nursery_ops.reports.period import Month, chosen_month
from nursery_ops.rooms.models import Room
from nursery_ops.rooms.rules import OCCUPANCY_BANDS, band_counts, filed_capacity_check, room_months
from nursery_ops.rooms.service import holds_place_on
from nursery_ops.spreadsheet import cell, csv_download, csv_refused
from nursery_ops.templating import render, translator_for

router = APIRouter()

# The nursery's own week: Monday to Friday, less closed days, plus 调休 working days (contracts.calendar).
NURSERY_WEEK = "12345"
CSV_TABLES = ("bands", "rooms")
NOT_A_TABLE = N_("Choose table=bands or table=rooms.")


def counting_day(month: Month, today: date) -> date:
    """Children are counted on the month's last day, or today within the current month."""
    return today if month.first <= today <= month.last else month.last


@dataclass(frozen=True)
class RoomOccupancy:
    room: Room
    enrolled: int
    attendances: int  # arrivals in the room from the month's first day up to today


@dataclass(frozen=True)
class OccupancyReport:
    month: Month
    on: date
    counts: dict[AgeBand, dict[CareType, int]]  # every band, zeros included
    band_months: dict[AgeBand, tuple[int, int]]  # the shown bands' ages, half-open, from the policy
    rooms: tuple[RoomOccupancy, ...]
    service_days: int  # the month's service days, up to today within the current month
    filed_capacity: int
    filed_warning: Decision | None

    @property
    def bands(self) -> list[AgeBand]:
        """乳儿, 托小, 托大, and any other band (under 6 months, aged out) only when a child is in it."""
        others = [band for band in AgeBand if band not in OCCUPANCY_BANDS and self.band_total(band)]
        return list(OCCUPANCY_BANDS) + others

    def band_total(self, band: AgeBand) -> int:
        return sum(self.counts[band].values())

    def care_type_total(self, care_type: CareType) -> int:
        return sum(self.counts[band][care_type] for band in AgeBand)

    @property
    def total(self) -> int:
        return sum(self.band_total(band) for band in AgeBand)

    @property
    def room_capacity(self) -> int:
        return sum(row.room.capacity for row in self.rooms if row.room.active)

    @property
    def room_enrolled(self) -> int:
        return sum(row.enrolled for row in self.rooms)

    @property
    def room_attendances(self) -> int:
        return sum(row.attendances for row in self.rooms)

    def average_present(self, attendances: int) -> str:
        """Children present on an average service day, to one decimal ("—" before the first service day)."""
        return f"{attendances / self.service_days:.1f}" if self.service_days else "—"

    @property
    def counted_to_today(self) -> bool:
        return self.on < self.month.last


def occupancy_report(session: Session, month: Month, today: date, policy: Policy | None = None) -> OccupancyReport:
    policy = policy or load_policy(session)
    on = counting_day(month, today)
    until = min(month.last, today)
    placed = session.exec(
        select(Enrolment.room_id, Enrolment.care_type, Child.birth_date)
        .join(Child, Child.id == Enrolment.child_id)
        .where(holds_place_on(on))
    ).all()
    rooms = session.exec(select(Room).order_by(Room.name, Room.id)).all()
    arrivals = dict(session.exec(
        select(Attendance.room_id, func.count())
        .where(Attendance.on_date >= month.first, Attendance.on_date <= until)
        .group_by(Attendance.room_id)
    ).all())
    calendar = load_calendar(session, month.first, month.last)

    births: dict[CareType, list[date]] = defaultdict(list)
    enrolled: dict[int, int] = defaultdict(int)
    for room_id, care_type, birth_date in placed:
        births[care_type].append(birth_date)
        enrolled[room_id] += 1
    by_care_type = {care_type: band_counts(births[care_type], on, policy) for care_type in CareType}
    counts = {band: {care_type: by_care_type[care_type][band] for care_type in CareType} for band in AgeBand}
    total = sum(enrolled.values())
    return OccupancyReport(
        month=month, on=on, counts=counts,
        band_months={band: room_months(BAND_ROOM[band], policy) for band in OCCUPANCY_BANDS},
        # A closed room stays on the report while children or arrivals of the month are counted in it.
        rooms=tuple(RoomOccupancy(room, enrolled[room.id], arrivals.get(room.id, 0))
                    for room in rooms if room.active or enrolled[room.id] or arrivals.get(room.id)),
        service_days=len(service_days(NURSERY_WEEK, month.first, until, calendar)),
        filed_capacity=policy.filed_capacity,
        filed_warning=filed_capacity_check(total, policy),
    )


def occupancy_chart(report: OccupancyReport, _: Callable[..., str]) -> BarChart:
    """A stacked bar per band (care types), then the total, against the filed capacity."""
    rows = [(_(BAND_LABELS[band]), [report.counts[band][care_type] for care_type in CareType]) for band in report.bands]
    rows.append((_(N_("Total")), [report.care_type_total(care_type) for care_type in CareType]))
    return bar_chart(
        _(N_("Children by age band and care type")), rows, [_(CARE_TYPE_LABELS[care_type]) for care_type in CareType],
        limit=report.filed_capacity,
        limit_label=_(N_("Dashed line: the filed capacity (备案人数), {count} children."), count=report.filed_capacity),
    )


def csv_rows(report: OccupancyReport, _: Callable[..., str], table: str = "bands") -> list[list[str]]:
    """`bands`: age band × care type with totals and the filed capacity; `rooms`: each room's place and attendance."""
    if table == "rooms":
        rows = [[_(N_("Room")), _(N_("Room type")), _(N_("Capacity")), _(N_("Enrolled")),
                 _(N_("Average present per service day"))]]
        rows += [[cell(row.room.name), _(ROOM_TYPE_LABELS[row.room.room_type]), str(row.room.capacity),
                  str(row.enrolled), report.average_present(row.attendances)] for row in report.rooms]
        rows.append([_(N_("Total")), "", str(report.room_capacity), str(report.room_enrolled),
                     report.average_present(report.room_attendances)])
        return rows
    rows = [[_(N_("Age band")), *(_(CARE_TYPE_LABELS[care_type]) for care_type in CareType), _(N_("Total"))]]
    rows += [[_(BAND_LABELS[band]), *(str(report.counts[band][care_type]) for care_type in CareType),
              str(report.band_total(band))] for band in report.bands]
    rows.append([_(N_("Total")), *(str(report.care_type_total(care_type)) for care_type in CareType), str(report.total)])
    rows.append([_(N_("备案人数 (filed capacity)")), *("" for _care_type in CareType), str(report.filed_capacity)])
    return rows


# ---------------------------------------------------------------- routes


@router.get("/reports/occupancy")
def occupancy_page(request: Request, session: DbSession, me: Director, month: str | None = None):
    chosen, errors = chosen_month(month, local_today())
    report = occupancy_report(session, chosen, local_today()) if chosen else None
    chart = occupancy_chart(report, translator_for(request).gettext) if report else None
    context = {"report": report, "chart": chart, "care_types": list(CareType),
               "form": {"month": chosen.text if chosen else month}, "errors": errors}
    return render(request, "reports/occupancy.html", context, status_code=400 if errors else 200)


@router.get("/reports/occupancy.csv")
def occupancy_csv(request: Request, session: DbSession, me: Director, month: str | None = None, table: str = "bands"):
    gettext = translator_for(request).gettext
    chosen, errors = chosen_month(month, local_today())
    if chosen is None or table not in CSV_TABLES:
        message = errors.get("month") or NOT_A_TABLE
        return csv_refused(gettext(message))
    report = occupancy_report(session, chosen, local_today())
    return csv_download(csv_rows(report, gettext, table), f"occupancy-{table}-{chosen.text}.csv")
