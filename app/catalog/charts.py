"""The coverage chart's geometry: a horizontal stacked bar per department, drawn as SVG.

The template draws what this computes, so the page needs no script and no chart library;
the same figures are in the table beside it for readers who cannot see the chart.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.catalog.coverage import Coverage

BAR_HEIGHT = 22
BAR_GAP = 10
LABEL_WIDTH = 220
PLOT_WIDTH = 360
TOP = 10


@dataclass(frozen=True)
class Segment:
    classification: str
    x: float
    width: float
    count: int


@dataclass(frozen=True)
class Bar:
    label: str
    y: float
    total: int
    end_x: float
    segments: list[Segment]


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    label_width: int
    bar_height: int
    bars: list[Bar]


def coverage_chart(coverage: Coverage) -> Chart:
    """Bars scaled to the department publishing most; each split by classification."""
    largest = coverage.largest or 1
    scale = PLOT_WIDTH / largest
    bars = []
    for index, row in enumerate(coverage.rows):
        x = float(LABEL_WIDTH)
        segments = []
        for classification in coverage.classifications:
            count = row.counts.get(classification, 0)
            if count:
                segments.append(Segment(classification, x, count * scale, count))
                x += count * scale
        y = TOP + index * (BAR_HEIGHT + BAR_GAP)
        bars.append(Bar(row.department.name, y, row.total, x, segments))
    height = TOP * 2 + len(bars) * (BAR_HEIGHT + BAR_GAP)
    return Chart(LABEL_WIDTH + PLOT_WIDTH + 50, height, LABEL_WIDTH, BAR_HEIGHT, bars)
