"""Who may reach what: every page and every API endpoint, for every kind of person.

The matrix below has one row per URL pattern of the URLconf (walked, not
listed by hand: a new URL without a row fails `test_every_url_has_a_row`) and
one column per person:

- anonymous: not signed in
- entrepreneur_a: Sara, who booked (the owner of every object below)
- entrepreneur_b: Ahmed, another entrepreneur
- advisor: Anna, the advisor of Sara's bookings (Dalarna, 20)
- other_advisor: Erik, an advisor in Kronoberg (07)
- coordinator: Karin, coordinator of Dalarna, the bookings' region
- other_coordinator: Per, coordinator of Kronoberg
- staff: a platform operator (who uses the admin for people's bookings)

Each cell asserts the status, that a refused request changed nothing, and
that nothing of Sara's reaches anyone who may not see it: her bookings' uids,
her email, name, enterprise and message only for herself and her advisor;
the advisor's private notes for the advisor alone (DESIGN.md, invariant 7:
others get 404 for objects; 403 is for pages of a role, whatever the object).
Links that carry their own credential (the signed links from emails) are
checked for the private notes only.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pyotp
import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib import admin
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from advisors.models import Advisor, Topic
from backend.models import ApiToken, AuditEntry
from bookings import links, services
from bookings.models import (
    Booking,
    Enterprise,
    EnterpriseKind,
    Feedback,
    WaitlistEntry,
)
from notifications.feeds import calendar_feed_rotate
from reporting.models import (
    DeMinimisDeclaration,
    FundingProject,
    ParticipantListExport,
    PeriodSnapshot,
    ProjectBooking,
)
from reporting.projects import ProjectData, project_save
from tests.factories import PASSWORD

pytestmark = pytest.mark.usefixtures("frozen_clock")  # at NOW (tests/conftest.py)

# Monday 1 March 2027, 07:00 in Stockholm.
NOW = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)
PAST_BOOKED_AT = datetime(2027, 2, 1, 6, 0, tzinfo=UTC)
UPCOMING_START = datetime(2027, 3, 2, 8, 0, tzinfo=UTC)  # Tuesday 09:00 local
PAST_START = datetime(2027, 2, 2, 8, 0, tzinfo=UTC)
FREE_START = "2027-03-03T09:00:00+01:00"  # Wednesday, free

MESSAGE = "Sara-message-about-our-debts"
NOTES = "Anna-private-note-worried-about-cashflow"
ENTERPRISE = "Hemliga Returhuset AB"

ACTORS = (
    "anonymous",
    "entrepreneur_a",
    "entrepreneur_b",
    "advisor",
    "other_advisor",
    "coordinator",
    "other_coordinator",
    "staff",
)
LOGIN = "login"  # 302 to the sign-in page
ADMIN_LOGIN = "admin-login"  # 302 to the admin's sign-in page


@dataclass
class World:
    people: dict[str, Any]
    advisor: Advisor
    upcoming: Booking
    past: Booking
    enterprise: Enterprise
    entry: WaitlistEntry
    project: FundingProject
    feeds: dict[str, str] = field(default_factory=dict)

    @property
    def sara(self):
        return self.people["entrepreneur_a"]

    def secrets_of_sara(self) -> list[str]:
        return [
            str(self.upcoming.uid),
            str(self.past.uid),
            self.sara.email,
            self.sara.full_name,
            ENTERPRISE,
            MESSAGE,
        ]


@pytest.fixture
def world(
    entrepreneur, other_entrepreneur, advisor, other_advisor, coordinator, other_region_coordinator, staff
):
    with time_machine.travel(NOW, tick=False):
        Advisor.objects.filter(pk=advisor.pk).update(slot_step=60, buffer_after=0, session_lengths=[60])
        advisor.refresh_from_db()
        financing = Topic.objects.get(slug="financing")
        for adv in (advisor, other_advisor):
            adv.topics.set([financing])
        enterprise = Enterprise.objects.create(
            name=ENTERPRISE, kind=EnterpriseKind.WORK_INTEGRATING, municipality_id="2080"
        )
        enterprise.members.add(entrepreneur)
        theirs = Enterprise.objects.create(
            name="Matlaget", kind=EnterpriseKind.WORK_INTEGRATING, municipality_id="2081"
        )
        theirs.members.add(other_entrepreneur)
        booking = {"entrepreneur": entrepreneur, "advisor": advisor, "duration": 60, "topic": financing}
        past = services.booking_create(
            **booking, start=PAST_START, mode="video", message=MESSAGE, now=PAST_BOOKED_AT
        )
        Booking.objects.filter(pk=past.pk).update(private_notes=NOTES)
        upcoming = services.booking_create(
            **booking, start=UPCOMING_START, mode="video", message=MESSAGE, now=NOW
        )
        entry = WaitlistEntry.objects.create(
            entrepreneur=entrepreneur, advisor=advisor, enterprise=enterprise
        )
        people = {
            "entrepreneur_a": entrepreneur,
            "entrepreneur_b": other_entrepreneur,
            "advisor": advisor.user,
            "other_advisor": other_advisor.user,
            "coordinator": coordinator.user,
            "other_coordinator": other_region_coordinator.user,
            "staff": staff,
        }
        feeds = {actor: calendar_feed_rotate(user=user) for actor, user in people.items()}
        # Karin's funding project, which Sara's sessions belong to by the rule.
        project = project_save(
            by=coordinator.user,
            project=None,
            data=ProjectData(
                region=coordinator.region,
                name="Starkare sociala företag",
                funder="erdf",
                reference="",
                start=date(2027, 1, 1),
                end=date(2027, 12, 31),
                hourly_aid_value_sek=Decimal(1000),
                periods=[(date(2027, 1, 1), date(2027, 12, 31))],
            ),
        )
    past.refresh_from_db()
    return World(
        people=people,
        advisor=advisor,
        upcoming=upcoming,
        past=past,
        enterprise=enterprise,
        entry=entry,
        project=project,
        feeds=feeds,
    )


def client_of(world: World, actor: str) -> Client:
    client = Client()
    if actor != "anonymous":
        client.force_login(world.people[actor])
    return client


def snapshot() -> tuple:
    """Everything a request in the matrix could change."""
    return (
        list(
            Booking.objects.order_by("pk").values_list("uid", "status", "start", "sequence", "private_notes")
        ),
        list(Feedback.objects.order_by("pk").values_list("booking_id", "rating", "comment")),
        list(WaitlistEntry.objects.order_by("pk").values_list("pk", "status", "entrepreneur_id")),
        list(Advisor.objects.order_by("pk").values_list("pk", "is_active", "slot_step")),
        list(Enterprise.objects.order_by("pk").values_list("pk", "name")),
        AuditEntry.objects.count(),
        ApiToken.objects.count(),
        list(FundingProject.objects.order_by("pk").values_list("pk", "name")),
        list(
            DeMinimisDeclaration.objects.order_by("pk").values_list(
                "enterprise_id", "aid_last_three_years_eur"
            )
        ),
        list(ProjectBooking.objects.order_by("pk").values_list("booking_id", "project_id")),
        PeriodSnapshot.objects.count(),
        ParticipantListExport.objects.count(),
    )


# --- The matrix -----------------------------------------------------------------------------


def cells(default: int | str, **over: int | str) -> dict[str, int | str]:
    unknown = set(over) - set(ACTORS)
    assert not unknown, unknown
    return {actor: over.get(actor, default) for actor in ACTORS}


def everyone(status: int | str) -> dict[str, int | str]:
    return cells(status)


def signed_in(status: int | str, **over: int | str) -> dict[str, int | str]:
    return cells(status, anonymous=LOGIN, **over)


def api_signed_in(status: int | str, **over: int | str) -> dict[str, int | str]:
    return cells(status, anonymous=401, **over)


PARTIES = ("entrepreneur_a", "advisor")  # who may see Sara's bookings


def parties_only(ok: int | str, *, anonymous: int | str = LOGIN, **over: int | str) -> dict[str, int | str]:
    """Sara and her advisor get `ok`; everyone else 404 (invariant 7)."""
    return cells(404, **{"anonymous": anonymous, "entrepreneur_a": ok, "advisor": ok, **over})


ENTREPRENEURS_PAGE = {"advisor": 403, "other_advisor": 403, "coordinator": 403, "other_coordinator": 403}
ADVISORS_PAGE = {"entrepreneur_a": 403, "entrepreneur_b": 403, "coordinator": 403, "other_coordinator": 403}
ADVISORS_PAGE_STAFF = {**ADVISORS_PAGE, "staff": 403}
COORDINATORS_PAGE = {
    "entrepreneur_a": 403,
    "entrepreneur_b": 403,
    "advisor": 403,
    "other_advisor": 403,
}


@dataclass
class Row:
    method: str
    path: Callable[[World, str], str]
    expect: dict[str, int | str]
    data: Callable[[World], dict] | None = None
    json: bool = False
    # "full": Sara's secrets only for the parties, notes for the advisor alone;
    # "notes": the page carries its own credential, only the notes are checked.
    leaks: str = "full"


def fixed(path: str) -> Callable[[World, str], str]:
    return lambda world, actor: path


def named(name: str, *args: Callable[[World], Any]) -> Callable[[World, str], str]:
    return lambda world, actor: reverse(name, args=[arg(world) for arg in args])


def upcoming_uid(world: World) -> str:
    return str(world.upcoming.uid)


def past_uid(world: World) -> str:
    return str(world.past.uid)


def own_feed(world: World, actor: str) -> str:
    # Anonymous has no feed: a well-formed token that is nobody's.
    token = world.feeds.get(actor, "x" * 43)
    return reverse("notifications:feed", args=[token])


def signed_link(action: str) -> Callable[[World, str], str]:
    def path(world: World, actor: str) -> str:
        if action in ("cancel", "reschedule"):
            token = links.make_token(world.upcoming, action, now=NOW)
        else:  # the links sent after the session
            token = links.make_token(world.past, action, expires=NOW + links.AFTER_SESSION_LINK_AGE)
        return reverse(f"bookings:link_{action}", args=[token])

    return path


def book_as_sara(world: World) -> dict:
    """A free slot with Sara's enterprise: only Sara may use it."""
    return {
        "advisor": world.advisor.pk,
        "start": FREE_START,
        "duration": 60,
        "topic": "financing",
        "mode": "video",
        "enterprise": world.enterprise.pk,
    }


