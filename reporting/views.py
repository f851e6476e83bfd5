"""The coordinator's statistics pages: the dashboard (a period, the headline
figures against the previous period of the same length, the charts of
reporting.charts, each beside its data table, and the downloads) and the
public page of definitions.

Every figure comes from `reporting.selectors.region_report`, already
suppressed (invariant 5): this module and reporting.charts only format and
draw. A hidden count stays "<5" and no change is worked out from a hidden
figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from advisors.models import Coordinator, Region
from backend.formfields import DateField
from backend.types import AuthenticatedHttpRequest
from bookings.forms import SiteForm

from . import periods
from .charts import DECIMALS, GENDER_MEASURES, NOT_SHOWN, PERCENT, charts, hidden, number, plain, show
from .definitions import DEFINITIONS_VERSION, definitions, english_active
from .measures import round_half_up
from .periods import MAX_YEARS, PRESET_MONTHS, last_complete, previous_period, reported_period, years_later
from .selectors import region_report, region_totals

# --- The period asked for -------------------------------------------------------------------

DEFAULT_PERIOD = "quarter"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class PeriodForm(SiteForm):
    """The dashboard's period (and, for staff, region); read from the query string."""

    region = forms.ChoiceField(label=gettext_lazy("Region"), required=False)
    period = forms.ChoiceField(
        label=gettext_lazy("Period"),
        choices=[
            ("month", gettext_lazy("Last month")),
            ("quarter", gettext_lazy("Last quarter")),
            ("half_year", gettext_lazy("Last half year")),
            ("year", gettext_lazy("Last year")),
            ("custom", gettext_lazy("Project period (choose the dates)")),
        ],
        widget=forms.RadioSelect,
        required=False,
    )
    start = DateField(
        label=gettext_lazy("First day"),
        required=False,
        widget=DateInput(),
        help_text=gettext_lazy("Included in the period. For example 2026-01-01."),
    )
    end = DateField(
        label=gettext_lazy("Last day"),
        required=False,
        widget=DateInput(),
        help_text=gettext_lazy(
            "Included in the period. Dates that are not whole months are widened to whole weeks, Monday "
            "to Sunday. For example 2026-06-30."
        ),
    )

    def __init__(self, *args: Any, regions: list[Region] | None = None, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        if regions is None:
            del self.fields["region"]
        else:
            cast(forms.ChoiceField, self.fields["region"]).choices = [("", _("Choose a region"))] + [
                (r.code, f"{r.name} ({r.code})") for r in regions
            ]
            self.fields["region"].required = True
        for name in ("start", "end"):
            self.fields[name].error_messages["invalid"] = _(
                "Enter a date as YYYY-MM-DD, for example 2026-03-31."
            )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        kind = data.get("period") or ("custom" if data.get("start") or data.get("end") else DEFAULT_PERIOD)
        data["period"] = kind
        if kind in PRESET_MONTHS:
            data["start"], data["end"] = last_complete(kind, self.today)
            return data
        if self.errors.get("start") or self.errors.get("end"):
            return data
        start, end = data.get("start"), data.get("end")
        # Dates out of the accepted range were refused by the fields already.
        if start is None:
            self.add_error("start", _("Enter the first day of the project period."))
        if end is None:
            self.add_error("end", _("Enter the last day of the project period."))
        if start and end:
            if end < start:
                self.add_error("end", _("The period cannot end before it starts."))
                return data
            reported = data["start"], data["end"] = reported_period(start, end)
            data["widened"] = reported != (start, end)
            if reported[1] >= years_later(reported[0], MAX_YEARS):
                self.add_error("end", _("The period can be at most three years long."))
        return data


# --- Figures ----------------------------------------------------------------------------------

HEADLINE = (
    "sessions_held",
    "unique_enterprises",
    "first_time_enterprises",
    "advice_hours",
    "median_waiting_days",
    "share_within_14_days",
    "coverage",
    "utilisation",
    "mean_rating",
    "unmet_demand",
)


@dataclass
class Change:
    direction: str  # "up", "down" or "same"
    text: str  # "+3", "−1,5 percentage points"
    spoken: str  # for screen readers: "up by 3"


@dataclass
class Headline:
    key: str
    name: str
    value: str
    previous: str
    change: Change | None
    why_no_change: str = ""


def change_between(measure: str, now: Any, before: Any) -> tuple[Change | None, str]:
    """The change from `before` to `now`, unless either is hidden or undefined."""
    current, previous = plain(measure, now), plain(measure, before)
    if current is None or previous is None:
        return None, _("No comparison: a figure is hidden or not available.")
    decimals = 1 if measure in PERCENT else DECIMALS.get(measure, 0)
    delta = round_half_up(current - previous, decimals)
    amount = number(abs(delta), decimals)
    unit = _(" percentage points") if measure in PERCENT else ""
    if delta > 0:
        return Change(
            "up", f"+{amount}{unit}", _("up by %(amount)s%(unit)s") % {"amount": amount, "unit": unit}
        ), ""
    if delta < 0:
        return (
            Change(
                "down",
                f"\u2212{amount}{unit}",
                _("down by %(amount)s%(unit)s") % {"amount": amount, "unit": unit},
            ),
            "",
        )
    return Change("same", _("no change"), _("no change")), ""


def headlines(report: dict, previous: dict, names: dict[str, str]) -> list[Headline]:
    found = []
    for measure in HEADLINE:
        now, before = report["totals"][measure], previous["totals"][measure]
        change, why = change_between(measure, now, before)
        found.append(
            Headline(measure, names[measure], show(measure, now), show(measure, before), change, why)
        )
    return found


# The tables beside the charts: (breakdown, measures).
TABLES = {
    "months": ("by_month", ("sessions_held", "advice_hours", "bookings")),
    "topics": ("by_topic", ("advice_hours", "sessions_held")),
    "municipalities": ("by_municipality", ("unique_enterprises", "sessions_held")),
}


def follow_up_rows(section: dict) -> dict[str, Any]:
    """The follow-up's answers for its table: per question, yes and the share."""
    answered = section["answered"]
    return {
        "answered": answered if hidden(answered) else number(answered),
        "rows": [
            {"label": o["label"], "cells": [show("count", o["count"]), show("share", o["share"])]}
            for o in section["outcomes"]
        ],
        "columns": [_("Answered yes"), _("Share")],
    }


def table_rows(rows: list[dict], measures: tuple[str, ...]) -> list[dict]:
    return [{"label": r["label"], "cells": [show(m, r[m]) for m in measures]} for r in rows]


def needs_rows(report: dict) -> list[dict]:
    """Per kind of need: its bookings, the sessions held, and the bookings
    where it could not be met (the same kinds, in the same order)."""
    not_met = {r["key"]: r for r in report["by_need_not_met"]}
    return [
        {
            "label": r["label"],
            "cells": [
                show("bookings", r["bookings"]),
                show("sessions_held", r["sessions_held"]),
                show("bookings", not_met[r["key"]]["bookings"]) if r["key"] in not_met else NOT_SHOWN,
            ],
        }
        for r in report["by_need"]
    ]


# --- Views ------------------------------------------------------------------------------------


def _names() -> dict[str, str]:
    english = english_active()
    return {key: entry["name_en" if english else "name_sv"] for key, entry in definitions().items()}


@login_required
@require_GET
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A region's statistics for a period against the period before. The
    region's coordinators see their own; staff choose any; others 403."""
    user = request.user
    regions: list[Region] | None = None
    region: Region | None = None
    if user.is_staff:
        regions = list(Region.objects.order_by("name"))
    else:
        coordinator = Coordinator.objects.filter(user=user).select_related("region").first()
        if coordinator is None:
            raise PermissionDenied
        region = coordinator.region

    asked = any(name in request.GET for name in ("region", "period", "start", "end"))
    form = PeriodForm(request.GET if asked else None, regions=regions, today=periods.today())
    context: dict[str, Any] = {"form": form, "region": region, "is_staff_view": regions is not None}
    if asked and not form.is_valid():
        return render(request, "reporting/dashboard.html", context, status=400)
    if asked:
        kind, start, end = form.cleaned_data["period"], form.cleaned_data["start"], form.cleaned_data["end"]
        if regions is not None:
            region = next(r for r in regions if r.code == form.cleaned_data["region"])
    else:
        kind = DEFAULT_PERIOD
        start, end = last_complete(kind, periods.today())
        form.initial = {"period": kind, "start": start, "end": end}
    if region is None:  # staff who have not chosen a region yet
        return render(request, "reporting/dashboard.html", context)

    before_start, before_end = previous_period(start, end)
    report = region_report(region=region, start=start, end=end)
    # The period before is only compared in the headlines: its totals suffice.
    previous = region_totals(region=region, start=before_start, end=before_end)
    names = _names()
    api = reverse("v1:statistics-region", args=[region.code])
    period = {"start": start.isoformat(), "end": end.isoformat()}
    context.update(
        {
            "region": region,
            "kind": kind,
            "start": start,
            "end": end,
            "widened": asked and form.cleaned_data.get("widened", False),
            "before_start": before_start,
            "before_end": before_end,
            "report": report,
            "headlines": headlines(report, previous, names),
            "charts": charts(report, names),
            "names": names,
            **{
                f"{name}_{part}": value
                for name, (breakdown, measures) in TABLES.items()
                for part, value in (
                    ("table", table_rows(report[breakdown], measures)),
                    ("columns", [names[m] for m in measures]),
                )
            },
            "gender_rows": [
                {"label": names[m], "cells": [show(m, r[m]) for r in report["by_gender"]]}
                for m in GENDER_MEASURES
            ],
            "gender_columns": [r["label"] for r in report["by_gender"]],
            "needs_rows": needs_rows(report),
            "needs_columns": [names["bookings"], names["sessions_held"], names["by_need_not_met"]],
            "follow_up": follow_up_rows(report["follow_up"]),
            "csv_url": f"{api}?{urlencode({**period, 'format': 'csv', 'dialect': 'excel'})}",
            "xlsx_url": f"{api}?{urlencode({**period, 'format': 'xlsx'})}",
        }
    )
    return render(request, "reporting/dashboard.html", context)


def definitions_page(request: HttpRequest) -> HttpResponse:
    """Every measure, breakdown and note of the report, in the viewer's
    language first and the other below. Public: funders read it too."""
    english = english_active()
    mine, other = ("en", "sv") if english else ("sv", "en")
    kinds = (
        ("measure", _("Measures")),
        ("breakdown", _("Breakdowns")),
        ("note", _("Notes")),
    )
    texts = definitions()
    sections = [
        {
            "kind": kind,
            "title": title,
            "entries": [
                {
                    "key": key,
                    "name": entry[f"name_{mine}"],
                    "text": entry[mine],
                    "other_name": entry[f"name_{other}"],
                    "other_text": entry[other],
                }
                for key, entry in texts.items()
                if entry.get("kind") == kind
            ],
        }
        for kind, title in kinds
    ]
    other_label = "In English" if other == "en" else "På svenska"
    return render(
        request,
        "reporting/definitions.html",
        {
            "sections": sections,
            "other_language": other,
            "other_label": other_label,
            "version": DEFINITIONS_VERSION,
        },
    )
