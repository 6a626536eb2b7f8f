"""Growth charts as numbers for an SVG: WHO curves at −3, −2, 0, +2, +3 SD and the child's points.

Pure geometry: the template (templates/growth/_chart.html) draws what this computes, so the
page and the standalone .svg share one drawing and no JavaScript is needed.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from math import ceil

from nursery_ops.children.models import Child
from nursery_ops.growth.rules import INDICATOR_NAMES, lying_basis_mm
from nursery_ops.growth.who import (
    HEIGHT_FROM_DAYS,
    LAST_DAY,
    POSITION_CORRECTION_MM,
    WFH_RANGE,
    WFL_RANGE,
    Indicator,
    age_curve,
    corrected_length_mm,
    length_curve,
)
from nursery_ops.i18n import N_

SDS = (-3, -2, 0, 2, 3)
WIDTH, HEIGHT = 720, 440
LEFT, RIGHT, TOP, BOTTOM = 56, 40, 16, 48  # margins around the plot
DAYS_PER_MONTH = 365.25 / 12
CHART_MONTHS = 36  # the nursery's age range

Y_LABELS = {
    Indicator.weight_for_age: N_("Weight (kg)"),
    Indicator.length_for_age: N_("Length/height (cm)"),
    Indicator.weight_for_length: N_("Weight (kg)"),
    Indicator.bmi_for_age: N_("BMI (kg/m²)"),
    Indicator.head_for_age: N_("Head circumference (cm)"),
}


@dataclass(frozen=True)
class Curve:
    sd: int
    segments: list[str]  # SVG polyline "x,y x,y ..." (split where WHO switches from length to height)
    label_y: float


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    on_date: date
    value: str  # as shown, e.g. "11.25"
    z: float | None
    warn: bool


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True)
class Chart:
    indicator: Indicator
    title: str  # message id
    x_label: str  # message id
    y_label: str  # message id
    curves: list[Curve]
    points: list[Point]
    line: str  # the child's points joined, oldest first
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    top: int = TOP
    right_edge: int = WIDTH - RIGHT
    bottom_edge: int = HEIGHT - BOTTOM


def _nice_step(span: float, target: int = 8) -> float:
    raw = span / target
    for step in (0.5, 1, 2, 5, 10, 20, 50):
        if step >= raw:
            return step
    return 100


def _value_of(indicator: Indicator, line) -> tuple[float, str] | None:
    """The child's value for the chart's y axis (length on the table's basis, as WHO plots it)."""
    m = line.measurement
    if indicator == Indicator.weight_for_age and m.weight_g:
        return m.weight_g / 1000, f"{m.weight_g / 1000:.2f}"
    if indicator == Indicator.head_for_age and m.head_mm:
        return m.head_mm / 10, f"{m.head_mm / 10:.1f}"
    if m.length_mm is None or m.position is None:
        return None
    length_cm = corrected_length_mm(m.length_mm, m.position, line.age_days) / 10
    if indicator == Indicator.length_for_age:
        return length_cm, f"{m.length_mm / 10:.1f}"
    if indicator == Indicator.bmi_for_age and m.weight_g:
        bmi = (m.weight_g / 1000) / (length_cm / 100) ** 2
        return bmi, f"{bmi:.1f}"
    return None


def build_chart(indicator: Indicator, child: Child, lines: list) -> Chart:
    """The chart of one indicator for the child's sex, with the child's (not voided) measurements."""
    lines = [line for line in lines if line.measurement.voided_at is None]
    if indicator == Indicator.weight_for_length:
        return _length_chart(child, lines)
    # 0–36 months, widened by half-years for a child measured when older.
    oldest = max((line.age_days for line in lines if line.age_days <= LAST_DAY), default=0)
    months = max(CHART_MONTHS, 6 * ceil(oldest / DAYS_PER_MONTH / 6))
    last_day = min(LAST_DAY, round(months * DAYS_PER_MONTH))
    # Weekly, plus both sides of the length/height switch so its step is drawn where WHO puts it.
    days = sorted({*range(0, last_day + 1, 7), last_day, HEIGHT_FROM_DAYS - 1, HEIGHT_FROM_DAYS})
    curves_raw = {sd: age_curve(indicator, child.sex, sd, days) for sd in SDS}
    points_raw = []
    for line in lines:
        if (value := _value_of(indicator, line)) is not None and 0 <= line.age_days <= last_day:
            points_raw.append((float(line.age_days), value[0], value[1], line))
    x_range = (0.0, float(last_day))
    # WHO's length and height tables (and so BMI) meet at 731 days with a step: draw two segments.
    split = HEIGHT_FROM_DAYS if indicator in (Indicator.length_for_age, Indicator.bmi_for_age) else None
    months = int(last_day // DAYS_PER_MONTH)
    x_ticks = [(month * DAYS_PER_MONTH, str(month)) for month in range(0, months + 1, 3)]
    return _assemble(indicator, N_("Age (months)"), curves_raw, points_raw, x_range, x_ticks, split)


def _length_chart(child: Child, lines: list) -> Chart:
    """Weight-for-length (lying, under 2) or weight-for-height (standing, from 2), by the latest measurement's age."""
    measured = [line for line in lines if line.measurement.weight_g and line.measurement.length_mm and line.measurement.position]
    height = bool(measured) and measured[-1].age_days >= HEIGHT_FROM_DAYS
    low, high = WFH_RANGE if height else WFL_RANGE
    lengths = [Decimal(tenth) / 10 for tenth in range(int(low * 10), int(high * 10) + 1, 5)]
    curves_raw = {sd: [(float(x), y) for x, y in length_curve(child.sex, sd, lengths, height=height)] for sd in SDS}
    points_raw = []
    for line in measured:
        m = line.measurement
        lying = lying_basis_mm(m.length_mm, m.position)
        x = (lying - POSITION_CORRECTION_MM if height else lying) / 10
        if float(low) <= x <= float(high):
            points_raw.append((x, m.weight_g / 1000, f"{m.weight_g / 1000:.2f}", line))
    x_ticks = [(float(cm), str(cm)) for cm in range(int(low), int(high) + 1, 5)]
    x_label = N_("Height (cm)") if height else N_("Length (cm)")
    return _assemble(Indicator.weight_for_length, x_label, curves_raw, points_raw, (float(low), float(high)), x_ticks, None)


def _assemble(indicator, x_label, curves_raw, points_raw, x_range, x_ticks_raw, split) -> Chart:
    values = [y for curve in curves_raw.values() for _, y in curve] + [p[1] for p in points_raw]
    y_low, y_high = min(values), max(values)
    step = _nice_step(y_high - y_low)
    y_low = (y_low // step) * step
    y_high = -(-y_high // step) * step
    x0, x1 = x_range
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def sx(x: float) -> float:
        return round(LEFT + (x - x0) / (x1 - x0) * plot_w, 1)

    def sy(y: float) -> float:
        return round(TOP + (y_high - y) / (y_high - y_low) * plot_h, 1)

    curves = []
    for sd, curve in curves_raw.items():
        parts: list[list[str]] = [[]]
        for x, y in curve:
            if split is not None and x == split and parts[-1]:
                parts.append([])
            parts[-1].append(f"{sx(x)},{sy(y)}")
        curves.append(Curve(sd, [" ".join(part) for part in parts if part], sy(curve[-1][1]) if curve else 0))
    points = []
    for x, y, shown, line in sorted(points_raw, key=lambda p: (p[3].measurement.on_date, p[3].measurement.id)):
        z = line.scores.get(indicator)
        points.append(Point(sx(x), sy(y), line.measurement.on_date, shown, z, line.directions.get(indicator) is not None))
    y_ticks = []
    tick = y_low
    while tick <= y_high + 1e-9:
        y_ticks.append(Tick(sy(tick), f"{tick:g}"))
        tick += step
    return Chart(
        indicator,
        INDICATOR_NAMES[indicator],
        x_label,
        Y_LABELS[indicator],
        curves,
        points,
        " ".join(f"{p.x},{p.y}" for p in points),
        [Tick(sx(x), label) for x, label in x_ticks_raw if x0 <= x <= x1],
        y_ticks,
    )
