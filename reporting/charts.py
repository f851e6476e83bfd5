"""The dashboard's figures as text and as charts: each figure shown in the
viewer's language ("<5" stays, none is "–"), and bar charts drawn as inline
SVG on the server, each beside its data table. Everything drawn comes from a
report already suppressed (reporting.selectors.region_report)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

PERCENT = frozenset({"share_within_14_days", "utilisation", "no_show_rate", "cancellation_rate", "share"})
DECIMALS = {
    "advice_hours": 1,
    "median_waiting_days": 1,
    "p90_waiting_days": 1,
    "offered_hours": 1,
    "mean_rating": 2,
}
NOT_SHOWN = "–"


def hidden(value: Any) -> bool:
    """A suppressed count ("<5")."""
    return isinstance(value, str)


def number(value: float | int, decimals: int = 0) -> str:
    return number_format(value, decimal_pos=decimals, use_l10n=True, force_grouping=True)


def show(measure: str, value: Any) -> str:
    """A figure as text in the viewer's language: "<5" stays, none is "–"."""
    if isinstance(value, dict):  # coverage
        covered = value["covered"]
        return _("%(covered)s of %(of)s") % {
            "covered": covered if hidden(covered) else number(covered),
            "of": number(value["of"]),
        }
    if value is None:
        return NOT_SHOWN
    if hidden(value):
        return value
    if measure in PERCENT:
        return f"{number(value * 100, 1)}\u00a0%"
    return number(value, DECIMALS.get(measure, 0))


def plain(measure: str, value: Any) -> float | None:
    """The figure as a number for arithmetic and drawing; None when hidden or none."""
    if isinstance(value, dict):
        value = value["covered"]
    if value is None or hidden(value):
        return None
    return float(value) * (100 if measure in PERCENT else 1)


# --- Charts (inline SVG, drawn here) ---------------------------------------------------------

WIDTH = 640
LABEL_WIDTH = 210  # the left column of horizontal charts
VALUE_ROOM = 70  # room right of the longest bar for its figure


@dataclass
class Bar:
    label: str
    value_text: str
    x: float = 0
    y: float = 0
    width: float = 0
    height: float = 0
    text_x: float = 0
    text_y: float = 0
    label_x: float = 0
    label_y: float = 0
    show_label: bool = True
    series: str = "a"
    hidden: bool = False


@dataclass
class Chart:
    id: str
    title: str
    summary: str
    height: float
    bars: list[Bar] = field(default_factory=list)
    headings: list[tuple[float, str]] = field(default_factory=list)  # (y, text) of grouped charts
    baseline: tuple[float, float, float, float] = (0, 0, 0, 0)
    width: int = WIDTH
    legend: list[tuple[str, str]] = field(default_factory=list)  # (series, label)


def short(text: str, limit: int = 28) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def summarise(title: str, items: list[tuple[str, float | None, str]]) -> str:
    """An aria-label: what the chart shows, its largest figure, where the figures are."""
    known = [(label, value, text) for label, value, text in items if value is not None]
    parts = [title + "."]
    if known and max(v for _, v, _ in known) > 0:
        label, _value, text = max(known, key=lambda item: item[1])
        parts.append(_("Highest: %(label)s, %(value)s.") % {"label": label, "value": text})
    if any(value is None for _, value, _ in items):
        parts.append(_("Some figures are hidden (fewer than 5)."))
    parts.append(_("The table below the chart gives every figure."))
    return " ".join(parts)


def column_chart(chart_id: str, title: str, items: list[tuple[str, str, float | None, str]]) -> Chart:
    """Vertical bars, one per item: (long label, short label, value, value text)."""
    top, bottom, left, right = 24, 36, 10, 10
    plot = 180
    height = top + plot + bottom
    slot = (WIDTH - left - right) / max(len(items), 1)
    largest = max((v for *_, v, _ in items if v is not None), default=0) or 1
    every = math.ceil(len(items) / 12) or 1  # at most 12 labels under the bars
    chart = Chart(chart_id, title, summarise(title, [(i[0], i[2], i[3]) for i in items]), height)
    for index, (_label, short_label, value, text) in enumerate(items):
        bar_height = 0 if value is None else plot * value / largest
        x = left + index * slot + slot * 0.15
        chart.bars.append(
            Bar(
                label=short_label,
                value_text=text,
                x=round(x, 1),
                y=round(top + plot - bar_height, 1),
                width=round(slot * 0.7, 1),
                height=round(bar_height, 1),
                text_x=round(x + slot * 0.35, 1),
                text_y=round(top + plot - bar_height - 6, 1),
                label_x=round(x + slot * 0.35, 1),
                label_y=top + plot + 20,
                show_label=index % every == 0,
                hidden=value is None,
            )
        )
    chart.baseline = (left, top + plot, WIDTH - right, top + plot)
    return chart


