"""The staff status page: outbox by state, failed messages, the oldest pending
due time, the broker's queue, the last beat sweep and the health checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache

from advisors.models import Topic
from backend import status
from backend.services import worker_heartbeat_record
from bookings import services
from bookings.models import Enterprise, EnterpriseKind
from notifications import tasks
from notifications.models import MessageKind, MessageState, OutboxMessage
from tests import factories

# The last beat sweep is read from the cache: local memory, then Redis.
pytestmark = [pytest.mark.services, pytest.mark.usefixtures("frozen_clock")]

URL = "/staff/status/"
NOW = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)
TUESDAY_0900 = datetime(2027, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def booking(entrepreneur, advisor, monkeypatch):
    """Sara's session with Anna: seven outbox rows (confirmations, reminders,
    feedback requests); one confirmation failed for good."""
    monkeypatch.setattr(tasks.send_message, "delay", lambda message_id: None)
    enterprise = Enterprise.objects.create(
        name="Returhuset", kind=EnterpriseKind.SOCIAL, municipality_id="2080"
    )
    enterprise.members.add(entrepreneur)
    booking = services.booking_create(
        entrepreneur=entrepreneur,
        advisor=advisor,
        start=TUESDAY_0900,
        duration=60,
        topic=Topic.objects.get(slug="financing"),
        mode="video",
    )
    OutboxMessage.objects.filter(
        booking=booking, kind=MessageKind.CONFIRMATION, recipient="entrepreneur"
    ).update(state=MessageState.FAILED)
    return booking


def test_staff_see_the_outbox_by_state_and_a_link_to_the_failed_ones(client, staff, booking):
    client.force_login(staff)

    response = client.get(URL)

    assert response.status_code == 200
    by_state = {value: count for value, _label, count in response.context["outbox"]["by_state"]}
    assert by_state == {"pending": 6, "sending": 0, "sent": 0, "failed": 1, "cancelled": 0, "missed": 0}
    page = response.content.decode()
    assert "/admin/notifications/outboxmessage/?state__exact=failed" in page
    oldest = OutboxMessage.objects.filter(state="pending").order_by("due_at").first().due_at
    assert response.context["outbox"]["oldest_pending_due"] == oldest
    assert response["Cache-Control"].startswith("max-age=0")


def test_the_page_shows_the_health_checks(client, staff, db):
    client.force_login(staff)

    response = client.get(URL)

    checks = dict(response.context["checks"])
    assert checks["database"] == "ok"
    assert "broker" in checks
    assert "broker" in response.content.decode()


def test_the_last_beat_sweep_is_recorded_by_the_dispatch_task_and_shown(client, staff, db):
    client.force_login(staff)
    assert client.get(URL).context["last_beat_run"] is None

    tasks.dispatch_due_messages()

    assert client.get(URL).context["last_beat_run"] == NOW


def test_a_worker_that_answered_recently_passes_and_is_named(client, staff, db):
    worker_heartbeat_record(worker="celery@radtid-1", now=NOW - timedelta(seconds=40))
    client.force_login(staff)

    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")

    assert response.context["health"] == "ok"
    assert dict(response.context["checks"])["worker"] == "ok"
    page = response.content.decode()
    assert "All checks pass." in page
    assert "Last answer from a worker: celery@radtid-1" in page


def test_a_stale_heartbeat_is_a_failing_check_on_the_page(client, staff, db):
    worker_heartbeat_record(worker="celery@radtid-1", now=NOW - timedelta(minutes=7))
    client.force_login(staff)

    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert response.context["health"] == "degraded"
    assert dict(response.context["checks"])["worker"] == "The worker last answered 7\xa0minutes ago."
    page = response.content.decode()
    assert "All checks pass." not in page
    assert "A check fails: no worker takes work, so mail and reminders wait." in page
    assert "The worker last answered 7\xa0minutes ago." in page


def test_the_stale_heartbeat_reads_in_swedish(client, staff, db):
    worker_heartbeat_record(worker="celery@radtid-1", now=NOW - timedelta(minutes=7))
    client.force_login(staff)

    page = client.get(URL).content.decode()

    assert "Workern svarade senast för 7\xa0minuter sedan." in page
    assert "Alla kontroller är godkända." not in page


def test_without_a_redis_broker_no_queue_length_is_shown(client, staff, settings, db):
    settings.CELERY_BROKER_URL = "filesystem://"
    client.force_login(staff)
    assert client.get(URL).context["queue"] is None


def test_an_unreachable_redis_broker_is_reported_not_a_500(client, staff, settings, db):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    client.force_login(staff)

    response = client.get(URL)

    assert response.status_code == 200
    queue = response.context["queue"]
    assert queue.length is None
    assert queue.error


def test_the_queue_length_is_read_from_redis(settings):
    """With a real Redis (db 12, emptied around the test), in the pass on Redis."""
    from tests.services import REDIS_URL, redis_database, require_services_pass

    require_services_pass("the queue length is read from a real Redis")
    import redis

    url = REDIS_URL.rsplit("/", 1)[0] + f"/{redis_database(14)}"
    settings.CELERY_BROKER_URL = url
    with redis.Redis.from_url(url) as client:
        client.delete("celery")
        client.rpush("celery", "a", "b", "c")
        try:
            assert status.broker_queue_length() == status.QueueLength("celery", 3)
        finally:
            client.delete("celery")


def test_the_page_takes_a_fixed_number_of_queries(client, staff, booking, django_assert_max_num_queries):
    client.force_login(staff)
    client.get(URL)  # session and user are loaded once per request; count the rest
    # session, user, its two-factor check, health SELECT 1, the worker heartbeat, two outbox aggregates
    with django_assert_max_num_queries(7):
        assert client.get(URL).status_code == 200


def test_others_get_a_404(client, entrepreneur, advisor, coordinator):
    for person in (entrepreneur, advisor.user, coordinator.user):
        client.force_login(person)
        assert client.get(URL).status_code == 404


def test_a_visitor_is_sent_to_sign_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/staff/status/")


def test_staff_without_two_factor_are_sent_to_set_it_up_as_for_the_admin(client, db):
    operator = factories.StaffFactory(email="new-ops@example.se", totp=False)
    client.force_login(operator)

    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"


def test_without_the_admin_s_rule_staff_without_two_factor_see_the_page(client, db, settings):
    settings.ADMIN_REQUIRES_MFA = False
    client.force_login(factories.StaffFactory(email="new-ops@example.se", totp=False))

    assert client.get(URL).status_code == 200
