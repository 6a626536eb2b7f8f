"""Which ages a room takes and how many children (DOMAIN.md "Age bands and rooms")."""

from datetime import date

import pytest

from nursery_ops.children.rules import upcoming_band_change
from nursery_ops.policy import DEFAULT_POLICY, Mode
from nursery_ops.rooms.models import RoomType
from nursery_ops.rooms.rules import (
    age_fits_room,
    capacity_within_type,
    fits_after_change,
    room_has_place,
    room_type_cap,
)


@pytest.mark.parametrize(
    ("months", "room_type", "fits"),
    [
        (5, RoomType.infant, False),
        (6, RoomType.infant, True),
        (11, RoomType.infant, True),
        (12, RoomType.infant, False),
        (11, RoomType.toddler, False),
        (12, RoomType.toddler, True),
        (23, RoomType.toddler, True),
        (24, RoomType.toddler, False),
        (23, RoomType.older, False),
        (24, RoomType.older, True),
        (35, RoomType.older, True),
        (36, RoomType.older, False),
        # A mixed room (混合编班) takes children from 18 months.
        (17, RoomType.mixed, False),
        (18, RoomType.mixed, True),
        (30, RoomType.mixed, True),
        (35, RoomType.mixed, True),
        (36, RoomType.mixed, False),
    ],
)
def test_age_fits_room(months, room_type, fits):
    decision = age_fits_room(months, room_type, DEFAULT_POLICY)
    assert (decision is None) is fits
    if not fits:
        assert decision.mode is Mode.block and decision.blocks


def test_under_six_months_and_over_36_name_the_reason():
    assert "under {months} months" in age_fits_room(5, RoomType.infant, DEFAULT_POLICY).message
    assert "kindergarten" in age_fits_room(36, RoomType.mixed, DEFAULT_POLICY).message


@pytest.mark.parametrize(
    ("room_type", "cap"),
    [(RoomType.infant, 10), (RoomType.toddler, 15), (RoomType.older, 20), (RoomType.mixed, 18)],
)
def test_room_caps_by_type(room_type, cap):
    assert room_type_cap(room_type, DEFAULT_POLICY) == cap
    assert capacity_within_type(cap, room_type, DEFAULT_POLICY) is None
    assert capacity_within_type(cap + 1, room_type, DEFAULT_POLICY).blocks
    assert capacity_within_type(0, room_type, DEFAULT_POLICY).blocks
    assert capacity_within_type(1, room_type, DEFAULT_POLICY) is None


@pytest.mark.parametrize(
    ("occupied", "capacity", "has_place"),
    [(0, 10, True), (9, 10, True), (10, 10, False), (11, 10, False), (17, 18, True), (18, 18, False)],
)
def test_room_has_place(occupied, capacity, has_place):
    assert (room_has_place(occupied, capacity) is None) is has_place


def test_a_stricter_city_cap_applies_without_code_change():
    policy = DEFAULT_POLICY.with_values(infant_room_cap=8)
    assert capacity_within_type(9, RoomType.infant, policy).blocks
    assert capacity_within_type(8, RoomType.infant, policy) is None


@pytest.mark.parametrize(
    ("room_type", "stays"),
    [(RoomType.toddler, False), (RoomType.older, True), (RoomType.mixed, True), (RoomType.infant, False)],
)
def test_a_child_turning_24_months_may_stay_in_a_mixed_room(room_type, stays):
    birth, today = date(2024, 3, 10), date(2026, 2, 1)
    change = upcoming_band_change(birth, today, DEFAULT_POLICY)
    assert fits_after_change(room_type, change, birth, DEFAULT_POLICY) is stays
