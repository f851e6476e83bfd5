"""The statistics pages: the coordinator's dashboard (/statistics/), the public
definitions (/statistics/definitions/) and the monthly report mail.

Time is frozen on Wednesday 15 July 2026 in Stockholm, so the last complete
month is June 2026, the quarter April to June, the half year January to June
(the generated history's period) and the year 2025. Karin (`coordinator`)
reports for Dalarna (20); Per (`other_region_coordinator`) for Kronoberg (07).
"""

from __future__ import annotations

import html
import io
import random
import re
import smtplib
from datetime import UTC, date, datetime, timedelta
from email.utils import parseaddr

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.utils import translation
from openpyxl import load_workbook

from advisors.models import Region
from backend.models import AuditEntry
from bookings import needs
from bookings.models import EnterpriseKind, Gender
from notifications import sending
from notifications.models import MessageKind, MessageState, OutboxMessage
from reporting import charts, periods, signals, views
from reporting.definitions import definitions
from reporting.export import XLSX_CONTENT_TYPE
from reporting.measures import BREAKDOWNS
from reporting.models import MonthlyReportMail
from reporting.selectors import region_report
from reporting.tasks import send_monthly_reports
from tests import factories
from tests.mail_backends import FailingBackend
from tests.reporting.test_statistics import (
    FIRST,
    LAST,
    Person,
    booking_for,
    build_history,
    local,
    save_bookings,
)

URL = "/statistics/"
NOW = datetime(2026, 7, 15, 8, 0, tzinfo=UTC)  # Wednesday 10:00 in Stockholm


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def history(db):
    return build_history(count=150)


def signed_in(client, user, language="en"):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def report_for(start: date, end: date, code: str = "20", language: str = "en") -> dict:
    with translation.override(language):
        return region_report(region=Region.objects.get(code=code), start=start, end=end)


def text_of(response) -> str:
    return html.unescape(response.content.decode())


# --- The dashboard ------------------------------------------------------------------------------


def test_the_coordinator_sees_the_figures_of_region_report(client, history, coordinator):
    response = signed_in(client, coordinator.user).get(URL, {"period": "half_year"})
    assert response.status_code == 200
    report = report_for(FIRST, LAST)
    assert response.context["report"] == report
    page = text_of(response)
    assert "Statistics for Dalarna" in page
    cards = {h.key: h for h in response.context["headlines"]}
    with translation.override("en"):
        for measure in ("sessions_held", "advice_hours", "unique_enterprises", "share_within_14_days"):
            assert cards[measure].value == charts.show(measure, report["totals"][measure])
            assert cards[measure].value in page
    # Compared with the half year before.
    before = report_for(date(2025, 7, 1), date(2025, 12, 31))
    held_now, held_before = report["totals"]["sessions_held"], before["totals"]["sessions_held"]
    assert isinstance(held_now, int) and isinstance(held_before, int)
    change = cards["sessions_held"].change
    assert change is not None
    assert change.direction == (
        "up" if held_now > held_before else "down" if held_now < held_before else "same"
    )
    if held_now != held_before:
        assert str(abs(held_now - held_before)) in change.text


def test_every_chart_is_an_svg_image_with_its_data_table(client, history, coordinator):
    response = signed_in(client, coordinator.user).get(URL, {"period": "half_year"})
    figures = re.findall(r"<figure.*?</figure>", response.content.decode(), flags=re.DOTALL)
    assert len(figures) == 5
    for figure in figures:
        assert "<figcaption>" in figure
        assert re.search(r'<svg[^>]*role="img"[^>]*aria-label="[^"]+"', figure)
        assert "<table" in figure and "<caption>" in figure
        assert 'scope="col"' in figure and 'scope="row"' in figure
    # The municipalities' table holds every row of the breakdown, hidden ones as "<5".
    report = report_for(FIRST, LAST)
    municipalities = html.unescape(figures[2])
    for row in report["by_municipality"]:
        assert row["label"] in municipalities
    if any(isinstance(r["unique_enterprises"], str) for r in report["by_municipality"]):
        assert "<5" in municipalities


