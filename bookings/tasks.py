"""Celery tasks of the bookings app. Tasks load rows and call a service."""

from __future__ import annotations

from celery import shared_task

from .services import bookings_pseudonymise
from .waitlist import waitlist_expire_offers


# Beat runs this every minute (CELERY_BEAT_SCHEDULE). Safe to run twice, even
# at once: each offer is expired under its row lock, only while still due.
@shared_task
def expire_waitlist_offers() -> int:
    """Expire waitlist offers whose time to claim has run out, passing each
    slot on to the next in line."""
    return waitlist_expire_offers()


# Beat runs this nightly (CELERY_BEAT_SCHEDULE). Safe to run twice, even at
# once: it only clears what is still there to clear.
@shared_task
def pseudonymise_old_bookings() -> int:
    """Bookings older than settings.RETENTION_MONTHS lose what ties them to a
    person; statistics keep their facts."""
    return bookings_pseudonymise()
