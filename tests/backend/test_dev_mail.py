"""The DEBUG mail viewer at /dev/mail/: the .eml files EmlFileBackend writes,
listed newest first and shown one by one; a 404 for everyone unless DEBUG is
on and mail is kept as files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from django.core.mail import EmailMultiAlternatives, get_connection
from django.test import override_settings

from backend.mail import EmlFileBackend

ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:abc@radtid\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
FILE_BACKEND = "backend.mail.EmlFileBackend"


def send(
    folder: Path, *, subject: str, to: str, at: datetime, html: str | None = None, ics: bool = False
) -> str:
    """Sends one mail through the real file backend at `at`; returns its file name."""
    message = EmailMultiAlternatives(subject, f"Hej!\n\n{subject}\n", "Rådtid <noreply@example.se>", [to])
    if html is not None:
        message.attach_alternative(html, "text/html")
    if ics:
        message.attach("invite.ics", ICS, "text/calendar; method=REQUEST")
    before = set(folder.glob("*.eml"))
    with time_machine.travel(at, tick=False):
        get_connection(FILE_BACKEND, file_path=str(folder)).send_messages([message])
    (new,) = set(folder.glob("*.eml")) - before
    return new.name


@pytest.fixture
def mail_dir(tmp_path, settings):
    """DEBUG on and the file backend writing into a folder of the test's own."""
    settings.DEBUG = True
    settings.EMAIL_BACKEND = FILE_BACKEND
    settings.EMAIL_FILE_PATH = str(tmp_path)
    return tmp_path


@pytest.fixture
def confirmation(mail_dir) -> str:
    return send(
        mail_dir,
        subject="Bokat: rådgivningsmöte med Anna Lindqvist",
        to="Sara Nilsson <sara@example.se>",
        at=datetime(2027, 3, 1, 9, 0, tzinfo=UTC),
        html='<p>Hej Sara!</p><script>alert("x")</script>',
        ics=True,
    )


def test_it_is_not_there_without_debug(client, db, mail_dir, confirmation):
    with override_settings(DEBUG=False):
        for path in ("/dev/mail/", f"/dev/mail/{confirmation}/", f"/dev/mail/{confirmation}/html/"):
            assert client.get(path).status_code == 404


def test_it_is_not_there_when_mail_goes_elsewhere(client, db, mail_dir, confirmation):
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend"):
        assert client.get("/dev/mail/").status_code == 404
        assert client.get(f"/dev/mail/{confirmation}/").status_code == 404


@pytest.mark.parametrize("address", ["192.0.2.10", "10.0.0.5", "2001:db8::1", "::ffff:127.0.0.1", ""])
def test_it_is_not_there_for_a_client_on_another_machine(client, db, confirmation, address):
    """The mails hold password-reset links; a DEBUG server on 0.0.0.0 must not show them around."""
    paths = ("/dev/mail/", f"/dev/mail/{confirmation}/", f"/dev/mail/{confirmation}/html/")
    for path in (*paths, f"/dev/mail/{confirmation}/parts/2/"):
        assert client.get(path, REMOTE_ADDR=address).status_code == 404


