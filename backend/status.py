"""The staff status page: is mail going out, is the worker keeping up, is beat
alive, do the database and the broker answer. One page an operator opens
when someone says "I got no confirmation"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.apps import apps
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db.models import Count, Min
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .health import health_report
from .observability import last_beat_run

# The beat task that stamps its runs (notifications/tasks.py).
DISPATCH_TASK = "notifications.tasks.dispatch_due_messages"


@dataclass(frozen=True)
class QueueLength:
    """The broker's queue: `length` when it could be read, else `error` says why."""

    name: str
    length: int | None
    error: str = ""


def outbox_summary() -> dict:
    """Outbox rows by state (every state, zeros included), the failed count and
    the oldest pending due time: two aggregate queries."""
    # backend sits below the apps (imports flow notifications → backend), so the
    # model is looked up by name here rather than imported.
    outbox = apps.get_model("notifications", "OutboxMessage")
    state_field = outbox._meta.get_field("state")
    counts = dict(outbox.objects.values_list("state").annotate(n=Count("pk")).order_by())
    by_state = [(value, label, counts.get(value, 0)) for value, label in state_field.flatchoices]
    oldest = outbox.objects.filter(state="pending").aggregate(oldest=Min("due_at"))["oldest"]
    return {
        "by_state": by_state,
        "failed": counts.get("failed", 0),
        "oldest_pending_due": oldest,
        "failed_url": reverse("admin:notifications_outboxmessage_changelist") + "?state__exact=failed",
    }


def broker_queue_length() -> QueueLength | None:
    """Tasks waiting in the Redis broker's default queue; None when the broker
    is not Redis (the filesystem broker of the embedded mode has no such list)."""
    from backend.celery import app

    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        return None
    import redis

    name = app.conf.task_default_queue
    try:
        with redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2) as client:
            return QueueLength(name, int(client.llen(name)))
    except redis.RedisError as exc:
        return QueueLength(name, None, f"{type(exc).__name__}: {exc}"[:300])


def last_dispatch_run() -> datetime | None:
    return last_beat_run(DISPATCH_TASK)


@never_cache
@require_GET
def status_page(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not request.user.is_staff:
        raise Http404  # the page's existence is nobody else's business
    health = health_report()
    return render(
        request,
        "staff/status.html",
        {
            "outbox": outbox_summary(),
            "queue": broker_queue_length(),
            "last_beat_run": last_dispatch_run(),
            "health": health.status,
            "checks": sorted(health.checks.items()),
            "worker_heartbeat": health.worker,
            "worker_max_age_minutes": settings.WORKER_HEARTBEAT_MAX_AGE_SECONDS // 60,
        },
    )
