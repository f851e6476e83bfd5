"""Forms of the public directory and the coordinator's advisor pages. They only
parse: choices come from the selectors, writes go through the services."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from backend.formfields import DateField

from .models import Language, MeetingMode, Region, Topic

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# How far from today the free-time picker may be asked to look. Past days hold
# no free times, and no advisor takes bookings years ahead; the bound also
# keeps date arithmetic far from date.max.
WEEK_PAST_DAYS = 366
WEEK_FUTURE_DAYS = 2 * 366


class SiteForm(forms.Form):
    """A form whose labels stand alone, without Django's trailing colon."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class DirectoryFilterForm(SiteForm):
    """The directory's filters, as codes and slugs (the API's vocabulary)."""

    region = forms.ChoiceField(
        label=_("Region"),
        required=False,
        error_messages={"invalid_choice": _("Choose a region from the list.")},
    )
    municipality = forms.ChoiceField(
        label=_("Municipality"),
        required=False,
        help_text=_("A municipality also chooses its region."),
        error_messages={"invalid_choice": _("Choose a municipality from the list.")},
    )
    topic = forms.ChoiceField(
        label=_("Topic"),
        required=False,
        error_messages={"invalid_choice": _("Choose a topic from the list.")},
    )
    mode = forms.ChoiceField(
        label=_("Meeting mode"),
        required=False,
        choices=[("", _("Any way of meeting")), *MeetingMode.choices],
        error_messages={"invalid_choice": _("Choose a meeting mode from the list.")},
    )
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        error_messages={"invalid_choice": _("Choose a language from the list.")},
    )

    def __init__(
        self,
        *args,
        regions: Iterable[Region],
        topics: Iterable[Topic],
        languages: Iterable[Language],
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.regions = regions = list(regions)
        cast(forms.ChoiceField, self.fields["region"]).choices = [
            ("", _("Any region")),
            *((r.code, _region_label(r)) for r in regions),
        ]
        self.narrow_municipalities(None)
        # With htmx, choosing a region narrows the municipalities to its own
        # (directory:municipalities answers with the narrowed select).
        self.fields["region"].widget.attrs.update(
            {
                "hx-get": reverse_lazy("directory:municipalities"),
                "hx-trigger": "change",
                "hx-include": "#id_municipality",
                "hx-target": "#id_municipality",
                "hx-swap": "outerHTML",
            }
        )
        if self.is_bound:
            self.data = self._municipality_wins(self.data)
        cast(forms.ChoiceField, self.fields["topic"]).choices = [
            ("", _("Any topic")),
            *((t.slug, t.name) for t in topics),
        ]
        cast(forms.ChoiceField, self.fields["language"]).choices = [
            ("", _("Any language")),
            *sorted(((lang.code, lang.name) for lang in languages), key=lambda c: c[1]),
        ]

    def narrow_municipalities(self, region: str | None) -> None:
        """Offer the municipalities of `region` only; all of them, grouped by
        region (<optgroup>s), when it is None or not a region."""
        groups = [r for r in self.regions if r.code == region] or self.regions
        cast(forms.ChoiceField, self.fields["municipality"]).choices = [
            ("", _("Any municipality")),
            *((r.name, [(m.code, m.name) for m in r.municipalities.all()]) for r in groups),
        ]

    def _municipality_wins(self, data: Any) -> Any:  # a QueryDict, or a dict in tests
        """A municipality implies its region, so a region and a municipality
        can never disagree: a known municipality sets the region (an old link
        naming another region shows the municipality's, with no error)."""
        municipality = data.get("municipality", "")
        # A municipality code starts with its region's code ("2080" is in "20").
        region = next((r.code for r in self.regions if municipality.startswith(r.code)), None)
        known = region is not None and any(
            m.code == municipality for r in self.regions if r.code == region for m in r.municipalities.all()
        )
        if not known or data.get("region") == region:
            return data
        data = data.copy()
        data["region"] = region
        return data

    def filters(self) -> dict[str, str]:
        """The chosen filters, as keyword arguments for selectors.advisor_directory."""
        return {name: value for name, value in self.cleaned_data.items() if value}


def _region_label(region: Region) -> StrOrPromise:
    # `has_advisors` comes from selectors.directory_regions; a region without
    # it (another caller's list) is not marked.
    if getattr(region, "has_advisors", True):
        return region.name
    return _("%(region)s (no advisors yet)") % {"region": region.name}


class FreeTimesForm(SiteForm):
    """From which day the free-time picker (advisors.picker) looks for free
    times, and for which session length. Each field that does not parse falls
    back to its default; the error says so, and the picker shows it beside the
    date field. Without `session_lengths` the length is fixed (a booking being
    moved keeps its own) and not asked."""

    week = forms.RegexField(
        regex=r"^[0-9]{4}-W[0-9]{2}$",
        required=False,
        error_messages={"invalid": _("We could not read that week, so the free times from today are shown.")},
    )
    start = DateField(
        label=_("Show free times from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "invalid": _("We could not read that date, so the free times from today are shown."),
            "out_of_range": _(
                "There are no free times that far away, so the free times from today are shown."
            ),
            # The same words for a date beyond what any form takes (backend.limits).
            "date_range": _("There are no free times that far away, so the free times from today are shown."),
        },
    )
    duration = forms.TypedChoiceField(label=_("Length of the meeting"), required=False, coerce=int)

    def __init__(self, *args, session_lengths: Sequence[int] | None, today: date, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.session_lengths = list(session_lengths or [])
        if session_lengths is None:
            del self.fields["duration"]
            return
        cast(forms.ChoiceField, self.fields["duration"]).choices = [
            (minutes, _("%(minutes)s minutes") % {"minutes": minutes}) for minutes in self.session_lengths
        ]
        offered = ", ".join(str(m) for m in self.session_lengths)
        self.fields["duration"].error_messages["invalid_choice"] = _(
            "This advisor offers meetings of %(offered)s minutes, so the first of them is shown."
        ) % {"offered": offered}

    def clean_week(self) -> date | None:
        value = self.cleaned_data["week"]
        if not value:
            return None
        year, week = value.split("-W")
        try:
            monday = date.fromisocalendar(int(year), int(week), 1)
        except ValueError:
            raise forms.ValidationError(
                self.fields["week"].error_messages["invalid"], code="invalid"
            ) from None
        return self._within_range(monday)

    def clean_start(self) -> date | None:
        value = self.cleaned_data["start"]
        return self._within_range(value) if value else None

    def _within_range(self, day: date) -> date:
        earliest = self.today - timedelta(days=WEEK_PAST_DAYS)
        latest = self.today + timedelta(days=WEEK_FUTURE_DAYS)
        if not earliest <= day <= latest:
            raise forms.ValidationError(
                self.fields["start"].error_messages["out_of_range"], code="out_of_range"
            )
        return day

    def chosen_first_day(self) -> date:
        """The day asked for: the ISO week's Monday, the start date, or today;
        whatever of them parsed, in that order."""
        data = getattr(self, "cleaned_data", {})
        return data.get("week") or data.get("start") or self.today

    def chosen_duration(self) -> int:
        data = getattr(self, "cleaned_data", {})
        return data.get("duration") or (self.session_lengths[0] if self.session_lengths else 60)


class AdvisorInviteForm(SiteForm):
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        error_messages={
            "required": _("Enter the advisor's email address."),
            "invalid": _("Enter an email address like name@example.se."),
        },
    )
    full_name = forms.CharField(
        label=_("Full name"),
        max_length=150,
        error_messages={"required": _("Enter the advisor's full name.")},
    )
    organisation = forms.CharField(
        label=_("Organisation"),
        max_length=150,
        help_text=_("For example Coompanion Dalarna, Almi or Region Dalarna."),
        error_messages={"required": _("Enter the organisation the advisor works for.")},
    )
    title = forms.CharField(label=_("Title"), max_length=150, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs["autocomplete"] = "off"
        self.fields["full_name"].widget.attrs["autocomplete"] = "off"
