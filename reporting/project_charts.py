"""A funding project's report as the report page shows it: each figure as
text in the viewer's language, and the chart of the cumulative indicators
at the end of each period up to the chosen one, beside its data table
(reporting.charts draws it, as on the statistics page).

The cumulative values at each earlier period's end come from the chosen
period's one report (reporting.project_report): its sessions, from the
project's start, cut at that period's end, counted by the same
`indicator_values`, so no figure is counted twice in two ways."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .charts import Chart, grouped_chart, number
from .definitions import project_name
from .models import ReportingPeriod
from .project_report import ProjectReport, indicator_values, shown_values

NOT_SHOWN = "–"
# The chart leaves out the indicators Rådtid cannot count yet (always 0).
CHARTED = (
    "enterprises_supported",
    "enterprises_supported_women_led",
    "participants",
    "participants_women",
    "participants_men",
    "sessions_held",
    "advice_hours",
)


def figure(indicator: str, value: Any) -> str:
    """A value as text: "<5" stays, a value not shown is "–", hours with two decimals."""
    if value is None:
        return NOT_SHOWN
    if isinstance(value, str):
        return value
    return number(value, 2 if indicator == "advice_hours" else 0)


def plain(value: Any) -> float | None:
    return None if value is None or isinstance(value, str) else float(value)


@dataclass(frozen=True)
class PeriodValues:
    period: ReportingPeriod
    values: dict[str, Any]  # exact, since the project's start to the period's end


def cumulative_by_period(report: ProjectReport) -> list[PeriodValues]:
    """The cumulative values at the end of each period up to the report's,
    from the report's own sessions. No query beyond the project's periods."""
    periods = [p for p in report.project.periods.all() if p.number <= report.period.number]
    return [
        PeriodValues(period, indicator_values([s for s in report.sessions if s.day <= period.end]))
        for period in periods
    ]


def period_label(period: ReportingPeriod) -> str:
    return _("Period %(number)s (to %(end)s)") % {
        "number": period.number,
        "end": date_format(period.end, "j F Y"),
    }


def cumulative_chart(rows: list[PeriodValues], *, exact: bool) -> tuple[Chart, dict[str, Any]]:
    """The chart of the cumulative indicators per period and its data table
    (`columns`, `rows` for reporting/_table.html): one row per indicator,
    one column per period, each figure as the viewer may see it."""
    shown = [(row.period, shown_values(row.values, exact=exact)) for row in rows]
    groups = [
        (
            project_name(indicator),
            [
                ("a", period_label(period), plain(values[indicator]), figure(indicator, values[indicator]))
                for period, values in shown
            ],
        )
        for indicator in CHARTED
    ]
    chart = grouped_chart(
        "chart-cumulative", _("Since the project's start, at the end of each period"), groups
    )
    table = {
        "columns": [period_label(period) for period, _values in shown],
        "rows": [
            {
                "key": indicator,
                "label": project_name(indicator),
                "cells": [figure(indicator, values[indicator]) for _period, values in shown],
            }
            for indicator in CHARTED
        ],
    }
    return chart, table
