"""Growth rules (DOMAIN.md "Health over time"): what a measurement may be, what WARNs, what is implausible.

Plain functions of values: the service reads the child and the earlier measurements,
these decide. Numbers and their sources are named here.
"""

from dataclasses import dataclass
from datetime import date

from nursery_ops.children.rules import completed_months
from nursery_ops.growth.models import Position
from nursery_ops.growth.who import POSITION_CORRECTION_MM, Indicator
from nursery_ops.i18n import N_
from nursery_ops.policy import Decision, Mode

# DOMAIN.md: WARN below −2 or above +2 SD. These are the WHO definitions (underweight, stunting,
# wasting, overweight), not a nursery setting, so they are not on the rules page.
WARN_Z = 2
IMPLAUSIBLE_Z = 5  # the issue: |z| > 5 is refused unless measured again (WHO flags wfl/BMI/head at 5)
# A child does not shrink; two careful measurements of length still differ by a few mm.
LENGTH_DROP_TOLERANCE_MM = 5
HEAD_UNTIL_MONTHS = 24  # head circumference is measured under 24 months

# What no measuring of a child under 5 can give: refused outright, confirmed or not.
LENGTH_RANGE_MM = (300, 1300)
WEIGHT_RANGE_G = (500, 50000)
HEAD_RANGE_MM = (250, 600)

INDICATOR_NAMES = {
    Indicator.weight_for_age: N_("Weight-for-age (年龄别体重)"),
    Indicator.length_for_age: N_("Length/height-for-age (年龄别身长/身高)"),
    Indicator.weight_for_length: N_("Weight-for-length/height (身长/身高别体重)"),
    Indicator.bmi_for_age: N_("BMI-for-age (年龄别BMI)"),
    Indicator.head_for_age: N_("Head circumference-for-age (年龄别头围)"),
}

# Column heads of the measurements table (the full name is the title).
SHORT_NAMES = {
    Indicator.weight_for_age: N_("Weight/age"),
    Indicator.length_for_age: N_("Length/age"),
    Indicator.weight_for_length: N_("Weight/length"),
    Indicator.bmi_for_age: N_("BMI/age"),
    Indicator.head_for_age: N_("Head/age"),
}

# The WARN messages of latest_flags: plain message ids, translated where shown.
LOW_MESSAGES = {
    Indicator.weight_for_age: N_("Weight-for-age below −2 SD"),
    Indicator.length_for_age: N_("Length/height-for-age below −2 SD"),
    Indicator.weight_for_length: N_("Weight-for-length/height below −2 SD"),
    Indicator.bmi_for_age: N_("BMI-for-age below −2 SD"),
    Indicator.head_for_age: N_("Head circumference-for-age below −2 SD"),
}
HIGH_MESSAGES = {
    Indicator.weight_for_age: N_("Weight-for-age above +2 SD"),
    Indicator.length_for_age: N_("Length/height-for-age above +2 SD"),
    Indicator.weight_for_length: N_("Weight-for-length/height above +2 SD"),
    Indicator.bmi_for_age: N_("BMI-for-age above +2 SD"),
    Indicator.head_for_age: N_("Head circumference-for-age above +2 SD"),
}

# The form field that carries each indicator's implausible-value message.
INDICATOR_FIELDS = {
    Indicator.weight_for_age: "weight_kg",
    Indicator.length_for_age: "length_cm",
    Indicator.weight_for_length: "weight_kg",
    Indicator.bmi_for_age: "weight_kg",
    Indicator.head_for_age: "head_cm",
}

# Refusals of an implausible z-score, one per indicator so each translates whole.
IMPLAUSIBLE_MESSAGES = {
    Indicator.weight_for_age: N_("Weight-for-age is {z} SD, more than 5 SD from the WHO median: implausible."),
    Indicator.length_for_age: N_("Length/height-for-age is {z} SD, more than 5 SD from the WHO median: implausible."),
    Indicator.weight_for_length: N_("Weight-for-length/height is {z} SD, more than 5 SD from the WHO median: implausible."),
    Indicator.bmi_for_age: N_("BMI-for-age is {z} SD, more than 5 SD from the WHO median: implausible."),
    Indicator.head_for_age: N_("Head circumference-for-age is {z} SD, more than 5 SD from the WHO median: implausible."),
}

CONFIRM_NEEDED = N_("Measure again. If the value is right, tick “Confirmed: measured again” and save.")


@dataclass(frozen=True)
class Values:
    """A measurement as entered, in whole units."""

    on_date: date
    length_mm: int | None = None
    position: Position | None = None
    weight_g: int | None = None
    head_mm: int | None = None


