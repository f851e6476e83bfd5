"""The worker keeps its SMTP session between mails, and opens it again when
the server has closed it, with a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import smtplib

import pytest
from django.core.mail import EmailMessage

from notifications import sending
from tests.integration.smtp import MailSink


@pytest.fixture
def sink(settings):
    with MailSink().start() as running:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", running.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        yield running
        sending._close_smtp()


@pytest.fixture
def connects(monkeypatch):
    """How many SMTP sessions were opened."""
    opened = []
    connect = smtplib.SMTP.connect

    def counting(self, *args, **kwargs):
        opened.append(args)
        return connect(self, *args, **kwargs)

    monkeypatch.setattr(smtplib.SMTP, "connect", counting)
    return opened


def mail(n: int) -> EmailMessage:
    return EmailMessage(
        f"Mail {n}", "Hej", "noreply@example.se", ["sara@example.se"], headers={"X-Radtid-Message": f"k{n}"}
    )


def test_mails_share_one_smtp_session(sink, connects):
    for n in range(3):
        sending.send(mail(n))

    assert sink.wait_for(3, timeout=5)
    assert sorted(sink.keys()) == ["k0", "k1", "k2"]
    assert len(connects) == 1


def test_a_session_the_server_closed_is_opened_again_and_the_mail_goes_once(sink, connects):
    sending.send(mail(1))
    sending._smtp[1].connection.close()  # as a server's idle timeout leaves it

    sending.send(mail(2))

    assert sink.wait_for(2, timeout=5)
    assert sink.keys() == {"k1": 1, "k2": 1}
    assert len(connects) == 2


def test_another_mail_server_in_the_settings_gets_its_own_session(sink, connects, settings):
    sending.send(mail(1))
    with MailSink().start() as other:
        settings.EMAIL_PORT = other.port
        sending.send(mail(2))
        assert other.wait_for(1, timeout=5)
        sending._close_smtp()

    assert sink.keys() == {"k1": 1}
    assert len(connects) == 2
