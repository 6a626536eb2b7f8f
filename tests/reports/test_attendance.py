"""The monthly attendance report: expected days from schedules, bookings and the calendar; presence, hours,
absences; per room and overall; the page, the CSV and who may read them."""

import csv
import io
from datetime import UTC, date, datetime, time

import pytest
from sqlmodel import select

from nursery_ops.attendance.models import Absence, AbsenceReason, Attendance, TemporaryBooking
from nursery_ops.children.models import Child
from nursery_ops.clock import local_today
from nursery_ops.contracts.calendar import Calendar
from nursery_ops.contracts.models import CalendarDay, CalendarDayKind
from nursery_ops.dailylog.rules import at_local_time
from nursery_ops.enrolment.models import CareType, Enrolment, EnrolmentStatus
from nursery_ops.reports.attendance import (
    attendance_chart,
    attendance_report,
    csv_rows,
    expected_days,
    stay_minutes,
)
from nursery_ops.reports.period import Month
from nursery_ops.settings import get_settings
from tests import factories as f

MARCH = Month(date(2025, 3, 1))  # starts on a Saturday; 21 weekdays
AFTER_MARCH = date(2025, 4, 10)
NOW = datetime(2025, 4, 10, 2, 0, tzinfo=UTC)
CLOSED = date(2025, 3, 5)  # a Wednesday the nursery is closed (a repair)
WORKING_SUNDAY = date(2025, 3, 16)  # 调休: the Sunday stands for a Monday


def local(on: date, hour: int, minute: int = 0) -> datetime:
    return at_local_time(on, time(hour, minute), get_settings().zone)


def stay(session, world, child, room, on: date, arrive: tuple, leave: tuple | None):
    session.add(Attendance(
        child_id=child.id, room_id=room.id, on_date=on, check_in_at=local(on, *arrive),
        check_out_at=local(on, *leave) if leave else None, brought_by="妈妈", checked_in_by_id=world.director.id,
    ))


def absent(session, world, child, room, on: date, reason: AbsenceReason, superseded: bool = False):
    session.add(Absence(
        child_id=child.id, room_id=room.id, on_date=on, reason=reason, recorded_by_id=world.director.id,
        superseded_at=local(on, 10) if superseded else None,
    ))


def enrol(session, name: str, room, care_type=CareType.full_day, start=date(2025, 1, 6), **fields):
    child = f.make_child(session, name, birth_date=fields.pop("birth_date", date(2023, 9, 1)))
    return child, f.enrol(session, child, room, care_type, start_date=start, **fields)


@pytest.fixture
def march(session, world):
    """Room A: 甲 all month, 乙 from the 15th, 丙 withdrawn after the 10th. Room B: 戊 temporary, 己 hourly Mon/Wed/Fri.

    The nursery is closed on Wednesday 5 March and opens on Sunday 16 March as a Monday (调休).
    """
    session.add(CalendarDay(on_date=CLOSED, kind=CalendarDayKind.closed, caused_by_nursery=True, name="检修",
                            recorded_by_id=world.director.id))
    session.add(CalendarDay(on_date=WORKING_SUNDAY, kind=CalendarDayKind.working, as_weekday=1, name="调休",
                            recorded_by_id=world.director.id))
    a, b = world.room_a, world.room_b
    jia, _ = enrol(session, "甲", a)
    yi, _ = enrol(session, "乙", a, start=date(2025, 3, 15))
    bing, _ = enrol(session, "丙", a, status=EnrolmentStatus.withdrawn, end_date=date(2025, 3, 10))
    wu, temporary = enrol(session, "戊", b, CareType.temporary, schedule_days="")
    ji, _ = enrol(session, "己", b, CareType.hourly, schedule_days="135")
    # Not in the report: a waitlisted child, one withdrawn from the waitlist, one gone before March, one starting after.
    enrol(session, "等候", None, status=EnrolmentStatus.waitlisted, start=date(2025, 3, 1))
    enrol(session, "撤回", None, status=EnrolmentStatus.withdrawn, start=date(2025, 3, 1), end_date=date(2025, 3, 20))
    enrol(session, "二月走", a, status=EnrolmentStatus.withdrawn, end_date=date(2025, 2, 28))
    enrol(session, "四月来", a, start=date(2025, 4, 1))

    for on in (date(2025, 3, 3), date(2025, 3, 4)):
        stay(session, world, jia, a, on, (8, 0), (16, 0))
    absent(session, world, jia, a, date(2025, 3, 6), AbsenceReason.sick)
    absent(session, world, jia, a, date(2025, 3, 7), AbsenceReason.leave)
    # Recorded "unknown", then the child arrived after all: the absence is superseded, not counted.
    absent(session, world, jia, a, date(2025, 3, 10), AbsenceReason.unknown, superseded=True)
    stay(session, world, jia, a, date(2025, 3, 10), (11, 0), (15, 0))
    stay(session, world, jia, a, date(2025, 3, 22), (9, 0), (11, 0))  # a Saturday: present, not expected
    stay(session, world, yi, a, WORKING_SUNDAY, (8, 0), (17, 0))
    absent(session, world, bing, a, date(2025, 3, 3), AbsenceReason.unknown)

    for on, cancelled in ((date(2025, 3, 4), None), (CLOSED, None), (date(2025, 3, 12), NOW), (date(2025, 3, 20), None)):
        session.add(TemporaryBooking(enrolment_id=temporary.id, on_date=on, booked_by_id=world.director.id,
                                     cancelled_at=cancelled))
    stay(session, world, wu, b, date(2025, 3, 4), (9, 0), (12, 30))
    stay(session, world, ji, b, date(2025, 3, 3), (9, 0), (11, 0))
    stay(session, world, ji, b, date(2025, 3, 7), (15, 30), None)  # no departure recorded: counted to 17:30
    session.commit()
    return world


