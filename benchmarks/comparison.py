"""Issue 17: Rådtid's slots endpoint against django-appointment 3.10.1's, over
HTTP, on the same machine, in the same run, with the same data.

One advisor (their "staff member"), Monday–Friday 09–17 Europe/Stockholm,
60-minute slots, and the same 1,000 one-hour bookings in both (random working
hours, random.Random(42)). 92 days of working hours hold only about 530 hours,
so the 1,000 bookings are spread over the working hours of the year from
tomorrow on; the measured 92-day window (from tomorrow: django-appointment
refuses past days and trims today's slots) holds about a quarter of them.

django-appointment answers one day per request (`appointment:available_slots_ajax`,
`GET /appointment/ajax/available_slots/?selected_date=…&staff_member=…`);
Rådtid answers 92 days in one. Both are served by gunicorn with one worker and
one thread, each on a SQLite file of its own, and driven alternately.

django-appointment is installed at run time into a throwaway venv
(var/bench-appointment-venv/, reused when already there), never into the
project's; its small Django project is written into a temp dir. Without PyPI
the comparison prints "skipped" and passes."""

from __future__ import annotations

import contextlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time as clock
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from .harness import Figure, report

BASE_DIR = Path(__file__).resolve().parents[1]
VENV = BASE_DIR / "var" / "bench-appointment-venv"
PACKAGE = "django-appointment==3.10.1"
ZONE = ZoneInfo("Europe/Stockholm")
WINDOW_DAYS = 92
BOOKINGS = 1000
SPREAD_DAYS = 365  # the days whose working hours the bookings are drawn from
HOURS = range(9, 17)  # slot starts 09:00 … 16:00, the last ending at 17:00
ROUNDS = 7
TARGET_WINDOW = 150  # × faster for 92 days
TARGET_DAY = 3  # × faster for one day


def working_hours(first_day: date, days: int) -> list[tuple[date, int]]:
    """Every (day, hour) slot start of Monday–Friday 09–17 in `days` days from `first_day`."""
    found: list[tuple[date, int]] = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        if day.weekday() < 5:
            found.extend((day, hour) for hour in HOURS)
    return found


def pick_bookings(first_day: date, *, count: int = BOOKINGS, days: int = SPREAD_DAYS, seed: int = 42):
    """`count` distinct working hours (so no two bookings overlap), drawn with
    random.Random(seed) from the `days` days from `first_day`, in order."""
    return sorted(random.Random(seed).sample(working_hours(first_day, days), count))


def free_per_day(first_day: date, days: int, booked: list[tuple[date, int]]) -> dict[date, int]:
    """What both apps should answer: free 60-minute slots on each day of the window."""
    taken = set(booked)
    counts = {first_day + timedelta(days=n): 0 for n in range(days)}
    for slot in working_hours(first_day, days):
        if slot not in taken:
            counts[slot[0]] += 1
    return counts


# --- django-appointment's project, written at run time -------------------------

THEIR_SETTINGS = """
from pathlib import Path
HERE = Path(__file__).resolve().parent
SECRET_KEY = "bench-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
INSTALLED_APPS = [
    "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
    "django.contrib.sessions", "django.contrib.messages", "django.contrib.staticfiles",
    "phonenumber_field", "appointment",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request", "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": HERE / "appointment.sqlite3"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
TIME_ZONE = "Europe/Stockholm"
USE_TZ = True
LANGUAGE_CODE = "en"
STATIC_URL = "/static/"
APPOINTMENT_SLOT_DURATION = 60
APPOINTMENT_BUFFER_TIME = 0
APPOINTMENT_LEAD_TIME = (9, 0)
APPOINTMENT_FINISH_TIME = (17, 0)
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
"""

THEIR_URLS = """
from django.urls import include, path
urlpatterns = [path("appointment/", include("appointment.urls"))]
"""

THEIR_WSGI = """
import os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
from django.core.wsgi import get_wsgi_application
application = get_wsgi_application()
"""

THEIR_MANAGE = """
import os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
from django.core.management import execute_from_command_line
execute_from_command_line(sys.argv)
"""

