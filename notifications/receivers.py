"""Listening to the bookings, advisors and reporting apps: each event becomes outbox
rows, written in the transaction that made it (the signals are sent inside it)."""

from django.dispatch import receiver

from advisors.signals import advisor_invited
from bookings import signals
from bookings.waitlist import waitlist_offered
from reporting.signals import statistics_report_ready

from . import outbox


@receiver(signals.booking_created, dispatch_uid="notifications.booking_created")
def on_booking_created(sender, booking, **kwargs):
    outbox.record_booking_created(booking)


@receiver(signals.booking_rescheduled, dispatch_uid="notifications.booking_rescheduled")
def on_booking_rescheduled(sender, booking, previous_start=None, previous_end=None, **kwargs):
    outbox.record_booking_rescheduled(booking, previous_start=previous_start, previous_end=previous_end)


@receiver(signals.booking_cancelled, dispatch_uid="notifications.booking_cancelled")
def on_booking_cancelled(sender, booking, by=None, **kwargs):
    outbox.record_booking_cancelled(booking, by=by)


@receiver(signals.booking_completed, dispatch_uid="notifications.booking_completed")
def on_booking_completed(sender, booking, attended, **kwargs):
    outbox.record_booking_completed(booking, attended=attended)


@receiver(waitlist_offered, dispatch_uid="notifications.waitlist_offered")
def on_waitlist_offered(sender, entry, **kwargs):
    outbox.record_waitlist_offered(entry)


@receiver(advisor_invited, dispatch_uid="notifications.advisor_invited")
def on_advisor_invited(sender, advisor, coordinator, resent="", **kwargs):
    outbox.record_advisor_invited(advisor=advisor, coordinator=coordinator, resent=resent)


@receiver(statistics_report_ready, dispatch_uid="notifications.statistics_report_ready")
def on_statistics_report_ready(sender, coordinator, region, month, subject, body, attachment, **kwargs):
    outbox.record_statistics_report(
        coordinator=coordinator, region=region, month=month, subject=subject, body=body, attachment=attachment
    )
