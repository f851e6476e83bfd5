"""Who the load is: run by locust (headless, a subprocess of benchmarks.load).

- Entrepreneurs (most users, each their own account, API token): browse the
  directory (API and pages), open an advisor's free times, book one of the
  first free times (so that some of them race: a lost race is a 409), look at
  their bookings, reschedule, cancel.
- Advisors (session): read their week on the calendar page and through the API.
- A coordinator (session): the region's statistics page and the report as a
  spreadsheet download.

The stack's details come as JSON in LOAD_SPEC (benchmarks/load/stack.py);
users are spread over its hosts (web instances) in turn. At the end, the status
codes each request type got are written as JSON to LOAD_TALLY, with the
latency percentiles; benchmarks/load/checks.py reads them."""

from __future__ import annotations

import itertools
import json
import os
import random
import threading
import uuid
from collections import Counter
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from locust import HttpUser, between, events, task

SPEC = json.loads(os.environ["LOAD_SPEC"])
HOSTS = itertools.cycle(SPEC["hosts"])
ENTREPRENEURS = iter(SPEC["entrepreneurs"])
ADVISORS = itertools.cycle(SPEC["advisors"])
COORDINATORS = itertools.cycle(SPEC["coordinators"])
ADVISOR_IDS = [a["id"] for a in SPEC["advisors"]]
TOPIC = SPEC["topic"]
REGION = SPEC["region"]
MAX_UPCOMING = 3  # BOOKING_MAX_UPCOMING: people stay under it, as the page makes them
ZONE = ZoneInfo("Europe/Stockholm")  # the advisors' zone: "tomorrow" is theirs
BOOKINGS_AN_HOUR = 25  # under THROTTLE_BOOKING_CREATE (30/hour a person)

_lock = threading.Lock()
statuses: dict[str, Counter[int]] = {}
by_host: Counter[str] = Counter()  # requests each web instance answered


@events.request.add_listener
def _count(request_type, name, response, exception, url=None, **kwargs):
    status = getattr(response, "status_code", 0) if response is not None else 0
    host = urlsplit(url or "").netloc
    with _lock:
        statuses.setdefault(f"{request_type} {name}", Counter())[status or 0] += 1
        by_host[host] += 1


@events.quitting.add_listener
def _write_tally(environment, **kwargs):
    path = os.environ.get("LOAD_TALLY")
    if not path:
        return
    stats = environment.stats
    rows = {}
    for entry in stats.entries.values():
        key = f"{entry.method} {entry.name}"
        rows[key] = {
            "requests": entry.num_requests,
            "p50": entry.get_response_time_percentile(0.50),
            "p95": entry.get_response_time_percentile(0.95),
            "p99": entry.get_response_time_percentile(0.99),
            "statuses": {str(k): v for k, v in sorted(statuses.get(key, Counter()).items())},
        }
    total = stats.total
    seconds = (
        max(total.last_request_timestamp - total.start_time, 1e-9) if total.last_request_timestamp else 0
    )
    with open(path, "w") as out:
        json.dump(
            {
                "rows": rows,
                "hosts": dict(by_host),
                "requests": total.num_requests,
                "seconds": seconds,
                "p50": total.get_response_time_percentile(0.50),
                "p95": total.get_response_time_percentile(0.95),
                "p99": total.get_response_time_percentile(0.99),
            },
            out,
        )


def _expected(response, *codes: int) -> None:
    """Mark a response as locust's failure unless its status is one of `codes`.
    A 409 (lost race) is passed by the callers that expect it; the checks count
    it apart from errors."""
    if response.status_code in codes:
        response.success()
    else:
        response.failure(f"{response.status_code}: {response.text[:200]}")


class _SpreadUser(HttpUser):
    abstract = True
    wait_time = between(2, 6)  # a person reads a page before the next click

    def __init__(self, *args, **kwargs):
        with _lock:
            self.host = next(HOSTS)
        super().__init__(*args, **kwargs)
        # A request id of our own, so the checks can find this load's requests in
        # the workers' logs (the id travels with the tasks a request queues).
        self.client.headers["X-Request-ID"] = f"load-{uuid.uuid4().hex}"

    def use_session(self, session: str) -> None:
        """A session made by the allauth form before the load (stack.sign_in_everyone)."""
        self.client.cookies.set("sessionid", session)


