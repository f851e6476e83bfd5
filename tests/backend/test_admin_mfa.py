"""The admin is behind two-factor authentication: staff sign in through
allauth (which asks for the second factor) and without an activated
authenticator are sent to set one up."""

from __future__ import annotations

from tests import factories


def test_staff_without_an_authenticator_are_sent_to_set_one_up(client, db):
    operator = factories.StaffFactory(email="new-ops@example.se", totp=False)
    client.force_login(operator)

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"
    assert client.get("/admin/backend/user/").status_code == 302


def test_staff_with_an_authenticator_use_the_admin(client, staff):
    client.force_login(staff)

    assert client.get("/admin/").status_code == 200


def test_signing_in_to_the_admin_goes_through_allauth(client, db):
    response = client.get("/admin/login/?next=/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_the_rule_is_a_setting(client, db, settings):
    settings.ADMIN_REQUIRES_MFA = False
    operator = factories.StaffFactory(email="new-ops@example.se", totp=False)
    client.force_login(operator)

    assert client.get("/admin/").status_code == 200


def test_the_two_factor_set_up_page_works_under_the_policy(client, db):
    operator = factories.StaffFactory(email="new-ops@example.se", totp=False)
    client.force_login(operator)

    response = client.get("/accounts/2fa/totp/activate/", follow=True)

    assert response.status_code == 200
    # The QR code is a data: image, which the policy allows for images only.
    assert "data:" in response["Content-Security-Policy"].split("img-src", 1)[1].split(";")[0]


def test_staff_open_an_advisor_with_every_booking_setting_in_the_admin(client, staff, advisor):
    from advisors.services import SETTINGS_FIELDS

    client.force_login(staff)
    response = client.get(f"/admin/advisors/advisor/{advisor.pk}/change/")

    assert response.status_code == 200
    fields = set(response.context["adminform"].form.fields)
    assert {*SETTINGS_FIELDS, "date_overrides", "time_off"} <= fields