def bar_chart(chart_id: str, title: str, items: list[tuple[str, float | None, str]]) -> Chart:
    """Horizontal bars, one per item: (label, value, value text)."""
    row, top = 28, 8
    plot = WIDTH - LABEL_WIDTH - VALUE_ROOM
    largest = max((v for _, v, _ in items if v is not None), default=0) or 1
    chart = Chart(chart_id, title, summarise(title, items), top * 2 + row * len(items))
    for index, (label, value, text) in enumerate(items):
        y = top + index * row
        length = 0 if value is None else plot * value / largest
        chart.bars.append(
            Bar(
                label=short(label),
                value_text=text,
                x=LABEL_WIDTH,
                y=y + 4,
                width=round(length, 1),
                height=row - 8,
                text_x=round(LABEL_WIDTH + length + 6, 1),
                text_y=y + row / 2 + 5,
                label_x=LABEL_WIDTH - 8,
                label_y=y + row / 2 + 5,
                hidden=value is None,
            )
        )
    chart.baseline = (LABEL_WIDTH, top, LABEL_WIDTH, top + row * len(items))
    return chart


def grouped_chart(
    chart_id: str, title: str, groups: list[tuple[str, list[tuple[str, str, float | None, str]]]]
) -> Chart:
    """Horizontal bars in groups (one per measure, each on its own scale, so
    the bars compare within a group): (heading, [(series, label, value, text)])."""
    row, heading, gap = 26, 26, 10
    plot = WIDTH - LABEL_WIDTH - VALUE_ROOM
    chart = Chart(chart_id, title, "", 0)
    y = 4.0
    spoken = []
    for name, bars in groups:
        chart.headings.append((y + 18, name))
        y += heading
        largest = max((v for *_, v, _ in bars if v is not None), default=0) or 1
        for series, label, value, text in bars:
            length = 0 if value is None else plot * value / largest
            chart.bars.append(
                Bar(
                    label=label,
                    value_text=text,
                    x=LABEL_WIDTH,
                    y=y + 3,
                    width=round(length, 1),
                    height=row - 6,
                    text_x=round(LABEL_WIDTH + length + 6, 1),
                    text_y=y + row / 2 + 5,
                    label_x=LABEL_WIDTH - 8,
                    label_y=y + row / 2 + 5,
                    series=series,
                    hidden=value is None,
                )
            )
            y += row
        spoken.append(f"{name}: " + ", ".join(f"{label} {text}" for _, label, _, text in bars))
        y += gap
    chart.height = y
    chart.summary = (
        f"{title}. " + "; ".join(spoken) + ". " + _("The table below the chart gives every figure.")
    )
    return chart


def month_short(key: str) -> str:
    return date_format(date(int(key[:4]), int(key[5:7]), 1), "M Y")


def charts(report: dict, names: dict[str, str]) -> dict[str, Chart]:
    def item(measure: str, row: dict) -> tuple[float | None, str]:
        return plain(measure, row[measure]), show(measure, row[measure])

    months = column_chart(
        "chart-months",
        _("Sessions held by month"),
        [(r["label"], month_short(r["key"]), *item("sessions_held", r)) for r in report["by_month"]],
    )
    topics = bar_chart(
        "chart-topics",
        _("Advice hours by topic"),
        [(r["label"], *item("advice_hours", r)) for r in report["by_topic"]],
    )
    places = bar_chart(
        "chart-municipalities",
        _("Enterprises advised by municipality"),
        [(r["label"], *item("unique_enterprises", r)) for r in report["by_municipality"]],
    )
    by_gender = {r["key"]: r for r in report["by_gender"]}
    women, men = by_gender.get("women"), by_gender.get("men")
    groups = []
    if women and men:
        for measure in GENDER_MEASURES:
            groups.append(
                (
                    names[measure],
                    [
                        ("women", women["label"], *item(measure, women)),
                        ("men", men["label"], *item(measure, men)),
                    ],
                )
            )
    gender = grouped_chart("chart-gender", _("Women and men side by side"), groups)
    if women and men:
        gender.legend = [("women", women["label"]), ("men", men["label"])]
    needs = bar_chart(
        "chart-needs",
        _("Bookings by need to take part"),
        [(r["label"], *item("bookings", r)) for r in report["by_need"]],
    )
    return {"months": months, "topics": topics, "municipalities": places, "gender": gender, "needs": needs}


GENDER_MEASURES = ("unique_people", "sessions_held", "advice_hours", "first_time_enterprises", "unmet_demand")