# The staff member, the working hours and the appointments, through its models.
THEIR_SEED = """
import json, os, sys
from datetime import date, time, timedelta
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
import django
django.setup()
from django.contrib.auth import get_user_model
from django.db import transaction
from appointment.models import Appointment, AppointmentRequest, Service, StaffMember, WorkingHours

booked = json.load(open(sys.argv[1]))
User = get_user_model()
with transaction.atomic():
    user = User.objects.create_user("advisor", email="advisor@example.se", first_name="Ada", last_name="Advisor")
    client = User.objects.create_user("client", email="client@example.se", first_name="Cleo", last_name="Client")
    service = Service.objects.create(name="Advice", duration=timedelta(hours=1), price=0)
    staff = StaffMember.objects.create(
        user=user, slot_duration=60, appointment_buffer_time=0, slot_gap_time=0,
        lead_time=time(9), finish_time=time(17), work_on_saturday=False, work_on_sunday=False,
    )
    staff.services_offered.add(service)
    # Its days: 0 is Sunday, 1 Monday … 5 Friday.
    WorkingHours.objects.bulk_create(
        WorkingHours(staff_member=staff, day_of_week=d, start_time=time(9), end_time=time(17)) for d in range(1, 6)
    )
    requests = AppointmentRequest.objects.bulk_create(
        AppointmentRequest(date=date.fromisoformat(day), start_time=time(hour), end_time=time(hour + 1),
                           service=service, staff_member=staff)
        for day, hour in booked
    )
    Appointment.objects.bulk_create(Appointment(client=client, appointment_request=r) for r in requests)
print(json.dumps({"staff": staff.pk, "appointments": Appointment.objects.count()}))
"""


def ensure_venv() -> tuple[Path | None, str]:
    """The throwaway venv's python with django-appointment and gunicorn, made on
    first use; (None, why) when it cannot be made."""
    python = VENV / "bin" / "python"
    check = [
        str(python),
        "-c",
        "import importlib.metadata as m, gunicorn; assert m.version('django-appointment') == '3.10.1'",
    ]
    if python.exists() and subprocess.run(check, capture_output=True, check=False).returncode == 0:
        return python, "reused"
    try:
        subprocess.run(
            [sys.executable, "-m", "venv", str(VENV)], check=True, capture_output=True, timeout=300
        )
        done = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", PACKAGE, "gunicorn"],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as error:
        return None, f"could not make {VENV}: {error}"
    if done.returncode != 0:
        return None, f"pip install {PACKAGE} failed: {(done.stderr or done.stdout).strip()[-300:]}"
    return python, "installed"


def _wait_until_up(server: subprocess.Popen, url: str, log: Path, timeout: float = 60) -> None:
    import requests

    deadline = clock.monotonic() + timeout
    while clock.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(
                f"server exited with {server.returncode}:\n{log.read_text(errors='replace')[-2000:]}"
            )
        with contextlib.suppress(requests.RequestException):
            requests.get(url, timeout=2)
            return
        clock.sleep(0.1)
    raise RuntimeError(f"server did not answer within {timeout} s")


@contextlib.contextmanager
def their_server(python: Path, workdir: Path, booked: list[tuple[date, int]]) -> Iterator[tuple[str, int]]:
    """django-appointment's project in `workdir`, migrated, seeded and served by
    gunicorn (one worker, one thread); yields its base URL and the staff member's id."""
    from tests.integration.conftest import free_port

    project = workdir / "appointment-project"
    project.mkdir()
    for name, text in {
        "settings.py": THEIR_SETTINGS,
        "urls.py": THEIR_URLS,
        "wsgi.py": THEIR_WSGI,
        "manage.py": THEIR_MANAGE,
        "seed.py": THEIR_SEED,
    }.items():
        (project / name).write_text(text.lstrip())
    (project / "booked.json").write_text(json.dumps([(d.isoformat(), h) for d, h in booked]))
    env = {
        **{k: os.environ[k] for k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR") if k in os.environ},
        "DJANGO_SETTINGS_MODULE": "settings",
        "PYTHONPATH": str(project),
        "PYTHONUNBUFFERED": "1",
    }

    def run(*args: str) -> str:
        done = subprocess.run(
            [str(python), *args],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed:\n{done.stderr[-2000:]}")
        return done.stdout

    run("manage.py", "migrate", "--run-syncdb", "--noinput")  # it ships no migrations
    seeded = json.loads(run("seed.py", "booked.json").splitlines()[-1])
    assert seeded["appointments"] == len(booked), seeded
    port = free_port()
    log = workdir / "appointment-server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [
                str(python.parent / "gunicorn"),
                "wsgi:application",
                f"--bind=127.0.0.1:{port}",
                "--workers=1",
                "--worker-class=gthread",
                "--threads=1",
                "--keep-alive=30",
                "--timeout=120",
            ],
            cwd=project,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_up(server, f"http://127.0.0.1:{port}/appointment/ajax/fetch_staff_list/", log)
            yield f"http://127.0.0.1:{port}", seeded["staff"]
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=5)


