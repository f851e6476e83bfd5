"""Account operations, and the workers' heartbeat."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .audit import audit
from .errors import DomainError
from .models import ApiToken, User, WorkerHeartbeat
from .phone import normalise_phone

# A worker gone this long (scaled down, renamed) leaves the status page.
WORKER_HEARTBEAT_KEEP = timedelta(days=7)
FULL_NAME_MAX_LENGTH = User._meta.get_field("full_name").max_length or 150


class AccountError(DomainError):
    """Account details that cannot be saved (400); nothing was changed."""


@transaction.atomic
def api_token_issue(*, user: User) -> str:
    """Create an API token for `user` and return its key: the only time the key
    is known, since only its digest is stored. Keeps the newest
    ApiToken.MAX_PER_USER tokens of the user, so repeated logins from scripts
    do not pile up live credentials."""
    key = secrets.token_hex(20)
    ApiToken.objects.create(user=user, digest=ApiToken.digest_of(key), prefix=key[:8])
    keep = ApiToken.objects.filter(user=user).order_by("-created", "-pk").values_list("pk", flat=True)
    ApiToken.objects.filter(user=user).exclude(pk__in=list(keep[: ApiToken.MAX_PER_USER])).delete()
    return key


def worker_heartbeat_record(*, worker: str, now: datetime | None = None) -> None:
    """Stamp that `worker` is answering: one upsert, safe when two workers
    of one name race, and workers silent for a week are forgotten."""
    now = now or timezone.now()
    WorkerHeartbeat.objects.bulk_create(
        [WorkerHeartbeat(worker=worker[:255], answered_at=now)],
        update_conflicts=True,
        unique_fields=["worker"],
        update_fields=["answered_at"],
    )
    WorkerHeartbeat.objects.filter(answered_at__lt=now - WORKER_HEARTBEAT_KEEP).delete()


def clean_full_name(value: str) -> str:
    """The name as a person writes it, spaces tidied. Raises AccountError
    for none or one longer than the field holds."""
    name = " ".join(value.split())
    if not name:
        raise AccountError(_("Write your name, as you would like advisors to see it."), field="full_name")
    if len(name) > FULL_NAME_MAX_LENGTH:
        raise AccountError(
            _("Write at most %(count)s characters.") % {"count": FULL_NAME_MAX_LENGTH}, field="full_name"
        )
    return name


def clean_language(value: str) -> str:
    if value not in dict(settings.LANGUAGES):
        raise AccountError(_("Choose Swedish or English."), field="language")
    return value


def clean_phone(value: str, *, field: str = "phone") -> str:
    """`value` as backend.phone keeps it ("" for none); AccountError when it
    cannot be called."""
    try:
        return normalise_phone(value)
    except ValidationError as error:
        raise AccountError(error.messages[0], field=field) from error


def account_details_update(*, user: User, full_name: str, language: str, phone: str = "") -> User:
    """Save the name advisors and mails call the person by, the language of
    their mail and the number an advisor calls for a session by phone.

    A name is required; the phone number may be left out. Raises AccountError
    (400, every field's errors at once) and changes nothing when one is
    wrong; the audit entry names the fields that changed, not their values."""
    errors: dict[str, list] = {}
    values: dict[str, str] = {}
    for name, clean, value in (
        ("full_name", clean_full_name, full_name),
        ("language", clean_language, language),
        ("phone", clean_phone, phone),
    ):
        try:
            values[name] = clean(value)
        except AccountError as error:
            errors[name] = [error.message]
    if errors:
        raise AccountError(errors=errors)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        changed = sorted(name for name, value in values.items() if getattr(user, name) != value)
        if not changed:
            return user
        for name in changed:
            setattr(user, name, values[name])
        user.save(update_fields=changed)
        audit("account.details_changed", actor=user, subject=user, fields=changed)
    return user
