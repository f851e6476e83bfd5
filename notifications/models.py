"""The outbox: one row per message to send. The row is the truth, written in
the booking's transaction; Celery only delivers it (invariant 3)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from bookings.models import Booking, WaitlistEntry


class MessageKind(models.TextChoices):
    CONFIRMATION = "confirmation", _("Confirmation")
    RESCHEDULE = "reschedule", _("Moved")
    CANCELLATION = "cancellation", _("Cancellation")
    REMINDER = "reminder", _("Reminder")
    FEEDBACK_REQUEST = "feedback_request", _("Feedback request")
    FOLLOW_UP = "follow_up", _("Outcome follow-up")
    WAITLIST_OFFER = "waitlist_offer", _("Waitlist offer")
    ADVISOR_INVITATION = "advisor_invitation", _("Advisor invitation")
    STATISTICS_MONTHLY = "statistics_monthly", _("Monthly statistics")


# What each kind of mail is about (the check constraint holds every row to it).
BOOKING_KINDS = (
    MessageKind.CONFIRMATION,
    MessageKind.RESCHEDULE,
    MessageKind.CANCELLATION,
    MessageKind.REMINDER,
    MessageKind.FEEDBACK_REQUEST,
    MessageKind.FOLLOW_UP,
)
# Mail to a person about their account or role, not about a booking.
PERSON_KINDS = (MessageKind.ADVISOR_INVITATION, MessageKind.STATISTICS_MONTHLY)
# Of those, the ones whose sender wrote the mail whole (subject, body and
# attachments are stored on the row); every other kind is rendered when sent.
STORED_KINDS = (MessageKind.STATISTICS_MONTHLY,)


class MessageState(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")
    MISSED = "missed", _("Missed")


class Recipient(models.TextChoices):
    ENTREPRENEUR = "entrepreneur", _("Entrepreneur")
    ADVISOR = "advisor", _("Advisor")
    COORDINATOR = "coordinator", _("Regional coordinator")


class OutboxMessage(models.Model):
    """One mail to one person: about a booking, a waitlist entry, or (an
    advisor's invitation, a coordinator's monthly statistics) their own role.

    `key` makes the row unique per event (booking, kind, recipient, sequence
    or reminder; the invitation; the coordinator's month), so an event
    recorded twice still gives one mail. The mail is rendered when it is
    sent, from the booking as it is then, so it never shows stale times; a
    newer invite supersedes an older unsent one. Only a mail whose content
    its sender alone can make (STORED_KINDS) is stored as written."""

    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=MessageKind.choices)
    # What the mail is about: a booking, or (for a waitlist offer, which has no
    # booking yet) the waitlist entry offered a slot. Exactly one of the two.
    booking = models.ForeignKey(
        Booking, on_delete=models.CASCADE, related_name="outbox", null=True, blank=True
    )
    waitlist_entry = models.ForeignKey(
        WaitlistEntry, on_delete=models.CASCADE, related_name="outbox", null=True, blank=True
    )
    # The person, for PERSON_KINDS (the mail to a booking's people is addressed
    # by `recipient` when it is sent).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("user"),
    )
    recipient = models.CharField(_("recipient"), max_length=12, choices=Recipient.choices)
    # What a mail rendered when sent needs beyond its row (an invitation: the
    # inviting coordinator's id). Never a secret: staff read it in the admin.
    data = models.JSONField(default=dict, blank=True)
    # STORED_KINDS only: the mail as its sender wrote it.
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body = models.TextField(_("text"), blank=True)
    # Hours before the start, for reminders (24, 2); None for other kinds.
    reminder_hours = models.PositiveSmallIntegerField(null=True, blank=True)
    due_at = models.DateTimeField(_("due"), db_index=True)
    state = models.CharField(
        _("state"), max_length=10, choices=MessageState.choices, default=MessageState.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    # When the sweep handed the row to a worker, or a worker began to send it;
    # a row "sending" for longer than OUTBOX_CLAIM_TIMEOUT_SECONDS is handed out again.
    claimed_at = models.DateTimeField(null=True, blank=True)
    # A worker has claimed this attempt and is talking to the mail server (no
    # transaction is open meanwhile): a second task for the row leaves it alone.
    in_flight = models.BooleanField(_("being sent"), default=False)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["due_at", "pk"]
        indexes = [models.Index(fields=["state", "due_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    kind__in=BOOKING_KINDS,
                    booking__isnull=False,
                    waitlist_entry__isnull=True,
                    user__isnull=True,
                )
                | Q(
                    kind=MessageKind.WAITLIST_OFFER,
                    booking__isnull=True,
                    waitlist_entry__isnull=False,
                    user__isnull=True,
                )
                | Q(
                    kind__in=PERSON_KINDS,
                    booking__isnull=True,
                    waitlist_entry__isnull=True,
                    user__isnull=False,
                ),
                name="outbox_about_what_its_kind_needs",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=STORED_KINDS, subject=""),
                name="outbox_stored_mail_has_a_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient} ({self.state})"


class OutboxAttachment(models.Model):
    """A file a stored mail (STORED_KINDS) carries, kept with it until the
    message is cleaned up. Its own table, so that reading the outbox (the
    sender, the admin's list) never loads the files."""

    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=200)
    content = models.BinaryField()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename


class NotificationSettings(models.Model):
    """A person's choices about reminders."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    reminder_2h = models.BooleanField(_("a reminder two hours before"), default=True)

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")

    def __str__(self) -> str:
        return str(self.user)


class CalendarFeed(models.Model):
    """A person's calendar subscription (GET /calendar/<token>.ics). Only the
    token's SHA-256 digest is stored; the token is shown once, when made."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    digest = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return str(self.user)
