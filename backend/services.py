"""Account operations, and the workers' heartbeat."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from .models import ApiToken, User, WorkerHeartbeat

# A worker gone this long (scaled down, renamed) leaves the status page.
WORKER_HEARTBEAT_KEEP = timedelta(days=7)


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
