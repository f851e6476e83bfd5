"""Booking operations: book, reschedule, cancel, record the outcome, give feedback.

Each runs in one transaction, checks state first, raises BookingError (or its
subclass SlotTaken) with a message for the person, writes an audit entry and
sends the bookings signal that notifications listens to.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from advisors.models import Advisor, MeetingMode, Topic
from advisors.selectors import SlotCheck, slot_check
from backend.audit import audit
from backend.errors import DomainError, ErrorKind
from backend.models import User
from backend.moments import day_text
from backend.phone import normalise_phone

from . import rules, signals
from .models import (
    WAITLIST_ACTIVE,
    Booking,
    BookingStatus,
    Enterprise,
    EntrepreneurProfile,
    Feedback,
    FollowUpAnswer,
    Gender,
    WaitlistEntry,
    WomenLed,
)
from .needs import NeedsError, clean_needs, clean_not_met, interpreter_earliest, kinds_of
from .pseudonyms import enterprise_ref, statistics_keys
from .validation import normalise_org_number

MESSAGE_MAX = 2000
OUTCOME_NOTE_MAX = 5000  # Booking.outcome_note's max_length, which the database does not enforce


class BookingError(DomainError):
    """A booking operation that cannot be done (400 unless its kind says
    otherwise; backend.errors)."""


class SlotTaken(BookingError):
    """The time was taken meanwhile (409)."""

    kind = ErrorKind.CONFLICT
    default_message = _("This time has just been taken. Please pick another one.")

    def __init__(self, message: Any = None, *, field: str | None = "start") -> None:
        super().__init__(message, field=field)


class StateConflict(BookingError):
    """A clash with the booking's current state: cancelled, started, past (409)."""

    kind = ErrorKind.CONFLICT


# --- Shared steps -------------------------------------------------------------


def enterprise_of(entrepreneur: User, enterprise: Enterprise | None) -> Enterprise:
    """The enterprise a person books (or queues) for: the one named, which must
    be theirs, or their latest."""
    if enterprise is None:
        enterprise = entrepreneur.enterprises.order_by("-created", "-pk").first()
        if enterprise is None:
            raise BookingError(
                _("Tell us about your enterprise first (an idea is fine too)."), field="enterprise"
            )
    elif not enterprise.members.filter(pk=entrepreneur.pk).exists():
        raise BookingError(_("You can only choose an enterprise you belong to."), field="enterprise")
    return enterprise


def _blocked(advisor: Advisor, start: datetime, end: datetime) -> tuple[datetime, datetime]:
    return start - timedelta(minutes=advisor.buffer_before), end + timedelta(minutes=advisor.buffer_after)


def check_slot(advisor: Advisor, *, start: datetime, duration: int, now: datetime, exclude=()) -> None:
    """Raise BookingError (SlotTaken when another booking has it) unless
    `start` for `duration` minutes is one of the advisor's free times now.
    The booking flow asks this before the person writes anything; booking
    and moving ask it again under the advisor's lock."""
    if duration not in advisor.session_lengths:
        offered = ", ".join(str(m) for m in advisor.session_lengths)
        raise BookingError(
            _("This advisor offers sessions of %(offered)s minutes.") % {"offered": offered}, field="duration"
        )
    if start <= now:
        raise BookingError(_("That time has already passed."), field="start")
    if start < now + timedelta(hours=advisor.min_notice_hours):
        raise BookingError(
            _("This advisor needs at least %(hours)s hours' notice.") % {"hours": advisor.min_notice_hours},
            field="start",
        )
    check = slot_check(advisor, start=start, duration=duration, now=now, exclude=exclude)
    if check is SlotCheck.TAKEN:
        raise SlotTaken()
    if check is SlotCheck.NOT_A_SLOT:
        raise BookingError(
            _("That is not one of the advisor's free times. Please pick one of them."), field="start"
        )


