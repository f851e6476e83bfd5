"""factory_boy factories, in one place."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth import get_user_model

from advisors.models import Advisor, Coordinator, Topic, WeeklyHours
from backend.models import Role
from bookings import services
from bookings.models import Booking, BookingStatus, Enterprise, EnterpriseKind, Gender

PASSWORD = "a-long-test-password-1"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.se")
    full_name = factory.Faker("name", locale="sv_SE")
    role = Role.ENTREPRENEUR
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(obj, create, extracted, **kwargs):
        obj.save()
        if create and extracted is not False:
            EmailAddress.objects.get_or_create(
                user=obj, email=obj.email, defaults={"verified": True, "primary": True}
            )


class StaffFactory(UserFactory):
    """A platform operator with an activated TOTP authenticator (the admin
    sends staff without one to set it up; backend.middleware)."""

    is_staff = True
    is_superuser = True

    @factory.post_generation
    def totp(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            TOTP.activate(obj, generate_totp_secret())


class AdvisorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Advisor
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory, role=Role.ADVISOR)
    region_id = "20"
    organisation = "Coompanion Dalarna"
    title = "Affärsrådgivare"
    address = "Åsgatan 23, Falun"
    meeting_url = "https://meet.example.se/anna"

    @factory.post_generation
    def week(obj, create, extracted, **kwargs):
        """Monday to Friday 09–12 and 13–16 unless `week=[(weekday, start, end), …]`."""
        if not create:
            return
        intervals = (
            extracted
            if extracted is not None
            else [(d, time(s), time(e)) for d in range(5) for s, e in ((9, 12), (13, 16))]
        )
        WeeklyHours.objects.bulk_create(
            WeeklyHours(advisor=obj, weekday=d, start=s, end=e) for d, s, e in intervals
        )


class CoordinatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Coordinator

    user = factory.SubFactory(UserFactory, role=Role.COORDINATOR)
    region_id = "20"
    organisation = "Region Dalarna"


class EnterpriseFactory(factory.django.DjangoModelFactory):
    """A work-integrating social enterprise in Falun; `members=[user, …]`."""

    class Meta:
        model = Enterprise
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Företag {n}")
    kind = EnterpriseKind.WORK_INTEGRATING
    municipality_id = "2080"

    @factory.post_generation
    def members(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.members.add(*extracted)


class BookingFactory(factory.django.DjangoModelFactory):
    """A booking written as it stands, without the booking service's checks
    (for reads, rules and statistics); book through bookings.services to test
    booking. An hour from `start`, blocked as it lasts, on the advisor's region."""

    class Meta:
        model = Booking

    advisor = factory.SubFactory(AdvisorFactory)
    entrepreneur = factory.SubFactory(UserFactory)
    enterprise = factory.LazyAttribute(
        lambda b: EnterpriseFactory(members=[b.entrepreneur] if b.entrepreneur else [])
    )
    start = datetime(2027, 3, 2, 8, 0, tzinfo=UTC)
    duration = 60
    end = factory.LazyAttribute(lambda b: b.start + timedelta(minutes=b.duration))
    blocked_start = factory.LazyAttribute(lambda b: b.start)
    blocked_end = factory.LazyAttribute(lambda b: b.end)
    topic = factory.LazyFunction(lambda: Topic.objects.filter(is_active=True).order_by("position").first())
    mode = "video"
    status = BookingStatus.CONFIRMED
    stat_region = factory.LazyAttribute(lambda b: b.advisor.region_id)
    stat_municipality = "2080"
    stat_enterprise_kind = EnterpriseKind.WORK_INTEGRATING
    stat_gender = Gender.NOT_STATED
    stat_first_time = True
    stat_waiting_days = 3
    stat_enterprise_key = factory.Sequence(lambda n: f"enterprise-{n}")
    stat_person_key = factory.Sequence(lambda n: f"person-{n}")
    stat_advisor_organisation = factory.LazyAttribute(lambda b: b.advisor.organisation)


def book(
    entrepreneur,
    advisor: Advisor,
    start: datetime,
    *,
    duration: int = 60,
    topic: str | Topic = "financing",
    mode: str = "video",
    **kwargs,
) -> Booking:
    """A booking made through the booking service, as people make them: its
    checks, its statistical facts and its outbox rows. (BookingFactory writes a
    row as it stands instead.)"""
    return services.booking_create(
        entrepreneur=entrepreneur,
        advisor=advisor,
        start=start,
        duration=duration,
        topic=Topic.objects.get(slug=topic) if isinstance(topic, str) else topic,
        mode=mode,
        **kwargs,
    )
