"""Web pages for booking: the entrepreneur's enterprises, the booking flow,
my bookings (move, cancel, feedback), the advisor's bookings (outcome), and
the signed one-click links from emails.

Views parse with bookings.forms, write through bookings.services and read
through the selectors; a service's refusal becomes a form error (400) or, for
a clash with the current state, a page that says so (409). Whatever the query,
no page answers 500.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from functools import wraps
from typing import Any, cast
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_htmx.http import push_url

from advisors.availability import local_to_utc
from advisors.models import Advisor, MeetingMode
from advisors.picker import FreeTimes, free_times
from advisors.selectors import (
    advisor_of,
    advisor_public,
    region_list,
    topic_list,
)
from backend.errors import add_to_form
from backend.models import User
from backend.moments import moment_text
from backend.types import AuthenticatedHttpRequest, HtmxHttpRequest

from . import extensions, links, rules, selectors, services
from .forms import (
    CancelForm,
    DayForm,
    DescribeForm,
    EnterpriseForm,
    FeedbackForm,
    FollowUpForm,
    MoveForm,
    OutcomeForm,
    SlotForm,
)
from .models import Booking, BookingStatus
from .needs import described as needs_described
from .needs import interpreter_earliest

PAST_PER_PAGE = 20


# --- Shared helpers ---------------------------------------------------------------


def advisors_book_for_someone(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The entrepreneur's booking flow, for an advisor, is booking for
    someone else (bookings.views_for_someone): the same chosen time, on the
    advisor's page."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if user.is_authenticated and Advisor.objects.filter(user=user, is_active=True).exists():
            query = request.GET.urlencode()
            return redirect(reverse("bookings:for_someone") + (f"?{query}" if query else ""))
        return view(request, *args, **kwargs)

    return wrapped


def entrepreneur_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in as an entrepreneur, or a page saying that booking is for them (403)."""

    @login_required
    @wraps(view)
    def wrapped(request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_entrepreneur:
            return render(request, "bookings/not_entrepreneur.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


def _safe_next(request: HttpRequest, fallback: str) -> str:
    """The `next` the request carries if it stays on this site, else `fallback`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _by_day(items: Iterable[Any], zone: ZoneInfo, key: Callable[[Any], datetime]) -> list[tuple[date, list]]:
    days: dict[date, list] = defaultdict(list)
    for item in items:
        days[key(item).astimezone(zone).date()].append(item)
    return list(days.items())


def _own_booking(request: AuthenticatedHttpRequest, uid: Any, *, party: bool = True) -> Booking:
    """A booking the signed-in person is a party to (or, with party=False,
    also one they booked for someone else: to see, not to change); everyone
    else's is not there (404, invariant 7)."""
    booking = selectors.booking_for(request.user, uid)
    if booking is None or (party and not _is_party(booking, request.user)):
        raise Http404
    return booking


def _is_party(booking: Booking, user: User) -> bool:
    return booking.entrepreneur_id == user.pk or booking.advisor.user_id == user.pk


def _is_advisor_of(booking: Booking, user: User) -> bool:
    return booking.advisor.user_id == user.pk


# --- Enterprises ----------------------------------------------------------------------


@entrepreneur_required
@require_http_methods(["GET"])
def enterprise_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request,
        "bookings/enterprise_list.html",
        {"enterprises": selectors.enterprises_of(request.user), "next": _safe_next(request, "")},
    )


@entrepreneur_required
@require_http_methods(["GET", "POST"])
def enterprise_edit(request: AuthenticatedHttpRequest, pk: int | None = None) -> HttpResponse:
    enterprise = None
    if pk is not None:
        enterprise = selectors.enterprises_of(request.user).filter(pk=pk).first()
        if enterprise is None:
            raise Http404
    gender = selectors.entrepreneur_gender(request.user)
    form = EnterpriseForm(
        request.POST if request.method == "POST" else None,
        regions=region_list(),
        initial=EnterpriseForm.initial_for(enterprise, gender),
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.enterprise_save(user=request.user, enterprise=enterprise, data=data)
                services.entrepreneur_profile_save(user=request.user, gender=data["gender"])
            except services.BookingError as error:
                add_to_form(form, error)
            else:
                messages.success(request, _("Your enterprise is saved."))
                return redirect(_safe_next(request, reverse("bookings:enterprises")))
        status = 400
    return render(
        request,
        "bookings/enterprise_form.html",
        {
            "form": form,
            "enterprise": enterprise,
            "next": _safe_next(request, ""),
            "panels": extensions.enterprise_panels(request, enterprise) if enterprise else "",
        },
        status=status,
    )


# --- Booking: describe, confirm, book --------------------------------------------------


def _slot_query(advisor_pk: int, start: datetime, duration: int) -> str:
    return urlencode({"advisor": advisor_pk, "start": start.isoformat(), "duration": duration})


def slot_refusal(advisor: Advisor, start: datetime, duration: int, now: datetime) -> str | None:
    """Why `start` cannot be booked, said before the person writes anything;
    None when it can, "taken" when it was free but is no longer. The service
    checks all of it again when booking."""
    try:
        services.check_slot(advisor, start=start, duration=duration, now=now)
    except services.SlotTaken:
        return "taken"
    except services.BookingError as error:
        return str(error.message)
    return None


def topics_of(advisor: Advisor) -> list:
    # An advisor who lists no topic advises on all of them (as the service agrees).
    topics = [t for t in advisor.topics.all() if t.is_active]
    return topics or list(topic_list())


def _flow_response(
    request: AuthenticatedHttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    response = render(request, f"bookings/new/{template}", context, status=status)
    if request.htmx and request.method == "POST":
        # A step shown in answer to a POST has no address of its own: the
        # bare /bookings/new/ in the address bar would not reload it.
        push_url(response, False)
    return response


@advisors_book_for_someone
@entrepreneur_required
@require_http_methods(["GET", "POST"])
def booking_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The booking flow on one address: GET shows the time and asks what the
    session is about (step "describe"); its POST shows everything for a last
    look (step "confirm"); that POST books. Each step carries the earlier
    answers in the form, so no state waits on the server between steps."""
    data = request.POST if request.method == "POST" else request.GET
    slot = SlotForm(data)
    if not slot.is_valid():
        return _flow_response(
            request,
            "refused.html",
            {
                "advisor": None,
                "reason": _("This link does not lead to a free time. Please choose one again."),
            },
            status=400,
        )
    advisor = advisor_public(slot.cleaned_data["advisor"])
    if advisor is None:
        return _flow_response(
            request,
            "refused.html",
            {"advisor": None, "reason": _("This advisor cannot be booked at the moment.")},
            status=404,
        )
    start = slot.cleaned_data["start"]
    duration = slot.cleaned_data["duration"] or (advisor.session_lengths or [60])[0]
    query = _slot_query(advisor.pk, start, duration)

    enterprises = list(selectors.enterprises_of(request.user))
    if not enterprises:
        # Statistics need the enterprise; the person comes back here after.
        messages.info(request, _("Tell us about your enterprise first (an idea is fine too)."))
        back = f"{reverse('bookings:new')}?{query}"
        return redirect(f"{reverse('bookings:enterprise_new')}?{urlencode({'next': back})}")

    now = timezone.now()
    step = data.get("step") if request.method == "POST" else None
    context: dict[str, Any] = {
        "advisor": advisor,
        "start": start,
        "end": start + timedelta(minutes=duration),
        "duration": duration,
        "slot": slot,
        "query": query,
        "add_enterprise_url": f"{reverse('bookings:enterprise_new')}?"
        + urlencode({"next": f"{reverse('bookings:new')}?{query}"}),
    }
    describe_kwargs = {
        "topics": topics_of(advisor),
        "modes": advisor.meeting_modes,
        "enterprises": enterprises,
    }

    refusal = slot_refusal(advisor, start, duration, now)
    if refusal == "taken":
        return _taken(request, context, now)
    if refusal:
        return _flow_response(request, "refused.html", {**context, "reason": refusal}, status=400)

    if step in ("describe", "confirm", "change"):
        form = DescribeForm(data, **describe_kwargs)
    elif step == "pick":
        # Another time picked after the first was taken: the answers so far
        # come along, to be looked over before going on.
        form = DescribeForm(initial=data.dict(), **describe_kwargs)
    else:
        form = DescribeForm(initial={"phone": request.user.phone}, **describe_kwargs)
    context["form"] = form

    if step == "change" or step not in ("describe", "confirm"):
        return _flow_response(request, "describe.html", context)
    if not form.is_valid():
        return _flow_response(request, "describe.html", context, status=400)
    mode = form.cleaned_data["mode"]
    try:
        # Asked before the last step, so a missing number is said where it is typed.
        phone = services.phone_for_session(
            entrepreneur=request.user, mode=mode, phone=form.cleaned_data.get("phone", "")
        )
    except services.BookingError as error:
        return _flow_response(request, "describe.html", context, status=add_to_form(form, error))
    try:
        chosen_needs = services.check_needs(advisor=advisor, start=start, needs=form.chosen_needs(), now=now)
    except services.BookingError as error:
        # Said at the interpreter field, with a way to times far enough ahead.
        form.add_error("interpreter_language", str(error.message))
        context["later_times_url"] = (
            reverse("directory:advisor", args=[advisor.pk])
            + "?"
            + urlencode(
                {"start": timezone.localtime(interpreter_earliest(advisor, now), advisor.zone).date()}
            )
        )
        return _flow_response(request, "describe.html", context, status=400)
    context |= {
        "phone": phone,
        "needs": needs_described(chosen_needs),
        "topic": form.cleaned_data["topic"],
        "mode": mode,
        "mode_label": MeetingMode(mode).label,
        "enterprise": form.chosen_enterprise(),
        "several_enterprises": len(enterprises) > 1,
    }
    if step == "describe":
        # What other apps must say first (reporting: a funding project's de minimis and funder reporting).
        context["notices"] = extensions.booking_notices(
            request,
            extensions.PlannedSession(
                advisor=advisor,
                start=start,
                topic=form.cleaned_data["topic"],
                enterprise=form.chosen_enterprise(),
            ),
        )
        return _flow_response(request, "confirm.html", context)

    try:
        booking = services.booking_create(
            entrepreneur=request.user,
            advisor=advisor,
            start=start,
            duration=duration,
            topic=form.cleaned_data["topic"],
            mode=mode,
            message=form.cleaned_data["message"],
            enterprise=form.chosen_enterprise(),
            phone=phone,
            needs=chosen_needs,
            now=now,
        )
    except services.SlotTaken:
        return _taken(request, context, now)
    except services.BookingError as error:
        return _flow_response(request, "describe.html", context, status=add_to_form(form, error))
    messages.success(
        request, _("We are sending you a confirmation by email, with an invitation for your calendar.")
    )
    return redirect("bookings:detail", uid=booking.uid)


def _taken(request: AuthenticatedHttpRequest, context: dict[str, Any], now: datetime) -> HttpResponse:
    """The time was taken meanwhile: say so, and offer the next free times,
    keeping what the person has written."""
    advisor, duration = context["advisor"], context["duration"]
    keep = {
        name: request.POST[name]
        for name in ("topic", "mode", "enterprise", "message", "phone")
        if request.method == "POST" and name in request.POST
    }
    hidden = {"advisor": advisor.pk, "duration": duration, "step": "pick", **keep}
    # Answering a POST, the picker has no address to page on: it shows the
    # first free days, and the advisor's page has the rest.
    picker = free_times(advisor, data=None, now=now, duration=duration)
    return _flow_response(request, "taken.html", {**context, "picker": picker, "hidden": hidden}, status=409)


# --- One booking ------------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def booking_detail(request: AuthenticatedHttpRequest, uid: Any) -> HttpResponse:
    booking = _own_booking(request, uid, party=False)
    now = timezone.now()
    as_advisor = _is_advisor_of(booking, request.user)
    # The advisor who booked it for the person sees it, and changes nothing.
    as_entrepreneur = booking.entrepreneur_id == request.user.pk
    feedback = selectors.feedback_of(booking)
    context = {
        "booking": booking,
        "advisor": booking.advisor,
        "as_advisor": as_advisor,
        "changeable": (as_advisor or as_entrepreneur) and rules.can_cancel(booking, now),
        "feedback": feedback,
        "feedback_form": FeedbackForm()
        if as_entrepreneur and rules.can_give_feedback(booking, now) and feedback is None
        else None,
        "outcome_form": _outcome_form(booking)
        if as_advisor and rules.can_record_outcome(booking, now)
        else None,
        "panels": extensions.booking_panels(request, booking, as_advisor),
    }
    return render(request, "bookings/detail.html", context)


def _outcome_form(booking: Booking, data: Any = None) -> OutcomeForm:
    initial = {
        "private_notes": booking.private_notes,
        "outcome_note": booking.outcome_note,
        "needs_not_met": booking.needs_not_met,
    }
    if booking.status == BookingStatus.COMPLETED:
        initial["outcome"] = "attended"
    elif booking.status == BookingStatus.NO_SHOW:
        initial["outcome"] = "no_show"
    # One form a booking on the advisor's list: the prefix keeps ids unique.
    return OutcomeForm(data, initial=initial, prefix=f"b{booking.pk}", booking=booking)


def _move_times(booking: Booking, data: Any, now: datetime) -> FreeTimes:
    """The picker of free times `booking` can move to, from the day `data`
    asks for. Its own time does not block them (so it can move by half an
    hour), and its current start is not offered again."""
    return free_times(
        booking.advisor,
        data=data,
        now=now,
        duration=booking.duration,
        exclude=[booking.pk],
        leave_out=booking.start,
        # An interpreter needs the advisor's lead time wherever the session goes.
        not_before=interpreter_earliest(booking.advisor, now)
        if booking.needs.get("interpreter_language")
        else None,
    )


def _move(
    request: HttpRequest, booking: Booking, by: User, now: datetime
) -> tuple[Booking | None, datetime | None, Any]:
    """The POST of the move page in its two steps. A picked time is checked and
    sent back to confirm: (None, the new start, None); its confirmation moves
    the booking: (the moved booking, None, None). Refused either way: (None,
    None, (the form with the reason, the status to answer))."""
    form = MoveForm(request.POST)
    if not form.is_valid():
        return None, None, (form, 400)
    start = form.cleaned_data["start"]
    try:
        if not form.cleaned_data["confirm"]:
            services.check_move(booking, by=by, start=start, duration=booking.duration, now=now)
            return None, start, None
        moved = services.booking_reschedule(booking=booking, by=by, start=start, now=now)
    except services.BookingError as error:
        return None, None, (form, add_to_form(form, error))
    return moved, None, None


def _move_page(
    request: HtmxHttpRequest,
    template: str,
    booking: Booking,
    *,
    now: datetime,
    form: MoveForm,
    status: int,
    confirm_start: datetime | None,
    action: str,
) -> HttpResponse:
    movable = rules.can_move(booking, now)
    response = render(
        request,
        template,
        {
            "booking": booking,
            "advisor": booking.advisor,
            "form": form,
            "movable": movable,
            "confirm_start": confirm_start,
            "confirm_end": confirm_start + timedelta(minutes=booking.duration) if confirm_start else None,
            # Only the picker needs the free times; the confirmation shows one.
            "picker": _move_times(booking, request.GET, now) if movable and confirm_start is None else None,
            "action": action,
            "page_url": request.path,
        },
        status=status,
    )
    if confirm_start is not None and request.htmx:
        # The confirmation answers a POST: its address would reload the picker.
        push_url(response, False)
    return response


@login_required
@require_http_methods(["GET", "POST"])
def booking_reschedule(request: AuthenticatedHttpRequest, uid: Any) -> HttpResponse:
    """Move a booking: GET lists the free times, the POST of one asks to
    confirm the move from the old time to the new, and that POST moves it."""
    booking = _own_booking(request, uid)
    now = timezone.now()
    form, status, confirm_start = MoveForm(), 200, None
    if request.method == "POST":
        moved, confirm_start, refused = _move(request, booking, request.user, now)
        if moved is not None:
            messages.success(
                request,
                _("Your session is moved to %(when)s.")
                % {"when": moment_text(moved.start, moved.advisor.zone)},
            )
            return redirect("bookings:detail", uid=moved.uid)
        if refused is not None:
            form, status = refused
    return _move_page(
        request,
        "bookings/reschedule.html",
        booking,
        now=now,
        form=form,
        status=status,
        confirm_start=confirm_start,
        action=reverse("bookings:reschedule", args=[booking.uid]),
    )


@login_required
@require_http_methods(["GET", "POST"])
def booking_cancel(request: AuthenticatedHttpRequest, uid: Any) -> HttpResponse:
    booking = _own_booking(request, uid)
    now = timezone.now()
    form, status = CancelForm(request.POST or None, by_advisor=_is_advisor_of(booking, request.user)), 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.booking_cancel(
                    booking=booking, by=request.user, reason=form.cleaned_data["reason"], now=now
                )
            except services.BookingError as error:
                status = add_to_form(form, error)
            else:
                messages.success(
                    request,
                    _("Your session on %(when)s is cancelled.")
                    % {"when": moment_text(booking.start, booking.advisor.zone)},
                )
                mine = "bookings:advisor" if _is_advisor_of(booking, request.user) else "bookings:list"
                return redirect(mine)
        else:
            status = 400
    return render(
        request,
        "bookings/cancel.html",
        {
            "booking": booking,
            "advisor": booking.advisor,
            "form": form,
            "cancellable": rules.can_cancel(booking, now),
            "action": reverse("bookings:cancel", args=[booking.uid]),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def booking_feedback(request: AuthenticatedHttpRequest, uid: Any) -> HttpResponse:
    booking = _own_booking(request, uid)
    if booking.entrepreneur_id != request.user.pk:
        raise Http404  # the advisor reads feedback elsewhere; it is the entrepreneur's to give
    form, status = FeedbackForm(request.POST or None), 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.booking_give_feedback(booking=booking, by=request.user, **form.cleaned_data)
            except services.BookingError as error:
                status = add_to_form(form, error)
            else:
                messages.success(request, _("Thank you for your feedback!"))
                return redirect("bookings:detail", uid=booking.uid)
        else:
            status = 400
    return render(
        request,
        "bookings/feedback.html",
        {
            "booking": booking,
            "advisor": booking.advisor,
            "form": form,
            "feedback": selectors.feedback_of(booking),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def booking_outcome(request: AuthenticatedHttpRequest, uid: Any) -> HttpResponse:
    booking = _own_booking(request, uid)
    if not _is_advisor_of(booking, request.user):
        raise Http404  # outcome and private notes are the advisor's alone
    form, status = _outcome_form(booking, request.POST or None), 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.booking_record_outcome(
                    booking=booking,
                    by=request.user,
                    attended=form.cleaned_data["outcome"] == "attended",
                    private_notes=form.cleaned_data["private_notes"],
                    outcome_note=form.cleaned_data["outcome_note"],
                    # Left as it is when the booking has no needs to ask about.
                    needs_not_met=form.cleaned_data.get("needs_not_met"),
                )
            except services.BookingError as error:
                status = add_to_form(form, error)
            else:
                messages.success(request, _("The outcome is saved."))
                return redirect(_safe_next(request, reverse("bookings:advisor")))
        else:
            status = 400
    return render(
        request,
        "bookings/outcome.html",
        {"booking": booking, "advisor": booking.advisor, "form": form, "next": _safe_next(request, "")},
        status=status,
    )


# --- Lists ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def booking_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The entrepreneur's bookings: upcoming, then past and cancelled. An
    advisor's are on their own page."""
    user = request.user
    if user.is_advisor:
        return render(request, "bookings/list_advisor_pointer.html")
    if not user.is_entrepreneur:
        raise PermissionDenied
    now = timezone.now()
    upcoming, past = selectors.entrepreneur_bookings(user, now)
    return render(
        request,
        "bookings/list.html",
        {
            "upcoming": upcoming,
            "past": Paginator(past, PAST_PER_PAGE).get_page(request.GET.get("page")),
            "now": now,
        },
    )


@login_required
@require_http_methods(["GET"])
def advisor_bookings(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The advisor's sessions: coming ones day by day, with what the
    entrepreneur wrote; past ones with the outcome to record. `?day=` shows
    one day (the calendar links each day here)."""
    advisor = advisor_of(request.user)
    if advisor is None:
        raise PermissionDenied
    zone = advisor.zone
    now = timezone.now()
    context: dict[str, Any] = {"advisor": advisor, "now": now}

    day_form = DayForm(request.GET) if "day" in request.GET else None
    if day_form is not None and not day_form.is_valid():
        context["day_form"] = day_form
        return render(request, "bookings/advisor_bookings.html", context, status=400)
    if day_form is not None:
        day = day_form.cleaned_data["day"]
        on_day = selectors.advisor_bookings_between(
            request.user,
            local_to_utc(day, time(0), zone),
            local_to_utc(day + timedelta(days=1), time(0), zone),
        )
        context |= {
            "day": day,
            "day_bookings": [
                (b, _outcome_form(b) if rules.can_record_outcome(b, now) else None) for b in on_day
            ],
        }
        return render(request, "bookings/advisor_bookings.html", context)

    upcoming, past = selectors.advisor_bookings(request.user, now)
    past_page = Paginator(past, PAST_PER_PAGE).get_page(request.GET.get("page"))
    context |= {
        "upcoming_days": _by_day(upcoming, zone, key=lambda b: b.start),
        "past": past_page,
        # Latest first, under a heading per day like the coming ones.
        "past_days": _by_day(
            [(b, _outcome_form(b)) for b in past_page.object_list], zone, key=lambda row: row[0].start
        ),
    }
    return render(request, "bookings/advisor_bookings.html", context)


# --- Signed links from emails -----------------------------------------------------------

LINK_STATUS = {"invalid": 400, "expired": 410, "stale": 410}


def _link_owner(booking: Booking) -> User:
    """The entrepreneur a link acts for: links.booking_from_token refuses a
    booking that has none (an erased person's)."""
    return cast(User, booking.entrepreneur)


def _link_refused(
    request: HttpRequest, error: links.LinkError, *, after_session: bool = False
) -> HttpResponse:
    return render(
        request,
        "bookings/link/refused.html",
        {"reason": error.reason, "after_session": after_session},
        status=LINK_STATUS[error.reason],
    )


@never_cache
@require_http_methods(["GET", "POST"])
def link_cancel(request: HttpRequest, token: str) -> HttpResponse:
    """Cancel from an email without signing in. GET only asks (mail scanners
    open links); the POST cancels."""
    now = timezone.now()
    try:
        booking = links.booking_from_token(token, "cancel", now=now)
    except links.LinkError as error:
        return _link_refused(request, error)
    form, status = CancelForm(request.POST or None), 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.booking_cancel(
                    booking=booking, by=_link_owner(booking), reason=form.cleaned_data["reason"], now=now
                )
            except services.BookingError as error:
                status = add_to_form(form, error)
            else:
                return render(
                    request, "bookings/link/cancelled.html", {"booking": booking, "advisor": booking.advisor}
                )
        else:
            status = 400
    return render(
        request,
        "bookings/link/cancel.html",
        {"booking": booking, "advisor": booking.advisor, "form": form, "action": request.path},
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def link_reschedule(request: HtmxHttpRequest, token: str) -> HttpResponse:
    """Move a booking from an email without signing in: GET lists the free
    times, the POST of one asks to confirm, and that POST moves it (and makes
    this link stale)."""
    now = timezone.now()
    try:
        booking = links.booking_from_token(token, "reschedule", now=now)
    except links.LinkError as error:
        return _link_refused(request, error)
    form, status, confirm_start = MoveForm(), 200, None
    if request.method == "POST":
        moved, confirm_start, refused = _move(request, booking, _link_owner(booking), now)
        if moved is not None:
            return render(request, "bookings/link/moved.html", {"booking": moved, "advisor": moved.advisor})
        if refused is not None:
            form, status = refused
    return _move_page(
        request,
        "bookings/link/reschedule.html",
        booking,
        now=now,
        form=form,
        status=status,
        confirm_start=confirm_start,
        action=request.path,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def link_feedback(request: HttpRequest, token: str) -> HttpResponse:
    """Rate a held session from the feedback-request mail without signing in."""
    try:
        booking = links.held_booking_from_token(token, "feedback")
    except links.LinkError as error:
        return _link_refused(request, error, after_session=True)
    feedback = selectors.feedback_of(booking)
    form, status = FeedbackForm(request.POST or None), 200
    if request.method == "POST" and feedback is None:
        if form.is_valid():
            try:
                feedback = services.booking_give_feedback(
                    booking=booking, by=_link_owner(booking), **form.cleaned_data
                )
            except services.BookingError as error:
                status = add_to_form(form, error)
        else:
            status = 400
    return render(
        request,
        "bookings/link/feedback.html",
        {
            "booking": booking,
            "advisor": booking.advisor,
            "form": form,
            "feedback": feedback,
            "action": request.path,
        },
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def link_follow_up(request: HttpRequest, token: str) -> HttpResponse:
    """The outcome follow-up survey, three months after an enterprise's first
    session, from its mail without signing in."""
    try:
        booking = links.held_booking_from_token(token, "follow_up")
    except links.LinkError as error:
        return _link_refused(request, error, after_session=True)
    answered = selectors.follow_up_answered(booking)
    form, status = FollowUpForm(request.POST or None), 200
    if request.method == "POST" and not answered:
        if form.is_valid():
            data = dict(form.cleaned_data)
            comment = data.pop("comment")
            try:
                services.follow_up_answer_give(
                    booking=booking, by=_link_owner(booking), answers=data, comment=comment
                )
            except services.BookingError as error:
                status = add_to_form(form, error)
            else:
                answered = True
        else:
            status = 400
    return render(
        request,
        "bookings/link/follow_up.html",
        {
            "booking": booking,
            "advisor": booking.advisor,
            "form": form,
            "answered": answered,
            "action": request.path,
        },
        status=status,
    )