def test_a_forwarded_for_header_does_not_make_a_client_local(client, db, confirmation):
    response = client.get("/dev/mail/", REMOTE_ADDR="192.0.2.10", HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert response.status_code == 404


@pytest.mark.parametrize("address", ["127.0.0.1", "127.8.9.10", "::1"])
def test_it_answers_a_client_on_this_machine(client, db, confirmation, address):
    assert client.get("/dev/mail/", REMOTE_ADDR=address).status_code == 200
    assert client.get(f"/dev/mail/{confirmation}/", REMOTE_ADDR=address).status_code == 200


def test_the_list_shows_date_recipient_and_subject_newest_first(client, db, mail_dir, confirmation):
    reminder = send(
        mail_dir,
        subject="Påminnelse: rådgivningsmöte",
        to="anna@example.se",
        at=datetime(2027, 3, 2, 9, 0, tzinfo=UTC),
    )

    response = client.get("/dev/mail/")

    html = response.content.decode()
    assert response.status_code == 200
    assert html.index(f'href="/dev/mail/{reminder}/"') < html.index(f'href="/dev/mail/{confirmation}/"')
    assert "Påminnelse: rådgivningsmöte" in html and "anna@example.se" in html
    assert "Sara Nilsson &lt;sara@example.se&gt;" in html
    assert (
        '<time datetime="2027-03-01T10:00:00+01:00">2027-03-01 10.00</time>' in html
    )  # the Date header, in Stockholm time


def test_an_empty_folder_says_so(client, db, mail_dir, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the Swedish comes with the lead's translation
    response = client.get("/dev/mail/")
    assert response.status_code == 200
    assert "No mail has been sent yet." in response.content.decode()


def test_a_mail_shows_its_headers_text_html_frame_and_attachments(client, db, confirmation):
    response = client.get(f"/dev/mail/{confirmation}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Bokat: rådgivningsmöte med Anna Lindqvist" in html
    assert "noreply@example.se" in html and "sara@example.se" in html
    assert "Hej!" in html  # the plain text
    assert f'<iframe class="dev-mail-html" sandbox="" src="/dev/mail/{confirmation}/html/"' in html
    assert 'alert("x")' not in html  # the HTML part is only ever in the frame
    assert "invite.ics" in html and f'href="/dev/mail/{confirmation}/parts/' in html


def test_the_html_part_is_served_sandboxed_for_the_frame_only(client, db, confirmation):
    response = client.get(f"/dev/mail/{confirmation}/html/")

    assert response.status_code == 200
    assert response.content.decode().startswith("<p>Hej Sara!</p>")
    csp = response["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "sandbox" in csp and "script-src" not in csp
    assert "frame-ancestors 'self'" in csp
    assert response["X-Frame-Options"] == "SAMEORIGIN"


def test_the_invite_downloads_as_an_attachment(client, db, confirmation):
    detail = client.get(f"/dev/mail/{confirmation}/")
    index = next(p.index for p in detail.context["parts"] if p.filename == "invite.ics")

    response = client.get(f"/dev/mail/{confirmation}/parts/{index}/")

    assert response.status_code == 200
    # The mail carries text parts with its own line endings; the calendar is the same.
    assert response.content.splitlines() == ICS.splitlines()
    assert response["Content-Type"].startswith("text/calendar")
    assert response["Content-Disposition"] == 'attachment; filename="invite.ics"'


def test_a_mail_without_html_has_no_frame(client, db, mail_dir):
    name = send(mail_dir, subject="Bara text", to="a@example.se", at=datetime(2027, 3, 1, tzinfo=UTC))
    html = client.get(f"/dev/mail/{name}/").content.decode()
    assert "<iframe" not in html
    assert client.get(f"/dev/mail/{name}/html/").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/dev/mail/no-such-mail.eml/",
        "/dev/mail/..%2Fdb.sqlite3/",
        "/dev/mail/.hidden.eml/",
        "/dev/mail/notes.txt/",
        "/dev/mail/{name}/parts/99/",
        "/dev/mail/{name}/parts/0/",  # the multipart container, not a part to download
    ],
)
def test_anything_but_a_mail_in_the_folder_is_not_found(client, db, confirmation, path):
    assert client.get(path.format(name=confirmation)).status_code == 404


def test_the_backend_s_file_names_are_what_the_viewer_serves(mail_dir):
    # The viewer trusts only names shaped like the backend's; keep them in step.
    from backend.dev_mail import NAME

    EmlFileBackend(file_path=str(mail_dir)).send_messages(
        [EmailMultiAlternatives("s", "b", "a@example.se", ["b@example.se"])]
    )
    (written,) = mail_dir.glob("*.eml")
    assert NAME.match(written.name)