def warn_direction(z: float | None) -> str | None:
    """'low' below −2 SD, 'high' above +2 SD (exactly ±2 is not flagged), else None."""
    if z is None:
        return None
    if z < -WARN_Z:
        return "low"
    if z > WARN_Z:
        return "high"
    return None


def warnings(scores: dict[Indicator, float | None]) -> list[str]:
    """The WARN message ids of one measurement's z-scores, in indicator order."""
    messages = []
    for indicator in Indicator:
        direction = warn_direction(scores.get(indicator))
        if direction == "low":
            messages.append(LOW_MESSAGES[indicator])
        elif direction == "high":
            messages.append(HIGH_MESSAGES[indicator])
    return messages


def is_implausible(z: float | None) -> bool:
    return z is not None and abs(z) > IMPLAUSIBLE_Z


def head_expected(birth_date: date, on: date) -> bool:
    # A child registered before birth is not measured yet: treat as a newborn.
    return on < birth_date or completed_months(birth_date, on) < HEAD_UNTIL_MONTHS


def default_position(birth_date: date, on: date) -> Position:
    """WHO: lying under 24 months, standing from 24."""
    return Position.lying if head_expected(birth_date, on) else Position.standing


def input_errors(values: Values, birth_date: date, today: date) -> dict[str, str]:
    """What can never be saved, confirmed or not: {field: message id}."""
    errors: dict[str, str] = {}
    if values.on_date > today:
        errors["on_date"] = N_("This date cannot be in the future.")
    elif values.on_date < birth_date:
        errors["on_date"] = N_("This date is before the child's birth.")
    if values.length_mm is None and values.weight_g is None and values.head_mm is None:
        errors["__all__"] = N_("Enter at least one of length/height, weight or head circumference.")
    if values.length_mm is not None:
        if not LENGTH_RANGE_MM[0] <= values.length_mm <= LENGTH_RANGE_MM[1]:
            errors["length_cm"] = N_("Enter a length/height between 30 and 130 cm.")
        if values.position is None:
            errors["position"] = N_("Choose how the child was measured: lying or standing.")
    if values.weight_g is not None and not WEIGHT_RANGE_G[0] <= values.weight_g <= WEIGHT_RANGE_G[1]:
        errors["weight_kg"] = N_("Enter a weight between 0.5 and 50 kg.")
    if values.head_mm is not None:
        if not HEAD_RANGE_MM[0] <= values.head_mm <= HEAD_RANGE_MM[1]:
            errors["head_cm"] = N_("Enter a head circumference between 25 and 60 cm.")
        elif "on_date" not in errors and not head_expected(birth_date, values.on_date):
            errors["head_cm"] = N_("Head circumference is measured only under 24 months.")
    return errors


def lying_basis_mm(length_mm: int, position: Position) -> int:
    """Length as if measured lying, so measurements on either side of 24 months compare."""
    return length_mm + POSITION_CORRECTION_MM if position == Position.standing else length_mm


def length_drop(earlier_mm: int, later_mm: int) -> bool:
    """True when the later length (lying basis) is lower than the earlier by more than the tolerance."""
    return earlier_mm - later_mm > LENGTH_DROP_TOLERANCE_MM


def implausible_errors(
    scores: dict[Indicator, float | None],
    length_lying_mm: int | None,
    before: tuple[date, int, int] | None,
    after: tuple[date, int, int] | None,
) -> dict[str, Decision]:
    """Implausible values, refused unless confirmed: |z| > 5, or a length below an earlier one.

    `before`/`after`: (date, lying-basis length, length as measured) of the nearest earlier
    and later measurements with a length.
    """
    errors: dict[str, Decision] = {}
    for indicator in Indicator:
        z = scores.get(indicator)
        field = INDICATOR_FIELDS[indicator]
        if is_implausible(z) and field not in errors:
            errors[field] = Decision(Mode.block, IMPLAUSIBLE_MESSAGES[indicator], {"z": f"{z:+.2f}"})
    if length_lying_mm is not None and "length_cm" not in errors:
        if before is not None and length_drop(before[1], length_lying_mm):
            errors["length_cm"] = Decision(
                Mode.block,
                N_("Shorter than on {date} ({length} cm): a child's length does not drop."),
                {"date": before[0].isoformat(), "length": f"{before[2] / 10:.1f}"},
            )
        elif after is not None and length_drop(length_lying_mm, after[1]):
            errors["length_cm"] = Decision(
                Mode.block,
                N_("Longer than on the later date {date} ({length} cm): a child's length does not drop."),
                {"date": after[0].isoformat(), "length": f"{after[2] / 10:.1f}"},
            )
    return errors