def test_the_needs_figure_shows_each_kind_with_its_bookings_sessions_and_those_not_met(
    client, history, coordinator
):
    response = signed_in(client, coordinator.user).get(URL, {"period": "half_year"})
    figures = re.findall(r"<figure.*?</figure>", text_of(response), flags=re.DOTALL)
    needs_figure = next(f for f in figures if "Bookings by need to take part" in f)
    assert "Needs that could not be met" in needs_figure  # the third column
    report = report_for(FIRST, LAST)
    not_met = {r["key"]: r for r in report["by_need_not_met"]}
    assert [r["key"] for r in report["by_need"]] == list(needs.KINDS)
    for row in report["by_need"]:
        cells = [
            charts.show("bookings", row["bookings"]),
            charts.show("sessions_held", row["sessions_held"]),
            charts.show("bookings", not_met[row["key"]]["bookings"]),
        ]
        assert (
            f'<th scope="row">{row["label"]}</th>' + "".join(f"<td>{c}</td>" for c in cells) in needs_figure
        )


def test_the_download_links_give_the_same_period_and_the_session_is_enough(client, history, coordinator):
    response = signed_in(client, coordinator.user).get(URL, {"period": "quarter"})
    for kind, content_type in (("csv", "text/csv"), ("xlsx", XLSX_CONTENT_TYPE)):
        link = response.context[f"{kind}_url"]
        assert f"start=2026-04-01&end=2026-06-30&format={kind}" in link
        assert ("dialect=excel" in link) == (kind == "csv")  # people open it in Excel
        assert html.escape(link) in response.content.decode()
        download = client.get(link)
        assert download.status_code == 200
        assert download["Content-Type"].startswith(content_type)


@pytest.mark.parametrize(
    ("period", "start", "end", "before_start", "before_end"),
    [
        ("month", date(2026, 6, 1), date(2026, 6, 30), date(2026, 5, 1), date(2026, 5, 31)),
        ("quarter", date(2026, 4, 1), date(2026, 6, 30), date(2026, 1, 1), date(2026, 3, 31)),
        ("half_year", date(2026, 1, 1), date(2026, 6, 30), date(2025, 7, 1), date(2025, 12, 31)),
        ("year", date(2025, 1, 1), date(2025, 12, 31), date(2024, 1, 1), date(2024, 12, 31)),
    ],
)
def test_each_preset_is_the_last_complete_one(
    client, coordinator, period, start, end, before_start, before_end
):
    response = signed_in(client, coordinator.user).get(URL, {"period": period})
    assert response.status_code == 200
    context = response.context
    assert (context["start"], context["end"]) == (start, end)
    assert (context["before_start"], context["before_end"]) == (before_start, before_end)
    assert context["report"]["start"] == start.isoformat()


def test_without_a_choice_the_dashboard_shows_the_last_quarter(client, coordinator):
    response = signed_in(client, coordinator.user).get(URL)
    assert response.status_code == 200
    assert (response.context["start"], response.context["end"]) == (date(2026, 4, 1), date(2026, 6, 30))


def test_the_last_complete_periods_follow_stockholm_time():
    assert periods.last_complete("quarter", date(2027, 1, 1)) == (
        date(2026, 10, 1),
        date(2026, 12, 31),
    )
    assert periods.last_complete("half_year", date(2026, 6, 30)) == (
        date(2025, 7, 1),
        date(2025, 12, 31),
    )
    assert periods.last_complete("month", date(2026, 3, 1)) == (date(2026, 2, 1), date(2026, 2, 28))
    # 1 January 00:30 in Stockholm is still 31 December in UTC.
    with time_machine.travel(datetime(2026, 12, 31, 23, 30, tzinfo=UTC), tick=False):
        assert periods.today() == date(2027, 1, 1)