MATRIX: dict[str, Row] = {
    # --- Public pages ---
    "home": Row("GET", fixed("/"), everyone(200)),
    "privacy": Row("GET", fixed("/privacy/"), everyone(200)),
    "accessibility": Row("GET", fixed("/accessibility/"), everyone(200)),
    "help-advisors": Row("GET", fixed("/help/advisors/"), everyone(200)),
    "help-coordinators": Row("GET", fixed("/help/coordinators/"), everyone(200)),
    "healthz": Row("GET", fixed("/healthz"), everyone(200)),
    "favicon": Row("GET", fixed("/favicon.ico"), everyone(302)),
    "directory:list": Row("GET", fixed("/advisors/"), everyone(200)),
    "directory:advisor": Row("GET", named("directory:advisor", lambda w: w.advisor.pk), everyone(200)),
    "directory:municipalities": Row("GET", fixed("/advisors/municipalities/"), everyone(200)),
    "statistics:definitions": Row("GET", fixed("/statistics/definitions/"), everyone(200)),
    "set_language": Row("POST", fixed("/i18n/setlang/"), everyone(302), data=lambda w: {"language": "en"}),
    "schema": Row("GET", fixed("/api/schema/"), everyone(200)),
    "api-docs": Row("GET", fixed("/api/docs/"), everyone(200)),
    # The DEBUG mail viewer exists only with mail kept as files (tests keep it in memory).
    "dev_mail:list": Row("GET", fixed("/dev/mail/"), everyone(404)),
    "dev_mail:detail": Row("GET", fixed("/dev/mail/x.eml/"), everyone(404)),
    "dev_mail:html": Row("GET", fixed("/dev/mail/x.eml/html/"), everyone(404)),
    "dev_mail:part": Row("GET", fixed("/dev/mail/x.eml/parts/0/"), everyone(404)),
    "staff-status": Row("GET", fixed("/staff/status/"), cells(404, anonymous=LOGIN, staff=200)),
    # --- The account's privacy pages (GDPR) ---
    "account_details": Row("GET", fixed("/account/"), signed_in(200)),
    "account_privacy": Row("GET", fixed("/account/privacy/"), signed_in(200)),
    "account_privacy_export": Row("GET", fixed("/account/privacy/export/"), signed_in(200)),
    # Without the password nothing is erased: the form again (400).
    "account_privacy_erase": Row("POST", fixed("/account/privacy/erase/"), signed_in(400), data=lambda w: {}),
    # --- The advisor's own pages ---
    "advisor:calendar": Row("GET", fixed("/advisor/"), signed_in(200, **ADVISORS_PAGE_STAFF)),
    "advisor:hours": Row("GET", fixed("/advisor/hours/"), signed_in(200, **ADVISORS_PAGE_STAFF)),
    "advisor:overrides": Row("GET", fixed("/advisor/overrides/"), signed_in(200, **ADVISORS_PAGE_STAFF)),
    "advisor:time_off": Row("GET", fixed("/advisor/time-off/"), signed_in(200, **ADVISORS_PAGE_STAFF)),
    "advisor:settings": Row("GET", fixed("/advisor/settings/"), signed_in(200, **ADVISORS_PAGE_STAFF)),
    "advisor:profile": Row("GET", fixed("/advisor/profile/"), signed_in(200, **ADVISORS_PAGE_STAFF)),
    # --- The coordinator's pages ---
    "directory:coordinator_advisors": Row(
        "GET", fixed("/coordinator/advisors/"), signed_in(200, **COORDINATORS_PAGE, staff=403)
    ),
    # Deactivating Anna: her coordinator only; for another region's she does not exist.
    "directory:coordinator_advisor_deactivate": Row(
        "POST",
        named("directory:coordinator_advisor_deactivate", lambda w: w.advisor.pk),
        signed_in(302, **COORDINATORS_PAGE, staff=403, other_coordinator=404),
    ),
    "directory:coordinator_advisor_reactivate": Row(
        "POST",
        named("directory:coordinator_advisor_reactivate", lambda w: w.advisor.pk),
        signed_in(302, **COORDINATORS_PAGE, staff=403, other_coordinator=404),
    ),
    "directory:coordinator_advisor_resend_invitation": Row(
        "POST",
        named("directory:coordinator_advisor_resend_invitation", lambda w: w.advisor.pk),
        signed_in(302, **COORDINATORS_PAGE, staff=403, other_coordinator=404),
    ),
    "statistics:dashboard": Row("GET", fixed("/statistics/"), signed_in(200, **COORDINATORS_PAGE, staff=200)),
    # --- Funding projects: the region's coordinators (the owner changes), staff ---
    "projects:list": Row("GET", fixed("/coordinator/projects/"), signed_in(200, **COORDINATORS_PAGE)),
    "projects:new": Row("GET", fixed("/coordinator/projects/new/"), signed_in(200, **COORDINATORS_PAGE)),
    "projects:edit": Row(
        "GET",
        named("projects:edit", lambda w: w.project.pk),
        signed_in(200, **COORDINATORS_PAGE, other_coordinator=404),
    ),
    # Giving the owner right (here to Karin herself, who has it): owners and staff.
    "projects:owner_add": Row(
        "POST",
        named("projects:owner_add", lambda w: w.project.pk),
        signed_in(302, **COORDINATORS_PAGE, other_coordinator=404),
        data=lambda w: {"coordinator": w.project.owners.get().pk},
    ),
    # The project's report: the region's coordinators and staff; for everyone
    # else the project does not exist.
    "projects:report": Row(
        "GET", named("projects:report", lambda w: w.project.pk), signed_in(404, coordinator=200, staff=200)
    ),
    "projects:report_xlsx": Row(
        "GET",
        named("projects:report_xlsx", lambda w: w.project.pk, lambda w: 1),
        signed_in(404, coordinator=200, staff=200),
    ),
    # The bookings behind a figure: the owners (Karin, staff), who hold the
    # participant list and so see the enterprises, never the private notes.
    "projects:report_behind": Row(
        "GET",
        named(
            "projects:report_behind",
            lambda w: w.project.pk,
            lambda w: 1,
            lambda w: "cumulative",
            lambda w: "sessions_held",
        ),
        signed_in(404, coordinator=200, staff=200),
        leaks="notes",
    ),
    # Closing the period (not over yet: refused with a message, nothing changes).
    "projects:report_close": Row(
        "POST",
        named("projects:report_close", lambda w: w.project.pk, lambda w: 1),
        signed_in(404, coordinator=302, staff=302),
        data=lambda w: {"confirm": "on"},
    ),
    # The participant list: the owners, with a reason (it is logged).
    "projects:report_export": Row(
        "POST",
        named("projects:report_export", lambda w: w.project.pk, lambda w: 1),
        signed_in(404, coordinator=200, staff=200),
        data=lambda w: {"reason": "progress_report"},
    ),
    # Taking Sara's session out of the project: her advisor alone.
    "projects:booking_project": Row(
        "POST",
        named("projects:booking_project", past_uid),
        signed_in(404, advisor=302),
        data=lambda w: {"project": ""},
    ),
    # Declaring de minimis aid: the enterprise's members alone.
    "projects:de_minimis": Row(
        "GET",
        named("projects:de_minimis", lambda w: w.enterprise.pk),
        signed_in(404, entrepreneur_a=200),
    ),
    # --- Bookings: lists and the booking flow ---
    "bookings:list": Row("GET", fixed("/bookings/"), signed_in(200, coordinator=403, other_coordinator=403)),
    "bookings:new": Row(
        "GET",
        lambda w, a: (
            f"/bookings/new/?advisor={w.advisor.pk}&start={FREE_START.replace('+', '%2B')}&duration=60"
        ),
        # Staff have no enterprise yet: first to describing one. Advisors are
        # led to booking the same time for someone else.
        signed_in(200, **{**ENTREPRENEURS_PAGE, "advisor": 302, "other_advisor": 302}, staff=302),
    ),
    # Booking for someone else (a caller): advisors alone.
    "bookings:for_someone": Row(
        "GET",
        lambda w, a: (
            f"/bookings/for-someone/?advisor={w.advisor.pk}&start={FREE_START.replace('+', '%2B')}&duration=60"
        ),
        signed_in(403, advisor=200, other_advisor=200),
    ),
    "bookings:advisor": Row("GET", fixed("/bookings/advisor/"), signed_in(200, **ADVISORS_PAGE_STAFF)),
    "bookings:enterprises": Row("GET", fixed("/bookings/enterprise/"), signed_in(200, **ENTREPRENEURS_PAGE)),
    "bookings:enterprise_new": Row(
        "GET", fixed("/bookings/enterprise/new/"), signed_in(200, **ENTREPRENEURS_PAGE)
    ),
    "bookings:enterprise_edit": Row(
        "GET",
        named("bookings:enterprise_edit", lambda w: w.enterprise.pk),
        signed_in(404, entrepreneur_a=200, **ENTREPRENEURS_PAGE),
    ),
    # --- One booking ---
    "bookings:detail": Row("GET", named("bookings:detail", past_uid), parties_only(200)),
    "bookings:reschedule": Row("GET", named("bookings:reschedule", upcoming_uid), parties_only(200)),
    "bookings:cancel": Row("GET", named("bookings:cancel", upcoming_uid), parties_only(200)),
    "bookings:feedback": Row("GET", named("bookings:feedback", past_uid), parties_only(200, advisor=404)),
    "bookings:outcome": Row(
        "GET", named("bookings:outcome", past_uid), parties_only(200, entrepreneur_a=404)
    ),
    "notifications:invite": Row("GET", named("notifications:invite", upcoming_uid), parties_only(200)),
    # A redirect to Google Calendar with the event filled in.
    "notifications:add_to_calendar": Row(
        "GET", named("notifications:add_to_calendar", upcoming_uid, lambda w: "google"), parties_only(302)
    ),
    # The signed links from emails are their own credential: whoever holds one may use it.
    "bookings:link_cancel": Row("GET", signed_link("cancel"), everyone(200), leaks="notes"),
    "bookings:link_reschedule": Row("GET", signed_link("reschedule"), everyone(200), leaks="notes"),
    "bookings:link_feedback": Row("GET", signed_link("feedback"), everyone(200), leaks="notes"),
    "bookings:link_follow_up": Row("GET", signed_link("follow_up"), everyone(200), leaks="notes"),
    # --- The waitlist ---
    # Everyone's own entries (none but Sara has any).
    "waitlist:list": Row("GET", fixed("/bookings/waitlist/"), signed_in(200)),
    "waitlist:join": Row(
        "GET", lambda w, a: f"/bookings/waitlist/join/?advisor={w.advisor.pk}", signed_in(200)
    ),
    # Sara's entry has no offer to claim: back to her list with a message.
    "waitlist:claim": Row(
        "POST",
        named("waitlist:claim", lambda w: w.entry.pk),
        signed_in(404, entrepreneur_a=302),
        data=lambda w: {"topic": "financing", "mode": "video"},
    ),
    "waitlist:withdraw": Row(
        "POST", named("waitlist:withdraw", lambda w: w.entry.pk), signed_in(404, entrepreneur_a=302)
    ),
    # --- Calendar ---
    "notifications:calendar_settings": Row("GET", fixed("/calendar/settings/"), signed_in(200)),
    # Each person's own feed (the token is the credential); a token that is nobody's: 404.
    "notifications:feed": Row("GET", own_feed, cells(200, anonymous=404)),
    # --- API: reference data and the directory ---
    "v1:api-token": Row(
        "POST",
        fixed("/api/v1/auth/token/"),
        everyone(400),
        # A code does not make up for a wrong password (test_a_token_takes_the_second_factor_…).
        data=lambda w: {"email": w.sara.email, "password": "wrong password", "code": "123456"},
        json=True,
    ),
    "v1:region-list": Row("GET", fixed("/api/v1/regions/"), everyone(200)),
    "v1:region-detail": Row("GET", fixed("/api/v1/regions/20/"), everyone(200)),
    "v1:topic-list": Row("GET", fixed("/api/v1/topics/"), everyone(200)),
    "v1:topic-detail": Row("GET", fixed("/api/v1/topics/financing/"), everyone(200)),
    "v1:advisor-list": Row("GET", fixed("/api/v1/advisors/"), everyone(200)),
    "v1:advisor-detail": Row("GET", named("v1:advisor-detail", lambda w: w.advisor.pk), everyone(200)),
    "v1:advisor-slots": Row("GET", named("v1:advisor-slots", lambda w: w.advisor.pk), everyone(200)),
    "v1:my-availability": Row(
        "GET", fixed("/api/v1/me/availability/"), api_signed_in(200, **ADVISORS_PAGE_STAFF)
    ),
    # --- API: bookings ---
    "v1:booking-list": Row("GET", fixed("/api/v1/bookings/"), api_signed_in(200)),
    # Booking with Sara's enterprise: Sara 201; anyone else 400, and nothing is booked.
    "v1:booking-list:create": Row(
        "POST",
        fixed("/api/v1/bookings/"),
        api_signed_in(400, entrepreneur_a=201),
        data=book_as_sara,
        json=True,
    ),
    "v1:booking-detail": Row("GET", named("v1:booking-detail", past_uid), parties_only(200, anonymous=401)),
    "v1:booking-cancel": Row(
        "POST",
        named("v1:booking-cancel", upcoming_uid),
        parties_only(200, anonymous=401),
        data=lambda w: {"reason": "ill"},
        json=True,
    ),
    "v1:booking-reschedule": Row(
        "POST",
        named("v1:booking-reschedule", upcoming_uid),
        parties_only(200, anonymous=401),
        data=lambda w: {"start": FREE_START},
        json=True,
    ),
    # Outcome and notes: the advisor's; Sara sees the booking but is refused (400).
    "v1:booking-outcome": Row(
        "POST",
        named("v1:booking-outcome", past_uid),
        parties_only(200, anonymous=401, entrepreneur_a=403),
        data=lambda w: {"outcome": "attended", "private_notes": "new notes"},
        json=True,
    ),
    "v1:booking-feedback": Row(
        "POST",
        named("v1:booking-feedback", past_uid),
        parties_only(201, anonymous=401, advisor=403),
        data=lambda w: {"rating": 5, "comment": "Bra"},
        json=True,
    ),
    # --- API: the waitlist ---
    "v1:waitlist-list": Row("GET", fixed("/api/v1/waitlist/"), api_signed_in(200)),
    # Joining with Sara's enterprise: only hers to use; Sara herself is refused
    # because Anna has free time (the waitlist is for when there is none).
    "v1:waitlist-list:create": Row(
        "POST",
        fixed("/api/v1/waitlist/"),
        api_signed_in(400, entrepreneur_a=409),
        data=lambda w: {"advisor": w.advisor.pk, "enterprise": w.enterprise.pk},
        json=True,
    ),
    "v1:waitlist-detail": Row(
        "GET",
        named("v1:waitlist-detail", lambda w: w.entry.pk),
        cells(404, anonymous=401, entrepreneur_a=200),
    ),
    "v1:waitlist-claim": Row(
        "POST",
        named("v1:waitlist-claim", lambda w: w.entry.pk),
        cells(404, anonymous=401, entrepreneur_a=409),
        data=lambda w: {"topic": "financing", "mode": "video"},
        json=True,
    ),
    "v1:waitlist-withdraw": Row(
        "POST",
        named("v1:waitlist-withdraw", lambda w: w.entry.pk),
        cells(404, anonymous=401, entrepreneur_a=200),
        json=True,
    ),
    # --- API: statistics, own data ---
    "v1:statistics-region": Row(
        "GET",
        lambda w, a: "/api/v1/statistics/regions/20/?start=2027-01-01&end=2027-02-28",
        cells(404, coordinator=200, staff=200),
    ),
    # --- API: funding projects and de minimis ---
    "v1:funding-project-list": Row(
        "GET",
        fixed("/api/v1/funding-projects/"),
        cells(404, coordinator=200, other_coordinator=200, staff=200),
    ),
    # A project for Dalarna: its coordinator and staff; Kronoberg's is refused the region.
    "v1:funding-project-list:create": Row(
        "POST",
        fixed("/api/v1/funding-projects/"),
        cells(404, coordinator=201, other_coordinator=400, staff=201),
        data=lambda w: {
            "region": "20",
            "name": "Nytt projekt",
            "funder": "region",
            "start": "2028-01-01",
            "end": "2028-12-31",
            "hourly_aid_value_sek": 800,
            "periods": [{"start": "2028-01-01", "end": "2028-12-31"}],
        },
        json=True,
    ),
    # Karin's project: Karin (its owner) and staff; for Per, of Kronoberg, it is not there.
    "v1:funding-project-report": Row(
        "GET",
        lambda w, a: reverse("v1:funding-project-report", args=[w.project.pk]) + "?period=1",
        cells(404, coordinator=200, staff=200),
    ),
    # The project's one period ends on 31 December: not over yet, so not closed (400).
    "v1:funding-project-period-close": Row(
        "POST",
        named("v1:funding-project-period-close", lambda w: w.project.pk, lambda w: 1),
        cells(404, coordinator=400, staff=400),
        data=lambda w: {},
        json=True,
    ),
    "v1:funding-project-snapshots": Row(
        "GET",
        named("v1:funding-project-snapshots", lambda w: w.project.pk),
        cells(404, coordinator=200, staff=200),
    ),
    "v1:enterprise-de-minimis": Row(
        "GET",
        named("v1:enterprise-de-minimis", lambda w: w.enterprise.pk),
        cells(404, anonymous=401, entrepreneur_a=200, advisor=200),
    ),
    # Sara declares; her advisor reads but may not (403); for others it is not there.
    "v1:enterprise-de-minimis:update": Row(
        "PUT",
        named("v1:enterprise-de-minimis", lambda w: w.enterprise.pk),
        cells(404, anonymous=401, entrepreneur_a=200, advisor=403),
        data=lambda w: {"aid_last_three_years_eur": 1000},
        json=True,
    ),
    "v1:me-export": Row("GET", fixed("/api/v1/me/export/"), api_signed_in(200)),
    # Without the password nothing is erased.
    "v1:me-erase": Row("POST", fixed("/api/v1/me/erase/"), api_signed_in(400), data=lambda w: {}, json=True),
}

