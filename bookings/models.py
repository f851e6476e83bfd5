"""Enterprises, bookings, feedback and the waitlist."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, NamedTuple

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from advisors.models import Advisor, MeetingMode, Municipality, Topic


class EnterpriseKind(models.TextChoices):
    WORK_INTEGRATING = "work_integrating", _("Work-integrating social enterprise")
    SOCIAL = "social", _("Other social enterprise")
    IDEA = "idea", _("Idea, not yet registered")
    OTHER = "other", _("Other")


class LegalForm(models.TextChoices):
    ECONOMIC_ASSOCIATION = "economic_association", _("Economic association (ekonomisk förening)")
    NON_PROFIT_ASSOCIATION = "non_profit_association", _("Non-profit association (ideell förening)")
    LIMITED_COMPANY = "limited_company", _("Limited company (aktiebolag)")
    LIMITED_COMPANY_SVB = "limited_company_svb", _("Limited company with restricted dividends (AB SVB)")
    FOUNDATION = "foundation", _("Foundation (stiftelse)")
    TRADING_PARTNERSHIP = "trading_partnership", _("Trading partnership (handelsbolag)")
    SOLE_TRADER = "sole_trader", _("Sole trader (enskild firma)")
    OTHER = "other", _("Other")
    UNKNOWN = "", _("Not known")


class Gender(models.TextChoices):
    WOMAN = "woman", _("Woman")
    MAN = "man", _("Man")
    OTHER = "other", _("Other or non-binary")
    NOT_STATED = "not_stated", _("Prefer not to say")


class WomenLed(models.TextChoices):
    """Whether an enterprise is led by women, as funders count it: women hold
    at least half of its ownership or of its management."""

    YES = "yes", _("Yes")
    NO = "no", _("No")
    NOT_STATED = "not_stated", _("Not stated")


class Enterprise(models.Model):
    """A social enterprise, or the idea of one. A person may belong to several."""

    name = models.CharField(_("name"), max_length=200)
    org_number = models.CharField(
        _("organisation number"), max_length=11, blank=True, help_text=_("NNNNNN-NNNN, if registered.")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=EnterpriseKind.choices)
    legal_form = models.CharField(_("legal form"), max_length=30, choices=LegalForm.choices, blank=True)
    # Unknown only for an enterprise an advisor entered for a caller who did
    # not say (bookings.callers); the enterprise's own form asks for it.
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enterprises",
        verbose_name=_("municipality"),
    )
    women_led = models.CharField(
        _("led by women"),
        max_length=12,
        choices=WomenLed.choices,
        default=WomenLed.NOT_STATED,
        help_text=_("Women own at least half of the enterprise or make up at least half of its management."),
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="enterprises", blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class EntrepreneurProfile(models.Model):
    """What an entrepreneur tells about themself for anonymous statistics."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="entrepreneur"
    )
    gender = models.CharField(_("gender"), max_length=12, choices=Gender.choices, default=Gender.NOT_STATED)

    class Meta:
        verbose_name = _("entrepreneur profile")
        verbose_name_plural = _("entrepreneur profiles")

    def __str__(self) -> str:
        return str(self.user)


class BookingStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    CANCELLED = "cancelled", _("Cancelled")
    COMPLETED = "completed", _("Held")
    NO_SHOW = "no_show", _("No-show")