OUR_BOOKING_SQL = """
INSERT INTO bookings_booking (
    uid, advisor_id, start, "end", duration, blocked_start, blocked_end, topic_id, mode, location,
    meeting_url, phone, message, status, sequence, created, updated, cancel_reason, private_notes,
    outcome_note, stat_region, stat_municipality, stat_enterprise_kind, stat_gender, stat_first_time,
    stat_waiting_days, stat_enterprise_key, stat_person_key, stat_advisor_organisation, stat_women_led,
    stat_version
) VALUES (?, ?, ?, ?, 60, ?, ?, ?, 'video', '', '', '', '', 'confirmed', 0, ?, ?, '', '', '',
    '20', '2080', 'work_integrating', 'not_stated', 0, 7, ?, ?, 'Coompanion Dalarna', 0, 1)
"""


def _sqlite_utc(day: date, hour: int) -> str:
    """A local working hour as Django keeps a datetime in SQLite: naive UTC text."""
    moment = datetime.combine(day, time(hour), tzinfo=ZONE).astimezone(UTC)
    return moment.replace(tzinfo=None).isoformat(sep=" ")


def seed_ours(stack, booked: list[tuple[date, int]]) -> int:
    """The stack's advisor gets Monday–Friday 09–17 on a 60-minute grid and the bookings."""
    advisor = stack.advisors["advisor"]
    topic = stack.sql("SELECT id FROM advisors_topic WHERE slug = %s", [stack.topic])[0][0]
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    with stack.connect() as conn:
        conn.execute(
            "UPDATE advisors_advisor SET slot_step = 60, buffer_after = 0, min_notice_hours = 0,"
            " horizon_days = 365, max_per_day = NULL, closed_on_public_holidays = 0 WHERE id = ?",
            [advisor],
        )
        conn.execute("DELETE FROM advisors_weeklyhours WHERE advisor_id = ?", [advisor])
        conn.executemany(
            'INSERT INTO advisors_weeklyhours (advisor_id, weekday, start, "end") VALUES (?, ?, ?, ?)',
            [(advisor, d, "09:00:00", "17:00:00") for d in range(5)],
        )
        rows = []
        for n, (day, hour) in enumerate(booked):
            start, end = _sqlite_utc(day, hour), _sqlite_utc(day, hour + 1)
            rows.append(
                (
                    uuid.uuid4().hex,
                    advisor,
                    start,
                    end,
                    start,
                    end,
                    topic,
                    now,
                    now,
                    f"e-{n % 200}",
                    f"p-{n % 200}",
                )
            )
        conn.executemany(OUR_BOOKING_SQL, rows)
    return stack.sql("SELECT count(*) FROM bookings_booking WHERE advisor_id = %s", [advisor])[0][0]


def _timed(fn) -> tuple[float, object]:
    started = clock.perf_counter()
    result = fn()
    return clock.perf_counter() - started, result


def measure(their_url: str, staff: int, our_url: str, advisor: int, first_day: date, day: date):
    """ROUNDS alternate rounds (theirs, ours, …) after one warm-up round; the
    medians in seconds, and the warm-up's free slots per day from each."""
    import requests

    theirs, ours = requests.Session(), requests.Session()
    theirs.headers["X-Requested-With"] = "XMLHttpRequest"  # as its page's script sends; else 400
    days = [first_day + timedelta(days=n) for n in range(WINDOW_DAYS)]
    last_day = days[-1]

    def their_day(d: date) -> list[str]:
        response = theirs.get(
            f"{their_url}/appointment/ajax/available_slots/",
            params={"selected_date": d.isoformat(), "staff_member": str(staff)},
            timeout=60,
        )
        # A day without free slots (a weekend, a full day) is answered 400
        # with an empty list and a message.
        body = response.json()
        if response.status_code not in (200, 400) or "available_slots" not in body:
            raise RuntimeError(f"django-appointment answered {response.status_code}: {response.text[:300]}")
        return body["available_slots"]

    def our_days(start: date, end: date) -> list[dict]:
        response = ours.get(
            f"{our_url}/api/v1/advisors/{advisor}/slots/",
            params={"start": start.isoformat(), "end": end.isoformat(), "duration": "60"},
            timeout=60,
        )
        response.raise_for_status()
        return response.json()["slots"]

    def their_window() -> dict[date, int]:
        return {d: len(their_day(d)) for d in days}

    # Warm-up, and what each answers.
    their_counts = their_window()
    our_slots = our_days(first_day, last_day)
    our_counts = dict.fromkeys(days, 0) | Counter(
        datetime.fromisoformat(s["start"]).date() for s in our_slots
    )
    their_day(day), our_days(day, day)

    times: dict[str, list[float]] = {"their_window": [], "our_window": [], "their_day": [], "our_day": []}
    for _ in range(ROUNDS):
        times["their_window"].append(_timed(their_window)[0])
        times["our_window"].append(_timed(lambda: our_days(first_day, last_day))[0])
        times["their_day"].append(_timed(lambda: their_day(day))[0])
        times["our_day"].append(_timed(lambda: our_days(day, day))[0])
    return {k: statistics.median(v) for k, v in times.items()}, their_counts, our_counts