# allauth's pages: the same for every signed-in person. Keys in the links are
# invalid ones; the page that says so is the answer.
ALLAUTH: dict[str, tuple[str, int | str, int | str | tuple[int, ...]]] = {
    # name: (path, anonymous, signed in)
    "account_login": ("/accounts/login/", 200, 302),
    "account_logout": ("/accounts/logout/", 302, 200),
    "account_inactive": ("/accounts/inactive/", 200, 200),
    "account_signup": ("/accounts/signup/", 200, 302),
    "account_reauthenticate": ("/accounts/reauthenticate/", LOGIN, 200),
    "account_request_reauthentication_code": ("/accounts/reauthenticate/code/", LOGIN, 200),
    "account_confirm_reauthentication_code": ("/accounts/reauthenticate/code/confirm/", LOGIN, 302),
    "account_email": ("/accounts/email/", LOGIN, 200),
    "account_email_verification_sent": ("/accounts/confirm-email/", 200, 200),
    "account_change_password": ("/accounts/password/change/", LOGIN, 200),
    "account_set_password": ("/accounts/password/set/", LOGIN, 302),
    "account_reset_password": ("/accounts/password/reset/", 200, 200),
    "account_confirm_login_code": ("/accounts/login/code/confirm/", 302, 302),
    "account_confirm_email": ("/accounts/confirm-email/not-a-key/", 200, 200),
    "account_reset_password_from_key_done": ("/accounts/password/reset/key/done/", 200, 200),
    "account_reset_password_from_key": ("/accounts/password/reset/key/1-not-a-key/", 200, 200),
    "account_reset_password_done": ("/accounts/password/reset/done/", 200, 200),
    "mfa_index": ("/accounts/2fa/", LOGIN, 200),
    "mfa_authenticate": ("/accounts/2fa/authenticate/", 302, 302),
    # Steps that need a recent sign-in (allauth's reauthentication) or an
    # authenticator the person has not set up: a redirect or "not found".
    "mfa_reauthenticate": ("/accounts/2fa/reauthenticate/", LOGIN, (200, 302)),
    "mfa_activate_totp": ("/accounts/2fa/totp/activate/", LOGIN, 302),
    "mfa_deactivate_totp": ("/accounts/2fa/totp/deactivate/", LOGIN, (302, 404)),
    "mfa_view_recovery_codes": ("/accounts/2fa/recovery-codes/", LOGIN, 404),
    "mfa_generate_recovery_codes": ("/accounts/2fa/recovery-codes/generate/", LOGIN, 302),
    "mfa_download_recovery_codes": ("/accounts/2fa/recovery-codes/download/", LOGIN, 404),
}
for _name, (_path, _anonymous, _signed_in) in ALLAUTH.items():
    MATRIX[_name] = Row("GET", fixed(_path), cells(_signed_in, anonymous=_anonymous))


