"""The waitlist's pages: the person's entries, joining, claiming, withdrawing."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from advisors.models import MeetingMode, Region, Topic
from advisors.picker import FreeTimes, free_times
from advisors.selectors import bookable_advisors
from backend.errors import add_to_form
from backend.formfields import ModelChoiceField, PhoneField
from backend.moments import moment_text
from backend.phone import normalise_phone
from backend.types import AuthenticatedHttpRequest

from . import waitlist
from .forms import SiteForm
from .models import WaitlistEntry, WaitlistStatus
from .services import BookingError, SlotTaken

# --- Forms -------------------------------------------------------------------


class JoinTargetForm(forms.Form):
    """Which waitlist: `advisor`, or `region` and `topic`, from the query string."""

    advisor = ModelChoiceField(
        queryset=bookable_advisors().select_related("user", "region"),
        required=False,
        widget=forms.HiddenInput,
    )
    region = ModelChoiceField(queryset=Region.objects.all(), required=False, widget=forms.HiddenInput)
    topic = ModelChoiceField(
        queryset=Topic.objects.filter(is_active=True),
        to_field_name="slug",
        required=False,
        widget=forms.HiddenInput,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        advisor, region, topic = data.get("advisor"), data.get("region"), data.get("topic")
        if self.errors:
            return data
        if advisor is not None and (region is not None or topic is not None):
            raise forms.ValidationError(
                gettext_lazy("Choose either an advisor, or a topic in a region, not both.")
            )
        if advisor is None and (region is None or topic is None):
            raise forms.ValidationError(gettext_lazy("Choose an advisor, or a region and a topic."))
        return data


class ClaimForm(SiteForm):
    """Booking the offered slot: what about and how to meet. The way of
    meeting is asked, never preselected: a default would book a phone call
    for someone who did not notice the question."""

    topic = ModelChoiceField(
        queryset=Topic.objects.none(),
        to_field_name="slug",
        label=gettext_lazy("Topic"),
        empty_label=None,
        error_messages={"invalid_choice": gettext_lazy("Choose one of the advisor's topics.")},
    )
    mode = forms.ChoiceField(
        label=gettext_lazy("How would you like to meet?"),
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy("Choose how you would like to meet."),
            "invalid_choice": gettext_lazy("Choose one of the ways this advisor meets."),
        },
    )
    message = forms.CharField(
        label=gettext_lazy("What you would like help with"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": gettext_lazy("Write at most 2,000 characters.")},
    )
    phone = PhoneField(
        label=gettext_lazy("Your phone number"),
        help_text=gettext_lazy("For a session by phone: the advisor calls you on this number."),
    )

    def __init__(self, *args, entry: WaitlistEntry, **kwargs) -> None:
        kwargs.setdefault("prefix", f"claim-{entry.pk}")
        phone = entry.entrepreneur.phone if entry.entrepreneur else ""
        kwargs.setdefault("initial", {"topic": entry.topic, "phone": phone})
        super().__init__(*args, **kwargs)
        advisor = entry.offered_advisor
        topics = [t for t in advisor.topics.all() if t.is_active] if advisor else []
        cast(forms.ModelChoiceField, self.fields["topic"]).queryset = (
            Topic.objects.filter(pk__in=[t.pk for t in topics])
            if topics
            else Topic.objects.filter(is_active=True)
        )
        modes = advisor.meeting_modes if advisor else []
        cast(forms.ChoiceField, self.fields["mode"]).choices = [(m, MeetingMode(m).label) for m in modes]
        if MeetingMode.PHONE not in modes:
            del self.fields["phone"]

    def clean_phone(self) -> str:
        return normalise_phone(self.cleaned_data["phone"])


# --- Views -------------------------------------------------------------------


def _render_list(
    request: AuthenticatedHttpRequest,
    *,
    failed: ClaimForm | None = None,
    status: int = 200,
    other_times: FreeTimes | None = None,
) -> HttpResponse:
    """The list; `failed` is a claim form refused, and `other_times` the
    picker of its advisor's free times when the offered time itself is gone."""
    entries = list(waitlist.waitlist_entries_of(request.user))
    rows = []
    for entry in entries:
        form, times = None, None
        if entry.status == WaitlistStatus.OFFERED:
            if failed is not None and failed.prefix == f"claim-{entry.pk}":
                form, times = failed, other_times
            else:
                form = ClaimForm(entry=entry)
        rows.append({"entry": entry, "claim_form": form, "other_times": times})
    context = {"rows": rows, "failed_form": failed, "now": timezone.now()}
    return render(request, "bookings/waitlist/list.html", context, status=status)


