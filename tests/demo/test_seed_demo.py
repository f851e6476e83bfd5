from __future__ import annotations

from io import StringIO

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management import call_command

from advisors.models import Advisor, Coordinator, WeeklyHours

User = get_user_model()

DEMO = (
    ["admin@example.se", "coordinator.dalarna@example.se", "coordinator.kronoberg@example.se"]
    + [f"advisor{i}.{r}@example.se" for r in ("dalarna", "kronoberg") for i in (1, 2, 3)]
    + [f"entrepreneur{i}@example.se" for i in range(1, 6)]
)


def seed(**kwargs) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **kwargs)
    return out.getvalue()


def test_it_creates_the_demo_accounts_verified_and_prints_them(db):
    output = seed()

    for email in DEMO:
        assert email in output
        user = User.objects.get(email=email)
        assert user.check_password("demo-pass-2026")
        assert EmailAddress.objects.get(user=user).verified
    assert User.objects.get(email="admin@example.se").is_staff


def test_advisors_and_coordinators_belong_to_dalarna_and_kronoberg(db):
    seed()

    assert Coordinator.objects.get(user__email="coordinator.dalarna@example.se").region_id == "20"
    assert Coordinator.objects.get(user__email="coordinator.kronoberg@example.se").region_id == "07"
    assert Advisor.objects.filter(region_id="20").count() == 3
    assert Advisor.objects.filter(region_id="07").count() == 3
    for advisor in Advisor.objects.all():
        assert advisor.topics.exists()
        assert WeeklyHours.objects.filter(advisor=advisor).count() >= 8


def test_it_is_idempotent(db):
    seed()
    counts = (
        User.objects.count(),
        Advisor.objects.count(),
        WeeklyHours.objects.count(),
        EmailAddress.objects.count(),
    )
    seed()
    assert counts == (
        User.objects.count(),
        Advisor.objects.count(),
        WeeklyHours.objects.count(),
        EmailAddress.objects.count(),
    )


def test_the_password_can_be_chosen(db):
    seed(password="another-password-9")
    assert User.objects.get(email="entrepreneur1@example.se").check_password("another-password-9")


def test_every_demo_advisor_has_free_time_to_show(db, client):
    seed()

    advisors = client.get("/api/v1/advisors/?page_size=50").json()["results"]

    assert len(advisors) == 6
    assert all(a["next_available"] for a in advisors)
    assert {tuple(a["session_lengths"]) for a in advisors} >= {(30, 60), (60, 90)}


def test_dalarna_has_a_funding_project_once(db):
    from reporting.models import FundingProject

    seed()
    seed()
    project = FundingProject.objects.get()
    assert project.region_id == "20" and project.periods.count() == 6
    assert [o.user.email for o in project.owners.all()] == ["coordinator.dalarna@example.se"]


def test_the_demo_project_has_figures_and_closed_periods_but_one_left_to_close(db):
    from django.utils import timezone

    from reporting.models import FundingProject, PeriodSnapshot
    from reporting.project_report import project_report

    seed()
    seed()
    project = FundingProject.objects.get()
    today = timezone.localdate()
    over = list(project.periods.filter(end__lt=today).order_by("number"))
    closed = [p.number for p in over if p.closed]

    assert closed == [p.number for p in over[:-1]] and len(closed) >= 1
    assert PeriodSnapshot.objects.count() == len(closed)
    latest = project_report(project, over[-1]).values()["cumulative"]
    assert latest["enterprises_supported"] > 0 and latest["sessions_held"] > 0