class Entrepreneur(_SpreadUser):
    weight = 8

    def on_start(self) -> None:
        with _lock:
            person = next(ENTREPRENEURS)
        self.client.headers["Authorization"] = f"Token {person['token']}"
        self.upcoming: list[str] = []
        self.booked = 0

    def free_times(self, advisor: int) -> list[dict]:
        # The next few days only: everyone wants a time soon, so people meet.
        start = datetime.now(ZONE).date() + timedelta(days=1)
        end = start + timedelta(days=random.randint(1, 4))
        response = self.client.get(
            f"/api/v1/advisors/{advisor}/slots/?start={start}&end={end}&duration=30",
            name="/api/v1/advisors/{id}/slots/",
        )
        return response.json()["slots"] if response.status_code == 200 else []

    @task(3)
    def browse(self) -> None:
        self.client.get(f"/api/v1/advisors/?region={REGION}", name="/api/v1/advisors/?region=")
        self.client.get(f"/advisors/?region={REGION}", name="/advisors/ (page)")
        self.client.get(f"/advisors/{random.choice(ADVISOR_IDS)}/", name="/advisors/{id}/ (page)")

    @task(4)
    def book(self) -> None:
        if len(self.upcoming) >= MAX_UPCOMING or self.booked >= BOOKINGS_AN_HOUR:
            self.cancel()
            return
        advisor = random.choice(ADVISOR_IDS)
        slots = self.free_times(advisor)
        if not slots:
            return
        slot = random.choice(slots[:6])
        body = {"advisor": advisor, "start": slot["start"], "duration": 30, "topic": TOPIC, "mode": "video"}
        with self.client.post(
            "/api/v1/bookings/", json=body, name="/api/v1/bookings/", catch_response=True
        ) as r:
            _expected(r, 201, 409)
            if r.status_code == 201:
                self.upcoming.append(r.json()["uid"])
                self.booked += 1

    @task(2)
    def my_bookings(self) -> None:
        self.client.get("/api/v1/bookings/", name="/api/v1/bookings/")

    @task(2)
    def reschedule(self) -> None:
        if not self.upcoming:
            return
        uid = random.choice(self.upcoming)
        # A booking moves to another of its own advisor's free times; the
        # service re-checks the time, so someone quicker makes it a 409.
        response = self.client.get(f"/api/v1/bookings/{uid}/", name="/api/v1/bookings/{uid}/")
        if response.status_code != 200:
            return
        slots = self.free_times(response.json()["advisor"])
        if not slots:
            return
        with self.client.post(
            f"/api/v1/bookings/{uid}/reschedule/",
            json={"start": random.choice(slots[:6])["start"]},
            name="/api/v1/bookings/{uid}/reschedule/",
            catch_response=True,
        ) as r:
            _expected(r, 200, 409)

    @task(1)
    def cancel(self) -> None:
        if not self.upcoming:
            return
        uid = self.upcoming.pop(random.randrange(len(self.upcoming)))
        with self.client.post(
            f"/api/v1/bookings/{uid}/cancel/",
            json={"reason": "Load test: plans changed"},
            name="/api/v1/bookings/{uid}/cancel/",
            catch_response=True,
        ) as r:
            _expected(r, 200)


class Advisor(_SpreadUser):
    weight = 2

    def on_start(self) -> None:
        with _lock:
            self.use_session(next(ADVISORS)["session"])

    @task(2)
    def my_week_page(self) -> None:
        self.client.get("/advisor/", name="/advisor/ (calendar page)")

    @task(2)
    def my_week_api(self) -> None:
        self.client.get("/api/v1/bookings/?page_size=100", name="/api/v1/bookings/ (advisor)")

    @task(1)
    def bookings_page(self) -> None:
        self.client.get("/bookings/advisor/", name="/bookings/advisor/ (page)")


class Coordinator(_SpreadUser):
    weight = 1
    fixed_count = 1
    wait_time = between(5, 15)

    def on_start(self) -> None:
        with _lock:
            self.use_session(next(COORDINATORS)["session"])

    @task(1)
    def dashboard(self) -> None:
        self.client.get("/statistics/", name="/statistics/ (page)")

    @task(1)
    def download_report(self) -> None:
        end = datetime.now(ZONE).date()
        start = end.replace(year=end.year - 1)
        self.client.get(
            f"/api/v1/statistics/regions/{REGION}/?start={start}&end={end}&format=xlsx",
            name="/api/v1/statistics/regions/{code}/ (xlsx)",
        )
