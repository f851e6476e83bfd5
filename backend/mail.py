"""Mail as files, for the embedded mode: one RFC 5322 .eml file a message."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage
from django.utils import timezone


class EmlFileBackend(BaseEmailBackend):
    def __init__(self, *args, file_path: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.folder = Path(str(file_path or settings.EMAIL_FILE_PATH))

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        self.folder.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            name = f"{timezone.now():%Y%m%d-%H%M%S-%f}-{uuid.uuid4().hex[:8]}.eml"
            # Write to a temporary name and rename, so a reader never sees half a mail.
            tmp = self.folder / f".{name}.tmp"
            # Django's SafeMIME classes take linesep; the stubs know only email.message.
            tmp.write_bytes(message.message().as_bytes(linesep="\r\n"))  # type: ignore[call-arg]
            tmp.replace(self.folder / name)
            sent += 1
        return sent