def _save_guarded(booking: Booking, **save_kwargs: Any) -> None:
    """Save, turning PostgreSQL's exclusion constraint (the last line of defence
    of invariant 1) into the same answer as a lost re-check."""
    try:
        with transaction.atomic():  # a savepoint, so the outer transaction survives
            booking.save(**save_kwargs)
    except IntegrityError as exc:
        if "booking_no_overlap_per_advisor" in str(exc):
            raise SlotTaken() from exc
        raise


def phone_for_session(*, entrepreneur: User, mode: str, phone: str = "") -> str:
    """The number the advisor calls for a session by `mode`: "" unless by
    phone; for a phone session the number given, else the one the account
    has. Raises BookingError (on "phone") when it cannot be called or there
    is none. The booking flow asks this before its last step; booking_create
    asks it again."""
    if mode != MeetingMode.PHONE:
        return ""
    try:
        number = normalise_phone(phone) or entrepreneur.phone
    except ValidationError as error:
        raise BookingError(error.messages[0], field="phone") from error
    if not number:
        raise BookingError(_("Write the phone number the advisor can call you on."), field="phone")
    return number


def upcoming_count(user: User, now: datetime) -> int:
    return Booking.objects.filter(rules.upcoming(now), entrepreneur=user).count()


# --- Book -------------------------------------------------------------------------------