# --- The URLconf, walked ----------------------------------------------------------------------


def url_names(
    resolver: URLResolver | None = None, namespace: str = "", prefix: str = ""
) -> list[tuple[str, str]]:
    """(namespaced name, route) of every URL pattern outside the admin."""
    found = []
    for pattern in (resolver or get_resolver()).url_patterns:
        route = prefix + str(pattern.pattern)
        if route.startswith("admin/"):
            continue  # the admin is its own matrix: test_the_admin_is_for_staff_alone
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            found += url_names(pattern, inner, route)
        elif isinstance(pattern, URLPattern):
            found.append((f"{namespace}{pattern.name}" if pattern.name else route, route))
    return found


def row_url(name: str) -> str:
    """The URL name of a row: a second row for one URL says its method (":create", ":update")."""
    for suffix in (":create", ":update"):
        if name.endswith(suffix):
            return name.removesuffix(suffix)
    return name


def test_every_url_has_a_row():
    names = {name for name, _route in url_names()}
    rows = {row_url(name) for name in MATRIX}
    assert names - rows == set(), "URLs without a row in the permission matrix"
    assert rows - names == set(), "rows for URLs that do not exist"


def test_every_method_of_the_api_has_a_row():
    """The API's operations as the schema lists them, each with a row (by
    method): a new action on an existing URL needs its own row too."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    methods_by_name = {}
    for name, row in MATRIX.items():
        methods_by_name.setdefault(row_url(name), set()).add(row.method)
    missing = []
    for path, operations in schema["paths"].items():
        for method in operations:
            if method.upper() in {"PUT", "PATCH"} and path == "/api/v1/me/availability/":
                continue  # the advisor's own rules: fuzzed and tested in tests/advisors
            names = [n for n, route in url_names() if _same_route(route, path)]
            assert names, path
            if method.upper() not in methods_by_name.get(names[0], set()):
                missing.append(f"{method.upper()} {path}")
    assert missing == []


def _same_route(route: str, path: str) -> bool:
    """Whether a URLconf route and an OpenAPI path are the same URL."""
    import re

    normalised = re.sub(r"\(\?P<\w+>[^)]*\)", "{}", route).replace("^", "").replace("$", "")
    normalised = re.sub(r"<(?:\w+:)?\w+>", "{}", normalised)
    return "/" + normalised == re.sub(r"\{\w+\}", "{}", path)


# --- The cells --------------------------------------------------------------------------------


def forbidden_secrets(world: World, actor: str, leaks: str) -> list[str]:
    """What of Sara's (and her advisor's) the actor must not see."""
    forbidden = [] if actor == "advisor" else [NOTES]
    if leaks == "full" and actor not in PARTIES:
        forbidden += world.secrets_of_sara()
    return forbidden


def request(world: World, actor: str, row: Row, path: str):
    client = client_of(world, actor)
    data = row.data(world) if row.data else {}
    if row.method == "GET":
        return client.get(path, data)
    if row.method == "PUT":
        return client.put(path, json.dumps(data), content_type="application/json")
    if row.json:
        return client.post(path, json.dumps(data), content_type="application/json")
    return client.post(path, data)


def check_cell(world: World, name: str, actor: str) -> list[str]:
    """What is wrong with one cell: [] when nothing."""
    row = MATRIX[name]
    before = snapshot()
    path = row.path(world, actor)
    with time_machine.travel(NOW, tick=False):
        response = request(world, actor, row, path)
    expected = row.expect[actor]
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8", errors="replace")
    where = f"{name} as {actor}"

    if expected == LOGIN:
        if response.status_code != 302 or not response["Location"].startswith("/accounts/login/"):
            return [f"{where}: {response.status_code}, expected a redirect to sign in"]
    elif response.status_code not in (expected if isinstance(expected, tuple) else (expected,)):
        return [f"{where}: {response.status_code}, expected {expected}"]

    problems = []
    refused = expected == LOGIN or (isinstance(expected, int) and expected >= 400)
    if refused and snapshot() != before:
        problems.append(f"{where}: refused, yet something changed")
    # What the URL itself carries (a 404 page may repeat it) is the asker's own knowledge.
    leaked = [s for s in forbidden_secrets(world, actor, row.leaks) if s in text and s not in path]
    if leaked:
        problems.append(f"{where}: sees {leaked}")
    return problems


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_the_matrix(world, name):
    """One row: every person in turn, each in a savepoint rolled back after,
    so that what one does (cancel, erase) does not change the next one's cell."""
    problems = []
    for actor in ACTORS:
        with transaction.atomic():
            problems += check_cell(world, name, actor)
            transaction.set_rollback(True)
    assert not problems, "\n".join(problems)