@pytest.mark.services  # figures by SQL, grouping sets on PostgreSQL
@pytest.mark.parametrize(
    ("start", "end", "before_start", "before_end"),
    [
        # Whole months: the same number of months before.
        ("2026-01-01", "2026-03-31", date(2025, 10, 1), date(2025, 12, 31)),
        ("2025-09-01", "2026-06-30", date(2024, 11, 1), date(2025, 8, 31)),
        # Whole weeks: the same number of days (so of weeks) before.
        ("2026-01-12", "2026-01-25", date(2025, 12, 29), date(2026, 1, 11)),
    ],
)
def test_a_project_period_is_compared_with_the_same_length_before(
    client, coordinator, start, end, before_start, before_end
):
    response = signed_in(client, coordinator.user).get(URL, {"period": "custom", "start": start, "end": end})
    assert response.status_code == 200
    assert (response.context["start"].isoformat(), response.context["end"].isoformat()) == (start, end)
    assert (response.context["before_start"], response.context["before_end"]) == (before_start, before_end)


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        (
            {"period": "custom", "start": "2026-06-30", "end": "2026-01-01"},
            "end",
            "cannot end before it starts",
        ),
        (
            {"period": "custom", "start": "2026-13-01", "end": "2026-12-31"},
            "start",
            "Enter a date as YYYY-MM-DD",
        ),
        ({"period": "custom", "start": "not a date", "end": ""}, "start", "Enter a date as YYYY-MM-DD"),
        ({"period": "custom", "end": "2026-01-31"}, "start", "Enter the first day"),
        ({"period": "custom", "start": "2020-01-01", "end": "2026-01-01"}, "end", "at most three years"),
        (
            {"period": "custom", "start": "1999-12-31", "end": "2000-01-31"},
            "start",
            "between 2000-01-01 and 2100-12-31",
        ),
        ({"period": "decade"}, "period", "Select a valid choice"),
        ({"start": "9999-12-31", "end": "99999-01-01"}, "end", "Enter a date as YYYY-MM-DD"),
    ],
)
def test_a_bad_period_is_a_form_error_not_a_500(client, coordinator, params, field, message):
    response = signed_in(client, coordinator.user).get(URL, params)
    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors
    assert message in " ".join(form.errors[field])
    page = text_of(response)
    assert "There is a problem" in page and message in page
    assert "report" not in response.context


def test_another_region_s_coordinator_sees_only_their_own_region(client, history, other_region_coordinator):
    response = signed_in(client, other_region_coordinator.user).get(
        URL, {"region": "20", "period": "half_year"}
    )
    assert response.status_code == 200
    assert response.context["region"].code == "07"
    assert response.context["report"]["region"]["code"] == "07"
    assert "Dalarna" not in text_of(response)


def test_staff_choose_the_region(client, history, staff):
    signed_in(client, staff)
    first = client.get(URL)
    assert first.status_code == 200
    assert "report" not in first.context
    assert '<select name="region"' in first.content.decode()
    for code in ("20", "07"):
        response = client.get(URL, {"region": code, "period": "half_year"})
        assert response.status_code == 200
        assert response.context["report"] == report_for(FIRST, LAST, code=code)
    assert client.get(URL, {"region": "99", "period": "month"}).status_code == 400


@pytest.mark.parametrize("who", ["entrepreneur", "advisor"])
def test_others_are_refused(client, db, who, request):
    # `db` named here, not only reached through getfixturevalue: pytest-django
    # then runs this with the database tests, before any transactional test
    # flushes the regions the migrations loaded.
    user = request.getfixturevalue(who)
    user = getattr(user, "user", user)
    assert signed_in(client, user).get(URL).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_dashboard_takes_a_bounded_number_of_queries(
    client, history, coordinator, django_assert_max_num_queries
):
    signed_in(client, coordinator.user)
    with django_assert_max_num_queries(45):
        response = client.get(URL, {"period": "half_year"})
    assert response.status_code == 200


def test_coordinators_find_the_dashboard_in_the_menu(client, coordinator, entrepreneur):
    assert 'href="/statistics/"' in signed_in(client, coordinator.user).get("/").content.decode()
    assert 'href="/statistics/"' not in signed_in(client, entrepreneur).get("/").content.decode()


# --- Changes and hidden figures -------------------------------------------------------------------