def booking_create(
    *,
    entrepreneur: User,
    advisor: Advisor,
    start: datetime,
    duration: int,
    topic: Topic,
    mode: str,
    message: str = "",
    enterprise: Enterprise | None = None,
    phone: str = "",
    needs: Mapping[str, Any] | None = None,
    booked_by: User | None = None,
    now: datetime | None = None,
) -> Booking:
    """Book `start` (aware) for `duration` minutes with `advisor`.

    `needs` (bookings.needs) are what the person needs to take part; an
    interpreter needs the advisor's lead time (check_needs).

    `booked_by` is the advisor who books for the person (bookings.callers,
    which checks that they may); the booking records them, and they are the
    actor of its audit entry and of the signal.

    A session by phone needs a number to call (phone_for_session): the one
    given is kept on the person's account, where the advisor reads it
    (rules.phone_to_call) and the next booking by phone finds it.

    Keeps invariant 1: two people can pick the same slot at once, so the
    advisor row is locked and the slot re-checked against the engine before
    the insert; on PostgreSQL the exclusion constraint stops any overlap that
    slips past (code that skips this service). Raises SlotTaken (409) when the
    time is no longer free, BookingError (400) for anything else wrong with the
    request; nothing is written then."""
    now = now or timezone.now()
    if not entrepreneur.is_entrepreneur:
        raise BookingError(_("Only entrepreneurs book advice sessions."))
    if len(message) > MESSAGE_MAX:
        raise BookingError(_("Write at most 2,000 characters."), field="message")
    enterprise = enterprise_of(entrepreneur, enterprise)
    with transaction.atomic():
        # One person booking several times at once: lock their row so the
        # count and the insert are one step for them (fair access).
        User.objects.select_for_update().filter(pk=entrepreneur.pk).first()
        if upcoming_count(entrepreneur, now) >= settings.BOOKING_MAX_UPCOMING:
            if booked_by is not None:
                raise BookingError(
                    _(
                        "This person already has %(count)s upcoming sessions, the most one person may have "
                        "at once. One of them must be cancelled or take place first."
                    )
                    % {"count": settings.BOOKING_MAX_UPCOMING}
                )
            raise BookingError(
                _(
                    "You already have %(count)s upcoming sessions, the most one person may have at once, so "
                    "that everyone gets a chance. Cancel one or wait until it has taken place."
                )
                % {"count": settings.BOOKING_MAX_UPCOMING}
            )

        # Two people can pick the same slot at once. Lock the advisor row so the
        # re-check and the insert are one step; the exclusion constraint is the
        # last line of defence for code that skips this service.
        advisor = (
            Advisor.objects.select_for_update(of=("self",))
            .select_related("user", "region")
            .get(pk=advisor.pk)
        )
        if not advisor.is_bookable:
            raise BookingError(_("This advisor does not take bookings at the moment."), field="advisor")
        _check_topic_and_mode(advisor, topic, mode)
        needs = check_needs(advisor=advisor, start=start, needs=needs, now=now)
        number = phone_for_session(entrepreneur=entrepreneur, mode=mode, phone=phone)
        check_slot(advisor, start=start, duration=duration, now=now)

        end = start + timedelta(minutes=duration)
        blocked_start, blocked_end = _blocked(advisor, start, end)
        person_key, enterprise_key = statistics_keys(
            person_id=entrepreneur.pk,
            enterprise=enterprise_ref(org_number=enterprise.org_number, pk=enterprise.pk),
        )
        profile = EntrepreneurProfile.objects.filter(user=entrepreneur).first()
        local = timezone.localtime(now, advisor.zone).date()
        booking = Booking(
            advisor=advisor,
            entrepreneur=entrepreneur,
            enterprise=enterprise,
            booked_by=booked_by,
            start=start,
            end=end,
            duration=duration,
            blocked_start=blocked_start,
            blocked_end=blocked_end,
            topic=topic,
            mode=mode,
            location=advisor.address if mode == "in_person" else "",
            meeting_url=advisor.meeting_url if mode == "video" else "",
            phone=advisor.phone if mode == "phone" else "",
            message=message,
            needs=needs if kinds_of(needs) else {},  # no need: nothing to keep or clear
            stat_needs=kinds_of(needs),
            stat_region=advisor.region_id,
            stat_municipality=enterprise.municipality_id or "",
            stat_enterprise_kind=enterprise.kind,
            stat_gender=profile.gender if profile else Gender.NOT_STATED,
            stat_first_time=not Booking.objects.filter(stat_enterprise_key=enterprise_key)
            .exclude(status=BookingStatus.CANCELLED)
            .exists(),
            stat_waiting_days=(timezone.localtime(start, advisor.zone).date() - local).days,
            stat_enterprise_key=enterprise_key,
            stat_person_key=person_key,
            stat_advisor_organisation=advisor.organisation,
            stat_women_led=enterprise.women_led == WomenLed.YES,
            stat_booked_by_advisor=booked_by is not None,
        )
        _save_guarded(booking)
        if number and number != entrepreneur.phone:
            entrepreneur.phone = number
            entrepreneur.save(update_fields=["phone"])
        by = booked_by or entrepreneur
        audit(
            "booking.created",
            subject=booking,
            actor=by,
            start=start.isoformat(),
            duration=duration,
            **({"for_person": True} if booked_by else {}),
        )
        signals.booking_created.send(sender=Booking, booking=booking, by=by)
    return booking


def check_needs(
    *, advisor: Advisor, start: datetime, needs: Mapping[str, Any] | None, now: datetime, field: str = "needs"
) -> dict[str, Any]:
    """`needs` cleaned (bookings.needs.clean_needs), or BookingError: needs
    that cannot be read (on "needs"), or an interpreter for a session sooner
    than the advisor's lead time allows, the reason saying from when (on
    `field`: "start" when a booking is moved)."""
    try:
        cleaned = clean_needs(needs)
    except NeedsError as error:
        raise BookingError(error.message, field="needs") from None
    if cleaned["interpreter_language"]:
        earliest = interpreter_earliest(advisor, now)
        if start < earliest:
            raise BookingError(
                _(
                    "An interpreter has to be booked %(days)s working days ahead. Choose a time on "
                    "%(day)s or later, or book without an interpreter."
                )
                % {
                    "days": advisor.interpreter_lead_days,
                    "day": day_text(timezone.localtime(earliest, advisor.zone).date()),
                },
                field=field,
            )
    return cleaned