# --- What the parties see, positively ----------------------------------------------------------
# The matrix proves absence; these prove the same pages do show the parties
# what is theirs, so an absence above is not just an empty page.


def test_sara_sees_her_booking_but_not_the_notes(world):
    client = client_of(world, "entrepreneur_a")
    with time_machine.travel(NOW, tick=False):
        api = client.get(f"/api/v1/bookings/{world.past.uid}/").json()
        page = client.get(f"/bookings/{world.past.uid}/").content.decode()
    assert api["message"] == MESSAGE and "private_notes" not in api
    assert MESSAGE in page and NOTES not in page


def test_the_advisor_alone_sees_the_notes(world):
    client = client_of(world, "advisor")
    with time_machine.travel(NOW, tick=False):
        api = client.get(f"/api/v1/bookings/{world.past.uid}/").json()
        listed = client.get("/api/v1/bookings/").json()["results"]
        page = client.get(f"/bookings/{world.past.uid}/outcome/").content.decode()
    assert api["private_notes"] == NOTES and api["entrepreneur_email"] == world.sara.email
    assert NOTES in [b.get("private_notes") for b in listed]
    assert NOTES in page


def test_lists_hold_only_ones_own(world):
    with time_machine.travel(NOW, tick=False):
        sara = client_of(world, "entrepreneur_a").get("/api/v1/bookings/").json()["results"]
        ahmed = client_of(world, "entrepreneur_b").get("/api/v1/bookings/").json()["results"]
        sara_waiting = client_of(world, "entrepreneur_a").get("/api/v1/waitlist/").json()["results"]
        ahmed_waiting = client_of(world, "entrepreneur_b").get("/api/v1/waitlist/").json()["results"]
    assert {b["uid"] for b in sara} == {str(world.past.uid), str(world.upcoming.uid)}
    assert ahmed == []
    assert [e["id"] for e in sara_waiting] == [world.entry.pk]
    assert ahmed_waiting == []