def rows_by_name(report):
    return {row.child.full_name: (room.room.name, row) for room in report.rooms for row in room.children}


@pytest.mark.parametrize(("name", "room", "expected", "present", "hours", "sick", "leave", "unknown", "rate"), [
    # 21 weekdays, less the closed Wednesday, plus the 调休 Sunday
    ("甲", "A 托小班", 21, 4, "22.0", 1, 1, 0, 14),
    # started on Saturday the 15th: the 调休 Sunday and 11 weekdays
    ("乙", "A 托小班", 12, 1, "9.0", 0, 0, 0, 8),
    # withdrew on Monday the 10th: 3, 4, 6, 7, 10 March
    ("丙", "A 托小班", 5, 0, "0.0", 0, 0, 1, 0),
    # booked 4, 5 (closed), 12 (cancelled) and 20 March
    ("戊", "B 托大班", 2, 1, "3.5", 0, 0, 0, 50),
    # Mondays, Wednesdays, Fridays: 13, less the closed Wednesday, plus the 调休 Sunday standing for a Monday
    ("己", "B 托大班", 13, 2, "4.0", 0, 0, 0, 15),
])
def test_each_child_has_days_expected_and_present_hours_absences_and_a_rate(
        session, march, name, room, expected, present, hours, sick, leave, unknown, rate):
    report = attendance_report(session, MARCH, AFTER_MARCH, NOW)
    room_name, row = rows_by_name(report)[name]
    tally = row.tally
    assert room_name == room
    assert (tally.expected, tally.present, tally.hours) == (expected, present, hours)
    assert tally.absences == {AbsenceReason.sick: sick, AbsenceReason.leave: leave, AbsenceReason.unknown: unknown}
    assert tally.rate == rate


def test_only_children_with_a_place_overlapping_the_month_are_listed_grouped_by_room(session, march):
    report = attendance_report(session, MARCH, AFTER_MARCH, NOW)
    assert [(room.room.name, [row.child.full_name for row in room.children]) for room in report.rooms] == [
        ("A 托小班", ["丙", "乙", "甲"]), ("B 托大班", ["己", "戊"]),
    ]


def test_rooms_and_the_nursery_have_totals(session, march):
    report = attendance_report(session, MARCH, AFTER_MARCH, NOW)
    room_a, room_b = report.rooms
    assert (room_a.tally.expected, room_a.tally.present, room_a.tally.came_when_expected) == (38, 5, 4)
    assert (room_b.tally.expected, room_b.tally.present, room_b.tally.minutes) == (15, 3, 450)
    total = report.tally
    assert (total.expected, total.present, total.hours, total.open_stays) == (53, 8, "38.5", 1)
    assert total.absences == {AbsenceReason.sick: 1, AbsenceReason.leave: 1, AbsenceReason.unknown: 1}
    assert report.child_count == 5