def _check_topic_and_mode(advisor: Advisor, topic: Topic, mode: str) -> None:
    if not topic.is_active:
        raise BookingError(_("Unknown topic."), field="topic")
    offered_topics = {t.pk for t in advisor.topics.all()}
    if offered_topics and topic.pk not in offered_topics:
        raise BookingError(_("This advisor does not advise on that topic."), field="topic")
    if mode not in advisor.meeting_modes:
        raise BookingError(_("This advisor does not meet that way."), field="mode")


# --- Change ----------------------------------------------------------------------------


def _may_change(booking: Booking, by: User) -> bool:
    return by.is_staff or by.pk in (booking.entrepreneur_id, booking.advisor.user_id)


def check_move(booking: Booking, *, by: User, start: datetime, duration: int, now: datetime) -> None:
    """Raise as booking_reschedule would unless `by` may move `booking` to
    `start` now. The move page asks this before it asks for confirmation;
    booking_reschedule asks it again under the advisor's lock."""
    if not _may_change(booking, by):
        raise BookingError(_("You cannot change this booking."), kind=ErrorKind.FORBIDDEN)
    if not rules.can_move(booking, now):
        if booking.status != BookingStatus.CONFIRMED:
            raise StateConflict(_("This booking is cancelled or has taken place and cannot be moved."))
        raise StateConflict(_("This session has already started and cannot be moved."))
    # The needs hold wherever the session goes: an interpreter needs the lead time.
    check_needs(advisor=booking.advisor, start=start, needs=booking.needs, now=now, field="start")
    check_slot(booking.advisor, start=start, duration=duration, now=now, exclude=[booking.pk])


def booking_reschedule(
    *, booking: Booking, by: User, start: datetime, duration: int | None = None, now: datetime | None = None
) -> Booking:
    """Move a confirmed, future booking to `start` (and `duration`), keeping its
    uid and raising its sequence, so calendars update the event in place
    (invariant 4). The same lock, re-check and constraint as booking_create keep
    invariant 1; the booking being moved does not block its own new time.
    Raises SlotTaken (409) when the new time is taken, StateConflict (409) when
    the booking is past or cancelled, BookingError (400) otherwise."""
    now = now or timezone.now()
    with transaction.atomic():
        advisor = Advisor.objects.select_for_update().get(pk=booking.advisor_id)
        booking = Booking.objects.select_for_update().select_related("advisor").get(pk=booking.pk)
        duration = duration or booking.duration
        check_move(booking, by=by, start=start, duration=duration, now=now)

        previous_start, previous_end = booking.start, booking.end
        booking.start, booking.end, booking.duration = start, start + timedelta(minutes=duration), duration
        booking.blocked_start, booking.blocked_end = _blocked(advisor, booking.start, booking.end)
        booking.sequence += 1
        created_local = timezone.localtime(booking.created, advisor.zone).date()
        booking.stat_waiting_days = max(
            0, (timezone.localtime(start, advisor.zone).date() - created_local).days
        )
        _save_guarded(booking)
        audit(
            "booking.rescheduled",
            subject=booking,
            actor=by,
            previous_start=previous_start.isoformat(),
            start=start.isoformat(),
            duration=duration,
        )
        signals.booking_rescheduled.send(
            sender=Booking, booking=booking, by=by, previous_start=previous_start, previous_end=previous_end
        )
    return booking


