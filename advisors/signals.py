"""What advisors announces. Sent inside the transaction that made the change,
so receivers (notifications' outbox) write their rows in it too and roll back
with it; receivers must only record work, never do slow I/O."""

from django.dispatch import Signal

# A coordinator invited a new advisor, or sent the invitation again: sent with
# `advisor` (the Advisor, its user made in the same transaction when new),
# `coordinator` (who invited) and `resent` ("" for the first invitation, else
# what tells this sending from the others: a double click sends it once).
advisor_invited = Signal()