def test_each_feed_holds_its_owners_sessions_only(world):
    with time_machine.travel(NOW, tick=False):
        feeds = {
            actor: client_of(world, "anonymous").get(own_feed(world, actor)).content.decode()
            for actor in ("entrepreneur_a", "entrepreneur_b", "advisor", "other_advisor")
        }
    uid = world.upcoming.uid.hex
    assert [actor for actor, ics in feeds.items() if uid in ics.replace("-", "")] == [
        "entrepreneur_a",
        "advisor",
    ]
    assert all(NOTES not in ics for ics in feeds.values())


def test_sara_export_is_hers_without_the_advisors_notes(world):
    with time_machine.travel(NOW, tick=False):
        sara = client_of(world, "entrepreneur_a").get("/api/v1/me/export/").content.decode()
        ahmed = client_of(world, "entrepreneur_b").get("/api/v1/me/export/").content.decode()
    assert MESSAGE in sara and ENTERPRISE in sara and NOTES not in sara
    assert all(secret not in ahmed for secret in [*world.secrets_of_sara(), NOTES])


def test_statistics_are_the_regions_own(world):
    with time_machine.travel(NOW, tick=False):
        own = client_of(world, "coordinator").get(
            "/api/v1/statistics/regions/20/?start=2027-01-01&end=2027-02-28"
        )
        other = client_of(world, "other_coordinator").get(
            "/api/v1/statistics/regions/07/?start=2027-01-01&end=2027-02-28"
        )
        theirs = client_of(world, "other_coordinator").get(
            "/api/v1/statistics/regions/20/?start=2027-01-01&end=2027-02-28"
        )
    assert own.status_code == 200 and own.json()["region"]["code"] == "20"
    assert other.status_code == 200
    assert theirs.status_code == 404
    # One booking in the period: suppressed, never a person.
    assert own.json()["totals"]["bookings"] == "<5"