def test_within_the_current_month_days_are_counted_up_to_today(session, march):
    report = attendance_report(session, MARCH, date(2025, 3, 12), NOW)
    jia = rows_by_name(report)["甲"][1].tally
    assert report.to_date and (jia.expected, jia.present) == (7, 3)  # 3, 4, 6, 7, 10, 11, 12 March
    assert rows_by_name(report)["乙"][1].tally.expected == 0


def test_the_hourly_childs_open_stay_counts_until_closing_time(session, march):
    ji = rows_by_name(attendance_report(session, MARCH, AFTER_MARCH, NOW))["己"][1]
    assert ji.care_type is CareType.hourly and ji.tally.minutes == 120 + 120 and ji.tally.open_stays == 1


@pytest.mark.parametrize(("arrive", "leave", "now", "minutes"), [
    ((9, 0), (11, 45), (20, 0), 165),  # a whole stay
    ((15, 30), None, (20, 0), 120),  # no departure: until closing at 17:30
    ((15, 30), None, (16, 10), 40),  # no departure yet, the day not over: until now
    ((18, 0), None, (20, 0), 0),  # arrived after closing and never left: nothing
])
def test_a_stay_counts_from_arrival_to_departure_or_to_closing_time(arrive, leave, now, minutes):
    on = date(2025, 3, 3)
    closing = local(on, 17, 30)
    assert stay_minutes(local(on, *arrive), local(on, *leave) if leave else None, closing, local(on, *now)) == minutes


def enrolment(care_type=CareType.full_day, schedule="12345", start=date(2025, 1, 1), end=None, status=EnrolmentStatus.enrolled):
    return Enrolment(child_id=1, room_id=1, status=status, care_type=care_type, schedule_days=schedule,
                     applied_on=start, start_date=start, end_date=end)


CALENDAR = Calendar(closed={CLOSED: True}, working_as={WORKING_SUNDAY: 1})


@pytest.mark.parametrize(("case", "kept", "booked", "days"), [
    ("full week", enrolment(), set(), 21),
    ("starts on the 15th", enrolment(start=date(2025, 3, 15)), set(), 12),
    ("starts on the 17th, after the 调休 Sunday", enrolment(start=date(2025, 3, 17)), set(), 11),
    ("last day the 10th", enrolment(end=date(2025, 3, 10), status=EnrolmentStatus.withdrawn), set(), 5),
    ("ended the day before the month", enrolment(end=date(2025, 2, 28), status=EnrolmentStatus.withdrawn), set(), 0),
    ("waitlisted", enrolment(status=EnrolmentStatus.waitlisted), set(), 0),
    ("Saturdays only: a 调休 Sunday standing for Monday is not theirs", enrolment(schedule="6"), set(), 5),
    ("temporary: booked days, less closed ones", enrolment(CareType.temporary, ""), {date(2025, 3, 4), CLOSED}, 1),
    ("temporary booked before the start", enrolment(CareType.temporary, "", start=date(2025, 3, 10)), {date(2025, 3, 4)}, 0),
])
def test_expected_days_follow_the_schedule_the_calendar_and_the_enrolments_dates(case, kept, booked, days):
    assert len(expected_days(kept, booked, MARCH.first, MARCH.last, CALENDAR)) == days, case


def test_the_chart_splits_each_rooms_expected_days_into_came_and_did_not_come(session, march):
    chart = attendance_chart(attendance_report(session, MARCH, AFTER_MARCH, NOW), lambda text, **_: text)
    assert [(bar.label, bar.total, [s.value for s in bar.segments]) for bar in chart.bars] == [
        ("A 托小班", 38, [4, 34]), ("B 托大班", 15, [3, 12]),
    ]
    assert [name for name, _colour in chart.series] == ["Came", "Did not come"]


