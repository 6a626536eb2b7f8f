"""Occupancy: children holding a place by age band × care type on the counting day, against the filed
capacity (备案人数) and the rooms' capacities, with each room's average attendance; the page and the CSVs."""

import csv
import io
from datetime import date, time, timedelta

import pytest

from nursery_ops.attendance.models import Attendance
from nursery_ops.children.rules import AgeBand
from nursery_ops.contracts.models import CalendarDay, CalendarDayKind
from nursery_ops.dailylog.rules import at_local_time
from nursery_ops.enrolment.models import CareType, EnrolmentStatus
from nursery_ops.policy import DEFAULT_POLICY, PolicyOverride
from nursery_ops.reports.occupancy import counting_day, occupancy_chart, occupancy_report
from nursery_ops.reports.period import Month
from nursery_ops.rooms.models import RoomType
from nursery_ops.settings import get_settings
from tests import factories as f

MARCH = Month(date(2025, 3, 1))
AFTER_MARCH = date(2025, 4, 10)
CLOSED = date(2025, 3, 5)
WORKING_SUNDAY = date(2025, 3, 16)
WEEKDAYS = [date(2025, 3, 1) + timedelta(days=n) for n in range(31) if (date(2025, 3, 1) + timedelta(days=n)).isoweekday() <= 5]


def enrol(session, name, room, care_type=CareType.full_day, birth=date(2024, 1, 10), start=date(2025, 1, 6), **fields):
    child = f.make_child(session, name, birth_date=birth)
    f.enrol(session, child, room, care_type, start_date=start, **fields)
    return child


def arrive(session, world, child, room, on: date):
    at = at_local_time(on, time(8, 0), get_settings().zone)
    session.add(Attendance(child_id=child.id, room_id=room.id, on_date=on, check_in_at=at,
                           check_out_at=at + timedelta(hours=8), brought_by="妈妈", checked_in_by_id=world.director.id))


@pytest.fixture
def march(session, world):
    """Counted on 31 March 2025: 乳儿 1 full day; 托小 full, half, hourly (from the 15th); 托大 temporary and one
    whose last day is the 31st; a child aged 36 months. Not counted: left on the 10th, waitlisted, starts in April."""
    session.add(CalendarDay(on_date=CLOSED, kind=CalendarDayKind.closed, name="检修", recorded_by_id=world.director.id))
    session.add(CalendarDay(on_date=WORKING_SUNDAY, kind=CalendarDayKind.working, as_weekday=1, name="调休",
                            recorded_by_id=world.director.id))
    a, b = world.room_a, world.room_b
    world.room_c = f.make_room(session, "C 乳儿班", RoomType.infant)
    closed_room = f.make_room(session, "D 旧班", RoomType.mixed)
    closed_room.active = False
    enrol(session, "乳儿", world.room_c, birth=date(2024, 7, 15))
    toddler = enrol(session, "托小全", a)
    toddler_half = enrol(session, "托小半", a, CareType.half_day)
    enrol(session, "托小时", a, CareType.hourly, start=date(2025, 3, 15), schedule_days="135")
    older_temporary = enrol(session, "托大临", b, CareType.temporary, birth=date(2022, 12, 1), schedule_days="")
    enrol(session, "托大走", b, birth=date(2022, 12, 1), status=EnrolmentStatus.withdrawn, end_date=date(2025, 3, 10))
    enrol(session, "托大末", b, birth=date(2022, 12, 1), status=EnrolmentStatus.withdrawn, end_date=date(2025, 3, 31))
    enrol(session, "满三岁", b, birth=date(2022, 3, 31))
    enrol(session, "等候", None, status=EnrolmentStatus.waitlisted, start=date(2025, 3, 1))
    enrol(session, "四月来", a, start=date(2025, 4, 1))

    for on in WEEKDAYS[:10]:
        arrive(session, world, toddler, a, on)
    for on in WEEKDAYS[:11]:
        arrive(session, world, toddler_half, a, on)
    for on in (date(2025, 3, 4), date(2025, 3, 11), date(2025, 3, 20)):
        arrive(session, world, older_temporary, b, on)
    arrive(session, world, older_temporary, b, date(2025, 2, 28))  # other months are not counted
    arrive(session, world, older_temporary, b, date(2025, 4, 1))
    session.commit()
    return world