def test_no_change_is_worked_out_from_a_hidden_figure():
    with translation.override("en"):
        assert views.change_between("unique_enterprises", "<5", 12)[0] is None
        assert views.change_between("unique_enterprises", 12, "<5")[0] is None
        assert views.change_between("mean_rating", None, 4.2)[0] is None
        hidden = {"covered": "<5", "of": 15}
        assert views.change_between("coverage", hidden, {"covered": 7, "of": 15})[0] is None
        assert charts.show("unique_enterprises", "<5") == "<5"
        assert charts.show("coverage", hidden) == "<5 of 15"
        up = views.change_between("sessions_held", 30, 12)[0]
        assert (up.direction, up.text) == ("up", "+18")
        down = views.change_between("share_within_14_days", 0.5, 0.625)[0]
        assert down.direction == "down" and down.text == "\u221212.5 percentage points"
        same = views.change_between("advice_hours", 10.0, 10.0)[0]
        assert same.direction == "same"


def test_hidden_figures_show_as_less_than_five_on_the_page(client, coordinator):
    """A region with two enterprises advised: every count of them is "<5"."""
    anna = factories.AdvisorFactory()
    people = [
        Person(factories.UserFactory(), Gender.WOMAN, "2080", EnterpriseKind.values[0], f"e{i}", f"p{i}")
        for i in range(2)
    ]
    save_bookings(
        [booking_for(anna, people[i % 2], local(date(2026, 6, 2 + i), 10)) for i in range(4)],
        rng=random.Random(1),
    )
    response = signed_in(client, coordinator.user).get(URL, {"period": "month"})
    cards = {h.key: h for h in response.context["headlines"]}
    assert cards["unique_enterprises"].value == "<5"
    assert cards["unique_enterprises"].change is None
    assert "&lt;5" in response.content.decode()


# --- Definitions ------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_definitions_page_defines_every_measure_in_swedish_and_english(client, db, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get("/statistics/definitions/")
    assert response.status_code == 200
    page = text_of(response)
    for key, entry in definitions().items():
        assert f'id="{key}"' in page
        for part in ("name_sv", "name_en", "sv", "en"):
            assert entry[part] in page, (key, part)
    other = "en" if language == "sv" else "sv"
    assert f'<details lang="{other}">' in page
    assert f'<html lang="{language}">' in page


# --- The monthly mail ---------------------------------------------------------------------------------

FIRST_OF_AUGUST = datetime(2026, 8, 1, 4, 0, tzinfo=UTC)  # 06:00 in Stockholm


def deliver_outbox() -> list[str]:
    """What the outbox's sweep and worker do: send every due message."""
    return [sending.deliver(pk) for pk in sending.claim_due()]


def address(message) -> str:
    return parseaddr(message.to[0])[1]


def test_each_active_coordinator_gets_last_month_s_xlsx_once(history, coordinator, other_region_coordinator):
    english = factories.CoordinatorFactory(user__email="lena@example.se", user__language="en", region_id="20")
    factories.CoordinatorFactory(user__email="gone@example.se", user__is_active=False, region_id="20")
    with time_machine.travel(FIRST_OF_AUGUST, tick=False):
        assert send_monthly_reports() == 3
        assert mail.outbox == []  # recorded in the outbox, which sends them
        assert deliver_outbox() == [MessageState.SENT] * 3
        assert sorted(address(m) for m in mail.outbox) == [
            "karin@example.se",
            "lena@example.se",
            "per@example.se",
        ]
        for message in mail.outbox:
            assert len(message.attachments) == 1
            name, content, content_type = message.attachments[0]
            code = "07" if address(message) == "per@example.se" else "20"
            assert name == f"radtid-statistik-{code}-2026-07-01-2026-07-31.xlsx"
            assert content_type == XLSX_CONTENT_TYPE
            book = load_workbook(io.BytesIO(content))
            assert len(book.sheetnames) == 3 + len(BREAKDOWNS)  # summary, follow-up, definitions
        by_person = {address(m): m for m in mail.outbox}
        assert "juli 2026" in by_person["karin@example.se"].subject
        assert "July 2026" in by_person[english.user.email].subject
        assert "Dalarna" in by_person["karin@example.se"].body

        # Later the same day, nothing goes twice.
        assert send_monthly_reports() == 0
        assert deliver_outbox() == []
        assert len(mail.outbox) == 3
    marks = MonthlyReportMail.objects.all()
    assert {(m.user.email, m.region_id, f"{m.month:%Y-%m}") for m in marks} == {
        ("karin@example.se", "20", "2026-07"),
        ("lena@example.se", "20", "2026-07"),
        ("per@example.se", "07", "2026-07"),
    }
    rows = OutboxMessage.objects.filter(kind=MessageKind.STATISTICS_MONTHLY)
    assert sorted(rows.values_list("key", flat=True)) == sorted(
        f"statistics_monthly:{code}:2026-07:{c.user_id}"
        for code, c in (("20", coordinator), ("20", english), ("07", other_region_coordinator))
    )