def test_an_unknown_booking_and_someone_elses_answer_the_same(world):
    """Invariant 7: a stranger cannot tell whether a booking exists."""
    client = client_of(world, "entrepreneur_b")
    with time_machine.travel(NOW, tick=False):
        theirs = client.get(f"/api/v1/bookings/{world.past.uid}/")
        missing = client.get("/api/v1/bookings/00000000-0000-4000-8000-000000000000/")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()


# --- The admin -------------------------------------------------------------------------------


def admin_urls() -> list[str]:
    return ["/admin/"] + [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in admin.site._registry
    ]


@pytest.fixture
def admin_without_mfa(settings):
    # Two-factor sign-in to the admin is tested in tests/backend/test_admin_mfa.py.
    settings.ADMIN_REQUIRES_MFA = False


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.usefixtures("admin_without_mfa")
def test_the_admin_is_for_staff_alone(world, actor):
    client = client_of(world, actor)
    with time_machine.travel(NOW, tick=False):
        for url in admin_urls():
            response = client.get(url)
            if actor == "staff":
                assert response.status_code == 200, url
            else:
                assert response.status_code == 302, url
                assert response["Location"].startswith("/admin/login/"), url


@pytest.mark.usefixtures("admin_without_mfa")
def test_not_even_staff_see_the_private_notes_in_the_admin(world):
    client = client_of(world, "staff")
    with time_machine.travel(NOW, tick=False):
        change = client.get(reverse("admin:bookings_booking_change", args=[world.past.pk]))
        listing = client.get(reverse("admin:bookings_booking_changelist"))
    assert change.status_code == 200 and str(world.past.uid) in change.content.decode()
    assert NOTES not in change.content.decode() and NOTES not in listing.content.decode()