def test_children_holding_a_place_on_the_months_last_day_are_counted_by_band_and_care_type(session, march):
    report = occupancy_report(session, MARCH, AFTER_MARCH)
    assert report.on == date(2025, 3, 31) and not report.counted_to_today
    counts = {band: {care_type: n for care_type, n in by_type.items() if n} for band, by_type in report.counts.items()}
    assert counts == {
        AgeBand.too_young: {},
        AgeBand.infant: {CareType.full_day: 1},
        AgeBand.toddler: {CareType.full_day: 1, CareType.half_day: 1, CareType.hourly: 1},
        AgeBand.older: {CareType.temporary: 1, CareType.full_day: 1},
        AgeBand.aged_out: {CareType.full_day: 1},
    }
    assert report.total == 7 and report.care_type_total(CareType.full_day) == 4
    # 乳儿, 托小, 托大 always; "36 months and over" only because a child is in it
    assert report.bands == [AgeBand.infant, AgeBand.toddler, AgeBand.older, AgeBand.aged_out]
    assert report.band_months == {AgeBand.infant: (6, 12), AgeBand.toddler: (12, 24), AgeBand.older: (24, 36)}


@pytest.mark.parametrize(("born", "band"), [
    (date(2024, 10, 1), AgeBand.too_young),  # 5 months
    (date(2024, 9, 30), AgeBand.infant),  # 6 months since the 30th
    (date(2024, 4, 1), AgeBand.infant),  # 11 months
    (date(2024, 3, 31), AgeBand.toddler),  # 12 months on the day
    (date(2023, 4, 1), AgeBand.toddler),  # 23 months
    (date(2023, 3, 31), AgeBand.older),  # 24 months
    (date(2022, 4, 1), AgeBand.older),  # 35 months
    (date(2022, 3, 31), AgeBand.aged_out),  # 36 months
])
def test_the_band_is_the_age_in_completed_months_on_the_counting_day(session, world, born, band):
    enrol(session, "某某", world.room_a, birth=born)
    session.commit()
    report = occupancy_report(session, MARCH, AFTER_MARCH)
    assert {b for b in AgeBand if report.band_total(b)} == {band}


def test_within_the_current_month_children_are_counted_today(session, march):
    report = occupancy_report(session, MARCH, date(2025, 3, 12))
    assert report.on == date(2025, 3, 12) and report.counted_to_today
    # 托小时 starts on the 15th and 托大走 left on the 10th; 托大末 still holds a place; 满三岁 is 35 months today
    assert report.care_type_total(CareType.hourly) == 0 and report.band_total(AgeBand.older) == 3
    assert report.bands == [AgeBand.infant, AgeBand.toddler, AgeBand.older]
    assert report.service_days == 7  # 3, 4, 6, 7, 10, 11, 12 March (the 5th closed)


@pytest.mark.parametrize(("today", "on"), [
    (date(2025, 3, 1), date(2025, 3, 1)),
    (date(2025, 3, 31), date(2025, 3, 31)),
    (date(2025, 4, 1), date(2025, 3, 31)),
    (date(2025, 2, 28), date(2025, 3, 31)),  # a later month: its last day (places already booked)
])
def test_the_counting_day_is_today_within_the_month_else_its_last_day(today, on):
    assert counting_day(MARCH, today) == on


def test_each_room_shows_its_capacity_children_and_average_present_per_service_day(session, march):
    report = occupancy_report(session, MARCH, AFTER_MARCH)
    # 21 weekdays, less the closed Wednesday, plus the 调休 Sunday
    assert report.service_days == 21
    rows = [(row.room.name, row.room.room_type, row.room.capacity, row.enrolled, report.average_present(row.attendances))
            for row in report.rooms]
    assert rows == [
        ("A 托小班", RoomType.toddler, 15, 3, "1.0"),
        ("B 托大班", RoomType.older, 20, 3, "0.1"),
        ("C 乳儿班", RoomType.infant, 10, 1, "0.0"),
    ]  # the inactive room without children is left out
    assert (report.room_capacity, report.room_enrolled, report.average_present(report.room_attendances)) == (45, 7, "1.1")


def test_a_month_not_begun_has_no_average_yet(session, march):
    report = occupancy_report(session, Month(date(2025, 5, 1)), AFTER_MARCH)
    assert report.service_days == 0 and report.average_present(0) == "—"


def test_over_the_filed_capacity_is_a_warning(session, march):
    assert occupancy_report(session, MARCH, AFTER_MARCH).filed_warning is None
    report = occupancy_report(session, MARCH, AFTER_MARCH, DEFAULT_POLICY.with_values(filed_capacity=6))
    assert report.filed_warning.mode == "warn" and report.filed_warning.params == {"total": 7, "filed": 6}
    assert occupancy_report(session, MARCH, AFTER_MARCH, DEFAULT_POLICY.with_values(filed_capacity=7)).filed_warning is None


def test_the_chart_stacks_care_types_per_band_with_a_total_bar_and_the_filed_capacity_line(session, march):
    chart = occupancy_chart(occupancy_report(session, MARCH, AFTER_MARCH), lambda text, **params: text.format(**params))
    assert [(bar.label, bar.total) for bar in chart.bars] == [
        ("Infant (乳儿)", 1), ("Toddler (托小)", 3), ("Older (托大)", 2), ("36 months and over", 1), ("Total", 7),
    ]
    assert [segment.series for segment in chart.bars[-1].segments] == [
        "Full day (全日托)", "Half day (半日托)", "Hourly (计时托)", "Temporary (临时托)",
    ]
    assert chart.limit_x is not None and "60 children" in chart.limit_label