def test_a_monthly_mail_the_mail_server_refuses_for_now_is_retried_by_the_outbox(
    coordinator, settings, monkeypatch
):
    settings.EMAIL_BACKEND = "tests.mail_backends.FailingBackend"
    monkeypatch.setattr(FailingBackend, "error", smtplib.SMTPResponseException(421, b"try again later"))
    with time_machine.travel(FIRST_OF_AUGUST, tick=False) as clock:
        assert send_monthly_reports() == 1
        assert deliver_outbox() == [MessageState.PENDING]
        [row] = OutboxMessage.objects.filter(kind=MessageKind.STATISTICS_MONTHLY)
        assert (row.attempts, row.due_at) == (1, FIRST_OF_AUGUST + timedelta(seconds=60))
        assert "421" in row.last_error
        # The task running again (a redelivery) records nothing more.
        assert send_monthly_reports() == 0

        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        clock.shift(timedelta(seconds=60))
        assert deliver_outbox() == [MessageState.SENT]
    [message] = mail.outbox
    assert address(message) == "karin@example.se"
    assert message.attachments[0][0] == "radtid-statistik-20-2026-07-01-2026-07-31.xlsx"
    assert OutboxMessage.objects.get(pk=row.pk).attempts == 2


def test_the_monthly_mail_and_its_mark_are_written_together_or_not_at_all(coordinator):
    def refuse(**kwargs):
        raise RuntimeError("the outbox row could not be written")

    with time_machine.travel(FIRST_OF_AUGUST, tick=False):
        signals.statistics_report_ready.connect(refuse, dispatch_uid="test.refuse")
        try:
            assert send_monthly_reports() == 0  # logged; the other regions would go on
        finally:
            signals.statistics_report_ready.disconnect(dispatch_uid="test.refuse")
        assert not MonthlyReportMail.objects.exists()
        assert not OutboxMessage.objects.exists()

        assert send_monthly_reports() == 1  # so a later run records it
    assert MonthlyReportMail.objects.count() == 1
    assert (
        OutboxMessage.objects.filter(kind=MessageKind.STATISTICS_MONTHLY, user=coordinator.user).count() == 1
    )


def test_the_monthly_mail_keeps_its_ledger_apart_from_the_audit_trail(coordinator):
    with time_machine.travel(FIRST_OF_AUGUST, tick=False):
        assert send_monthly_reports() == 1
        assert send_monthly_reports() == 0
    assert not AuditEntry.objects.exists()
    [mark] = MonthlyReportMail.objects.all()
    assert (mark.region_id, mark.month, mark.user) == ("20", date(2026, 7, 1), coordinator.user)


def test_a_month_s_mail_already_in_the_outbox_is_not_written_twice_even_without_its_ledger_row(coordinator):
    # A mail recorded before the ledger existed (its mark was an audit entry):
    # the outbox row's key keeps it to one mail.
    with time_machine.travel(FIRST_OF_AUGUST, tick=False):
        assert send_monthly_reports() == 1
        MonthlyReportMail.objects.all().delete()
        send_monthly_reports()
    assert OutboxMessage.objects.filter(kind=MessageKind.STATISTICS_MONTHLY).count() == 1


def test_the_monthly_mail_is_in_the_beat_schedule():
    entry = settings.CELERY_BEAT_SCHEDULE["send-monthly-statistics"]
    assert entry["task"] == send_monthly_reports.name == "reporting.tasks.send_monthly_reports"
    assert entry["schedule"].day_of_month == {1}
    assert entry["schedule"].hour == {6} and entry["schedule"].minute == {0}