def booking_cancel(
    *, booking: Booking, by: User | None, reason: str = "", now: datetime | None = None
) -> Booking:
    """Cancel a confirmed, future booking. Frees its time at once (the exclusion
    constraint and the engine ignore cancelled bookings) and raises the
    sequence for the METHOD:CANCEL invite. `by` None is the system (an erased
    account). Raises StateConflict (409) when already cancelled or started."""
    now = now or timezone.now()
    if len(reason) > 500:
        raise BookingError(_("Write at most 500 characters."), field="reason")
    with transaction.atomic():
        booking = Booking.objects.select_for_update().select_related("advisor").get(pk=booking.pk)
        if by is not None and not _may_change(booking, by):
            raise BookingError(_("You cannot change this booking."), kind=ErrorKind.FORBIDDEN)
        if not rules.can_cancel(booking, now):
            if booking.status == BookingStatus.CANCELLED:
                raise StateConflict(_("This booking is already cancelled."))
            raise StateConflict(_("This session has already started and cannot be cancelled."))
        booking.status = BookingStatus.CANCELLED
        booking.cancelled_at = now
        booking.cancel_reason = reason
        booking.sequence += 1
        booking.save(update_fields=["status", "cancelled_at", "cancel_reason", "sequence", "updated"])
        # Whether a reason was given, not the reason: free text may speak of the
        # person, and it stays on the booking, where erasure and retention clear it.
        audit("booking.cancelled", subject=booking, actor=by, with_reason=bool(reason))
        # The waitlist hears of it too, and offers the freed slot in this
        # transaction (bookings.waitlist.on_booking_cancelled).
        signals.booking_cancelled.send(sender=Booking, booking=booking, by=by, reason=reason)
    return booking


def booking_record_outcome(
    *,
    booking: Booking,
    by: User,
    attended: bool,
    private_notes: str | None = None,
    outcome_note: str | None = None,
    needs_not_met: Sequence[str] | None = None,
    now: datetime | None = None,
) -> Booking:
    """The advisor records whether the session was held, private notes only
    they will see, the outcome note the entrepreneur sees too (what the
    session covered and agreed: the documented support a funder counts), and
    which of the person's needs could not be met (kinds of the booking's
    needs, which the statistics count). Allowed once the session has started,
    and again to correct it; never for a cancelled booking. None leaves a note
    or the needs not met as they are; "" removes a note, [] the needs not met.
    A note over OUTCOME_NOTE_MAX characters, or a need the booking does not
    have, is refused, and nothing is written."""
    now = now or timezone.now()
    if outcome_note is not None:
        outcome_note = outcome_note.strip()
        if len(outcome_note) > OUTCOME_NOTE_MAX:
            raise BookingError(_("Write at most 5,000 characters."), field="outcome_note")
    with transaction.atomic():
        booking = Booking.objects.select_for_update().select_related("advisor").get(pk=booking.pk)
        if by.pk != booking.advisor.user_id:
            raise BookingError(_("Only the booking's advisor records its outcome."), kind=ErrorKind.FORBIDDEN)
        if not rules.can_record_outcome(booking, now):
            if booking.status == BookingStatus.CANCELLED:
                raise StateConflict(_("This booking was cancelled."))
            raise BookingError(_("The session has not started yet."), field="attended")
        if needs_not_met is not None:
            try:
                needs_not_met = clean_not_met(needs_not_met, booking.stat_needs)
            except NeedsError as error:
                raise BookingError(error.message, field=error.field) from None
        booking.status = BookingStatus.COMPLETED if attended else BookingStatus.NO_SHOW
        fields = ["status", "updated"]
        if needs_not_met is not None and needs_not_met != booking.needs_not_met:
            booking.needs_not_met = needs_not_met
            fields.append("needs_not_met")
        if private_notes is not None:
            booking.private_notes = private_notes
            fields.append("private_notes")
        if outcome_note is not None and outcome_note != booking.outcome_note:
            booking.outcome_note = outcome_note
            booking.outcome_noted = now if outcome_note else None
            fields += ["outcome_note", "outcome_noted"]
        booking.save(update_fields=fields)
        audit(
            "booking.outcome",
            subject=booking,
            actor=by,
            attended=attended,
            needs_not_met=booking.needs_not_met,
        )
        signals.booking_completed.send(sender=Booking, booking=booking, by=by, attended=attended)
    return booking


