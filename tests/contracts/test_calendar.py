"""Service days: the schedule's days, less closed days, plus 调休 working days."""

from datetime import date

import pytest

from nursery_ops.contracts.calendar import Calendar, nursery_closure_days, service_days

# November 2026: the 1st is a Sunday; 21 weekdays.
NOV_START, NOV_END = date(2026, 11, 1), date(2026, 11, 30)


@pytest.mark.parametrize(
    ("schedule", "calendar", "count"),
    [
        ("12345", Calendar(), 21),
        ("135", Calendar(), 13),
        ("1234567", Calendar(), 30),
        ("12345", Calendar(closed={date(2026, 11, 2): False}), 20),  # a closed Monday
        ("12345", Calendar(closed={date(2026, 11, 7): False}), 21),  # a closed Saturday changes nothing
        ("12345", Calendar(working_as={date(2026, 11, 7): 1}), 22),  # 调休 Saturday as a Monday
        ("246", Calendar(working_as={date(2026, 11, 7): 1}), 11),  # that Saturday is a Monday: not a 246 day
    ],
)
def test_service_days_of_a_month(schedule, calendar, count):
    assert len(service_days(schedule, NOV_START, NOV_END, calendar)) == count


def test_closures_caused_by_the_nursery_are_the_scheduled_ones_it_caused():
    calendar = Calendar(closed={date(2026, 11, 2): True, date(2026, 11, 3): False, date(2026, 11, 8): True})
    assert nursery_closure_days("12345", NOV_START, NOV_END, calendar) == [date(2026, 11, 2)]