@login_required
@require_http_methods(["GET"])
def waitlist_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Your waitlist entries, offers with their claim forms and deadlines."""
    return _render_list(request)


def _own_entry(request: AuthenticatedHttpRequest, pk: int) -> WaitlistEntry:
    entry = waitlist.waitlist_entries_of(request.user).filter(pk=pk).first()
    if entry is None:
        raise Http404  # someone else's, or none: the same to you (invariant 7)
    return entry


@login_required
@require_POST
def waitlist_claim_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    entry = _own_entry(request, pk)
    if entry.status != WaitlistStatus.OFFERED:
        messages.error(request, _("This offer is no longer open."))
        return redirect("waitlist:list")
    form = ClaimForm(request.POST, entry=entry)
    if not form.is_valid():
        return _render_list(request, failed=form, status=400)
    try:
        booking = waitlist.waitlist_claim(entry=entry, entrepreneur=request.user, **form.cleaned_data)
    except BookingError as error:
        other_times, advisor = None, entry.offered_advisor
        if advisor is not None and (isinstance(error, SlotTaken) or error.field == "start"):
            # The held time itself is gone (an event in the advisor's own
            # calendar, changed hours): offer the advisor's other free times.
            other_times = free_times(advisor, data=None, now=timezone.now())
        return _render_list(request, failed=form, status=add_to_form(form, error), other_times=other_times)
    messages.success(
        request,
        _("You have booked %(when)s with %(advisor)s.")
        % {
            "when": moment_text(booking.start, booking.advisor.zone),
            "advisor": booking.advisor.user.get_full_name(),
        },
    )
    return redirect("waitlist:list")


@login_required
@require_POST
def waitlist_withdraw_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    entry = _own_entry(request, pk)
    try:
        waitlist.waitlist_withdraw(entry=entry, by=request.user)
    except BookingError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("You have left the waitlist."))
    return redirect("waitlist:list")


@login_required
@require_http_methods(["GET", "POST"])
def waitlist_join_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """What the waitlist is, for an advisor or a topic in a region, and a button to join."""
    target = JoinTargetForm(request.GET)
    if not target.is_valid():
        return render(request, "bookings/waitlist/join.html", {"form": target}, status=400)
    advisor, region, topic = (target.cleaned_data[k] for k in ("advisor", "region", "topic"))
    status = 200
    if request.method == "POST":
        try:
            waitlist.waitlist_join(entrepreneur=request.user, advisor=advisor, region=region, topic=topic)
        except BookingError as error:
            status = add_to_form(target, error)
        else:
            messages.success(
                request, _("You are on the waitlist. We will offer you the first time that is freed.")
            )
            return redirect("waitlist:list")
    free = waitlist.waitlist_free_time_exists(advisor=advisor, region=region, topic=topic, now=timezone.now())
    context = {
        "form": target,
        "advisor": advisor,
        "region": region,
        "topic": topic,
        "free_time": free,
        "days": waitlist.WAITLIST_DAYS,
        "claim_hours": waitlist.waitlist_claim_hours(),
        "query": request.GET.urlencode(),
    }
    return render(request, "bookings/waitlist/join.html", context, status=status)
