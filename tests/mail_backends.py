"""Mail backends for the tests: one that fails as told (the SMTP errors we
cannot make a real server produce on demand; real-server tests are in
tests/integration/), and one that lets a test look around mid-send."""

from collections.abc import Callable, Sequence

from django.core.mail import EmailMessage
from django.core.mail.backends import locmem
from django.core.mail.backends.base import BaseEmailBackend


class FailingBackend(BaseEmailBackend):
    error: Exception = OSError("no server")

    def send_messages(self, email_messages):
        raise type(self).error


class ProbingBackend(locmem.EmailBackend):
    """The locmem backend that first calls `probe` (set by a test) with the
    mails, as if the mail server were busy with them: what the worker holds
    meanwhile (a transaction, a row lock) can be looked at from inside."""

    probe: Callable[[Sequence[EmailMessage]], None] | None = None

    def send_messages(self, email_messages):
        if type(self).probe is not None:
            type(self).probe(email_messages)
        return super().send_messages(email_messages)