def test_the_report_takes_as_many_queries_for_12_children_as_for_2(session, world, queries):
    def count_queries() -> int:
        with queries:
            attendance_report(session, MARCH, AFTER_MARCH, NOW)
        return queries.count

    for name in ("一", "二"):
        child, _ = enrol(session, name, world.room_a)
        stay(session, world, child, world.room_a, date(2025, 3, 3), (8, 0), (16, 0))
        absent(session, world, child, world.room_a, date(2025, 3, 4), AbsenceReason.sick)
    session.commit()
    count_queries()  # warm-up: the policy is read once per database session
    few = count_queries()
    for number in range(10):
        child, _ = enrol(session, f"孩{number}", world.room_b if number % 2 else world.room_a,
                         CareType.temporary if number % 3 == 0 else CareType.full_day)
        stay(session, world, child, world.room_a, date(2025, 3, 3), (8, 0), (16, 0))
        absent(session, world, child, world.room_a, date(2025, 3, 4), AbsenceReason.leave)
    session.commit()
    assert count_queries() == few <= 7


# ---------------------------------------------------------------- the page and the CSV


def test_the_director_reads_the_report_with_links_to_each_child_and_the_hint_on_open_stays(client_for, march, session):
    response = client_for(march.director).get("/reports/attendance?month=2025-03")
    assert response.status_code == 200
    page = response.text
    jia = session.exec(select(Child).where(Child.full_name == "甲")).one()
    assert f'href="/children/{jia.id}"' in page and "Hourly (计时托)" in page and "Temporary (临时托)" in page
    assert "counts until closing time (17:30)" in page and "1 without departure" in page
    assert 'href="/reports/attendance.csv?month=2025-03"' in page and "<svg" in page
    assert "counted up to today" not in page


@pytest.mark.parametrize("who", ["caregiver_a", "health", "parent_x"])
@pytest.mark.parametrize("url", ["/reports/attendance", "/reports/attendance.csv"])
def test_only_the_director_may_read_the_attendance_report(client_for, world, who, url):
    assert client_for(getattr(world, who)).get(url).status_code == 403


@pytest.mark.parametrize("month", ["2025-13", "March", "2025-3-1"])
def test_a_bad_month_is_shown_next_to_the_field(client_for, world, month):
    response = client_for(world.director).get(f"/reports/attendance?month={month}")
    assert response.status_code == 400
    assert 'id="month-error"' in response.text and "Enter a month as YYYY-MM." in response.text
    csv_response = client_for(world.director).get(f"/reports/attendance.csv?month={month}")
    assert csv_response.status_code == 400 and csv_response.text == "Enter a month as YYYY-MM."
    assert csv_response.headers["content-type"].startswith("text/plain")


def test_without_a_month_the_page_shows_this_month_up_to_today(client_for, world):
    today = local_today()
    response = client_for(world.director).get("/reports/attendance")
    assert response.status_code == 200 and f'value="{today:%Y-%m}"' in response.text
    assert world.child_x.full_name in response.text and world.child_y.full_name in response.text
    assert ("counted up to today" in response.text) == (today < Month(today.replace(day=1)).last)


def read_csv(response) -> list[list[str]]:
    assert response.content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_csv_has_one_row_per_child_and_a_total_under_a_fixed_header(client_for, march, session):
    child, _ = enrol(session, "=HYPERLINK(\"http://x\")", march.room_a)
    session.commit()
    response = client_for(march.director).get("/reports/attendance.csv?month=2025-03")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert 'filename="attendance-2025-03.csv"' in response.headers["content-disposition"]
    rows = read_csv(response)
    assert rows[0] == ["Room", "Child", "Care type", "Days expected", "Days present", "Hours present",
                       "Sick", "Leave", "Unknown", "Attendance rate (%)"]
    by_child = {row[1]: row for row in rows[1:-1]}
    assert len(rows) == 1 + 6 + 1 and set(by_child) == {"甲", "乙", "丙", "戊", "己", "'=HYPERLINK(\"http://x\")"}
    assert by_child["己"] == ["B 托大班", "己", "Hourly (计时托)", "13", "2", "4.0", "0", "0", "0", "15"]
    assert rows[-1][:6] == ["Total", "", "", str(53 + 21), "8", "38.5"]


def test_the_csv_rows_are_translated(session, march):
    from nursery_ops.i18n import Translator

    rows = csv_rows(attendance_report(session, MARCH, AFTER_MARCH, NOW), Translator("zh_CN").gettext)
    assert rows[0][:3] == ["班级", "幼儿", "托育类型"]