def booking_give_feedback(
    *, booking: Booking, by: User, rating: int, comment: str = "", now: datetime | None = None
) -> Feedback:
    """The entrepreneur rates a session once it is over (unless it was
    cancelled or they did not come), once."""
    now = now or timezone.now()
    if not 1 <= rating <= 5:
        raise BookingError(_("Give a rating from 1 to 5."), field="rating")
    if len(comment) > 2000:
        raise BookingError(_("Write at most 2,000 characters."), field="comment")
    with transaction.atomic():
        booking = Booking.objects.select_for_update().get(pk=booking.pk)
        if by.pk != booking.entrepreneur_id:
            raise BookingError(_("Only the person who booked gives feedback."), kind=ErrorKind.FORBIDDEN)
        if not rules.took_place(booking, now):
            raise BookingError(_("Feedback can be given once the session has been held."))
        if Feedback.objects.filter(booking=booking).exists():
            raise BookingError(_("You have already given feedback on this session. Thank you!"))
        feedback = Feedback.objects.create(booking=booking, rating=rating, comment=comment)
        audit("booking.feedback", subject=booking, actor=by, rating=rating)
    return feedback


FOLLOW_UP_OUTCOMES = ("new_customers", "public_contract", "financing", "hiring")


def follow_up_answer_give(
    *, booking: Booking, by: User, answers: dict[str, bool], comment: str = ""
) -> FollowUpAnswer:
    """The entrepreneur says what the advice that began with `booking` (their
    enterprise's first session) led to; once."""
    if len(comment) > 2000:
        raise BookingError(_("Write at most 2,000 characters."), field="comment")
    with transaction.atomic():
        booking = Booking.objects.select_for_update().get(pk=booking.pk)
        if by.pk != booking.entrepreneur_id:
            raise BookingError(_("Only the person who booked answers the follow-up."))
        if FollowUpAnswer.objects.filter(booking=booking).exists():
            raise BookingError(_("You have already answered. Thank you!"))
        answer = FollowUpAnswer.objects.create(
            booking=booking,
            comment=comment,
            **{outcome: bool(answers.get(outcome)) for outcome in FOLLOW_UP_OUTCOMES},
        )
        audit("booking.follow_up", subject=booking, actor=by)
    return answer


# --- Enterprises and the entrepreneur's profile -------------------------------------

ENTERPRISE_FIELDS = ("name", "org_number", "kind", "legal_form", "women_led", "municipality")


def enterprise_save(*, user: User, enterprise: Enterprise | None = None, data: dict[str, Any]) -> Enterprise:
    """Create an enterprise with `user` as its first member, or update one they
    belong to. `data` holds ENTERPRISE_FIELDS (municipality as a Municipality).
    The organisation number is stored normalised (NNNNNN-NNNN) and never a
    personal identity number. Raises BookingError naming the field; nothing is
    written then."""
    if not user.is_entrepreneur:
        raise BookingError(_("Only entrepreneurs describe an enterprise."))
    values = {name: data[name] for name in ENTERPRISE_FIELDS if name in data}
    org_number = (values.get("org_number") or "").strip()
    if org_number:
        try:
            org_number = normalise_org_number(org_number)
        except ValidationError as error:
            raise BookingError(error.messages[0], field="org_number") from error
    values["org_number"] = org_number
    if "women_led" in values and values["women_led"] not in WomenLed.values:
        raise BookingError(_("Choose one of the options."), field="women_led")
    with transaction.atomic():
        created = enterprise is None
        if enterprise is None:
            enterprise = Enterprise()
        elif not enterprise.members.filter(pk=user.pk).exists():
            raise BookingError(_("You can only change an enterprise you belong to."))
        for name, value in values.items():
            setattr(enterprise, name, value)
        enterprise.save()
        if created:
            enterprise.members.add(user)
        audit(
            "enterprise.created" if created else "enterprise.updated",
            actor=user,
            enterprise=enterprise.pk,
        )
    return enterprise


