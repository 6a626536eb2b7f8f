"""Monthly attendance per child (考勤月报): days expected and present, hours, absences by reason, the rate.

Grouped by room, with room and nursery totals. Six queries whatever the number of children: the
expected days are worked out in Python from the month's enrolments, bookings and calendar.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from fastapi import APIRouter, Request
from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from nursery_ops.attendance.models import Absence, AbsenceReason, Attendance, TemporaryBooking
from nursery_ops.attendance.rules import is_expected
from nursery_ops.auth.access import DbSession, Director
from nursery_ops.children.models import Child
from nursery_ops.clock import local_today, utcnow
from nursery_ops.contracts.calendar import Calendar, days_between, load_calendar, service_days
from nursery_ops.dailylog.rules import at_local_time
from nursery_ops.enrolment.models import CareType, Enrolment, EnrolmentStatus
from nursery_ops.i18n import N_
from nursery_ops.labels import ABSENCE_REASON_LABELS, CARE_TYPE_LABELS
from nursery_ops.pagecache import kept_page
from nursery_ops.policy import Policy, load_policy
from nursery_ops.reports.chart import BarChart, bar_chart
from nursery_ops.reports.period import Month, chosen_month
from nursery_ops.rooms.models import Room
from nursery_ops.settings import get_settings
from nursery_ops.spreadsheet import cell, csv_download, csv_refused
from nursery_ops.staff.rules import hours_text
from nursery_ops.templating import render, translator_for

router = APIRouter()

# service_days() has already kept the schedule's weekdays (and the 调休 days standing for them), so
# is_expected() is asked only about the enrolment's status, its dates and temporary care's bookings.
EVERY_WEEKDAY = "1234567"


def expected_days(enrolment: Enrolment, booked: set[date], start: date, end: date, calendar: Calendar) -> set[date]:
    """The days from `start` to `end` an enrolment brought the child in.

    `attendance.rules.is_expected` on the nursery's open days from `contracts.calendar`: the
    schedule's service days (closed days out, 调休 working days in), or for temporary care (临时托)
    its booked days on which the nursery was open.
    """
    if enrolment.care_type is CareType.temporary:
        open_days = [day for day in days_between(start, end) if day not in calendar.closed]
    else:
        open_days = service_days(enrolment.schedule_days, start, end, calendar)
    return {
        day for day in open_days
        if is_expected(enrolment.status, enrolment.care_type, EVERY_WEEKDAY, enrolment.start_date,
                       enrolment.end_date, day, day in booked)
    }


def stay_minutes(check_in_at: datetime, check_out_at: datetime | None, closing: datetime, now: datetime) -> int:
    """Whole minutes of one stay. A stay without a departure counts until closing time (never past now):
    the child was surely gone by then, and hourly care is paid by the hour, so leaving it out would hide it."""
    end = check_out_at or min(closing, now)
    return max(0, int((end - check_in_at).total_seconds() // 60))


@dataclass(frozen=True)
class Tally:
    """The counts of one child, one room or the nursery."""

    expected: int = 0
    present: int = 0
    came_when_expected: int = 0  # expected days with an arrival: the rate's numerator
    minutes: int = 0
    open_stays: int = 0  # stays without a departure (counted until closing time)
    absences: dict[AbsenceReason, int] = field(default_factory=lambda: {reason: 0 for reason in AbsenceReason})

    def __add__(self, other: "Tally") -> "Tally":
        return Tally(
            self.expected + other.expected, self.present + other.present,
            self.came_when_expected + other.came_when_expected, self.minutes + other.minutes,
            self.open_stays + other.open_stays,
            {reason: self.absences[reason] + other.absences[reason] for reason in AbsenceReason},
        )

    @property
    def rate(self) -> int | None:
        """Whole percent (halves up) of the expected days the child came; None when none was expected."""
        if not self.expected:
            return None
        return (200 * self.came_when_expected + self.expected) // (2 * self.expected)

    @property
    def hours(self) -> str:
        return hours_text((self.minutes * 10 + 30) // 60)  # tenths of an hour, halves up


@dataclass(frozen=True)
class ChildAttendance:
    child: Child
    care_type: CareType
    tally: Tally


@dataclass(frozen=True)
class RoomAttendance:
    room: Room
    children: tuple[ChildAttendance, ...]

    @property
    def tally(self) -> Tally:
        return sum((row.tally for row in self.children), Tally())


@dataclass(frozen=True)
class AttendanceReport:
    month: Month
    until: date  # the last day counted: the month's last day, or today within the current month
    closing: str  # closing time (policy.full_day_end) as HH:MM, where open stays end
    rooms: tuple[RoomAttendance, ...]

    @property
    def tally(self) -> Tally:
        return sum((room.tally for room in self.rooms), Tally())

    @property
    def child_count(self) -> int:
        return sum(len(room.children) for room in self.rooms)

    @property
    def to_date(self) -> bool:
        return self.until < self.month.last


def attendance_report(
    session: Session, month: Month, today: date, now: datetime, policy: Policy | None = None
) -> AttendanceReport:
    """Every child with a place (enrolled or withdrawn, not waitlisted) overlapping the month, by room.

    Within the current month, days are counted up to today; a later month has nothing expected yet.
    """
    policy = policy or load_policy(session)
    until = min(month.last, today)
    rows = session.exec(
        select(Enrolment, Child, Room)
        .join(Child, Child.id == Enrolment.child_id)
        .join(Room, Room.id == Enrolment.room_id)  # a waitlisted child who withdrew never had a room
        .where(
            Enrolment.status != EnrolmentStatus.waitlisted,
            Enrolment.start_date <= month.last,
            or_(col(Enrolment.end_date).is_(None), col(Enrolment.end_date) >= month.first),
        )
        .order_by(Enrolment.start_date, Enrolment.id)
    ).all()
    enrolment_ids = [enrolment.id for enrolment, _child, _room in rows]
    child_ids = list({child.id for _enrolment, child, _room in rows})

    booked: dict[int, set[date]] = defaultdict(set)
    for enrolment_id, on_date in session.exec(
        select(TemporaryBooking.enrolment_id, TemporaryBooking.on_date).where(
            col(TemporaryBooking.enrolment_id).in_(enrolment_ids),
            TemporaryBooking.on_date >= month.first, TemporaryBooking.on_date <= until,
            col(TemporaryBooking.cancelled_at).is_(None),
        )
    ).all():
        booked[enrolment_id].add(on_date)
    calendar = load_calendar(session, month.first, month.last)

    stays = session.exec(
        select(Attendance.child_id, Attendance.on_date, Attendance.check_in_at, Attendance.check_out_at).where(
            col(Attendance.child_id).in_(child_ids), Attendance.on_date >= month.first, Attendance.on_date <= until,
        )
    ).all()
    absences = session.exec(
        select(Absence.child_id, Absence.reason, func.count())
        .where(
            col(Absence.child_id).in_(child_ids), Absence.on_date >= month.first, Absence.on_date <= until,
            # The child arrived after all: kept for the history, not an absence.
            col(Absence.superseded_at).is_(None),
        )
        .group_by(Absence.child_id, Absence.reason)
    ).all()

    # A child who left and came back within the month has two enrolments: one row, in the latest one's room.
    latest: dict[int, tuple[Enrolment, Child, Room]] = {}
    expected: dict[int, set[date]] = defaultdict(set)
    for enrolment, child, room in rows:
        latest[child.id] = (enrolment, child, room)
        expected[child.id] |= expected_days(enrolment, booked[enrolment.id], month.first, until, calendar)

    present: dict[int, set[date]] = defaultdict(set)
    minutes: dict[int, int] = defaultdict(int)
    open_stays: dict[int, int] = defaultdict(int)
    zone = get_settings().zone
    for child_id, on_date, check_in_at, check_out_at in stays:
        present[child_id].add(on_date)
        minutes[child_id] += stay_minutes(check_in_at, check_out_at, at_local_time(on_date, policy.full_day_end, zone), now)
        open_stays[child_id] += check_out_at is None
    by_reason: dict[int, dict[AbsenceReason, int]] = defaultdict(lambda: {reason: 0 for reason in AbsenceReason})
    for child_id, reason, count in absences:
        by_reason[child_id][reason] = count

    rooms: dict[int, tuple[Room, list[ChildAttendance]]] = {}
    for enrolment, child, room in latest.values():
        tally = Tally(
            expected=len(expected[child.id]), present=len(present[child.id]),
            came_when_expected=len(expected[child.id] & present[child.id]), minutes=minutes[child.id],
            open_stays=open_stays[child.id], absences=by_reason[child.id],
        )
        rooms.setdefault(room.id, (room, []))[1].append(ChildAttendance(child, enrolment.care_type, tally))
    ordered = tuple(
        RoomAttendance(room, tuple(sorted(children, key=lambda row: (row.child.full_name, row.child.id))))
        for room, children in sorted(rooms.values(), key=lambda item: (item[0].name, item[0].id))
    )
    return AttendanceReport(month, until, policy.full_day_end.strftime("%H:%M"), ordered)


def attendance_chart(report: AttendanceReport, _: Callable[..., str]) -> BarChart:
    """Per room, the expected days split into those the children came and those they did not."""
    rows = [
        (room.room.name, [room.tally.came_when_expected, room.tally.expected - room.tally.came_when_expected])
        for room in report.rooms
    ]
    return bar_chart(_(N_("Days expected per room")), rows, [_(N_("Came")), _(N_("Did not come"))])


def csv_rows(report: AttendanceReport, _: Callable[..., str]) -> list[list[str]]:
    """One row per child (room first, for sorting in a spreadsheet), then the nursery's total."""

    def numbers(tally: Tally) -> list[str]:
        return [
            str(tally.expected), str(tally.present), tally.hours,
            *(str(tally.absences[reason]) for reason in AbsenceReason),
            "" if tally.rate is None else str(tally.rate),
        ]

    header = [
        _(N_("Room")), _(N_("Child")), _(N_("Care type")), _(N_("Days expected")), _(N_("Days present")),
        _(N_("Hours present")), *(_(ABSENCE_REASON_LABELS[reason]) for reason in AbsenceReason),
        _(N_("Attendance rate (%)")),
    ]
    rows = [header]
    for room in report.rooms:
        for row in room.children:
            rows.append([cell(room.room.name), cell(row.child.full_name), _(CARE_TYPE_LABELS[row.care_type]),
                         *numbers(row.tally)])
    rows.append([_(N_("Total")), "", "", *numbers(report.tally)])
    return rows


# ---------------------------------------------------------------- routes


@router.get("/reports/attendance")
@kept_page
def attendance_page(request: Request, session: DbSession, me: Director, month: str | None = None):
    chosen, errors = chosen_month(month, local_today())
    report = attendance_report(session, chosen, local_today(), utcnow()) if chosen else None
    chart = attendance_chart(report, translator_for(request).gettext) if report and report.rooms else None
    context = {"report": report, "chart": chart, "reasons": list(AbsenceReason),
               "form": {"month": chosen.text if chosen else month}, "errors": errors}
    return render(request, "reports/attendance.html", context, status_code=400 if errors else 200)


@router.get("/reports/attendance.csv")
def attendance_csv(request: Request, session: DbSession, me: Director, month: str | None = None):
    gettext = translator_for(request).gettext
    chosen, errors = chosen_month(month, local_today())
    if chosen is None:
        return csv_refused(gettext(errors["month"]))
    report = attendance_report(session, chosen, local_today(), utcnow())
    return csv_download(csv_rows(report, gettext), f"attendance-{chosen.text}.csv")
