"""Mail about a person's role rather than a booking, through the outbox like
every other: an advisor's invitation (rendered when sent, its password link
made then and never stored) and a coordinator's monthly statistics (stored
as bookings wrote it, the report attached)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.forms.models import model_to_dict

from advisors.services_coordinator import advisor_invite
from notifications import outbox, privacy, sending
from notifications.models import MessageKind, MessageState, OutboxMessage, Recipient

pytestmark = pytest.mark.usefixtures("frozen_clock")  # at NOW (tests/conftest.py)

NOW = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)
CHANGELIST = "/admin/notifications/outboxmessage/"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def invitation(coordinator):
    """Karin invites Lisa to be an advisor in Dalarna."""
    advisor = advisor_invite(
        coordinator=coordinator, email="lisa@example.se", full_name="Lisa Berg", organisation="Almi Dalarna"
    )
    return OutboxMessage.objects.get(kind=MessageKind.ADVISOR_INVITATION, user=advisor.user)


@pytest.fixture
def monthly_report(coordinator):
    """Karin's statistics for February 2027, as bookings hands it over."""
    return outbox.record_statistics_report(
        coordinator=coordinator,
        region=coordinator.region,
        month="2027-02",
        subject="Rådtid: statistik för Dalarnas län,\n februari 2027",
        body="Hej Karin,\n\nHär är statistiken.",
        attachment=(
            "radtid-statistik-20-2027-02-01-2027-02-28.xlsx",
            b"PK\x03\x04 not really a workbook",
            XLSX,
        ),
    )


def deliver_all_due() -> list[str]:
    return [sending.deliver(pk) for pk in sending.claim_due()]


def test_the_invitation_is_rendered_when_sent_with_who_invited_and_a_password_link(invitation, coordinator):
    assert deliver_all_due() == [MessageState.SENT]

    [message] = mail.outbox
    assert message.to == ["Lisa Berg <lisa@example.se>"]
    assert message.extra_headers["X-Radtid-Message"] == invitation.key
    assert message.subject == "Inbjudan till Rådtid / Invitation to Rådtid"
    assert f"{coordinator.user.full_name} på Region Dalarna har bjudit in dig" in message.body
    assert "/accounts/password/reset/key/" in message.body


def test_the_password_link_is_never_stored_nor_shown_to_staff(invitation, staff, client):
    deliver_all_due()
    token = re.search(r"/accounts/password/reset/key/(\S+)/", mail.outbox[0].body).group(1)
    client.force_login(staff)

    stored = OutboxMessage.objects.get(pk=invitation.pk)
    assert token not in repr(model_to_dict(stored)) + stored.key + repr(stored.data)
    listed = client.get(CHANGELIST).content.decode()
    detail = client.get(f"{CHANGELIST}{invitation.pk}/change/").content.decode()
    assert "lisa@example.se" in listed and f"/admin/backend/user/{invitation.user_id}/change/" in listed
    assert token not in listed and token not in detail


def test_the_monthly_report_is_sent_as_stored_with_its_attachment(monthly_report):
    assert monthly_report.recipient == Recipient.COORDINATOR
    assert monthly_report.subject == "Rådtid: statistik för Dalarnas län, februari 2027"

    assert deliver_all_due() == [MessageState.SENT]

    [message] = mail.outbox
    assert message.to == [f"{monthly_report.user.get_full_name()} <karin@example.se>"]
    assert message.subject == monthly_report.subject
    assert message.body == "Hej Karin,\n\nHär är statistiken."
    assert message.attachments == [
        ("radtid-statistik-20-2027-02-01-2027-02-28.xlsx", b"PK\x03\x04 not really a workbook", XLSX)
    ]


def test_a_monthly_report_recorded_twice_is_one_row(monthly_report, coordinator):
    again = outbox.record_statistics_report(
        coordinator=coordinator,
        region=coordinator.region,
        month="2027-02",
        subject="Again",
        body="Again",
        attachment=("again.xlsx", b"", XLSX),
    )

    assert again.pk == monthly_report.pk
    assert list(again.attachments.values_list("filename", flat=True)) == [
        "radtid-statistik-20-2027-02-01-2027-02-28.xlsx"
    ]


def test_staff_find_the_monthly_report_by_email_and_see_its_attachment_by_name(monthly_report, staff, client):
    client.force_login(staff)

    found = client.get(CHANGELIST, {"q": "karin@example.se"})
    detail = client.get(f"{CHANGELIST}{monthly_report.pk}/change/").content.decode()

    assert [m.pk for m in found.context["cl"].result_list] == [monthly_report.pk]
    assert "radtid-statistik-20-2027-02-01-2027-02-28.xlsx (26\xa0byte)" in detail  # its size…
    assert "not really a workbook" not in detail  # …not its bytes


def test_mail_to_an_account_no_longer_active_is_cancelled_not_sent(invitation):
    invitation.user.is_active = False
    invitation.user.save()

    assert deliver_all_due() == [MessageState.CANCELLED]
    assert mail.outbox == []


def test_a_person_s_export_lists_their_mail_and_erasing_them_cancels_what_is_unsent(
    monthly_report, coordinator
):
    exported = privacy.export_messages(coordinator.user)
    assert [(m["kind"], m["subject"], m["state"]) for m in exported] == [
        (MessageKind.STATISTICS_MONTHLY, monthly_report.subject, MessageState.PENDING)
    ]

    privacy.erase(coordinator.user, NOW)

    assert OutboxMessage.objects.get(pk=monthly_report.pk).state == MessageState.CANCELLED


@pytest.mark.parametrize(
    ("kind", "about"),
    [
        (MessageKind.ADVISOR_INVITATION, {}),  # no person
        (MessageKind.CONFIRMATION, {"person": True}),  # a booking's mail has no person of its own
        (MessageKind.STATISTICS_MONTHLY, {"person": True, "subject": ""}),  # stored, yet empty
    ],
)
@pytest.mark.services  # a check constraint, on each database
def test_each_kind_must_be_addressed_as_it_needs(advisor, kind, about):
    fields = {"user": advisor.user} if about.get("person") else {}
    if "subject" in about:
        fields["subject"] = about["subject"]
    with pytest.raises(IntegrityError), transaction.atomic():
        OutboxMessage.objects.create(key="k", kind=kind, recipient=Recipient.ADVISOR, due_at=NOW, **fields)