def entrepreneur_profile_save(*, user: User, gender: str) -> EntrepreneurProfile:
    """Record the gender the person gives, used only for anonymous statistics
    (bookings copy it into their stat_ fields when made). The value itself is
    not written to the audit trail."""
    if gender not in Gender.values:
        raise BookingError(_("Choose one of the options."), field="gender")
    with transaction.atomic():
        profile, _created = EntrepreneurProfile.objects.update_or_create(
            user=user, defaults={"gender": gender}
        )
        audit("entrepreneur_profile.saved", actor=user)
    return profile


# --- Privacy: erasure and retention ----------------------------------------------------

ERASED_ENTERPRISE_NAME = "—"


def person_bookings_erase(*, user: User, now: datetime) -> None:
    """Remove what the bookings app holds about `user` as an entrepreneur: the
    link from their bookings and waitlist entries, what they wrote (messages,
    needs, feedback and follow-up comments), the advisors' notes about them, their profile and
    their enterprises' details (an enterprise others still belong to only
    loses them as a member). The stat_* facts, the times, status, topic and
    ratings stay, so every statistics total is unchanged (invariant 5)."""
    booking_ids = list(Booking.objects.filter(entrepreneur=user).values_list("pk", flat=True))
    Feedback.objects.filter(booking__in=booking_ids).update(comment="")
    FollowUpAnswer.objects.filter(booking__in=booking_ids).update(comment="")
    Booking.objects.filter(pk__in=booking_ids).update(
        entrepreneur=None,
        enterprise=None,
        message="",
        needs={},
        private_notes="",
        outcome_note="",
        cancel_reason="",
        updated=now,
    )
    WaitlistEntry.objects.filter(entrepreneur=user).update(entrepreneur=None, enterprise=None)
    EntrepreneurProfile.objects.filter(user=user).delete()
    for enterprise in Enterprise.objects.filter(members=user):
        enterprise.members.remove(user)
        if not enterprise.members.exists():
            enterprise.name = ERASED_ENTERPRISE_NAME
            enterprise.org_number = ""
            enterprise.save(update_fields=["name", "org_number"])
    audit("person.erased", actor=None, bookings=len(booking_ids))


def bookings_pseudonymise(*, now: datetime | None = None) -> int:
    """Retention: bookings that ended more than settings.RETENTION_MONTHS ago
    lose what ties them to a person (the entrepreneur and enterprise, the
    message and needs, the advisor's private notes and outcome note, the cancellation reason, the
    feedback and follow-up comments); the facts statistics count stay. Safe to run twice or
    at once: each update only touches rows with something left to clear.
    Returns the number of bookings changed."""
    now = now or timezone.now()
    cutoff = months_before(now, settings.RETENTION_MONTHS)
    old = Booking.objects.filter(end__lt=cutoff)
    with transaction.atomic():
        Feedback.objects.filter(booking__in=old).exclude(comment="").update(comment="")
        FollowUpAnswer.objects.filter(booking__in=old).exclude(comment="").update(comment="")
        changed = (
            old.filter(
                Q(entrepreneur__isnull=False)
                | Q(enterprise__isnull=False)
                | ~Q(message="")
                | ~Q(needs={})
                | ~Q(private_notes="")
                | ~Q(outcome_note="")
                | ~Q(cancel_reason="")
            )
            .order_by()
            .update(
                entrepreneur=None,
                enterprise=None,
                message="",
                needs={},
                private_notes="",
                outcome_note="",
                cancel_reason="",
            )
        )
        WaitlistEntry.objects.filter(created__lt=cutoff, entrepreneur__isnull=False).exclude(
            status__in=WAITLIST_ACTIVE
        ).update(entrepreneur=None, enterprise=None)
        if changed:
            audit("bookings.pseudonymised", actor=None, count=changed, before=cutoff.isoformat())
    return changed


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (the month's last
    day when that month is shorter: 31 May minus 3 months is 28 or 29 Feb)."""
    total = moment.year * 12 + (moment.month - 1) - months
    year, month = divmod(total, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)
