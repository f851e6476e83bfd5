"""factory_boy factories, in one place."""

from __future__ import annotations

from datetime import time

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth import get_user_model

from advisors.models import Advisor, Coordinator, WeeklyHours
from backend.models import Role

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
