"""The waitlist: services and selectors.

When an advisor, or a topic in a region, has no free time in the next
WAITLIST_DAYS days, an entrepreneur may join its waitlist. A cancelled booking
frees a slot; the first in line (oldest waiting entry) is offered that exact
slot and has until `offer_expires_at` to claim it. While the offer is open the
slot is *held*: `waitlist_held_sql`, part of the booked source, makes it
busy for everyone, the holder included, until the offer is claimed (the entry
turns booked in the same transaction as the booking is made), withdrawn, or
expired by the beat task `bookings.tasks.expire_waitlist_offers`, which passes
it on to the next in line.

Services are keyword-only, run in one transaction each, raise WaitlistError (a
BookingError, so `bookings.api.refusal` answers them) and write an audit entry.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from advisors.models import Advisor, Region, Topic
from advisors.selectors import (
    SlotCheck,
    advisor_directory,
    advisor_slots,
    bookable_advisors,
    next_available,
    slot_check,
)
from backend import sql
from backend.audit import audit
from backend.errors import ErrorKind
from backend.models import User
from backend.moments import daytime_deadline

from .models import (
    WAITLIST_ACTIVE,
    Booking,
    Enterprise,
    EntrepreneurProfile,
    Gender,
    WaitlistEntry,
    WaitlistStatus,
)
from .pseudonyms import KeyMaker
from .services import BookingError, booking_create, enterprise_of

# How far ahead "no free time" looks, and how far ahead a freed slot is offered.
WAITLIST_DAYS = 14
# One sweep expires at most this many offers; the next minute's run takes the rest.
EXPIRE_BATCH = 500

# Sent with `entry` (the WaitlistEntry just offered a slot) inside the offer's
# transaction; notifications will write its outbox row from it.
waitlist_offered = Signal()


class WaitlistError(BookingError):
    """A waitlist operation that cannot be done (400 unless its kind says otherwise)."""


class WaitlistConflict(WaitlistError):
    """A clash with the current state (409): already waiting, free times exist,
    the offer is closed or its time ran out."""

    kind = ErrorKind.CONFLICT


# --- Selectors ---------------------------------------------------------------


def waitlist_held_sql(
    advisor_ids: Sequence[int], start: datetime, end: datetime, exclude: Collection[object] = ()
) -> tuple[str, list[object]]:
    """SQL and its parameters for (advisor id, start, end, NULL, NULL) of the
    slots held by open offers of these advisors overlapping [start, end), so
    a booked source may UNION it with its own rows (no stored blocked range:
    the engine widens a hold by today's buffers). A key ("waitlist", entry pk)
    in `exclude` leaves that entry's hold out.

    A hold lasts while the entry is `offered`, up to a minute past its deadline
    until the sweep expires it: so the next in line, not the quickest visitor,
    gets the slot."""
    skip = [key[1] for key in exclude if isinstance(key, tuple) and len(key) == 2 and key[0] == "waitlist"]
    leave_out = f" AND id NOT IN ({sql.placeholders(len(skip))})" if skip else ""
    query = (
        f"SELECT offered_advisor_id, offered_start, offered_end, NULL, NULL FROM {sql.table(WaitlistEntry)}"  # noqa: S608 - fixed text
        f" WHERE status = %s AND offered_advisor_id IN ({sql.placeholders(len(advisor_ids))})"
        f" AND offered_start < %s AND offered_end > %s{leave_out}"
    )
    params = [
        WaitlistStatus.OFFERED.value,
        *advisor_ids,
        sql.moment_param(end),
        sql.moment_param(start),
        *skip,
    ]
    return query, params


def waitlist_entries_of(user: User) -> QuerySet[WaitlistEntry]:
    """A person's own waitlist entries, newest first; nobody else's (invariant 7)."""
    if not user.is_authenticated:
        return WaitlistEntry.objects.none()
    return (
        WaitlistEntry.objects.filter(entrepreneur=user)
        .select_related(
            "advisor__user",
            "region",
            "topic",
            "offered_advisor__user",
            "booking",
            "enterprise",
            "entrepreneur",
        )
        .prefetch_related("offered_advisor__topics")
        .order_by("-created", "-pk")
    )


def _today(advisor_timezone: str, now: datetime) -> date:
    return now.astimezone(ZoneInfo(advisor_timezone)).date()


def _within_window(start: datetime, advisor_timezone: str, now: datetime) -> bool:
    """Whether `start` falls on today or one of the next WAITLIST_DAYS days, locally."""
    last_day = _today(advisor_timezone, now) + timedelta(days=WAITLIST_DAYS)
    return start.astimezone(ZoneInfo(advisor_timezone)).date() <= last_day


def waitlist_free_time_exists(
    *, advisor: Advisor | None = None, region: Region | None = None, topic: Topic | None = None, now: datetime
) -> bool:
    """Whether there is a free time in the next WAITLIST_DAYS days (today
    included, in the advisor's zone) with `advisor`, or with any active advisor
    of `region` who advises on `topic`. A fixed number of queries, however
    many advisors the region has."""
    if advisor is not None:
        today = _today(advisor.timezone, now)
        slots = advisor_slots(
            advisor,
            first_day=today,
            last_day=today + timedelta(days=WAITLIST_DAYS),
            # The shortest session is the easiest to fit: none of it, none at all.
            duration=min(advisor.session_lengths or [60]),
            now=now,
        )
        return bool(slots)
    if region is None or topic is None:
        raise ValueError("waitlist_free_time_exists needs an advisor, or a region and a topic.")
    advisors = list(advisor_directory(region=region.pk, topic=topic.slug))
    first_free = next_available(advisors, now=now)
    return any(
        (start := first_free.get(a.pk)) is not None and _within_window(start, a.timezone, now)
        for a in advisors
    )


# --- Shared steps ------------------------------------------------------------


def waitlist_claim_hours() -> int:
    """The longest a person has to claim an offer (WAITLIST_CLAIM_HOURS)."""
    return settings.WAITLIST_CLAIM_HOURS


def _offer_slot(
    *,
    advisor_id: int,
    start: datetime,
    duration: int,
    now: datetime,
    skip_person: int | None = None,
    cause: Booking | None = None,
) -> WaitlistEntry | None:
    """Offer the slot `start` of `duration` minutes with the advisor to the
    first in line, if it is still bookable and soon enough to be worth a
    waitlist; returns the entry offered it, or None. Call inside a transaction."""
    advisor = bookable_advisors().filter(pk=advisor_id).first()
    if advisor is None:
        return None
    latest = start - timedelta(hours=advisor.min_notice_hours)
    # Nobody should have to answer in the night: a deadline there moves to the morning.
    deadline = daytime_deadline(
        min(now + timedelta(hours=waitlist_claim_hours()), latest), advisor.zone, latest=latest
    )
    if deadline <= now:
        return None  # too late for anyone to book it now
    if not _within_window(start, advisor.timezone, now):
        return None  # beyond what the waitlist promised: it goes back to everyone
    if slot_check(advisor, start=start, duration=duration, now=now) is not SlotCheck.FREE:
        return None  # the advisor changed their hours, or an external event took it

    topic_ids = list(advisor.topics.values_list("pk", flat=True))
    queue = (
        WaitlistEntry.objects.filter(status=WaitlistStatus.WAITING, entrepreneur__is_active=True)
        .filter(
            Q(advisor=advisor) | Q(advisor__isnull=True, region_id=advisor.region_id, topic_id__in=topic_ids)
        )
        .order_by("created", "pk")
    )
    if skip_person is not None:
        queue = queue.exclude(entrepreneur_id=skip_person)
    # Two slots freed at once must not both go to the same person: each takes
    # the first entry no one else holds a lock on.
    entry = queue.select_for_update(skip_locked=True, of=("self",)).first()
    if entry is None:
        return None

    entry.status = WaitlistStatus.OFFERED
    entry.offered_advisor = advisor
    entry.offered_start = start
    entry.offered_end = start + timedelta(minutes=duration)
    entry.offered_duration = duration
    entry.offer_expires_at = deadline
    entry.save(
        update_fields=[
            "status",
            "offered_advisor",
            "offered_start",
            "offered_end",
            "offered_duration",
            "offer_expires_at",
            "updated",
        ]
    )
    audit(
        "waitlist.offered",
        actor=None,
        subject=cause,
        entry=entry.pk,
        advisor=advisor.pk,
        start=start.isoformat(),
        expires=deadline.isoformat(),
    )
    waitlist_offered.send(sender=WaitlistEntry, entry=entry)
    return entry


# --- Services ----------------------------------------------------------------


def waitlist_join(
    *,
    entrepreneur: User,
    advisor: Advisor | None = None,
    region: Region | None = None,
    topic: Topic | None = None,
    enterprise: Enterprise | None = None,
    now: datetime | None = None,
) -> WaitlistEntry:
    """Put the entrepreneur on the waitlist of `advisor`, or of `topic` in `region`.

    Allowed only when there is no free time in the next WAITLIST_DAYS days, and
    once per target while the entry is active (waiting or offered): the
    partial unique constraints stop a second one even from two requests at
    once. Raises WaitlistConflict (409) when free times exist or the person is
    already waiting, WaitlistError (400) for bad input; nothing is written then.
    The statistical facts of unmet demand are fixed here (invariant 5)."""
    now = now or timezone.now()
    if not entrepreneur.is_entrepreneur:
        raise WaitlistError(_("Only entrepreneurs join a waitlist."))
    if advisor is not None and (region is not None or topic is not None):
        raise WaitlistError(_("Choose either an advisor, or a topic in a region, not both."))
    if advisor is None:
        if region is None:
            raise WaitlistError(_("Choose a region."), field="region")
        if topic is None or not topic.is_active:
            raise WaitlistError(_("Choose a topic."), field="topic")
    enterprise = enterprise_of(entrepreneur, enterprise)

    with transaction.atomic():
        if advisor is not None:
            advisor = bookable_advisors().filter(pk=advisor.pk).select_related("region").first()
            if advisor is None:
                raise WaitlistError(_("This advisor does not take bookings at the moment."), field="advisor")
            mine = WaitlistEntry.objects.filter(advisor=advisor)
        else:
            mine = WaitlistEntry.objects.filter(advisor__isnull=True, region=region, topic=topic)
        if mine.filter(entrepreneur=entrepreneur, status__in=WAITLIST_ACTIVE).exists():
            raise WaitlistConflict(_("You are already on this waitlist."))
        if waitlist_free_time_exists(advisor=advisor, region=region, topic=topic, now=now):
            raise WaitlistConflict(_("There are free times: book one instead."))

        profile = EntrepreneurProfile.objects.filter(user=entrepreneur).first()
        entry = WaitlistEntry(
            entrepreneur=entrepreneur,
            advisor=advisor,
            region=region,
            topic=topic,
            enterprise=enterprise,
            # Without an advisor a region is required (checked above).
            stat_region=advisor.region_id if advisor is not None else cast(Region, region).pk,
            stat_topic=topic.slug if topic is not None else "",
            stat_municipality=enterprise.municipality_id or "",
            stat_gender=profile.gender if profile else Gender.NOT_STATED,
            stat_enterprise_kind=enterprise.kind,
            stat_person_key=KeyMaker().person(entrepreneur.pk),
        )
        try:
            with transaction.atomic():  # a savepoint: a lost race must not spoil the outer transaction
                entry.save()
        except IntegrityError as exc:
            # The same person joined the same waitlist from two requests at once.
            raise WaitlistConflict(_("You are already on this waitlist.")) from exc
        audit(
            "waitlist.joined",
            actor=entrepreneur,
            entry=entry.pk,
            advisor=entry.advisor_id,
            region=entry.region_id,
            topic=entry.stat_topic,
        )
    return entry


def waitlist_withdraw(*, entry: WaitlistEntry, by: User, now: datetime | None = None) -> WaitlistEntry:
    """The entrepreneur leaves the waitlist. An open offer is given up, so its
    slot goes to the next in line. Raises WaitlistConflict (409) when the
    entry is no longer active."""
    now = now or timezone.now()
    with transaction.atomic():
        entry = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.entrepreneur_id != by.pk:
            raise WaitlistError(_("This is not your waitlist entry."))
        if entry.status not in WAITLIST_ACTIVE:
            raise WaitlistConflict(_("You are no longer on this waitlist."))
        was_offered = entry.status == WaitlistStatus.OFFERED
        entry.status = WaitlistStatus.WITHDRAWN
        entry.save(update_fields=["status", "updated"])
        audit("waitlist.withdrawn", actor=by, entry=entry.pk)
        if was_offered:
            offered = entry.offered_slot()
            _offer_slot(
                advisor_id=offered.advisor_id,
                start=offered.start,
                duration=offered.duration,
                now=now,
                skip_person=by.pk,
            )
    return entry


def waitlist_offer_freed_slot(*, booking: Booking, now: datetime | None = None) -> WaitlistEntry | None:
    """Offer the slot of `booking`, just cancelled, to the first in line for its
    advisor, or for a topic the advisor advises on in the advisor's region.
    Run on booking_cancelled inside booking_cancel's transaction, so the slot is never free
    for others between the cancellation and the hold. Returns the entry offered
    the slot, or None (nobody waiting; too late or too far ahead to offer)."""
    now = now or booking.cancelled_at or timezone.now()
    with transaction.atomic():
        return _offer_slot(
            advisor_id=booking.advisor_id,
            start=booking.start,
            duration=booking.duration,
            now=now,
            skip_person=booking.entrepreneur_id,  # they have just given it up
            cause=booking,
        )


def on_booking_cancelled(sender, booking: Booking, **kwargs) -> None:
    """bookings.signals.booking_cancelled, sent by booking_cancel inside its
    transaction: the freed slot goes to the waitlist."""
    waitlist_offer_freed_slot(booking=booking)


def waitlist_claim(
    *,
    entry: WaitlistEntry,
    entrepreneur: User,
    topic: Topic,
    mode: str,
    message: str = "",
    phone: str = "",
    now: datetime | None = None,
) -> Booking:
    """The holder books the offered slot with booking_create (`phone`, for a
    session by phone, as booking_create takes it).

    The hold is the entry itself: it is marked booked first, in the same
    transaction, so its own hold no longer blocks the slot; if booking_create
    refuses (a bad topic or mode, the slot taken by an external event), the
    transaction rolls back and the offer stays open. Raises WaitlistConflict
    (409) when the offer is closed or its time ran out, and what booking_create
    raises otherwise."""
    now = now or timezone.now()
    with transaction.atomic():
        # An offer's advisor never changes once made (offered is never re-entered).
        advisor_id = WaitlistEntry.objects.filter(pk=entry.pk).values_list("offered_advisor_id", flat=True)[0]
        if advisor_id is None:
            raise WaitlistConflict(_("This offer is no longer open."))
        # The person's row, then the advisor's: the order booking_create takes
        # them in, so a claim and a booking queue up rather than deadlock.
        User.objects.select_for_update().filter(pk=entrepreneur.pk).first()
        advisor = Advisor.objects.select_for_update().get(pk=advisor_id)
        entry = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.entrepreneur_id != entrepreneur.pk:
            raise WaitlistError(_("This is not your waitlist entry."))
        if entry.status != WaitlistStatus.OFFERED:
            raise WaitlistConflict(_("This offer is no longer open."))
        offered = entry.offered_slot()
        if now >= offered.expires_at:
            raise WaitlistConflict(_("The time to claim this offer has run out."))
        entry.status = WaitlistStatus.BOOKED
        entry.save(update_fields=["status", "updated"])
        enterprise = (
            Enterprise.objects.filter(pk=entry.enterprise_id, members=entrepreneur).first()
            if entry.enterprise_id is not None
            else None
        )
        booking = booking_create(
            entrepreneur=entrepreneur,
            advisor=advisor,
            start=offered.start,
            duration=offered.duration,
            topic=topic,
            mode=mode,
            message=message,
            enterprise=enterprise,
            phone=phone,
            now=now,
        )
        entry.booking = booking
        entry.save(update_fields=["booking", "updated"])
        audit("waitlist.claimed", actor=entrepreneur, subject=booking, entry=entry.pk)
    return booking


def waitlist_expire_offers(*, now: datetime | None = None) -> int:
    """Expire the offers whose time to claim has run out and pass each slot on to
    the next in line. Safe to run twice at once: each offer is expired under
    its row lock by whichever run gets it (skip_locked), and only while it is
    still offered and due. Returns how many offers this run expired."""
    now = now or timezone.now()
    due = list(
        WaitlistEntry.objects.filter(status=WaitlistStatus.OFFERED, offer_expires_at__lte=now)
        .order_by("offer_expires_at", "pk")
        .values_list("pk", flat=True)[:EXPIRE_BATCH]
    )
    expired = 0
    for pk in due:
        # One transaction an offer: a failure leaves the others expired.
        with transaction.atomic():
            entry = (
                WaitlistEntry.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status=WaitlistStatus.OFFERED, offer_expires_at__lte=now)
                .first()
            )
            if entry is None:
                continue  # claimed, withdrawn or expired by another run meanwhile
            entry.status = WaitlistStatus.EXPIRED
            entry.save(update_fields=["status", "updated"])
            audit("waitlist.expired", actor=None, entry=entry.pk)
            offered = entry.offered_slot()
            _offer_slot(
                advisor_id=offered.advisor_id,
                start=offered.start,
                duration=offered.duration,
                now=now,
                skip_person=entry.entrepreneur_id,
            )
            expired += 1
    return expired
