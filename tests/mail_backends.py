"""A mail backend that fails as told: the SMTP errors we cannot make a real
server produce on demand (real-server tests are in tests/integration/)."""

from django.core.mail.backends.base import BaseEmailBackend


class FailingBackend(BaseEmailBackend):
    error: Exception = OSError("no server")

    def send_messages(self, email_messages):
        raise type(self).error
