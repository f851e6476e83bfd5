"""The forms of the funding projects' pages and of the de minimis declaration."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from advisors.models import Advisor, Coordinator, Region, Topic
from backend.formfields import DateField, ModelChoiceField, ModelMultipleChoiceField
from bookings.forms import SiteForm

from .deminimis import MAX_DECLARED_EUR
from .models import ExportReason, Funder, FundingProject
from .projects import MAX_PERIODS, ProjectData


class DateInput(forms.DateInput):
    input_type = "date"


def _rows_wanted(data: Any, project: FundingProject | None) -> int:
    """Period rows to show: the project's periods and three empty ones; on a
    POST, as many as the page had (bounded)."""
    if data is not None:
        try:
            return max(1, min(int(data.get("period_rows", 1)), MAX_PERIODS))
        except (TypeError, ValueError):
            return 1
    existing = len(project.periods.all()) if project else 0
    return min(existing + 3, MAX_PERIODS)


class ProjectForm(SiteForm):
    """A funding project with its reporting periods, one row of dates each
    (empty rows are left out)."""

    region = forms.ChoiceField(label=_("Region"))
    name = forms.CharField(label=_("Name"), max_length=200)
    funder = forms.ChoiceField(label=_("Funder"), choices=Funder.choices)
    reference = forms.CharField(
        label=_("Reference number"), max_length=100, required=False, help_text=_("The funder's case number.")
    )
    start = DateField(label=_("First day"), widget=DateInput())
    end = DateField(label=_("Last day"), widget=DateInput(), help_text=_("Included in the project."))
    hourly_aid_value_sek = forms.DecimalField(
        label=_("Aid value per hour of advice (SEK)"),
        max_digits=10,
        decimal_places=2,
        min_value=Decimal(0),
        help_text=_("What an hour of advice is worth as de minimis aid, as the funder calculates it."),
    )
    topics = ModelMultipleChoiceField(
        label=_("Topics"),
        queryset=Topic.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only sessions on these topics belong to the project. None chosen: every topic."),
    )
    advisors = ModelMultipleChoiceField(
        label=_("Advisors"),
        queryset=Advisor.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Only these advisors' sessions belong to the project. None chosen: every advisor of the region."
        ),
    )
    period_rows = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self, data: Any = None, *, regions: list[Region], project: FundingProject | None = None, **kwargs: Any
    ) -> None:
        self.rows = _rows_wanted(data, project)
        initial: dict[str, Any] = {"period_rows": self.rows}
        if project is not None:
            initial |= {
                "region": project.region_id,
                "name": project.name,
                "funder": project.funder,
                "reference": project.reference,
                "start": project.start,
                "end": project.end,
                "hourly_aid_value_sek": project.hourly_aid_value_sek,
                "topics": list(project.topics.all()),
                "advisors": list(project.advisors.all()),
            }
            for number, period in enumerate(project.periods.all(), start=1):
                initial[f"period_{number}_start"] = period.start
                initial[f"period_{number}_end"] = period.end
        super().__init__(data, initial=initial, **kwargs)
        region_field = cast(forms.ChoiceField, self.fields["region"])
        region_field.choices = [(r.code, r.name) for r in regions]
        if len(regions) == 1:
            region_field.widget = forms.HiddenInput()
            region_field.initial = regions[0].code
        codes = [r.code for r in regions]
        cast(forms.ModelMultipleChoiceField, self.fields["topics"]).queryset = Topic.objects.filter(
            is_active=True
        )
        cast(forms.ModelMultipleChoiceField, self.fields["advisors"]).queryset = (
            Advisor.objects.filter(region_id__in=codes, is_active=True)
            .select_related("user")
            .order_by("user__full_name")
        )
        self.regions = {r.code: r for r in regions}
        for number in range(1, self.rows + 1):
            for part, label in (("start", _("First day")), ("end", _("Last day"))):
                self.fields[f"period_{number}_{part}"] = DateField(
                    label=f"{label} ({_('period')} {number})", required=False, widget=DateInput()
                )

    def period_rows_bound(self) -> list[tuple[int, forms.BoundField, forms.BoundField]]:
        return [(n, self[f"period_{n}_start"], self[f"period_{n}_end"]) for n in range(1, self.rows + 1)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for number in range(1, self.rows + 1):
            first, last = data.get(f"period_{number}_start"), data.get(f"period_{number}_end")
            if (
                (first is None) != (last is None)
                and not self.has_error(f"period_{number}_start")
                and not self.has_error(f"period_{number}_end")
            ):
                self.add_error(
                    f"period_{number}_end" if last is None else f"period_{number}_start",
                    _("Give both the first and the last day of the period."),
                )
        return data

    def periods(self) -> list[tuple[date, date]]:
        found = []
        for number in range(1, self.rows + 1):
            first = self.cleaned_data.get(f"period_{number}_start")
            last = self.cleaned_data.get(f"period_{number}_end")
            if first and last:
                found.append((first, last))
        return sorted(found)

    def project_data(self) -> ProjectData:
        data = self.cleaned_data
        return ProjectData(
            region=self.regions[data["region"]],
            name=data["name"],
            funder=data["funder"],
            reference=data["reference"],
            start=data["start"],
            end=data["end"],
            hourly_aid_value_sek=data["hourly_aid_value_sek"],
            periods=self.periods(),
            topics=list(data["topics"]),
            advisors=list(data["advisors"]),
        )


class BookingProjectForm(SiteForm):
    """The booking's advisor puts it in another matching project, or none."""

    project = forms.ChoiceField(label=_("Funding project"), required=False)

    def __init__(self, *args: Any, projects: list[FundingProject], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["project"])
        field.choices = [(p.pk, p.name) for p in projects] + [("", _("In no project"))]


class DeMinimisForm(SiteForm):
    aid_last_three_years_eur = forms.DecimalField(
        label=_("De minimis aid received in the last three years (EUR)"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal(0),
        max_value=MAX_DECLARED_EUR,
        help_text=_(
            "All de minimis aid the enterprise received from any public body in the last three years, in euros. "
            "Write 0 if none."
        ),
    )


class OwnerForm(SiteForm):
    """Another coordinator of the project's region, to give the owner right to."""

    coordinator = ModelChoiceField(label=_("Give the owner right to"), queryset=Coordinator.objects.none())

    def __init__(self, *args: Any, project: FundingProject, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["coordinator"]).queryset = (
            Coordinator.objects.filter(region_id=project.region_id)
            .exclude(pk__in=project.owners.values("pk"))
            .select_related("user")
            .order_by("user__email")
        )


class PeriodCloseForm(SiteForm):
    """Closing a reporting period: the owner confirms, as it cannot be undone."""

    confirm = forms.BooleanField(
        label=_("I have checked the figures, and I know that a closed period cannot be opened again"),
        error_messages={"required": _("Tick the box to confirm that you want to close the period.")},
    )


class ParticipantExportForm(SiteForm):
    """Why the participant list leaves Rådtid (reporting.project_report checks it again)."""

    reason = forms.ChoiceField(
        label=_("Why do you export the participant list?"),
        choices=[("", _("Choose a reason")), *ExportReason.choices],
        error_messages={"required": _("Say why you export the participant list.")},
    )
    reason_text = forms.CharField(
        label=_("Which reason"),
        max_length=200,
        required=False,
        help_text=_("Required when the reason is “Other”: say in a few words why."),
    )
