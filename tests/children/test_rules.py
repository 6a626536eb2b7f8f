"""Age in completed months and age bands, at their edges (DOMAIN.md "Age bands and rooms")."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nursery_ops.children.rules import (
    AgeBand,
    age_band,
    completed_months,
    date_at_months,
    upcoming_band_change,
)
from nursery_ops.policy import DEFAULT_POLICY
from nursery_ops.rooms.models import RoomType


@pytest.mark.parametrize(
    ("birth", "on", "months"),
    [
        # The same day of the month completes a month.
        (date(2025, 3, 15), date(2025, 9, 14), 5),
        (date(2025, 3, 15), date(2025, 9, 15), 6),
        (date(2025, 3, 15), date(2025, 9, 16), 6),
        (date(2024, 5, 10), date(2025, 5, 9), 11),
        (date(2024, 5, 10), date(2025, 5, 10), 12),
        (date(2023, 5, 10), date(2025, 5, 9), 23),
        (date(2023, 5, 10), date(2025, 5, 10), 24),
        (date(2022, 5, 10), date(2025, 5, 9), 35),
        (date(2022, 5, 10), date(2025, 5, 10), 36),
        # Born on the 31st: a shorter month completes on its last day.
        (date(2025, 1, 31), date(2025, 2, 27), 0),
        (date(2025, 1, 31), date(2025, 2, 28), 1),
        (date(2025, 1, 31), date(2025, 3, 30), 1),
        (date(2025, 1, 31), date(2025, 3, 31), 2),
        (date(2025, 3, 31), date(2025, 4, 29), 0),
        (date(2025, 3, 31), date(2025, 4, 30), 1),
        (date(2025, 8, 31), date(2026, 2, 27), 5),
        (date(2025, 8, 31), date(2026, 2, 28), 6),
        (date(2023, 12, 31), date(2024, 2, 28), 1),
        (date(2023, 12, 31), date(2024, 2, 29), 2),
        # Born on 29 February: twelve months on 28 February of a common year.
        (date(2024, 2, 29), date(2025, 2, 27), 11),
        (date(2024, 2, 29), date(2025, 2, 28), 12),
        (date(2024, 2, 29), date(2025, 3, 1), 12),
        (date(2024, 2, 29), date(2024, 8, 28), 5),
        (date(2024, 2, 29), date(2024, 8, 29), 6),
        (date(2024, 2, 29), date(2026, 2, 28), 24),
        (date(2024, 2, 29), date(2027, 2, 27), 35),
        (date(2024, 2, 29), date(2027, 2, 28), 36),
        (date(2024, 2, 29), date(2028, 2, 28), 47),
        (date(2024, 2, 29), date(2028, 2, 29), 48),
        # Born on the 30th into February of a leap year.
        (date(2023, 8, 30), date(2024, 2, 28), 5),
        (date(2023, 8, 30), date(2024, 2, 29), 6),
        # The day of birth and across the new year.
        (date(2025, 6, 1), date(2025, 6, 1), 0),
        (date(2025, 12, 20), date(2026, 1, 19), 0),
        (date(2025, 12, 20), date(2026, 1, 20), 1),
    ],
)
def test_completed_months(birth, on, months):
    assert completed_months(birth, on) == months


def test_completed_months_refuses_a_date_before_birth():
    with pytest.raises(ValueError):
        completed_months(date(2025, 6, 2), date(2025, 6, 1))


@pytest.mark.parametrize(
    ("birth", "months", "expected"),
    [
        (date(2025, 3, 15), 6, date(2025, 9, 15)),
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2025, 8, 31), 6, date(2026, 2, 28)),
        (date(2025, 12, 20), 1, date(2026, 1, 20)),
    ],
)
def test_date_at_months(birth, months, expected):
    assert date_at_months(birth, months) == expected


@given(
    birth=st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31)),
    months=st.integers(min_value=0, max_value=60),
)
def test_a_child_completes_each_month_exactly_on_date_at_months(birth, months):
    day = date_at_months(birth, months)
    assert completed_months(birth, day) == months
    if day > birth:
        assert completed_months(birth, date.fromordinal(day.toordinal() - 1)) == months - 1


@pytest.mark.parametrize(
    ("months", "band"),
    [
        (0, AgeBand.too_young),
        (5, AgeBand.too_young),
        (6, AgeBand.infant),
        (11, AgeBand.infant),
        (12, AgeBand.toddler),
        (23, AgeBand.toddler),
        (24, AgeBand.older),
        (35, AgeBand.older),
        (36, AgeBand.aged_out),
        (40, AgeBand.aged_out),
    ],
)
def test_age_bands_are_half_open(months, band):
    assert age_band(months, DEFAULT_POLICY) is band


def test_a_stricter_local_rule_moves_the_band_edge():
    policy = DEFAULT_POLICY.with_values(admission_min_months=8)
    assert age_band(7, policy) is AgeBand.too_young
    assert age_band(8, policy) is AgeBand.infant


@pytest.mark.parametrize(
    ("birth", "today", "expected"),
    [
        # Turns 12 months on 2026-03-10: warned from 60 days before, not 61.
        (date(2025, 3, 10), date(2026, 1, 8), None),
        (date(2025, 3, 10), date(2026, 1, 9), (date(2026, 3, 10), AgeBand.toddler, RoomType.toddler)),
        (date(2025, 3, 10), date(2026, 3, 9), (date(2026, 3, 10), AgeBand.toddler, RoomType.toddler)),
        # Turns 24 months: moves to a 托大班.
        (date(2024, 3, 10), date(2026, 2, 1), (date(2026, 3, 10), AgeBand.older, RoomType.older)),
        # Turns 36 months: leaves for kindergarten, no room suggested.
        (date(2023, 3, 10), date(2026, 2, 1), (date(2026, 3, 10), AgeBand.aged_out, None)),
        # Born on 29 February: the change is on 28 February.
        (date(2024, 2, 29), date(2025, 1, 1), (date(2025, 2, 28), AgeBand.toddler, RoomType.toddler)),
        # Mid-band: nothing to warn about.
        (date(2025, 3, 10), date(2025, 11, 1), None),
    ],
)
def test_band_change_is_warned_60_days_ahead(birth, today, expected):
    change = upcoming_band_change(birth, today, DEFAULT_POLICY)
    if expected is None:
        assert change is None
    else:
        assert (change.on, change.next_band, change.suggested_room_type) == expected
