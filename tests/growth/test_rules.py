"""Growth rules at their edges: WARN at ±2 SD, implausible beyond ±5 SD or a drop in length, what may be saved."""

from datetime import date

import pytest

from nursery_ops.growth import rules
from nursery_ops.growth.models import Position
from nursery_ops.growth.rules import Values
from nursery_ops.growth.who import Indicator

BIRTH = date(2024, 3, 15)
TODAY = date(2026, 3, 20)  # 24 months and 5 days


@pytest.mark.parametrize(
    ("z", "direction"),
    [(None, None), (-3.5, "low"), (-2.01, "low"), (-2.0, None), (0, None), (2.0, None), (2.01, "high"), (4.2, "high")],
)
def test_warn_below_minus_2_and_above_plus_2_sd(z, direction):
    assert rules.warn_direction(z) == direction


def test_warnings_name_each_indicator_out_of_range():
    scores = dict.fromkeys(Indicator)
    scores[Indicator.weight_for_age] = -2.3
    scores[Indicator.bmi_for_age] = 2.4
    scores[Indicator.length_for_age] = 1.9
    assert rules.warnings(scores) == ["Weight-for-age below −2 SD", "BMI-for-age above +2 SD"]


@pytest.mark.parametrize(("z", "implausible"), [(None, False), (4.99, False), (5.0, False), (5.01, True), (-5.0, False), (-5.01, True)])
def test_implausible_beyond_5_sd(z, implausible):
    assert rules.is_implausible(z) is implausible


@pytest.mark.parametrize(
    ("on", "expected"),
    [(date(2026, 3, 14), True), (date(2026, 3, 15), False), (date(2026, 3, 16), False)],
    ids=["the day before 24 months", "24 months", "the day after"],
)
def test_head_circumference_under_24_months_only(on, expected):
    assert rules.head_expected(BIRTH, on) is expected
    assert rules.default_position(BIRTH, on) == (Position.lying if expected else Position.standing)


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        (Values(TODAY, weight_g=12000), {}),
        (Values(date(2026, 3, 21), weight_g=12000), {"on_date": "This date cannot be in the future."}),
        (Values(date(2024, 3, 14), weight_g=3000), {"on_date": "This date is before the child's birth."}),
        (Values(TODAY), {"__all__": "Enter at least one of length/height, weight or head circumference."}),
        (Values(TODAY, weight_g=0), {"weight_kg": "Enter a weight between 0.5 and 50 kg."}),
        (Values(TODAY, weight_g=499), {"weight_kg": "Enter a weight between 0.5 and 50 kg."}),
        (Values(TODAY, weight_g=500), {}),
        (Values(TODAY, weight_g=50000), {}),
        (Values(TODAY, weight_g=50001), {"weight_kg": "Enter a weight between 0.5 and 50 kg."}),
        (Values(TODAY, length_mm=299, position=Position.standing), {"length_cm": "Enter a length/height between 30 and 130 cm."}),
        (Values(TODAY, length_mm=300, position=Position.standing), {}),
        (Values(TODAY, length_mm=1301, position=Position.standing), {"length_cm": "Enter a length/height between 30 and 130 cm."}),
        (Values(TODAY, length_mm=870), {"position": "Choose how the child was measured: lying or standing."}),
        (Values(date(2026, 3, 14), head_mm=480), {}),
        (Values(date(2026, 3, 15), head_mm=480), {"head_cm": "Head circumference is measured only under 24 months."}),
        (Values(date(2026, 3, 14), head_mm=249), {"head_cm": "Enter a head circumference between 25 and 60 cm."}),
        (Values(date(2026, 3, 14), head_mm=601), {"head_cm": "Enter a head circumference between 25 and 60 cm."}),
    ],
)
def test_what_can_never_be_saved(values, errors):
    assert rules.input_errors(values, BIRTH, TODAY) == errors


@pytest.mark.parametrize(
    ("length_mm", "position", "lying"), [(850, Position.lying, 850), (850, Position.standing, 857)]
)
def test_lengths_compare_as_if_measured_lying(length_mm, position, lying):
    assert rules.lying_basis_mm(length_mm, position) == lying


@pytest.mark.parametrize(
    ("earlier", "later", "drop"),
    [(800, 810, False), (800, 800, False), (800, 795, False), (800, 794, True), (800, 700, True)],
)
def test_a_drop_in_length_beyond_5_mm(earlier, later, drop):
    assert rules.length_drop(earlier, later) is drop


def no_scores():
    return dict.fromkeys(Indicator)


def test_a_shorter_child_than_last_month_is_implausible():
    errors = rules.implausible_errors(no_scores(), 790, (date(2026, 2, 1), 800, 800), None)
    assert set(errors) == {"length_cm"}
    assert errors["length_cm"].params == {"date": "2026-02-01", "length": "80.0"}


def test_a_length_above_a_later_one_is_implausible_too():
    errors = rules.implausible_errors(no_scores(), 810, (date(2026, 1, 1), 780, 780), (date(2026, 3, 1), 800, 793))
    assert errors["length_cm"].params == {"date": "2026-03-01", "length": "79.3"}


def test_standing_at_24_months_after_lying_at_23_is_no_drop():
    # 80.0 cm lying, then 79.6 cm standing: 80.3 cm as if lying.
    assert rules.implausible_errors(no_scores(), rules.lying_basis_mm(796, Position.standing), (date(2026, 2, 1), 800, 800), None) == {}


@pytest.mark.parametrize(
    ("indicator", "z", "field"),
    [
        (Indicator.weight_for_age, 5.2, "weight_kg"),
        (Indicator.length_for_age, -6.0, "length_cm"),
        (Indicator.weight_for_length, 5.5, "weight_kg"),
        (Indicator.bmi_for_age, -5.1, "weight_kg"),
        (Indicator.head_for_age, 5.01, "head_cm"),
    ],
)
def test_an_implausible_z_score_is_shown_at_its_field(indicator, z, field):
    scores = no_scores()
    scores[indicator] = z
    errors = rules.implausible_errors(scores, None, None, None)
    assert list(errors) == [field]
    assert errors[field].blocks


def test_z_scores_within_5_sd_are_plausible():
    scores = {indicator: 4.9 for indicator in Indicator}
    assert rules.implausible_errors(scores, None, None, None) == {}
