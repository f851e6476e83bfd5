"""The embedded mode's broker: kombu's filesystem transport, safe between the
processes that share its folder (the web server publishing, the worker and
beat consuming and publishing).

kombu (5.7) writes a message by opening the file under its final name and
then writing into it. A worker listing the folder in between takes the file
and reads it empty or half written; `json.loads` raises JSONDecodeError in
the worker's consumer, which Celery cannot recover from, so the worker of
`make run` exited and mail stopped. An exchange's routing table, read on
every publish, is created the same way. The changes here:

- a message (and a new routing table) is written under a name no reader
  picks up (`.….part`) and then renamed (linked) to its final name: within
  one folder that is atomic, so a reader sees the whole file or none;
- a message that cannot be read anyway (written by another program, a disk
  that filled up) is logged and skipped, never raised into the worker. What
  it carried is not lost where it matters: a mail's outbox row stays due, and
  beat's sweep hands it out again (invariant 3).

backend/celery.py puts this transport under the `filesystem://` scheme.
"""

from __future__ import annotations

import contextlib
import logging
import os
import uuid
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

logger = logging.getLogger(__name__)

# kombu's reader takes files whose name, after the first dot, is "<queue>.msg";
# a leading dot and a suffix keep a file being written out of its sight.
PARTIAL_SUFFIX = ".part"


def readable(payload: Any) -> bool:
    """Whether a decoded message has what kombu's virtual transport reads
    from it before anything else (it raises KeyError otherwise)."""
    if not isinstance(payload, dict):
        return False
    properties = payload.get("properties")
    return isinstance(properties, dict) and "delivery_tag" in properties


class Channel(filesystem.Channel):
    def _queue_bind(self, exchange: str, routing_key: str, pattern: str, queue: str) -> None:
        """Bind `queue` to `exchange`. kombu creates an exchange's routing table
        the same way as a message (open, then write), and every publish reads
        that table: created complete under another name and linked into place
        here, which fails if another process created it first. Adding to an
        existing table is kombu's own, under its file lock."""
        table = self._exchange_file(exchange)
        if not table.exists():
            self.control_folder.mkdir(exist_ok=True)
            partial = table.with_name(f".{table.name}.{uuid.uuid4().hex}{PARTIAL_SUFFIX}")
            entry = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
            try:
                partial.write_bytes(str_to_bytes(dumps([entry])))
                os.link(partial, table)
                return
            except OSError:
                pass  # created meanwhile (or no hard links here): kombu adds to it
            finally:
                partial.unlink(missing_ok=True)
        super()._queue_bind(exchange, routing_key, pattern, queue)

    # kombu's filesystem Channel calls the message `payload`, its base `message`.
    def _put(self, queue: str, message: Any, **kwargs: Any) -> None:  # type: ignore[override]
        """Put a message on `queue`: written aside, then renamed into place."""
        # kombu's own name, so its reader keeps the order it sorts by.
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = os.path.join(self.data_folder_out, f".{name}{PARTIAL_SUFFIX}")
        try:
            with open(partial, "wb") as f:
                f.write(str_to_bytes(dumps(message)))
            os.replace(partial, final)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.remove(partial)
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc

    def _get(self, queue: str, timeout: Any = None) -> Any:
        """The next message of `queue` that can be read; Empty when none is left.
        Each unreadable one is consumed (kombu removes a file it has read)
        and logged, so one bad file cannot stop the worker."""
        while True:
            try:
                payload = super()._get(queue)
            except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
                logger.error("Skipped a message in the queue %r that is not valid JSON: %s", queue, exc)
                continue
            if readable(payload):
                return payload
            logger.error("Skipped a message in the queue %r without delivery properties.", queue)


class Transport(filesystem.Transport):
    Channel = Channel