class Booking(models.Model):
    """One advice session between an entrepreneur and an advisor.

    `blocked_start`..`blocked_end` is the session widened by the advisor's
    buffers when it was booked; on PostgreSQL the exclusion constraint
    `booking_no_overlap_per_advisor` (migration 0002; SQLite cannot express it)
    keeps the blocked ranges of one advisor's active bookings from overlapping
    (invariant 1), whatever code writes them. The `stat_*` fields are the facts
    statistics need, fixed when the booking is made, so that later edits or an
    erased account do not change history (invariant 5)."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    advisor = models.ForeignKey(Advisor, on_delete=models.PROTECT, related_name="bookings")
    entrepreneur = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="bookings"
    )
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.SET_NULL, null=True, blank=True, related_name="bookings"
    )
    # The advisor who booked it for the person (bookings.callers); None when
    # the person booked it themselves. stat_booked_by_advisor keeps the fact.
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="bookings_made",
        verbose_name=_("booked by"),
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    duration = models.PositiveSmallIntegerField(_("minutes"))
    blocked_start = models.DateTimeField(editable=False)
    blocked_end = models.DateTimeField(editable=False)
    topic = models.ForeignKey(
        Topic, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("topic")
    )
    mode = models.CharField(_("meeting mode"), max_length=10, choices=MeetingMode.choices)
    location = models.CharField(_("place"), max_length=250, blank=True)
    meeting_url = models.URLField(_("video meeting link"), blank=True)
    phone = models.CharField(_("phone number"), max_length=30, blank=True)
    message = models.TextField(_("what you would like help with"), max_length=2000, blank=True)
    # What the person needs to take part (bookings.needs): theirs, cleared
    # with what they wrote; stat_needs below keeps only the kinds.
    needs = models.JSONField(_("needs"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=BookingStatus.choices, default=BookingStatus.CONFIRMED
    )
    # RFC 5545 SEQUENCE of the invite: raised by every change a calendar must follow.
    sequence = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(_("reason"), max_length=500, blank=True)
    private_notes = models.TextField(_("private notes"), blank=True, max_length=10000)
    # The advisor's record of what the session covered and agreed, which the
    # entrepreneur sees too: the documented support a funder counts
    # (reporting.project_report). `outcome_noted` is the fact that a note was
    # recorded; it outlives the text, which erasure and retention clear.
    outcome_note = models.TextField(_("outcome of the session"), blank=True, max_length=5000)
    outcome_noted = models.DateTimeField(null=True, blank=True, editable=False)
    # Its audit entries (booking.audit.all(), AuditEntry.objects.filter(booking=…)),
    # which go with it if a booking is ever deleted.
    audit = GenericRelation("backend.AuditEntry", related_query_name="booking")

    # Statistical facts, fixed at booking time.
    stat_region = models.CharField(max_length=2, editable=False)
    stat_municipality = models.CharField(max_length=4, editable=False)
    stat_enterprise_kind = models.CharField(max_length=20, editable=False)
    stat_gender = models.CharField(max_length=12, editable=False)
    stat_first_time = models.BooleanField(editable=False)
    stat_waiting_days = models.PositiveIntegerField(editable=False)
    stat_enterprise_key = models.CharField(max_length=64, editable=False)
    stat_person_key = models.CharField(max_length=64, editable=False)
    stat_advisor_organisation = models.CharField(max_length=150, editable=False)
    stat_women_led = models.BooleanField(default=False, editable=False)
    stat_needs = models.JSONField(default=list, editable=False)  # bookings.needs.KINDS
    # The kinds of stat_needs the advisor recorded as not met, with the
    # outcome: kinds only, so it outlives erasure like the facts above.
    needs_not_met = models.JSONField(default=list, blank=True, editable=False)
    stat_booked_by_advisor = models.BooleanField(default=False, editable=False)
    # Raised by every save: with the count and the ids it tells the monthly
    # statistics rollups (reporting.rollups) that a month changed.
    stat_version = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["start"]
        indexes = [
            models.Index(fields=["advisor", "blocked_end"]),
            models.Index(fields=["entrepreneur", "start"]),
            # Covering on PostgreSQL: a month's fingerprint is read from the index alone.
            models.Index(
                fields=["stat_region", "start"], include=["id", "stat_version"], name="booking_region_start"
            ),
            # An enterprise's bookings in order: who is first-time (reporting.first_time).
            models.Index(fields=["stat_enterprise_key", "start"], name="booking_enterprise_start"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=models.F("end")), name="booking_start_before_end"),
        ]

    def __str__(self) -> str:
        return f"{self.start:%Y-%m-%d %H:%M} {self.advisor}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.stat_version += 1
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "stat_version"}
        super().save(*args, **kwargs)

    @property
    def is_active(self) -> bool:
        return self.status != BookingStatus.CANCELLED


class Feedback(models.Model):
    """The entrepreneur's rating of a held session."""

    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="feedback")
    rating = models.PositiveSmallIntegerField(_("rating"))
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        constraints = [
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="feedback_rating_1_5"),
        ]

    def __str__(self) -> str:
        return f"{self.rating}/5"


class FollowUpAnswer(models.Model):
    """What the advice led to, asked about three months after an enterprise's
    first session (`booking`). Reported only in aggregate; the free text is
    for the region's own reading and never leaves the admin."""

    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="follow_up")
    new_customers = models.BooleanField(_("new customers"), default=False)
    public_contract = models.BooleanField(_("a public contract"), default=False)
    financing = models.BooleanField(_("financing"), default=False)
    hiring = models.BooleanField(_("hired people far from the labour market"), default=False)
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("follow-up answer")
        verbose_name_plural = _("follow-up answers")

    def __str__(self) -> str:
        return str(self.booking_id)


class WaitlistStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    OFFERED = "offered", _("Offered a time")
    BOOKED = "booked", _("Booked")
    EXPIRED = "expired", _("Offer expired")
    WITHDRAWN = "withdrawn", _("Withdrawn")


WAITLIST_ACTIVE = (WaitlistStatus.WAITING, WaitlistStatus.OFFERED)


