"""A real SMTP server for the integration tests and the outbox benchmark: an
aiosmtpd Controller on 127.0.0.1 that keeps every message it accepts.

The server runs its own event loop in a thread; the test (or benchmark) reads
what arrived from any thread, so the list is guarded by a lock."""

from __future__ import annotations

import email
import email.parser
import email.policy
import logging
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage

from aiosmtpd.controller import Controller

_HEADERS = email.parser.BytesHeaderParser()
# Django's smtp backend puts the outbox row's key in this header (notifications/email.py).
KEY_HEADER = "X-Radtid-Message"


@dataclass(frozen=True)
class Received:
    """One accepted message: the envelope and the DATA exactly as sent."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    at: float  # time.monotonic() when the server accepted it

    def parsed(self) -> EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)  # type: ignore[return-value]

    @property
    def key(self) -> str | None:
        # The headers only: the benchmark reads ten thousand of these.
        value = _HEADERS.parsebytes(self.data, headersonly=True)[KEY_HEADER]
        return " ".join(str(value).split()) if value is not None else None


class _Collector:
    def __init__(self, sink: MailSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server, session, envelope) -> str:
        self.sink._add(
            Received(
                envelope.mail_from,
                tuple(envelope.rcpt_tos),
                bytes(envelope.original_content),
                time.monotonic(),
            )
        )
        return "250 Message accepted for delivery"


class MailSink:
    """A running SMTP server on 127.0.0.1:`port`; `messages` is what arrived."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: list[Received] = []
        self._keys: Counter[str] = Counter()
        self._controller: Controller | None = None
        self.port = 0

    # --- running ----------------------------------------------------------------

    def start(self, attempts: int = 5) -> MailSink:
        # aiosmtpd logs every command at INFO: thousands of lines in a benchmark.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        # Another process may take a free port between our probe and the bind: try again.
        for attempt in range(attempts):
            port = _free_port()
            controller = Controller(
                _Collector(self),
                hostname="127.0.0.1",
                port=port,
                decode_data=False,
                # Else each connection asks socket.getfqdn(), tens of milliseconds
                # on the event loop: the server, not the app, would set the pace.
                server_hostname="localhost",
                ready_timeout=10,
            )
            try:
                controller.start()
            except (OSError, RuntimeError):
                if attempt == attempts - 1:
                    raise
                continue
            self._controller, self.port = controller, port
            return self
        raise AssertionError("unreachable")

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> MailSink:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """EMAIL_URL for the app (django-environ's smtp:// scheme, no TLS)."""
        return f"smtp://127.0.0.1:{self.port}"

    # --- what arrived -----------------------------------------------------------

    def _add(self, message: Received) -> None:
        key = message.key
        with self._lock:
            self._messages.append(message)
            if key is not None:
                self._keys[key] += 1

    @property
    def messages(self) -> list[Received]:
        with self._lock:
            return list(self._messages)

    def count(self) -> int:
        with self._lock:
            return len(self._messages)

    def keys(self) -> Counter[str]:
        """How many times each outbox key (the X-Radtid-Message header) arrived."""
        with self._lock:
            return Counter(self._keys)

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()
            self._keys.clear()

    def wait_for(self, count: int, *, timeout: float, poll: float = 0.02) -> list[Received]:
        """The messages once at least `count` have arrived; AssertionError after `timeout` s."""
        return self.wait_until(lambda messages: len(messages) >= count, timeout=timeout, poll=poll)

    def wait_until(
        self, done: Callable[[list[Received]], bool], *, timeout: float, poll: float = 0.02
    ) -> list[Received]:
        deadline = time.monotonic() + timeout
        while True:
            messages = self.messages
            if done(messages):
                return messages
            if time.monotonic() > deadline:
                raise AssertionError(f"the SMTP server got {len(messages)} messages in {timeout} s")
            time.sleep(poll)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