def test_the_report_takes_as_many_queries_for_12_children_as_for_2(session, world, queries):
    def count_queries() -> int:
        with queries:
            occupancy_report(session, MARCH, AFTER_MARCH)
        return queries.count

    for name in ("一", "二"):
        arrive(session, world, enrol(session, name, world.room_a), world.room_a, date(2025, 3, 3))
    session.commit()
    count_queries()  # warm-up: the policy is read once per database session
    few = count_queries()
    for number in range(10):
        room = world.room_b if number % 2 else world.room_a
        child = enrol(session, f"孩{number}", room, list(CareType)[number % 4], birth=date(2023, 1 + number, 1))
        arrive(session, world, child, room, date(2025, 3, 3))
    session.commit()
    assert count_queries() == few <= 6


# ---------------------------------------------------------------- the page and the CSVs


def test_the_director_reads_the_counting_day_the_bands_and_the_rooms(client_for, march):
    response = client_for(march.director).get("/reports/occupancy?month=2025-03")
    assert response.status_code == 200
    page = response.text
    assert "on the month&#39;s last day" in page and "Toddler (托小)" in page and "12–24 months" in page
    assert "C 乳儿班" in page and "D 旧班" not in page and "<svg" in page
    assert "more than the filed capacity" not in page
    assert 'href="/reports/occupancy.csv?month=2025-03"' in page and "table=rooms" in page


def test_the_page_warns_over_the_filed_capacity(client_for, march, session):
    session.add(PolicyOverride(key="filed_capacity", value="6", reason="test"))
    session.commit()
    page = client_for(march.director).get("/reports/occupancy?month=2025-03").text
    assert "Children enrolled: 7, more than the filed capacity (备案人数) of 6." in page
    assert "Over the filed capacity" in page


@pytest.mark.parametrize("who", ["caregiver_a", "health", "parent_x"])
@pytest.mark.parametrize("url", ["/reports/occupancy", "/reports/occupancy.csv"])
def test_only_the_director_may_read_the_occupancy_report(client_for, world, who, url):
    assert client_for(getattr(world, who)).get(url).status_code == 403


@pytest.mark.parametrize("month", ["2025-00", "next month", "2025/03"])
def test_a_bad_month_is_shown_next_to_the_field(client_for, world, month):
    client = client_for(world.director)
    response = client.get(f"/reports/occupancy?month={month}")
    assert response.status_code == 400
    assert 'id="month-error"' in response.text and "Enter a month as YYYY-MM." in response.text
    csv_response = client.get(f"/reports/occupancy.csv?month={month}")
    assert csv_response.status_code == 400 and csv_response.text == "Enter a month as YYYY-MM."


def test_a_csv_table_that_does_not_exist_is_refused(client_for, world):
    response = client_for(world.director).get("/reports/occupancy.csv?month=2025-03&table=children")
    assert response.status_code == 400 and "table=bands" in response.text


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_bands_csv_has_a_row_per_band_the_totals_and_the_filed_capacity(client_for, march):
    response = client_for(march.director).get("/reports/occupancy.csv?month=2025-03")
    assert 'filename="occupancy-bands-2025-03.csv"' in response.headers["content-disposition"]
    assert read_csv(response) == [
        ["Age band", "Full day (全日托)", "Half day (半日托)", "Hourly (计时托)", "Temporary (临时托)", "Total"],
        ["Infant (乳儿)", "1", "0", "0", "0", "1"],
        ["Toddler (托小)", "1", "1", "1", "0", "3"],
        ["Older (托大)", "1", "0", "0", "1", "2"],
        ["36 months and over", "1", "0", "0", "0", "1"],
        ["Total", "4", "1", "1", "1", "7"],
        ["备案人数 (filed capacity)", "", "", "", "", "60"],
    ]


def test_the_rooms_csv_has_a_row_per_room_and_quotes_a_typed_name_that_looks_like_a_formula(client_for, march, session):
    f.make_room(session, "=SUM(A1)", RoomType.older)
    session.commit()
    rows = read_csv(client_for(march.director).get("/reports/occupancy.csv?month=2025-03&table=rooms"))
    assert rows[0] == ["Room", "Room type", "Capacity", "Enrolled", "Average present per service day"]
    assert rows[1:] == [
        ["'=SUM(A1)", "Older room (托大班)", "20", "0", "0.0"],
        ["A 托小班", "Toddler room (托小班)", "15", "3", "1.0"],
        ["B 托大班", "Older room (托大班)", "20", "3", "0.1"],
        ["C 乳儿班", "Infant room (乳儿班)", "10", "1", "0.0"],
        ["Total", "", "65", "7", "1.1"],
    ]