def bench(python: Path) -> list[Figure]:
    from tests.integration.conftest import LiveStack

    first_day = datetime.now(ZONE).date() + timedelta(days=1)
    booked = pick_bookings(first_day)
    expected = free_per_day(first_day, WINDOW_DAYS, booked)
    in_window = sum(1 for d, _ in booked if d in expected)
    # The one day: the window's first working day with the most free hours (all agree, see the sanity line).
    day = max(expected, key=lambda d: (d.weekday() < 5, expected[d], -d.toordinal()))
    print(
        f"  (window {first_day}..{first_day + timedelta(days=WINDOW_DAYS - 1)}; {len(booked)} bookings over"
        f" {SPREAD_DAYS} days, {in_window} in the window; one day: {day})"
    )
    with (
        tempfile.TemporaryDirectory(prefix="radtid-compare-") as workdir,
        their_server(python, Path(workdir), booked) as (their_url, staff),
        LiveStack.running(
            "sqlite",
            workdir=Path(workdir),
            entrepreneurs=1,
            advisors={"advisor": {"buffer_after": 0, "session_lengths": [60]}},
            workers=1,
            threads=1,
        ) as stack,
    ):
        ours_booked = seed_ours(stack, booked)
        assert ours_booked == len(booked), ours_booked
        medians, their_counts, our_counts = measure(
            their_url, staff, stack.base_url, stack.advisors["advisor"], first_day, day
        )

    agree = sum(1 for d in expected if their_counts[d] == our_counts[d] == expected[d])
    print(
        f"  sanity: free 60-minute slots per day, django-appointment {sum(their_counts.values())},"
        f" Rådtid {sum(our_counts.values())}, expected {sum(expected.values())};"
        f" on {day}: {their_counts[day]} and {our_counts[day]}"
    )
    for d in expected:
        if not their_counts[d] == our_counts[d] == expected[d]:
            print(
                f"  differ on {d}: django-appointment {their_counts[d]}, Rådtid {our_counts[d]}, expected {expected[d]}"
            )
    window_ratio = medians["their_window"] / medians["our_window"]
    day_ratio = medians["their_day"] / medians["our_day"]
    return [
        Figure(
            "days on which both answer the same free slots",
            agree,
            "days",
            f"{WINDOW_DAYS}",
            agree == WINDOW_DAYS,
        ),
        Figure(
            "django-appointment: 92 one-day requests, total",
            medians["their_window"] * 1000,
            "ms",
            "(printed)",
            True,
        ),
        Figure("Rådtid: one 92-day request", medians["our_window"] * 1000, "ms", "(printed)", True),
        Figure(
            "  92 days: django-appointment / Rådtid",
            window_ratio,
            "x",
            f">= {TARGET_WINDOW}x",
            window_ratio >= TARGET_WINDOW,
        ),
        Figure("django-appointment: one day", medians["their_day"] * 1000, "ms", "(printed)", True),
        Figure("Rådtid: one day", medians["our_day"] * 1000, "ms", "(printed)", True),
        Figure(
            "  one day: django-appointment / Rådtid",
            day_ratio,
            "x",
            f">= {TARGET_DAY}x",
            day_ratio >= TARGET_DAY,
        ),
    ]


def run() -> bool:
    title = (
        f"Against {PACKAGE} over HTTP (gunicorn, 1 worker × 1 thread each, SQLite each;"
        f" {ROUNDS} alternate rounds, medians)"
    )
    python, how = ensure_venv()
    if python is None:
        print(f"\n{title}\n  skipped: {how}")
        return True
    print(f"\n(django-appointment for the comparison in {VENV.relative_to(BASE_DIR)}, {how})")
    return report(title, bench(python))
