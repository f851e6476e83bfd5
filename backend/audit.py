"""The audit trail: who did what, when, and to what (backend.models.AuditEntry).

Every app writes it through `audit()`, inside the transaction of the change it
records, so an entry exists exactly when its change does. What goes in `data`
is facts (ids, counts, flags), never free text a person wrote: a cancellation
records whether a reason was given, not the reason, which lives on the booking
where erasure and retention clear it.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from .models import AuditEntry, User


def audit(action: str, *, actor: User | None, subject: models.Model | None = None, **data: Any) -> AuditEntry:
    """Record that `actor` (None: the system, or a person since erased) did
    `action` ("booking.cancelled", dotted: app or object, then what happened)
    to `subject` (any saved object, or None), with `data` as JSON. Raises
    ValueError for an unsaved subject, which could never be found again."""
    if subject is not None and subject.pk is None:
        raise ValueError(f"The subject of {action!r} must be saved first.")
    return AuditEntry.objects.create(action=action, actor=actor, subject=subject, data=data)