# --- The token endpoint and the second factor ---------------------------------------------------
# Everyone with an account asks for a token with their own email and password,
# and a `code` or none: with two-factor authentication on, only their own
# current code gets one; without it, the code is not looked at, except that
# staff get no token at all (the admin's rule). A refusal issues no token.

TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
OTHER_SECRET = "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"
TOKEN_CASES = {
    # case: (two-factor on, the code sent, the status)
    "without two-factor, no code": (False, None, 200),
    "without two-factor, any code": (False, "123456", 200),
    "two-factor, no code": (True, None, 401),
    "two-factor, blank code": (True, "", 401),
    "two-factor, wrong code": (True, "000000", 400),
    "two-factor, someone else's code": (True, "other", 400),
    "two-factor, own code": (True, "own", 200),
}
PEOPLE = tuple(actor for actor in ACTORS if actor != "anonymous")


@pytest.mark.services  # the lockout counts in the cache
@pytest.mark.parametrize("case", sorted(TOKEN_CASES))
def test_a_token_takes_the_second_factor_of_whoever_has_one(world, case):
    two_factor, code, status = TOKEN_CASES[case]
    code = {"own": pyotp.TOTP(TOTP_SECRET).now(), "other": pyotp.TOTP(OTHER_SECRET).now()}.get(code, code)
    problems = []
    for actor in PEOPLE:
        person = world.people[actor]
        with transaction.atomic():
            cache.clear()  # spent codes
            Authenticator.objects.filter(user=person).delete()
            if two_factor:
                TOTP.activate(person, TOTP_SECRET)
            expected = 403 if actor == "staff" and not two_factor else status
            tokens = ApiToken.objects.filter(user=person).count()
            body = {
                "email": person.email,
                "password": PASSWORD,
                **({"code": code} if code is not None else {}),
            }
            response = client_of(world, actor).post(
                "/api/v1/auth/token/", json.dumps(body), content_type="application/json"
            )
            issued = ApiToken.objects.filter(user=person).count() - tokens
            if response.status_code != expected:
                problems.append(f"{actor}: {response.status_code}, expected {expected}")
            elif issued != (1 if expected == 200 else 0):
                problems.append(f"{actor}: {issued} tokens issued for a {expected}")
            elif expected == 401 and response.json().get("mfa_required") is not True:
                problems.append(f"{actor}: 401 without mfa_required")
            transaction.set_rollback(True)
    assert not problems, "\n".join(problems)