class WaitlistEntry(models.Model):
    """A person waiting for a time with one advisor, or on one topic in one region,
    when nothing was free in the next days (see bookings.waitlist).

    While `status` is offered, the offered slot is held for this person until
    `offer_expires_at`: the waitlist's booked source makes it busy for everyone
    else. The `stat_*` fields are unmet demand for statistics, fixed at joining
    and kept when the account is erased (invariant 5)."""

    entrepreneur = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="waitlist_entries",
    )
    # The target: this advisor, or this topic in this region.
    advisor = models.ForeignKey(
        Advisor,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="waitlist_entries",
        verbose_name=_("advisor"),
    )
    region = models.ForeignKey(
        "advisors.Region",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="waitlist_entries",
        verbose_name=_("region"),
    )
    topic = models.ForeignKey(
        Topic,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="waitlist_entries",
        verbose_name=_("topic"),
    )
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.SET_NULL, null=True, blank=True, related_name="waitlist_entries"
    )
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    updated = models.DateTimeField(auto_now=True)
    status = models.CharField(
        _("status"), max_length=10, choices=WaitlistStatus.choices, default=WaitlistStatus.WAITING
    )

    # The open (or last) offer: one exact slot of one advisor.
    offered_start = models.DateTimeField(null=True, blank=True)
    offered_end = models.DateTimeField(null=True, blank=True)
    offered_duration = models.PositiveSmallIntegerField(null=True, blank=True)
    offered_advisor = models.ForeignKey(
        Advisor, on_delete=models.PROTECT, null=True, blank=True, related_name="waitlist_offers"
    )
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    booking = models.OneToOneField(
        Booking, on_delete=models.SET_NULL, null=True, blank=True, related_name="waitlist_entry"
    )

    # Statistical facts (unmet demand), fixed when joining.
    stat_region = models.CharField(max_length=2, editable=False)
    stat_topic = models.CharField(max_length=60, editable=False, blank=True)
    stat_municipality = models.CharField(max_length=4, editable=False)
    stat_gender = models.CharField(max_length=12, editable=False)
    stat_enterprise_kind = models.CharField(max_length=20, editable=False)
    # The person's pseudonymous key (bookings.pseudonyms), as on their
    # bookings: unmet demand counts people, not entries (issue 16).
    stat_person_key = models.CharField(max_length=64, editable=False, default="")

    class Meta:
        verbose_name = _("waitlist entry")
        verbose_name_plural = _("waitlist entries")
        ordering = ["created", "pk"]
        indexes = [
            models.Index(fields=["status", "offer_expires_at"]),
            models.Index(fields=["offered_advisor", "status"]),
            models.Index(fields=["stat_region", "created"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(advisor__isnull=False, region__isnull=True, topic__isnull=True)
                | Q(advisor__isnull=True, region__isnull=False, topic__isnull=False),
                name="waitlist_one_target",
            ),
            models.CheckConstraint(
                condition=~Q(status=WaitlistStatus.OFFERED)
                | Q(
                    offered_start__isnull=False,
                    offered_end__isnull=False,
                    offered_duration__isnull=False,
                    offered_advisor__isnull=False,
                    offer_expires_at__isnull=False,
                ),
                name="waitlist_offer_complete",
            ),
            models.UniqueConstraint(
                fields=["entrepreneur", "advisor"],
                condition=Q(status__in=WAITLIST_ACTIVE, advisor__isnull=False),
                name="waitlist_one_active_per_advisor",
            ),
            models.UniqueConstraint(
                fields=["entrepreneur", "region", "topic"],
                condition=Q(status__in=WAITLIST_ACTIVE, advisor__isnull=True),
                name="waitlist_one_active_per_region_topic",
            ),
        ]

    def __str__(self) -> str:
        target = self.advisor or f"{self.topic} ({self.region_id})"
        return f"{target}: {self.get_status_display()}"

    @property
    def is_active(self) -> bool:
        return self.status in WAITLIST_ACTIVE

    def offered_slot(self) -> OfferedSlot:
        """The slot of the open (or last) offer. An offered entry always has one
        (the check constraint above); asking an entry never offered one is a bug."""
        advisor_id, start, end = self.offered_advisor_id, self.offered_start, self.offered_end
        duration, expires_at = self.offered_duration, self.offer_expires_at
        if advisor_id is None or start is None or end is None or duration is None or expires_at is None:
            raise ValueError(f"Waitlist entry {self.pk} has never been offered a slot.")
        return OfferedSlot(advisor_id, start, end, duration, expires_at)


class OfferedSlot(NamedTuple):
    advisor_id: int
    start: datetime
    end: datetime
    duration: int
    expires_at: datetime


class PseudonymSecret(models.Model):
    """The secret of one kind of statistics key (`Booking.stat_person_key`,
    `stat_enterprise_key`), kept here rather than derived from SECRET_KEY, so
    that rotating SECRET_KEY leaves every enterprise's and person's key as it
    was: no one is "first time" again, no unique count is split. See
    bookings.pseudonyms."""

    class Purpose(models.TextChoices):
        PERSON = "person", "person"
        ENTERPRISE = "enterprise", "enterprise"

    purpose = models.CharField(max_length=20, choices=Purpose.choices, unique=True)
    secret = models.CharField(max_length=64, editable=False)

    def __str__(self) -> str:
        return self.purpose
