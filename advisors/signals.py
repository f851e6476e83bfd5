"""What advisors announces. Sent inside the transaction that made the change,
so receivers (notifications' outbox) write their rows in it too and roll back
with it; receivers must only record work, never do slow I/O."""

from django.dispatch import Signal

# A coordinator invited a new advisor: sent with `advisor` (the new Advisor,
# its user made in the same transaction) and `coordinator` (who invited).
advisor_invited = Signal()
