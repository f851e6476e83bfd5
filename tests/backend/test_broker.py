"""The embedded mode's broker (backend/broker.py): kombu's filesystem
transport without its half-written files, on real folders, with a real
publisher in another process racing the reader as the web server races the
worker of `make run`."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
from pathlib import Path
from queue import Empty

import pytest
from kombu import Connection

from backend import broker
from backend.celery import app

ROOT = Path(__file__).resolve().parents[2]

# A publisher in a process of its own: MESSAGES messages of 200 kB each, each
# long enough to write that a reader often met kombu's file half written
# (hundreds of JSONDecodeErrors in a run of 300 before the fix).
MESSAGES = 300
PUBLISHER = """
import json, sys
from kombu import Connection
import backend.celery  # puts backend.broker under filesystem://
options = json.loads(sys.argv[1])
with Connection("filesystem://", transport_options=options) as conn:
    channel = conn.default_channel
    for n in range(int(sys.argv[2])):
        channel._put("race", {"body": "x" * 200_000, "properties": {"delivery_tag": n}})
"""


def options(folder: Path) -> dict:
    for sub in ("queue", "processed", "control"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        "control_folder": str(folder / "control"),
        "store_processed": False,
    }


@pytest.fixture
def channel(tmp_path):
    with Connection("filesystem://", transport_options=options(tmp_path)) as conn:
        yield conn.default_channel


def test_the_filesystem_scheme_is_the_safe_transport():
    with app.connection_for_write("filesystem://") as conn:
        assert isinstance(conn.transport, broker.Transport)
        assert isinstance(conn.default_channel, broker.Channel)


def test_a_reader_racing_a_publisher_gets_every_message_whole(tmp_path, caplog):
    folder_options = options(tmp_path)
    publisher = subprocess.Popen(
        [sys.executable, "-c", PUBLISHER, json.dumps(folder_options), str(MESSAGES)], cwd=ROOT
    )
    received: list[int] = []
    with (
        Connection("filesystem://", transport_options=folder_options) as conn,
        caplog.at_level(logging.ERROR),
    ):
        channel = conn.default_channel
        while len(received) < MESSAGES and (publisher.poll() is None or channel._size("race")):
            try:
                received.append(channel._get("race")["properties"]["delivery_tag"])
            except Empty:
                continue
    assert publisher.wait(timeout=60) == 0

    assert sorted(received) == list(range(MESSAGES))
    assert not caplog.records  # none was skipped: none was ever seen half written


def test_a_message_being_written_is_out_of_the_readers_sight(channel):
    queue = Path(channel.data_folder_in)
    (queue / f".1_x.race.msg{broker.PARTIAL_SUFFIX}").write_bytes(b'{"body": "half')

    with pytest.raises(Empty):
        channel._get("race")
    assert channel._size("race") == 0


def test_unreadable_messages_are_skipped_with_a_log_line_and_the_next_one_delivered(channel, caplog):
    queue = Path(channel.data_folder_in)
    (queue / "0000000001_empty.race.msg").write_bytes(b"")
    (queue / "0000000002_half.race.msg").write_bytes(b'{"body": "eyJh')
    (queue / "0000000003_latin1.race.msg").write_bytes('{"body": "å"}'.encode("latin-1"))
    (queue / "0000000004_shape.race.msg").write_bytes(b'["not", "a", "message"]')
    channel._put("race", {"body": "", "properties": {"delivery_tag": "good"}})

    with caplog.at_level(logging.ERROR, logger="backend.broker"):
        payload = channel._get("race")

    assert payload["properties"]["delivery_tag"] == "good"
    assert len(caplog.records) == 4
    assert all("Skipped a message in the queue 'race'" in r.getMessage() for r in caplog.records)
    assert not list(queue.iterdir())  # each was taken off the queue


def test_a_new_exchanges_table_is_whole_and_later_bindings_are_added(channel):
    channel._queue_bind("radtid-test", "one", "", "one")
    channel._queue_bind("radtid-test", "two", "", "two")

    table = channel.get_table("radtid-test")

    assert {q.queue for q in table} == {"one", "two"}
    control = Path(channel.control_folder)
    assert [p.name for p in control.iterdir()] == ["radtid-test.exchange"]  # no file left aside


BINDER = """
import json, sys, time
from pathlib import Path
from kombu import Connection
import backend.celery  # puts backend.broker under filesystem://
options, queue, go = json.loads(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
with Connection("filesystem://", transport_options=options) as conn:
    channel = conn.default_channel
    Path(f"{go}.{queue}").touch()  # ready
    while not go.exists():
        time.sleep(0.001)
    channel._queue_bind("radtid-race", queue, "", queue)
"""


def test_processes_binding_a_new_exchange_at_once_all_end_up_in_its_table(tmp_path):
    """kombu creates the table with open("wb") when it sees none: two processes
    at once each created it, the second truncating the first's binding."""
    folder_options = options(tmp_path)
    go = tmp_path / "go"
    binders = [
        subprocess.Popen(
            [sys.executable, "-c", BINDER, json.dumps(folder_options), f"q{n}", str(go)], cwd=ROOT
        )
        for n in range(6)
    ]
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("go.q*"))) < len(binders) and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()  # all at once
    assert [b.wait(timeout=60) for b in binders] == [0] * 6

    with Connection("filesystem://", transport_options=folder_options) as conn:
        table = conn.default_channel.get_table("radtid-race")
    assert sorted(q.queue for q in table) == [f"q{n}" for n in range(6)]
