"""What bookings announce. Sent inside the booking's transaction, so receivers
(notifications' outbox) write their rows in it too; receivers must only record
work, never do slow I/O.

Every booking signal is sent with `booking` (the saved Booking) and `by` (the
user who acted, or None for the system)."""

from django.dispatch import Signal

booking_created = Signal()
booking_rescheduled = Signal()  # also: previous_start, previous_end
booking_cancelled = Signal()  # also: reason
booking_completed = Signal()  # also: attended (bool)
