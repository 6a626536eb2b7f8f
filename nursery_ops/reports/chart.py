"""Horizontal bar charts as numbers for an SVG (templates/reports/_bar_chart.html draws them).

Bars may be stacked from several series (e.g. care types within an age band); an optional
limit draws a line across (e.g. the filed capacity). Pure geometry, no JavaScript.
"""

from dataclasses import dataclass
from math import ceil

WIDTH = 720
LABEL_WIDTH = 190  # room for a band, a room or a category name
RIGHT = 56  # room for the total after the longest bar
TOP, ROW, BAR, AXIS = 8, 30, 20, 28
# Colour-blind-safe series colours (Okabe–Ito), as presentation attributes: the CSP forbids inline styles.
COLOURS = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000")


@dataclass(frozen=True)
class Segment:
    x: float
    width: float
    value: int
    colour: str
    series: str


@dataclass(frozen=True)
class Bar:
    label: str
    y: float
    total: int
    end_x: float
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class BarChart:
    title: str
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]
    series: tuple[tuple[str, str], ...]  # (name, colour) for the legend; one series needs none
    limit_x: float | None
    limit_label: str
    width: int = WIDTH
    left: int = LABEL_WIDTH
    plot_right: int = WIDTH - RIGHT
    top: int = TOP
    bar_height: int = BAR

    @property
    def axis_y(self) -> float:
        return TOP + ROW * len(self.bars)

    @property
    def height(self) -> float:
        return self.axis_y + AXIS + (22 if len(self.series) > 1 else 0)


def nice_step(largest: int, ticks: int = 5) -> int:
    """A round tick step (1, 2, 5 × 10ⁿ) that covers `largest` in about `ticks` steps."""
    if largest <= ticks:
        return 1
    raw = largest / ticks
    magnitude = 10 ** (len(str(ceil(raw))) - 1)
    for factor in (1, 2, 5, 10):
        if factor * magnitude >= raw:
            return factor * magnitude
    return 10 * magnitude


def bar_chart(
    title: str,
    rows: list[tuple[str, list[int]]],
    series: list[str] | None = None,
    limit: int | None = None,
    limit_label: str = "",
) -> BarChart:
    """One bar per row (label, values per series), stacked left to right in series order.

    Labels and series names are shown as given: translate them before calling.
    """
    names = series or [""]
    largest = max([sum(values) for _, values in rows] + [limit or 0, 1])
    step = nice_step(largest)
    scale_max = step * ceil(largest / step)
    span = WIDTH - RIGHT - LABEL_WIDTH

    def x_at(value: float) -> float:
        return round(LABEL_WIDTH + span * value / scale_max, 1)

    bars = []
    for index, (label, values) in enumerate(rows):
        segments, running = [], 0
        for position, value in enumerate(values):
            if value > 0:
                segments.append(Segment(
                    x_at(running), round(x_at(running + value) - x_at(running), 1), value,
                    COLOURS[position % len(COLOURS)], names[position] if position < len(names) else "",
                ))
            running += value
        bars.append(Bar(label, TOP + ROW * index + (ROW - BAR) / 2, running, x_at(running), tuple(segments)))
    ticks = tuple(Tick(x_at(value), str(value)) for value in range(0, scale_max + 1, step))
    legend = tuple((name, COLOURS[i % len(COLOURS)]) for i, name in enumerate(names)) if len(names) > 1 else ()
    return BarChart(title, tuple(bars), ticks, legend, x_at(limit) if limit is not None else None, limit_label)
