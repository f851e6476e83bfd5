"""A funding project's report (issue 16): every indicator against an
independent recomputation from the raw booking rows, the participant list
against the supported enterprises, closing a period into a snapshot that
later changes leave alone, disclosure control for those without the owner
right, and the participant list's export ledger."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from advisors.models import Topic
from backend.models import AuditEntry
from backend.privacy import person_erase
from bookings.models import Booking, BookingStatus, Gender
from reporting.models import ParticipantListExport, PeriodSnapshot, ProjectBooking
from reporting.project_report import (
    INDICATORS,
    PROJECT_DEFINITIONS_VERSION,
    behind,
    live_difference,
    participant_list_export,
    participants,
    period_close,
    project_report,
    shown_values,
)
from reporting.projects import ProjectData, ProjectError, project_owner_grant, project_save
from tests import factories

ZONE = ZoneInfo("Europe/Stockholm")
QUARTERS = [
    (date(2027, 1, 1), date(2027, 3, 31)),
    (date(2027, 4, 1), date(2027, 6, 30)),
    (date(2027, 7, 1), date(2027, 9, 30)),
    (date(2027, 10, 1), date(2027, 12, 31)),
]
AFTER_THE_END = datetime(2028, 1, 10, 9, 0, tzinfo=UTC)
STATUSES = [BookingStatus.COMPLETED] * 5 + [
    BookingStatus.NO_SHOW,
    BookingStatus.CANCELLED,
    BookingStatus.CONFIRMED,
]
GENDERS = [Gender.WOMAN, Gender.MAN, Gender.OTHER, Gender.NOT_STATED]


class History:
    """A year of bookings for two advisors of Dalarna (only Anna's are in the
    project) and one of Kronoberg, with every status, genders, women-led
    enterprises, outcome notes or none, and sessions around midnight at the
    ends of the periods, where the local date decides the period."""

    def __init__(self) -> None:
        rng = random.Random(16)
        self.coordinator = factories.CoordinatorFactory(region_id="20")
        self.anna = factories.AdvisorFactory(region_id="20")
        self.bertil = factories.AdvisorFactory(region_id="20")
        self.kronoberg = factories.AdvisorFactory(region_id="07")
        topics = list(Topic.objects.filter(is_active=True).order_by("position")[:2])
        self.project = project_save(
            by=self.coordinator.user,
            project=None,
            data=ProjectData(
                region=self.coordinator.region,
                name="Starkare sociala företag",
                funder="tillvaxtverket_national",
                reference="NYPS 20305678",
                start=date(2027, 1, 1),
                end=date(2027, 12, 31),
                hourly_aid_value_sek=Decimal("1000"),
                periods=QUARTERS,
                advisors=[self.anna],
            ),
        )
        people = [factories.UserFactory() for _ in range(30)]
        enterprises = [factories.EnterpriseFactory() for _ in range(24)]
        for number, person in enumerate(people):  # six enterprises have two people
            enterprises[number % 24].members.add(person)
        midnights = (
            datetime(2027, 3, 31, 21, 30, tzinfo=UTC),  # 23:30 on 31 March: period 1
            datetime(2027, 3, 31, 22, 30, tzinfo=UTC),  # 00:30 on 1 April: period 2
            datetime(2026, 12, 31, 22, 30, tzinfo=UTC),  # 23:30 on 31 December: before the project
            datetime(2027, 12, 31, 23, 30, tzinfo=UTC),  # 00:30 on 1 January 2028: after it
        )
        for number in range(220):
            person = rng.randrange(30)
            enterprise = person % 24
            # 42.5 hours apart, so that no two overlap (PostgreSQL's exclusion constraint).
            start = datetime(2026, 12, 20, 7, 0, tzinfo=UTC) + timedelta(
                minutes=2550 * number + 30 * rng.randrange(19)
            )
            if any(abs(start - moment) < timedelta(hours=3) for moment in midnights):
                continue
            self.add(
                rng,
                advisor=rng.choice([self.anna] * 4 + [self.bertil, self.kronoberg]),
                start=start,
                person=people[person],
                person_key=f"person-{person}",
                enterprise=enterprises[enterprise],
                topic=rng.choice(topics),
            )
        # Around midnight at the ends of periods 1 and 2 (CEST from 28 March 2027).
        for start in midnights:
            self.add(
                rng,
                advisor=self.anna,
                start=start,
                person=people[0],
                person_key="person-0",
                enterprise=enterprises[0],
                topic=topics[0],
                status=BookingStatus.COMPLETED,
                duration=30,
            )
        # Anna takes one of her held sessions out of the project.
        self.taken_out = Booking.objects.filter(advisor=self.anna, status=BookingStatus.COMPLETED).order_by(
            "pk"
        )[3]
        ProjectBooking.objects.create(booking=self.taken_out, project=None, chosen_by=self.anna.user)

    def add(
        self, rng, *, advisor, start, person, person_key, enterprise, topic, status=None, duration=None
    ) -> Booking:
        status = status or rng.choice(STATUSES)
        held = status == BookingStatus.COMPLETED
        duration = duration or rng.choice([30, 45, 60, 90])
        return factories.BookingFactory(
            advisor=advisor,
            start=start,
            duration=duration,
            entrepreneur=person,
            enterprise=enterprise,
            topic=topic,
            status=status,
            outcome_note="Vi gick igenom budgeten." if held and rng.random() < 0.7 else "",
            outcome_noted=start if held and rng.random() < 0.7 else None,
            stat_gender=rng.choice(GENDERS),
            stat_women_led=rng.random() < 0.4,
            stat_person_key=person_key,
            stat_enterprise_key=f"enterprise-{enterprise.pk}",
        )


@pytest.fixture
def history(db) -> History:
    return History()


def expected_values(history: History, first: date, last: date) -> dict:
    """The indicators of the project's sessions first..last worked out again
    from the raw rows, by the definitions' words rather than the report's code."""
    chosen_out = set(ProjectBooking.objects.filter(project=None).values_list("booking_id", flat=True))
    rows = sorted(
        Booking.objects.values(
            "pk",
            "start",
            "duration",
            "status",
            "advisor_id",
            "stat_region",
            "outcome_noted",
            "stat_gender",
            "stat_women_led",
            "stat_person_key",
            "stat_enterprise_key",
        ),
        key=lambda row: (row["start"], row["pk"]),
    )
    mine = [
        r
        for r in rows
        if r["stat_region"] == "20"
        and r["advisor_id"] == history.anna.pk
        and r["pk"] not in chosen_out
        and first <= r["start"].astimezone(ZONE).date() <= last
    ]
    held = [r for r in mine if r["status"] == "completed"]
    women_led: dict[str, bool] = {}
    gender: dict[str, str] = {}
    for r in held:
        gender[r["stat_person_key"]] = r["stat_gender"]
        if r["outcome_noted"] is not None:
            women_led[r["stat_enterprise_key"]] = r["stat_women_led"]
    return {
        "enterprises_supported": len(women_led),
        "enterprises_supported_women_led": sum(women_led.values()),
        "participants": len(gender),
        "participants_women": sum(1 for g in gender.values() if g == "woman"),
        "participants_men": sum(1 for g in gender.values() if g == "man"),
        "sessions_held": len(held),
        "advice_hours": round(sum(r["duration"] for r in held) / 60, 2),
        "workshops_held": 0,
        "referrals_made": 0,
        "referrals_held": 0,
    }


@pytest.mark.services  # the local date of a session is the database's business too
def test_every_indicator_equals_an_independent_recomputation_from_the_raw_rows(history):
    for number, (first, last) in enumerate(QUARTERS, start=1):
        period = history.project.periods.get(number=number)
        values = project_report(history.project, period).values()

        assert values["in_period"] == expected_values(history, first, last), number
        assert values["cumulative"] == expected_values(history, date(2027, 1, 1), last), number
    year = project_report(history.project, history.project.periods.get(number=4)).values()["cumulative"]
    assert year["enterprises_supported"] >= 10 and year["sessions_held"] > 50, "the history is rich enough"
    assert set(year) == set(INDICATORS)


def test_an_enterprise_counts_once_however_many_sessions_and_only_when_documented(history):
    report = project_report(history.project, history.project.periods.get(number=4))
    documented = behind(report.sessions, "enterprises_supported")
    values = report.values()["cumulative"]

    assert all(s.booking.status == "completed" and s.booking.outcome_noted for s in documented)
    assert len(documented) > values["enterprises_supported"]  # several sessions, one enterprise
    assert values["enterprises_supported"] == len({s.booking.stat_enterprise_key for s in documented})
    assert values["sessions_held"] == len(behind(report.sessions, "sessions_held"))
    women = behind(report.sessions, "participants_women")
    assert len({s.booking.stat_person_key for s in women}) == values["participants_women"]


def test_the_participant_list_is_exactly_the_supported_enterprises(history):
    report = project_report(history.project, history.project.periods.get(number=4))
    listed = participants(report)
    supported = {s.booking.enterprise.pk for s in behind(report.sessions, "enterprises_supported")}

    assert {row.enterprise.pk for row in listed} == supported
    assert len(listed) == report.values()["cumulative"]["enterprises_supported"]
    row = listed[0]
    own_held = [s for s in report.sessions if s.held and s.booking.enterprise_id == row.enterprise.pk]
    assert row.sessions == len(own_held)
    assert row.hours == Decimal(sum(s.booking.duration for s in own_held)) / 60
    assert (row.first_session, row.latest_session) == (own_held[0].day, own_held[-1].day)
    assert row.contact_email == own_held[-1].booking.entrepreneur.email


def test_erasure_keeps_the_counts_and_removes_the_person_from_future_lists(history):
    report = project_report(history.project, history.project.periods.get(number=4))
    before = report.values()
    listed = participants(report)
    erased = listed[0]
    for person in list(erased.enterprise.members.all()):
        person_erase(user=person)

    after = project_report(history.project, history.project.periods.get(number=4))
    assert after.values() == before
    assert erased.enterprise.pk not in {row.enterprise.pk for row in participants(after)}
    assert len(participants(after)) == len(listed) - 1


def test_a_closed_periods_snapshot_stays_when_its_bookings_change_and_the_difference_shows(history):
    period = history.project.periods.get(number=2)
    snapshot = period_close(by=history.coordinator.user, project=history.project, number=2, now=AFTER_THE_END)
    frozen = PeriodSnapshot.objects.get(pk=snapshot.pk).values
    held = next(s.booking for s in project_report(history.project, period).in_period if s.documented)

    Booking.objects.filter(pk=held.pk).update(status=BookingStatus.NO_SHOW)

    again = PeriodSnapshot.objects.get(pk=snapshot.pk)
    period.refresh_from_db()
    live = project_report(history.project, period)
    assert again.values == frozen and again.definitions_version == PROJECT_DEFINITIONS_VERSION
    assert (period.closed, period.closed_by) == (True, history.coordinator.user)
    assert live.values()["in_period"]["sessions_held"] == frozen["in_period"]["sessions_held"] - 1
    difference = live_difference(live, again, exact=True)
    assert difference["in_period"]["sessions_held"] == -1
    assert difference["cumulative"]["sessions_held"] == -1
    assert difference["in_period"]["advice_hours"] == -held.duration / 60
    assert AuditEntry.objects.about(history.project).filter(action="funding_project.period_closed").exists()
    with pytest.raises(ValueError):
        again.save()


def test_closing_twice_before_the_end_or_without_the_owner_right_is_refused(history):
    colleague = factories.CoordinatorFactory(region_id="20")
    refusals = []
    for by, number, now in (
        (colleague.user, 1, AFTER_THE_END),
        (history.coordinator.user, 4, datetime(2027, 12, 31, 12, 0, tzinfo=UTC)),
        (history.coordinator.user, 9, AFTER_THE_END),
    ):
        with pytest.raises(ProjectError) as refused:
            period_close(by=by, project=history.project, number=number, now=now)
        refusals.append(refused.value.status_code)
    assert refusals == [403, 400, 400]
    assert not PeriodSnapshot.objects.exists()

    project_owner_grant(by=history.coordinator.user, project=history.project, coordinator=colleague)
    period_close(by=colleague.user, project=history.project, number=1, now=AFTER_THE_END)
    with pytest.raises(ProjectError) as twice:
        period_close(by=history.coordinator.user, project=history.project, number=1, now=AFTER_THE_END)
    assert twice.value.status_code == 409
    assert PeriodSnapshot.objects.count() == 1


def test_without_the_owner_right_small_counts_are_hidden_and_the_rest_rounded():
    values = {
        "enterprises_supported": 3,
        "enterprises_supported_women_led": 0,
        "participants": 12,
        "participants_women": 4,
        "participants_men": 7,
        "sessions_held": 23,
        "advice_hours": 21.5,
        "workshops_held": 0,
        "referrals_made": 0,
        "referrals_held": 0,
    }
    few = {**values, "participants": 2, "participants_men": 2, "participants_women": 0}

    assert shown_values(values, exact=True) == values
    assert shown_values(values, exact=False) == {
        **values,
        "enterprises_supported": "<5",
        "participants": 10,
        "participants_women": "<5",
        "participants_men": 5,
        "sessions_held": 25,
        "advice_hours": 20.0,
    }
    hidden = shown_values(few, exact=False)
    assert (hidden["participants"], hidden["sessions_held"], hidden["advice_hours"]) == ("<5", "<5", None)


def test_the_participant_list_leaves_only_with_a_reason_and_an_owner(history):
    report = project_report(history.project, history.project.periods.get(number=4))
    colleague = factories.CoordinatorFactory(region_id="20")
    refused = []
    for by, reason, words in (
        (colleague.user, "progress_report", ""),
        (history.coordinator.user, "", ""),
        (history.coordinator.user, "other", "  "),
        (history.coordinator.user, "other", "x" * 201),
    ):
        with pytest.raises(ProjectError) as error:
            participant_list_export(by=by, report=report, reason=reason, reason_text=words)
        refused.append((error.value.status_code, error.value.field))
    assert refused == [(403, None), (400, "reason"), (400, "reason_text"), (400, "reason_text")]
    assert not ParticipantListExport.objects.exists()

    rows = participant_list_export(
        by=history.coordinator.user, report=report, reason="other", reason_text="Revision"
    )

    ledger = ParticipantListExport.objects.get()
    assert (ledger.by, ledger.period, ledger.reason_text, ledger.participants) == (
        history.coordinator.user,
        4,
        "Revision",
        len(rows),
    )
    entry = AuditEntry.objects.about(history.project).get(action="funding_project.participants_exported")
    assert entry.data == {"period": 4, "reason": "other", "participants": len(rows)}


def test_the_report_reads_its_sessions_in_a_fixed_number_of_queries(history, django_assert_max_num_queries):
    period = history.project.periods.get(number=4)
    with django_assert_max_num_queries(6):
        report = project_report(history.project, period)
        report.values()
        participants(report)


def test_a_session_in_two_projects_counts_in_the_one_that_started_last(history):
    newer = project_save(
        by=history.coordinator.user,
        project=None,
        data=ProjectData(
            region=history.coordinator.region,
            name="Nyare",
            funder="region",
            reference="",
            start=date(2027, 10, 1),
            end=date(2027, 12, 31),
            hourly_aid_value_sek=Decimal("800"),
            periods=[(date(2027, 10, 1), date(2027, 12, 31))],
        ),
    )
    old = project_report(history.project, history.project.periods.get(number=4)).values()["in_period"]
    new = project_report(newer, newer.periods.get()).values()["in_period"]

    assert old["sessions_held"] == 0
    assert new["sessions_held"] == len(
        [
            b
            for b in Booking.objects.filter(stat_region="20", status="completed")
            if date(2027, 10, 1) <= b.start.astimezone(ZONE).date() <= date(2027, 12, 31)
            and b.pk != history.taken_out.pk
        ]
    )


def test_every_indicator_has_its_definition_in_swedish_and_english():
    from reporting.definitions import PROJECT_DEFINITIONS, project_definitions

    for key in INDICATORS:
        entry = project_definitions()[key]
        assert entry["sv"] and entry["en"] and entry["name_sv"] and entry["name_en"], key
    assert "{" not in project_definitions()["exact"]["sv"]
    assert set(INDICATORS) <= set(PROJECT_DEFINITIONS)
